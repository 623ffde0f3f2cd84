"""Structured e-invoices first: a Factur-X PDF's embedded CII XML and a UBL 2.1 attachment give
the vendor and the fields (source ``einvoice``), checked against the PDF's visible total."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from pathlib import Path

from engine import api
from engine.api import CLI_OPERATOR, Actor
from engine.demo.invoices import DEMO_VENDORS_CSV, einvoice_xml, facturx_pdf
from engine.invoices import einvoice
from engine.vocab import Role, Source

FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}), source=Source.CONSOLE)
ISSUED = date(2026, 11, 2)


def _ledger(ledger: api.Ledger) -> api.Ledger:
    api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=CLI_OPERATOR)
    return ledger


def _mail(sender: str, number: str, attachment: tuple[str, bytes], subtype: str = "pdf") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        sender,
        "invoices@opsledger.example",
        f"Invoice {number}",
    )
    message["Message-ID"], message["Date"] = f"<{number}@test.example>", "Mon, 02 Nov 2026 09:00:00 +0000"
    message.set_content("Our e-invoice.")
    message.add_attachment(attachment[1], maintype="application", subtype=subtype, filename=attachment[0])
    return bytes(message)


def test_a_facturx_pdf_is_read_from_its_xml(ledger: api.Ledger) -> None:
    xml = einvoice_xml("FX-100", seller="ACME Tools LLC", issued=ISSUED, total="315.00")
    pdf = facturx_pdf(["ACME Tools LLC", "Invoice No: FX-100", "Total Due: AED 315.00"], xml)
    outcome = api.process_mail(
        _ledger(ledger), _mail("billing@acme-tools.example", "FX-100", ("FX-100.pdf", pdf)), actor=FINANCE
    )
    invoice = outcome.invoices[0]
    assert invoice.status is api.InvoiceStatus.PROCESSED and invoice.gl_code == "6100"
    assert (invoice.invoice_number, invoice.invoice_date, invoice.due_date) == (
        "FX-100",
        ISSUED,
        date(2026, 12, 2),
    )
    assert str(invoice.total_amount).startswith("315") and invoice.currency == "AED"
    assert set(invoice.field_sources.values()) == {"einvoice"}


def test_a_ubl_attachment_names_its_seller(ledger: api.Ledger, tmp_path: Path) -> None:
    xml = einvoice_xml("UBL-7", seller="ACME Tools LLC", issued=ISSUED, total="99.50", flavor="ubl")
    raw = _mail("ap-robot@peppol-gateway.example", "UBL-7", ("UBL-7.xml", xml), subtype="xml")
    invoice = api.process_mail(_ledger(ledger), raw, actor=FINANCE).invoices[0]
    assert invoice.status is api.InvoiceStatus.PROCESSED
    assert invoice.vendor_name == "ACME Tools LLC" and invoice.vendor_source == "einvoice"
    assert invoice.invoice_number == "UBL-7" and invoice.field_sources["total_amount"] == "einvoice"
    routed = (ledger.settings.outbox_dir / f"{invoice.invoice_id}.eml").read_bytes()
    assert b"application/xml" in routed and b"Invoice: ACME Tools LLC - GL 6100" in routed


def test_a_total_that_differs_from_the_visible_one_is_for_a_person(ledger: api.Ledger) -> None:
    xml = einvoice_xml("FX-200", seller="ACME Tools LLC", issued=ISSUED, total="315.00")
    pdf = facturx_pdf(["ACME Tools LLC", "Invoice No: FX-200", "Total Due: AED 351.00"], xml)
    invoice = api.process_mail(
        _ledger(ledger), _mail("billing@acme-tools.example", "FX-200", ("FX-200.pdf", pdf)), actor=FINANCE
    ).invoices[0]
    assert invoice.status is api.InvoiceStatus.ERROR and invoice.exception_id and invoice.routed_at is None
    assert "315.00" in (invoice.error or "") and "351" in (invoice.error or "")


def test_xml_with_a_dtd_or_entities_is_never_parsed() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<Invoice>&b;</Invoice>"
    )
    assert einvoice.from_xml(bomb) is None
    external = b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice>&x;</Invoice>'
    assert einvoice.from_xml(external) is None
    assert einvoice.from_xml(b"<Invoice><not-closed></Invoice>") is None


def test_a_plain_pdf_has_no_einvoice() -> None:
    from engine.demo.invoices import invoice_pdf

    assert einvoice.from_pdf(invoice_pdf(["Plain invoice"])) is None
    assert einvoice.from_pdf(b"%PDF-1.7 broken") is None
