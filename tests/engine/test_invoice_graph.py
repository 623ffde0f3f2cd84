"""The Graph mail source and sendMail against a local Graph: one HTTPS server (a trustme CA, given
as the CA bundle) that speaks the authority's tenant discovery and client-credentials token
endpoint as MSAL calls them, and Graph's delta query, ``$value``, PATCH isRead and sendMail, with
its failure modes (429 + Retry-After, an expired delta link, a failing PATCH, a wrong secret). The
production client runs unchanged: MSAL, requests and TLS included."""

from __future__ import annotations

import base64
import itertools
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import sqlalchemy as sa
import trustme

from engine import api
from engine.config import Settings
from engine.demo.invoices import DEMO_VENDORS_CSV, MAILBOX, acme_invoice, invoice_mail, invoice_pdf
from engine.errors import ConfigurationError, ExternalServiceError
from engine.invoices import graph
from engine.store.schema import invoice, mail_message, mail_sync_state
from engine.vocab import Role, Source
from tests.conftest import TODAY, make_settings

FINANCE = api.Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}), source=Source.CONSOLE)
TENANT, CLIENT, SECRET = "tenant-7", "client-7", "s3cret-Graph-Value-42"
PAGE_SIZE = 2  # small pages, so every poll follows @odata.nextLink


