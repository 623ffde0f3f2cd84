"""Routing an invoice to AP (seed 002 "PostToAP"): an e-mail with the seed's subject
``Invoice: {Vendor} - GL {GLCode}``, the fields in its body and the original PDF attached. It goes
to the outbox folder as a .eml file by default (Graph ``sendMail`` where a mailbox is configured)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.config import Settings
from engine.invoices.loop import check_ap_recipient

UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class ApMail:
    invoice_id: str
    vendor_name: str | None
    gl_code: str | None
    flagged: bool  # unknown or reseller vendor: routed for a person, as the seed says
    fields: dict[str, str]
    attachment_name: str | None
    attachment: bytes | None
    received_at: datetime | None
    processed_at: datetime


def subject(mail: ApMail) -> str:
    return f"Invoice: {mail.vendor_name or UNKNOWN} - GL {mail.gl_code or UNKNOWN}"


def compose(mail: ApMail, settings: Settings) -> EmailMessage:
    zone = ZoneInfo(settings.timezone)
    message = EmailMessage()
    message["From"] = settings.invoice_mailbox
    message["To"] = check_ap_recipient(settings)
    message["Subject"] = subject(mail)
    message["Date"] = format_datetime(mail.processed_at)
    message["Message-ID"] = make_msgid(
        idstring=mail.invoice_id, domain=settings.invoice_mailbox.rsplit("@", 1)[-1]
    )
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no one auto-answers it, nor do we
    message["X-OpsLedger-Invoice"] = mail.invoice_id
    lines = ["Invoice processed via automation. Details below:", ""]
    if mail.flagged:
        lines += ["*** FLAGGED: the vendor is unknown or a reseller; finance is reviewing it. ***", ""]
    lines += [f"{label}: {value}" for label, value in mail.fields.items()]
    lines += [
        f"Transaction ID: {mail.invoice_id}",
        f"Received: {mail.received_at.astimezone(zone):%Y-%m-%d %H:%M}"
        if mail.received_at
        else "Received: -",
        f"Processed: {mail.processed_at.astimezone(zone):%Y-%m-%d %H:%M}",
    ]
    message.set_content("\n".join(lines))
    if mail.attachment is not None:  # the original as it came: a PDF, or an e-invoice's XML
        message.add_attachment(
            mail.attachment,
            maintype="application",
            subtype="pdf" if b"%PDF-" in mail.attachment[:1024] else "xml",
            filename=mail.attachment_name or "invoice.pdf",
        )
    return message


def send_to_outbox(message: EmailMessage, outbox: Path, invoice_id: str) -> str:
    """Write the mail as ``<invoice id>.eml`` atomically (a reader never sees half a file); a second
    routing of the same invoice replaces its file. Returns where it went."""
    outbox.mkdir(parents=True, exist_ok=True)
    target = outbox / f"{invoice_id}.eml"
    fd, tmp = tempfile.mkstemp(dir=outbox, prefix=".sending-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(message))
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return f"{message['To']} (outbox {target.name})"
