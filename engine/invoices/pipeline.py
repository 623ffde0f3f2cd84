"""One message through the finance desk (DOMAIN "Invoices"): a short list of stages.

Reading (parse the mail, loop rules, read each PDF, find the vendor, read the fields) is pure work
done before any transaction. Then one transaction claims the message in the processed-message
ledger, stores the PDFs, claims the duplicate keys, writes the invoices with their exceptions, inbox
items and audit rows. Routing to AP comes after the commit (an outbox: an invoice not yet routed is
routed by the next poll), and marks each invoice routed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.config import Settings
from engine.errors import ValidationError
from engine.handle import Ledger
from engine.ids import new_ulid
from engine.invoices import einvoice, llm
from engine.invoices.fields import extract_fields
from engine.invoices.loop import skip_reason
from engine.invoices.mail import Attachment, MailMessage, parse_message
from engine.invoices.models import ExtractedFields, VendorSource
from engine.invoices.pdftext import UnreadablePdf, looks_like_pdf, read_pdf
from engine.invoices.records import InvoiceView, MessageOutcome, invoice_view
from engine.invoices.sources import Incoming
from engine.invoices.vendors import (
    ProductCategory,
    VendorMatch,
    VendorView,
    match_domain,
    match_text,
)
from engine.ledger.audit import record_action
from engine.ledger.exceptions import NewException, raise_exception
from engine.ledger.inbox import notify_desk
from engine.logs import get_logger
from engine.store.schema import invoice, invoice_claim, mail_message
from engine.vocab import Desk, ExceptionKind, InvoiceStatus

log = get_logger("invoices")


@dataclass
class Reading:
    """What was read off one PDF before anything is written."""

    number: int
    attachment: Attachment
    text: str = ""
    problem: str | None = None
    match: VendorMatch | None = None
    fields: ExtractedFields = field(default_factory=ExtractedFields)
    detected_name: str | None = None


def read_attachment(
    number: int, attachment: Attachment, message: MailMessage, vendors: list[VendorView], settings: Settings
) -> Reading:
    """Structured e-invoice first (embedded in the PDF, or the XML attachment itself), then text."""
    reading = Reading(number=number, attachment=attachment)
    is_pdf = looks_like_pdf(attachment.content)
    structured = einvoice.from_pdf(attachment.content) if is_pdf else einvoice.from_xml(attachment.content)
    if is_pdf:
        try:
            reading.text = read_pdf(attachment.content, max_pages=settings.invoice_max_pages).text
        except UnreadablePdf as unreadable:
            if structured is None:
                reading.problem = unreadable.message
                return reading
    if structured is not None:
        return _read_structured(reading, structured, message, vendors, settings)
    if not is_pdf:
        reading.problem = "The XML attachment is not a UBL or CII invoice that can be read safely."
        return reading
    reading.match = match_domain(vendors, message.sender_domain) or match_text(vendors, reading.text)
    reading.fields = _text_fields(reading.text, reading.match, settings)
    first_line = next((line.strip() for line in reading.text.splitlines() if line.strip()), None)
    reading.detected_name = (message.sender_name or first_line or message.sender_domain or "")[:200] or None
    if llm.enabled(settings) and (reading.match is None or reading.fields.missing()):
        _ask_llm(reading, vendors, settings)
    return reading


def _ask_llm(reading: Reading, vendors: list[VendorView], settings: Settings) -> None:
    """Last, and only for what the deterministic steps left open: the vendor (one of the master's,
    or unknown) and the missing fields (each then has the source ``llm``)."""
    answer = llm.ask(settings, reading.text, [v.vendor_name for v in vendors if v.active])
    if answer is None:
        return
    if reading.match is None and answer.vendor is not None:
        chosen = next(v for v in vendors if v.vendor_name == answer.vendor)
        reading.match = VendorMatch(
            vendor=chosen, source=VendorSource.LLM, evidence="chosen by the language model"
        )
        reading.fields = _text_fields(reading.text, reading.match, settings)  # its own rules now apply
    missing = set(reading.fields.missing())
    extra = {k: getattr(answer.fields, k) for k in missing if getattr(answer.fields, k) is not None}
    if extra:
        sources = {**reading.fields.sources, **{k: answer.fields.sources[k] for k in extra}}
        reading.fields = reading.fields.model_copy(update={**extra, "sources": sources})


def _text_fields(text: str, match: VendorMatch | None, settings: Settings) -> ExtractedFields:
    rules = match.vendor.rules if match else None
    return extract_fields(
        text,
        rules=rules,
        date_order=(rules.date_order if rules and rules.date_order else settings.invoice_date_order),  # type: ignore[arg-type]
        default_currency=rules.default_currency if rules else None,
    )


def _read_structured(
    reading: Reading,
    structured: einvoice.EInvoice,
    message: MailMessage,
    vendors: list[VendorView],
    settings: Settings,
) -> Reading:
    """Vendor by sender domain, else the seller the XML names; fields from the XML, checked against
    the total the PDF shows (a mismatch is for a person, never routed silently)."""
    seller = match_text(vendors, structured.seller_name) if structured.seller_name else None
    if seller is not None:
        seller = seller.model_copy(
            update={
                "source": VendorSource.EINVOICE,
                "evidence": f"seller {structured.seller_name!r} in the e-invoice",
            }
        )
    reading.match = (
        match_domain(vendors, message.sender_domain) or seller or match_text(vendors, reading.text)
    )
    reading.fields = structured.fields
    reading.detected_name = structured.seller_name or message.sender_name or message.sender_domain
    if reading.text:
        shown = _text_fields(reading.text, reading.match, settings).total_amount
        declared = structured.fields.total_amount
        if shown is not None and declared is not None and shown != declared:
            reading.problem = (
                f"The embedded e-invoice says {declared} {structured.fields.currency or ''} but the PDF "
                f"shows {shown}: check which is right before it is paid."
            )
    return reading


def _media_type(attachment: Attachment) -> str:
    return "application/pdf" if looks_like_pdf(attachment.content) else "application/xml"


def invoice_attachments(message: MailMessage) -> list[Attachment]:
    """The invoices of a mail: attachments whose bytes are a PDF, or a UBL/CII XML invoice (the type
    from the bytes, not the name or the declared content type)."""
    return [
        a
        for a in message.attachments
        if looks_like_pdf(a.content) or einvoice.looks_like_xml_invoice(a.content)
    ]


@dataclass(frozen=True)
class Prepared:
    incoming: Incoming
    message: MailMessage | None
    skip: str | None
    readings: list[Reading]


def prepare(incoming: Incoming, vendors: list[VendorView], settings: Settings) -> Prepared:
    try:
        message = parse_message(incoming.raw)
    except ValidationError as error:
        return Prepared(incoming, None, f"not an e-mail message: {error.message}", [])
    if (reason := skip_reason(message, settings)) is not None:
        return Prepared(incoming, message, reason, [])
    pdfs = invoice_attachments(message)
    if not pdfs:
        # A PDF left out (over the size limit, unreadable part) is named, so the skip says why.
        left_out = f" ({'; '.join(message.skipped_attachments)})" if message.skipped_attachments else ""
        return Prepared(incoming, message, f"no PDF or e-invoice attachment{left_out}"[:1000], [])
    return Prepared(
        incoming,
        message,
        None,
        [read_attachment(n, a, message, vendors, settings) for n, a in enumerate(pdfs, 1)],
    )


def _claim(conn: Connection, key: str, invoice_id: str, now: datetime) -> str | None:
    """The invoice already holding the key, or None after claiming it for this one. The key is the
    table's primary key: of two racing writers the second fails and, re-run, finds the first."""
    holder = conn.execute(
        sa.select(invoice_claim.c.invoice_id).where(invoice_claim.c.claim_key == key)
    ).scalar()
    if holder is not None:
        return str(holder)
    conn.execute(invoice_claim.insert().values(claim_key=key, invoice_id=invoice_id, created_at=now))
    return None


