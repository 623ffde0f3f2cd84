"""What the WMS shipments hold (issue 9 §4 "WMS shipments: last import, coverage window"): the last
import from its audit row (when, who, rows, the file or the ODBC pull) and, per carrier, the first
and last ship date (the window reconciliation reads "billed, not shipped" in)."""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.store.schema import user_action_history as uah
from engine.store.schema import wms_shipment

IMPORTED = "WMS_IMPORTED"  # the action engine.wms.importer.save_shipments audits


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class LastWmsImport(Frozen):
    at: datetime
    by: str
    source: str | None  # the file's name or the ODBC pull (None: an import from before it was noted)
    rows: int
    inserted: int
    replaced: int
    trace_id: str | None


class WmsCoverage(Frozen):
    carrier: str
    first_day: date | None
    last_day: date | None
    shipments: int


class WmsStatus(Frozen):
    last_import: LastWmsImport | None
    coverage: list[WmsCoverage]

    @property
    def shipments(self) -> int:
        return sum(c.shipments for c in self.coverage)


def last_import(conn: Connection) -> LastWmsImport | None:
    row = conn.execute(
        sa.select(uah.c.actor, uah.c.created_at, uah.c.after_summary, uah.c.trace_id)
        .where(uah.c.action == IMPORTED)
        .order_by(uah.c.created_at.desc(), uah.c.action_id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    after = json.loads(row.after_summary or "{}")
    return LastWmsImport(
        at=row.created_at,
        by=row.actor,
        source=after.get("source"),
        rows=int(after.get("rows", 0)),
        inserted=int(after.get("inserted", 0)),
        replaced=int(after.get("replaced", 0)),
        trace_id=row.trace_id,
    )


def coverage(conn: Connection) -> list[WmsCoverage]:
    query = (
        sa.select(
            wms_shipment.c.carrier,
            sa.func.min(wms_shipment.c.ship_date).label("first_day"),
            sa.func.max(wms_shipment.c.ship_date).label("last_day"),
            sa.func.count().label("shipments"),
        )
        .group_by(wms_shipment.c.carrier)
        .order_by(wms_shipment.c.carrier)
    )
    return [WmsCoverage.model_validate(dict(row._mapping)) for row in conn.execute(query)]


def status(conn: Connection) -> WmsStatus:
    return WmsStatus(last_import=last_import(conn), coverage=coverage(conn))
