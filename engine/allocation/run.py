"""Stock allocation (DOMAIN "Allocation"): the mapped, tracked lines of the tags due on a date (or of
one tag) draw SAP stock from the latest snapshot, SKU by SKU in the LPO's brand-map priority.

A run is a short list of stages in one transaction: take the allocation lock, settle the date and the
snapshot (a stale one only when the caller accepts it), read the due lines, release the date's
earlier rows of the same tags, read what is available, draw line by line, raise and settle the
exceptions, write the run's rows and its audit row.

Runs are serialised by one lock row, because stock is shared across dates: a run's availability must
include what the run before it took (two concurrent runs once left 6 live boxes of a 3-box SKU).
Tags are served in a fixed order (delivery date, upload time, tag id), so a batch and the same tags
one by one give the same result. A rerun for a date replaces that date's earlier rows for the same
tags (they are marked superseded and take nothing), so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.allocation.draw import allocate_line
from engine.allocation.models import AllocatedLine, AllocationResult, DueLine, SkuTake
from engine.allocation.problems import Problems, record_problems, settle_stale, shortage
from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import Conflict, NotFound, ValidationError
from engine.ids import new_ulid, new_ulids
from engine.ledger.audit import record_action
from engine.mapping.master import MasterData
from engine.progress import Progress, no_progress
from engine.stock.freshness import StockRule, check_fresh, stock_status
from engine.stock.snapshot import SnapshotSummary, latest_snapshot
from engine.store.gateway import Database
from engine.store.schema import allocation_line, allocation_log, allocation_run, app_state, tag_sheet
from engine.store.sqlfiles import load_sql
from engine.vocab import AllocationStatus, JobTrigger, MappingStatus, TagStatus

LOCK_ROW = "allocation"  # the app_state row every run (and every release) updates first
_SKIP_REASONS = {
    MappingStatus.REVIEW: "waits for a mapping review",
    MappingStatus.NO_CONVERSION: "its unit has no conversion rule",
    MappingStatus.NOT_TRACKED: "not tracked (never allocated)",
}
NO_SKU_REASON = "no SKU for this material (no brand map, no SKU from the mapping, no default SKU)"
SHORT_REASON = "not enough stock"
_PROGRESS_EVERY = 500  # lines between two progress reports


@dataclass(frozen=True)
class RunContext:
    """Who runs what: the parts every stage after the snapshot check needs."""

    run_id: str
    run_date: date
    tag_id: str | None
    snapshot: SnapshotSummary
    stale_accepted: bool
    trigger: JobTrigger
    actor: Actor
    trace_id: str
    created_at: datetime


def run_allocation(
    db: Database,
    conn: Connection,
    master: MasterData,
    *,
    run_date: date | None,
    tag_id: str | None,
    rule: StockRule,
    accept_stale: bool = False,
    actor: Actor,
    trace_id: str,
    trigger: JobTrigger,
    progress: Progress = no_progress,
) -> AllocationResult:
    lock_allocations(conn)
    run = _context(
        conn,
        run_date=run_date,
        tag_id=tag_id,
        rule=rule,
        accept_stale=accept_stale,
        actor=actor,
        trace_id=trace_id,
        trigger=trigger,
    )
    due = [DueLine.from_row(row) for row in _due_rows(conn, run.run_date, tag_id)]
    tags = sorted({line.tag_id for line in due})
    progress(f"Releasing earlier allocations of {len(tags)} tag(s)", 0, max(len(due), 1))
    _supersede(conn, tags, run.run_date)
    available = available_stock(conn, run.snapshot, rule)
    lines, problems = _draw(master, due, available, progress)
    lines = record_problems(db, conn, lines, problems, tags, actor=actor, trace_id=trace_id)
    result = _result(run, tags, lines)
    _write(db, conn, run, result)
    settle_stale(conn, run.run_date, run.run_id, actor=actor, trace_id=trace_id)
    _audit(conn, run, result)
    progress("Done", len(due), max(len(due), 1))
    return result


def lock_allocations(conn: Connection) -> None:
    """Every run, and every release of a tag's allocations, starts here. On a server database the row
    lock queues them until the holder commits; the next one then reads what it took. (On DuckDB the
    gateway already serialises a process's writes, and a second process cannot open the file.)"""
    locked = conn.execute(
        sa.update(app_state)
        .where(app_state.c.name == LOCK_ROW)
        .values(counter=app_state.c.counter + 1, updated_at=utcnow())
        .returning(app_state.c.counter)
    ).first()
    if locked is None:  # migration 0004 creates the row; a store that lost it gets it back
        conn.execute(app_state.insert().values(name=LOCK_ROW, counter=1, updated_at=utcnow()))


def release_tag(conn: Connection, tag_id: str) -> None:
    """A replaced sheet's old lines give their stock back (every date)."""
    lock_allocations(conn)
    _supersede(conn, [tag_id])


def available_stock(conn: Connection, snapshot: SnapshotSummary, rule: StockRule) -> dict[str, Decimal]:
    """SAP units per SKU: the snapshot less the live allocations made since its date."""
    params = {"snapshot_id": snapshot.snapshot_id, "since": rule.counted_since(snapshot.snapshot_date)}
    return {
        row.sap_code: Decimal(row.available)
        for row in conn.execute(load_sql("allocation/available_stock"), params)
    }


# ---------------------------------------------------------------- stages


def _context(
    conn: Connection,
    *,
    run_date: date | None,
    tag_id: str | None,
    rule: StockRule,
    accept_stale: bool,
    actor: Actor,
    trace_id: str,
    trigger: JobTrigger,
) -> RunContext:
    """The run date (a tag's delivery date when a tag is named) and the snapshot to draw from."""
    if tag_id:
        run_date = _tag_date(conn, tag_id)
    if run_date is None:
        raise ValidationError("Give a date or a tag to allocate.", field="date")
    status = stock_status(latest_snapshot(conn, on_or_before=run_date), run_date, rule)
    snapshot = check_fresh(status, accept_stale=accept_stale)
    return RunContext(
        run_id=new_ulid(),
        run_date=run_date,
        tag_id=tag_id,
        snapshot=snapshot,
        stale_accepted=status.stale,
        trigger=trigger,
        actor=actor,
        trace_id=trace_id,
        created_at=utcnow(),
    )


def _tag_date(conn: Connection, tag_id: str) -> date:
    tag = conn.execute(
        sa.select(tag_sheet.c.requested_delivery_date, tag_sheet.c.status).where(tag_sheet.c.tag_id == tag_id)
    ).first()
    if tag is None:
        raise NotFound(f"No tag {tag_id}.", tag_id=tag_id)
    if tag.status != TagStatus.UPLOADED:
        raise Conflict(f"{tag_id} is {tag.status}; only UPLOADED tags are allocated.", tag_id=tag_id)
    return tag.requested_delivery_date


def _due_rows(conn: Connection, run_date: date, tag_id: str | None) -> Sequence[sa.Row]:
    return conn.execute(load_sql("allocation/due_lines"), {"run_date": run_date, "tag_id": tag_id}).all()


def _supersede(conn: Connection, tags: list[str], run_date: date | None = None) -> None:
    """The live allocation of the tags (of one date, or every date) takes nothing any more."""
    if not tags:
        return
    for table in (allocation_log, allocation_line):
        scope: list[sa.ColumnElement[bool]] = [table.c.tag_id.in_(tags), table.c.superseded.is_(False)]
        if run_date is not None:
            scope.append(table.c.run_date == run_date)
        conn.execute(sa.update(table).where(*scope).values(superseded=True))


def _draw(
    master: MasterData, due: list[DueLine], available: dict[str, Decimal], progress: Progress
) -> tuple[list[AllocatedLine], Problems]:
    """Every due line in the fixed order, each drawing from what the lines before it left."""
    lines: list[AllocatedLine] = []
    problems = Problems()
    for index, line in enumerate(due):
        lines.append(_draw_line(master, line, available, problems))
        if index % _PROGRESS_EVERY == _PROGRESS_EVERY - 1:
            progress(f"Allocated {index + 1} of {len(due)} lines", index + 1, len(due))
    return lines, problems


def _draw_line(
    master: MasterData, line: DueLine, available: dict[str, Decimal], problems: Problems
) -> AllocatedLine:
    if line.mapping_status is not MappingStatus.MAPPED or line.canonical_qty is None:
        reason = _SKIP_REASONS.get(line.mapping_status, "not mapped") if line.mapping_status else "not mapped"
        return _outcome(line, AllocationStatus.SKIPPED, [], Decimal(0), reason=reason)
    candidates = master.candidates(line.lpo_id, line.canonical_code or "", line.sap_code)
    if not candidates:
        problems.lack_sku(line)
        return _outcome(line, AllocationStatus.UNALLOCATED, [], line.canonical_qty, reason=NO_SKU_REASON)
    takes, missing = allocate_line(line.canonical_qty, candidates, available)
    if missing <= 0:
        return _outcome(line, AllocationStatus.ALLOCATED, takes, missing)
    problems.shortages[line.ingest_line_id] = shortage(line, missing, candidates, available, takes)
    status = AllocationStatus.PARTIAL if takes else AllocationStatus.UNALLOCATED
    return _outcome(line, status, takes, missing, reason=SHORT_REASON)


def _outcome(
    line: DueLine,
    status: AllocationStatus,
    takes: list[SkuTake],
    missing: Decimal,
    *,
    reason: str | None = None,
) -> AllocatedLine:
    skipped = status is AllocationStatus.SKIPPED
    return AllocatedLine(
        tag_id=line.tag_id,
        ingest_line_id=line.ingest_line_id,
        line_no=line.line_no,
        description=line.nesting_description,
        status=status,
        canonical_code=line.canonical_code,
        canonical_uom=line.canonical_uom,
        required_qty=line.canonical_qty,
        allocated_qty=sum((t.canonical_qty for t in takes), Decimal(0)),
        shortfall_qty=Decimal(0) if skipped else missing,
        exception_id=None,
        reason=reason,
        takes=takes,
    )


def _result(run: RunContext, tags: list[str], lines: list[AllocatedLine]) -> AllocationResult:
    counts = {status: sum(1 for line in lines if line.status is status) for status in AllocationStatus}
    return AllocationResult(
        run_id=run.run_id,
        run_date=run.run_date,
        tag_id=run.tag_id,
        snapshot_id=run.snapshot.snapshot_id,
        snapshot_date=run.snapshot.snapshot_date,
        stale_accepted=run.stale_accepted,
        tags=len(tags),
        lines_total=len(lines),
        lines_allocated=counts[AllocationStatus.ALLOCATED],
        lines_partial=counts[AllocationStatus.PARTIAL],
        lines_unallocated=counts[AllocationStatus.UNALLOCATED],
        lines_skipped=counts[AllocationStatus.SKIPPED],
        exceptions=list(dict.fromkeys(line.exception_id for line in lines if line.exception_id)),
        trace_id=run.trace_id,
        created_at=run.created_at,
        lines=lines,
    )


def _write(db: Database, conn: Connection, run: RunContext, result: AllocationResult) -> None:
    """The run, one ``allocation_line`` per line and one ``allocation_log`` row per SKU taken."""
    conn.execute(
        allocation_run.insert().values(
            run_id=run.run_id,
            run_date=run.run_date,
            tag_id=run.tag_id,
            snapshot_id=run.snapshot.snapshot_id,
            triggered_by=str(run.trigger),
            tags=result.tags,
            lines_total=result.lines_total,
            lines_allocated=result.lines_allocated,
            lines_partial=result.lines_partial,
            lines_unallocated=result.lines_unallocated,
            lines_skipped=result.lines_skipped,
            exceptions=len(result.exceptions),
            created_by=run.actor.email,
            created_at=run.created_at,
            trace_id=run.trace_id,
        )
    )
    db.bulk_insert(conn, allocation_line, [_line_row(run, line) for line in result.lines])
    db.bulk_insert(conn, allocation_log, _log_rows(run, result.lines))


def _line_row(run: RunContext, line: AllocatedLine) -> dict[str, object]:
    return {
        "run_id": run.run_id,
        "ingest_line_id": line.ingest_line_id,
        "tag_id": line.tag_id,
        "run_date": run.run_date,
        "status": str(line.status),
        "canonical_code": line.canonical_code,
        "canonical_uom": line.canonical_uom,
        "required_qty": line.required_qty,
        "allocated_qty": line.allocated_qty,
        "shortfall_qty": line.shortfall_qty,
        "exception_id": line.exception_id,
        "reason": line.reason,
        "superseded": False,
    }


def _log_rows(run: RunContext, lines: list[AllocatedLine]) -> list[dict[str, object]]:
    ids = iter(new_ulids(sum(len(line.takes) for line in lines)))
    return [
        {
            "allocation_id": next(ids),
            "run_id": run.run_id,
            "snapshot_id": run.snapshot.snapshot_id,
            "run_date": run.run_date,
            "tag_id": line.tag_id,
            "ingest_line_id": line.ingest_line_id,
            "canonical_code": line.canonical_code,
            "sap_code": take.sap_code,
            "priority": take.priority,
            "sap_qty": take.sap_qty,
            "sap_uom": take.sap_uom,
            "canonical_qty": take.canonical_qty,
            "canonical_uom": line.canonical_uom,
            "conversion_factor": take.factor,
            "superseded": False,
            "created_at": run.created_at,
            "trace_id": run.trace_id,
        }
        for line in lines
        for take in line.takes
    ]


def _audit(conn: Connection, run: RunContext, result: AllocationResult) -> None:
    record_action(
        conn,
        run.actor,
        "ALLOCATION_RUN",
        entity_type="allocation_run",
        entity_id=run.run_id,
        trace_id=run.trace_id,
        after={
            "date": run.run_date,
            "tag": run.tag_id,
            "snapshot": run.snapshot.snapshot_id,
            "stale_accepted": run.stale_accepted,
            "tags": result.tags,
            "lines": result.lines_total,
            "allocated": result.lines_allocated,
            "partial": result.lines_partial,
            "unallocated": result.lines_unallocated,
            "skipped": result.lines_skipped,
        },
    )