def claim_duplicate(
    conn: Connection, key: str, invoice_id: str, now: datetime, *, source: str, message_key: str
) -> str | None:
    """The earlier invoice this one duplicates through ``key``, claiming the key when free. The
    same-day key is held between mails, not between the invoices of one mail: a mail that carries
    two invoices of one vendor is two invoices (the same invoice number twice still is a duplicate)."""
    holder = _claim(conn, key, invoice_id, now)
    if holder is None or holder == invoice_id or not key.startswith("day:"):
        return holder
    sibling = conn.execute(
        sa.select(invoice.c.invoice_id).where(
            invoice.c.invoice_id == holder, invoice.c.source == source, invoice.c.message_key == message_key
        )
    ).scalar()
    return None if sibling is not None else holder


def duplicate_keys(
    vendor: VendorView, fields: ExtractedFields, message: MailMessage, zone_date: str | None
) -> list[str]:
    """DOMAIN "Invoices" step 5: same vendor + invoice number, or same vendor + sender + received
    date (the seed's level 2, kept as DOMAIN states it)."""
    keys = []
    if fields.invoice_number:
        keys.append(f"number:{vendor.vendor_key}:{fields.invoice_number.casefold()}")
    if message.sender and zone_date:
        keys.append(f"day:{vendor.vendor_key}:{message.sender}:{zone_date}")
    return keys


