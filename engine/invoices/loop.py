"""Loop prevention (seed 002 "Email Loop Prevention"). Rules 3–5 decide which incoming mail is
never processed (``skip_reason``); rules 1–2 decide where the agent may send (``check_ap_recipient``):
never to the invoice mailbox itself, and only to an allowed AP address when a list is set."""

from __future__ import annotations

import re

from engine.config import Settings
from engine.errors import ConfigurationError
from engine.invoices.mail import MailMessage

# Rule 3: the subject of the mail the agent sends to AP ("Invoice: {Vendor} - GL {GLCode}").
SYSTEM_SUBJECT = re.compile(r"^Invoice:\s+.+\s+-\s+GL\s+\S+$")
# Rule 4: replies to the vendor-registration mails (seed ADR-0027).
REGISTRATION_REPLY = re.compile(r"^(re|aw|sv|antw)\s*:.*vendor registration", re.IGNORECASE)


def skip_reason(message: MailMessage, settings: Settings) -> str | None:
    """Why an incoming message must not be processed, or None."""
    system = {settings.invoice_mailbox.lower(), settings.ap_address.lower()}
    if message.sender in system:  # rule 5: sent by the system's own mailboxes
        return f"sent by the system mailbox ({message.sender})"
    if SYSTEM_SUBJECT.match(message.subject):  # rule 3: the agent's own AP mail, come back
        return "the subject is the agent's own AP routing subject"
    if REGISTRATION_REPLY.match(message.subject):  # rule 4
        return "a reply to a vendor registration mail"
    # RFC 3834: an automatic *reply* (out of office, a bounce's notice) is never an invoice. Mail that
    # is merely auto-generated is kept: vendors' billing systems mark their invoices that way.
    if message.auto_submitted and message.auto_submitted.startswith("auto-replied"):
        return f"an automatic reply (Auto-Submitted: {message.auto_submitted})"
    return None


def check_ap_recipient(settings: Settings) -> str:
    """The AP address to route to (rules 1 and 2), or a ConfigurationError saying what to fix."""
    recipient = settings.ap_address.strip().lower()
    if recipient == settings.invoice_mailbox.strip().lower():
        raise ConfigurationError(
            "The AP address is the invoice mailbox itself: routed invoices would come back in. "
            "Set OPSLEDGER_AP_ADDRESS to the AP team's address."
        )
    allowed = {a.strip().lower() for a in settings.allowed_ap_emails.split(",") if a.strip()}
    if allowed and recipient not in allowed:
        raise ConfigurationError(
            f"The AP address {recipient} is not in OPSLEDGER_ALLOWED_AP_EMAILS; add it or change the address."
        )
    return recipient