class FakeGraph:
    """An authority and a Graph mailbox in one server. Delta tokens are versions: a message
    changed (created, marked read) after version N is in the answer to ``$deltatoken=N``."""

    def __init__(self, ca: trustme.CA) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self.version = 0
        self.requests: list[tuple[str, str]] = []  # (method, path) of every Graph call
        self.bad_headers: list[str] = []
        self.tokens_issued = 0
        self.token_forms: list[dict[str, list[str]]] = []
        self.sent: list[dict[str, Any]] = []
        self.throttle_delta = 0  # this many delta calls get 429 Retry-After: 1
        self.expire_token: str | None = None  # "410" or "syncStateNotFound" for a stored link
        self.fail_patch: set[str] = set()  # ids whose next PATCH fails
        self.fail_value: dict[str, int] = {}  # ids whose $value answers this status
        self.fail_send = 0  # this many sendMail calls answer 403 (Mail.Send not granted yet)
        self.snapshots: list[tuple[int, list[str]]] = []  # a delta round's changes, paged by $skiptoken
        self.on_patch: Callable[[str], None] = lambda message_id: None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_POST(self) -> None:
                fake.handle(self, "POST")

            def do_PATCH(self) -> None:
                fake.handle(self, "PATCH")

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.origin = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # ------------------------------------------------------------------ the mailbox
    def deliver(self, message_id: str, raw: bytes, *, read: bool = False) -> None:
        self.version += 1
        self.messages[message_id] = {"raw": raw, "isRead": read, "version": self.version}

    def set_read(self, message_id: str, read: bool) -> None:
        self.version += 1
        self.messages[message_id].update(isRead=read, version=self.version)

    # ------------------------------------------------------------------ HTTP
    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            return self.reply(request, 200, self.openid())
        if path == f"/{TENANT}/oauth2/v2.0/token":
            return self.token(request, parse_qs(body.decode()))
        self.requests.append((method, path))
        if request.headers.get("Authorization") != "Bearer graph-token-1":
            self.bad_headers.append(f"Authorization on {method} {path}")
            return self.reply(
                request, 401, {"error": {"code": "InvalidAuthenticationToken", "message": "no"}}
            )
        if request.headers.get("Prefer") != 'IdType="ImmutableId"':
            self.bad_headers.append(f"Prefer on {method} {path}")
        box = f"/v1.0/users/{MAILBOX}"
        if method == "GET" and path == f"{box}/mailFolders/inbox/messages/delta":
            return self.delta(request, query)
        if method == "GET" and path.startswith(f"{box}/messages/") and path.endswith("/$value"):
            message_id = path.removeprefix(f"{box}/messages/").removesuffix("/$value")
            if message_id in self.fail_value:
                status = self.fail_value.pop(message_id)
                return self.reply(request, status, {"error": {"code": "ErrorItemNotFound", "message": "?"}})
            return self.reply(request, 200, self.messages[message_id]["raw"], content_type="text/plain")
        if method == "PATCH" and path.startswith(f"{box}/messages/"):
            message_id = path.removeprefix(f"{box}/messages/")
            if message_id in self.fail_patch:
                self.fail_patch.discard(message_id)
                return self.reply(
                    request, 500, {"error": {"code": "ErrorInternalServerError", "message": "x"}}
                )
            self.on_patch(message_id)
            self.set_read(message_id, bool(json.loads(body)["isRead"]))
            return self.reply(request, 200, {"id": message_id, "isRead": True})
        if method == "POST" and path == f"{box}/sendMail":
            if self.fail_send:
                self.fail_send -= 1
                return self.reply(request, 403, {"error": {"code": "ErrorAccessDenied", "message": "denied"}})
            self.sent.append(json.loads(body))
            return self.reply(request, 202, b"")
        return self.reply(request, 404, {"error": {"code": "ErrorItemNotFound", "message": path}})

    def openid(self) -> dict[str, str]:
        root = f"{self.origin}/{TENANT}"
        return {
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "issuer": f"{root}/v2.0",
        }

    def token(self, request: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        self.token_forms.append(form)
        if form.get("grant_type") != ["client_credentials"] or form.get("client_id") != [CLIENT]:
            return self.reply(request, 400, {"error": "invalid_request", "error_description": "bad grant"})
        if form.get("client_secret") != [SECRET]:
            return self.reply(
                request,
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
            )
        self.tokens_issued += 1
        return self.reply(
            request, 200, {"access_token": "graph-token-1", "token_type": "Bearer", "expires_in": 3599}
        )

    def delta(self, request: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        if self.throttle_delta:
            self.throttle_delta -= 1
            return self.reply(
                request, 429, {"error": {"code": "TooManyRequests", "message": "slow"}}, retry=1
            )
        if "$deltatoken" in query and self.expire_token:
            expired, self.expire_token = self.expire_token, None
            if expired == "410":
                return self.reply(request, 410, {"error": {"code": "resyncRequired", "message": "gone"}})
            return self.reply(request, 400, {"error": {"code": "syncStateNotFound", "message": "expired"}})
        if "$skiptoken" in query:
            snapshot, offset = (int(v) for v in query["$skiptoken"][0].split("-"))
        else:  # a round starts: the changes since the token, as of now (later changes: next round)
            assert query.get("$select") == [graph.SELECT] or "$deltatoken" in query
            since = int(query.get("$deltatoken", ["0"])[0])
            changed = sorted((m["version"], i) for i, m in self.messages.items() if m["version"] > since)
            self.snapshots.append((self.version, [i for _, i in changed]))
            snapshot, offset = len(self.snapshots) - 1, 0
        upto, changed_ids = self.snapshots[snapshot]
        link = f"{self.origin}/v1.0/users/{MAILBOX}/mailFolders/inbox/messages/delta"
        answer: dict[str, Any] = {
            "value": [
                {"id": i, "isRead": self.messages[i]["isRead"], "subject": "Invoice", "hasAttachments": True}
                for i in changed_ids[offset : offset + PAGE_SIZE]
            ]
        }
        if offset + PAGE_SIZE < len(changed_ids):
            answer["@odata.nextLink"] = f"{link}?$skiptoken={snapshot}-{offset + PAGE_SIZE}"
        else:
            answer["@odata.deltaLink"] = f"{link}?$deltatoken={upto}"
        return self.reply(request, 200, answer)

    def reply(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any] | bytes,
        *,
        content_type: str = "application/json",
        retry: int | None = None,
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        if retry is not None:
            request.send_header("Retry-After", str(retry))
        request.end_headers()
        request.wfile.write(data)

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.endswith(suffix))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def fake(ca: trustme.CA, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    monkeypatch.setattr(graph, "_clients", {})  # each test starts with no long-lived client
    served = FakeGraph(ca)
    yield served
    served.server.shutdown()


def _settings(tmp_path: Path, fake: FakeGraph, ca: trustme.CA, *, secret: str = SECRET) -> Settings:
    bundle = tmp_path / "graph-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return make_settings(
        tmp_path,
        mail_source="graph",
        ap_delivery="graph",
        graph_tenant_id=TENANT,
        graph_client_id=CLIENT,
        graph_client_secret=secret,
        graph_authority_host=fake.origin,
        graph_base_url=f"{fake.origin}/v1.0",
        graph_ca_bundle=str(bundle),
    )


@pytest.fixture
def ledger(tmp_path: Path, fake: FakeGraph, ca: trustme.CA) -> Iterator[api.Ledger]:
    handle = api.open_ledger(_settings(tmp_path, fake, ca))
    api.import_vendors(handle, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=api.CLI_OPERATOR)
    yield handle
    handle.close()


PDFS: dict[str, bytes] = {}
DAYS = itertools.count(1)


def _mail(number: str) -> bytes:
    """An ACME invoice mail, each on a day of its own (one sender's two invoices of one day are
    DOMAIN's level-2 duplicate)."""
    PDFS[number] = invoice_pdf(acme_invoice(number, TODAY, "315.00"))
    return invoice_mail(
        sender="billing@acme-tools.example",
        subject=f"Invoice {number}",
        message_id=f"<{number}@acme-tools.example>",
        sent_at=datetime(2026, 12, 1, 6, 0, tzinfo=UTC) + timedelta(days=next(DAYS)),
        attachments=[(f"{number}.pdf", PDFS[number])],
    )


def _poll(ledger: api.Ledger) -> api.PollResult:
    return api.poll_mail(ledger, actor=FINANCE, source="graph")


def _invoices(ledger: api.Ledger) -> list[tuple[str, str, str | None]]:
    with ledger.db.read() as conn:
        rows = conn.execute(
            sa.select(invoice.c.message_key, invoice.c.invoice_number, invoice.c.routed_to).order_by(
                invoice.c.invoice_number
            )
        ).all()
    return [(str(k), str(n), r) for k, n, r in rows]


def _stored_link(ledger: api.Ledger) -> str | None:
    with ledger.db.read() as conn:
        return conn.execute(sa.select(mail_sync_state.c.delta_link)).scalar()


def test_a_poll_makes_the_invoices_marks_read_after_and_the_delta_link_brings_only_news(
    ledger: api.Ledger, fake: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # MSAL, requests and urllib3 at their most talkative
    fake.deliver("AAMkImm=1/a", _mail("INV-G-1"))
    fake.deliver("AAMkImm=2/b", _mail("INV-G-2"))
    fake.deliver("AAMkImm=3/c", _mail("INV-G-OLD"), read=True)  # read by a person: not ours
    recorded_at_patch: dict[str, int] = {}

    def invoices_of(message_id: str) -> None:
        with ledger.db.read() as conn:
            recorded_at_patch[message_id] = conn.execute(
                sa.select(sa.func.count()).select_from(invoice).where(invoice.c.message_key == message_id)
            ).scalar_one()

    fake.on_patch = invoices_of

    first = _poll(ledger)

    assert (first.messages, first.invoices, first.routed, first.errors) == (2, 2, 2, 0)
    assert recorded_at_patch == {"AAMkImm=1/a": 1, "AAMkImm=2/b": 1}, "marked read only once recorded"
    assert fake.messages["AAMkImm=1/a"]["isRead"] and fake.messages["AAMkImm=2/b"]["isRead"]
    assert fake.count("GET", "/$value") == 2 and fake.count("GET", "AAMkImm=3/c/$value") == 0
    assert fake.count("GET", "/delta") == 2, "the second page was fetched by its nextLink"
    assert fake.bad_headers == [], "every Graph call carried the token and Prefer: IdType=ImmutableId"
    assert fake.tokens_issued == 1, "one long-lived MSAL app: its cache answers the later calls"
    form = fake.token_forms[0]
    assert form["grant_type"] == ["client_credentials"] and form["scope"][0].startswith(
        "https://graph.microsoft.com/.default"
    )
    assert [(k, n) for k, n, _ in _invoices(ledger)] == [
        ("AAMkImm=1/a", "INV-G-1"),
        ("AAMkImm=2/b", "INV-G-2"),
    ]
    assert all(r == "ap@opsledger.example (Graph sendMail)" for _, _, r in _invoices(ledger))
    # sendMail: the seed subject, AP as recipient, the original PDF inline, not kept in Sent Items.
    assert len(fake.sent) == 2
    for sent, number in zip(fake.sent, ["INV-G-1", "INV-G-2"], strict=True):
        message = sent["message"]
        assert sent["saveToSentItems"] is False
        assert message["subject"] == "Invoice: ACME Tools LLC - GL 6100"
        assert message["toRecipients"] == [{"emailAddress": {"address": "ap@opsledger.example"}}]
        assert f"Invoice number: {number}" in message["body"]["content"]
        (pdf,) = message["attachments"]
        assert pdf["@odata.type"] == "#microsoft.graph.fileAttachment" and pdf["name"] == f"{number}.pdf"
        assert base64.b64decode(pdf["contentBytes"]) == PDFS[number]
    link = _stored_link(ledger)
    assert link is not None and "$deltatoken=" in link

    second = _poll(ledger)  # the delta link: only the two read-marks come back, and are skipped

    assert (second.messages, second.invoices) == (0, 0)
    assert fake.count("GET", "/$value") == 2 and len(fake.sent) == 2
    assert fake.requests[-1][0] == "GET" and fake.requests[-1][1].endswith("/delta")

    fake.deliver("AAMkImm=4/d", _mail("INV-G-3"))
    third = _poll(ledger)

    assert (third.messages, third.invoices) == (1, 1)
    assert fake.count("GET", "/$value") == 3 and len(_invoices(ledger)) == 3
    logged = caplog.text + (ledger.settings.data_dir / "logs" / "opsledger.jsonl").read_text()
    assert SECRET not in logged and "graph-token-1" not in logged


@pytest.mark.parametrize("expiry", ["410", "syncStateNotFound"])
def test_an_expired_delta_link_means_a_full_sync_and_no_second_invoice(
    ledger: api.Ledger, fake: FakeGraph, expiry: str
) -> None:
    fake.deliver("m-1", _mail("INV-R-1"))
    fake.deliver("m-2", _mail("INV-R-2"))
    _poll(ledger)
    old_link = _stored_link(ledger)
    fake.set_read("m-1", False)  # someone marked it unread again: the full sync meets it once more
    fake.deliver("m-3", _mail("INV-R-3"))
    fake.expire_token = expiry

    again = _poll(ledger)

    assert (again.messages, again.invoices, again.skipped) == (2, 1, 1)
    assert [n for _, n, _ in _invoices(ledger)] == ["INV-R-1", "INV-R-2", "INV-R-3"]
    assert len(fake.sent) == 3, "the replayed message was not sent to AP again"
    assert all(m["isRead"] for m in fake.messages.values())
    assert _stored_link(ledger) not in (None, old_link)


def test_a_throttled_call_waits_for_retry_after_and_goes_on(ledger: api.Ledger, fake: FakeGraph) -> None:
    fake.deliver("m-1", _mail("INV-T-1"))
    fake.throttle_delta = 1

    started = time.monotonic()
    result = _poll(ledger)

    assert time.monotonic() - started >= 1.0, "Retry-After: 1 was obeyed"
    assert result.invoices == 1 and fake.count("GET", "/delta") == 2


def test_a_message_not_marked_read_comes_back_and_the_ledger_answers_it(
    ledger: api.Ledger, fake: FakeGraph
) -> None:
    fake.deliver("m-1", _mail("INV-P-1"))
    fake.deliver("m-2", _mail("INV-P-2"))
    fake.fail_patch = {"m-1"}  # as if the process died between the invoice and the read-mark

    first = _poll(ledger)

    assert first.invoices == 2 and not fake.messages["m-1"]["isRead"] and fake.messages["m-2"]["isRead"]
    assert _stored_link(ledger) is None, "the delta link is kept back while a message is unmarked"

    second = _poll(ledger)

    assert (second.messages, second.invoices, second.skipped) == (1, 0, 1)
    assert [n for _, n, _ in _invoices(ledger)] == ["INV-P-1", "INV-P-2"] and len(fake.sent) == 2
    assert fake.messages["m-1"]["isRead"] and _stored_link(ledger) is not None
    with ledger.db.read() as conn:
        keys = conn.execute(sa.select(mail_message.c.message_key, mail_message.c.status)).all()
    assert sorted(keys) == [("m-1", "processed"), ("m-2", "processed")]


@pytest.mark.parametrize(("status", "kept_back"), [(404, False), (500, True)])
def test_a_message_graph_cannot_hand_over_never_stops_the_poll(
    ledger: api.Ledger, fake: FakeGraph, status: int, kept_back: bool
) -> None:
    fake.deliver("m-1", _mail("INV-V-1"))
    fake.deliver("m-2", _mail("INV-V-2"))
    fake.fail_value = {"m-1": status}  # 404: deleted since the delta page; 500: try again next poll

    first = _poll(ledger)

    assert (first.messages, first.invoices) == (1, 1) and fake.messages["m-2"]["isRead"]
    assert (_stored_link(ledger) is None) is kept_back
    second = _poll(ledger)
    assert second.invoices == (1 if kept_back else 0)
    assert [n for _, n, _ in _invoices(ledger)] == (["INV-V-1", "INV-V-2"] if kept_back else ["INV-V-2"])


def test_a_refused_sendmail_leaves_the_invoice_for_the_next_poll_to_route(
    ledger: api.Ledger, fake: FakeGraph
) -> None:
    fake.deliver("m-1", _mail("INV-S-1"))
    fake.fail_send = 1

    first = _poll(ledger)

    assert (first.invoices, first.routed) == (1, 0) and fake.sent == [] and fake.messages["m-1"]["isRead"]
    assert _invoices(ledger)[0][2] is None
    second = _poll(ledger)
    assert (second.messages, second.routed) == (0, 1) and len(fake.sent) == 1
    assert _invoices(ledger)[0][2] == "ap@opsledger.example (Graph sendMail)"


def test_a_wrong_secret_stops_the_poll_with_the_error_and_never_the_secret(
    tmp_path: Path, fake: FakeGraph, ca: trustme.CA, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-Secret-Value-99"
    ledger = api.open_ledger(_settings(tmp_path, fake, ca, secret=wrong))
    fake.deliver("m-1", _mail("INV-W-1"))
    try:
        with pytest.raises(ExternalServiceError) as raised:
            _poll(ledger)
        logged = caplog.text + (ledger.settings.data_dir / "logs" / "opsledger.jsonl").read_text()
        assert _invoices(ledger) == []
    finally:
        ledger.close()
    assert "invalid_client" in raised.value.message and "AADSTS7000215" in raised.value.message
    assert wrong not in raised.value.message and wrong not in logged
    assert fake.requests == [], "no Graph call without a token"


def test_missing_graph_settings_say_which_to_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, mail_source="graph", graph_tenant_id="t", graph_client_id="c")
    ledger = api.open_ledger(settings)
    try:
        with pytest.raises(ConfigurationError, match="OPSLEDGER_GRAPH_CLIENT_SECRET"):
            _poll(ledger)
    finally:
        ledger.close()


def test_an_attachment_of_3_mb_or_more_is_refused_before_sendmail() -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["To"] = "ap@opsledger.example"
    message["Subject"] = "Invoice: ACME Tools LLC - GL 6100"
    message.set_content("Details")
    message.add_attachment(b"%PDF" + b"0" * graph.INLINE_LIMIT, maintype="application", subtype="pdf")
    with pytest.raises(ExternalServiceError, match="upload-session path is not built"):
        graph.graph_message(message)
