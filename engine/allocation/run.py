"""Stock allocation (DOMAIN "Allocation"): the mapped, tracked lines of the tags due on a date (or of
one tag) draw SAP stock from the latest snapshot, SKU by SKU in the LPO's brand-map priority.

Availability = the snapshot's unrestricted stock − what allocations from the same snapshot already
took. Whole-unit SKUs take ceil(need) limited to floor(available); divisible SKUs work to 0.001.
Tags are served in a fixed order (delivery date, upload time, tag id), so a batch and the same tags
one by one give the same result. A rerun for a date replaces that date's earlier rows for the same
tags (they are marked superseded and take nothing), so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import NotFound, ValidationError
from engine.ids import new_ulid, new_ulids
from engine.ledger.audit import record_action
from engine.ledger.exceptions import NewException, act_on_exception, raise_exceptions
from engine.mapping.master import MasterData, Sku
from engine.progress import Progress, no_progress
from engine.stock.snapshot import latest_snapshot
from engine.store.gateway import Database
from engine.store.schema import allocation_line, allocation_log, allocation_run, exception_log, tag_sheet
from engine.store.sqlfiles import load_sql
from engine.units import format_qty
from engine.units.convert import CANONICAL_PLACES, divisible_units_needed, floor_units, whole_units_needed
from engine.vocab import (
    AllocationStatus,
    ExceptionAction,
    ExceptionKind,
    ExceptionStatus,
    JobTrigger,
    MappingStatus,
)

_SKIP_REASONS = {
    MappingStatus.REVIEW: "waits for a mapping review",
    MappingStatus.NO_CONVERSION: "its unit has no conversion rule",
    MappingStatus.NOT_TRACKED: "not tracked (never allocated)",
}


@dataclass(frozen=True)
class Take:
    sku: Sku
    priority: int
    sap_qty: Decimal
    canonical_qty: Decimal


def allocate_line(
    required: Decimal, candidates: list[tuple[int, Sku]], available: dict[str, Decimal]
) -> tuple[list[Take], Decimal]:
    """Take ``required`` canonical units from the candidates in order; returns the takes and what is
    still missing. ``available`` (SAP units per SKU) is reduced by what is taken."""
    takes: list[Take] = []
    remaining = required
    for priority, sku in candidates:
        if remaining <= 0:
            break
        have = available.get(sku.sap_code, Decimal(0))
        if sku.whole_units:
            need = whole_units_needed(remaining, sku.factor)
        else:
            need = divisible_units_needed(remaining, sku.factor)
        take = min(need, floor_units(have, whole=sku.whole_units))
        if take <= 0:
            continue
        available[sku.sap_code] = have - take
        canonical = (take * sku.factor).quantize(CANONICAL_PLACES)
        takes.append(Take(sku, priority, take, canonical))
        remaining -= canonical
    remaining = remaining.quantize(CANONICAL_PLACES)
    return takes, remaining if remaining > 0 else Decimal(0)


class AllocatedLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag_id: str
    ingest_line_id: str
    line_no: int
    description: str
    status: AllocationStatus
    canonical_code: str | None
    canonical_uom: str | None
    required_qty: Decimal | None
    allocated_qty: Decimal
    shortfall_qty: Decimal
    exception_id: str | None
    reason: str | None
    takes: list[dict[str, Any]]


class AllocationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    run_date: date
    tag_id: str | None
    snapshot_id: str
    snapshot_date: date
    tags: int
    lines_total: int
    lines_allocated: int
    lines_partial: int
    lines_unallocated: int
    lines_skipped: int
    exceptions: list[str]
    trace_id: str
    created_at: datetime
    lines: list[AllocatedLine]


def run_allocation(
    db: Database,
    conn: Connection,
    master: MasterData,
    *,
    run_date: date | None,
    tag_id: str | None,
    actor: Actor,
    trace_id: str,
    trigger: JobTrigger,
    progress: Progress = no_progress,
) -> AllocationResult:
    if tag_id:
        tag = conn.execute(
            sa.select(tag_sheet.c.requested_delivery_date, tag_sheet.c.status).where(
                tag_sheet.c.tag_id == tag_id
            )
        ).first()
        if tag is None:
            raise NotFound(f"No tag {tag_id}.", tag_id=tag_id)
        if tag.status != "UPLOADED":
            raise ValidationError(f"{tag_id} is {tag.status}; only UPLOADED tags are allocated.", field="tag")
        run_date = tag.requested_delivery_date
    if run_date is None:
        raise ValidationError("Give a date or a tag to allocate.", field="date")
    snapshot = latest_snapshot(conn, on_or_before=run_date)
    if snapshot is None:
        raise ValidationError(
            f"No stock snapshot dated on or before {run_date}; load the SAP snapshot first.", field="date"
        )
    due = conn.execute(load_sql("allocation/due_lines"), {"run_date": run_date, "tag_id": tag_id}).all()
    tags = sorted({row.tag_id for row in due})
    run_id, now = new_ulid(), utcnow()
    progress(f"Releasing earlier allocations of {len(tags)} tag(s)", 0, max(len(due), 1))
    _supersede(conn, tags, run_date)
    available = {
        row.sap_code: Decimal(row.available)
        for row in conn.execute(load_sql("allocation/available_stock"), {"snapshot_id": snapshot.snapshot_id})
    }
    lines: list[AllocatedLine] = []
    shortages: list[tuple[int, NewException]] = []
    for index, row in enumerate(due):
        line, shortage = _allocate_row(master, row, available)
        lines.append(line)
        if shortage is not None:
            shortages.append((index, shortage))
        if index % 500 == 499:
            progress(f"Allocated {index + 1} of {len(due)} lines", index + 1, len(due))
    lines = _record_shortages(db, conn, lines, shortages, tags, actor=actor, trace_id=trace_id)
    exceptions = [line.exception_id for line in lines if line.exception_id]
    ids = iter(new_ulids(sum(len(line.takes) for line in lines)))
    logs: list[dict[str, Any]] = []
    for line in lines:
        logs += [
            {
                "allocation_id": next(ids),
                "run_id": run_id,
                "snapshot_id": snapshot.snapshot_id,
                "run_date": run_date,
                "tag_id": line.tag_id,
                "ingest_line_id": line.ingest_line_id,
                "canonical_code": line.canonical_code,
                "sap_code": take["sap_code"],
                "priority": take["priority"],
                "sap_qty": take["sap_qty"],
                "sap_uom": take["sap_uom"],
                "canonical_qty": take["canonical_qty"],
                "canonical_uom": line.canonical_uom,
                "conversion_factor": take["factor"],
                "superseded": False,
                "created_at": now,
                "trace_id": trace_id,
            }
            for take in line.takes
        ]
    counts = {status: sum(1 for line in lines if line.status is status) for status in AllocationStatus}
    conn.execute(
        allocation_run.insert().values(
            run_id=run_id,
            run_date=run_date,
            tag_id=tag_id,
            snapshot_id=snapshot.snapshot_id,
            triggered_by=str(trigger),
            tags=len(tags),
            lines_total=len(lines),
            lines_allocated=counts[AllocationStatus.ALLOCATED],
            lines_partial=counts[AllocationStatus.PARTIAL],
            lines_unallocated=counts[AllocationStatus.UNALLOCATED],
            lines_skipped=counts[AllocationStatus.SKIPPED],
            exceptions=len(exceptions),
            created_by=actor.email,
            created_at=now,
            trace_id=trace_id,
        )
    )
    db.bulk_insert(
        conn,
        allocation_line,
        [
            {
                "run_id": run_id,
                "ingest_line_id": line.ingest_line_id,
                "tag_id": line.tag_id,
                "run_date": run_date,
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
            for line in lines
        ],
    )
    db.bulk_insert(conn, allocation_log, logs)
    record_action(
        conn,
        actor,
        "ALLOCATION_RUN",
        entity_type="allocation_run",
        entity_id=run_id,
        trace_id=trace_id,
        after={
            "date": run_date,
            "tag": tag_id,
            "snapshot": snapshot.snapshot_id,
            "tags": len(tags),
            "lines": len(lines),
            **{str(k).lower(): v for k, v in counts.items()},
        },
    )
    progress("Done", len(due), max(len(due), 1))
    return AllocationResult(
        run_id=run_id,
        run_date=run_date,
        tag_id=tag_id,
        snapshot_id=snapshot.snapshot_id,
        snapshot_date=snapshot.snapshot_date,
        tags=len(tags),
        lines_total=len(lines),
        lines_allocated=counts[AllocationStatus.ALLOCATED],
        lines_partial=counts[AllocationStatus.PARTIAL],
        lines_unallocated=counts[AllocationStatus.UNALLOCATED],
        lines_skipped=counts[AllocationStatus.SKIPPED],
        exceptions=exceptions,
        trace_id=trace_id,
        created_at=now,
        lines=lines,
    )


def _supersede(conn: Connection, tags: list[str], run_date: date) -> None:
    if not tags:
        return
    for table in (allocation_log, allocation_line):
        conn.execute(
            sa.update(table)
            .where(table.c.tag_id.in_(tags), table.c.run_date == run_date, table.c.superseded.is_(False))
            .values(superseded=True)
        )


def release_tag(conn: Connection, tag_id: str) -> None:
    """A replaced sheet's old lines give their stock back (every date)."""
    for table in (allocation_log, allocation_line):
        conn.execute(
            sa.update(table)
            .where(table.c.tag_id == tag_id, table.c.superseded.is_(False))
            .values(superseded=True)
        )


