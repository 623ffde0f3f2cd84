"""The mapping review queue: what waits, the context of its lines, ranked suggestions from the master
(shown, never applied), and resolving a review with a master row or a scoped override."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process, utils
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import Conflict, ValidationError
from engine.ids import new_ulid
from engine.ledger.audit import record_action
from engine.ledger.exceptions import get_exception
from engine.mapping.apply import remap_waiting
from engine.mapping.master import MasterData, bump_version
from engine.store.gateway import Database
from engine.store.schema import mapping_override, material_master
from engine.store.sqlfiles import load_sql
from engine.vocab import ExceptionKind, ExceptionStatus, OverrideScope

SUGGESTIONS = 5
# token_set_ratio scores a short cut-export string against the master by its words, so "aluminum
# tape" finds "aluminium tape 75mm" and "corner" finds both corner rows; WRatio ranked "reinforced
# alu tape (fsk)" first on the sample data. Below 50 a "suggestion" shares a word like "20mm" only.
MIN_SCORE = 50.0


class Suggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: str
    canonical_code: str
    default_sap_code: str | None
    score: float


class WaitingLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    ingest_line_id: str
    tag_id: str
    lpo_id: str | None
    project_id: str | None
    plant_id: str | None
    customer: str | None
    description: str
    qty: Decimal
    uom: str


class ReviewItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: str
    example: str
    exception_id: str | None
    lines: int
    tags: int
    waiting_since: datetime
    context: list[WaitingLine]
    suggestions: list[Suggestion]


class ResolveResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    exception_id: str
    description: str
    canonical_code: str
    sap_code: str | None
    scope: str
    scope_value: str | None
    lines_mapped: int
    lines_still_waiting: int
    exception_status: ExceptionStatus
    trace_id: str


def suggest(master: MasterData, description: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Master descriptions ranked by similarity, for a human to choose from."""
    matches = process.extract(
        description,
        list(master.master),
        scorer=fuzz.token_set_ratio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=MIN_SCORE,
    )
    return [
        Suggestion(
            description=text,
            canonical_code=master.master[text].canonical_code,
            default_sap_code=master.master[text].default_sap_code,
            score=round(score, 1),
        )
        for text, score, _ in matches
    ]


def review_queue(conn: Connection, master: MasterData, *, with_context: bool = True) -> list[ReviewItem]:
    items = []
    for row in conn.execute(load_sql("mapping/review_queue")).all():
        context = _waiting(conn, row.description_norm) if with_context else []
        items.append(
            ReviewItem(
                description=row.description_norm,
                example=row.example,
                exception_id=row.exception_id,
                lines=row.lines,
                tags=row.tags,
                waiting_since=row.waiting_since,
                context=context,
                suggestions=suggest(master, row.description_norm),
            )
        )
    return items


def _waiting(conn: Connection, description: str) -> list[WaitingLine]:
    rows = conn.execute(load_sql("mapping/waiting_lines"), {"description": description}).all()
    return [
        WaitingLine(
            ingest_line_id=r.ingest_line_id,
            tag_id=r.tag_id,
            lpo_id=r.lpo_id,
            project_id=r.project_id,
            plant_id=r.plant_id,
            customer=r.customer,
            description=r.nesting_description,
            qty=Decimal(r.qty),
            uom=r.uom or "",
        )
        for r in rows
    ]


def _scope_value(lines: list[WaitingLine], scope: OverrideScope, given: str | None) -> str:
    if given:
        return given.strip()
    attribute = {
        OverrideScope.LPO: "lpo_id",
        OverrideScope.PROJECT: "project_id",
        OverrideScope.PLANT: "plant_id",
        OverrideScope.CUSTOMER: "customer",
    }[scope]
    values = {getattr(line, attribute) for line in lines} - {None}
    if len(values) != 1:
        seen = ", ".join(sorted(str(v) for v in values)) or "none"
        raise ValidationError(
            f"The waiting lines have {len(values)} {scope.value} values ({seen}); name the one the "
            "override is for (scope value).",
            field="scope_value",
        )
    return str(values.pop())


