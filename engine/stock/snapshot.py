"""Importing a stock snapshot (one snapshot date per file, every row validated, all or nothing) and
reading the latest one. Only unrestricted stock is ever allocated; quality inspection and blocked
stock are kept for the record."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import ValidationError
from engine.ids import new_ulid
from engine.ledger.audit import record_action
from engine.ledger.files import FileStore, check_display_name
from engine.materials.importer import check_header, read_table, row_problem
from engine.store.gateway import Database
from engine.store.schema import sap_material, stock_level, stock_snapshot
from engine.store.sqlfiles import load_sql

STOCK_PLACES = Field(ge=0, max_digits=18, decimal_places=3)


class StockRow(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    snapshot_date: date
    plant: str = Field(min_length=1, max_length=20)
    storage_location: str = Field(min_length=1, max_length=20)
    sap_code: str = Field(min_length=1, max_length=50)
    unrestricted_qty: Decimal = STOCK_PLACES
    quality_inspection_qty: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=3)
    blocked_qty: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=3)


class UnitTotal(BaseModel):
    """A snapshot's stock in one SAP unit: the only totals worth showing (5 sheets and 3 kg are not 8
    of anything)."""

    model_config = ConfigDict(frozen=True)

    unit: str
    skus: int
    unrestricted: Decimal
    quality_inspection: Decimal
    blocked: Decimal


class SnapshotSummary(BaseModel):
    """One snapshot. The ``*_total`` fields add every unit together: a checksum for imports and
    tests, never a figure to show; ``by_unit`` holds the totals people read."""

    model_config = ConfigDict(frozen=True)

    snapshot_id: str
    snapshot_date: date
    rows: int
    skus: int
    unrestricted_total: Decimal
    quality_inspection_total: Decimal
    blocked_total: Decimal
    loaded_by: str
    loaded_at: datetime
    trace_id: str
    file_id: str | None = None
    by_unit: list[UnitTotal] = []
    already_loaded: bool = False  # the very file of the latest snapshot, loaded again: nothing changed

    @property
    def file_stem(self) -> str:
        return snapshot_file_stem(self.snapshot_date)


def snapshot_file_stem(snapshot_date: date) -> str:
    """``stock_20270104``: the name of a snapshot's export files."""
    return f"stock_{snapshot_date:%Y%m%d}"