def _allocate_row(
    master: MasterData, row: Any, available: dict[str, Decimal]
) -> tuple[AllocatedLine, NewException | None]:
    """One line's allocation, and the shortage exception it would raise (raised later, in a batch)."""
    base = {
        "tag_id": row.tag_id,
        "ingest_line_id": row.ingest_line_id,
        "line_no": row.line_no,
        "description": row.nesting_description,
        "canonical_code": row.canonical_code,
        "canonical_uom": row.canonical_uom,
    }
    status = MappingStatus(row.mapping_status) if row.mapping_status else None
    if status is not MappingStatus.MAPPED:
        skip_reason = _SKIP_REASONS.get(status, "not mapped") if status else "not mapped"
        return AllocatedLine(
            **base,
            status=AllocationStatus.SKIPPED,
            required_qty=row.canonical_qty,
            allocated_qty=Decimal(0),
            shortfall_qty=Decimal(0),
            exception_id=None,
            reason=skip_reason,
            takes=[],
        ), None
    required = Decimal(row.canonical_qty)
    candidates = master.candidates(row.lpo_id, row.canonical_code, row.sap_code)
    takes, missing = allocate_line(required, candidates, available)
    allocated = sum((t.canonical_qty for t in takes), Decimal(0))
    reason: str | None = None
    shortage: NewException | None = None
    if missing <= 0:
        status_out = AllocationStatus.ALLOCATED
    else:
        status_out = AllocationStatus.PARTIAL if takes else AllocationStatus.UNALLOCATED
        reason = (
            "no SKU for this material (no brand map, no default SKU)"
            if not candidates
            else "not enough stock"
        )
        shortage = _shortage(row, missing, candidates, available, takes, reason=reason)
    line = AllocatedLine(
        **base,
        status=status_out,
        required_qty=required,
        allocated_qty=allocated,
        shortfall_qty=missing,
        exception_id=None,
        reason=reason,
        takes=[
            {
                "sap_code": t.sku.sap_code,
                "priority": t.priority,
                "sap_qty": t.sap_qty,
                "sap_uom": t.sku.sap_uom,
                "canonical_qty": t.canonical_qty,
                "factor": t.sku.factor,
                "whole_units": t.sku.whole_units,
                "description": t.sku.description,
            }
            for t in takes
        ],
    )
    return line, shortage


