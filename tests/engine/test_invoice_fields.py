"""Invoice fields from text: the generic label rules in six languages and layouts (on real PDFs where the
layout matters), vendor rules winning over them, and invoice2data templates as vendor rules."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from engine.errors import ValidationError
from engine.invoices.fields import extract_fields, rules_from_invoice2data
from engine.invoices.models import ExtractedFields, FieldSource, VendorRules
from engine.invoices.pdftext import read_pdf
from tests.engine.invoice_pdfs import invoice_pdf

GENERIC, VENDOR = FieldSource.GENERIC, FieldSource.VENDOR_RULE

ACME = (
    "ACME Tools LLC\nTax invoice\nInvoice No: INV-2026-1142\nInvoice Date: 02/11/2026\nDue Date: 02/12/2026\n"
    "Description        Qty   Amount\nDrill bits set      2   150.00\nSubtotal: 300.00\nVAT 5%: 15.00\n"
    "Total Due: AED 315.00"
)


def fields_of(*pages: list[str], unicode: bool = False) -> ExtractedFields:
    return extract_fields(read_pdf(invoice_pdf(*pages, unicode=unicode)).text)


def test_contract_case_from_text_and_from_its_pdf() -> None:
    for fields in (extract_fields(ACME), fields_of(ACME.splitlines())):
        assert fields.invoice_number == "INV-2026-1142"
        assert fields.invoice_date == date(2026, 11, 2)
        assert fields.due_date == date(2026, 12, 2)
        assert fields.total_amount == Decimal("315.00")
        assert fields.currency == "AED"
        assert fields.payment_terms is None
        assert fields.missing() == ["payment_terms"]
        assert set(fields.sources.values()) == {GENERIC}


def test_contract_case_of_an_unknown_vendor() -> None:
    fields = extract_fields("Never Seen Trading\nInvoice Number: NS-77\nDate: 2026-11-01\nTotal: USD 42.50")
    assert (fields.invoice_number, fields.invoice_date) == ("NS-77", date(2026, 11, 1))
    assert (fields.total_amount, fields.currency) == (Decimal("42.50"), "USD")


def test_german_invoice_pdf() -> None:
    fields = fields_of(
        [
            "Muster Werkzeuge GmbH",
            "Rechnungsnummer: RE-2026-0042",
            "Rechnungsdatum: 03.11.2026",
            "Fälligkeitsdatum: 3. Dezember 2026",
            "Zwischensumme | 1.037,45 EUR",
            "MwSt 19% | 197,11 EUR",
            "Gesamtbetrag | 1.234,56 EUR",
            "Zahlbar innerhalb 14 Tagen ohne Abzug",
        ]
    )
    assert fields.invoice_number == "RE-2026-0042"
    assert (fields.invoice_date, fields.due_date) == (date(2026, 11, 3), date(2026, 12, 3))
    assert (fields.total_amount, fields.currency) == (Decimal("1234.56"), "EUR")
    assert fields.payment_terms == "Zahlbar innerhalb 14 Tagen"


def test_french_invoice_pdf_reads_ttc_not_ht() -> None:
    fields = fields_of(
        [
            "Facture n° F-2026-19",
            "Date de facture : 15 novembre 2026",
            "Date d'échéance : 15/12/2026",
            "Total HT | 1 000,00 €",
            "TVA 20 % | 200,00 €",
            "Total TTC | 1 200,00 €",
            "Conditions de paiement : 30 jours fin de mois",
        ]
    )
    assert fields.invoice_number == "F-2026-19"
    assert (fields.invoice_date, fields.due_date) == (date(2026, 11, 15), date(2026, 12, 15))
    assert (fields.total_amount, fields.currency) == (Decimal("1200.00"), "EUR")
    assert fields.payment_terms == "30 jours fin de mois"


def test_dutch_invoice_pdf_reads_te_betalen_not_excl_btw() -> None:
    fields = fields_of(
        [
            "Factuurnummer: 2026/118",
            "Factuurdatum: 04-11-2026",
            "Vervaldatum: 18-11-2026",
            "Totaal excl. btw | € 500,00",
            "BTW 21% | € 105,00",
            "Te betalen | € 605,00",
            "Betaling binnen 14 dagen",
        ]
    )
    assert fields.invoice_number == "2026/118"
    assert (fields.invoice_date, fields.due_date) == (date(2026, 11, 4), date(2026, 11, 18))
    assert (fields.total_amount, fields.currency) == (Decimal("605.00"), "EUR")
    assert fields.payment_terms == "binnen 14 dagen"


def test_arabic_indic_digits_in_dates_and_totals_pdf() -> None:
    fields = fields_of(
        ["Invoice No: INV-٣٠٧", "Invoice Date: ١٥/١١/٢٠٢٦", "Total Due: ١٬٢٣٤٫٥٠ د.إ"], unicode=True
    )
    assert fields.invoice_number == "INV-307"
    assert fields.invoice_date == date(2026, 11, 15)
    assert (fields.total_amount, fields.currency) == (Decimal("1234.50"), "AED")


def test_arabic_labels() -> None:
    # PDFium gives RTL runs of unshaped fpdf2 text in visual order, so Arabic labels are checked on text.
    fields = extract_fields(
        "شركة الخليج للتجارة\nرقم الفاتورة: GT-٥٥١\nتاريخ الفاتورة: ٠٢/١١/٢٠٢٦\n"
        "تاريخ الاستحقاق: ١٥ ديسمبر ٢٠٢٦\n"
        "المجموع الفرعي: ٩٥٢٫٣٨\nالإجمالي شامل الضريبة: ١٠٠٠٫٠٠ ر.س"
    )
    assert fields.invoice_number == "GT-551"
    assert (fields.invoice_date, fields.due_date) == (date(2026, 11, 2), date(2026, 12, 15))
    assert (fields.total_amount, fields.currency) == (Decimal("1000.00"), "SAR")


def test_labels_with_their_values_on_the_next_line_pdf() -> None:
    fields = fields_of(
        [
            "Invoice Number",
            "GX-9911",
            "Invoice Date",
            "November 3, 2026",
            "Payment Terms",
            "Net 45",
            "Amount due",
            "GBP 1,250.00",
        ]
    )
    assert (fields.invoice_number, fields.invoice_date) == ("GX-9911", date(2026, 11, 3))
    assert (fields.total_amount, fields.currency, fields.payment_terms) == (
        Decimal("1250.00"),
        "GBP",
        "Net 45",
    )


def test_header_row_of_labels_over_a_row_of_values_pdf() -> None:
    fields = fields_of(
        [
            "Invoice No. | Invoice Date | Due Date",
            "A-77 | 02/11/2026 | 02/12/2026",
            "Description | Qty | Total",
            "Cable ties | 4 | 80.00",
            "Grand Total | | $80.00",
        ]
    )
    assert fields.invoice_number == "A-77"
    assert (fields.invoice_date, fields.due_date) == (date(2026, 11, 2), date(2026, 12, 2))
    assert (fields.total_amount, fields.currency) == (Decimal("80.00"), "USD")


def test_two_page_invoice_with_the_total_on_page_two_pdf() -> None:
    page_one = [
        "Invoice No: INV-88",
        "Invoice Date: 01/11/2026",
        *[f"Item {n} | 1 | 10.00" for n in range(25)],
    ]
    page_two = ["Item 25 | 1 | 10.00", "Subtotal | USD 260.00", "VAT 5% | USD 13.00", "Total | USD 273.00"]
    text = read_pdf(invoice_pdf(page_one, page_two))
    assert "Total" not in text.pages[0]
    assert text.pages[1].endswith("Total USD 273.00")
    fields = extract_fields(text.text)
    assert fields.invoice_number == "INV-88"
    assert (fields.total_amount, fields.currency) == (Decimal("273.00"), "USD")


def test_the_payable_label_beats_a_plain_total_wherever_it_stands() -> None:
    fields = extract_fields("Amount due: EUR 99.00\nLines\nTotal: EUR 120.00\nPaid: EUR 21.00")
    assert fields.total_amount == Decimal("99.00")


@pytest.mark.parametrize(
    "text",
    ["Subtotal: 300.00", "Sub-total 300.00", "Total HT 300,00 €", "Totaal excl. btw € 300,00", "Net: 300.00"],
)
def test_net_figures_are_never_the_total(text: str) -> None:
    assert extract_fields(f"Invoice No: X-1\n{text}\nVAT: 15.00").total_amount is None


@pytest.mark.parametrize(
    ("line", "terms"),
    [
        ("Terms: Net 30", "Net 30"),
        ("Please pay within 30 days.", "within 30 days"),
        ("Net 60 days", "Net 60 days"),
    ],
)
def test_payment_terms(line: str, terms: str) -> None:
    assert extract_fields(f"Invoice No: X-1\n{line}").payment_terms == terms


def test_dates_follow_the_order_given() -> None:
    assert extract_fields(ACME).invoice_date == date(2026, 11, 2)
    assert extract_fields(ACME, date_order="MDY").invoice_date == date(2026, 2, 11)
    mdy_vendor = extract_fields(ACME, rules=VendorRules(date_order="MDY"))
    assert (mdy_vendor.invoice_date, mdy_vendor.due_date) == (date(2026, 2, 11), date(2026, 2, 12))
    assert extract_fields("Date: 2026-11-01").invoice_date == date(2026, 11, 1)  # ISO stays ISO in any order


def test_no_relative_or_partial_dates() -> None:
    fields = extract_fields("Invoice Date: in 2 days\nDue Date: November 2026")
    assert (fields.invoice_date, fields.due_date) == (None, None)


def test_currency_symbols_and_defaults() -> None:
    assert extract_fields("Total: £12.00").currency == "GBP"
    assert extract_fields("Total: 12.00\nCurrency: CHF").currency == "CHF"
    fallback = extract_fields("Total: 12.00", default_currency="AED")
    assert (fallback.currency, fallback.sources["currency"]) == ("AED", GENERIC)
    vendor = extract_fields("Total: 12.00", rules=VendorRules(default_currency="SAR"), default_currency="AED")
    assert (vendor.currency, vendor.sources["currency"]) == ("SAR", VENDOR)
    assert extract_fields("Total: 12.00").currency is None


def test_vendor_rules_win_over_generic_ones() -> None:
    text = ACME + "\nOur ref: PO-REF-5\nAmount payable (AED): 320,50"
    rules = VendorRules(
        invoice_number=r"Our ref:\s*(\S+)",
        total_amount=r"Amount payable \(AED\):\s*([\d.,]+)",
        decimal_separator=",",
        default_currency="AED",
    )
    fields = extract_fields(text, rules=rules)
    assert (fields.invoice_number, fields.total_amount) == ("PO-REF-5", Decimal("320.50"))
    assert fields.invoice_date == date(2026, 11, 2)  # no rule for it: the generic one
    assert fields.sources == {
        "invoice_number": VENDOR,
        "total_amount": VENDOR,
        "currency": VENDOR,
        "invoice_date": GENERIC,
        "due_date": GENERIC,
    }


def test_a_vendor_rule_that_finds_nothing_leaves_the_field_to_the_generic_rules() -> None:
    fields = extract_fields(ACME, rules=VendorRules(invoice_number=r"Bill ref (\d+)"))
    assert (fields.invoice_number, fields.sources["invoice_number"]) == ("INV-2026-1142", GENERIC)


def test_a_broken_vendor_regex_names_its_field() -> None:
    with pytest.raises(ValidationError) as raised:
        extract_fields(ACME, rules=VendorRules(due_date=r"Due (\d+"))
    assert raised.value.field == "due_date"


TEMPLATE = r"""
issuer: Muster Werkzeuge GmbH
keywords:
  - Muster Werkzeuge
  - (?i)USt-IdNr
