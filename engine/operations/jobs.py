"""Job runs: every run of a background job is a ``job_run`` row going
pending → running → succeeded | failed | skipped, with its trigger, counts, error and trace id.

The catalogue of what each job does lives here (engine functions); *when* they run is the
scheduler's table in ``jobs/``.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import as_utc, business_day, next_working_day, utcnow
from engine.errors import EngineError, NotFound
from engine.handle import Ledger
from engine.ids import new_ulid
from engine.logs import get_logger, traced
from engine.models import Page, check_paging
from engine.operations.sla import escalate_overdue
from engine.store.schema import job_run, scheduler_lease
from engine.vocab import JobStatus, JobTrigger

log = get_logger("jobs")
HOST = f"{socket.gethostname()}:{os.getpid()}"
_ACTIVE: set[str] = set()  # the runs this process is working on now
# Seed 003: the reconciliation follows each bill loaded. A process that runs a scheduler registers how
# to ask it for a run now (jobs.scheduler); without one (the CLI), the nightly run and
# `reconcile run` follow.
_AFTER_BILL: list[Callable[[], bool]] = []
_ACTIVE_GUARD = threading.Lock()


@dataclass(frozen=True)
class JobOutcome:
    """What a job's work reports: its counts, and why it did nothing when it chose not to act (the run
    is then recorded as ``skipped`` with that reason)."""

    counts: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None


@dataclass(frozen=True)
class JobRun:
    """What a job's work runs with: one transaction, the run's time, trace, trigger and the actor it
    acts for (the scheduler's ``SYSTEM_JOB``, or the admin who pressed *Run now*)."""

    ledger: Ledger
    conn: Connection
    now: datetime
    trace_id: str
    actor: Actor
    trigger: JobTrigger


@dataclass(frozen=True)
class JobDefinition:
    name: str
    title: str
    work: Callable[[JobRun], JobOutcome] | None = None
    # A batch job whose items each get their own transaction (a mail poll): it runs outside the
    # run's transaction, with the ledger, the actor and the trace id.
    batch: Callable[[Ledger, Actor], JobOutcome] | None = None


def on_bill_loaded(hook: Callable[[], bool] | None) -> None:
    """Register (or, with None, remove) what asks this process's scheduler to reconcile now."""
    _AFTER_BILL.clear()
    if hook is not None:
        _AFTER_BILL.append(hook)


def bill_loaded() -> bool:
    """A bill loaded: the reconciliation runs now in the scheduler's thread (False: none runs here)."""
    return any(hook() for hook in _AFTER_BILL)


def _mail_poll(ledger: Ledger, actor: Actor) -> JobOutcome:
    """The AP mailbox agent's poll (DOMAIN "Invoices"): each message in its own transaction."""
    from engine.api.finance import mail_source
    from engine.invoices.agent import poll

    result = poll(ledger, mail_source(ledger), actor=actor)
    counts = {
        "messages": result.messages,
        "invoices": result.invoices,
        "skipped": result.skipped,
        "errors": result.errors,
        "routed": result.routed,
    }
    return JobOutcome(counts, skipped=None if result.messages or result.routed else "no mail waiting")


def _carrier_inbox(ledger: Ledger, actor: Actor) -> JobOutcome:
    """The carrier drop folder: each file its own transaction, then one reconciliation if any loaded."""
    from engine.carriers.inbox import run

    result = run(ledger, actor)
    counts = {**result.counts, "files": result.files, "reconciled": int(result.reconciled)}
    return JobOutcome(counts, skipped=None if result.files else "no carrier file waiting")


def _reconciliation(ledger: Ledger, actor: Actor) -> JobOutcome:
    """Nightly: statuses move with time (grace days, the WMS window) even when no file arrives."""
    from engine.api.reconciliation import run_reconciliation

    outcome = run_reconciliation(ledger, actor=actor)
    return JobOutcome({str(k): int(v) for k, v in outcome.counts.items()})


def _wms_pull(ledger: Ledger, actor: Actor) -> JobOutcome:
    from engine.api.reconciliation import pull_wms

    pulled = pull_wms(ledger, actor=actor)
    return JobOutcome({"rows": pulled.rows, "inserted": pulled.inserted, "replaced": pulled.replaced})


def _sla(run: JobRun) -> JobOutcome:
    return JobOutcome(escalate_overdue(run.conn, now=run.now, actor=run.actor, trace_id=run.trace_id))


def _allocation_t1(run: JobRun) -> JobOutcome:
    """T-1: allocate the tags due on the next working day against the latest snapshot. A stale
    snapshot is never accepted here: the stores desk gets one STALE_SNAPSHOT exception instead."""
    from engine.allocation.problems import raise_stale
    from engine.allocation.run import run_allocation
    from engine.mapping.master import MasterData
    from engine.stock.freshness import StaleSnapshot, StockRule

    settings = run.ledger.settings
    run_date = next_working_day(business_day(settings.zone, run.now), settings.working_weekdays)
    try:
        result = run_allocation(
            run.ledger.db,
            run.conn,
            MasterData.load(run.conn),
            run_date=run_date,
            tag_id=None,
            rule=StockRule.from_settings(settings),
            actor=run.actor,
            trace_id=run.trace_id,
            trigger=run.trigger,
        )
    except StaleSnapshot as stale:
        exception_id = raise_stale(run.conn, stale.status, actor=run.actor, trace_id=run.trace_id)
        return JobOutcome({"stale_snapshot": 1}, skipped=f"{stale.status.message} See {exception_id}.")
    return JobOutcome(
        {
            "tags": result.tags,
            "lines": result.lines_total,
            "allocated": result.lines_allocated,
            "partial": result.lines_partial,
            "unallocated": result.lines_unallocated,
            "exceptions": len(result.exceptions),
        }
    )


CATALOGUE: dict[str, JobDefinition] = {
    "sla_escalation": JobDefinition("sla_escalation", "Escalate exceptions past their SLA", _sla),
    "allocation_t1": JobDefinition(
        "allocation_t1", "T-1 stock allocation for the next working day", _allocation_t1
    ),
    "mail_poll": JobDefinition("mail_poll", "Read the AP mailbox and route invoices", batch=_mail_poll),
    "carrier_inbox": JobDefinition(
        "carrier_inbox", "Load carrier bills from the drop folder", batch=_carrier_inbox
    ),
    "wms_pull": JobDefinition("wms_pull", "Pull WMS shipments from the WMS database", batch=_wms_pull),
    "reconciliation": JobDefinition(
        "reconciliation", "Reconcile carrier bills with WMS shipments", batch=_reconciliation
    ),
}


class JobRunView(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    job_name: str
    triggered_by: JobTrigger
    status: JobStatus
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    counts: dict[str, int]
    error: str | None
    host: str
    trace_id: str

    @classmethod
    def from_row(cls, row: sa.Row) -> JobRunView:
        data = dict(row._mapping)
        data["counts"] = json.loads(data["counts"] or "{}")
        return cls.model_validate(data)


def _set(ledger: Ledger, run_id: str, **values: object) -> None:
    ledger.db.write(
        lambda conn: conn.execute(sa.update(job_run).where(job_run.c.run_id == run_id).values(**values))
    )


def run_job(
    ledger: Ledger, name: str, *, trigger: JobTrigger, actor: Actor, now: datetime | None = None
) -> JobRunView:
    definition = CATALOGUE.get(name)
    if definition is None:
        raise NotFound(f"No job {name!r}; jobs are: {', '.join(CATALOGUE)}.")
    with traced() as trace_id, _active(new_ulid()) as run_id:
        _start(ledger, run_id, name, trigger=trigger, trace_id=trace_id)
        log.info("job started", extra={"job": name, "trigger": str(trigger), "run_id": run_id})
        at = now or utcnow()
        try:
            if definition.batch is not None:
                outcome = definition.batch(ledger, actor)
            else:
                work = definition.work
                assert work is not None, f"job {name} has no work"
                outcome = ledger.db.write(
                    lambda conn: work(JobRun(ledger, conn, at, trace_id, actor, trigger))
                )
        except Exception as error:  # a job's failure is recorded on its run, never lost
            message = error.message if isinstance(error, EngineError) else f"{type(error).__name__}: {error}"
            _set(ledger, run_id, status=str(JobStatus.FAILED), finished_at=utcnow(), error=message[:4000])
            log.exception("job failed", extra={"job": name, "run_id": run_id})
        else:
            _finish(ledger, run_id, outcome)
            log.info(
                "job skipped" if outcome.skipped else "job succeeded",
                extra={"job": name, "run_id": run_id, "counts": outcome.counts, "reason": outcome.skipped},
            )
        return get_run(ledger, run_id)


@contextmanager
def _active(run_id: str) -> Iterator[str]:
    """While this process works on a run, the start-up sweep of a scheduler here never fails it."""
    with _ACTIVE_GUARD:
        _ACTIVE.add(run_id)
    try:
        yield run_id
    finally:
        with _ACTIVE_GUARD:
            _ACTIVE.discard(run_id)


def _start(ledger: Ledger, run_id: str, name: str, *, trigger: JobTrigger, trace_id: str) -> None:
    ledger.db.write(
        lambda conn: conn.execute(
            job_run.insert().values(
                run_id=run_id,
                job_name=name,
                triggered_by=str(trigger),
                status=str(JobStatus.PENDING),
                created_at=utcnow(),
                host=HOST,
                trace_id=trace_id,
            )
        )
    )
    _set(ledger, run_id, status=str(JobStatus.RUNNING), started_at=utcnow())


def _finish(ledger: Ledger, run_id: str, outcome: JobOutcome) -> None:
    _set(
        ledger,
        run_id,
        status=str(JobStatus.SKIPPED if outcome.skipped else JobStatus.SUCCEEDED),
        finished_at=utcnow(),
        counts=json.dumps(outcome.counts, sort_keys=True),
        error=outcome.skipped[:4000] if outcome.skipped else None,
    )


def record_skipped(ledger: Ledger, name: str, *, trigger: JobTrigger, reason: str) -> None:
    with traced() as trace_id:
        now = utcnow()
        ledger.db.write(
            lambda conn: conn.execute(
                job_run.insert().values(
                    run_id=new_ulid(),
                    job_name=name,
                    triggered_by=str(trigger),
                    status=str(JobStatus.SKIPPED),
                    created_at=now,
                    started_at=now,
                    finished_at=now,
                    error=reason[:4000],
                    host=HOST,
                    trace_id=trace_id,
                )
            )
        )


def get_run(ledger: Ledger, run_id: str) -> JobRunView:
    with ledger.db.read() as conn:
        row = conn.execute(sa.select(job_run).where(job_run.c.run_id == run_id)).first()
    if row is None:
        raise NotFound(f"No job run {run_id}.")
    return JobRunView.from_row(row)


def recent_runs(
    ledger: Ledger, *, job_name: str | None = None, offset: int = 0, limit: int = 50
) -> Page[JobRunView]:
    """Runs newest first, one page at a time (the SLA job alone adds one every five minutes)."""
    check_paging(offset, limit)
    where = [job_run.c.job_name == job_name] if job_name else []
    with ledger.db.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(job_run).where(*where)).scalar_one()
        rows = conn.execute(
            sa.select(job_run)
            .where(*where)
            .order_by(job_run.c.created_at.desc(), job_run.c.run_id.desc())
            .offset(offset)
            .limit(limit)
        )
        items = [JobRunView.from_row(row) for row in rows]
    return Page[JobRunView](items=items, total=total, offset=offset, limit=limit)


def last_runs(ledger: Ledger) -> dict[str, JobRunView]:
    """The latest run of every job that ever ran, however many runs of others came after it."""
    latest = (
        sa.select(job_run.c.job_name, sa.func.max(job_run.c.created_at).label("created_at"))
        .group_by(job_run.c.job_name)
        .subquery()
    )
    query = sa.select(job_run).join(
        latest, sa.and_(latest.c.job_name == job_run.c.job_name, latest.c.created_at == job_run.c.created_at)
    )
    with ledger.db.read() as conn:
        runs = [JobRunView.from_row(row) for row in conn.execute(query)]
    return {run.job_name: run for run in sorted(runs, key=lambda run: run.run_id)}


@dataclass(frozen=True)
class Lease:
    acquired: bool
    holder: str
    expires_at: datetime | None


def acquire_lease(ledger: Ledger, name: str, *, holder: str = HOST, ttl: timedelta) -> Lease:
    """Whether ``holder`` may run the scheduler's jobs for ``ttl`` (one scheduler per store).

    One compare-and-set: the lease row is taken only while it is ours or has lapsed, so of two
    schedulers racing for a lapsed lease the second finds the row already renewed by the first. The
    first lease of a store is an insert; a key conflict there means another process got it first."""

    def work(conn: Connection) -> Lease:
        now = utcnow()
        lease = scheduler_lease
        taken = conn.execute(
            sa.update(lease)
            .where(lease.c.name == name, sa.or_(lease.c.holder == holder, lease.c.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)
            .returning(lease.c.name)
        ).first()
        if taken is not None:
            return Lease(True, holder, now + ttl)
        current = conn.execute(
            sa.select(lease.c.holder, lease.c.expires_at).where(lease.c.name == name)
        ).first()
        if current is not None:
            return Lease(False, current.holder, as_utc(current.expires_at))
        conn.execute(lease.insert().values(name=name, holder=holder, expires_at=now + ttl))
        return Lease(True, holder, now + ttl)

    try:
        return ledger.db.write(work)
    except sa_exc.IntegrityError:
        return Lease(False, "another process", None)


# A job run takes seconds to a few minutes (the T-1 allocation of 20,000 lines takes about 2 s); a run
# still pending or running after this long has lost its process, wherever that ran.
ORPHAN_AFTER = timedelta(hours=2)


def fail_orphaned_runs(ledger: Ledger) -> list[str]:
    """At scheduler or worker start: the runs a process left pending or running when it died are
    marked failed, so the Operations page never shows a run that will not finish."""
    now = utcnow()
    with _ACTIVE_GUARD:
        active = set(_ACTIVE)

    def work(conn: Connection) -> list[str]:
        rows = conn.execute(
            sa.select(job_run.c.run_id, job_run.c.host, job_run.c.created_at).where(
                job_run.c.status.in_([str(JobStatus.PENDING), str(JobStatus.RUNNING)])
            )
        ).all()
        gone = [
            row
            for row in rows
            if row.run_id not in active and _orphaned(row.host, as_utc(row.created_at), now)
        ]
        for row in gone:
            conn.execute(
                sa.update(job_run)
                .where(
                    job_run.c.run_id == row.run_id,
                    job_run.c.status.in_([str(JobStatus.PENDING), str(JobStatus.RUNNING)]),
                )
                .values(status=str(JobStatus.FAILED), finished_at=now, error=_orphan_error(row.host))
            )
        return [row.run_id for row in gone]

    failed = ledger.db.write(work)
    if failed:
        log.warning("runs of a stopped process marked failed", extra={"run_ids": failed})
    return failed


def _orphaned(host: str, created_at: datetime, now: datetime) -> bool:
    if now - created_at > ORPHAN_AFTER:
        return True
    machine, _, pid = host.rpartition(":")
    if machine != socket.gethostname() or not pid.isdigit():
        return False  # another machine's process may still be working on it
    # A restarted container reuses its process id: this very id runs nothing it has not started.
    return int(pid) == os.getpid() or not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _orphan_error(host: str) -> str:
    return (
        f"The process that ran it ({host}) stopped before the run finished; {HOST} found it at start-up. "
        "Run the job again if its work is still needed."
    )
