"""Finance's side of the queue: reprocess an invoice (or every waiting one of a vendor) against
the vendor master as it is now, so adding an unknown vendor enriches and routes what waited for it;
and the unknown senders grouped for the Unknown vendors page."""

from __future__ import annotations

import json

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import NotFound, ValidationError
from engine.handle import Ledger
from engine.invoices.mail import Attachment, MailMessage
from engine.invoices.pipeline import Reading, _status, claim_duplicate, duplicate_keys, read_attachment
from engine.invoices.records import InvoiceView, invoice_view
from engine.invoices.vendors import VendorView, get_vendor, list_vendors
from engine.ledger.audit import record_action
from engine.ledger.exceptions import OPEN_STATES, act_on_exception, get_exception
from engine.store.schema import invoice
from engine.vocab import ExceptionAction, InvoiceStatus

WAITING = (InvoiceStatus.UNKNOWN, InvoiceStatus.ERROR)


def _message_of(view: InvoiceView) -> MailMessage:
    """The parts of the original mail that identification needs (sender, date), from the row."""
    return MailMessage(
        message_id=None,
        sender=view.sender,
        sender_name=None,
        to=[],
        cc=[],
        subject=view.subject or "",
        received_at=view.received_at,
        in_reply_to=None,
        auto_submitted=None,
        body_text="",
        attachments=[],
    )


def targets(conn: Connection, *, invoice_id: str | None, vendor: str | None) -> list[InvoiceView]:
    if invoice_id:
        row = conn.execute(
            sa.select(invoice).where(invoice.c.invoice_id == invoice_id.strip().upper())
        ).first()
        if row is None:
            raise NotFound(f"No invoice {invoice_id}.", invoice_id=invoice_id)
        return [invoice_view(row)]
    if not vendor:
        raise ValidationError("Give an invoice id or a vendor name to reprocess.", field="vendor")
    chosen = get_vendor(conn, vendor)
    waiting = conn.execute(
        sa.select(invoice)
        .where(invoice.c.status.in_([str(s) for s in WAITING]))
        .order_by(invoice.c.created_at)
    ).all()
    views = [invoice_view(row) for row in waiting]
    # Every waiting invoice is read again: those the vendor's new domains or aliases now identify
    # change, the others stay as they were.
    return [v for v in views if v.vendor_name in (None, chosen.vendor_name)]


def reread(ledger: Ledger, view: InvoiceView, vendors: list[VendorView]) -> Reading:
    with ledger.db.read() as conn:
        content = ledger.files.read(conn, view.file_id)[1] if view.file_id else b""
    attachment = Attachment(
        name=view.attachment_name or "invoice.pdf", content_type="application/pdf", content=content
    )
    return read_attachment(1, attachment, _message_of(view), vendors, ledger.settings)


