"""LPO master: import (validated row by row, all or nothing), balances, and the row lock that
serializes uploads against one LPO.

A customer's reference (``customer_lpo_ref``) names one LPO of that customer: the import refuses a
second one, in the file or against the stored rows, and an upload by a reference that several
customers' LPOs share is refused as ambiguous."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import ValidationError
from engine.ledger.audit import record_action
from engine.mapping.master import bump_version
from engine.store.schema import lpo_master
from engine.store.sqlfiles import load_sql
from engine.vocab import LpoStatus

REQUIRED_COLUMNS = ("lpo_id", "customer", "po_quantity_m2", "status")


class LpoRecord(BaseModel):
    """One row of ``lpo_master.csv``."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    lpo_id: str = Field(min_length=1, max_length=50)
    customer_lpo_ref: str | None = Field(default=None, max_length=100)
    customer: str = Field(min_length=1, max_length=200)
    project_id: str | None = Field(default=None, max_length=200)
    plant_id: str | None = Field(default=None, max_length=50)
    po_quantity_m2: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    delivered_quantity_m2: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=4)
    status: LpoStatus
    currency: str | None = Field(default=None, max_length=3)


class LpoBalance(BaseModel):
    model_config = ConfigDict(frozen=True)

    lpo_id: str
    customer_lpo_ref: str | None
    customer: str
    project_id: str | None
    plant_id: str | None
    status: LpoStatus
    currency: str | None
    po_quantity_m2: Decimal
    delivered_quantity_m2: Decimal
    committed_m2: Decimal
    remaining_m2: Decimal
    live_tags: int


class ImportSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    created: int
    updated: int
    unchanged: int
    trace_id: str


