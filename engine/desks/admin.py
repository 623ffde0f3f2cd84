"""The admin desk's morning: job health, failed runs, demo accounts that anyone can sign in with."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from engine.demo.loader import active_demo_accounts
from engine.handle import Ledger
from engine.operations import jobs
from engine.operations.health import HealthReport, health
from engine.operations.jobs import JobRunView
from engine.store.sqlfiles import load_sql
from engine.vocab import JobStatus

FAILED_RUNS_WINDOW = timedelta(days=7)  # a week of failures: enough to see a pattern after a weekend
FAILED_RUNS_SHOWN = 10


class JobHealth(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    last: JobRunView | None

    @property
    def ok(self) -> bool:
        return self.last is None or self.last.status is not JobStatus.FAILED


class AdminDesk(BaseModel):
    model_config = ConfigDict(frozen=True)

    health: HealthReport
    jobs: list[JobHealth]
    failed_since: datetime
    failed_total: int
    failed_runs: list[JobRunView]
    demo_data: bool
    # Demo accounts that can sign in with the README's passwords (fine for a trial, never for real data).
    demo_accounts: list[str]


def admin_desk(ledger: Ledger, *, now: datetime) -> AdminDesk:
    last = jobs.last_runs(ledger)
    since = now - FAILED_RUNS_WINDOW
    with ledger.db.read() as conn:
        failed = [
            JobRunView.from_row(row) for row in conn.execute(load_sql("desks/failed_runs"), {"since": since})
        ]
    return AdminDesk(
        health=health(ledger),
        jobs=[
            JobHealth(name=name, title=definition.title, last=last.get(name))
            for name, definition in jobs.CATALOGUE.items()
        ],
        failed_since=since,
        failed_total=len(failed),
        failed_runs=failed[:FAILED_RUNS_SHOWN],
        demo_data=ledger.settings.demo_data,
        demo_accounts=active_demo_accounts(ledger),
    )
