"""Background jobs: the schedule table, the in-process scheduler, and the standalone worker
(``python -m jobs``). Jobs call engine functions; they hold no business rule."""
