"""The finance desk's shared types: where a value came from, what was read off an invoice, a
vendor's own extraction rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FieldSource(StrEnum):
    """Where an invoice field's value came from (shown beside it, kept with the invoice)."""

    EINVOICE = "einvoice"  # a structured e-invoice (Factur-X / ZUGFeRD / UBL / CII XML)
    VENDOR_RULE = "vendor_rule"  # the vendor's own extraction rule
    GENERIC = "generic"  # the generic label rules
    LLM = "llm"  # the optional language model
    MANUAL = "manual"  # a correction by finance


class VendorSource(StrEnum):
    """Which step identified the vendor (the CLI's ``vendor_source``)."""

    DOMAIN = "domain"  # the sender's domain is one of the vendor's
    ALIAS = "alias"  # the vendor's name or an alias is in the invoice text
    EINVOICE = "einvoice"  # the seller named in a structured e-invoice
    LLM = "llm"
    MANUAL = "manual"


FIELDS = ("invoice_number", "invoice_date", "due_date", "total_amount", "currency", "payment_terms")
DateOrder = Literal["DMY", "MDY", "YMD"]


class ExtractedFields(BaseModel):
    """What was read off one invoice; ``sources`` names, per field found, where it came from."""

    model_config = ConfigDict(frozen=True)

    invoice_number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    total_amount: Decimal | None = None
    currency: str | None = Field(default=None, description="ISO 4217 code, e.g. AED")
    payment_terms: str | None = None
    sources: dict[str, FieldSource] = Field(default_factory=dict)

    def missing(self) -> list[str]:
        return [name for name in FIELDS if getattr(self, name) is None]


class VendorRules(BaseModel):
    """A vendor's own extraction rules, in the spirit of invoice2data templates: a regex per field
    (group 1 is the value, else the whole match), how its dates and decimals are written, and the
    currency its invoices are in when they do not say."""

    model_config = ConfigDict(frozen=True)

    invoice_number: str | None = None
    invoice_date: str | None = None
    due_date: str | None = None
    total_amount: str | None = None
    currency: str | None = None
    payment_terms: str | None = None
    date_order: DateOrder | None = None
    date_formats: list[str] = Field(default_factory=list, description="strptime formats tried first")
    decimal_separator: Literal[".", ","] | None = None
    default_currency: str | None = None

    def is_empty(self) -> bool:
        return self == VendorRules()
