"""Microsoft Graph change notifications for the AP mailbox (issue 8 §1, optional): the validation
handshake (echo ``validationToken`` as text/plain within 10 s), and notifications checked against the
subscription's ``clientState`` that start a mail poll in the background (Graph wants 2xx within 3 s).
The minute poll stays the safety net: a lost notification only delays an invoice to the next minute.

Graph cannot send an API key, so this route is the one under ``/api/v1`` without one; what it can do
is ask for a poll, nothing else, and only with the secret ``clientState``."""

from __future__ import annotations

import hmac
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from console.api.problems import COMMON
from console.handle import get_ledger
from engine import api
from engine.api import SYSTEM_JOB
from engine.errors import AuthenticationFailed, NotFound
from engine.logs import get_logger
from engine.vocab import JobTrigger

log = get_logger("console.api.graph")
router = APIRouter(tags=["mailbox"])
_polling = threading.Lock()  # one notification-triggered poll at a time; more would read the same mail


def _poll() -> None:
    if not _polling.acquire(blocking=False):
        return  # a poll is reading the mailbox now: it (or the next minute's) takes the new mail
    try:
        api.run_job(get_ledger(), "mail_poll", actor=SYSTEM_JOB, trigger=JobTrigger.NOTIFICATION)
    finally:
        _polling.release()


@router.post(
    "/graph/notifications",
    summary="Graph change notifications for the AP mailbox (validation handshake, then notifications)",
    status_code=202,
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "the validation token, echoed"}, **COMMON},
)
async def notifications(
    request: Request,
    validation_token: Annotated[str | None, Query(alias="validationToken", max_length=2000)] = None,
) -> Response:
    state = get_ledger().settings.graph_client_state
    if state is None:
        raise NotFound("Graph change notifications are not configured (OPSLEDGER_GRAPH_CLIENT_STATE).")
    if validation_token is not None:  # the subscription's handshake: echo the token, nothing else
        return PlainTextResponse(validation_token, status_code=200)
    try:
        payload: Any = await request.json()
    except ValueError:
        payload = None
    items = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise AuthenticationFailed(
            "A notification carries a 'value' list with the subscription's clientState."
        )
    secret = state.get_secret_value()
    if not all(
        isinstance(i, dict) and hmac.compare_digest(str(i.get("clientState", "")), secret) for i in items
    ):
        log.warning("Graph notification with a wrong clientState refused")
        raise AuthenticationFailed("The clientState does not match this console's subscription.")
    threading.Thread(target=_poll, name="opsledger-graph-notified-poll", daemon=True).start()
    return Response(status_code=202)
