"""The finance desk (seed 002): the vendor master, the AP mailbox agent, invoices and their review."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.config import Settings
from engine.errors import NotFound, ValidationError
from engine.exports import FileDownload, TableFormat, table_file
from engine.handle import Ledger
from engine.invoices import agent, corrections, review
from engine.invoices import vendors as master
from engine.invoices.graph import GraphSource, graph_client
from engine.invoices.imap import ImapSource
from engine.invoices.pdftext import UnreadablePdf, first_page_png, read_pdf
from engine.invoices.pipeline import Reading
from engine.invoices.records import (
    InvoicePreview,
    InvoiceView,
    MailboxStatus,
    MessageOutcome,
    PollResult,
    invoice_view,
)
from engine.invoices.review import UnknownSender
from engine.invoices.sources import FolderSource, Incoming, MailSource, message_key
from engine.invoices.vendors import VendorImport, VendorRecord, VendorView
from engine.ledger.files import check_display_name, sha256_hex
from engine.ledger.requests import run_once
from engine.logs import traced
from engine.models import Page, check_paging
from engine.operations import jobs
from engine.progress import Progress, no_progress
from engine.store.schema import invoice, mail_message, mail_sync_state
from engine.vocab import InvoiceStatus, MailSourceKind


@requires(Permission.REVIEW_INVOICES)
def import_vendors(
    ledger: Ledger, content: bytes, file_name: str, *, actor: Actor, request_id: str | None = None
) -> VendorImport:
    """The vendor master from CSV/xlsx: all rows valid or nothing changes (upsert by name)."""
    records = master.validate(master.read_vendor_file(content, check_display_name(file_name)))
    return _save(ledger, records, actor=actor, request_id=request_id, parts=(sha256_hex(content),))


@requires(Permission.REVIEW_INVOICES)
def save_vendors(
    ledger: Ledger, records: list[VendorRecord], *, actor: Actor, request_id: str | None = None
) -> VendorImport:
    """The editor's save (and "add this unknown vendor"): the given vendors, added or updated."""
    master.validate((n, r.model_dump()) for n, r in enumerate(records, 1))
    return _save(
        ledger, records, actor=actor, request_id=request_id, parts=tuple(r.model_dump_json() for r in records)
    )


def _save(
    ledger: Ledger,
    records: list[VendorRecord],
    *,
    actor: Actor,
    request_id: str | None,
    parts: tuple[object, ...],
) -> VendorImport:
    if not records:
        raise ValidationError("No vendors to save.", field="file")
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: master.save_vendors(conn, records, actor=actor, trace_id=trace_id),
            request_id=request_id,
            operation="vendors.save",
            parts=parts,
            model=VendorImport,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Permission.REVIEW_INVOICES)
def list_vendors(ledger: Ledger, *, actor: Actor) -> list[VendorView]:
    with ledger.db.read() as conn:
        return master.list_vendors(conn)


@requires(Permission.REVIEW_INVOICES)
def export_vendors(ledger: Ledger, *, fmt: TableFormat | str, actor: Actor) -> FileDownload:
    with ledger.db.read() as conn:
        rows = master.export_rows(master.list_vendors(conn))
    return table_file("vendors", master.COLUMNS, rows, fmt=fmt)


@requires(Permission.REVIEW_INVOICES)
def process_mail(
    ledger: Ledger, raw: bytes, *, actor: Actor, file_name: str = "message.eml"
) -> MessageOutcome:
    """One message given by hand (``invoices process FILE.eml``): the same pipeline as a poll, keyed
    like the folder source, so the same mail given twice makes one invoice."""
    incoming = Incoming(
        source=MailSourceKind.FOLDER, key=message_key(raw), raw=raw, handle=check_display_name(file_name)
    )
    return agent.process(ledger, incoming, actor=actor)


def mail_source(ledger: Ledger, kind: MailSourceKind | str | None = None) -> MailSource:
    chosen = MailSourceKind(kind or ledger.settings.mail_source)
    if chosen is MailSourceKind.FOLDER:
        return FolderSource(ledger.settings.mail_dir)
    if chosen is MailSourceKind.GRAPH:
        return GraphSource(graph_client(ledger.settings), ledger.db, ledger.settings.invoice_mailbox)
    return ImapSource(ledger.settings)