fields:
  invoice_number: Beleg\s+Nr\.\s+(\w+-\d+)
  date:
    - Belegdatum\s+(\d{2}\.\d{2}\.\d{2})
    - (?i)ausgestellt am\s+(\d{2}\.\d{2}\.\d{2})
  date_due: Zahlbar bis\s+(\d{2}\.\d{2}\.\d{2})
  amount:
    parser: regex
    regex: Endbetrag\s+([\d.,]+)
  static_currency: EUR
  lines:
    start: Pos
    end: Summe
    line: (?P<description>.+)
options:
  date_formats:
    - '%d.%m.%y'
  decimal_separator: ','
  languages:
    - de
"""


def test_invoice2data_template_imported_and_applied() -> None:
    rules = rules_from_invoice2data(TEMPLATE)
    assert rules.date_formats == ["%d.%m.%y"]
    assert (rules.decimal_separator, rules.default_currency) == (",", "EUR")
    assert rules.date_order is None
    text = (
        "Muster Werkzeuge GmbH\nBeleg Nr. MW-20931\nAUSGESTELLT AM 05.11.26\nZahlbar bis 05.12.26\n"
        "Endbetrag 2.345,60"
    )
    fields = extract_fields(text, rules=rules)
    assert fields.invoice_number == "MW-20931"
    assert (fields.invoice_date, fields.due_date) == (date(2026, 11, 5), date(2026, 12, 5))
    assert (fields.total_amount, fields.currency) == (Decimal("2345.60"), "EUR")
    assert {fields.sources[name] for name in fields.sources} == {VENDOR}


def test_invoice2data_json_template_and_options_currency() -> None:
    template = {
        "issuer": "Gulf Supplies",
        "keywords": ["Gulf Supplies"],
        "fields": {
            "invoice_number": "Bill\\s+(\\d+)",
            "amount": "Net payable\\s+([\\d,.]+)",
            "sum_amount": "x",
        },
        "options": {"currency": "AED", "remove_whitespace": False},
    }
    rules = rules_from_invoice2data(json.dumps(template))
    assert rules == VendorRules(
        invoice_number=r"Bill\s+(\d+)", total_amount=r"Net payable\s+([\d,.]+)", default_currency="AED"
    )
    fields = extract_fields("Gulf Supplies\nBill 4410\nNet payable 1,050.00", rules=rules)
    assert (fields.invoice_number, fields.total_amount, fields.currency) == (
        "4410",
        Decimal("1050.00"),
        "AED",
    )


@pytest.mark.parametrize(
    ("template", "field", "words"),
    [
        ("fields: [unclosed", "template", "neither YAML nor JSON"),
        ("- just\n- a list", "template", "must be a mapping"),
        ("fields: invoice_number", "fields", "must be a mapping"),
        ("fields:\n  amount: Total (\\d+", "amount", "not a valid regex"),
        ("fields:\n  date: 5", "date", "a regex or a list of regexes"),
        ("options:\n  decimal_separator: ';'", "decimal_separator", "'.' or ','"),
        ("fields:\n  static_currency: euros", "static_currency", "currency code"),
    ],
)
def test_invoice2data_template_problems_are_named(template: str, field: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words) as raised:
        rules_from_invoice2data(template)
    assert raised.value.field == field


def test_a_total_column_header_does_not_read_the_first_item_line() -> None:
    assert extract_fields("Description Qty Total\nDrill bits 2 150.00").total_amount is None
    assert extract_fields("Total\nد.إ 1,250.00").total_amount == Decimal("1250.00")
