"""The engine's public functions: what the console, the jobs, the CLI and scripts call.

Each authoritative call takes the ``Ledger`` handle and the acting ``Actor``, binds a trace id for
everything it causes, checks the actor's roles, and runs its writes as one transaction that also
writes the audit row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.allocation import picklist
from engine.allocation import run as allocation
from engine.allocation import view as allocation_view
from engine.allocation.picklist import PickList
from engine.allocation.run import AllocationResult
from engine.allocation.view import AllocationRow
from engine.auth import sessions, users
from engine.auth.roles import CLI_OPERATOR, SYSTEM_JOB, Actor, Permission, require
from engine.clock import business_day, next_working_day, previous_working_day
from engine.config import Settings
from engine.errors import AuthenticationFailed, NotFound, ValidationError
from engine.handle import Ledger, open_ledger
from engine.ledger import audit, exceptions, inbox
from engine.ledger.audit import AuditEntry, record_action
from engine.ledger.exceptions import ExceptionView
from engine.ledger.files import check_display_name
from engine.ledger.inbox import InboxMessage
from engine.logs import traced
from engine.lpos import master as lpos
from engine.lpos.master import ImportSummary, LpoBalance
from engine.mapping import requests as lookups
from engine.mapping import review
from engine.mapping.coverage import CoverageReport, coverage_report
from engine.mapping.lookup import LineInput, Outcome, lookup
from engine.mapping.lookup import lookup_batch as _lookup_batch
from engine.mapping.master import MasterData, cache_for
from engine.mapping.requests import LookupRequest, LookupResult
from engine.mapping.review import ResolveResult, ReviewItem
from engine.materials import importer
from engine.materials.importer import ImportResult
from engine.materials.kinds import SPECS, Kind
from engine.operations import jobs
from engine.operations.health import HealthReport
from engine.operations.health import health as _health
from engine.operations.jobs import JobRunView
from engine.progress import Progress, no_progress
from engine.stock import snapshot
from engine.stock.snapshot import SnapshotSummary
from engine.store import migrate
from engine.tags import ingest, queries, replace
from engine.tags.models import IngestRequest, IngestResult, ReplaceRequest, TagDetail, TagSummary
from engine.tags.replace import ReplaceResult
from engine.vocab import (
    Desk,
    ExceptionAction,
    ExceptionKind,
    ExceptionStatus,
    JobTrigger,
    Role,
    Source,
    TagStatus,
)

__all__ = [
    "CLI_OPERATOR",
    "SYSTEM_JOB",
    "Actor",
    "AllocationResult",
    "AllocationRow",
    "AuditEntry",
    "CoverageReport",
    "ExceptionView",
    "FileDownload",
    "HealthReport",
    "ImportResult",
    "ImportSummary",
    "InboxMessage",
    "IngestRequest",
    "IngestResult",
    "JobRunView",
    "Kind",
    "Ledger",
    "LineInput",
    "LookupRequest",
    "LookupResult",
    "LpoBalance",
    "MasterData",
    "Outcome",
    "PickList",
    "ReplaceRequest",
    "ReplaceResult",
    "ResolveResult",
    "ReviewItem",
    "Settings",
    "SignIn",
    "SnapshotSummary",
    "StockStatus",
    "TagDetail",
    "TagSummary",
    "UpgradeResult",
    "act_on_exception",
    "actor_for",
    "add_user",
    "allocate",
    "cookie_secret",
    "coverage",
    "current_allocation",
    "db_upgrade",
    "demo_accounts",
    "export_materials",
    "export_stock",
    "get_exception",
    "health",
    "import_lpos",
    "import_materials",
    "import_stock",
    "ingest_tag",
    "issue_sign_in_code",
    "job_catalogue",
    "list_exceptions",
    "list_inbox",
    "list_job_runs",
    "list_lpos",
    "list_materials",
    "list_tags",
    "list_users",
    "load_demo",
    "lookup_batch",
    "lookup_material",
    "mapping_master",
    "mark_inbox_read",
    "open_ledger",
    "pick_list",
    "pick_list_file",
    "redeem_sign_in_code",
    "replace_tag",
    "resolve_review",
    "resolve_session",
    "review_queue",
    "run_job",
    "save_materials",
    "schema_version",
    "search_audit",
    "set_user_active",
    "set_user_roles",
    "show_tag",
    "sign_in",
    "sign_in_oidc",
    "sign_out",
    "stock_status",
    "tag_file",
]


# ---------------------------------------------------------------- store


class UpgradeResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    database: str
    from_version: int
    to_version: int
    applied: list[int]


def db_upgrade(settings: Settings | None = None) -> UpgradeResult:
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


def schema_version(ledger: Ledger) -> tuple[int, int]:
    return migrate.current_version(ledger.db), migrate.latest_version(ledger.db.dialect_name)


def load_demo(ledger: Ledger, *, force: bool = False) -> dict[str, object]:
    from engine.demo.loader import load_demo_data

    return load_demo_data(ledger, force=force)


def demo_accounts(ledger: Ledger) -> list[dict[str, str]]:
    """The demo accounts that exist in this store, with their demo passwords."""
    from engine.demo.loader import DEMO_ACCOUNTS, demo_password

    with ledger.db.read() as conn:
        present = [email for email in DEMO_ACCOUNTS if _user_exists(conn, email)]
    return [{"email": e, "password": demo_password(e), "role": DEMO_ACCOUNTS[e][0]} for e in present]


def _user_exists(conn: Connection, email: str) -> bool:
    try:
        users.get_user(conn, email)
    except NotFound:
        return False
    return True


# ---------------------------------------------------------------- users and sign-in


def actor_for(ledger: Ledger, email: str, *, source: Source) -> Actor:
    with ledger.db.read() as conn:
        return users.actor_for(conn, email, source)


def add_user(
    ledger: Ledger,
    *,
    email: str,
    roles: list[str],
    password: str | None,
    actor: Actor,
    display_name: str | None = None,
) -> users.UserView:
    parsed = users.parse_roles(roles)
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: users.add_user(
                conn,
                actor,
                email=email,
                roles=parsed,
                password=password,
                display_name=display_name,
                trace_id=trace_id,
            )
        )


def list_users(ledger: Ledger, *, actor: Actor) -> list[users.UserView]:
    with ledger.db.read() as conn:
        return users.list_users(conn, actor)


def set_user_roles(ledger: Ledger, *, email: str, roles: list[str], actor: Actor) -> users.UserView:
    parsed = users.parse_roles(roles)
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: users.set_roles(conn, actor, email=email, roles=parsed, trace_id=trace_id)
        )


def set_user_active(ledger: Ledger, *, email: str, active: bool, actor: Actor) -> users.UserView:
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: users.set_active(conn, actor, email=email, active=active, trace_id=trace_id)
        )


class SignIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    email: str
    roles: list[Role]


def sign_in(ledger: Ledger, *, email: str, password: str) -> SignIn:
    """Local account sign-in; raises ``AuthenticationFailed`` with the reason to show."""
    settings = ledger.settings
    with traced() as trace_id:

        def work(conn: Connection) -> tuple[users.SignInOutcome, str | None, frozenset[Role]]:
            outcome = users.check_credentials(
                conn,
                email,
                password,
                lockout_attempts=settings.lockout_attempts,
                lockout_minutes=settings.lockout_minutes,
                trace_id=trace_id,
            )
            if not outcome.ok:
                return outcome, None, frozenset()
            roles = users.roles_of(conn, outcome.email)
            if not roles:
                return (
                    users.SignInOutcome(
                        outcome.email, False, message="Your account has no roles yet; ask an admin."
                    ),
                    None,
                    roles,
                )
            session_id = sessions.start_session(conn, outcome.email, method="password")
            actor = Actor(email=outcome.email, roles=roles, source=Source.CONSOLE)
            record_action(
                conn,
                actor,
                "SIGN_IN",
                entity_type="user",
                entity_id=outcome.email,
                trace_id=trace_id,
                after={"method": "password"},
            )
            return outcome, session_id, roles

        outcome, session_id, roles = ledger.db.write(work)
    if session_id is None:
        raise AuthenticationFailed(outcome.message, email=outcome.email)
    return SignIn(session_id=session_id, email=outcome.email, roles=sorted(roles))


def sign_in_oidc(ledger: Ledger, *, email: str) -> SignIn:
    """After the identity provider vouched for ``email`` (``st.login``): a session for the stored user."""
    with traced() as trace_id:

        def work(conn: Connection) -> SignIn:
            try:
                actor = users.actor_for(conn, email, Source.CONSOLE)
            except NotFound as missing:
                raise AuthenticationFailed(f"{email} has no OpsLedger account yet.") from missing
            if not actor.roles:
                raise AuthenticationFailed(f"{actor.email} has no OpsLedger roles yet; ask an admin.")
            session_id = sessions.start_session(conn, actor.email, method="oidc")
            record_action(
                conn,
                actor,
                "SIGN_IN",
                entity_type="user",
                entity_id=actor.email,
                trace_id=trace_id,
                after={"method": "oidc"},
            )
            return SignIn(session_id=session_id, email=actor.email, roles=sorted(actor.roles))

        return ledger.db.write(work)


def issue_sign_in_code(ledger: Ledger, session_id: str) -> str:
    return ledger.db.write(lambda conn: sessions.issue_sign_in_code(conn, session_id))


def redeem_sign_in_code(ledger: Ledger, code: str) -> str | None:
    return ledger.db.write(lambda conn: sessions.redeem_sign_in_code(conn, code))


def resolve_session(ledger: Ledger, session_id: str | None) -> Actor | None:
    if not session_id:
        return None
    idle = ledger.settings.session_idle_minutes
    return ledger.db.write(lambda conn: sessions.resolve_session(conn, session_id, idle_minutes=idle))


def sign_out(ledger: Ledger, session_id: str, *, actor: Actor) -> None:
    with traced() as trace_id:

        def work(conn: Connection) -> None:
            if sessions.end_session(conn, session_id):
                record_action(
                    conn, actor, "SIGN_OUT", entity_type="user", entity_id=actor.email, trace_id=trace_id
                )

        ledger.db.write(work)


def cookie_secret(ledger: Ledger) -> str:
    return sessions.cookie_secret(ledger.settings)


# ---------------------------------------------------------------- LPOs


def import_lpos(ledger: Ledger, content: bytes, *, actor: Actor) -> ImportSummary:
    records = lpos.read_lpo_csv(content)
    with traced() as trace_id:
        summary = ledger.db.write(lambda conn: lpos.import_lpos(conn, actor, records, trace_id=trace_id))
    _mapping_changed(ledger)
    return summary


def list_lpos(ledger: Ledger, *, actor: Actor) -> list[LpoBalance]:
    with ledger.db.read() as conn:
        return lpos.list_balances(conn, actor)


# ---------------------------------------------------------------- tags


def ingest_tag(
    ledger: Ledger,
    request: IngestRequest,
    *,
    actor: Actor,
    trace_id: str | None = None,
    progress: Progress = no_progress,
) -> IngestResult:
    with traced(trace_id) as trace:
        run = ingest.IngestRun(
            request=request,
            actor=actor,
            trace_id=trace,
            settings=ledger.settings,
            files=ledger.files,
            store=ledger.db,
        )
        return ingest.run_ingest(ledger.db, run, progress=progress)


def replace_tag(ledger: Ledger, request: ReplaceRequest, *, actor: Actor) -> ReplaceResult:
    with traced() as trace_id:
        return replace.replace_tag_sheet(
            ledger.db, ledger.files, ledger.settings, request, actor=actor, trace_id=trace_id
        )


def list_tags(
    ledger: Ledger,
    *,
    actor: Actor,
    lpo_id: str | None = None,
    status: TagStatus | None = None,
    delivery_from: date | None = None,
    delivery_to: date | None = None,
) -> list[TagSummary]:
    with ledger.db.read() as conn:
        return queries.list_tags(
            conn, actor, lpo_id=lpo_id, status=status, delivery_from=delivery_from, delivery_to=delivery_to
        )


def show_tag(ledger: Ledger, tag_id: str, *, actor: Actor) -> TagDetail:
    with ledger.db.read() as conn:
        return queries.get_tag(conn, actor, tag_id)


class FileDownload(BaseModel):
    model_config = ConfigDict(frozen=True)

    file_name: str
    media_type: str
    content: bytes


def tag_file(ledger: Ledger, tag_id: str, *, actor: Actor, version: int | None = None) -> FileDownload:
    with ledger.db.read() as conn:
        stored, name, content = queries.read_tag_file(conn, ledger.files, actor, tag_id, version=version)
    return FileDownload(file_name=name, media_type=stored.media_type, content=content)


# ---------------------------------------------------------------- exceptions, inbox, audit


def list_exceptions(
    ledger: Ledger,
    *,
    actor: Actor,
    kind: ExceptionKind | None = None,
    status: ExceptionStatus | None = None,
    desk: Desk | None = None,
    tag_id: str | None = None,
    overdue_only: bool = False,
) -> list[ExceptionView]:
    with ledger.db.read() as conn:
        return exceptions.list_exceptions(
            conn, actor, kind=kind, status=status, desk=desk, tag_id=tag_id, overdue_only=overdue_only
        )


def get_exception(ledger: Ledger, exception_id: str, *, actor: Actor) -> ExceptionView:
    require(actor, Permission.READ_LEDGER)
    with ledger.db.read() as conn:
        return exceptions.get_exception(conn, exception_id)


def act_on_exception(
    ledger: Ledger,
    exception_id: str,
    action: ExceptionAction,
    *,
    actor: Actor,
    notes: str | None = None,
    assignee: str | None = None,
    expected_version: int | None = None,
) -> ExceptionView:
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: exceptions.act_on_exception(
                conn,
                exception_id,
                action,
                actor=actor,
                trace_id=trace_id,
                notes=notes,
                assignee=assignee,
                expected_version=expected_version,
            )
        )


def list_inbox(ledger: Ledger, *, actor: Actor, unread_only: bool = False) -> list[InboxMessage]:
    with ledger.db.read() as conn:
        return inbox.list_inbox(conn, actor, unread_only=unread_only)


def mark_inbox_read(ledger: Ledger, message_ids: list[str], *, actor: Actor) -> int:
    with traced() as trace_id:

        def work(conn: Connection) -> int:
            count = inbox.mark_read(conn, actor, message_ids)
            if count:
                record_action(
                    conn,
                    actor,
                    "INBOX_READ",
                    entity_type="inbox",
                    entity_id=",".join(message_ids)[:100],
                    trace_id=trace_id,
                    after={"messages": count},
                )
            return count

        return ledger.db.write(work)


def search_audit(
    ledger: Ledger,
    *,
    actor: Actor,
    trace_id: str | None = None,
    entity_id: str | None = None,
    user: str | None = None,
) -> list[AuditEntry]:
    with ledger.db.read() as conn:
        return audit.search_audit(conn, actor, trace_id=trace_id, entity_id=entity_id, user=user)


# ---------------------------------------------------------------- operations


def run_job(
    ledger: Ledger,
    name: str,
    *,
    actor: Actor = SYSTEM_JOB,
    trigger: JobTrigger = JobTrigger.MANUAL,
    now: datetime | None = None,
) -> JobRunView:
    return jobs.run_job(ledger, name, trigger=trigger, actor=actor, now=now)


def list_job_runs(ledger: Ledger, *, actor: Actor, job_name: str | None = None) -> list[JobRunView]:
    require(actor, Permission.ADMINISTER)
    return jobs.recent_runs(ledger, job_name=job_name)


def job_catalogue() -> dict[str, str]:
    return {name: definition.title for name, definition in jobs.CATALOGUE.items()}


def health(ledger: Ledger, *, actor: Actor) -> HealthReport:
    require(actor, Permission.ADMINISTER)
    return _health(ledger)


# ---------------------------------------------------------------- stores desk: mapping


def mapping_master(ledger: Ledger) -> MasterData:
    """The master data every lookup uses (cached; reloaded when a mapping table changes)."""
    return cache_for(ledger.db, check_seconds=ledger.settings.mapping_cache_seconds).get()


def _mapping_changed(ledger: Ledger) -> None:
    cache_for(ledger.db, check_seconds=ledger.settings.mapping_cache_seconds).invalidate()


def lookup_material(ledger: Ledger, request: LookupRequest, *, actor: Actor) -> LookupResult:
    """One line through the mapping rules. With a line id the decision is recorded once (history,
    review exception) and a repeat returns it; without one nothing is written."""
    require(actor, Permission.READ_LEDGER)
    with traced() as trace_id:
        if request.line_id is None:
            master = mapping_master(ledger)
            return lookups.result(lookup(master, lookups.line_for(master, request)), trace_id=trace_id)
        return ledger.db.write(
            lambda conn: lookups.record_lookup(
                ledger.db, conn, mapping_master(ledger), request, actor=actor, trace_id=trace_id
            ),
            retry_integrity=True,
        )


def lookup_batch(ledger: Ledger, lines: list[LineInput]) -> list[Outcome]:
    """Decide many lines at once (pure: nothing is written)."""
    return _lookup_batch(mapping_master(ledger), lines)


def review_queue(ledger: Ledger, *, actor: Actor) -> list[ReviewItem]:
    with ledger.db.read() as conn:
        return review.review_queue(conn, mapping_master(ledger), actor)


def resolve_review(
    ledger: Ledger,
    exception_id: str,
    *,
    canonical_code: str,
    sap_code: str | None,
    scope: str,
    scope_value: str | None,
    actor: Actor,
) -> ResolveResult:
    with traced() as trace_id:
        result = ledger.db.write(
            lambda conn: review.resolve_review(
                ledger.db,
                conn,
                exception_id,
                canonical_code=canonical_code,
                sap_code=sap_code,
                scope=scope,
                scope_value=scope_value,
                actor=actor,
                trace_id=trace_id,
            )
        )
    _mapping_changed(ledger)
    return result


def import_materials(
    ledger: Ledger, kind: Kind, content: bytes, file_name: str, *, actor: Actor
) -> ImportResult:
    rows = importer.read_rows(content, check_display_name(file_name))
    return save_materials(ledger, kind, rows, actor=actor)


def save_materials(
    ledger: Ledger, kind: Kind, rows: list[tuple[int, dict[str, object]]], *, actor: Actor
) -> ImportResult:
    """An import or an editor save: all rows valid, or nothing changes."""
    with traced() as trace_id:
        result = ledger.db.write(
            lambda conn: importer.import_rows(ledger.db, conn, kind, rows, actor=actor, trace_id=trace_id)
        )
    _mapping_changed(ledger)
    return result


def list_materials(ledger: Ledger, kind: Kind, *, actor: Actor) -> list[dict[str, object]]:
    require(actor, Permission.READ_LEDGER)
    with ledger.db.read() as conn:
        return importer.export_rows(conn, kind)


def export_materials(ledger: Ledger, kind: Kind, *, fmt: str, actor: Actor) -> FileDownload:
    rows = list_materials(ledger, kind, actor=actor)
    return _table_file(kind.value, SPECS[kind].columns, rows, fmt=fmt)


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _table_file(
    stem: str, columns: tuple[str, ...], rows: list[dict[str, object]], *, fmt: str
) -> FileDownload:
    """Rows as the .csv or .xlsx file an import takes back."""
    if fmt == "xlsx":
        return FileDownload(
            file_name=f"{stem}.xlsx", content=importer.to_xlsx(columns, rows, title=stem), media_type=_XLSX
        )
    if fmt == "csv":
        return FileDownload(
            file_name=f"{stem}.csv", content=importer.to_csv(columns, rows), media_type="text/csv"
        )
    raise ValidationError(f"Export format {fmt!r}: use csv or xlsx.", field="format")


# ---------------------------------------------------------------- stores desk: stock and allocation


def import_stock(ledger: Ledger, content: bytes, file_name: str, *, actor: Actor) -> SnapshotSummary:
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: snapshot.import_snapshot(
                ledger.db, conn, ledger.files, content, file_name, actor=actor, trace_id=trace_id
            )
        )


def export_stock(ledger: Ledger, *, fmt: str, actor: Actor, snapshot_id: str | None = None) -> FileDownload:
    """A snapshot (the latest unless one is named) in the columns an import takes."""
    require(actor, Permission.READ_LEDGER)
    with ledger.db.read() as conn:
        if snapshot_id is None:
            latest = snapshot.latest_snapshot(conn)
            if latest is None:
                raise NotFound("No stock snapshot has been loaded yet.")
            snapshot_id = latest.snapshot_id
        rows = snapshot.export_snapshot(conn, snapshot_id)
    if not rows:
        raise NotFound(f"No stock snapshot {snapshot_id}.", snapshot_id=snapshot_id)
    stem = f"stock_{rows[0]['snapshot_date']:%Y%m%d}"
    return _table_file(stem, snapshot.SNAPSHOT_COLUMNS, rows, fmt=fmt)


class StockStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    latest: SnapshotSummary | None
    for_date: date
    oldest_acceptable: date
    stale: bool
    message: str


def stock_status(ledger: Ledger, *, actor: Actor, for_date: date | None = None) -> StockStatus:
    """The latest snapshot, and whether it is recent enough to allocate for ``for_date`` (the next
    working day by default): the snapshot must be from the working day before it, or later."""
    require(actor, Permission.READ_LEDGER)
    settings = ledger.settings
    target = for_date or next_working_day(business_day(settings.zone), settings.working_weekdays)
    oldest = previous_working_day(target, settings.working_weekdays) - timedelta(
        days=settings.snapshot_max_age_days - 1
    )
    with ledger.db.read() as conn:
        latest = snapshot.latest_snapshot(conn, on_or_before=target)
    if latest is None:
        return StockStatus(
            latest=None,
            for_date=target,
            oldest_acceptable=oldest,
            stale=True,
            message=f"No stock snapshot yet for {target}: upload the SAP snapshot.",
        )
    stale = latest.snapshot_date < oldest
    message = (
        f"The latest snapshot is from {latest.snapshot_date}; allocating for {target} needs one from "
        f"{oldest} or later."
        if stale
        else f"Snapshot of {latest.snapshot_date} is current for {target}."
    )
    return StockStatus(latest=latest, for_date=target, oldest_acceptable=oldest, stale=stale, message=message)


def allocate(
    ledger: Ledger,
    *,
    run_date: date | None = None,
    tag_id: str | None = None,
    actor: Actor,
    trigger: str = "manual",
    progress: Progress = no_progress,
) -> AllocationResult:
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: allocation.run_allocation(
                ledger.db,
                conn,
                MasterData.load(conn),
                run_date=run_date,
                tag_id=tag_id,
                actor=actor,
                trace_id=trace_id,
                trigger=trigger,
                progress=progress,
            )
        )


def current_allocation(
    ledger: Ledger, run_date: date, *, actor: Actor, tag_id: str | None = None
) -> list[AllocationRow]:
    require(actor, Permission.READ_LEDGER)
    with ledger.db.read() as conn:
        return allocation_view.current_rows(conn, run_date, tag_id)


def pick_list(ledger: Ledger, run_date: date, *, actor: Actor, tag_id: str | None = None) -> PickList:
    require(actor, Permission.READ_LEDGER)
    with ledger.db.read() as conn:
        return picklist.pick_list(conn, run_date, tag_id)


def pick_list_file(
    ledger: Ledger, run_date: date, *, fmt: str, actor: Actor, tag_id: str | None = None
) -> FileDownload:
    picks = pick_list(ledger, run_date, actor=actor, tag_id=tag_id)
    stem = f"picklist_{run_date:%Y%m%d}" + (f"_{tag_id}" if tag_id else "")
    if fmt == "pdf":
        return FileDownload(
            file_name=f"{stem}.pdf", content=picklist.to_pdf(picks), media_type="application/pdf"
        )
    if fmt == "csv":
        return FileDownload(file_name=f"{stem}.csv", content=picklist.to_csv(picks), media_type="text/csv")
    raise ValidationError(f"Pick list format {fmt!r}: use csv or pdf.", field="format")


def coverage(ledger: Ledger, *, actor: Actor) -> CoverageReport:
    require(actor, Permission.READ_LEDGER)
    with ledger.db.read() as conn:
        return coverage_report(conn)
