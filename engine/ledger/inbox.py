"""The console inbox: notifications addressed to a desk (the default notification channel).

A desk's notifications go to the role that owns the desk (DOMAIN: an exception's ``desk`` is its
"owner role"), not to every role that may also work it: a sales mistake is news for sales, not for
the managers and admins who could act on it too. They still find it in the exception queue."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.ids import new_ulid
from engine.store.schema import inbox_message as inbox
from engine.vocab import Desk, Role

# The role that owns each desk (the logistics desk is the managers').
DESK_OWNER: dict[Desk, Role] = {
    Desk.SALES: Role.SALES,
    Desk.STORES: Role.STORES,
    Desk.FINANCE: Role.FINANCE,
    Desk.LOGISTICS: Role.MANAGER,
}


def owned_desks(actor: Actor) -> list[Desk]:
    """The desks whose notifications reach ``actor``: those owned by one of their roles."""
    return [desk for desk, role in DESK_OWNER.items() if role in actor.roles]


class InboxMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str
    desk: Desk
    title: str
    body: str
    exception_id: str | None
    created_at: datetime
    trace_id: str
    read_at: datetime | None
    read_by: str | None


def notify_desk(
    conn: Connection, desk: Desk, title: str, body: str, *, trace_id: str, exception_id: str | None = None
) -> str:
    message_id = new_ulid()
    conn.execute(
        inbox.insert().values(
            message_id=message_id,
            desk=str(desk),
            title=title[:300],
            body=body[:4000],
            exception_id=exception_id,
            created_at=utcnow(),
            trace_id=trace_id,
        )
    )
    return message_id


def list_inbox(
    conn: Connection, actor: Actor, *, unread_only: bool = False, limit: int = 200
) -> list[InboxMessage]:
    desks = [str(d) for d in owned_desks(actor)]
    query = sa.select(inbox).where(inbox.c.desk.in_(desks)).order_by(inbox.c.created_at.desc()).limit(limit)
    if unread_only:
        query = query.where(inbox.c.read_at.is_(None))
    return [InboxMessage.model_validate(row._mapping) for row in conn.execute(query)]


def mark_read(conn: Connection, actor: Actor, message_ids: list[str]) -> int:
    desks = [str(d) for d in owned_desks(actor)]
    rows = conn.execute(
        sa.update(inbox)
        .where(inbox.c.message_id.in_(message_ids), inbox.c.desk.in_(desks), inbox.c.read_at.is_(None))
        .values(read_at=utcnow(), read_by=actor.email)
        .returning(inbox.c.message_id)
    ).all()
    return len(rows)