def _record_shortages(
    db: Database,
    conn: Connection,
    lines: list[AllocatedLine],
    shortages: list[tuple[int, NewException]],
    tags: list[str],
    *,
    actor: Actor,
    trace_id: str,
) -> list[AllocatedLine]:
    """One open INSUFFICIENT_STOCK per line: kept while the line is short (a rerun refers to it),
    resolved once a run covers the line, raised in one batch for the lines newly short."""
    open_now = (
        dict(
            conn.execute(
                sa.select(exception_log.c.dedupe_key, exception_log.c.exception_id).where(
                    exception_log.c.kind == str(ExceptionKind.INSUFFICIENT_STOCK),
                    exception_log.c.tag_id.in_(tags),
                    exception_log.c.status.in_(
                        [str(ExceptionStatus.OPEN), str(ExceptionStatus.ACKNOWLEDGED)]
                    ),
                )
            ).all()
        )
        if tags
        else {}
    )
    short_lines = {lines[index].ingest_line_id for index, _ in shortages}
    for line_id, exception_id in open_now.items():
        if line_id not in short_lines:
            act_on_exception(
                conn,
                exception_id,
                ExceptionAction.RESOLVE,
                actor=actor,
                trace_id=trace_id,
                notes="A later allocation covered the line.",
                resolution_txn_id=trace_id,
            )
    fresh = [(index, new) for index, new in shortages if lines[index].ingest_line_id not in open_now]
    raised = raise_exceptions(conn, [new for _, new in fresh], actor=actor, trace_id=trace_id, db=db)
    ids = {
        lines[index].ingest_line_id: exception_id
        for (index, _), exception_id in zip(fresh, raised, strict=True)
    }
    ids |= {line_id: exception_id for line_id, exception_id in open_now.items() if line_id in short_lines}
    return [
        line.model_copy(update={"exception_id": ids[line.ingest_line_id]})
        if line.ingest_line_id in ids
        else line
        for line in lines
    ]


