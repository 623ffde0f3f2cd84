"""A correction by finance: set with the source ``manual`` and audited; when finance agrees, the
vendor's rules learn it and its next invoice is read right (source ``vendor_rule``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine import api
from engine.api import CLI_OPERATOR, Actor
from engine.demo.invoices import DEMO_VENDORS_CSV, invoice_mail, invoice_pdf
from engine.vocab import Role, Source

FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}), source=Source.CONSOLE)


def _mail(n: int, lines: list[str]) -> bytes:
    return invoice_mail(
        sender="billing@acme-tools.example",
        subject=f"Your document {n}",
        message_id=f"<doc-{n}@acme-tools.example>",
        sent_at=datetime(2026, 11, n, 6, 0, tzinfo=UTC),  # a day each: the same day is a duplicate
        attachments=[(f"doc-{n}.pdf", invoice_pdf(lines))],
    )


def test_a_corrected_number_becomes_the_vendors_rule(ledger: api.Ledger) -> None:
    api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=CLI_OPERATOR)
    first = api.process_mail(
        ledger, _mail(2, ["ACME Tools LLC", "Doc Ref KX-9001", "Total Due: AED 10.00"]), actor=FINANCE
    )
    invoice = first.invoices[0]
    assert invoice.invoice_number is None  # "Doc Ref" is no label the generic rules know
    corrected = api.correct_invoice(
        ledger, invoice.invoice_id, field="invoice_number", value="KX-9001", make_rule=True, actor=FINANCE
    )
    assert corrected.invoice.invoice_number == "KX-9001"
    assert corrected.invoice.field_sources["invoice_number"] == "manual"
    assert "Doc\\ Ref" in corrected.learned_rule["invoice_number"]
    trail = api.search_audit(ledger, actor=CLI_OPERATOR, entity_id=invoice.invoice_id, limit=50).items
    assert any(entry.action == "INVOICE_FIELD_CORRECTED" for entry in trail)
    second = api.process_mail(
        ledger, _mail(3, ["ACME Tools LLC", "Doc Ref KX-9002", "Total Due: AED 12.00"]), actor=FINANCE
    )
    assert second.invoices[0].invoice_number == "KX-9002"
    assert second.invoices[0].field_sources["invoice_number"] == "vendor_rule"


def test_a_date_read_in_the_wrong_order_teaches_the_vendors_order(ledger: api.Ledger) -> None:
    api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=CLI_OPERATOR)
    lines = ["ACME Tools LLC", "Invoice No: A-1", "Invoice Date: 02/11/2026", "Total Due: AED 10.00"]
    invoice = api.process_mail(ledger, _mail(4, lines), actor=FINANCE).invoices[0]
    assert invoice.invoice_date == date(2026, 11, 2)  # day first: the company's default
    fixed = api.correct_invoice(
        ledger, invoice.invoice_id, field="invoice_date", value="2026-02-11", make_rule=True, actor=FINANCE
    )
    assert fixed.learned_rule["date_order"] == "MDY"
    lines = ["ACME Tools LLC", "Invoice No: A-2", "Invoice Date: 03/10/2026", "Total Due: AED 10.00"]
    assert api.process_mail(ledger, _mail(5, lines), actor=FINANCE).invoices[0].invoice_date == date(
        2026, 3, 10
    )


def test_a_value_that_is_not_one_is_refused(ledger: api.Ledger) -> None:
    api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=CLI_OPERATOR)
    invoice = api.process_mail(
        ledger, _mail(6, ["ACME Tools LLC", "Total Due: AED 10.00"]), actor=FINANCE
    ).invoices[0]
    with pytest.raises(api.ValidationError, match="date like"):
        api.correct_invoice(ledger, invoice.invoice_id, field="due_date", value="next week", actor=FINANCE)
    with pytest.raises(api.ValidationError, match="not an invoice field"):
        api.correct_invoice(ledger, invoice.invoice_id, field="gl_code; drop table", value="1", actor=FINANCE)
