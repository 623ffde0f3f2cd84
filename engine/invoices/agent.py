"""The AP mailbox agent: each message through the pipeline in its own transaction, then routed,
then marked done at its source. A message's failure is recorded and the poll goes on (STYLE: batch
loops isolate each item); configuration errors stop the poll."""

from __future__ import annotations

from email.message import EmailMessage

import sqlalchemy as sa

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.config import Settings
from engine.errors import ConfigurationError, EngineError, ExternalServiceError
from engine.handle import Ledger
from engine.invoices import graph, routing, teams
from engine.invoices.pipeline import prepare, record, routable
from engine.invoices.records import InvoiceView, MessageOutcome, PollResult, invoice_view
from engine.invoices.sources import Incoming, MailSource
from engine.invoices.vendors import list_vendors
from engine.ledger.audit import record_action
from engine.logs import get_logger, traced
from engine.progress import Progress, no_progress
from engine.store.schema import invoice
from engine.vocab import InvoiceStatus

log = get_logger("invoices.agent")


def process(ledger: Ledger, incoming: Incoming, *, actor: Actor) -> MessageOutcome:
    with traced() as trace_id:
        with ledger.db.read() as conn:
            vendors = list_vendors(conn, active_only=True)
        prepared = prepare(incoming, vendors, ledger.settings)
        outcome = ledger.db.write(
            lambda conn: record(ledger, conn, prepared, actor=actor, trace_id=trace_id), retry_integrity=True
        )
        if outcome.status is InvoiceStatus.SKIPPED:
            return outcome
        routed = [
            _route_now(ledger, view, actor=actor) if routable(view) else view for view in outcome.invoices
        ]
        for view in routed:
            teams.post_card(ledger.settings, view)
        return outcome.model_copy(update={"invoices": routed})


def _route_now(ledger: Ledger, view: InvoiceView, *, actor: Actor) -> InvoiceView:
    """A refused delivery leaves the invoice unrouted: the next poll routes it (``unrouted``)."""
    try:
        return route(ledger, view, actor=actor)
    except ExternalServiceError as error:
        log.warning("invoice not routed yet", extra={"invoice_id": view.invoice_id, "error": error.message})
        return view


def deliver(settings: Settings, message: EmailMessage, invoice_id: str) -> str:
    """By Graph sendMail from the AP mailbox, or into the outbox folder; returns where it went."""
    if settings.ap_delivery == "graph":
        return graph.send_mail(graph.graph_client(settings), settings, message)
    return routing.send_to_outbox(message, settings.outbox_dir, invoice_id)


def route(ledger: Ledger, view: InvoiceView, *, actor: Actor) -> InvoiceView:
    """Send one invoice to AP (outbox folder or Graph sendMail) and mark it routed; a second call
    routes it again (the console's *Route again*)."""
    settings = ledger.settings
    with ledger.db.read() as conn:
        content = ledger.files.read(conn, view.file_id)[1] if view.file_id else None
    now = utcnow()
    fields = {
        "Vendor": view.vendor_name or routing.UNKNOWN,
        "Invoice number": view.invoice_number or "-",
        "Invoice date": view.invoice_date.isoformat() if view.invoice_date else "-",
        "Due date": view.due_date.isoformat() if view.due_date else "-",
        "Amount": f"{view.total_amount} {view.currency or ''}".strip()
        if view.total_amount is not None
        else "-",
        "Payment terms": view.payment_terms or "-",
        "Department": view.expense_dept or routing.UNKNOWN,
        "GL Code": view.gl_code or routing.UNKNOWN,
        "Allocation Schedule": view.allocation_schedule or routing.UNKNOWN,
        "Billing Party": view.billing_party or settings.default_billing_party,
        "Sender": view.sender or "-",
    }
    mail = routing.ApMail(
        invoice_id=view.invoice_id,
        vendor_name=view.vendor_name if view.status is InvoiceStatus.PROCESSED else None,
        gl_code=view.gl_code,
        flagged=view.status is not InvoiceStatus.PROCESSED,
        fields=fields,
        attachment_name=view.attachment_name,
        attachment=content,
        received_at=view.received_at,
        processed_at=now,
    )
    routed_to = deliver(settings, routing.compose(mail, settings), view.invoice_id)

    def mark(conn: sa.Connection) -> InvoiceView:
        conn.execute(
            invoice.update()
            .where(invoice.c.invoice_id == view.invoice_id)
            .values(routed_to=routed_to, routed_at=now, updated_at=now)
        )
        record_action(
            conn,
            actor,
            "INVOICE_ROUTED",
            entity_type="invoice",
            entity_id=view.invoice_id,
            trace_id=view.trace_id,
            after={"to": routed_to, "flagged": mail.flagged},
        )
        return view.model_copy(update={"routed_to": routed_to, "routed_at": now, "updated_at": now})

    return ledger.db.write(mark)


def unrouted(ledger: Ledger) -> list[InvoiceView]:
    with ledger.db.read() as conn:
        rows = conn.execute(
            sa.select(invoice).where(
                invoice.c.routed_at.is_(None),
                invoice.c.status.in_([str(InvoiceStatus.PROCESSED), str(InvoiceStatus.UNKNOWN)]),
            )
        ).all()
    return [invoice_view(row) for row in rows]


def poll(ledger: Ledger, source: MailSource, *, actor: Actor, progress: Progress = no_progress) -> PollResult:
    messages = made = skipped = errors = routed = 0
    with traced() as trace_id:
        for view in unrouted(ledger):  # the outbox: routed late rather than never
            routed += int(_route_now(ledger, view, actor=actor).routed_at is not None)
        for incoming in source.waiting():
            messages += 1
            try:
                outcome = process(ledger, incoming, actor=actor)
            except ConfigurationError:
                raise
            except EngineError as error:
                errors += 1
                log.warning("message not processed", extra={"key": incoming.key, "error": error.message})
                continue
            if outcome.status is InvoiceStatus.SKIPPED:
                skipped += 1
            made += sum(1 for v in outcome.invoices if v.trace_id == outcome.trace_id)
            errors += sum(1 for v in outcome.invoices if v.status is InvoiceStatus.ERROR)
            routed += sum(
                1 for v in outcome.invoices if v.routed_at is not None and v.trace_id == outcome.trace_id
            )
            source.done(incoming)
            progress("reading the mailbox", messages, 0)
        return PollResult(
            source=source.kind,
            messages=messages,
            invoices=made,
            skipped=skipped,
            errors=errors,
            routed=routed,
            trace_id=trace_id,
        )
