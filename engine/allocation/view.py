"""Reading the current allocation of a date: one row per line and SKU taken."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.store.sqlfiles import load_sql
from engine.tags.queries import get_tag
from engine.vocab import AllocationStatus, TagStatus


class AllocationRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag_id: str
    ingest_line_id: str
    line_no: int
    nesting_description: str
    status: AllocationStatus
    canonical_code: str | None
    canonical_uom: str | None
    required_qty: Decimal | None
    allocated_qty: Decimal | None
    shortfall_qty: Decimal | None
    exception_id: str | None
    reason: str | None
    run_id: str
    sap_code: str | None
    priority: int | None
    sap_qty: Decimal | None
    sap_uom: str | None
    take_canonical_qty: Decimal | None
    conversion_factor: Decimal | None


def current_rows(conn: Connection, run_date: date, tag_id: str | None = None) -> list[AllocationRow]:
    rows = conn.execute(load_sql("allocation/current_lines"), {"run_date": run_date, "tag_id": tag_id}).all()
    return [AllocationRow.model_validate(row._mapping) for row in rows]


class TagAllocation(BaseModel):
    """A tag's allocation as the seed's ``GET /api/allocation/status?tag_id=`` answers it: the tag's
    status and the lines of its latest current allocation (none before its first run)."""

    model_config = ConfigDict(frozen=True)

    tag_id: str
    tag_status: TagStatus
    run_date: date | None
    lines: list[AllocationRow]


def tag_allocation(conn: Connection, tag_id: str) -> TagAllocation:
    tag = get_tag(conn, tag_id).tag
    run_date = conn.execute(load_sql("allocation/latest_run_of_tag"), {"tag_id": tag.tag_id}).scalar()
    lines = current_rows(conn, run_date, tag.tag_id) if run_date is not None else []
    return TagAllocation(tag_id=tag.tag_id, tag_status=tag.status, run_date=run_date, lines=lines)
