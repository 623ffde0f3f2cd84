"""The exceptions of allocation, raised and settled in the run's transaction: one open
``INSUFFICIENT_STOCK`` per short line, one open ``NO_SKU`` per material that has no SKU at all, and
the T-1 job's ``STALE_SNAPSHOT`` (one open at a time). Each is kept while its cause lasts (a rerun
refers to the open one) and resolved by the run that removes the cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.allocation.draw import units_needed
from engine.allocation.models import AllocatedLine, DueLine, SkuTake
from engine.auth.roles import Actor
from engine.ledger.exceptions import (
    OPEN_STATES,
    NewException,
    act_on_exception,
    find_open,
    get_exception,
    open_by_key,
    open_key,
    raise_exception,
    raise_exceptions,
)
from engine.mapping.master import Sku
from engine.stock.freshness import StockStatus
from engine.store.gateway import Database
from engine.store.schema import exception_log
from engine.units import format_qty
from engine.vocab import AllocationStatus, ExceptionAction, ExceptionKind

# The T-1 job raises at most one STALE_SNAPSHOT at a time: the stores desk needs one prompt to load
# a snapshot, not one per day it waited.
STALE_KEY = "T-1"


@dataclass
class Problems:
    """What a run found: the shortage of each short line, and the lines of each material without SKU."""

    shortages: dict[str, NewException] = field(default_factory=dict)
    no_sku: dict[str, list[DueLine]] = field(default_factory=dict)

    def lack_sku(self, line: DueLine) -> None:
        self.no_sku.setdefault(line.canonical_code or "", []).append(line)


def shortage(
    line: DueLine,
    missing: Decimal,
    candidates: list[tuple[int, Sku]],
    available: dict[str, Decimal],
    takes: list[SkuTake],
) -> NewException:
    first = candidates[0][1]
    in_sku = units_needed(missing, first)
    message = (
        f"{line.tag_id} line {line.line_no} ({line.nesting_description}): {format_qty(missing)} "
        f"{line.canonical_uom} of {line.canonical_code} short = {in_sku} {first.sap_uom} of "
        f"{first.sap_code}; not enough stock."
    )
    return NewException(
        kind=ExceptionKind.INSUFFICIENT_STOCK,
        message=message,
        tag_id=line.tag_id,
        line_id=line.ingest_line_id,
        lpo_id=line.lpo_id,
        qty_impact=missing,
        dedupe_key=line.ingest_line_id,
        payload={
            "canonical_code": line.canonical_code,
            "shortfall_canonical": missing,
            "canonical_uom": line.canonical_uom,
            "shortfall_sku": in_sku,
            "sku": first.sap_code,
            "sap_uom": first.sap_uom,
            "candidates": [
                {"sap_code": s.sap_code, "priority": p, "left_after": available.get(s.sap_code)}
                for p, s in candidates
            ],
            "taken": [{"sap_code": t.sap_code, "sap_qty": t.sap_qty} for t in takes],
        },
    )


def no_sku(code: str, lines: list[DueLine]) -> NewException:
    first = lines[0]
    needed = sum((line.canonical_qty or Decimal(0) for line in lines), Decimal(0))
    return NewException(
        kind=ExceptionKind.NO_SKU,
        message=(
            f"{code} has no SKU to allocate from: no brand map of the LPO, no SKU chosen by the mapping "
            f"and no default SKU of the material. {len(lines)} line(s) wait, first {first.tag_id} line "
            f"{first.line_no} ({first.nesting_description}). Name the default SKU of {code} under "
            "Canonical materials, or add a brand map."
        ),
        tag_id=first.tag_id,
        line_id=first.ingest_line_id,
        lpo_id=first.lpo_id,
        qty_impact=needed,
        dedupe_key=code,
        payload={
            "canonical_code": code,
            "canonical_uom": first.canonical_uom,
            "lines": len(lines),
            "needed_canonical": needed,
            "tags": sorted({line.tag_id for line in lines})[:50],
            "lpos": sorted({line.lpo_id or "" for line in lines}),
        },
    )


def record_problems(
    db: Database,
    conn: Connection,
    lines: list[AllocatedLine],
    problems: Problems,
    tags: list[str],
    *,
    actor: Actor,
    trace_id: str,
) -> list[AllocatedLine]:
    """Settle what no longer applies, raise what is new (in one batch), and give each line the id of
    the exception it waits on."""
    open_short = _open_shortages(conn, tags)
    _settle_shortages(conn, open_short, problems, actor=actor, trace_id=trace_id)
    _settle_no_sku(conn, lines, problems, actor=actor, trace_id=trace_id)
    fresh = [new for line_id, new in problems.shortages.items() if line_id not in open_short]
    news = fresh + [no_sku(code, waiting) for code, waiting in problems.no_sku.items()]
    raised = raise_exceptions(conn, news, actor=actor, trace_id=trace_id, db=db)
    short_ids, sku_ids = raised[: len(fresh)], raised[len(fresh) :]
    ids = {new.line_id or "": exception_id for new, exception_id in zip(fresh, short_ids, strict=True)}
    ids |= {
        line_id: exception_id for line_id, exception_id in open_short.items() if line_id in problems.shortages
    }
    for waiting, exception_id in zip(problems.no_sku.values(), sku_ids, strict=True):
        ids |= {line.ingest_line_id: exception_id for line in waiting}
    return [
        line.model_copy(update={"exception_id": ids[line.ingest_line_id]})
        if line.ingest_line_id in ids
        else line
        for line in lines
    ]


def _open_shortages(conn: Connection, tags: list[str]) -> dict[str, str]:
    """The open INSUFFICIENT_STOCK of the run's tags, by line id."""
    if not tags:
        return {}
    rows = conn.execute(
        sa.select(exception_log.c.dedupe_key, exception_log.c.exception_id).where(
            exception_log.c.kind == str(ExceptionKind.INSUFFICIENT_STOCK),
            exception_log.c.tag_id.in_(tags),
            exception_log.c.status.in_([str(s) for s in OPEN_STATES]),
        )
    ).all()
    return {row.dedupe_key: row.exception_id for row in rows}


