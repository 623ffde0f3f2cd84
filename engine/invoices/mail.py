"""One e-mail as the pipeline reads it: who sent it to whom, when, about what, and its attachments
(forwarded mails opened, names made safe to show), from the raw MIME bytes every source can give
(a .eml file, Graph's ``$value``, IMAP's RFC822)."""

from __future__ import annotations

import email
import email.policy
import re
import unicodedata
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from pydantic import BaseModel, ConfigDict, Field

from engine.clock import as_utc
from engine.errors import ValidationError

MAX_MESSAGE_BYTES = 60 * 1024 * 1024  # Exchange's default limit is 35 MB; MIME base64 adds a third
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENTS = 20
MAX_DEPTH = 3  # forwarded mails inside forwarded mails


class Attachment(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # safe to show: no path, no control characters
    content_type: str
    content: bytes = Field(repr=False)


class MailMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str | None
    sender: str | None
    sender_name: str | None
    to: list[str]
    cc: list[str]
    subject: str
    received_at: datetime | None
    in_reply_to: str | None
    auto_submitted: str | None
    body_text: str
    attachments: list[Attachment]
    skipped_attachments: list[str] = Field(default_factory=list)  # why a part was left out

    @property
    def sender_domain(self) -> str | None:
        if not self.sender or "@" not in self.sender:
            return None
        return self.sender.rsplit("@", 1)[1].lower()

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc]


def safe_name(name: str | None, fallback: str) -> str:
    """An attachment's name to show and to put on the AP mail: the last path part, no control or
    format characters, at most 120 characters; never used as a path."""
    if not name:
        return fallback
    cleaned = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    cleaned = re.split(r"[\\/]", cleaned)[-1].strip().strip(".") or fallback
    return cleaned[:120]


def _addresses(message: EmailMessage, header: str) -> list[tuple[str, str]]:
    values = message.get_all(header, [])
    return [(name, addr.lower()) for name, addr in getaddresses([str(v) for v in values]) if "@" in addr]


def _date(message: EmailMessage) -> datetime | None:
    raw = message.get("Date")
    if not raw:
        return None
    try:
        return as_utc(parsedate_to_datetime(str(raw)))
    except (TypeError, ValueError, IndexError):
        return None


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        return ""
    return content if isinstance(content, str) else ""


def _collect(message: EmailMessage, out: list[Attachment], skipped: list[str], depth: int) -> None:
    for part in message.iter_attachments():
        if len(out) >= MAX_ATTACHMENTS:
            skipped.append(f"more than {MAX_ATTACHMENTS} attachments: the rest were not read")
            return
        content_type = part.get_content_type()
        name = safe_name(part.get_filename(), f"attachment-{len(out) + 1}")
        if content_type == "message/rfc822":  # a forwarded mail: its own attachments count
            if depth >= MAX_DEPTH:
                skipped.append(f"{name}: forwarded more than {MAX_DEPTH} levels deep")
                continue
            try:
                inner = part.get_content()
            except (LookupError, ValueError):
                skipped.append(f"{name}: a forwarded mail that cannot be read")
                continue
            if isinstance(inner, EmailMessage):
                _collect(inner, out, skipped, depth + 1)
            continue
        try:
            payload = part.get_payload(decode=True)
        except (LookupError, ValueError):
            payload = None
        if not isinstance(payload, bytes) or not payload:
            skipped.append(f"{name}: empty or unreadable")
            continue
        if len(payload) > MAX_ATTACHMENT_BYTES:
            skipped.append(
                f"{name}: {len(payload) // 2**20} MB, over the {MAX_ATTACHMENT_BYTES // 2**20} MB limit"
            )
            continue
        out.append(Attachment(name=name, content_type=content_type, content=payload))


def parse_message(raw: bytes) -> MailMessage:
    """The message, or a ValidationError when the bytes are no e-mail at all."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ValidationError(
            f"The message is {len(raw) // (1024 * 1024)} MB, over the limit; it was not read."
        )
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not (message.keys()):
        raise ValidationError("These bytes are not an e-mail message (no headers).")
    senders = _addresses(message, "From")
    attachments: list[Attachment] = []
    skipped: list[str] = []
    _collect(message, attachments, skipped, 0)
    return MailMessage(
        message_id=str(message.get("Message-ID", "")).strip() or None,
        sender=senders[0][1] if senders else None,
        sender_name=(senders[0][0] or None) if senders else None,
        to=[addr for _, addr in _addresses(message, "To")],
        cc=[addr for _, addr in _addresses(message, "Cc")],
        subject=" ".join(str(message.get("Subject", "")).split())[:1000],
        received_at=_date(message),
        in_reply_to=str(message.get("In-Reply-To", "")).strip() or None,
        auto_submitted=str(message.get("Auto-Submitted", "")).strip().lower() or None,
        body_text=_body(message)[:20000],
        attachments=attachments,
        skipped_attachments=skipped,
    )
