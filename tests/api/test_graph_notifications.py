"""Graph change notifications on the console's own route: the validation handshake, the
clientState check, and a notification that makes the mail poll run at once."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests

from engine.demo.invoices import acme_invoice, invoice_mail, invoice_pdf
from tests.api.client import TIMEOUT, assert_problem
from tests.api.conftest import GRAPH_STATE, ApiConsole
from tests.conftest import TODAY


def test_the_validation_handshake_echoes_the_token_as_text(api_console: ApiConsole) -> None:
    answer = requests.post(
        f"{api_console.api}/graph/notifications",
        params={"validationToken": "Validation: Token 123"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == "Validation: Token 123"


def test_a_notification_without_the_client_state_is_refused(api_console: ApiConsole) -> None:
    url = f"{api_console.api}/graph/notifications"
    wrong = {
        "value": [{"subscriptionId": "s", "clientState": "guess", "changeType": "created", "resource": "x"}]
    }
    assert_problem(requests.post(url, json=wrong, timeout=TIMEOUT), 401, "AUTHENTICATION_FAILED")
    assert_problem(requests.post(url, json={"nothing": 1}, timeout=TIMEOUT), 401, "AUTHENTICATION_FAILED")


def test_a_notification_polls_the_mailbox_at_once(api_console: ApiConsole) -> None:
    folder = api_console.data_dir / "inbox" / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    mail = invoice_mail(
        sender="billing@acme-tools.example",
        subject="Invoice N-1",
        message_id="<notified-1@acme-tools.example>",
        sent_at=datetime(2027, 1, 3, 6, 0, tzinfo=UTC),
        attachments=[("N-1.pdf", invoice_pdf(acme_invoice("N-1", TODAY, "12.00")))],
    )
    (folder / "notified.eml").write_bytes(mail)
    note = {
        "value": [
            {"subscriptionId": "s", "clientState": GRAPH_STATE, "changeType": "created", "resource": "m"}
        ]
    }
    started = time.monotonic()
    answer = requests.post(f"{api_console.api}/graph/notifications", json=note, timeout=TIMEOUT)
    assert answer.status_code == 202 and time.monotonic() - started < 3  # Graph's limit
    deadline = time.monotonic() + 30
    while (folder / "notified.eml").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (folder / "notified.eml").exists(), "the notified poll did not take the mail"
    assert list((folder / "done").glob("notified*.eml"))