def _settle_shortages(
    conn: Connection, open_short: dict[str, str], problems: Problems, *, actor: Actor, trace_id: str
) -> None:
    for line_id, exception_id in open_short.items():
        if line_id not in problems.shortages:
            _resolve(
                conn, exception_id, "The line is no longer short of stock.", actor=actor, trace_id=trace_id
            )


def _settle_no_sku(
    conn: Connection, lines: list[AllocatedLine], problems: Problems, *, actor: Actor, trace_id: str
) -> None:
    """A material's NO_SKU is resolved by a run in which every line of the material found a SKU."""
    served = {
        line.canonical_code
        for line in lines
        if line.status is not AllocationStatus.SKIPPED and line.canonical_code not in problems.no_sku
    }
    keys = [key for code in sorted(c for c in served if c) if (key := open_key(ExceptionKind.NO_SKU, code))]
    for exception_id in open_by_key(conn, keys).values():
        _resolve(
            conn, exception_id, "Every line of the material found a SKU.", actor=actor, trace_id=trace_id
        )


def raise_stale(conn: Connection, status: StockStatus, *, actor: Actor, trace_id: str) -> str:
    """The T-1 job's word that it did not allocate (the open one, when it is still open)."""
    snapshot = status.latest.snapshot_date if status.latest else None
    new = NewException(
        kind=ExceptionKind.STALE_SNAPSHOT,
        message=(
            f"The T-1 allocation for {status.for_date} did not run. {status.message} Once a recent "
            f"snapshot is loaded, run the allocation for {status.for_date} on the Allocation page."
        ),
        dedupe_key=STALE_KEY,
        payload={
            "run_date": status.for_date,
            "snapshot_date": snapshot,
            "oldest_acceptable": status.oldest_acceptable,
        },
    )
    return raise_exception(conn, new, actor=actor, trace_id=trace_id)


def settle_stale(conn: Connection, run_date: date, run_id: str, *, actor: Actor, trace_id: str) -> None:
    """A run for the date the T-1 job could not allocate (or a later one) answers its exception."""
    exception_id = find_open(conn, ExceptionKind.STALE_SNAPSHOT, STALE_KEY)
    if exception_id is None:
        return
    waited_for = get_exception(conn, exception_id).payload.get("run_date")
    if waited_for is not None and date.fromisoformat(str(waited_for)) > run_date:
        return
    _resolve(conn, exception_id, f"Allocation run {run_id} for {run_date}.", actor=actor, trace_id=trace_id)


def _resolve(conn: Connection, exception_id: str, notes: str, *, actor: Actor, trace_id: str) -> None:
    act_on_exception(
        conn,
        exception_id,
        ExceptionAction.RESOLVE,
        actor=actor,
        trace_id=trace_id,
        notes=notes,
        resolution_txn_id=trace_id,
    )
