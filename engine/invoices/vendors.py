"""The vendor master (seed 002 VendorMaster, plus sender domains, aliases and extraction rules):
import and export as CSV/xlsx, every change audited, and the two deterministic ways an invoice
finds its vendor: the sender's domain, else the vendor's name or an alias in the invoice text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import NotFound, ValidationError
from engine.invoices.models import VendorRules, VendorSource
from engine.ledger.audit import record_action
from engine.materials.importer import check_header, read_table, row_problem
from engine.store.schema import vendor

COLUMNS = (
    "vendor_name",
    "sender_domains",
    "aliases",
    "gl_code",
    "expense_dept",
    "allocation_schedule",
    "product_category",
    "venue_required",
    "active",
)
REQUIRED = COLUMNS[:7]  # the header; venue_required and active are optional
MAX_PROBLEMS_SHOWN = 5
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ProductCategory(StrEnum):
    DIRECT = "Direct"
    RESELLER = "Reseller"  # seed: a reseller's invoice is flagged for review, not enriched


def vendor_key(name: str) -> str:
    """The seed's RowKey idea: the name folded (case, accents, spacing, punctuation)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("yes", "y", "true", "1", "no", "n", "false", "0"):
        return value.strip().lower() in ("yes", "y", "true", "1")
    return value


