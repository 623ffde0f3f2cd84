"""Exceptions over the API: the list (desk, status, paging) and seed 000 §5's card action."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from console.api.auth import Caller
from console.api.problems import COMMON, trace_of
from console.api.wire import ExceptionActionBody, Traced
from console.handle import get_ledger
from engine import api
from engine.logs import traced
from engine.models import MAX_PAGE
from engine.vocab import Desk, ExceptionStatus

router = APIRouter(tags=["exceptions"])


@router.get("/exceptions", summary="Exceptions the key's roles may see, newest first", responses=COMMON)
def list_exceptions(
    request: Request,
    actor: Caller,
    desk: Desk | None = None,
    status: ExceptionStatus | None = None,
    open_only: bool = False,
    tag_id: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> Traced[api.Page[api.ExceptionView]]:
    with traced(trace_of(request)) as trace_id:
        page = api.list_exceptions(
            get_ledger(),
            actor=actor,
            desk=desk,
            status=status,
            open_only=open_only,
            tag_id=tag_id,
            offset=offset,
            limit=limit,
        )
        return Traced[api.Page[api.ExceptionView]](data=page, trace_id=trace_id)


@router.post(
    "/exceptions/action",
    summary="Acknowledge, assign, resolve or dismiss an exception (seed 000 §5)",
    responses=COMMON,
)
def act_on_exception(body: ExceptionActionBody, request: Request, actor: Caller) -> Traced[api.ExceptionView]:
    """Only a key whose roles work the exception's desk may act; ``expected_version`` refuses (409) an
    action on an exception someone changed since the caller read it."""
    with traced(trace_of(request)) as trace_id:
        view = api.act_on_exception(
            get_ledger(),
            body.exception_id,
            body.action,
            actor=actor,
            notes=body.notes,
            assignee=body.assignee,
            expected_version=body.expected_version,
            request_id=body.client_request_id or request.headers.get("idempotency-key"),
        )
        return Traced[api.ExceptionView](data=view, trace_id=trace_id)
