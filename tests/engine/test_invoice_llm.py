"""The optional language model against a local OpenAI-compatible server (``POST /v1/chat/completions``
answering chat.completion objects), with the production ``openai`` client unchanged: a good answer,
a vendor that is not in the master, malformed JSON, a timeout."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engine import api
from engine.api import CLI_OPERATOR, Actor
from engine.demo.invoices import DEMO_VENDORS_CSV, invoice_mail, invoice_pdf
from engine.vocab import Role, Source
from tests.conftest import make_settings

FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}), source=Source.CONSOLE)
# A vendor the deterministic steps cannot find: no domain match, its name not in the text.
TEXT = ["BILL OF SUPPLY", "Ref: 7781-Q", "Supplied: drill bits", "Payable: 420.00"]


class FakeOpenAI:
    def __init__(self) -> None:
        self.mode = "good"
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                )
                if fake.mode == "timeout":
                    time.sleep(3)
                content = {
                    "good": json.dumps(
                        {
                            "vendor": "ACME Tools LLC",
                            "invoice_number": "7781-Q",
                            "invoice_date": "2026-11-02",
                            "due_date": None,
                            "total_amount": "420.00",
                            "currency": "AED",
                            "payment_terms": None,
                        }
                    ),
                    "stranger": json.dumps(
                        {
                            "vendor": "Totally New Vendor",
                            "invoice_number": "7781-Q",
                            "invoice_date": None,
                            "due_date": None,
                            "total_amount": "420.00",
                            "currency": "AED",
                            "payment_terms": None,
                        }
                    ),
                    "malformed": "{'vendor': ACME",
                    "timeout": "{}",
                }[fake.mode]
                answer = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(answer).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    served = FakeOpenAI()
    yield served
    served.server.shutdown()


def _process(tmp_path: Path, fake: FakeOpenAI, number: str) -> api.InvoiceView:
    settings = make_settings(
        tmp_path, openai_api_key="sk-test-not-real", openai_base_url=fake.url, openai_timeout_seconds=1
    )
    ledger = api.open_ledger(settings)
    try:
        api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=CLI_OPERATOR)
        raw = invoice_mail(
            sender="someone@freemail.example", subject="bill", message_id=f"<{number}@freemail.example>",
            sent_at=datetime(2027, 1, 4, 6, 0, tzinfo=UTC), attachments=[("bill.pdf", invoice_pdf(TEXT))],
        )  # fmt: skip
        return api.process_mail(ledger, raw, actor=FINANCE).invoices[0]
    finally:
        ledger.close()


def test_the_model_chooses_a_known_vendor_and_fills_what_rules_missed(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    invoice = _process(tmp_path, fake, "llm-1")
    assert invoice.status is api.InvoiceStatus.PROCESSED
    assert (
        invoice.vendor_name == "ACME Tools LLC"
        and invoice.vendor_source == "llm"
        and invoice.gl_code == "6100"
    )
    assert invoice.invoice_number == "7781-Q" and invoice.field_sources["invoice_number"] == "llm"
    request = fake.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test-not-real"
    schema = request["body"]["response_format"]["json_schema"]
    assert schema["strict"] is True
    assert schema["schema"]["properties"]["vendor"]["enum"] == [
        "ACME Tools LLC",
        "Falcon IT Resellers",
        "Gulf Office Supplies",
        "unknown",
    ]


@pytest.mark.parametrize("mode", ["stranger", "malformed", "timeout"])
def test_no_usable_answer_leaves_the_invoice_for_finance(tmp_path: Path, fake: FakeOpenAI, mode: str) -> None:
    fake.mode = mode
    started = time.monotonic()
    invoice = _process(tmp_path, fake, f"llm-{mode}")
    assert (
        invoice.status is api.InvoiceStatus.UNKNOWN and invoice.vendor_name is None and invoice.exception_id
    )
    assert time.monotonic() - started < 15  # a timeout costs the timeout (and one retry), not the batch
    if mode == "stranger":  # fields it gave are still used, with their source
        assert invoice.field_sources.get("invoice_number") == "llm"
