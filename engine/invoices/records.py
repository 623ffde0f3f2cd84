"""Invoices as callers see them (the CLI's invoice object, the pages' rows)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from engine.invoices.models import FieldSource, VendorSource
from engine.vocab import InvoiceStatus, MailSourceKind


class InvoiceView(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_id: str
    status: InvoiceStatus
    vendor_name: str | None
    vendor_source: VendorSource | None
    vendor_evidence: str | None
    detected_name: str | None
    invoice_number: str | None
    invoice_date: date | None
    due_date: date | None
    total_amount: Decimal | None
    currency: str | None
    payment_terms: str | None
    gl_code: str | None
    expense_dept: str | None
    allocation_schedule: str | None
    billing_party: str | None
    field_sources: dict[str, FieldSource]
    exception_id: str | None
    duplicate_of: str | None
    routed_to: str | None
    routed_at: datetime | None
    sender: str | None
    subject: str | None
    received_at: datetime | None
    attachment_name: str | None
    file_id: str | None
    source: MailSourceKind
    message_key: str
    error: str | None
    created_at: datetime
    updated_at: datetime
    trace_id: str


def invoice_view(row: sa.Row | dict[str, Any]) -> InvoiceView:
    """From a stored row, or from the values just inserted (no read-back)."""
    data = dict(row) if isinstance(row, dict) else dict(row._mapping)
    data["field_sources"] = json.loads(str(data.get("field_sources") or "{}"))
    return InvoiceView.model_validate({k: data.get(k) for k in InvoiceView.model_fields})


class MessageOutcome(BaseModel):
    """What one message made: its invoices (none when it was skipped, and why)."""

    model_config = ConfigDict(frozen=True)

    source: MailSourceKind
    message_key: str
    status: InvoiceStatus  # processed (it made invoices) or skipped
    reason: str | None
    invoices: list[InvoiceView]
    trace_id: str


class PollResult(BaseModel):
    """The CLI's ``invoices poll`` answer."""

    model_config = ConfigDict(frozen=True)

    source: MailSourceKind
    messages: int
    invoices: int
    skipped: int
    errors: int
    routed: int
    trace_id: str


class InvoicePreview(BaseModel):
    """What the Invoices page shows beside the fields: the PDF's first page as a PNG and its text."""

    model_config = ConfigDict(frozen=True)

    invoice_id: str
    first_page_png: bytes | None
    text: str
    problem: str | None


class MailboxStatus(BaseModel):
    """The Mailbox page: where mail is read, what waits, what the last polls did."""

    model_config = ConfigDict(frozen=True)

    source: MailSourceKind
    location: str
    waiting: int | None  # messages waiting at the source now (None: the source cannot tell cheaply)
    ap_address: str
    outbox: str
    invoices_by_status: dict[str, int]
    messages_skipped: int
    unrouted: int
    last_poll_at: datetime | None = None  # the mail_poll job's last run
    last_poll_status: str | None = None
    last_poll_counts: dict[str, int] = {}
    delta_saved_at: datetime | None = None  # Graph: when the delta link was last saved (None: full read next)