def parse_snapshot(conn: Connection, content: bytes, file_name: str) -> list[StockRow]:
    header, rows = read_table(content, file_name)
    required = [c for c in SNAPSHOT_COLUMNS if StockRow.model_fields[c].is_required()]
    # SAP exports may carry more columns than these: only a missing one is refused.
    check_header("stock snapshot", SNAPSHOT_COLUMNS, required, header, file_name, strict=False)
    if not rows:
        raise ValidationError(f"{file_name} has no stock rows.", field="file")
    known = set(conn.execute(sa.select(sap_material.c.sap_code)).scalars())
    records: list[StockRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, raw in rows:
        data = {k: v for k, v in raw.items() if k in StockRow.model_fields and v not in (None, "")}
        try:
            record = StockRow.model_validate(data)
        except PydanticValidationError as exc:
            problems.append(f"row {number}: {row_problem(exc.errors()[0])}")
            continue
        if record.sap_code not in known:
            problems.append(f"row {number}: SKU {record.sap_code} is not in the SAP materials")
        key = (record.plant, record.storage_location, record.sap_code)
        if key in seen:
            problems.append(f"row {number}: {'/'.join(key)} appears again (row {seen[key]})")
        seen[key] = number
        records.append(record)
    dates = sorted({r.snapshot_date for r in records})
    if len(dates) > 1:
        problems.append(
            f"the file holds several snapshot dates ({', '.join(map(str, dates))}); one file, one date"
        )
    if problems:
        shown = "; ".join(problems[:25])
        raise ValidationError(
            f"{len(problems)} problem(s) in the stock snapshot, nothing loaded: {shown}.", field="file"
        )
    return records


def import_snapshot(
    db: Database,
    conn: Connection,
    files: FileStore,
    content: bytes,
    file_name: str,
    *,
    actor: Actor,
    trace_id: str,
) -> SnapshotSummary:
    name = check_display_name(file_name)
    records = parse_snapshot(conn, content, name)
    refuse_older(conn, records[0].snapshot_date)
    stored = files.put(
        conn,
        content,
        display_name=name,
        media_type="text/csv"
        if name.endswith(".csv")
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        actor=actor,
        trace_id=trace_id,
    )
    latest = latest_snapshot(conn)
    if latest is not None and latest.file_id == stored.file_id:
        return latest.model_copy(update={"already_loaded": True})
    snapshot_id, now = new_ulid(), utcnow()
    conn.execute(
        stock_snapshot.insert().values(
            snapshot_id=snapshot_id,
            snapshot_date=records[0].snapshot_date,
            file_id=stored.file_id,
            row_count=len(records),
            loaded_by=actor.email,
            loaded_at=now,
            trace_id=trace_id,
        )
    )
    db.bulk_insert(
        conn,
        stock_level,
        [{"snapshot_id": snapshot_id, **r.model_dump(exclude={"snapshot_date"})} for r in records],
    )
    summary = summarise(conn, snapshot_id)
    record_action(
        conn,
        actor,
        "STOCK_SNAPSHOT_LOADED",
        entity_type="stock_snapshot",
        entity_id=snapshot_id,
        trace_id=trace_id,
        after={
            "date": summary.snapshot_date,
            "rows": summary.rows,
            "file": name,
            "unrestricted": summary.unrestricted_total,
        },
    )
    return summary


def refuse_older(conn: Connection, snapshot_date: date) -> None:
    """Allocation always draws from the newest snapshot, so an older one loaded late would be
    ignored (or, by mistake, believed): refused. The same date again is a correction and loads."""
    newest = conn.execute(sa.select(sa.func.max(stock_snapshot.c.snapshot_date))).scalar()
    if newest is not None and snapshot_date < newest:
        raise ValidationError(
            f"The file's snapshot is dated {snapshot_date}, older than the latest one loaded ({newest}); "
            f"load a snapshot dated {newest} or later.",
            field="file",
        )


def summarise(conn: Connection, snapshot_id: str) -> SnapshotSummary:
    params = {"snapshot_id": snapshot_id}
    row = conn.execute(load_sql("stock/snapshot_summary"), params).one()
    units = conn.execute(load_sql("stock/totals_by_unit"), params).all()
    return SnapshotSummary.model_validate(
        {**row._mapping, "by_unit": [UnitTotal.model_validate(u._mapping) for u in units]}
    )


SNAPSHOT_COLUMNS = (
    "snapshot_date",
    "plant",
    "storage_location",
    "sap_code",
    "unrestricted_qty",
    "quality_inspection_qty",
    "blocked_qty",
)


def export_snapshot(conn: Connection, snapshot_id: str) -> list[dict[str, object]]:
    """The rows of one snapshot, in the columns an import takes."""
    query = (
        sa.select(
            stock_snapshot.c.snapshot_date,
            stock_level.c.plant,
            stock_level.c.storage_location,
            stock_level.c.sap_code,
            stock_level.c.unrestricted_qty,
            stock_level.c.quality_inspection_qty,
            stock_level.c.blocked_qty,
        )
        .join(stock_snapshot, stock_snapshot.c.snapshot_id == stock_level.c.snapshot_id)
        .where(stock_level.c.snapshot_id == snapshot_id)
        .order_by(stock_level.c.plant, stock_level.c.storage_location, stock_level.c.sap_code)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def latest_snapshot(conn: Connection, *, on_or_before: date | None = None) -> SnapshotSummary | None:
    query = (
        sa.select(stock_snapshot.c.snapshot_id)
        .order_by(stock_snapshot.c.snapshot_date.desc(), stock_snapshot.c.loaded_at.desc())
        .limit(1)
    )
    if on_or_before is not None:
        query = query.where(stock_snapshot.c.snapshot_date <= on_or_before)
    snapshot_id = conn.execute(query).scalar()
    return None if snapshot_id is None else summarise(conn, snapshot_id)
