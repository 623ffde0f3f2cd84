"""SLA escalation: open exceptions past their due time are marked escalated (once) and their desk
is told in the console inbox."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.ledger.audit import record_action
from engine.ledger.exceptions import OPEN_STATES
from engine.ledger.inbox import notify_desk
from engine.store.schema import exception_log as ex
from engine.vocab import Desk


def escalate_overdue(conn: Connection, *, now: datetime, actor: Actor, trace_id: str) -> dict[str, int]:
    overdue = conn.execute(
        sa.select(ex.c.exception_id, ex.c.desk, ex.c.kind, ex.c.sla_due)
        .where(
            ex.c.status.in_([str(s) for s in OPEN_STATES]), ex.c.sla_due < now, ex.c.escalated_at.is_(None)
        )
        .order_by(ex.c.sla_due)
    ).all()
    by_desk: dict[str, list[str]] = defaultdict(list)
    for row in overdue:
        marked = conn.execute(
            sa.update(ex)
            .where(ex.c.exception_id == row.exception_id, ex.c.escalated_at.is_(None))
            .values(escalated_at=now)
            .returning(ex.c.exception_id)
        ).first()
        if marked is None:
            continue
        by_desk[row.desk].append(f"{row.exception_id} ({row.kind}, due {row.sla_due:%Y-%m-%d %H:%M} UTC)")
        record_action(
            conn,
            actor,
            "EXCEPTION_ESCALATED",
            entity_type="exception",
            entity_id=row.exception_id,
            trace_id=trace_id,
            after={"sla_due": row.sla_due, "escalated_at": now},
        )
    for desk, items in by_desk.items():
        shown = "\n".join(f"- {item}" for item in items[:50])
        more = f"\n… and {len(items) - 50} more" if len(items) > 50 else ""
        notify_desk(
            conn,
            Desk(desk),
            f"{len(items)} exception(s) passed their SLA",
            shown + more,
            trace_id=trace_id,
            exception_id=items[0].split(" ", 1)[0] if len(items) == 1 else None,
        )
    return {"escalated": sum(len(v) for v in by_desk.values()), "desks_notified": len(by_desk)}
