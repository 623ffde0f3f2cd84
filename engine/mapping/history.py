"""The mapping decisions recorded for one line (the seed's ``GET /api/map/history?ingest_line_id=``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.store.schema import mapping_history
from engine.vocab import MappingDecision


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    history_id: str
    ingest_line_id: str | None
    tag_id: str | None
    nesting_description: str
    decision: MappingDecision
    canonical_code: str | None
    sap_code: str | None
    not_tracked: bool | None
    override_id: str | None
    exception_id: str | None
    qty: Decimal | None
    uom: str | None
    canonical_qty: Decimal | None
    canonical_uom: str | None
    conversion: str | None
    user_id: str | None
    notes: str | None
    trace_id: str | None
    created_at: datetime


def line_history(conn: Connection, line_id: str) -> list[HistoryEntry]:
    """Oldest first: the line's first decision, then each re-mapping (a resolved review, a master
    data change) in the order it happened."""
    columns = [mapping_history.c[name] for name in HistoryEntry.model_fields]
    rows = conn.execute(
        sa.select(*columns)
        .where(mapping_history.c.ingest_line_id == line_id.strip())
        .order_by(mapping_history.c.created_at, mapping_history.c.history_id)
    )
    return [HistoryEntry.model_validate(row._mapping) for row in rows]
