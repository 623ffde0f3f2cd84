"""What every desk shares: the exception queue, the console inbox, the audit trail."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from engine.api.access import Gate, requires
from engine.auth.roles import Actor, Permission
from engine.handle import Ledger
from engine.ledger import audit, exceptions, inbox
from engine.ledger.audit import AuditEntry, record_action
from engine.ledger.exceptions import ExceptionView
from engine.ledger.inbox import InboxMessage
from engine.ledger.requests import run_once
from engine.logs import traced
from engine.models import Page
from engine.vocab import Desk, ExceptionAction, ExceptionKind, ExceptionStatus


@requires(Permission.READ_LEDGER)
def list_exceptions(
    ledger: Ledger,
    *,
    actor: Actor,
    kind: ExceptionKind | None = None,
    status: ExceptionStatus | None = None,
    open_only: bool = False,
    desk: Desk | None = None,
    tag_id: str | None = None,
    overdue_only: bool = False,
    offset: int = 0,
    limit: int = 100,
) -> Page[ExceptionView]:
    with ledger.db.read() as conn:
        return exceptions.list_exceptions(
            conn,
            actor,
            kind=kind,
            status=status,
            open_only=open_only,
            desk=desk,
            tag_id=tag_id,
            overdue_only=overdue_only,
            offset=offset,
            limit=limit,
        )


@requires(Permission.READ_LEDGER)
def get_exception(ledger: Ledger, exception_id: str, *, actor: Actor) -> ExceptionView:
    with ledger.db.read() as conn:
        return exceptions.visible_exception(conn, actor, exception_id)


@requires(Gate.SIGNED_IN)
def act_on_exception(
    ledger: Ledger,
    exception_id: str,
    action: ExceptionAction,
    *,
    actor: Actor,
    notes: str | None = None,
    assignee: str | None = None,
    expected_version: int | None = None,
    request_id: str | None = None,
) -> ExceptionView:
    """Acknowledge, assign, resolve or dismiss; only someone who works the exception's desk may."""
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: exceptions.act_on_exception(
                conn,
                exception_id,
                action,
                actor=actor,
                trace_id=trace_id,
                notes=notes,
                assignee=assignee,
                expected_version=expected_version,
            ),
            request_id=request_id,
            operation="exceptions.act",
            parts=(exception_id, action, notes, assignee, expected_version),
            model=ExceptionView,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Gate.SIGNED_IN)
def list_inbox(ledger: Ledger, *, actor: Actor, unread_only: bool = False) -> list[InboxMessage]:
    with ledger.db.read() as conn:
        return inbox.list_inbox(conn, actor, unread_only=unread_only)


@requires(Gate.SIGNED_IN)
def mark_inbox_read(ledger: Ledger, message_ids: list[str], *, actor: Actor) -> int:
    """Marking read twice is harmless: only unread messages of the actor's desks change."""
    with traced() as trace_id:

        def work(conn: Connection) -> int:
            count = inbox.mark_read(conn, actor, message_ids)
            if count:
                record_action(
                    conn,
                    actor,
                    "INBOX_READ",
                    entity_type="inbox",
                    entity_id=",".join(message_ids)[:100],
                    trace_id=trace_id,
                    after={"messages": count},
                )
            return count

        return ledger.db.write(work)


@requires(Permission.READ_LEDGER)
def search_audit(
    ledger: Ledger,
    *,
    actor: Actor,
    trace_id: str | None = None,
    entity_id: str | None = None,
    user: str | None = None,
    offset: int = 0,
    limit: int = 200,
) -> Page[AuditEntry]:
    with ledger.db.read() as conn:
        return audit.search_audit(
            conn, actor, trace_id=trace_id, entity_id=entity_id, user=user, offset=offset, limit=limit
        )


__all__ = [
    "AuditEntry",
    "ExceptionView",
    "InboxMessage",
    "Page",
    "act_on_exception",
    "get_exception",
    "list_exceptions",
    "list_inbox",
    "mark_inbox_read",
    "search_audit",
]
