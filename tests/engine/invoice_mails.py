"""The finance desk's test world: a finance user, the demo vendor master, and invoice mails built with
the demo builder (engine/demo/invoices.py) at the pinned clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import sqlalchemy as sa

from engine import api
from engine.api import Actor, Ledger, Role
from engine.demo.invoices import DEMO_VENDORS_CSV, MAILBOX, acme_invoice, invoice_mail, invoice_pdf
from engine.store.schema import exception_log, invoice, mail_message
from tests.conftest import PINNED_AT, TODAY

FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}))
SENT_AT = PINNED_AT - timedelta(hours=1)


def seed_vendors(ledger: Ledger) -> None:
    api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=FINANCE)


def acme_pdf(number: str = "INV-2026-1142", total: str = "315.00") -> bytes:
    return invoice_pdf(acme_invoice(number, TODAY - timedelta(days=1), total))


def mail(
    *,
    sender: str = "billing@acme-tools.example",
    subject: str = "Invoice INV-2026-1142",
    message_id: str = "<acme-1142@acme-tools.example>",
    attachments: list[tuple[str, bytes]] | None = None,
    sent_at: datetime = SENT_AT,
) -> bytes:
    return invoice_mail(
        sender=sender,
        subject=subject,
        message_id=message_id,
        sent_at=sent_at,
        attachments=[("INV-2026-1142.pdf", acme_pdf())] if attachments is None else attachments,
    )


def raw_mail(headers: dict[str, str], body: str = "Please find our invoice attached.") -> EmailMessage:
    """A message to shape by hand (extra headers, HTML only, forwarded parts)."""
    message = EmailMessage()
    message["From"] = headers.pop("From", "billing@acme-tools.example")
    message["To"] = MAILBOX
    message["Date"] = format_datetime(SENT_AT)
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    return message


def drop(ledger: Ledger, name: str, raw: bytes) -> Path:
    """A mail waiting in the folder source."""
    folder = ledger.settings.mail_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(raw)
    return path


def outbox(ledger: Ledger) -> list[Path]:
    folder = ledger.settings.outbox_dir
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def count(ledger: Ledger, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    with ledger.db.read() as conn:
        query = sa.select(sa.func.count()).select_from(table)
        return int(conn.execute(query.where(*where) if where else query).scalar_one())


def invoices(ledger: Ledger) -> int:
    return count(ledger, invoice)


def messages(ledger: Ledger) -> int:
    return count(ledger, mail_message)


def exception_kind(ledger: Ledger, exception_id: str) -> tuple[str, str, str]:
    with ledger.db.read() as conn:
        row = conn.execute(
            sa.select(exception_log.c.kind, exception_log.c.desk, exception_log.c.status).where(
                exception_log.c.exception_id == exception_id
            )
        ).one()
    return str(row.kind), str(row.desk), str(row.status)
