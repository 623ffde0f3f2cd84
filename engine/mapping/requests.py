"""The mapping lookup as an engine call (the seed's ``POST /api/map/lookup``)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import business_day
from engine.errors import ValidationError
from engine.ledger.audit import record_action
from engine.mapping.apply import record
from engine.mapping.lookup import LineInput, Outcome, lookup
from engine.mapping.master import MasterData
from engine.store.gateway import Database
from engine.store.schema import line_decision, mapping_history
from engine.units import normalise_unit
from engine.vocab import MappingDecision, MappingStatus

_SHEET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[xX×*]\s*(\d+(?:\.\d+)?)\s*$")


class LookupRequest(BaseModel):
    """``on_date``: the day overrides must be in effect on; without one, today in the business time
    zone (DOMAIN "Material mapping" step 2 asks for a day: an expired override never applies)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    description: str = Field(min_length=1, max_length=500)
    qty: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    uom: str = Field(min_length=1, max_length=20)
    lpo_id: str | None = None
    project_id: str | None = None
    plant_id: str | None = None
    customer: str | None = None
    line_id: str | None = Field(default=None, min_length=8, max_length=26)
    on_date: date | None = None
    sheet_size_mm: str | None = None


class LookupResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: str
    decision: MappingDecision
    status: MappingStatus
    canonical_code: str | None
    sap_code: str | None
    not_tracked: bool
    canonical_qty: Decimal | None
    canonical_uom: str | None
    conversion_factor: Decimal | None
    conversion: str | None
    override_id: str | None
    exception_id: str | None
    history_id: str | None
    trace_id: str


def line_for(master: MasterData, request: LookupRequest, *, zone: ZoneInfo) -> LineInput:
    unit = normalise_unit(request.uom)
    if unit is None:
        raise ValidationError(f"Unit {request.uom!r} is not known.", field="uom")
    width = length = None
    if request.sheet_size_mm:
        match = _SHEET.match(request.sheet_size_mm)
        if not match:
            raise ValidationError(
                f"Sheet size {request.sheet_size_mm!r} is not like 1200x4000.", field="sheet_size_mm"
            )
        width, length = Decimal(match[1]), Decimal(match[2])
    project, plant, customer = request.project_id, request.plant_id, request.customer
    context = master.lpo_context.get(request.lpo_id or "")
    if context is not None:  # the LPO's own context scopes its overrides unless the caller names another
        project, plant, customer = project or context[0], plant or context[1], customer or context[2]
    return LineInput(
        description=request.description,
        qty=request.qty,
        uom=unit,
        lpo_id=request.lpo_id,
        project_id=project,
        plant_id=plant,
        customer=customer,
        on_date=request.on_date or business_day(zone),
        sheet_width_mm=width,
        sheet_length_mm=length,
        ingest_line_id=request.line_id,
    )


def result(
    outcome: Outcome, *, trace_id: str, history_id: str | None = None, exception_id: str | None = None
) -> LookupResult:
    decision, conversion = outcome.decision, outcome.conversion
    return LookupResult(
        description=outcome.norm,
        decision=decision.decision,
        status=outcome.status,
        canonical_code=decision.canonical_code,
        sap_code=decision.sap_code,
        not_tracked=decision.not_tracked,
        canonical_qty=conversion.canonical_qty if conversion else None,
        canonical_uom=conversion.canonical_uom if conversion else None,
        conversion_factor=conversion.factor if conversion else None,
        conversion=conversion.text if conversion else outcome.problem,
        override_id=decision.override_id,
        exception_id=exception_id,
        history_id=history_id,
        trace_id=trace_id,
    )


def record_lookup(
    db: Database,
    conn: Connection,
    master: MasterData,
    request: LookupRequest,
    *,
    zone: ZoneInfo,
    actor: Actor,
    trace_id: str,
) -> LookupResult:
    """Idempotent per line id: the line's one decision is returned and nothing new is written.

    "One" is the key of ``line_decision``: of two concurrent lookups of a new line id, the second
    fails on it (or on the review exception's open key), and its re-run (the API writes with
    ``retry_integrity``) returns the first one's decision."""
    if request.line_id is None:
        raise ValidationError("Give the line id whose decision is recorded.", field="line_id")
    stored = _stored_decision(conn, request.line_id)
    if stored is not None:
        return _from_history(stored)
    outcome = lookup(master, line_for(master, request, zone=zone))
    record(db, conn, [outcome], actor=actor, trace_id=trace_id, new=True)
    row = conn.execute(
        sa.select(
            mapping_history.c.history_id, mapping_history.c.exception_id, mapping_history.c.created_at
        ).where(mapping_history.c.ingest_line_id == request.line_id)
    ).one()
    conn.execute(
        line_decision.insert().values(
            ingest_line_id=request.line_id,
            history_id=row.history_id,
            created_at=row.created_at,
            trace_id=trace_id,
        )
    )
    decided = result(outcome, trace_id=trace_id, history_id=row.history_id, exception_id=row.exception_id)
    record_action(
        conn,
        actor,
        "MAPPING_LOOKUP_RECORDED",
        entity_type="line",
        entity_id=request.line_id,
        trace_id=trace_id,
        after={
            "description": decided.description,
            "decision": str(decided.decision),
            "canonical_code": decided.canonical_code,
            "sap_code": decided.sap_code,
            "exception_id": decided.exception_id,
        },
    )
    return decided


def _stored_decision(conn: Connection, line_id: str) -> sa.Row | None:
    """The decision recorded for the line: its lookup's, else (the id of a tag line) its latest."""
    decided = conn.execute(
        sa.select(mapping_history)
        .join(line_decision, line_decision.c.history_id == mapping_history.c.history_id)
        .where(line_decision.c.ingest_line_id == line_id)
    ).first()
    if decided is not None:
        return decided
    return conn.execute(
        sa.select(mapping_history)
        .where(mapping_history.c.ingest_line_id == line_id)
        .order_by(mapping_history.c.created_at.desc())
        .limit(1)
    ).first()


def _from_history(stored: sa.Row) -> LookupResult:
    return LookupResult(
        description=stored.nesting_description,
        decision=MappingDecision(stored.decision),
        status=_status_of(stored),
        canonical_code=stored.canonical_code,
        sap_code=stored.sap_code,
        not_tracked=stored.not_tracked,
        canonical_qty=stored.canonical_qty,
        canonical_uom=stored.canonical_uom,
        conversion_factor=stored.conversion_factor,
        conversion=stored.conversion,
        override_id=stored.override_id,
        exception_id=stored.exception_id,
        history_id=stored.history_id,
        trace_id=stored.trace_id,
    )


def _status_of(stored: sa.Row) -> MappingStatus:
    if stored.decision == MappingDecision.REVIEW:
        return MappingStatus.REVIEW
    if stored.not_tracked:
        return MappingStatus.NOT_TRACKED
    return MappingStatus.MAPPED if stored.canonical_qty is not None else MappingStatus.NO_CONVERSION