def apply(
    ledger: Ledger, conn: Connection, view: InvoiceView, reading: Reading, *, actor: Actor, trace_id: str
) -> InvoiceView:
    """The invoice as the current master reads it; an UNKNOWN_VENDOR exception it no longer needs is
    resolved, and the invoice is left for routing again."""
    now = utcnow()
    duplicate_of = None
    message = _message_of(view)
    if reading.match is not None and not reading.problem:
        received = (
            view.received_at.astimezone(ledger.settings.zone).date().isoformat() if view.received_at else None
        )
        for key in duplicate_keys(reading.match.vendor, reading.fields, message, received):
            holder = claim_duplicate(
                conn, key, view.invoice_id, now, source=str(view.source), message_key=view.message_key
            )
            if holder is not None and holder != view.invoice_id:
                duplicate_of = duplicate_of or holder
    status = _status(reading, duplicate_of)
    vendor = reading.match.vendor if reading.match else None
    enrich = vendor is not None and status is InvoiceStatus.PROCESSED
    values = {
        "status": str(status),
        "vendor_key": vendor.vendor_key if vendor else None,
        "vendor_name": vendor.vendor_name if vendor else None,
        "vendor_source": str(reading.match.source) if reading.match else None,
        "vendor_evidence": reading.match.evidence[:500] if reading.match else None,
        "invoice_number": reading.fields.invoice_number,
        "invoice_date": reading.fields.invoice_date,
        "due_date": reading.fields.due_date,
        "total_amount": reading.fields.total_amount,
        "currency": reading.fields.currency,
        "payment_terms": reading.fields.payment_terms,
        "gl_code": vendor.gl_code if enrich and vendor else None,
        "expense_dept": vendor.expense_dept if enrich and vendor else None,
        "allocation_schedule": vendor.allocation_schedule if enrich and vendor else None,
        "billing_party": ledger.settings.default_billing_party if enrich else None,
        "duplicate_of": duplicate_of,
        "error": reading.problem,
        "updated_at": now,
    }
    # Routed again only when the reading changed what AP is told (now with its GL code, or no longer
    # flagged): an unknown invoice the new master data does not identify is not sent a second time.
    if (str(status), values["vendor_name"], values["gl_code"]) != (
        str(view.status),
        view.vendor_name,
        view.gl_code,
    ):
        values["routed_at"] = None
    values["field_sources"] = json.dumps(
        {k: str(v) for k, v in reading.fields.sources.items()}, sort_keys=True
    )
    conn.execute(invoice.update().where(invoice.c.invoice_id == view.invoice_id).values(**values))
    if status is InvoiceStatus.PROCESSED and view.exception_id:
        current = get_exception(conn, view.exception_id)
        if current.status in OPEN_STATES:
            act_on_exception(
                conn,
                view.exception_id,
                ExceptionAction.RESOLVE,
                actor=actor,
                trace_id=trace_id,
                notes=f"Reprocessed: vendor {values['vendor_name']} ({values['vendor_source']}).",
            )
    record_action(
        conn,
        actor,
        "INVOICE_REPROCESSED",
        entity_type="invoice",
        entity_id=view.invoice_id,
        trace_id=trace_id,
        before={"status": str(view.status), "vendor": view.vendor_name},
        after={"status": str(status), "vendor": values["vendor_name"], "gl_code": values["gl_code"]},
    )
    return invoice_view(conn.execute(sa.select(invoice).where(invoice.c.invoice_id == view.invoice_id)).one())


class UnknownSender(BaseModel):
    """The invoices waiting for one sender domain, with what would identify them."""

    model_config = ConfigDict(frozen=True)

    sender_domain: str
    senders: list[str]
    detected_names: list[str]
    invoices: list[InvoiceView]
    similar_vendors: list[str]


def unknown_senders(conn: Connection) -> list[UnknownSender]:
    rows = conn.execute(
        sa.select(invoice)
        .where(invoice.c.status == str(InvoiceStatus.UNKNOWN), invoice.c.vendor_key.is_(None))
        .order_by(invoice.c.created_at)
    ).all()
    groups: dict[str, list[InvoiceView]] = {}
    for row in rows:
        view = invoice_view(row)
        domain = (view.sender or "@unknown").rsplit("@", 1)[1]
        groups.setdefault(domain, []).append(view)
    names = [v.vendor_name for v in list_vendors(conn)]
    out = []
    for domain, views in groups.items():
        detected = sorted({v.detected_name for v in views if v.detected_name})
        probe = detected[0] if detected else domain.split(".")[0]
        similar = [
            name
            for name, score, _ in process.extract(probe, names, scorer=fuzz.WRatio, limit=3)
            if score >= 60
        ]
        out.append(
            UnknownSender(
                sender_domain=domain,
                senders=sorted({v.sender for v in views if v.sender}),
                detected_names=detected,
                invoices=views,
                similar_vendors=similar,
            )
        )
    return sorted(out, key=lambda group: -len(group.invoices))
