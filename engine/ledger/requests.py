"""``client_request_log``: the stored response of every state-changing request, keyed by the caller's
idempotency key (DOMAIN "client_request_id").

The console makes one key per form submission and keeps it across reruns, so a double click or a
retry after a dropped connection returns the first answer instead of acting twice. The same key
with different content is refused: it is a caller's bug, not a retry. The log row is written in the
same transaction as the work it answers for; on a server database two concurrent twins collide on
its primary key, and the gateway re-runs the loser, which then finds the stored response.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import Conflict, ValidationError
from engine.logs import get_logger
from engine.store.gateway import Database
from engine.store.schema import client_request_log

log = get_logger("requests")

M = TypeVar("M", bound=BaseModel)
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"
_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)


def fingerprint(*parts: object) -> str:
    """What identifies the content of a request: the same key must come with the same parts."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


def check_request_id(request_id: str) -> str:
    if not _REQUEST_ID.match(request_id or ""):
        raise ValidationError(
            "The request id must be 8 to 64 letters, digits or . _ : - (a UUID, say).", field="request_id"
        )
    return request_id


def stored(conn: Connection, request_id: str, operation: str, print_: str, model: type[M]) -> M | None:
    """The response stored for ``request_id``, or None when it is new."""
    row = conn.execute(
        sa.select(
            client_request_log.c.operation, client_request_log.c.fingerprint, client_request_log.c.response
        ).where(client_request_log.c.client_request_id == request_id)
    ).first()
    if row is None:
        return None
    if row.operation != operation or row.fingerprint != print_:
        raise Conflict(
            f"Request id {request_id} was already used for a different request; send a new id.",
            client_request_id=request_id,
        )
    return model.model_validate_json(row.response)


def remember(
    conn: Connection,
    request_id: str,
    operation: str,
    print_: str,
    result: BaseModel,
    *,
    actor: Actor,
    trace_id: str,
    http_status: int = 200,
) -> None:
    conn.execute(
        client_request_log.insert().values(
            client_request_id=request_id,
            operation=operation,
            fingerprint=print_,
            http_status=http_status,
            response=result.model_dump_json(),
            actor=actor.email,
            created_at=utcnow(),
            trace_id=trace_id,
        )
    )


def run_once(
    db: Database,
    work: Callable[[Connection], M],
    *,
    request_id: str | None,
    operation: str,
    parts: tuple[object, ...],
    model: type[M],
    actor: Actor,
    trace_id: str,
) -> M:
    """Run ``work`` in one transaction, at most once per request id (without one: every time).

    Always with ``retry_integrity``: a unique key another transaction took meanwhile (an "exactly one"
    row such as an open review) re-runs the unit, which then finds and uses that row."""
    if request_id is None:
        return db.write(work, retry_integrity=True)
    key, print_ = check_request_id(request_id), fingerprint(operation, *parts)

    def unit(conn: Connection) -> tuple[M, bool]:
        earlier = stored(conn, key, operation, print_, model)
        if earlier is not None:
            return earlier, False
        result = work(conn)
        remember(conn, key, operation, print_, result, actor=actor, trace_id=trace_id)
        return result, True

    result, fresh = db.write(unit, retry_integrity=True)
    # One line per request id: support can tell a double click (replayed) from two real requests.
    log.info(
        "request done" if fresh else "request replayed",
        extra={"operation": operation, "client_request_id": key, "actor": actor.email},
    )
    return result
