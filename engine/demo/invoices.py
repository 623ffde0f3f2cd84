"""Invoice e-mails as they arrive in an AP mailbox: real PDFs (fpdf2) attached to real MIME
messages. One builder for the demo data, the tests and the benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

MAILBOX = "invoices@opsledger.example"
DEMO_VENDORS_CSV = (
    "vendor_name,sender_domains,aliases,gl_code,expense_dept,allocation_schedule,product_category\n"
    "ACME Tools LLC,acme-tools.example,ACME Tools,6100,OPS,1,Direct\n"
    "Gulf Office Supplies,gulfoffice.example,Gulf Office;GOS Trading,6200,ADMIN,1,Direct\n"
    "Falcon IT Resellers,falcon-it.example,,6300,IT,3,Reseller\n"
)


def invoice_pdf(lines: Sequence[str], *, pages: int = 1) -> bytes:
    """A text PDF with the lines on the first page (and empty further pages, as some vendors send)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in range(pages):
        pdf.add_page()
        for line in lines if page == 0 else [f"Page {page + 1} of {pages}"]:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def invoice_mail(
    *,
    sender: str,
    subject: str,
    message_id: str,
    sent_at: datetime,
    attachments: Sequence[tuple[str, bytes]] = (),
    to: str = MAILBOX,
    body: str = "Please find our invoice attached.",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at)
    message.set_content(body)
    for name, content in attachments:
        message.add_attachment(content, maintype="application", subtype="pdf", filename=name)
    return bytes(message)


def acme_invoice(number: str, issued: date, total: str) -> list[str]:
    due = issued + timedelta(days=30)
    return [
        "ACME Tools LLC",
        "Tax invoice",
        f"Invoice No: {number}",
        f"Invoice Date: {issued:%d/%m/%Y}",
        f"Due Date: {due:%d/%m/%Y}",
        "Payment terms: Net 30",
        "Description        Qty   Amount",
        f"Drill bits set      2   {total}",
        f"Total Due: AED {total}",
    ]


def demo_mails(today: date, zone: ZoneInfo) -> list[tuple[str, bytes]]:
    """A morning's mail: two known vendors (by domain, and by name from a personal address), an
    unknown sender, a reseller, and the agent's own AP mail come back (skipped by the loop rules)."""
    at = datetime.combine(today, time(8, 30), tzinfo=zone)
    gulf = [
        "GULF OFFICE SUPPLIES",
        "Invoice Number: GOS-88120",
        f"Invoice Date: {today - timedelta(days=2):%d/%m/%Y}",
        "Paper A4 80gsm x 40 boxes",
        "Grand Total: AED 1,260.00",
    ]
    unknown = [
        "Desert Rain Catering",
        "Invoice Number: DRC-204",
        f"Date: {today:%Y-%m-%d}",
        "Total: AED 945.50",
    ]
    reseller = [
        "Falcon IT Resellers",
        "Invoice No: FIT-5531",
        f"Invoice Date: {today:%d/%m/%Y}",
        "Total: USD 2,400.00",
    ]
    return [
        (
            "acme-1142.eml",
            invoice_mail(
                sender="billing@acme-tools.example",
                subject="Invoice INV-2026-1142",
                message_id="<acme-1142@acme-tools.example>",
                sent_at=at,
                attachments=[
                    (
                        "INV-2026-1142.pdf",
                        invoice_pdf(acme_invoice("INV-2026-1142", today - timedelta(days=1), "315.00")),
                    )
                ],
            ),
        ),
        (
            "gulf-88120.eml",
            invoice_mail(
                sender="Gulf Office Supplies <gos.accounts@mailhost.example>",
                subject="Invoice GOS-88120",
                message_id="<gos-88120@mailhost.example>",
                sent_at=at + timedelta(minutes=7),
                attachments=[("GOS-88120.pdf", invoice_pdf(gulf))],
            ),
        ),
        (
            "desert-rain-204.eml",
            invoice_mail(
                sender="accounts@desertrain.example",
                subject="Catering invoice DRC-204",
                message_id="<drc-204@desertrain.example>",
                sent_at=at + timedelta(minutes=12),
                attachments=[("DRC-204.pdf", invoice_pdf(unknown))],
            ),
        ),
        (
            "falcon-5531.eml",
            invoice_mail(
                sender="ar@falcon-it.example",
                subject="Invoice FIT-5531",
                message_id="<fit-5531@falcon-it.example>",
                sent_at=at + timedelta(minutes=20),
                attachments=[("FIT-5531.pdf", invoice_pdf(reseller))],
            ),
        ),
        (
            "loop.eml",
            invoice_mail(
                sender=MAILBOX,
                subject="Invoice: ACME Tools LLC - GL 6100",
                message_id="<loop-1@opsledger.example>",
                sent_at=at + timedelta(minutes=25),
                attachments=[
                    ("INV-2026-1142.pdf", invoice_pdf(acme_invoice("INV-2026-1142", today, "315.00")))
                ],
            ),
        ),
    ]


# Structured e-invoices (EN 16931): the smallest CII and UBL 2.1 documents the readers accept.
_CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
  <ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">{issued:%Y%m%d}</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>{seller}</ram:Name></ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>OpsLedger Buyer</ram:Name></ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>{currency}</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradePaymentTerms><ram:Description>Net 30</ram:Description>
    <ram:DueDateDateTime><udt:DateTimeString format="102">{due:%Y%m%d}</udt:DateTimeString>
    </ram:DueDateDateTime>
   </ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:GrandTotalAmount>{total}</ram:GrandTotalAmount>
    <ram:DuePayableAmount>{total}</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"""
_UBL = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
 <cbc:ID>{number}</cbc:ID><cbc:IssueDate>{issued:%Y-%m-%d}</cbc:IssueDate><cbc:DueDate>{due:%Y-%m-%d}</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>{seller}</cbc:RegistrationName>
 </cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity>
 <cbc:RegistrationName>OpsLedger Buyer</cbc:RegistrationName>
 </cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
 <cac:PaymentTerms><cbc:Note>Net 30</cbc:Note></cac:PaymentTerms>
 <cac:LegalMonetaryTotal><cbc:TaxInclusiveAmount currencyID="{currency}">{total}</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="{currency}">{total}</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>"""


def einvoice_xml(
    number: str, *, seller: str, issued: date, total: str, currency: str = "AED", flavor: str = "cii"
) -> bytes:
    from xml.sax.saxutils import escape

    template = _CII if flavor == "cii" else _UBL
    return template.format(
        number=escape(number),
        seller=escape(seller),
        issued=issued,
        due=issued + timedelta(days=30),
        total=total,
        currency=currency,
    ).encode()


def facturx_pdf(lines: Sequence[str], xml: bytes) -> bytes:
    """A Factur-X PDF: the visible invoice with the CII XML embedded (the factur-x library)."""
    import facturx

    return bytes(facturx.generate_from_binary(invoice_pdf(lines), xml, check_xsd=False))
