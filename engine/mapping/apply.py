"""Recording mapping decisions: ``line_mapping`` (each line's current mapping), ``mapping_history``
(every decision, with trace id and conversion), and the exceptions lines wait on — one
``MAPPING_REVIEW`` per normalised description, one ``UNIT_CONVERSION`` per material and unit.
Everything runs inside the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.ids import new_ulids
from engine.ledger.exceptions import NewException, act_on_exception, open_by_key, raise_exceptions
from engine.mapping.lookup import LineInput, Outcome, lookup_batch
from engine.mapping.master import MasterData
from engine.store.gateway import Database
from engine.store.schema import exception_log, line_mapping, mapping_history, tag_line
from engine.store.sqlfiles import load_sql
from engine.vocab import ExceptionAction, ExceptionKind, ExceptionStatus, MappingDecision, MappingStatus

WAITING = (MappingStatus.REVIEW, MappingStatus.NO_CONVERSION)


@dataclass
class MapSummary:
    mapped: int = 0
    not_tracked: int = 0
    review: int = 0
    no_conversion: int = 0
    exceptions_raised: list[str] = field(default_factory=list)
    exceptions_resolved: list[str] = field(default_factory=list)

    def add(self, status: MappingStatus) -> None:
        name = {
            MappingStatus.MAPPED: "mapped",
            MappingStatus.NOT_TRACKED: "not_tracked",
            MappingStatus.REVIEW: "review",
            MappingStatus.NO_CONVERSION: "no_conversion",
        }[status]
        setattr(self, name, getattr(self, name) + 1)


def line_inputs(rows: Sequence[Any]) -> list[LineInput]:
    return [
        LineInput(
            description=r.nesting_description,
            qty=Decimal(r.qty),
            uom=r.uom or "",
            lpo_id=r.lpo_id,
            project_id=r.project_id,
            plant_id=r.plant_id,
            customer=r.customer,
            on_date=r.requested_delivery_date,
            sheet_width_mm=r.sheet_width_mm,
            sheet_length_mm=r.sheet_length_mm,
            ingest_line_id=r.ingest_line_id,
            tag_id=r.tag_id,
        )
        for r in rows
    ]


def map_tag_lines(
    db: Database, conn: Connection, master: MasterData, tag_id: str, *, actor: Actor, trace_id: str
) -> MapSummary:
    """Map the lines of a freshly stored tag (ingestion, replacement), in the same transaction."""
    rows = conn.execute(load_sql("mapping/lines_of_tag"), {"tag_id": tag_id}).all()
    return record(db, conn, lookup_batch(master, line_inputs(rows)), actor=actor, trace_id=trace_id, new=True)


def map_lines(
    db: Database, conn: Connection, master: MasterData, lines: list[LineInput], *, actor: Actor, trace_id: str
) -> MapSummary:
    """Map lines that were just written (their ids and LPO context are known), in the same transaction."""
    return record(db, conn, lookup_batch(master, lines), actor=actor, trace_id=trace_id, new=True)


def remap_waiting(
    db: Database,
    conn: Connection,
    master: MasterData,
    *,
    actor: Actor,
    trace_id: str,
    description: str | None = None,
    manual: bool = False,
) -> MapSummary:
    """Decide again for the lines still waiting (after master data changed); settle the exceptions
    no line waits on any more."""
    rows = conn.execute(load_sql("mapping/waiting_lines"), {"description": description}).all()
    outcomes = lookup_batch(master, line_inputs(rows))
    changed = [o for o in outcomes if o.status not in WAITING]
    summary = record(db, conn, changed, actor=actor, trace_id=trace_id, new=False, manual=manual)
    summary.exceptions_resolved = settle_exceptions(conn, master, actor=actor, trace_id=trace_id)
    return summary


def record(
    db: Database,
    conn: Connection,
    outcomes: list[Outcome],
    *,
    actor: Actor,
    trace_id: str,
    new: bool,
    manual: bool = False,
) -> MapSummary:
    summary = MapSummary()
    if not outcomes:
        return summary
    waiting_on = _exceptions_for(db, conn, outcomes, actor=actor, trace_id=trace_id, summary=summary)
    now = utcnow()
    history, current = [], []
    for history_id, outcome in zip(new_ulids(len(outcomes)), outcomes, strict=True):
        line, decision, conversion = outcome.line, outcome.decision, outcome.conversion
        kind = decision.decision
        if manual and outcome.status not in WAITING:
            kind = MappingDecision.MANUAL
        exception_id = waiting_on.get(_wait_key(outcome))
        summary.add(outcome.status)
        history.append(
            {
                "history_id": history_id,
                "ingest_line_id": line.ingest_line_id,
                "tag_id": line.tag_id,
                "nesting_description": outcome.norm,
                "canonical_code": decision.canonical_code,
                "sap_code": decision.sap_code,
                "decision": str(kind),
                "not_tracked": decision.not_tracked,
                "override_id": decision.override_id,
                "exception_id": exception_id,
                "qty": line.qty,
                "uom": line.uom,
                "canonical_qty": conversion.canonical_qty if conversion else None,
                "canonical_uom": conversion.canonical_uom if conversion else None,
                "conversion_factor": conversion.factor if conversion else None,
                "conversion": conversion.text[:200] if conversion else (outcome.problem or "")[:200] or None,
                "user_id": actor.email if kind is MappingDecision.MANUAL else None,
                "notes": None,
                "trace_id": trace_id,
                "created_at": now,
            }
        )
        if line.ingest_line_id and line.tag_id:
            current.append(
                {
                    "ingest_line_id": line.ingest_line_id,
                    "tag_id": line.tag_id,
                    "description_norm": outcome.norm,
                    "status": str(outcome.status),
                    "decision": str(kind),
                    "canonical_code": decision.canonical_code,
                    "sap_code": decision.sap_code,
                    "not_tracked": decision.not_tracked,
                    "canonical_qty": conversion.canonical_qty if conversion else None,
                    "canonical_uom": conversion.canonical_uom if conversion else None,
                    "conversion_factor": conversion.factor if conversion else None,
                    "conversion": history[-1]["conversion"],
                    "override_id": decision.override_id,
                    "exception_id": exception_id,
                    "history_id": history_id,
                    "updated_at": now,
                }
            )
    db.bulk_insert(conn, mapping_history, history)
    if new:
        db.bulk_insert(conn, line_mapping, current)
    elif current:
        updates = [{**row, "b_line": row["ingest_line_id"]} for row in current]
        values: dict[str, Any] = {k: sa.bindparam(k) for k in current[0] if k != "ingest_line_id"}
        conn.execute(
            sa.update(line_mapping)
            .where(line_mapping.c.ingest_line_id == sa.bindparam("b_line"))
            .values(values),
            updates,
        )
    return summary


def _wait_key(outcome: Outcome) -> tuple[ExceptionKind, str] | None:
    if outcome.status is MappingStatus.REVIEW:
        return ExceptionKind.MAPPING_REVIEW, outcome.norm
    if outcome.status is MappingStatus.NO_CONVERSION:
        return ExceptionKind.UNIT_CONVERSION, f"{outcome.decision.canonical_code}|{outcome.line.uom}"
    return None


def _exceptions_for(
    db: Database,
    conn: Connection,
    outcomes: list[Outcome],
    *,
    actor: Actor,
    trace_id: str,
    summary: MapSummary,
) -> dict[tuple[ExceptionKind, str] | None, str]:
    """One open exception per description (review) or material+unit (conversion) that lines wait on.
    "One" is the unique open key of ``exception_log``: a concurrent sheet that raised the same one
    first makes this unit fail on the key, and its re-run (ingestion and lookups write with
    ``retry_integrity``) finds that exception here and waits on it."""
    first: dict[tuple[ExceptionKind, str], Outcome] = {}
    counts: dict[tuple[ExceptionKind, str], int] = defaultdict(int)
    for outcome in outcomes:
        key = _wait_key(outcome)
        if key is not None:
            first.setdefault(key, outcome)
            counts[key] += 1
    found: dict[tuple[ExceptionKind, str] | None, str] = {}
    already = open_exceptions(conn, list(first))
    fresh: list[tuple[tuple[ExceptionKind, str], NewException]] = []
    for key, outcome in first.items():
        kind, dedupe = key
        if key in already:
            found[key] = already[key]
            continue
        line = outcome.line
        if kind is ExceptionKind.MAPPING_REVIEW:
            message = (
                f"No mapping for {line.description!r} ({counts[key]} line(s), first on "
                f"{line.tag_id or 'a lookup'} for {line.lpo_id or 'no LPO'}): choose its canonical material."
            )
        else:
            message = f"{outcome.problem} ({counts[key]} line(s), first on {line.tag_id or 'a lookup'})."
        fresh.append(
            (
                key,
                NewException(
                    kind=kind,
                    message=message,
                    tag_id=line.tag_id,
                    line_id=line.ingest_line_id,
                    lpo_id=line.lpo_id,
                    dedupe_key=dedupe,
                    payload={
                        "description": outcome.norm,
                        "example": line.description,
                        "uom": line.uom,
                        "canonical_code": outcome.decision.canonical_code,
                        "lines": counts[key],
                    },
                ),
            )
        )
    ids = raise_exceptions(conn, [new for _, new in fresh], actor=actor, trace_id=trace_id, db=db)
    for (key, _), exception_id in zip(fresh, ids, strict=True):
        found[key] = exception_id
        summary.exceptions_raised.append(exception_id)
    return found


def open_exceptions(
    conn: Connection, keys: list[tuple[ExceptionKind, str]]
) -> dict[tuple[ExceptionKind, str], str]:
    """The open exception of each (kind, dedupe key), in one query for a whole sheet."""
    wanted = {f"{kind}|{dedupe}": (kind, dedupe) for kind, dedupe in keys}
    return {wanted[key]: exception_id for key, exception_id in open_by_key(conn, list(wanted)).items()}


def waited_on(conn: Connection, tag_id: str) -> set[str]:
    """The exceptions the current lines of a tag wait on (a review, a unit rule)."""
    return set(
        conn.execute(
            sa.select(line_mapping.c.exception_id)
            .join(tag_line, tag_line.c.ingest_line_id == line_mapping.c.ingest_line_id)
            .where(
                line_mapping.c.tag_id == tag_id,
                line_mapping.c.status.in_([str(s) for s in WAITING]),
                line_mapping.c.exception_id.is_not(None),
                tag_line.c.superseded.is_(False),
            )
        ).scalars()
    )


def settle_exceptions(
    conn: Connection,
    master: MasterData,
    *,
    actor: Actor,
    trace_id: str,
    only: set[str] | None = None,
) -> list[str]:
    """Resolve the exceptions nothing waits on any more (of ``only``, when given): a review once no
    line of its description waits (and its lines were mapped, or the master now maps the
    description); a conversion once no line refers to it."""
    if only is not None and not only:
        return []
    query = sa.select(exception_log.c.exception_id, exception_log.c.kind, exception_log.c.dedupe_key).where(
        exception_log.c.kind.in_([str(ExceptionKind.MAPPING_REVIEW), str(ExceptionKind.UNIT_CONVERSION)]),
        exception_log.c.status.in_([str(ExceptionStatus.OPEN), str(ExceptionStatus.ACKNOWLEDGED)]),
    )
    if only is not None:
        query = query.where(exception_log.c.exception_id.in_(sorted(only)))
    open_ones = conn.execute(query).all()
    if not open_ones:
        return []
    # Only current lines wait: the lines of a replaced sheet version are kept, but wait on nothing.
    waits = conn.execute(
        sa.select(line_mapping.c.description_norm, line_mapping.c.exception_id)
        .join(tag_line, tag_line.c.ingest_line_id == line_mapping.c.ingest_line_id)
        .where(line_mapping.c.status.in_([str(s) for s in WAITING]), tag_line.c.superseded.is_(False))
    ).all()
    waiting_descriptions = {row.description_norm for row in waits}
    waiting_exceptions = {row.exception_id for row in waits}
    seen_on_lines = set(
        conn.execute(
            sa.select(line_mapping.c.description_norm)
            .distinct()
            .where(line_mapping.c.description_norm.in_([r.dedupe_key for r in open_ones]))
        ).scalars()
    )
    settled = []
    for row in open_ones:
        if row.kind == ExceptionKind.MAPPING_REVIEW:
            if row.dedupe_key in waiting_descriptions:
                continue
            if row.dedupe_key not in seen_on_lines and row.dedupe_key not in master.master:
                continue  # raised by a lookup outside any tag, and still unmapped
        elif row.exception_id in waiting_exceptions:
            continue
        act_on_exception(
            conn,
            row.exception_id,
            ExceptionAction.RESOLVE,
            actor=actor,
            trace_id=trace_id,
            notes="Every line waiting on it is mapped now.",
            resolution_txn_id=trace_id,
            settled=True,
        )
        settled.append(row.exception_id)
    return settled
