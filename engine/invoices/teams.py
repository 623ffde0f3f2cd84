"""The Teams card (seed 002 "Notify"), posted to a Workflows webhook when one is configured; the
console's inbox is written always, in the invoice's own transaction. A card that cannot be posted
is logged, never fatal: the invoice is routed either way."""

from __future__ import annotations

import time
from typing import Any

import requests

from engine.config import Settings
from engine.invoices.records import InvoiceView
from engine.logs import get_logger
from engine.vocab import InvoiceStatus

log = get_logger("invoices.teams")
TIMEOUT_S = 10
ATTEMPTS = 3  # a 429 or 5xx is tried again, after Retry-After when the answer says
_ICONS = {
    InvoiceStatus.PROCESSED: "✅",
    InvoiceStatus.UNKNOWN: "❓",
    InvoiceStatus.DUPLICATE: "🔄",
    InvoiceStatus.ERROR: "⚠️",
}


def card(view: InvoiceView) -> dict[str, Any]:
    """The incoming-webhook message: ``type: message`` with one Adaptive Card (schema 1.2, as
    Microsoft's webhook sample; text only, no Action.Submit, which webhooks do not carry)."""
    facts = [
        ("Vendor", view.vendor_name or "UNKNOWN"),
        ("Invoice", view.invoice_number or "-"),
        (
            "Amount",
            f"{view.total_amount} {view.currency or ''}".strip() if view.total_amount is not None else "-",
        ),
        ("GL Code", view.gl_code or "UNKNOWN"),
        ("Sender", view.sender or "-"),
        ("Transaction", view.invoice_id),
    ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.2",
                    "body": [
                        {
                            "type": "TextBlock",
                            "weight": "Bolder",
                            "text": f"{_ICONS.get(view.status, '')} Invoice {view.status}".strip(),
                        },
                        {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
                    ],
                },
            }
        ],
    }


def post_card(settings: Settings, view: InvoiceView) -> bool:
    """True when Teams took the card; never raises."""
    if settings.teams_webhook_url is None:
        return False
    url = settings.teams_webhook_url.get_secret_value()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            answer = requests.post(url, json=card(view), timeout=TIMEOUT_S)
        except requests.RequestException as error:
            log.warning(
                "Teams card not posted", extra={"invoice_id": view.invoice_id, "error": type(error).__name__}
            )
            return False
        if answer.status_code < 300:
            return True
        if answer.status_code not in (429, 500, 502, 503, 504) or attempt == ATTEMPTS:
            # The URL carries its signature: log the status only, never the URL.
            log.warning(
                "Teams card refused", extra={"invoice_id": view.invoice_id, "status": answer.status_code}
            )
            return False
        wait = answer.headers.get("Retry-After", "")
        time.sleep(min(float(wait), 30.0) if wait.isdigit() else 0.5 * attempt)
    return False
