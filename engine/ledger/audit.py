"""``user_action_history``: the append-only audit. Written inside the caller's transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import OWN_AUDIT_ONLY, Actor
from engine.clock import utcnow
from engine.ids import new_ulid
from engine.models import Page, check_paging
from engine.store.schema import user_action_history as uah


def _summary(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def audit_row(
    actor: Actor,
    action: str,
    *,
    entity_type: str,
    entity_id: str,
    trace_id: str,
    client_request_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One audit row as values, for writers that insert many at once (``Database.bulk_insert``)."""
    return {
        "action_id": new_ulid(),
        "action": action,
        "actor": actor.email,
        "roles": actor.roles_text,
        "source": str(actor.source),
        "client_request_id": client_request_id,
        "trace_id": trace_id,
        "entity_type": entity_type,
        "entity_id": entity_id[:100],
        "before_summary": _summary(before),
        "after_summary": _summary(after),
        "created_at": at or utcnow(),
    }


def record_action(
    conn: Connection,
    actor: Actor,
    action: str,
    *,
    entity_type: str,
    entity_id: str,
    trace_id: str,
    client_request_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> str:
    row = audit_row(
        actor,
        action,
        entity_type=entity_type,
        entity_id=entity_id,
        trace_id=trace_id,
        client_request_id=client_request_id,
        before=before,
        after=after,
        at=at,
    )
    conn.execute(uah.insert().values(**row))
    return str(row["action_id"])


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    action_id: str
    created_at: datetime
    action: str
    actor: str
    roles: str
    source: str
    entity_type: str
    entity_id: str
    trace_id: str
    client_request_id: str | None
    before_summary: str | None
    after_summary: str | None


def search_audit(
    conn: Connection,
    actor: Actor,
    *,
    trace_id: str | None = None,
    entity_id: str | None = None,
    user: str | None = None,
    offset: int = 0,
    limit: int = 200,
) -> Page[AuditEntry]:
    """Audit rows matching every filter given, newest first, one page at a time. Sales users see
    their own actions only (the role table's "✓ (own)")."""
    check_paging(offset, limit)
    where: list[sa.ColumnElement[bool]] = []
    if trace_id:
        where.append(uah.c.trace_id == trace_id.strip())
    if entity_id:
        where.append(uah.c.entity_id == entity_id.strip())
    if user:
        where.append(uah.c.actor == user.strip().lower())
    if actor.roles and actor.roles <= OWN_AUDIT_ONLY:
        where.append(uah.c.actor == actor.email)
    total = conn.execute(sa.select(sa.func.count()).select_from(uah).where(*where)).scalar_one()
    rows = conn.execute(
        sa.select(uah)
        .where(*where)
        .order_by(uah.c.created_at.desc(), uah.c.action_id.desc())
        .offset(offset)
        .limit(limit)
    )
    return Page[AuditEntry](
        items=[AuditEntry.model_validate(row._mapping) for row in rows],
        total=total,
        offset=offset,
        limit=limit,
    )
