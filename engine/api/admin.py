"""Operating the deployment: the store, demo data, users and roles, background jobs, health."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.api.access import Gate, requires
from engine.auth import users
from engine.auth.roles import SYSTEM_JOB, Actor, Permission
from engine.clock import business_day
from engine.config import Settings
from engine.demo.loader import DEMO_ACCOUNTS, DemoLoad, active_demo_accounts, demo_password, load_demo_data
from engine.handle import Ledger, open_ledger
from engine.ledger.requests import run_once
from engine.logs import traced
from engine.models import Page
from engine.operations import jobs
from engine.operations.health import HealthReport
from engine.operations.health import health as _health
from engine.operations.jobs import JobRunView
from engine.store import migrate
from engine.vocab import JobTrigger

UserView = users.UserView


class UpgradeResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    database: str
    from_version: int
    to_version: int
    applied: list[int]


@requires(Gate.OPEN)
def db_upgrade(settings: Settings | None = None) -> UpgradeResult:
    """Whoever can reach the store's file or URL can migrate it (the operator)."""
    ledger = open_ledger(settings, upgrade=False)
    try:
        before = migrate.current_version(ledger.db)
        applied = migrate.upgrade(ledger.db)
        return UpgradeResult(
            database=ledger.db.describe(),
            from_version=before,
            to_version=migrate.current_version(ledger.db),
            applied=applied,
        )
    finally:
        ledger.close()


@requires(Gate.OPEN)
def schema_version(ledger: Ledger) -> tuple[int, int]:
    return migrate.current_version(ledger.db), migrate.latest_version(ledger.db.dialect_name)


@requires(Gate.OPEN)
def business_today(ledger: Ledger) -> date:
    """Today in the business time zone: what date pickers start from (never the server's own date)."""
    return business_day(ledger.settings.zone)


class DemoAccount(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: str
    role: str
    # The published demo password, shown only while demo data is on.
    password: str | None


@requires(Permission.ADMINISTER)
def load_demo(ledger: Ledger, *, actor: Actor, force: bool = False) -> DemoLoad:
    """Load the demo set into an empty store, only while demo data is on. ``force`` reloads it into
    a store holding nothing else; a store with real data (or demo data off) is a ``Conflict``."""
    return load_demo_data(ledger, force=force)


@requires(Permission.ADMINISTER)
def demo_accounts(ledger: Ledger, *, actor: Actor) -> list[DemoAccount]:
    """The demo accounts active in this store (their passwords only while demo data is on)."""
    shown = ledger.settings.demo_data
    return [
        DemoAccount(
            email=email, role=DEMO_ACCOUNTS[email][0], password=demo_password(email) if shown else None
        )
        for email in active_demo_accounts(ledger)
    ]


# ---------------------------------------------------------------- users and roles


@requires(Permission.ADMINISTER)
def add_user(
    ledger: Ledger,
    *,
    email: str,
    roles: list[str],
    password: str | None,
    actor: Actor,
    display_name: str | None = None,
    request_id: str | None = None,
) -> UserView:
    parsed = users.parse_roles(roles)
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: users.add_user(
                conn,
                actor,
                email=email,
                roles=parsed,
                password=password,
                display_name=display_name,
                trace_id=trace_id,
            ),
            request_id=request_id,
            operation="users.add",
            parts=(email.strip().lower(), sorted(parsed), display_name, password is not None),
            model=UserView,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Permission.ADMINISTER)
def list_users(ledger: Ledger, *, actor: Actor) -> list[UserView]:
    with ledger.db.read() as conn:
        return users.list_users(conn)


@requires(Permission.ADMINISTER)
def set_user_roles(
    ledger: Ledger, *, email: str, roles: list[str], actor: Actor, request_id: str | None = None
) -> UserView:
    parsed = users.parse_roles(roles)
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: users.set_roles(conn, actor, email=email, roles=parsed, trace_id=trace_id),
            request_id=request_id,
            operation="users.roles",
            parts=(email.strip().lower(), sorted(parsed)),
            model=UserView,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Permission.ADMINISTER)
