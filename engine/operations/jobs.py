"""Job runs: every run of a background job is a ``job_run`` row going
pending → running → succeeded | failed | skipped, with its trigger, counts, error and trace id.

The catalogue of what each job does lives here (engine functions); *when* they run is the
scheduler's table in ``jobs/``.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import SYSTEM_JOB, Actor
from engine.clock import as_utc, business_day, next_working_day, utcnow
from engine.errors import EngineError, NotFound
from engine.handle import Ledger
from engine.ids import new_ulid
from engine.logs import get_logger, traced
from engine.operations.sla import escalate_overdue
from engine.store.schema import job_run, scheduler_lease
from engine.vocab import JobStatus, JobTrigger

log = get_logger("jobs")
HOST = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class JobDefinition:
    name: str
    title: str
    work: Callable[[Ledger, Connection, datetime, str], dict[str, int]]


def _sla(ledger: Ledger, conn: Connection, now: datetime, trace_id: str) -> dict[str, int]:
    return escalate_overdue(conn, now=now, actor=SYSTEM_JOB, trace_id=trace_id)


def _allocation_t1(ledger: Ledger, conn: Connection, now: datetime, trace_id: str) -> dict[str, int]:
    """T-1: allocate the tags due on the next working day against the latest snapshot."""
    from engine.allocation.run import run_allocation
    from engine.mapping.master import MasterData

    settings = ledger.settings
    run_date = next_working_day(business_day(settings.zone, now), settings.working_weekdays)
    result = run_allocation(
        ledger.db,
        conn,
        MasterData.load(conn),
        run_date=run_date,
        tag_id=None,
        actor=SYSTEM_JOB,
        trace_id=trace_id,
        trigger=JobTrigger.SCHEDULED,
    )
    return {
        "tags": result.tags,
        "lines": result.lines_total,
        "allocated": result.lines_allocated,
        "partial": result.lines_partial,
        "unallocated": result.lines_unallocated,
        "exceptions": len(result.exceptions),
    }


CATALOGUE: dict[str, JobDefinition] = {
    "sla_escalation": JobDefinition("sla_escalation", "Escalate exceptions past their SLA", _sla),
    "allocation_t1": JobDefinition(
        "allocation_t1", "T-1 stock allocation for the next working day", _allocation_t1
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
    with traced() as trace_id:
        run_id = new_ulid()
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
        log.info("job started", extra={"job": name, "trigger": str(trigger), "run_id": run_id})
        at = now or utcnow()
        try:
            counts = ledger.db.write(lambda conn: definition.work(ledger, conn, at, trace_id))
        except Exception as error:  # a job's failure is recorded on its run, never lost
            message = error.message if isinstance(error, EngineError) else f"{type(error).__name__}: {error}"
            _set(ledger, run_id, status=str(JobStatus.FAILED), finished_at=utcnow(), error=message[:4000])
            log.exception("job failed", extra={"job": name, "run_id": run_id})
        else:
            _set(
                ledger,
                run_id,
                status=str(JobStatus.SUCCEEDED),
                finished_at=utcnow(),
                counts=json.dumps(counts, sort_keys=True),
            )
            log.info("job succeeded", extra={"job": name, "run_id": run_id, "counts": counts})
        return get_run(ledger, run_id)


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


def recent_runs(ledger: Ledger, *, limit: int = 50, job_name: str | None = None) -> list[JobRunView]:
    query = sa.select(job_run).order_by(job_run.c.created_at.desc()).limit(limit)
    if job_name:
        query = query.where(job_run.c.job_name == job_name)
    with ledger.db.read() as conn:
        return [JobRunView.from_row(row) for row in conn.execute(query)]


def acquire_lease(ledger: Ledger, name: str, *, holder: str = HOST, ttl: timedelta) -> bool:
    """True when ``holder`` may run the scheduler's jobs for ``ttl`` (one scheduler per store)."""

    def work(conn: Connection) -> bool:
        now = utcnow()
        row = conn.execute(sa.select(scheduler_lease).where(scheduler_lease.c.name == name)).first()
        if row is None:
            conn.execute(scheduler_lease.insert().values(name=name, holder=holder, expires_at=now + ttl))
            return True
        if row.holder != holder and as_utc(row.expires_at) > now:
            return False
        conn.execute(
            sa.update(scheduler_lease)
            .where(scheduler_lease.c.name == name)
            .values(holder=holder, expires_at=now + ttl)
        )
        return True

    return ledger.db.write(work, retry_integrity=True)
