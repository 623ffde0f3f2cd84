"""Structured e-invoices first (issue 8 §2): a PDF that embeds Factur-X / ZUGFeRD / XRechnung XML,
or a UBL 2.1 or CII XML invoice attached to the mail (Peppol BIS / PINT), read with the
``factur-x`` library (EN 16931 business terms: BT-1 number, BT-2 date, BT-9 due date, BT-5
currency, BT-20 terms, BT-115 amount due, BG-4 seller). Every field read this way has the source
``einvoice``. XML is screened with defusedxml first: no DTDs, no entities, no external references."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from engine.invoices.models import ExtractedFields, FieldSource

_ROOTS = ("Invoice", "CreditNote", "CrossIndustryInvoice")
MAX_XML_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class EInvoice:
    seller_name: str | None
    fields: ExtractedFields
    xml_name: str | None  # the embedded file's name (factur-x.xml, xrechnung.xml, …)


def _quiet() -> None:
    # factur-x logs at INFO for every file it looks into.
    logging.getLogger("factur-x").setLevel(logging.WARNING)


def looks_like_xml_invoice(content: bytes) -> bool:
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and any(root.encode() in head for root in _ROOTS)


def _safe(xml: bytes) -> bool:
    if len(xml) > MAX_XML_BYTES:
        return False
    try:
        root = safe_xml.fromstring(xml, forbid_dtd=True)
    except (DefusedXmlException, safe_xml.ParseError):
        return False
    return root.tag.rsplit("}", 1)[-1] in _ROOTS


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _text(value: Any, limit: int) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    return str(value).strip()[:limit] if value not in (None, "") else None


def from_xml(xml: bytes, *, name: str | None = None) -> EInvoice | None:
    """The e-invoice in UBL or CII XML, or None when the XML is not one (or not safe to read)."""
    if not _safe(xml):
        return None
    import facturx

    _quiet()
    try:
        data = facturx.parse_ubl_cii_xml(xml, check_xsd=False)
    except Exception:  # noqa: BLE001 - a foreign parser's failure on foreign bytes: not an e-invoice
        return None
    seller = data.get("BG-4") or {}
    values: dict[str, Any] = {
        "invoice_number": _text(data.get("BT-1"), 100),
        "invoice_date": data.get("BT-2") if isinstance(data.get("BT-2"), date) else None,
        "due_date": data.get("BT-9") if isinstance(data.get("BT-9"), date) else None,
        "total_amount": _amount(data.get("BT-115") or data.get("BT-112")),
        "currency": _text(data.get("BT-5"), 3),
        "payment_terms": _text(data.get("BT-20"), 200),
    }
    found = {k: v for k, v in values.items() if v is not None}
    if "invoice_number" not in found:
        return None
    fields = ExtractedFields(**found, sources=dict.fromkeys(found, FieldSource.EINVOICE))
    return EInvoice(
        seller_name=_text(seller.get("name"), 200) if isinstance(seller, dict) else None,
        fields=fields,
        xml_name=name,
    )


def from_pdf(content: bytes) -> EInvoice | None:
    """The XML a Factur-X / ZUGFeRD / XRechnung PDF embeds, read; None for a plain PDF."""
    import facturx

    _quiet()
    try:
        name, xml = facturx.get_xml_from_pdf(content, check_xsd=False)
    except Exception:  # noqa: BLE001 - pypdf on a damaged or encrypted file: the text path says why
        return None
    return from_xml(xml, name=name) if xml else None
