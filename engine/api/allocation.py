"""The stores desk, stock side (seed 001): SAP stock snapshots, allocation runs, pick lists."""

from __future__ import annotations

from datetime import date

from engine.allocation import picklist
from engine.allocation import run as allocation
from engine.allocation import view as allocation_view
from engine.allocation.models import AllocationResult
from engine.allocation.picklist import PickList
from engine.allocation.view import AllocationRow, TagAllocation
from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.clock import business_day, next_working_day
from engine.errors import NotFound, ValidationError
from engine.exports import FileDownload, TableFormat, table_file
from engine.handle import Ledger
from engine.ledger.files import sha256_hex
from engine.ledger.requests import run_once
from engine.logs import traced
from engine.mapping.master import MasterData
from engine.progress import Progress, no_progress
from engine.stock import freshness, snapshot
from engine.stock.freshness import StaleSnapshot, StockRule, StockStatus
from engine.stock.snapshot import SnapshotSummary, UnitTotal
from engine.vocab import JobTrigger


@requires(Permission.WORK_STORES)
def import_stock(
    ledger: Ledger, content: bytes, file_name: str, *, actor: Actor, request_id: str | None = None
) -> SnapshotSummary:
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: snapshot.import_snapshot(
                ledger.db, conn, ledger.files, content, file_name, actor=actor, trace_id=trace_id
            ),
            request_id=request_id,
            operation="stock.import",
            parts=(sha256_hex(content), file_name),
            model=SnapshotSummary,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Permission.WORK_STORES)
def export_stock(
    ledger: Ledger, *, fmt: TableFormat | str, actor: Actor, snapshot_id: str | None = None
) -> FileDownload:
    """A snapshot (the latest unless one is named) in the columns an import takes."""
    with ledger.db.read() as conn:
        if snapshot_id is None:
            latest = snapshot.latest_snapshot(conn)
            if latest is None:
                raise NotFound("No stock snapshot has been loaded yet.")
            snapshot_id = latest.snapshot_id
        rows = snapshot.export_snapshot(conn, snapshot_id)
    if not rows:
        raise NotFound(f"No stock snapshot {snapshot_id}.", snapshot_id=snapshot_id)
    day = rows[0]["snapshot_date"]
    assert isinstance(day, date)
    stem = snapshot.snapshot_file_stem(day)
    return table_file(stem, snapshot.SNAPSHOT_COLUMNS, rows, fmt=fmt)


@requires(Permission.WORK_STORES)
def stock_status(ledger: Ledger, *, actor: Actor, for_date: date | None = None) -> StockStatus:
    """The latest snapshot, and whether it is recent enough to allocate for ``for_date`` (the next
    working day by default): the rule the allocation itself applies."""
    settings = ledger.settings
    target = for_date or next_working_day(business_day(settings.zone), settings.working_weekdays)
    with ledger.db.read() as conn:
        latest = snapshot.latest_snapshot(conn, on_or_before=target)
    return freshness.stock_status(latest, target, StockRule.from_settings(settings))


@requires(Permission.WORK_STORES)
def allocate(
    ledger: Ledger,
    *,
    run_date: date | None = None,
    tag_id: str | None = None,
    accept_stale: bool = False,
    actor: Actor,
    trigger: JobTrigger = JobTrigger.MANUAL,
    progress: Progress = no_progress,
    request_id: str | None = None,
) -> AllocationResult:
    """Allocate a date (or one tag's date). A snapshot older than the stock rule allows is refused
    (``StaleSnapshot``) unless ``accept_stale`` says the caller knows and wants it anyway."""
    tag_id = (tag_id or "").strip().upper() or None  # as typed: " tag-20270104-0001 " is that tag
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: allocation.run_allocation(
                ledger.db,
                conn,
                MasterData.load(conn),
                run_date=run_date,
                tag_id=tag_id,
                rule=StockRule.from_settings(ledger.settings),
                accept_stale=accept_stale,
                actor=actor,
                trace_id=trace_id,
                trigger=trigger,
                progress=progress,
            ),
            request_id=request_id,
            operation="allocation.run",
            parts=(run_date, tag_id, accept_stale),
            model=AllocationResult,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Permission.WORK_STORES)
def current_allocation(
    ledger: Ledger, run_date: date, *, actor: Actor, tag_id: str | None = None
) -> list[AllocationRow]:
    with ledger.db.read() as conn:
        return allocation_view.current_rows(conn, run_date, tag_id)


@requires(Permission.VIEW_TAGS)
def allocation_status(ledger: Ledger, tag_id: str, *, actor: Actor) -> TagAllocation:
    """The seed's allocation status of one tag: its status and its latest current allocation."""
    with ledger.db.read() as conn:
        return allocation_view.tag_allocation(conn, tag_id)


@requires(Permission.WORK_STORES)
def pick_list(ledger: Ledger, run_date: date, *, actor: Actor, tag_id: str | None = None) -> PickList:
    with ledger.db.read() as conn:
        return picklist.pick_list(conn, run_date, tag_id)


@requires(Permission.WORK_STORES)
def pick_list_file(
    ledger: Ledger, run_date: date, *, fmt: str, actor: Actor, tag_id: str | None = None
) -> FileDownload:
    with ledger.db.read() as conn:
        picks = picklist.pick_list(conn, run_date, tag_id)
    stem = picks.file_stem
    if fmt == "pdf":
        return FileDownload(
            file_name=f"{stem}.pdf", content=picklist.to_pdf(picks), media_type="application/pdf"
        )
    if fmt == "csv":
        return FileDownload(file_name=f"{stem}.csv", content=picklist.to_csv(picks), media_type="text/csv")
    raise ValidationError(f"Pick list format {fmt!r}: use csv or pdf.", field="format")


__all__ = [
    "AllocationResult",
    "AllocationRow",
    "PickList",
    "SnapshotSummary",
    "StaleSnapshot",
    "StockStatus",
    "UnitTotal",
    "allocate",
    "current_allocation",
    "export_stock",
    "import_stock",
    "pick_list",
    "pick_list_file",
    "stock_status",
]
