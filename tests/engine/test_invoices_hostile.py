"""Hostile mail through the pipeline: nothing crashes, nothing unsafe is stored, and every mail is
answered (an invoice in error with its exception, or a recorded skip with its reason)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import Ledger
from engine.invoices import mail as mail_module
from engine.store.schema import mail_message
from engine.vocab import InvoiceStatus
from tests.conftest import make_settings
from tests.engine.invoice_mails import (
    FINANCE,
    acme_pdf,
    count,
    exception_kind,
    invoices,
    mail,
    messages,
    outbox,
    raw_mail,
    seed_vendors,
)
from tests.engine.invoice_pdfs import image_only_pdf
from tests.engine.invoice_pdfs import invoice_pdf as lines_pdf


@pytest.fixture
def desk(ledger: Ledger) -> Ledger:
    seed_vendors(ledger)
    return ledger


@pytest.fixture
def duck_desk(duck_ledger: Ledger) -> Ledger:
    seed_vendors(duck_ledger)
    return duck_ledger


def _process(ledger: Ledger, raw: bytes) -> api.MessageOutcome:
    return api.process_mail(ledger, raw, actor=FINANCE)


def _reason(ledger: Ledger) -> str:
    with ledger.db.read() as conn:
        return str(conn.execute(sa.select(mail_message.c.reason)).scalar_one())


def test_an_html_only_mail_without_a_pdf_is_a_recorded_skip(desk: Ledger) -> None:
    message = raw_mail({"Subject": "Your invoice", "Message-ID": "<html-1@acme-tools.example>"})
    message.set_content(
        "<html><body><script>alert(1)</script><p>Invoice inside</p></body></html>", subtype="html"
    )
    outcome = _process(desk, bytes(message))
    assert (outcome.status, outcome.reason) == (InvoiceStatus.SKIPPED, "no PDF or e-invoice attachment")
    assert messages(desk) == 1 and invoices(desk) == 0


def test_an_html_only_mail_with_a_pdf_is_processed(desk: Ledger) -> None:
    message = raw_mail({"Subject": "Invoice", "Message-ID": "<html-2@acme-tools.example>"})
    message.set_content("<html><body><p>See the <b>attached</b> invoice</p></body></html>", subtype="html")
    message.add_attachment(acme_pdf(), maintype="application", subtype="pdf", filename="INV.pdf")
    [view] = _process(desk, bytes(message)).invoices
    assert view.status is InvoiceStatus.PROCESSED and view.vendor_name == "ACME Tools LLC"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02\xff\xfe binary, no headers at all",
        b"%PDF-1.4 a PDF given where a mail was expected",
    ],
    ids=["empty", "binary", "a-pdf"],
)
def test_bytes_that_are_no_email_are_a_recorded_skip(desk: Ledger, raw: bytes) -> None:
    outcome = _process(desk, raw)
    assert outcome.status is InvoiceStatus.SKIPPED
    assert outcome.reason and outcome.reason.startswith("not an e-mail message")
    assert invoices(desk) == 0 and messages(desk) == 1


def test_malformed_mime_does_not_crash(desk: Ledger) -> None:
    raw = (
        b"From: billing@acme-tools.example\r\nTo: invoices@opsledger.example\r\nSubject: broken\r\n"
        b"Message-ID: <broken-1@acme-tools.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        b"--never-closed\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="inv.pdf"\r\n\r\n'
        b"JVBERi0xLjQK!!!not*base64***\r\n"
        b"--never-closed\r\nContent-Type: message/rfc822\r\n\r\nnot really a mail"
    )
    outcome = _process(desk, raw)
    assert outcome.status in (InvoiceStatus.SKIPPED, InvoiceStatus.PROCESSED)
    assert all(v.status is InvoiceStatus.ERROR for v in outcome.invoices), "a broken PDF is an error row"
    assert messages(desk) == 1


def test_an_attachment_over_the_limit_is_left_out_and_said_so(duck_desk: Ledger) -> None:
    big = b"%PDF-1.4\n" + b"0" * (mail_module.MAX_ATTACHMENT_BYTES + 1)
    outcome = _process(duck_desk, mail(attachments=[("huge.pdf", big)]))
    assert outcome.status is InvoiceStatus.SKIPPED and invoices(duck_desk) == 0
    assert outcome.reason and "huge.pdf" in outcome.reason and "over the 25 MB limit" in outcome.reason
    assert "over the 25 MB limit" in _reason(duck_desk)


def test_a_message_over_the_limit_is_not_read(duck_desk: Ledger) -> None:
    raw = b"From: a@b.example\r\nSubject: x\r\n\r\n" + b"x" * (mail_module.MAX_MESSAGE_BYTES + 1)
    outcome = _process(duck_desk, raw)
    assert outcome.status is InvoiceStatus.SKIPPED
    assert outcome.reason and "over the limit" in outcome.reason


@pytest.mark.parametrize(
    ("pdf", "problem"),
    [
        (lambda: lines_pdf(["ACME Tools LLC", "Invoice No: ENC-1"], user_password="secret"), "password"),
        (image_only_pdf, "no text"),
        (lambda: b"%PDF-1.7\n" + b"\x00garbage" * 100, "damaged"),
    ],
    ids=["encrypted", "image-only", "broken"],
)
def test_an_unreadable_pdf_is_an_error_with_its_exception(
    desk: Ledger, pdf: Callable[[], bytes], problem: str
) -> None:
    content = pdf()
    [view] = _process(desk, mail(attachments=[("scan.pdf", content)])).invoices
    assert view.status is InvoiceStatus.ERROR
    assert view.error and problem in view.error
    assert view.exception_id is not None
    assert exception_kind(desk, view.exception_id)[:2] == ("UNREADABLE_INVOICE", "finance")
    assert view.routed_at is None and outbox(desk) == []
    preview = api.invoice_preview(desk, view.invoice_id, actor=FINANCE)
    assert preview.text == "" and preview.problem and problem in preview.problem
    assert api.invoice_pdf(desk, view.invoice_id, actor=FINANCE).content == content, "kept for a person"


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\inv.pdf", "inv.pdf"),
        ("inv\x07oice\x1b[31m.pdf", "invoice[31m.pdf"),
        ("report\u202efdp.exe", "reportfdp.exe"),
        ("/", "attachment-1"),
    ],
    ids=["traversal", "windows-traversal", "control-characters", "bidi-override", "only-a-slash"],
)
def test_an_attachment_name_is_stored_safe(desk: Ledger, tmp_path: Path, name: str, stored: str) -> None:
    [view] = _process(desk, mail(attachments=[(name, acme_pdf())])).invoices
    assert view.attachment_name == stored
    assert view.status is InvoiceStatus.PROCESSED
    assert api.invoice_pdf(desk, view.invoice_id, actor=FINANCE).file_name == stored
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "etc" / "passwd.pdf").exists()
    ap_mail = (desk.settings.outbox_dir / f"{view.invoice_id}.eml").read_bytes()
    assert b"../" not in ap_mail and b"\x07" not in ap_mail


def test_a_vendor_name_with_markup_is_kept_as_text(desk: Ledger) -> None:
    api.save_vendors(
        desk,
        [
            api.VendorRecord(
                vendor_name="<b>Bold</b> Traders", sender_domains=["bold.example"], gl_code="6600"
            )
        ],
        actor=FINANCE,
    )
    [view] = _process(
        desk,
        mail(
            sender='"<script>alert(1)</script>" <ar@bold.example>',
            message_id="<bold-1@bold.example>",
            attachments=[("b.pdf", lines_pdf(["<b>Bold</b> Traders", "Invoice No: B-1", "Total: AED 5.00"]))],
        ),
    ).invoices
    assert view.vendor_name == "<b>Bold</b> Traders"
    assert view.detected_name == "<script>alert(1)</script>", "the sender's own name, as text"
    ap_mail = (desk.settings.outbox_dir / f"{view.invoice_id}.eml").read_text()
    assert "Subject: Invoice: <b>Bold</b> Traders - GL 6600" in ap_mail
    [stored] = [v for v in api.list_vendors(desk, actor=FINANCE) if v.gl_code == "6600"]
    assert stored.vendor_name == "<b>Bold</b> Traders" and stored.vendor_key == "b_bold_b_traders"


@pytest.mark.parametrize(
    "sender",
    ["INVOICES@OPSLEDGER.EXAMPLE", "Accounts Payable <Ap@OpsLedger.Example>"],
    ids=["the-mailbox", "the-ap-address"],
)
def test_mail_sent_by_the_system_itself_is_skipped_whatever_its_case(desk: Ledger, sender: str) -> None:
    outcome = _process(desk, mail(sender=sender, subject="Fwd: an invoice"))
    assert outcome.status is InvoiceStatus.SKIPPED
    assert outcome.reason and "sent by the system mailbox" in outcome.reason
    assert invoices(desk) == 0


@pytest.fixture
def two_pg_ledgers(tmp_path: Path, pg_url: str) -> Iterator[tuple[Ledger, Ledger]]:
    """Two handles on one PostgreSQL database: two workers, no shared in-process lock."""
    first = api.open_ledger(make_settings(tmp_path / "a", pg_url))
    second = api.open_ledger(make_settings(tmp_path / "b", pg_url))
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_the_same_message_at_once_from_two_workers_makes_one_invoice(
    two_pg_ledgers: tuple[Ledger, Ledger],
) -> None:
    first, second = two_pg_ledgers
    seed_vendors(first)
    raw = mail()
    start = threading.Barrier(2)
    answers: list[api.MessageOutcome] = []
    failures: list[BaseException] = []

    def work(ledger: Ledger) -> None:
        start.wait()
        try:
            answers.append(_process(ledger, raw))
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(ledger,)) for ledger in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(str(a.status) for a in answers) == ["processed", "skipped"]
    assert invoices(first) == 1 and messages(first) == 1
    made = {v.invoice_id for a in answers for v in a.invoices}
    assert len(made) == 1, "the skipped answer names the invoice the other worker made"
    assert count(first, mail_message) == 1