class VendorRecord(BaseModel):
    """One vendor as the file and the editor give it."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    vendor_name: str = Field(min_length=1, max_length=200, title="Vendor name")
    sender_domains: list[str] = Field(default_factory=list, title="Sender domains")
    aliases: list[str] = Field(default_factory=list, title="Aliases")
    gl_code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9.-]+$", title="GL code")
    expense_dept: str | None = Field(default=None, max_length=50, title="Expense dept")
    allocation_schedule: str | None = Field(default=None, max_length=50, title="Allocation schedule")
    product_category: ProductCategory = Field(default=ProductCategory.DIRECT, title="Product category")
    venue_required: bool = Field(default=False, title="Venue required")
    active: bool = Field(default=True, title="Active")
    rules: VendorRules | None = None

    @field_validator("sender_domains", mode="before")
    @classmethod
    def _domains(cls, value: Any) -> list[str]:
        domains = [
            d.lower().lstrip("@").rstrip(".")
            for d in (_split(value) if not isinstance(value, list) else value)
        ]
        for domain in domains:
            if not _DOMAIN.match(domain):
                raise ValueError(f"{domain!r} is not a domain like vendor.example")
        return domains

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, value: Any) -> list[str]:
        return (
            _split(value)
            if not isinstance(value, list)
            else [str(v).strip() for v in value if str(v).strip()]
        )

    @field_validator("product_category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> Any:
        if isinstance(value, str):
            for category in ProductCategory:
                if value.strip().lower() == category.value.lower():
                    return category
        return value

    @field_validator("venue_required", "active", mode="before")
    @classmethod
    def _flags(cls, value: Any) -> Any:
        return _bool(value)

    @property
    def key(self) -> str:
        return vendor_key(self.vendor_name)


class VendorView(VendorRecord):
    vendor_key: str
    updated_by: str
    updated_at: datetime


class VendorImport(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    created: int
    updated: int
    unchanged: int
    trace_id: str


def read_vendor_file(content: bytes, file_name: str) -> list[tuple[int, dict[str, Any]]]:
    header, rows = read_table(content, file_name)
    check_header("Vendor master", COLUMNS, REQUIRED, header, file_name, strict=False)
    return rows


def validate(rows: Iterable[tuple[int, dict[str, Any]]]) -> list[VendorRecord]:
    """All rows valid or none: every problem named with its row number, nothing changed."""
    records: list[VendorRecord] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    owner_of: dict[str, str] = {}
    for number, raw in rows:
        data = {k: v for k, v in raw.items() if k in VendorRecord.model_fields and v not in (None, "")}
        try:
            record = VendorRecord.model_validate(data)
        except PydanticValidationError as exc:
            problems.append(f"row {number}: {row_problem(exc.errors()[0])}")
            continue
        if record.key in seen:
            problems.append(f"row {number}: the same vendor as row {seen[record.key]}")
            continue
        seen[record.key] = number
        for domain in record.sender_domains:
            if domain in owner_of:
                problems.append(f"row {number}: domain {domain} is also {owner_of[domain]}'s")
            owner_of[domain] = record.vendor_name
        records.append(record)
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = (
            f" (and {len(problems) - MAX_PROBLEMS_SHOWN} more)" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        )
        raise ValidationError(
            f"{len(problems)} problem(s) in the vendor master, nothing changed: {shown}{more}."
        )
    return records


def _values(record: VendorRecord) -> dict[str, Any]:
    return {
        "vendor_name": record.vendor_name,
        "sender_domains": ";".join(record.sender_domains),
        "aliases": ";".join(record.aliases),
        "gl_code": record.gl_code,
        "expense_dept": record.expense_dept,
        "allocation_schedule": record.allocation_schedule,
        "product_category": str(record.product_category),
        "venue_required": record.venue_required,
        "active": record.active,
        "rules": record.rules.model_dump_json(exclude_defaults=True) if record.rules else None,
    }


def save_vendors(
    conn: Connection, records: list[VendorRecord], *, actor: Actor, trace_id: str
) -> VendorImport:
    """Upsert by the folded name; a domain may belong to one vendor only (checked against the store)."""
    stored = {row.vendor_key: row for row in conn.execute(sa.select(vendor))}
    incoming = {r.key for r in records}
    owners = {
        domain: row.vendor_name
        for key, row in stored.items()
        if key not in incoming
        for domain in _split(row.sender_domains)
    }
    clashes = [f"{d} is already {owners[d]}'s" for r in records for d in r.sender_domains if d in owners]
    if clashes:
        raise ValidationError(
            f"Sender domains must belong to one vendor: {'; '.join(clashes[:5])}.", field="sender_domains"
        )
    created = updated = unchanged = 0
    now = utcnow()
    for record in records:
        values = _values(record)
        before = stored.get(record.key)
        if before is None:
            conn.execute(
                vendor.insert().values(
                    vendor_key=record.key, updated_by=actor.email, updated_at=now, **values
                )
            )
            created += 1
        elif any(getattr(before, k) != v for k, v in values.items()):
            conn.execute(
                vendor.update()
                .where(vendor.c.vendor_key == record.key)
                .values(updated_by=actor.email, updated_at=now, **values)
            )
            updated += 1
        else:
            unchanged += 1
            continue
        record_action(
            conn,
            actor,
            "VENDOR_SAVED",
            entity_type="vendor",
            entity_id=record.key,
            trace_id=trace_id,
            before={k: getattr(before, k) for k in values} if before is not None else None,
            after=values,
        )
    return VendorImport(
        rows=len(records), created=created, updated=updated, unchanged=unchanged, trace_id=trace_id
    )


def _view(row: sa.Row) -> VendorView:
    data = dict(row._mapping)
    data["rules"] = VendorRules.model_validate_json(data["rules"]) if data.get("rules") else None
    return VendorView.model_validate(data)


def list_vendors(conn: Connection, *, active_only: bool = False) -> list[VendorView]:
    query = sa.select(vendor).order_by(vendor.c.vendor_name)
    if active_only:
        query = query.where(vendor.c.active.is_(True))
    return [_view(row) for row in conn.execute(query)]


def get_vendor(conn: Connection, name_or_key: str) -> VendorView:
    row = conn.execute(sa.select(vendor).where(vendor.c.vendor_key == vendor_key(name_or_key))).first()
    if row is None:
        raise NotFound(f"No vendor {name_or_key!r} in the vendor master.", vendor=name_or_key)
    return _view(row)


def export_rows(vendors: list[VendorView]) -> list[dict[str, Any]]:
    return [
        {
            **_values(v),
            "venue_required": "yes" if v.venue_required else "no",
            "active": "yes" if v.active else "no",
        }
        for v in vendors
    ]


class VendorMatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    vendor: VendorView
    source: VendorSource
    evidence: str


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def match_domain(vendors: list[VendorView], sender_domain: str | None) -> VendorMatch | None:
    """(a) of DOMAIN "Invoices" step 3: the sender's domain, or a parent of it (mail.vendor.example
    is vendor.example's), listed for exactly one active vendor."""
    if not sender_domain:
        return None
    labels = sender_domain.lower().split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        for v in vendors:
            if v.active and candidate in v.sender_domains:
                return VendorMatch(
                    vendor=v, source=VendorSource.DOMAIN, evidence=f"sender domain {sender_domain}"
                )
    return None


def match_text(vendors: list[VendorView], text: str) -> VendorMatch | None:
    """(b): the vendor's name or an alias in the invoice text, as whole words; the longest name
    found wins (so "ACME Tools LLC" beats an alias "ACME")."""
    folded = _fold(text)
    best: tuple[int, VendorView, str] | None = None
    for v in vendors:
        if not v.active:
            continue
        for name in (v.vendor_name, *v.aliases):
            needle = _fold(name)
            if len(needle) < 3:
                continue  # too short to tell apart from ordinary words
            if re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", folded) and (
                best is None or len(needle) > best[0]
            ):
                best = (len(needle), v, name)
    if best is None:
        return None
    return VendorMatch(vendor=best[1], source=VendorSource.ALIAS, evidence=f"{best[2]!r} in the invoice text")
