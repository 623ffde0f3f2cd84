"""Stock totals per SAP unit: sheets, rolls and kilograms are never added together."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest

from engine import api
from engine.demo.builder import DATA_DIR
from tests.conftest import DELIVERY, STOCK_DATE, World, snapshot_csv

pytestmark = pytest.mark.clock  # snapshot ages: run on every weekday (test_clock)


def test_the_snapshot_totals_are_per_unit(duck_stores: World) -> None:
    world = duck_stores
    latest = api.stock_status(world.ledger, actor=world.stores, for_date=DELIVERY).latest
    assert latest is not None
    skus = (DATA_DIR / "sap_material.csv").read_text(encoding="utf-8")
    unit_of = {r["sap_code"]: r["sap_uom"] for r in csv.DictReader(io.StringIO(skus))}
    exported = api.export_stock(world.ledger, fmt="csv", actor=world.stores).content.decode("utf-8-sig")
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in csv.DictReader(io.StringIO(exported)):
        expected[unit_of[row["sap_code"]]] += Decimal(row["unrestricted_qty"])

    by_unit = {t.unit: t for t in latest.by_unit}
    assert {unit: t.unrestricted for unit, t in by_unit.items()} == dict(expected)
    assert {"sht", "rol", "pcs", "tin"} <= set(by_unit), "sheets, rolls, pieces, tins: a total each"
    assert sum(t.skus for t in by_unit.values()) == latest.skus


def test_the_same_file_loaded_again_changes_nothing_and_says_so(duck_stores: World) -> None:
    world = duck_stores
    content = snapshot_csv(STOCK_DATE, {"40004030": "12"})
    first = api.import_stock(world.ledger, content, "stock.csv", actor=world.stores)
    again = api.import_stock(world.ledger, content, "stock.csv", actor=world.stores)
    assert not first.already_loaded and again.already_loaded
    assert again.snapshot_id == first.snapshot_id and again.loaded_at == first.loaded_at
    other = api.import_stock(
        world.ledger, snapshot_csv(STOCK_DATE, {"40004030": "11"}), "b.csv", actor=world.stores
    )
    assert not other.already_loaded and other.snapshot_id != first.snapshot_id
    back = api.import_stock(world.ledger, content, "stock.csv", actor=world.stores)
    assert not back.already_loaded, "the first file again, after another one of its date, is a correction"