def resolve_review(
    db: Database,
    conn: Connection,
    exception_id: str,
    *,
    canonical_code: str,
    sap_code: str | None,
    scope: str,
    scope_value: str | None,
    actor: Actor,
    trace_id: str,
) -> ResolveResult:
    """Save the decision as a master row (scope ``global``) or a scoped override, then map every waiting
    line of the description at once (decision MANUAL)."""
    exception = get_exception(conn, exception_id)
    if exception.kind is not ExceptionKind.MAPPING_REVIEW or exception.status not in (
        ExceptionStatus.OPEN,
        ExceptionStatus.ACKNOWLEDGED,
    ):
        raise Conflict(
            f"{exception_id} is a {exception.kind} that is {exception.status}; only an open mapping review "
            "can be resolved.",
            exception_id=exception_id,
        )
    description = str(exception.payload.get("description") or "")
    master = MasterData.load(conn)
    code = canonical_code.strip()
    unit = master.canonical_uom.get(code)
    if unit is None:
        raise ValidationError(
            f"{code} is not a known canonical code (material master or canonical list).",
            field="canonical_code",
        )
    if sap_code:
        sku = master.skus.get(sap_code.strip())
        if sku is None or sku.canonical_code != code:
            raise ValidationError(f"SKU {sap_code} is not an SKU of {code}.", field="sap_code")
    lines = _waiting(conn, description)
    now = utcnow()
    chosen_scope = scope.strip().upper()
    if chosen_scope == "GLOBAL":
        value = None
        _save_master_row(conn, description, code, sap_code, unit, actor=actor, now=now)
    else:
        try:
            override_scope = OverrideScope(chosen_scope)
        except ValueError as exc:
            raise ValidationError(
                f"Scope {scope!r} is not global, LPO, PROJECT, PLANT or CUSTOMER.", field="scope"
            ) from exc
        value = _scope_value(lines, override_scope, scope_value)
        conn.execute(
            mapping_override.insert().values(
                override_id=new_ulid(),
                scope_type=str(override_scope),
                scope_value=value,
                nesting_description=description,
                canonical_code=code,
                sap_code=sap_code or None,
                active=True,
                created_by=actor.email,
                created_at=now,
                updated_at=now,
                notes=f"resolved {exception_id}",
            )
        )
    bump_version(conn)
    summary = remap_waiting(
        db, conn, MasterData.load(conn), actor=actor, trace_id=trace_id, description=description, manual=True
    )
    still = len(_waiting(conn, description))
    record_action(
        conn,
        actor,
        "MAPPING_RESOLVED",
        entity_type="exception",
        entity_id=exception_id,
        trace_id=trace_id,
        after={
            "description": description,
            "canonical_code": code,
            "sap_code": sap_code,
            "scope": chosen_scope,
            "scope_value": value,
            "lines_mapped": summary.mapped + summary.not_tracked,
            "still_waiting": still,
        },
    )
    return ResolveResult(
        exception_id=exception_id,
        description=description,
        canonical_code=code,
        sap_code=sap_code,
        scope=chosen_scope,
        scope_value=value,
        lines_mapped=summary.mapped + summary.not_tracked,
        lines_still_waiting=still,
        exception_status=get_exception(conn, exception_id).status,
        trace_id=trace_id,
    )


def _save_master_row(
    conn: Connection,
    description: str,
    code: str,
    sap_code: str | None,
    unit: str,
    *,
    actor: Actor,
    now: datetime,
) -> None:
    if not sap_code:  # the SKU the master already uses for this material, if it has one
        sap_code = conn.execute(
            sa.select(material_master.c.default_sap_code)
            .where(material_master.c.canonical_code == code, material_master.c.default_sap_code.is_not(None))
            .group_by(material_master.c.default_sap_code)
            .order_by(sa.func.count().desc(), material_master.c.default_sap_code)
            .limit(1)
        ).scalar()
    values: dict[str, Any] = {
        "canonical_code": code,
        "default_sap_code": sap_code or None,
        "uom": unit,
        "not_tracked": False,
        "active": True,
        "updated_by": actor.email,
        "updated_at": now,
    }
    exists = conn.execute(
        sa.select(material_master.c.nesting_description).where(
            material_master.c.nesting_description == description
        )
    ).first()
    if exists:
        conn.execute(
            sa.update(material_master)
            .where(material_master.c.nesting_description == description)
            .values(**values)
        )
    else:
        conn.execute(material_master.insert().values(nesting_description=description, **values))