def _status(reading: Reading, duplicate_of: str | None) -> InvoiceStatus:
    if reading.problem:
        return InvoiceStatus.ERROR
    if duplicate_of:
        return InvoiceStatus.DUPLICATE
    if reading.match is None or reading.match.vendor.product_category is ProductCategory.RESELLER:
        return InvoiceStatus.UNKNOWN
    return InvoiceStatus.PROCESSED


def _exception(
    reading: Reading, status: InvoiceStatus, message: MailMessage, invoice_id: str, duplicate_of: str | None
) -> NewException | None:
    who = message.sender or "an unknown sender"
    if status is InvoiceStatus.ERROR:
        return NewException(
            ExceptionKind.UNREADABLE_INVOICE,
            f"{reading.attachment.name} from {who} cannot be read: {reading.problem}",
            invoice_id=invoice_id,
            payload={"subject": message.subject},
        )
    if status is InvoiceStatus.DUPLICATE:
        return NewException(
            ExceptionKind.DUPLICATE_INVOICE,
            f"Invoice {reading.fields.invoice_number or reading.attachment.name} from "
            f"{reading.match.vendor.vendor_name if reading.match else who} duplicates {duplicate_of}; "
            "not routed again.",
            invoice_id=invoice_id,
            payload={"duplicate_of": duplicate_of},
        )
    if status is InvoiceStatus.UNKNOWN:
        if reading.match is not None:  # a reseller: known, but a person reads it (seed "Reseller Handling")
            text = f"{reading.match.vendor.vendor_name} is a reseller: its invoice from {who} needs review."
        else:
            text = (
                f"No vendor for the invoice from {who} ({reading.detected_name or 'no name found'}): "
                "add it to the vendor master or alias it."
            )
        return NewException(
            ExceptionKind.UNKNOWN_VENDOR,
            text,
            invoice_id=invoice_id,
            dedupe_key=f"{message.sender_domain or message.sender}:{invoice_id}",
            payload={
                "sender": message.sender,
                "sender_domain": message.sender_domain,
                "detected_name": reading.detected_name,
            },
        )
    return None


def _row(
    reading: Reading,
    prepared: Prepared,
    status: InvoiceStatus,
    *,
    invoice_id: str,
    file_id: str | None,
    file_hash: str | None,
    duplicate_of: str | None,
    settings: Settings,
    now: datetime,
    trace_id: str,
) -> dict[str, object]:
    message = prepared.message
    assert message is not None
    vendor = reading.match.vendor if reading.match else None
    enrich = vendor is not None and status is InvoiceStatus.PROCESSED
    fields = reading.fields
    return {
        "invoice_id": invoice_id,
        "source": str(prepared.incoming.source),
        "message_key": prepared.incoming.key,
        "attachment_no": reading.number,
        "sender": message.sender,
        "subject": message.subject,
        "received_at": message.received_at,
        "file_id": file_id,
        "file_hash": file_hash,
        "attachment_name": reading.attachment.name,
        "status": str(status),
        "vendor_key": vendor.vendor_key if vendor else None,
        "vendor_name": vendor.vendor_name if vendor else None,
        "vendor_source": str(reading.match.source) if reading.match else None,
        "vendor_evidence": reading.match.evidence[:500] if reading.match else None,
        "detected_name": reading.detected_name,
        "invoice_number": fields.invoice_number,
        "invoice_date": fields.invoice_date,
        "due_date": fields.due_date,
        "total_amount": fields.total_amount,
        "currency": fields.currency,
        "payment_terms": fields.payment_terms,
        "field_sources": json.dumps({k: str(v) for k, v in fields.sources.items()}, sort_keys=True),
        "gl_code": vendor.gl_code if enrich and vendor else None,
        "expense_dept": vendor.expense_dept if enrich and vendor else None,
        "allocation_schedule": vendor.allocation_schedule if enrich and vendor else None,
        "billing_party": settings.default_billing_party if enrich else None,
        "exception_id": None,
        "duplicate_of": duplicate_of,
        "error": reading.problem,
        "created_at": now,
        "updated_at": now,
        "trace_id": trace_id,
    }


