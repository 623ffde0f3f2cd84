"""The IMAP source against a real IMAP server run by the test (pymap, in-memory backend): the
production client (``imaplib``) unchanged. Messages are put into the INBOX with APPEND, as a
mail server would deliver them."""

from __future__ import annotations

import imaplib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine import api
from engine.api import CLI_OPERATOR, Actor
from engine.demo.invoices import DEMO_VENDORS_CSV, acme_invoice, invoice_mail, invoice_pdf
from engine.vocab import Role, Source
from tests.conftest import TODAY, make_settings

FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}), source=Source.CONSOLE)
USER, PASSWORD = "ap", "imap-test-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def imap_port() -> Iterator[int]:
    pymap = shutil.which("pymap", path=str(Path(sys.executable).parent))
    if pymap is None:
        pytest.fail("pymap is not installed: it is pinned in requirements-dev.txt")
    port = _free_port()
    server = subprocess.Popen(
        [
            pymap,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-user",
            USER,
            "--demo-password",
            PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                pytest.fail("the IMAP server did not start")
            time.sleep(0.1)
    yield port
    server.terminate()
    server.wait(timeout=10)


def _deliver(port: int, *messages: bytes) -> None:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    for raw in messages:
        assert client.append("INBOX", None, None, raw)[0] == "OK"
    client.logout()


def _unseen(port: int) -> list[bytes]:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    client.select("INBOX")
    found = client.uid("SEARCH", "UNSEEN")[1][0] or b""
    client.logout()
    return found.split()


def _mail(number: str, day: int) -> bytes:
    return invoice_mail(
        sender="billing@acme-tools.example",
        subject=f"Invoice {number}",
        message_id=f"<{number}@acme-tools.example>",
        sent_at=datetime(2027, 1, day, 6, 0, tzinfo=UTC),
        attachments=[(f"{number}.pdf", invoice_pdf(acme_invoice(number, TODAY, "50.00")))],
    )


def _ledger(tmp_path: Path, port: int, password: str = PASSWORD) -> api.Ledger:
    settings = make_settings(
        tmp_path,
        mail_source="imap",
        imap_host="127.0.0.1",
        imap_port=port,
        imap_security="none",
        imap_user=USER,
        imap_password=password,
    )
    ledger = api.open_ledger(settings)
    api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=CLI_OPERATOR)
    return ledger


def test_a_poll_reads_unseen_mail_and_marks_it_seen_after_recording_it(
    tmp_path: Path, imap_port: int
) -> None:
    _deliver(imap_port, _mail("IM-1", 1), _mail("IM-2", 2))
    ledger = _ledger(tmp_path, imap_port)
    try:
        result = api.poll_mail(ledger, actor=FINANCE)
        assert result.source == "imap" and result.invoices == 2 and result.errors == 0
        assert _unseen(imap_port) == []
        numbers = {i.invoice_number for i in api.list_invoices(ledger, actor=FINANCE).items}
        assert numbers == {"IM-1", "IM-2"}
        keys = {i.message_key for i in api.list_invoices(ledger, actor=FINANCE).items}
        assert all(key.count(":") == 1 and key.split(":")[1].isdigit() for key in keys)  # UIDVALIDITY:UID
        # Nothing new: the next poll reads nothing.
        assert api.poll_mail(ledger, actor=FINANCE).messages == 0
    finally:
        ledger.close()


def test_a_message_left_unseen_by_a_crash_makes_no_second_invoice(tmp_path: Path, imap_port: int) -> None:
    _deliver(imap_port, _mail("IM-3", 3))
    ledger = _ledger(tmp_path, imap_port)
    try:
        from engine.api.finance import mail_source
        from engine.invoices.agent import process

        source = mail_source(ledger)
        (incoming,) = list(source.waiting())  # read, then "crash" before done(): still unseen
        process(ledger, incoming, actor=FINANCE)
        assert len(_unseen(imap_port)) == 1
        again = api.poll_mail(ledger, actor=FINANCE)
        assert (again.messages, again.invoices, again.skipped) == (1, 0, 1)
        assert _unseen(imap_port) == [] and api.list_invoices(ledger, actor=FINANCE).total == 1
    finally:
        ledger.close()


def test_a_wrong_password_is_said_without_the_password(tmp_path: Path, imap_port: int) -> None:
    ledger = _ledger(tmp_path, imap_port, password="wrong-secret-123")
    try:
        with pytest.raises(api.EngineError) as refused:
            api.poll_mail(ledger, actor=FINANCE)
        assert "127.0.0.1" in refused.value.message and "wrong-secret-123" not in refused.value.message
    finally:
        ledger.close()
