"""The optional language model (seed 002's Azure OpenAI step), asked only when the deterministic
steps leave the vendor unknown or fields missing, and only when ``OPSLEDGER_OPENAI_API_KEY`` is set.

It must choose one of the vendor master's names or ``unknown`` (a JSON schema with the names as an
enum, strict); an answer naming anything else, malformed JSON, a refusal, a timeout or an API error
counts as no answer: the invoice then stays unknown for finance, never guessed."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine.config import Settings
from engine.invoices.models import ExtractedFields, FieldSource
from engine.logs import get_logger

log = get_logger("invoices.llm")
UNKNOWN = "unknown"
MAX_TEXT = 8_000  # characters of the invoice sent: the header and totals are on the first page
_FIELDS = ("invoice_number", "invoice_date", "due_date", "total_amount", "currency", "payment_terms")


class LlmAnswer(BaseModel):
    model_config = ConfigDict(frozen=True)

    vendor: str | None  # one of the names given, or None
    fields: ExtractedFields


def enabled(settings: Settings) -> bool:
    return settings.openai_api_key is not None


def _schema(names: list[str]) -> dict[str, Any]:
    nullable = {"type": ["string", "null"]}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["vendor", *_FIELDS],
        "properties": {
            "vendor": {"type": "string", "enum": [*names, UNKNOWN]},
            **dict.fromkeys(_FIELDS, nullable),
        },
    }


def _prompt(names: list[str]) -> str:
    return (
        "You read supplier invoices for an accounts payable team. Choose the supplier from this list only, "
        f"or answer '{UNKNOWN}' when none of them issued the invoice: {json.dumps(names)}. "
        "Also give the invoice number, invoice date and due date (YYYY-MM-DD), the total amount due "
        "(digits and a dot), the ISO 4217 currency and the payment terms; null for what the invoice "
        "does not say."
    )


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() else None


def _fields(data: dict[str, Any]) -> ExtractedFields:
    currency = str(data.get("currency") or "").strip().upper()
    values: dict[str, Any] = {
        "invoice_number": (str(data["invoice_number"]).strip()[:100] or None)
        if data.get("invoice_number")
        else None,
        "invoice_date": _date(data.get("invoice_date")),
        "due_date": _date(data.get("due_date")),
        "total_amount": _amount(data.get("total_amount")),
        "currency": currency if len(currency) == 3 and currency.isalpha() else None,
        "payment_terms": (str(data["payment_terms"]).strip()[:200] or None)
        if data.get("payment_terms")
        else None,
    }
    found = {k: v for k, v in values.items() if v is not None}
    return ExtractedFields(**found, sources=dict.fromkeys(found, FieldSource.LLM))


def ask(settings: Settings, text: str, vendor_names: list[str]) -> LlmAnswer | None:
    """The model's answer, or None (no key, or no usable answer: logged, never raised)."""
    if settings.openai_api_key is None:
        return None
    import openai

    client = openai.OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout_seconds,
        max_retries=1,
    )
    try:
        completion = client.chat.completions.create(
            model=settings.openai_model,
            temperature=0,
            messages=[
                {"role": "system", "content": _prompt(vendor_names)},
                {"role": "user", "content": text[:MAX_TEXT]},
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "invoice_reading", "strict": True, "schema": _schema(vendor_names)},
            },
        )
        content = completion.choices[0].message.content or ""
        data = json.loads(content)
    except (openai.OpenAIError, json.JSONDecodeError, IndexError, AttributeError) as error:
        log.warning("language model gave no usable answer", extra={"error": type(error).__name__})
        return None
    if not isinstance(data, dict):
        log.warning("language model answered something other than an object")
        return None
    vendor = data.get("vendor")
    if vendor not in vendor_names:
        if vendor not in (None, UNKNOWN):
            log.warning("language model named a vendor that is not in the master; ignored")
        vendor = None
    return LlmAnswer(vendor=vendor, fields=_fields(data))