def record(
    ledger: Ledger, conn: Connection, prepared: Prepared, *, actor: Actor, trace_id: str
) -> MessageOutcome:
    """The transaction: claim the message (or answer with what it made before), then its invoices."""
    incoming, message, now = prepared.incoming, prepared.message, utcnow()
    earlier = conn.execute(
        sa.select(mail_message).where(
            mail_message.c.source == str(incoming.source), mail_message.c.message_key == incoming.key
        )
    ).first()
    if earlier is not None:
        made = conn.execute(
            sa.select(invoice)
            .where(invoice.c.source == str(incoming.source), invoice.c.message_key == incoming.key)
            .order_by(invoice.c.attachment_no)
        ).all()
        return MessageOutcome(
            source=incoming.source,
            message_key=incoming.key,
            status=InvoiceStatus.SKIPPED,
            reason=f"already processed at {earlier.processed_at:%Y-%m-%d %H:%M} UTC",
            invoices=[invoice_view(r) for r in made],
            trace_id=trace_id,
        )
    status = InvoiceStatus.SKIPPED if prepared.skip else InvoiceStatus.PROCESSED
    conn.execute(
        mail_message.insert().values(
            source=str(incoming.source),
            message_key=incoming.key,
            internet_message_id=message.message_id if message else None,
            sender=message.sender if message else None,
            subject=message.subject if message else None,
            received_at=message.received_at if message else None,
            status=str(status),
            reason=prepared.skip,
            invoices=len(prepared.readings),
            processed_at=now,
            trace_id=trace_id,
        )
    )
    if prepared.skip or message is None:
        record_action(
            conn,
            actor,
            "MAIL_SKIPPED",
            entity_type="mail",
            entity_id=incoming.key[:200],
            trace_id=trace_id,
            after={"reason": prepared.skip, "sender": message.sender if message else None},
        )
        return MessageOutcome(
            source=incoming.source,
            message_key=incoming.key,
            status=InvoiceStatus.SKIPPED,
            reason=prepared.skip,
            invoices=[],
            trace_id=trace_id,
        )
    views = [
        _record_invoice(ledger, conn, prepared, reading, actor=actor, trace_id=trace_id, now=now)
        for reading in prepared.readings
    ]
    return MessageOutcome(
        source=incoming.source,
        message_key=incoming.key,
        status=InvoiceStatus.PROCESSED,
        reason=None,
        invoices=views,
        trace_id=trace_id,
    )


def _record_invoice(
    ledger: Ledger,
    conn: Connection,
    prepared: Prepared,
    reading: Reading,
    *,
    actor: Actor,
    trace_id: str,
    now: datetime,
) -> InvoiceView:
    message = prepared.message
    assert message is not None
    settings = ledger.settings
    invoice_id = new_ulid()
    stored = ledger.files.put(
        conn,
        reading.attachment.content,
        display_name=reading.attachment.name,
        media_type=_media_type(reading.attachment),
        actor=actor,
        trace_id=trace_id,
    )
    earlier = None
    if reading.match is not None and not reading.problem:
        received = (
            message.received_at.astimezone(settings.zone).date().isoformat() if message.received_at else None
        )
        for key in duplicate_keys(reading.match.vendor, reading.fields, message, received):
            holder = claim_duplicate(
                conn,
                key,
                invoice_id,
                now,
                source=str(prepared.incoming.source),
                message_key=prepared.incoming.key,
            )
            earlier = earlier or holder
    status = _status(reading, earlier)
    row = _row(
        reading,
        prepared,
        status,
        invoice_id=invoice_id,
        file_id=stored.file_id,
        file_hash=stored.sha256,
        duplicate_of=earlier,
        settings=settings,
        now=now,
        trace_id=trace_id,
    )
    new = _exception(reading, status, message, invoice_id, earlier)
    if new is not None:
        row["exception_id"] = raise_exception(
            conn, new, actor=actor, trace_id=trace_id, sla_overrides=settings.sla_hours
        )
    conn.execute(invoice.insert().values(**row))
    record_action(
        conn,
        actor,
        "INVOICE_RECORDED",
        entity_type="invoice",
        entity_id=invoice_id,
        trace_id=trace_id,
        after={
            "status": str(status),
            "vendor": row["vendor_name"],
            "invoice_number": row["invoice_number"],
            "sender": message.sender,
        },
    )
    title = {
        InvoiceStatus.PROCESSED: f"Invoice {row['invoice_number'] or ''} from {row['vendor_name']} routed",
        InvoiceStatus.UNKNOWN: f"Unknown vendor: invoice from {message.sender}",
        InvoiceStatus.DUPLICATE: f"Duplicate invoice {row['invoice_number'] or ''} from {row['vendor_name']}",
        InvoiceStatus.ERROR: f"Unreadable invoice from {message.sender}",
    }[status]
    notify_desk(
        conn,
        Desk.FINANCE,
        title,
        new.message if new else f"GL {row['gl_code']}, {row['total_amount']} {row['currency'] or ''}",
        trace_id=trace_id,
        exception_id=str(row["exception_id"]) if row["exception_id"] else None,
    )
    return invoice_view({**row, "routed_to": None, "routed_at": None})


def routable(view: InvoiceView) -> bool:
    return view.status in (InvoiceStatus.PROCESSED, InvoiceStatus.UNKNOWN) and view.routed_at is None