@requires(Permission.REVIEW_INVOICES)
def poll_mail(
    ledger: Ledger,
    *,
    actor: Actor,
    source: MailSourceKind | str | None = None,
    progress: Progress = no_progress,
) -> PollResult:
    """Process what waits in the mailbox now (the mail_poll job does this every minute)."""
    return agent.poll(ledger, mail_source(ledger, source), actor=actor, progress=progress)


@requires(Permission.REVIEW_INVOICES)
def list_invoices(
    ledger: Ledger,
    *,
    actor: Actor,
    status: InvoiceStatus | None = None,
    vendor: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[InvoiceView]:
    check_paging(offset, limit)
    query = sa.select(invoice)
    if status is not None:
        query = query.where(invoice.c.status == str(status))
    if vendor:
        query = query.where(invoice.c.vendor_name == vendor)
    with ledger.db.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(
            query.order_by(invoice.c.created_at.desc(), invoice.c.invoice_id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
    return Page[InvoiceView](items=[invoice_view(r) for r in rows], total=total, offset=offset, limit=limit)


@requires(Permission.REVIEW_INVOICES)
def show_invoice(ledger: Ledger, invoice_id: str, *, actor: Actor) -> InvoiceView:
    with ledger.db.read() as conn:
        row = conn.execute(
            sa.select(invoice).where(invoice.c.invoice_id == invoice_id.strip().upper())
        ).first()
    if row is None:
        raise NotFound(f"No invoice {invoice_id}.", invoice_id=invoice_id)
    return invoice_view(row)


@requires(Permission.REVIEW_INVOICES)
def invoice_pdf(ledger: Ledger, invoice_id: str, *, actor: Actor) -> FileDownload:
    view = show_invoice(ledger, invoice_id, actor=actor)
    if not view.file_id:
        raise NotFound(f"Invoice {view.invoice_id} has no stored PDF.", invoice_id=view.invoice_id)
    with ledger.db.read() as conn:
        _, content = ledger.files.read(conn, view.file_id)
    return FileDownload(
        file_name=view.attachment_name or f"{view.invoice_id}.pdf",
        media_type="application/pdf",
        content=content,
    )


@requires(Permission.REVIEW_INVOICES)
def reprocess_invoices(
    ledger: Ledger, *, actor: Actor, invoice_id: str | None = None, vendor: str | None = None
) -> list[InvoiceView]:
    """One invoice, or every waiting invoice a vendor's master data may now identify, read again and
    enriched; what becomes routable is routed (again)."""
    with traced() as trace_id:
        with ledger.db.read() as conn:
            chosen = review.targets(conn, invoice_id=invoice_id, vendor=vendor)
            vendors = master.list_vendors(conn, active_only=True)
        done = []
        for view in chosen:
            updated = _reprocess_one(ledger, view, review.reread(ledger, view, vendors), actor, trace_id)
            done.append(agent.route(ledger, updated, actor=actor) if agent.routable(updated) else updated)
        return done


def _reprocess_one(
    ledger: Ledger, view: InvoiceView, reading: Reading, actor: Actor, trace_id: str
) -> InvoiceView:
    return ledger.db.write(
        lambda conn: review.apply(ledger, conn, view, reading, actor=actor, trace_id=trace_id),
        retry_integrity=True,
    )


@requires(Permission.REVIEW_INVOICES)
def route_invoice(ledger: Ledger, invoice_id: str, *, actor: Actor) -> InvoiceView:
    """Route again (the console's button): the same AP mail, sent once more."""
    view = show_invoice(ledger, invoice_id, actor=actor)
    if view.status not in (InvoiceStatus.PROCESSED, InvoiceStatus.UNKNOWN):
        raise ValidationError(
            f"Invoice {view.invoice_id} is {view.status}: only processed or unknown invoices are routed."
        )
    return agent.route(ledger, view, actor=actor)


@requires(Permission.REVIEW_INVOICES)
def invoice_preview(ledger: Ledger, invoice_id: str, *, actor: Actor) -> InvoicePreview:
    """The stored PDF's first page as an image and its text, as the pipeline read it."""
    view = show_invoice(ledger, invoice_id, actor=actor)
    if not view.file_id:
        return InvoicePreview(
            invoice_id=view.invoice_id, first_page_png=None, text="", problem="no stored PDF"
        )
    with ledger.db.read() as conn:
        _, content = ledger.files.read(conn, view.file_id)
    try:
        text, problem = read_pdf(content, max_pages=ledger.settings.invoice_max_pages).text, None
    except UnreadablePdf as unreadable:
        text, problem = "", unreadable.message
    return InvoicePreview(
        invoice_id=view.invoice_id, first_page_png=first_page_png(content), text=text, problem=problem
    )


def _location(settings: Settings, source: MailSource) -> str:
    if isinstance(source, FolderSource):
        return str(settings.mail_dir)
    if isinstance(source, ImapSource):
        return f"{settings.imap_user}@{settings.imap_host}:{settings.imap_port}/{settings.imap_folder}"
    return settings.invoice_mailbox


@requires(Permission.REVIEW_INVOICES)
def mailbox_status(ledger: Ledger, *, actor: Actor) -> MailboxStatus:
    settings = ledger.settings
    source = mail_source(ledger)
    folder = settings.mail_dir
    waiting = (
        (len(list(folder.glob("*.eml"))) if folder.is_dir() else 0)
        if isinstance(source, FolderSource)
        else None
    )
    with ledger.db.read() as conn:
        rows = conn.execute(sa.select(invoice.c.status, sa.func.count()).group_by(invoice.c.status)).all()
        counts = {str(status): int(count) for status, count in rows}
        skipped = conn.execute(
            sa.select(sa.func.count()).select_from(mail_message).where(mail_message.c.status == "skipped")
        ).scalar_one()
    last = jobs.last_runs(ledger).get("mail_poll")
    with ledger.db.read() as conn:
        delta_saved = conn.execute(
            sa.select(mail_sync_state.c.updated_at).where(
                mail_sync_state.c.source == str(source.kind), mail_sync_state.c.delta_link.is_not(None)
            )
        ).scalar()
    return MailboxStatus(
        last_poll_at=last.finished_at or last.started_at if last else None,
        last_poll_status=str(last.status) if last else None,
        last_poll_counts=last.counts if last else {},
        delta_saved_at=delta_saved,
        source=source.kind,
        location=_location(settings, source),
        waiting=waiting,
        ap_address=settings.ap_address,
        outbox=str(settings.outbox_dir),
        invoices_by_status=counts,
        messages_skipped=int(skipped),
        unrouted=len(agent.unrouted(ledger)),
    )


class Correction(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice: InvoiceView
    learned_rule: dict[str, str]  # what the vendor's rules learned (empty: the value is not on the invoice)


@requires(Permission.REVIEW_INVOICES)
def correct_invoice(
    ledger: Ledger, invoice_id: str, *, field: str, value: str, actor: Actor, make_rule: bool = False
) -> Correction:
    """Set one field by hand (source ``manual``, audited); with ``make_rule`` the vendor's rules learn
    where the value stands on its invoices, so the next one is read right."""
    view = show_invoice(ledger, invoice_id, actor=actor)
    text = ""
    if make_rule and view.file_id:
        with ledger.db.read() as conn:
            _, content = ledger.files.read(conn, view.file_id)
        try:
            text = read_pdf(content, max_pages=ledger.settings.invoice_max_pages).text
        except UnreadablePdf:
            text = ""
    with traced() as trace_id:
        updated, learned = ledger.db.write(
            lambda conn: corrections.correct(
                conn, view, field, value, text=text, make_rule=make_rule, actor=actor, trace_id=trace_id
            )
        )
    return Correction(invoice=updated, learned_rule={k: str(v) for k, v in learned.items()})


@requires(Permission.REVIEW_INVOICES)
def unknown_vendors(ledger: Ledger, *, actor: Actor) -> list[UnknownSender]:
    with ledger.db.read() as conn:
        return review.unknown_senders(conn)


__all__ = [
    "Correction",
    "InvoicePreview",
    "InvoiceView",
    "MailboxStatus",
    "MessageOutcome",
    "PollResult",
    "UnknownSender",
    "VendorImport",
    "VendorRecord",
    "VendorView",
    "correct_invoice",
    "export_vendors",
    "import_vendors",
    "invoice_pdf",
    "invoice_preview",
    "list_invoices",
    "list_vendors",
    "mailbox_status",
    "poll_mail",
    "process_mail",
    "reprocess_invoices",
    "route_invoice",
    "save_vendors",
    "show_invoice",
    "unknown_vendors",
]
