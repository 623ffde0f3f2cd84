"""Builders for the stock and allocation tests: stores master data without a snapshot, snapshots of a
chosen date, cut exports of chosen lines, and what is live in ``allocation_log``.

Availability counts the allocations made since the snapshot's date (business time zone), so tests
that chain runs load a snapshot dated on the business day the runs are made (``engine.clock``) and
allocate for the next working day: the same on any day of the week.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from engine import api
from engine.api import Ledger
from engine.clock import business_day, next_working_day
from engine.demo.builder import DATA_DIR, csv_bytes
from engine.store.schema import allocation_log, exception_log
from engine.vocab import ExceptionKind, ExceptionStatus
from tests.conftest import STORES_FILES, World, snapshot_csv

PANEL = "Phenolic panel 20mm 80/80 micron"  # brand map of LPO-2025-0412: 40001021 (4.8 m2), 40001022 (3.6 m2)
RIVET = "Rivet 4.8x35 alu"  # 40004050: boxes of 500
TIE_ROD = "Reinforcement tie rod Ø8mm"  # 40004030: divisible, by the metre


def seed_materials(world: World) -> World:
    """The sample stores master data (SKUs, canonical materials, master, brand maps, units)."""
    from engine.materials.kinds import Kind

    for kind, name in STORES_FILES:
        api.import_materials(
            world.ledger, Kind(kind), (DATA_DIR / name).read_bytes(), name, actor=world.stores
        )
    return world


def load_snapshot(world: World, day: date, stock: dict[str, str] | None = None) -> api.SnapshotSummary:
    return api.import_stock(world.ledger, snapshot_csv(day, stock), f"stock_{day}.csv", actor=world.stores)


def today(ledger: Ledger) -> date:
    return business_day(ledger.settings.zone)


def next_day(ledger: Ledger) -> date:
    """The next working day: a production date the day's snapshot is fresh for."""
    return next_working_day(today(ledger), ledger.settings.working_weekdays)


def sheet(*lines: tuple[str, str, str], sheet_size: str = "1200x4000") -> bytes:
    """A cut export of (description, qty, unit) lines; sheets get ``sheet_size``."""
    return csv_bytes(
        [
            {
                "line": number,
                "nesting_description": description,
                "qty": qty,
                "unit": unit,
                "sheet_size_mm": sheet_size if unit == "sheets" else "",
            }
            for number, (description, qty, unit) in enumerate(lines, start=1)
        ]
    )


def upload(world: World, content: bytes, *, delivery: date, name: str, lpo: str = "LPO-2025-0412") -> str:
    result = world.ingest(content=content, name=name, area="1", delivery=delivery, lpo=lpo)
    assert result.tag_id and result.status == "UPLOADED", result.message
    return result.tag_id


def live_by_sku(ledger: Ledger) -> dict[str, Decimal]:
    """SAP units per SKU that live (not superseded) allocation rows take."""
    with ledger.db.read() as conn:
        rows = conn.execute(
            sa.select(allocation_log.c.sap_code, sa.func.sum(allocation_log.c.sap_qty))
            .where(allocation_log.c.superseded.is_(False))
            .group_by(allocation_log.c.sap_code)
        ).all()
    return {code: Decimal(qty) for code, qty in rows}


def live_by_line(ledger: Ledger) -> dict[tuple[str, int], list[tuple[str, Decimal]]]:
    """(tag, line number) → the SKUs and SAP quantities its live allocation takes."""
    with ledger.db.read() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT g.tag_id, l.line_no, g.sap_code, g.sap_qty FROM allocation_log g "
                "JOIN tag_line l ON l.ingest_line_id = g.ingest_line_id "
                "WHERE g.superseded = FALSE ORDER BY g.tag_id, l.line_no, g.priority"
            )
        ).all()
    taken: dict[tuple[str, int], list[tuple[str, Decimal]]] = defaultdict(list)
    for tag_id, line_no, code, qty in rows:
        taken[(tag_id, line_no)].append((code, Decimal(qty)))
    return dict(taken)


def exceptions_of(ledger: Ledger, kind: ExceptionKind, *, open_only: bool = True) -> list[sa.Row]:
    where = [exception_log.c.kind == str(kind)]
    if open_only:
        where.append(
            exception_log.c.status.in_([str(ExceptionStatus.OPEN), str(ExceptionStatus.ACKNOWLEDGED)])
        )
    with ledger.db.read() as conn:
        return list(
            conn.execute(sa.select(exception_log).where(*where).order_by(exception_log.c.exception_id))
        )