def read_lpo_csv(content: bytes) -> list[LpoRecord]:
    """Every row validated; all problems reported together, with the row numbers the file shows in a
    spreadsheet (the header is row 1). A file with other columns is refused in one line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("The LPO file is not UTF-8; save it as 'CSV UTF-8'.", field="file") from exc
    reader = csv.DictReader(io.StringIO(text))
    found = [name for name in (reader.fieldnames or []) if name and name.strip()]
    reader.fieldnames = [_column_key(name) for name in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in reader.fieldnames]
    if missing:
        raise ValidationError(
            f"This is not an LPO master file: it needs the columns {', '.join(REQUIRED_COLUMNS)} "
            f"(missing {', '.join(missing)}); it has {', '.join(found) or 'no header row'}.",
            field="file",
        )
    records: list[LpoRecord] = []
    problems: list[str] = []
    seen: set[str] = set()
    refs: dict[tuple[str, str], int] = {}
    for row in reader:
        number = reader.line_num  # the file's own row (blank lines count, as a spreadsheet shows them)
        data = {k: v.strip() for k, v in row.items() if k and v is not None and v.strip()}  # empty → default
        try:
            record = LpoRecord.model_validate(data)
        except PydanticValidationError as exc:
            problems.append(f"row {number}: {_in_words(exc, data)}")
            continue
        if record.lpo_id in seen:
            problems.append(f"row {number}: {record.lpo_id} appears twice")
            continue
        if record.customer_lpo_ref and (ref := (record.customer, record.customer_lpo_ref)) in refs:
            problems.append(
                f"row {number}: customer reference {record.customer_lpo_ref} of {record.customer} is on "
                f"row {refs[ref]} too (one reference, one LPO per customer)"
            )
            continue
        if record.customer_lpo_ref:
            refs[(record.customer, record.customer_lpo_ref)] = number
        seen.add(record.lpo_id)
        records.append(record)
    if problems:
        raise ValidationError(
            f"{len(problems)} bad row(s), nothing imported: " + "; ".join(problems[:20]) + ".", field="file"
        )
    if not records:
        raise ValidationError("The LPO file has no rows.", field="file")
    return records


def _column_key(name: str | None) -> str:
    """A header as the file may write it (" LPO ID ", "Status") read as its column name."""
    return "_".join((name or "").strip().lower().split())


# What a refused cell needs, in words (pydantic's error type → the rule the column keeps).
_RULES = {
    "missing": "is empty",
    "decimal_parsing": "is not a number",
    "decimal_type": "is not a number",
    "greater_than_equal": "must be 0 or more",
    "decimal_max_places": "has more than 4 decimals",
    "decimal_max_digits": "is too large",
    "string_too_short": "is empty",
    "string_too_long": "is too long",
    "enum": "must be one of " + ", ".join(LpoStatus),
}


def _in_words(error: PydanticValidationError, data: dict[str, str]) -> str:
    """Each refused cell of a row: its column, its value and what the column needs."""
    said = []
    for problem in error.errors():
        column = ".".join(map(str, problem["loc"]))
        rule = _RULES.get(problem["type"], str(problem["msg"]).lower())
        value = data.get(column)
        said.append(f"{column} {value!r} {rule}" if value is not None else f"{column} {rule}")
    return ", ".join(said)


def check_refs_against_store(conn: Connection, records: list[LpoRecord]) -> None:
    """A reference the file gives an LPO may not name another stored LPO of the same customer (one
    the file does not change as well)."""
    incoming = {r.lpo_id for r in records}
    taken = {
        (row.customer, row.customer_lpo_ref): row.lpo_id
        for row in conn.execute(
            sa.select(lpo_master.c.lpo_id, lpo_master.c.customer, lpo_master.c.customer_lpo_ref).where(
                lpo_master.c.customer_lpo_ref.is_not(None)
            )
        )
        if row.lpo_id not in incoming
    }
    problems = [
        f"{r.lpo_id}: customer reference {r.customer_lpo_ref} of {r.customer} is {holder}'s already"
        for r in records
        if r.customer_lpo_ref and (holder := taken.get((r.customer, r.customer_lpo_ref)))
    ]
    if problems:
        raise ValidationError(
            f"{len(problems)} bad row(s), nothing imported: "
            + "; ".join(problems[:20])
            + " (one reference, one LPO per customer).",
            field="file",
        )


def import_lpos(conn: Connection, actor: Actor, records: list[LpoRecord], *, trace_id: str) -> ImportSummary:
    check_refs_against_store(conn, records)
    now = utcnow()
    existing = {
        row._mapping["lpo_id"]: row._mapping
        for row in conn.execute(
            sa.select(lpo_master).where(lpo_master.c.lpo_id.in_([r.lpo_id for r in records]))
        )
    }
    created = updated = unchanged = 0
    for record in records:
        values = record.model_dump()
        values["status"] = str(record.status)
        before = existing.get(record.lpo_id)
        if before is None:
            conn.execute(
                lpo_master.insert().values(
                    **values, lock_version=0, created_at=now, updated_at=now, trace_id=trace_id
                )
            )
            created += 1
            record_action(
                conn,
                actor,
                "LPO_CREATED",
                entity_type="lpo",
                entity_id=record.lpo_id,
                trace_id=trace_id,
                after=values,
            )
            continue
        changed = {k: v for k, v in values.items() if before[k] != v}
        if not changed:
            unchanged += 1
            continue
        conn.execute(
            sa.update(lpo_master)
            .where(lpo_master.c.lpo_id == record.lpo_id)
            .values(**changed, updated_at=now, trace_id=trace_id)
        )
        updated += 1
        record_action(
            conn,
            actor,
            "LPO_UPDATED",
            entity_type="lpo",
            entity_id=record.lpo_id,
            trace_id=trace_id,
            before={k: before[k] for k in changed},
            after=changed,
        )
    if created or updated:
        bump_version(conn)  # LPO project/plant/customer scope overrides
    return ImportSummary(
        rows=len(records), created=created, updated=updated, unchanged=unchanged, trace_id=trace_id
    )


def list_balances(conn: Connection) -> list[LpoBalance]:
    return [LpoBalance.model_validate(row._mapping) for row in conn.execute(load_sql("lpos/balances"))]


class LockedLpo(BaseModel):
    model_config = ConfigDict(frozen=True)

    lpo_id: str
    customer_lpo_ref: str | None
    status: LpoStatus
    po_quantity_m2: Decimal
    delivered_quantity_m2: Decimal
    project_id: str | None
    plant_id: str | None
    customer: str
    updated_at: datetime


def lock_lpo(conn: Connection, *, lpo_id: str | None, customer_lpo_ref: str | None) -> LockedLpo | None:
    """Find the LPO (by id, else by the customer's reference) and take its row lock for the rest of
    the transaction: an UPDATE locks on every server database, without dialect-specific SQL."""
    key = lpo_id or (lpo_by_ref(conn, customer_lpo_ref) if customer_lpo_ref else None)
    if not key:
        return None
    row = conn.execute(
        sa.update(lpo_master)
        .where(lpo_master.c.lpo_id == key)
        .values(lock_version=lpo_master.c.lock_version + 1)
        .returning(*[lpo_master.c[name] for name in LockedLpo.model_fields])
    ).first()
    return None if row is None else LockedLpo.model_validate(row._mapping)


def lpo_by_ref(conn: Connection, customer_lpo_ref: str) -> str | None:
    """The LPO a customer's reference names; a reference that several customers use is ambiguous."""
    found = (
        conn.execute(
            sa.select(lpo_master.c.lpo_id)
            .where(lpo_master.c.customer_lpo_ref == customer_lpo_ref)
            .order_by(lpo_master.c.lpo_id)
        )
        .scalars()
        .all()
    )
    if len(found) > 1:
        raise ValidationError(
            f"Customer reference {customer_lpo_ref} names {len(found)} LPOs ({', '.join(found)}); "
            "upload against the LPO id instead.",
            field="customer_lpo_ref",
        )
    return found[0] if found else None


def claimed_m2(conn: Connection, lpo_id: str) -> Decimal:
    value = conn.execute(load_sql("tags/committed_for_lpo"), {"lpo_id": lpo_id}).scalar_one()
    return Decimal(value)
