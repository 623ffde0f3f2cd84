"""APScheduler, started once per process (never again on a Streamlit rerun).

With a server database several processes may run a scheduler; a lease row lets exactly one of them
run the jobs at a time (the others record a skipped run and take over when its lease lapses). At
start, the runs a stopped process left pending or running are marked failed.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from engine import api
from engine.api import SYSTEM_JOB, Ledger
from engine.errors import ConfigurationError, EngineError
from engine.logs import get_logger
from engine.operations.jobs import (
    CATALOGUE,
    acquire_lease,
    fail_orphaned_runs,
    on_bill_loaded,
    record_skipped,
)
from engine.vocab import JobTrigger
from jobs.schedule import SCHEDULE

log = get_logger("scheduler")
LEASE_NAME = "scheduler"
# Longer than the gap between two runs of the most frequent job, so the holder keeps its lease.
LEASE_TTL = timedelta(minutes=15)

_lock = threading.Lock()
_running: BaseScheduler | None = None


def run_scheduled(ledger: Ledger, name: str, trigger: JobTrigger = JobTrigger.SCHEDULED) -> None:
    try:
        lease = acquire_lease(ledger, LEASE_NAME, ttl=LEASE_TTL)
        if not lease.acquired:
            until = f" until {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC" if lease.expires_at else ""
            reason = f"Another scheduler ({lease.holder}) holds the lease{until}; it runs the jobs."
            record_skipped(ledger, name, trigger=trigger, reason=reason)
            log.info("another scheduler holds the lease; not running", extra={"job": name})
            return
        api.run_job(ledger, name, actor=SYSTEM_JOB, trigger=trigger)
    except EngineError:
        log.exception("scheduled job could not start", extra={"job": name})


def recover(ledger: Ledger) -> None:
    """Before a scheduler starts: fail the runs a stopped process left behind (never blocks the start)."""
    try:
        fail_orphaned_runs(ledger)
    except EngineError:
        log.exception("could not check for runs left by a stopped process")


def configure(scheduler: BaseScheduler, ledger: Ledger) -> BaseScheduler:
    settings = ledger.settings
    for job in SCHEDULE:
        if job.name not in CATALOGUE:
            raise ConfigurationError(f"The schedule names an unknown job {job.name!r}.")
        cron = job.cron(settings)
        if cron is None:  # a job that runs only when its settings ask for it
            continue
        try:
            trigger = CronTrigger.from_crontab(cron, timezone=settings.zone)
        except ValueError as exc:
            raise ConfigurationError(
                f"The cron of job {job.name} ({job.cron(settings)!r}) is invalid: {exc}"
            ) from exc
        scheduler.add_job(
            run_scheduled,
            trigger,
            args=[ledger, job.name],
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=job.misfire_grace_seconds,
            replace_existing=True,
        )
    return scheduler


def start_in_process(ledger: Ledger) -> BaseScheduler:
    """The console's scheduler: one per process, however many times this is called."""
    global _running
    with _lock:
        if _running is None:
            recover(ledger)
            _running = configure(BackgroundScheduler(timezone=ledger.settings.zone, daemon=True), ledger)
            _running.start()
            on_bill_loaded(lambda: run_soon("reconciliation"))
            log.info("scheduler started", extra={"jobs": [job.name for job in SCHEDULE]})
        return _running


def running_scheduler() -> BaseScheduler | None:
    return _running


def run_soon(name: str, trigger: JobTrigger = JobTrigger.AFTER_LOAD) -> bool:
    """Ask this process's scheduler to run a scheduled job now, in its own thread (seed 003: the
    reconciliation follows each bill loaded). False when no scheduler runs here or the job is not
    scheduled; the job then waits for its next time. A run already going is not doubled."""
    scheduler = _running
    job = scheduler.get_job(name) if scheduler is not None else None
    if scheduler is None or job is None:
        return False
    # A one-off run beside the cron (no trigger: the scheduler's own "now"); a second request while it
    # waits replaces it, and the store's write lock orders it with any other run.
    scheduler.add_job(
        job.func,
        args=[*job.args, trigger],
        id=f"{name}:now",
        name=name,
        max_instances=1,
        misfire_grace_time=job.misfire_grace_time,
        replace_existing=True,
    )
    log.info("job asked to run now", extra={"job": name})
    return True


def stop_in_process() -> None:
    global _running
    with _lock:
        if _running is not None:
            on_bill_loaded(None)
            _running.shutdown(wait=False)
            _running = None
