"""The console's own HTTP surface, served by its ``st.App`` in the same process as the pages:
the session-cookie routes with the binding-cookie middleware they rely on, a JSON health check, and
start-up/shut-down of the background work."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.api.app import PREFIX as API_PREFIX
from console.api.app import build as build_api
from console.handle import close_all, get_ledger
from engine import api
from engine.api import CLI_OPERATOR
from engine.auth.sessions import BINDING_COOKIE_NAME, COOKIE_NAME, new_binding, sign_session, unsign_session
from engine.errors import EngineError
from engine.ids import new_ulid
from engine.logs import get_logger
from jobs.scheduler import start_in_process, stop_in_process

log = get_logger("console.server")
# A transparent 1x1 GIF: the sign-in page fetches the cookie route as an image.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _pixel() -> Response:
    return Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


def _peer(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _secure(ledger: api.Ledger, scope: Scope, headers: Headers) -> bool:
    return api.secure_cookies(
        ledger,
        scheme=scope.get("scheme", "http"),
        peer=_peer(scope),
        forwarded_proto=headers.get("x-forwarded-proto"),
    )


async def start_session(request: Request) -> Response:
    """Set the session cookie granted to this browser: the grant is bound to its binding cookie,
    so a grant cannot be redeemed by (planted in) another browser, and no secret is in the URL."""
    response = _pixel()
    # A browser that says where the request came from must say: from our own pages.
    if request.headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return response
    ledger = await run_in_threadpool(get_ledger)
    binding = request.cookies.get(BINDING_COOKIE_NAME)
    session_id = await run_in_threadpool(lambda: api.redeem_session_grant(ledger, binding=binding))
    if session_id:
        response.set_cookie(
            COOKIE_NAME,
            sign_session(api.cookie_secret(ledger), session_id),
            max_age=int(ledger.settings.session_max_hours * 3600),
            httponly=True,
            samesite="lax",
            secure=_secure(ledger, request.scope, request.headers),
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


class BindingCookie:
    """Give every browser that loads a console page a random binding cookie (HttpOnly,
    SameSite=Strict). The page script reads it from the websocket handshake's cookies and binds
    the session-cookie grant to it; only this browser sends it back to the cookie route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        if BINDING_COOKIE_NAME in _cookie_names(request_headers.get("cookie", "")):
            await self.app(scope, receive, send)
            return

        async def send_with_binding(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    ledger = await run_in_threadpool(get_ledger)
                    secure = "; Secure" if _secure(ledger, scope, request_headers) else ""
                    headers.append(
                        "set-cookie",
                        f"{BINDING_COOKIE_NAME}={new_binding()}; HttpOnly; Path=/; SameSite=Strict{secure}",
                    )
            await send(message)

        await self.app(scope, receive, send_with_binding)


def _cookie_names(header: str) -> set[str]:
    return {part.split("=", 1)[0].strip() for part in header.split(";") if "=" in part}


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


class IntegrationApi:
    """Hands every request under ``/api/v1`` to the integration API, ahead of the page routes and
    Streamlit's own middleware: the API answers for its whole prefix (an odd path is its 404
    problem, not a page's plain-text one) and no page cookie is set on its answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.api = build_api()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == API_PREFIX or path.startswith(f"{API_PREFIX}/")):
            # As a Mount would: the API's routes are matched below its prefix.
            scope = {**scope, "root_path": scope.get("root_path", "") + API_PREFIX}
            await self.api(scope, receive, send)
            return
        await self.app(scope, receive, send)


MIDDLEWARE = [Middleware(IntegrationApi), Middleware(BindingCookie)]
ROUTES = [
    Route("/api/session/start", start_session, methods=["GET"]),
    Route("/api/session/end", end_session, methods=["GET"]),
    Route("/api/health", health, methods=["GET"]),
]


def _start_background() -> None:
    ledger = get_ledger()
    settings = ledger.settings
    if settings.demo_data:
        outcome = api.load_demo(ledger, actor=CLI_OPERATOR)
        if outcome.loaded:
            log.info("demo data loaded on first start")
    elif exposed := api.demo_accounts(ledger, actor=CLI_OPERATOR):
        log.warning(
            "demo accounts with published passwords are active while demo data is off",
            extra={"accounts": [account.email for account in exposed]},
        )
    if settings.jobs_enabled:
        start_in_process(ledger)


def warm_up() -> None:
    """Pay the one-off costs of the pages' heavy libraries once per process, at start-up, rather than
    on the first visit to Coverage, LPOs or Exceptions: importing plotly and building a first figure
    (plotly loads its trace validators lazily) and pandas' Styler templates (jinja2). Measured on the
    2-core test machine under load: ~2.2 s added to the first visitor's render, ~0 after."""
    started = time.perf_counter()
    import pandas as pd
    import plotly.express as px
    import plotly.io as pio

    frame = pd.DataFrame({"x": ["a"], "y": [1]})
    pio.to_json(px.bar(frame, x="x", y="y"))
    frame.style.apply(lambda row: [""] * len(row), axis=1).to_html()
    log.info("page libraries warmed up", extra={"seconds": round(time.perf_counter() - started, 3)})


def _warm_up_quietly() -> None:
    try:
        warm_up()
    except ImportError as error:  # only a head start: the page that needs it says so itself
        log.warning("warming up the page libraries failed", extra={"error": repr(error)})


def answer_small_writes_at_once() -> int:
    """Turn Nagle's algorithm off on the console's listening sockets (accepted connections inherit
    it on Linux). Streamlit binds its socket with protocol number 0, so asyncio's own TCP_NODELAY
    (set only when ``sock.proto == IPPROTO_TCP``) is never applied: on a kept-alive connection a
    response's body then waits for the client's delayed ACK of its headers, ~40 ms per request
    (measured on the API and on ``/_stcore/health``). Returns how many sockets were changed."""
    changed = 0
    fds = Path("/proc/self/fd")  # Linux, where the console runs; elsewhere nothing is changed
    for entry in fds.iterdir() if fds.is_dir() else []:
        try:
            probe = socket.fromfd(int(entry.name), socket.AF_INET, socket.SOCK_STREAM)
        except OSError:
            continue  # not a socket
        with probe:
            try:
                listening = probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
                if listening and probe.family in (socket.AF_INET, socket.AF_INET6):
                    probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    changed += 1
            except OSError:
                continue  # a Unix or UDP socket
    return changed


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    log.info("small writes answered at once", extra={"listening_sockets": answer_small_writes_at_once()})
    # In its own thread: the console answers at once, and the pages' first visits find the work done.
    threading.Thread(target=_warm_up_quietly, name="opsledger-warm-up", daemon=True).start()
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


__all__ = ["MIDDLEWARE", "ROUTES", "lifespan", "on_script_error"]
