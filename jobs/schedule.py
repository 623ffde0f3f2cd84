"""The one table of scheduled jobs: name (an engine job), cron from settings, run options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.config import Settings


@dataclass(frozen=True)
class ScheduledJob:
    name: str  # a key of engine.operations.jobs.CATALOGUE
    cron: Callable[[Settings], str | None]  # None: not scheduled (the job runs on demand only)
    # A run missed by less than this (process paused, machine asleep) still runs once on resume.
    misfire_grace_seconds: int = 300


def _daily_at(cutoff: str) -> str:
    hours, minutes = cutoff.split(":")
    return f"{int(minutes)} {int(hours)} * * *"


SCHEDULE: tuple[ScheduledJob, ...] = (
    ScheduledJob(name="sla_escalation", cron=lambda s: s.sla_escalation_cron),
    # Every minute: an invoice is routed within a minute of arriving (the promise).
    ScheduledJob(name="mail_poll", cron=lambda s: s.mail_poll_cron, misfire_grace_seconds=60),
    ScheduledJob(name="carrier_inbox", cron=lambda s: s.carrier_inbox_cron),
    # Only where a WMS database is configured: the pull of its shipments.
    ScheduledJob(name="wms_pull", cron=lambda s: s.wms_pull_cron if s.wms_odbc_connection else None),
    # Nightly, as seed 003 runs it: grace days and the WMS window move statuses without a new file.
    ScheduledJob(name="reconciliation", cron=lambda s: s.reconciliation_cron, misfire_grace_seconds=3600),
    # Every day at the cut-off: the next working day's tags get their stock (a rerun replaces).
    ScheduledJob(
        name="allocation_t1", cron=lambda s: _daily_at(s.allocation_cutoff), misfire_grace_seconds=3600
    ),
)
