"""The console's session-cookie routes and binding-cookie middleware over real HTTP (uvicorn on a
local port, the engine on a DuckDB store): a cookie grant is redeemed only by the browser it was
bound to and only from the console's own pages, nothing secret travels in a URL, and cookies are
``Secure`` behind a TLS-terminating proxy that is trusted, and only then."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from console import handle
from console.server import MIDDLEWARE, ROUTES
from engine import api
from engine.auth.sessions import BINDING_COOKIE_NAME, COOKIE_NAME, unsign_session
from tests.conftest import PASSWORD

TRUSTED_PROXY = "127.0.0.2"
UNTRUSTED_PEER = "127.0.0.3"


@dataclass(frozen=True)
class Answer:
    status: int
    cookies: dict[str, str]  # name -> the whole Set-Cookie header
    body: bytes

    def value(self, name: str) -> str:
        cookie = SimpleCookie()
        cookie.load(self.cookies[name])
        return cookie[name].value


@dataclass(frozen=True)
class Server:
    port: int
    ledger: api.Ledger

    def get(
        self, path: str, *, cookies: dict[str, str] | None = None, peer: str = "127.0.0.1", **headers: str
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(peer, 0))
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        try:
            connection.request("GET", path, headers=sent)
            response = connection.getresponse()
            set_cookies = response.headers.get_all("set-cookie") or []
            return Answer(
                status=response.status,
                cookies={header.split("=", 1)[0]: header for header in set_cookies},
                body=response.read(),
            )
        finally:
            connection.close()


def _page(request: Request) -> Response:
    """Stands in for the console's pages (Streamlit serves them as text/html)."""
    return HTMLResponse("<!doctype html><title>OpsLedger</title>")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSLEDGER_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "false")
    monkeypatch.setenv("OPSLEDGER_JOBS_ENABLED", "false")
    monkeypatch.setenv("OPSLEDGER_TRUSTED_PROXIES", TRUSTED_PROXY)
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("OPSLEDGER_COOKIE_SECURE", raising=False)
    ledger = handle.get_ledger()
    app = Starlette(routes=[*ROUTES, Route("/", _page), Route("/tags", _page)], middleware=MIDDLEWARE)
    port = _free_port()
    # uvicorn believes X-Forwarded-* from 127.0.0.1 only (its default); the other peers are ours.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield Server(port=port, ledger=ledger)
    finally:
        running.should_exit = True
        thread.join(timeout=10)
        handle.close_all()


def signed_in_session(server: Server, email: str = "pat@test.local") -> str:
    api.add_user(server.ledger, email=email, roles=["sales"], password=PASSWORD, actor=api.CLI_OPERATOR)
    return api.sign_in(server.ledger, email=email, password=PASSWORD).session_id


def test_pages_give_each_browser_a_binding_cookie(server: Server) -> None:
    first = server.get("/")
    header = first.cookies[BINDING_COOKIE_NAME]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Secure" not in header, "plain http from a browser on this machine"
    assert len(first.value(BINDING_COOKIE_NAME)) >= 40
    assert server.get("/tags").value(BINDING_COOKIE_NAME) != first.value(BINDING_COOKIE_NAME)
    kept = server.get("/tags", cookies={BINDING_COOKIE_NAME: first.value(BINDING_COOKIE_NAME)})
    assert BINDING_COOKIE_NAME not in kept.cookies, "a browser keeps the one it has"
    assert BINDING_COOKIE_NAME not in server.get("/api/health").cookies, "pages only"


def test_the_cookie_goes_only_to_the_browser_the_grant_is_bound_to(server: Server) -> None:
    session = signed_in_session(server)
    mine = server.get("/").value(BINDING_COOKIE_NAME)
    theirs = server.get("/").value(BINDING_COOKIE_NAME)
    api.grant_session_cookie(server.ledger, session, binding=mine)

    # Login CSRF: the attacker's grant planted in a victim's browser (another binding, or none).
    assert COOKIE_NAME not in server.get("/api/session/start", cookies={BINDING_COOKIE_NAME: theirs}).cookies
    assert COOKIE_NAME not in server.get("/api/session/start").cookies
    # From another site's page, even the right browser gets nothing (and the grant stays).
    for site in ("cross-site", "same-site"):
        refused = server.get("/api/session/start", cookies={BINDING_COOKIE_NAME: mine}, sec_fetch_site=site)
        assert refused.status == 200 and COOKIE_NAME not in refused.cookies

    granted = server.get(
        "/api/session/start", cookies={BINDING_COOKIE_NAME: mine}, sec_fetch_site="same-origin"
    )
    assert granted.status == 200 and granted.body.startswith(b"GIF89a")
    header = granted.cookies[COOKIE_NAME]
    assert "HttpOnly" in header and "SameSite=lax" in header and "Secure" not in header
    assert f"Max-Age={12 * 3600}" in header, "no longer than a session may live"
    secret = api.cookie_secret(server.ledger)
    assert unsign_session(secret, granted.value(COOKIE_NAME)) == session
    assert COOKIE_NAME not in server.get("/api/session/start", cookies={BINDING_COOKIE_NAME: mine}).cookies, (
        "once"
    )


def test_cookies_are_secure_behind_a_trusted_proxy_only(server: Server) -> None:
    via_proxy = server.get("/", peer=TRUSTED_PROXY, x_forwarded_proto="https")
    assert "Secure" in via_proxy.cookies[BINDING_COOKIE_NAME]
    spoofed = server.get("/", peer=UNTRUSTED_PEER, x_forwarded_proto="https")
    assert "Secure" not in spoofed.cookies[BINDING_COOKIE_NAME], "anyone can send the header"

    session = signed_in_session(server)
    binding = via_proxy.value(BINDING_COOKIE_NAME)
    for peer, secure in ((UNTRUSTED_PEER, False), (TRUSTED_PROXY, True)):
        api.grant_session_cookie(server.ledger, session, binding=binding)
        answer = server.get(
            "/api/session/start", cookies={BINDING_COOKIE_NAME: binding}, peer=peer, x_forwarded_proto="https"
        )
        assert ("Secure" in answer.cookies[COOKIE_NAME]) is secure, peer


def test_the_end_route_drops_only_the_cookie_of_an_ended_session(server: Server) -> None:
    session = signed_in_session(server)
    binding = server.get("/").value(BINDING_COOKIE_NAME)
    api.grant_session_cookie(server.ledger, session, binding=binding)
    cookie = server.get("/api/session/start", cookies={BINDING_COOKIE_NAME: binding}).value(COOKIE_NAME)
    assert COOKIE_NAME not in server.get("/api/session/end", cookies={COOKIE_NAME: cookie}).cookies, "live"
    actor = api.resolve_session(server.ledger, session)
    assert actor is not None
    api.sign_out(server.ledger, actor=actor)
    dropped = server.get("/api/session/end", cookies={COOKIE_NAME: cookie}).cookies[COOKIE_NAME]
    assert 'opsledger_session=""' in dropped and "Max-Age=0" in dropped
