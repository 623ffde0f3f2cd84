"""The integration API (issue 10): the seeds' HTTP contracts under ``/api/v1/``, served by the
console's own process. Every route is a thin adapter over the ``engine.api`` function the pages
call; callers authenticate with API keys bound to roles of the same permission table."""
