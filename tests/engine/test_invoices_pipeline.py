"""The mail pipeline end to end (DOMAIN "Invoices"): vendor by domain or by name, unknown and
reseller vendors flagged and still routed, duplicates held back, the same mail once, the loop rules,
several and forwarded PDFs, and reprocessing once the unknown vendor is added (DuckDB and PostgreSQL)."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest

from engine import api
from engine.api import Ledger
from engine.demo.invoices import MAILBOX, demo_mails, invoice_pdf
from engine.invoices.models import VendorSource
from engine.store.schema import exception_log, mail_message, user_action_history
from engine.vocab import InvoiceStatus
from tests.conftest import TODAY, ZONE
from tests.engine.invoice_mails import (
    FINANCE,
    SENT_AT,
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

DEMO = dict(demo_mails(TODAY, ZONE))


@pytest.fixture
def desk(ledger: Ledger) -> Ledger:
    seed_vendors(ledger)
    return ledger


def _process(ledger: Ledger, raw: bytes) -> api.MessageOutcome:
    return api.process_mail(ledger, raw, actor=FINANCE)


def _only(outcome: api.MessageOutcome) -> api.InvoiceView:
    assert outcome.status is InvoiceStatus.PROCESSED, outcome.reason
    assert len(outcome.invoices) == 1
    return outcome.invoices[0]


def _ap_mail(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _routed_mail(ledger: Ledger, invoice_id: str) -> EmailMessage:
    path = ledger.settings.outbox_dir / f"{invoice_id}.eml"
    assert path.is_file(), f"no AP mail for {invoice_id} in {ledger.settings.outbox_dir}"
    return _ap_mail(path)


def _pdfs(message: EmailMessage) -> list[bytes]:
    return [
        bytes(part.get_payload(decode=True))
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]


def test_a_known_vendor_by_domain_is_enriched_and_routed_with_its_pdf(desk: Ledger) -> None:
    pdf = acme_pdf()
    view = _only(_process(desk, mail(attachments=[("INV-2026-1142.pdf", pdf)])))
    assert view.status is InvoiceStatus.PROCESSED
    assert (view.vendor_name, view.vendor_source) == ("ACME Tools LLC", VendorSource.DOMAIN)
    assert view.invoice_number == "INV-2026-1142"
    assert view.invoice_date == TODAY - timedelta(days=1)
    assert view.due_date == TODAY + timedelta(days=29)
    assert (view.total_amount, view.currency) == (Decimal("315.00"), "AED")
    assert (view.gl_code, view.expense_dept, view.allocation_schedule) == ("6100", "OPS", "1")
    assert view.billing_party == desk.settings.default_billing_party
    assert view.exception_id is None and view.routed_at is not None
    sent = _routed_mail(desk, view.invoice_id)
    assert sent["Subject"] == "Invoice: ACME Tools LLC - GL 6100"
    assert sent["To"] == desk.settings.ap_address and sent["From"] == desk.settings.invoice_mailbox
    assert sent["Auto-Submitted"] == "auto-generated"
    assert _pdfs(sent) == [pdf], "the original PDF, byte for byte"
    body = sent.get_body(preferencelist=("plain",))
    assert body is not None and "GL Code: 6100" in body.get_content()
    assert api.show_invoice(desk, view.invoice_id, actor=FINANCE) == view


def test_a_known_vendor_by_its_name_in_the_text_from_another_domain(desk: Ledger) -> None:
    view = _only(_process(desk, DEMO["gulf-88120.eml"]))
    assert view.sender == "gos.accounts@mailhost.example"
    assert (view.status, view.vendor_name, view.vendor_source) == (
        InvoiceStatus.PROCESSED,
        "Gulf Office Supplies",
        VendorSource.ALIAS,
    )
    assert view.gl_code == "6200" and view.total_amount == Decimal("1260.00")
    assert _routed_mail(desk, view.invoice_id)["Subject"] == "Invoice: Gulf Office Supplies - GL 6200"


def test_an_unknown_vendor_raises_an_exception_for_finance_and_is_routed_flagged(desk: Ledger) -> None:
    view = _only(_process(desk, DEMO["desert-rain-204.eml"]))
    assert view.status is InvoiceStatus.UNKNOWN
    assert view.vendor_name is None and view.gl_code is None
    assert view.detected_name and "Desert Rain Catering" in view.detected_name
    assert view.invoice_number == "DRC-204" and view.total_amount == Decimal("945.50")
    assert view.exception_id is not None
    assert exception_kind(desk, view.exception_id) == ("UNKNOWN_VENDOR", "finance", "OPEN")
    sent = _routed_mail(desk, view.invoice_id)
    assert sent["Subject"] == "Invoice: UNKNOWN - GL UNKNOWN"
    body = sent.get_body(preferencelist=("plain",))
    assert body is not None and "FLAGGED" in body.get_content()
    assert len(_pdfs(sent)) == 1
    groups = api.unknown_vendors(desk, actor=FINANCE)
    assert [(g.sender_domain, [i.invoice_id for i in g.invoices]) for g in groups] == [
        ("desertrain.example", [view.invoice_id])
    ]


def test_a_reseller_is_flagged_unknown_and_not_enriched(desk: Ledger) -> None:
    view = _only(_process(desk, DEMO["falcon-5531.eml"]))
    assert view.status is InvoiceStatus.UNKNOWN
    assert view.vendor_name == "Falcon IT Resellers", "known, but a person reads it"
    assert (view.gl_code, view.expense_dept, view.allocation_schedule, view.billing_party) == (
        None,
        None,
        None,
        None,
    )
    assert view.exception_id is not None
    assert exception_kind(desk, view.exception_id)[:2] == ("UNKNOWN_VENDOR", "finance")
    assert _routed_mail(desk, view.invoice_id)["Subject"] == "Invoice: UNKNOWN - GL UNKNOWN"


def test_the_same_invoice_number_from_another_message_is_a_duplicate_not_routed(desk: Ledger) -> None:
    first = _only(_process(desk, mail()))
    again = _only(
        _process(
            desk,
            mail(
                sender="accounts@acme-tools.example",
                subject="Invoice INV-2026-1142 (copy)",
                message_id="<acme-1142-resent@acme-tools.example>",
                sent_at=SENT_AT + timedelta(days=2),
            ),
        )
    )
    assert again.status is InvoiceStatus.DUPLICATE and again.duplicate_of == first.invoice_id
    assert again.routed_at is None and again.routed_to is None
    assert again.exception_id is not None
    assert exception_kind(desk, again.exception_id)[:2] == ("DUPLICATE_INVOICE", "finance")
    assert [p.stem for p in outbox(desk)] == [first.invoice_id]


def test_the_same_message_twice_is_skipped_and_makes_one_invoice(desk: Ledger) -> None:
    first = _only(_process(desk, mail()))
    second = _process(desk, mail())
    assert second.status is InvoiceStatus.SKIPPED
    assert second.reason and second.reason.startswith("already processed")
    assert [v.invoice_id for v in second.invoices] == [first.invoice_id]
    assert invoices(desk) == 1 and messages(desk) == 1 and len(outbox(desk)) == 1


def test_a_mail_without_a_pdf_is_skipped_and_recorded(desk: Ledger) -> None:
    text_only = mail(attachments=[])
    outcome = _process(desk, text_only)
    assert (outcome.status, outcome.reason, outcome.invoices) == (
        InvoiceStatus.SKIPPED,
        "no PDF or e-invoice attachment",
        [],
    )
    assert count(desk, mail_message, mail_message.c.reason == "no PDF or e-invoice attachment") == 1
    assert invoices(desk) == 0 and outbox(desk) == []
    # A file named .pdf whose bytes are not a PDF is no invoice either: the type comes from the bytes.
    fake = mail(
        message_id="<fake@acme-tools.example>", attachments=[("invoice.pdf", b"MZ\x90\x00 not a pdf")]
    )
    assert _process(desk, fake).reason == "no PDF or e-invoice attachment"


def _looping(**headers: str) -> bytes:
    message = raw_mail(
        {"Subject": "Invoice INV-2026-1142", "Message-ID": f"<loop-{len(headers)}-{sorted(headers)}@x>"}
        | headers
    )
    message.add_attachment(acme_pdf(), maintype="application", subtype="pdf", filename="INV.pdf")
    return bytes(message)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"From": MAILBOX}, "sent by the system mailbox"),
        ({"From": "AP Team <ap@opsledger.example>"}, "sent by the system mailbox"),
        ({"Subject": "Invoice: ACME Tools LLC - GL 6100"}, "the agent's own AP routing subject"),
        ({"Subject": "RE: Vendor registration for ACME"}, "a reply to a vendor registration mail"),
        ({"Auto-Submitted": "auto-replied"}, "an automatic reply"),
    ],
    ids=["system-sender", "ap-sender", "ap-subject", "registration-reply", "auto-submitted"],
)
def test_the_loop_rules_skip_the_mail(desk: Ledger, headers: dict[str, str], reason: str) -> None:
    outcome = _process(desk, _looping(**headers))
    assert outcome.status is InvoiceStatus.SKIPPED
    assert outcome.reason and reason in outcome.reason
    assert invoices(desk) == 0 and outbox(desk) == []
    assert count(desk, mail_message, mail_message.c.status == "skipped") == 1


def test_a_vendors_auto_generated_invoice_is_processed(desk: Ledger) -> None:
    """Billing systems mark their invoices Auto-Submitted: auto-generated; only auto-replies are loops."""
    outcome = _process(desk, _looping(**{"Auto-Submitted": "auto-generated"}))
    assert outcome.status is InvoiceStatus.PROCESSED and invoices(desk) == 1


def test_the_agents_own_ap_mail_fed_back_in_is_skipped(desk: Ledger) -> None:
    view = _only(_process(desk, mail()))
    ap_mail = (desk.settings.outbox_dir / f"{view.invoice_id}.eml").read_bytes()
    outcome = _process(desk, ap_mail)
    assert outcome.status is InvoiceStatus.SKIPPED and invoices(desk) == 1


def test_two_pdfs_in_one_mail_make_two_invoices(desk: Ledger) -> None:
    first, second = acme_pdf("INV-2026-2001", "100.00"), acme_pdf("INV-2026-2002", "200.00")
    outcome = _process(desk, mail(attachments=[("a.pdf", first), ("b.pdf", second)]))
    assert outcome.status is InvoiceStatus.PROCESSED
    numbers = [(v.status, v.invoice_number, v.total_amount, v.attachment_name) for v in outcome.invoices]
    assert numbers == [
        (InvoiceStatus.PROCESSED, "INV-2026-2001", Decimal("100.00"), "a.pdf"),
        (InvoiceStatus.PROCESSED, "INV-2026-2002", Decimal("200.00"), "b.pdf"),
    ]
    assert invoices(desk) == 2
    assert {p.stem for p in outbox(desk)} == {v.invoice_id for v in outcome.invoices}


def test_two_pdfs_of_an_unknown_sender_stay_two_invoices_when_reprocessed(desk: Ledger) -> None:
    """The same-vendor-sender-day rule holds between mails, not between the invoices of one mail."""
    lines = ["Desert Rain Catering", "Invoice Number: {n}", f"Date: {TODAY:%Y-%m-%d}", "Total: AED {t}"]
    pdfs = [
        (f"DRC-{n}.pdf", invoice_pdf([line.format(n=f"DRC-{n}", t=t) for line in lines]))
        for n, t in (("301", "10.00"), ("302", "20.00"))
    ]
    outcome = _process(
        desk, mail(sender="accounts@desertrain.example", message_id="<drc-2@x>", attachments=pdfs)
    )
    assert [v.status for v in outcome.invoices] == [InvoiceStatus.UNKNOWN, InvoiceStatus.UNKNOWN]
    api.save_vendors(
        desk,
        [
            api.VendorRecord(
                vendor_name="Desert Rain Catering", sender_domains=["desertrain.example"], gl_code="6500"
            )
        ],
        actor=FINANCE,
    )
    done = api.reprocess_invoices(desk, actor=FINANCE, vendor="Desert Rain Catering")
    assert [(v.invoice_number, v.status, v.duplicate_of) for v in done] == [
        ("DRC-301", InvoiceStatus.PROCESSED, None),
        ("DRC-302", InvoiceStatus.PROCESSED, None),
    ]


def test_the_same_pdf_twice_in_one_mail_is_a_duplicate(desk: Ledger) -> None:
    pdf = acme_pdf()
    first, second = _process(desk, mail(attachments=[("a.pdf", pdf), ("copy.pdf", pdf)])).invoices
    assert first.status is InvoiceStatus.PROCESSED
    assert (second.status, second.duplicate_of) == (InvoiceStatus.DUPLICATE, first.invoice_id)


def test_a_forwarded_mails_pdf_is_found(desk: Ledger) -> None:
    inner = email.message_from_bytes(DEMO["acme-1142.eml"], policy=email.policy.default)
    outer = raw_mail(
        {"From": "colleague@ourcompany.example", "Subject": "Fwd: Invoice", "Message-ID": "<fwd-1@ourco>"},
        body="Forwarding the ACME invoice.",
    )
    outer.add_attachment(inner)  # message/rfc822
    assert [p.get_content_type() for p in outer.iter_attachments()] == ["message/rfc822"]
    view = _only(_process(desk, bytes(outer)))
    assert view.sender == "colleague@ourcompany.example"
    assert (view.vendor_name, view.vendor_source) == ("ACME Tools LLC", VendorSource.ALIAS)
    assert view.invoice_number == "INV-2026-1142" and view.attachment_name == "INV-2026-1142.pdf"


def test_adding_the_unknown_vendor_and_reprocessing_routes_it_with_its_gl_code(desk: Ledger) -> None:
    waiting = _only(_process(desk, DEMO["desert-rain-204.eml"]))
    assert waiting.status is InvoiceStatus.UNKNOWN and waiting.exception_id
    api.save_vendors(
        desk,
        [
            api.VendorRecord(
                vendor_name="Desert Rain Catering",
                sender_domains=["desertrain.example"],
                gl_code="6500",
                expense_dept="HR",
                allocation_schedule="1",
            )
        ],
        actor=FINANCE,
    )
    [done] = api.reprocess_invoices(desk, actor=FINANCE, vendor="Desert Rain Catering")
    assert done.invoice_id == waiting.invoice_id
    assert (done.status, done.vendor_name, done.vendor_source, done.gl_code) == (
        InvoiceStatus.PROCESSED,
        "Desert Rain Catering",
        VendorSource.DOMAIN,
        "6500",
    )
    assert done.routed_at is not None
    assert exception_kind(desk, waiting.exception_id)[2] == "RESOLVED"
    assert _routed_mail(desk, done.invoice_id)["Subject"] == "Invoice: Desert Rain Catering - GL 6500"
    assert api.unknown_vendors(desk, actor=FINANCE) == []
    assert count(desk, exception_log, exception_log.c.status == "OPEN") == 0


def test_the_demo_morning_gives_each_status(desk: Ledger) -> None:
    answers = {name: _process(desk, raw) for name, raw in DEMO.items()}
    statuses = {name: (a.invoices[0].status if a.invoices else a.status) for name, a in answers.items()}
    assert statuses == {
        "acme-1142.eml": InvoiceStatus.PROCESSED,
        "gulf-88120.eml": InvoiceStatus.PROCESSED,
        "desert-rain-204.eml": InvoiceStatus.UNKNOWN,
        "falcon-5531.eml": InvoiceStatus.UNKNOWN,
        "loop.eml": InvoiceStatus.SKIPPED,
    }
    assert len(outbox(desk)) == 4


def test_reprocessing_for_one_vendor_does_not_route_the_others_again(desk: Ledger) -> None:
    """Adding a vendor re-reads every waiting invoice; one it does not identify is unchanged and is
    not sent to AP a second time."""
    other = _only(
        _process(
            desk,
            mail(
                sender="accounts@never-seen.example",
                message_id="<ns-77@never-seen.example>",
                attachments=[("NS-77.pdf", invoice_pdf(["Never Seen Trading", "Invoice Number: NS-77"]))],
            ),
        )
    )
    waiting = _only(_process(desk, DEMO["desert-rain-204.eml"]))
    api.save_vendors(
        desk,
        [
            api.VendorRecord(
                vendor_name="Desert Rain Catering", sender_domains=["desertrain.example"], gl_code="6500"
            )
        ],
        actor=FINANCE,
    )
    done = api.reprocess_invoices(desk, actor=FINANCE, vendor="Desert Rain Catering")
    by_id = {v.invoice_id: v for v in done}
    assert by_id[waiting.invoice_id].status is InvoiceStatus.PROCESSED
    assert by_id[waiting.invoice_id].routed_at != waiting.routed_at, "routed again, now with its GL code"
    unchanged = api.show_invoice(desk, other.invoice_id, actor=FINANCE)
    assert unchanged.status is InvoiceStatus.UNKNOWN
    assert unchanged.routed_at == other.routed_at, "not sent to AP again"
    assert count(desk, user_action_history, user_action_history.c.action == "INVOICE_ROUTED") == 3


def test_the_pages_reads_preview_list_and_mailbox_status(desk: Ledger) -> None:
    answers = [_process(desk, raw) for raw in DEMO.values()]
    acme = answers[0].invoices[0]
    preview = api.invoice_preview(desk, acme.invoice_id, actor=FINANCE)
    assert preview.first_page_png is not None and preview.first_page_png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "Invoice No: INV-2026-1142" in preview.text and preview.problem is None
    page = api.list_invoices(desk, actor=FINANCE, status=InvoiceStatus.UNKNOWN)
    assert page.total == 2 and {i.sender for i in page.items} == {
        "accounts@desertrain.example",
        "ar@falcon-it.example",
    }
    assert [i.invoice_id for i in api.list_invoices(desk, actor=FINANCE, vendor="ACME Tools LLC").items] == [
        acme.invoice_id
    ]
    assert api.list_invoices(desk, actor=FINANCE, limit=1, offset=1).total == 4
    status = api.mailbox_status(desk, actor=FINANCE)
    assert status.invoices_by_status == {"processed": 2, "unknown": 2}
    assert (status.messages_skipped, status.unrouted, status.waiting) == (1, 0, 0)
    assert status.ap_address == desk.settings.ap_address
