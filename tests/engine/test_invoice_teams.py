"""The Teams card against a local webhook receiver that speaks HTTP as Teams' Workflows trigger
does (202 on success, 429 with Retry-After when throttled): the production client, unchanged."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from engine import api
from engine.api import CLI_OPERATOR, Actor
from engine.demo.invoices import DEMO_VENDORS_CSV, acme_invoice, invoice_mail, invoice_pdf
from engine.vocab import Role, Source
from tests.conftest import TODAY, make_settings

FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}), source=Source.CONSOLE)


class Receiver:
    def __init__(self, answers: list[int]) -> None:
        self.answers = answers  # status per request, the last one repeated
        self.bodies: list[dict[str, object]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                status = receiver.answers[min(len(receiver.bodies), len(receiver.answers)) - 1]
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/workflows/hook?sig=secret"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    answers = getattr(request, "param", [202])
    served = Receiver(answers)
    yield served
    served.server.shutdown()


def _ledger(tmp_path: Path, url: str) -> api.Ledger:
    ledger = api.open_ledger(make_settings(tmp_path, teams_webhook_url=url))
    api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=CLI_OPERATOR)
    return ledger


def _mail(number: str) -> bytes:
    pdf = invoice_pdf(acme_invoice(number, TODAY, "315.00"))
    return invoice_mail(
        sender="billing@acme-tools.example",
        subject=f"Invoice {number}",
        message_id=f"<{number}@acme-tools.example>",
        sent_at=datetime(2027, 1, 4, 6, 0, tzinfo=UTC),
        attachments=[(f"{number}.pdf", pdf)],
    )


def test_a_routed_invoice_posts_one_adaptive_card(tmp_path: Path, receiver: Receiver) -> None:
    ledger = _ledger(tmp_path, receiver.url)
    try:
        outcome = api.process_mail(ledger, _mail("INV-T-1"), actor=FINANCE)
    finally:
        ledger.close()
    assert outcome.invoices[0].status is api.InvoiceStatus.PROCESSED
    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert body["type"] == "message"
    attachment = body["attachments"][0]  # type: ignore[index]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    facts = {f["title"]: f["value"] for f in attachment["content"]["body"][1]["facts"]}
    assert (
        facts["Vendor"] == "ACME Tools LLC" and facts["GL Code"] == "6100" and facts["Invoice"] == "INV-T-1"
    )


@pytest.mark.parametrize("receiver", [[429, 202]], indirect=True)
def test_a_throttled_card_is_posted_again_after_retry_after(tmp_path: Path, receiver: Receiver) -> None:
    ledger = _ledger(tmp_path, receiver.url)
    try:
        api.process_mail(ledger, _mail("INV-T-2"), actor=FINANCE)
    finally:
        ledger.close()
    assert len(receiver.bodies) == 2


@pytest.mark.parametrize("receiver", [[400]], indirect=True)
def test_a_refused_card_never_stops_the_invoice(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = _ledger(tmp_path, receiver.url)
    try:
        outcome = api.process_mail(ledger, _mail("INV-T-3"), actor=FINANCE)
    finally:
        ledger.close()
    assert len(receiver.bodies) == 1
    assert outcome.invoices[0].routed_at is not None
    assert "sig=secret" not in caplog.text  # the URL is a secret: never logged
