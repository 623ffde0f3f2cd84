"""The console's own HTTP surface, served by its ``st.App`` in the same process as the pages:
the session-cookie routes, a JSON health check, and start-up/shut-down of the background work."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from console.handle import close_all, get_ledger
from engine import api
from engine.auth.sessions import COOKIE_NAME, sign_session, unsign_session
from engine.errors import EngineError
from engine.ids import new_ulid
from engine.logs import get_logger
from engine.vocab import Source
from jobs.scheduler import start_in_process, stop_in_process

log = get_logger("console.server")
# A transparent 1x1 GIF: the sign-in page fetches the cookie route as an image.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# The cookie outlives a browser restart; the session's idle timeout in the engine ends it sooner.
COOKIE_MAX_AGE = 7 * 24 * 3600


def _pixel() -> Response:
    return Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


async def start_session(request: Request) -> Response:
    ledger = await run_in_threadpool(get_ledger)
    session_id = await run_in_threadpool(
        api.redeem_sign_in_code, ledger, request.query_params.get("code", "")
    )
    response = _pixel()
    if session_id:
        response.set_cookie(
            COOKIE_NAME,
            sign_session(api.cookie_secret(ledger), session_id),
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


async def end_session(request: Request) -> Response:
    """Drop the browser's session cookie once its session has ended. Ending the session is the
    engine's (``api.sign_out`` runs before a page asks for this); the cookie of a live session stays,
    as the browser may hold a newer session than the tab that asks (signed in again, another tab)."""
    response = _pixel()
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return response
    ledger = await run_in_threadpool(get_ledger)
    session_id = unsign_session(api.cookie_secret(ledger), raw)
    if session_id and await run_in_threadpool(api.resolve_session, ledger, session_id) is not None:
        return response
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


async def health(request: Request) -> Response:
    try:
        ledger = await run_in_threadpool(get_ledger)
        current, latest = await run_in_threadpool(api.schema_version, ledger)
    except EngineError as error:
        return JSONResponse({"status": "unavailable", "message": error.message}, status_code=503)
    ok = current == latest
    return JSONResponse(
        {"status": "ok" if ok else "degraded", "schema_version": current, "latest_schema_version": latest},
        status_code=200 if ok else 503,
    )


ROUTES = [
    Route("/api/session/start", start_session, methods=["GET"]),
    Route("/api/session/end", end_session, methods=["GET"]),
    Route("/api/health", health, methods=["GET"]),
]


def _start_background() -> None:
    ledger = get_ledger()
    settings = ledger.settings
    if settings.demo_data:
        from engine.demo.loader import load_demo_data

        outcome = load_demo_data(ledger)
        if outcome.get("loaded"):
            log.info("demo data loaded on first start")
    if settings.jobs_enabled:
        start_in_process(ledger)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    await run_in_threadpool(_start_background)
    try:
        yield
    finally:
        stop_in_process()
        close_all()


def on_script_error(error: Exception) -> bool:
    """An error no page expected: logged with a reference, shown as a short message, no traceback."""
    import streamlit as st

    reference = new_ulid()
    log.error("unexpected console error", exc_info=error, extra={"reference": reference})
    st.error(
        f"Something went wrong on this page. It was logged with reference {reference}; "
        "please pass that on to your administrator."
    )
    return True


__all__ = ["ROUTES", "Source", "lifespan", "on_script_error"]
