"""Reading the current allocation of a date: one row per line and SKU taken."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.store.sqlfiles import load_sql
from engine.vocab import AllocationStatus


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