def set_user_active(
    ledger: Ledger, *, email: str, active: bool, actor: Actor, request_id: str | None = None
) -> UserView:
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: users.set_active(conn, actor, email=email, active=active, trace_id=trace_id),
            request_id=request_id,
            operation="users.active",
            parts=(email.strip().lower(), active),
            model=UserView,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Permission.ADMINISTER)
def update_user(
    ledger: Ledger,
    *,
    email: str,
    roles: list[str],
    active: bool,
    actor: Actor,
    request_id: str | None = None,
) -> UserView:
    """Save a user's roles and Active flag as the admin's form shows them, in one transaction (each
    change with its audit row): either both are saved or neither is; what did not change is not
    written."""
    parsed = users.parse_roles(roles)

    def work(conn: Connection) -> UserView:
        saved = users.get_user(conn, email)
        if frozenset(saved.roles) != parsed:
            saved = users.set_roles(conn, actor, email=email, roles=parsed, trace_id=trace_id)
        if saved.active != active:
            saved = users.set_active(conn, actor, email=email, active=active, trace_id=trace_id)
        return saved

    with traced() as trace_id:
        return run_once(
            ledger.db,
            work,
            request_id=request_id,
            operation="users.update",
            parts=(email.strip().lower(), sorted(parsed), active),
            model=UserView,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Permission.ADMINISTER)
def reset_password(
    ledger: Ledger, *, email: str, password: str, actor: Actor, request_id: str | None = None
) -> UserView:
    """An admin sets a local account's password (forgotten, or handed over): the lockout is lifted
    and every session of the user ends."""
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: users.set_password(
                conn, actor, email=email, password=password, action="PASSWORD_RESET", trace_id=trace_id
            ),
            request_id=request_id,
            operation="users.reset_password",
            # Never the password itself: the fingerprint is a fast hash kept in the request log.
            parts=(email.strip().lower(),),
            model=UserView,
            actor=actor,
            trace_id=trace_id,
        )


# ---------------------------------------------------------------- jobs and health


@requires(Permission.ADMINISTER)
def run_job(
    ledger: Ledger,
    name: str,
    *,
    actor: Actor,
    trigger: JobTrigger = JobTrigger.MANUAL,
    now: datetime | None = None,
) -> JobRunView:
    """Run a background job now. The scheduler calls it as ``SYSTEM_JOB`` with ``trigger=scheduled``."""
    return jobs.run_job(ledger, name, trigger=trigger, actor=actor, now=now)


@requires(Permission.ADMINISTER)
def list_job_runs(
    ledger: Ledger, *, actor: Actor, job_name: str | None = None, offset: int = 0, limit: int = 50
) -> Page[JobRunView]:
    return jobs.recent_runs(ledger, job_name=job_name, offset=offset, limit=limit)


@requires(Permission.ADMINISTER)
def last_job_runs(ledger: Ledger, *, actor: Actor) -> dict[str, JobRunView]:
    """The latest run of each job that has run (by job name)."""
    return jobs.last_runs(ledger)


@requires(Gate.OPEN)
def job_catalogue() -> dict[str, str]:
    return {name: definition.title for name, definition in jobs.CATALOGUE.items()}


@requires(Permission.ADMINISTER)
def health(ledger: Ledger, *, actor: Actor) -> HealthReport:
    return _health(ledger)


__all__ = [
    "SYSTEM_JOB",
    "DemoAccount",
    "DemoLoad",
    "HealthReport",
    "JobRunView",
    "UpgradeResult",
    "UserView",
    "add_user",
    "db_upgrade",
    "demo_accounts",
    "health",
    "job_catalogue",
    "last_job_runs",
    "list_job_runs",
    "list_users",
    "load_demo",
    "reset_password",
    "run_job",
    "schema_version",
    "set_user_active",
    "set_user_roles",
    "update_user",
]
