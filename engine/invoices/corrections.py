"""Finance's corrections of a field (issue 8 §4): the value is set with the source ``manual`` and
audited; when finance agrees, the correction becomes the vendor's own rule, so its next invoice is
read right: a regex anchored on the words before the value on its line (invoice2data style), or,
for a date read in the wrong order, the vendor's date order."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import ValidationError
from engine.invoices.models import FIELDS, FieldSource, VendorRules
from engine.invoices.records import InvoiceView, invoice_view
from engine.invoices.vendors import get_vendor
from engine.ledger.audit import record_action
from engine.store.schema import invoice, vendor

_SHAPES = {  # what the captured value looks like, per field
    "invoice_number": r"([A-Za-z0-9][A-Za-z0-9/._-]*)",
    "invoice_date": r"(\d{1,4}[./-]\d{1,2}[./-]\d{1,4})",
    "due_date": r"(\d{1,4}[./-]\d{1,2}[./-]\d{1,4})",
    "total_amount": r"([\d.,' ]*\d)",
    "payment_terms": r"(.+)",
}


def parse_value(field: str, raw: str) -> Any:
    """The corrected value in its field's type, or a ValidationError naming the field."""
    text = raw.strip()
    if field not in FIELDS:
        raise ValidationError(
            f"{field!r} is not an invoice field; fields are {', '.join(FIELDS)}.", field="field"
        )
    if not text:
        return None
    try:
        if field in ("invoice_date", "due_date"):
            return date.fromisoformat(text)
        if field == "total_amount":
            return Decimal(text.replace(",", ""))
    except (ValueError, InvalidOperation) as exc:
        kind = "a date like 2026-11-02" if field.endswith("date") else "an amount like 1234.50"
        raise ValidationError(
            f"{field.replace('_', ' ').capitalize()} must be {kind}.", field="value"
        ) from exc
    if field == "currency":
        if not re.fullmatch(r"[A-Za-z]{3}", text):
            raise ValidationError("The currency is a three-letter ISO 4217 code, e.g. AED.", field="value")
        return text.upper()
    return text[:200]


def _shown_forms(field: str, value: Any) -> list[str]:
    """How the value may be written on the invoice."""
    if isinstance(value, date):
        return [
            f"{value:%d/%m/%Y}",
            f"{value:%m/%d/%Y}",
            f"{value:%d.%m.%Y}",
            value.isoformat(),
            f"{value:%d-%m-%Y}",
        ]
    if isinstance(value, Decimal):
        plain = f"{value:.2f}"
        grouped = f"{value:,.2f}"
        return [
            grouped,
            plain,
            grouped.replace(",", "X").replace(".", ",").replace("X", "."),
            plain.replace(".", ","),
        ]
    return [str(value)]


def rule_from(text: str, field: str, value: Any) -> dict[str, Any]:
    """The rule the correction teaches, or {} when the invoice's text does not show the value."""
    if field == "currency":
        return {"default_currency": value}
    for shown in _shown_forms(field, value):
        for line in text.splitlines():
            at = line.find(shown)
            label = line[:at].strip() if at >= 0 else ""
            if at < 0 or not re.search(r"[A-Za-z\u0600-\u06FF]{2}", label):
                continue
            pattern = re.escape(label) + r"\s*" + _SHAPES.get(field, r"(\S+)")
            rule: dict[str, Any] = {field: pattern}
            if isinstance(value, date):
                rule["date_order"] = (
                    "MDY" if shown == f"{value:%m/%d/%Y}" and value.day != value.month else "DMY"
                )
                if shown == value.isoformat():
                    rule["date_order"] = "YMD"
            if isinstance(value, Decimal) and shown.endswith(f",{value:.2f}"[-3:]):
                rule["decimal_separator"] = ","
            return rule
    return {}


def correct(
    conn: Connection,
    view: InvoiceView,
    field: str,
    raw: str,
    *,
    text: str,
    make_rule: bool,
    actor: Actor,
    trace_id: str,
) -> tuple[InvoiceView, dict[str, Any]]:
    value = parse_value(field, raw)
    before = getattr(view, field)
    sources = {k: str(v) for k, v in view.field_sources.items()}
    sources[field] = str(FieldSource.MANUAL)
    conn.execute(
        invoice.update()
        .where(invoice.c.invoice_id == view.invoice_id)
        .values(**{field: value}, field_sources=json.dumps(sources, sort_keys=True), updated_at=utcnow())
    )
    record_action(
        conn,
        actor,
        "INVOICE_FIELD_CORRECTED",
        entity_type="invoice",
        entity_id=view.invoice_id,
        trace_id=trace_id,
        before={field: str(before) if before is not None else None},
        after={field: str(value) if value is not None else None},
    )
    learned: dict[str, Any] = {}
    if make_rule:
        if view.vendor_name is None:
            raise ValidationError(
                "Only a known vendor's invoice can teach a rule: add the vendor first.", field="rule"
            )
        learned = rule_from(text, field, value) if value is not None else {}
        if learned:
            current = get_vendor(conn, view.vendor_name)
            rules = (current.rules or VendorRules()).model_copy(update=learned)
            conn.execute(
                vendor.update()
                .where(vendor.c.vendor_key == current.vendor_key)
                .values(
                    rules=rules.model_dump_json(exclude_defaults=True),
                    updated_by=actor.email,
                    updated_at=utcnow(),
                )
            )
            record_action(
                conn,
                actor,
                "VENDOR_RULE_LEARNED",
                entity_type="vendor",
                entity_id=current.vendor_key,
                trace_id=trace_id,
                after={"field": field, **{k: str(v) for k, v in learned.items()}},
            )
    row = conn.execute(sa.select(invoice).where(invoice.c.invoice_id == view.invoice_id)).one()
    return invoice_view(row), learned