def _shortage(
    row: Any,
    missing: Decimal,
    candidates: list[tuple[int, Sku]],
    available: dict[str, Decimal],
    takes: list[Take],
    *,
    reason: str,
) -> NewException:
    first = candidates[0][1] if candidates else None
    in_sku = None
    if first is not None:
        in_sku = (
            whole_units_needed(missing, first.factor)
            if first.whole_units
            else divisible_units_needed(missing, first.factor)
        )
    sku_text = f" = {in_sku} {first.sap_uom} of {first.sap_code}" if first and in_sku is not None else ""
    message = (
        f"{row.tag_id} line {row.line_no} ({row.nesting_description}): {format_qty(missing)} "
        f"{row.canonical_uom} of {row.canonical_code} short{sku_text}; {reason}."
    )
    return NewException(
        kind=ExceptionKind.INSUFFICIENT_STOCK,
        message=message,
        tag_id=row.tag_id,
        line_id=row.ingest_line_id,
        lpo_id=row.lpo_id,
        qty_impact=missing,
        dedupe_key=row.ingest_line_id,
        payload={
            "canonical_code": row.canonical_code,
            "shortfall_canonical": missing,
            "canonical_uom": row.canonical_uom,
            "shortfall_sku": in_sku,
            "sku": first.sap_code if first else None,
            "sap_uom": first.sap_uom if first else None,
            "candidates": [
                {"sap_code": s.sap_code, "priority": p, "left_after": available.get(s.sap_code)}
                for p, s in candidates
            ],
            "taken": [{"sap_code": t.sku.sap_code, "sap_qty": t.sap_qty} for t in takes],
        },
    )
