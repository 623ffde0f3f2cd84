"""Master-data imports, exports and editor saves: every bad row reported with its number and reason,
nothing half-applied; every change audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from engine import api
from engine.demo.builder import csv_bytes
from engine.errors import ValidationError
from engine.materials.kinds import SPECS, Kind
from engine.store.schema import metadata
from tests.conftest import STOCK_DATE, World


def counts(world: World) -> dict[str, int]:
    with world.ledger.db.read() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def rows_of(kind: Kind, *rows: dict[str, str]) -> bytes:
    return csv_bytes(list(rows), columns=SPECS[kind].columns)


def override_row(scope: str, value: str) -> dict[str, str]:
    return {
        "scope_type": scope,
        "scope_value": value,
        "nesting_description": "corner",
        "canonical_code": "ACC-CORNER-PVC",
    }


BAD = {
    "unknown unit": (
        Kind.SKUS,
        [{"sap_code": "X1", "canonical_code": "C", "sap_uom": "barrels", "conversion_to_canonical": "1"}],
        "row 3: SAP unit: 'barrels' is not a known unit",
    ),
    "missing unit": (
        Kind.SKUS,
        [{"sap_code": "X1", "canonical_code": "C", "sap_uom": "", "conversion_to_canonical": "1"}],
        "row 3: SAP unit is empty",
    ),
    "negative factor": (
        Kind.SKUS,
        [{"sap_code": "X1", "canonical_code": "C", "sap_uom": "pcs", "conversion_to_canonical": "-4.8"}],
        "row 3: Conversion to canonical must be greater than 0",
    ),
    "non-numeric factor": (
        Kind.SKUS,
        [{"sap_code": "X1", "canonical_code": "C", "sap_uom": "pcs", "conversion_to_canonical": "four"}],
        "row 3: Conversion to canonical must be a number",
    ),
    "not a boolean": (
        Kind.SKUS,
        [
            {
                "sap_code": "X1",
                "canonical_code": "C",
                "sap_uom": "pcs",
                "conversion_to_canonical": "1",
                "whole_units": "maybe",
            }
        ],
        "'maybe' is not true/false",
    ),
    "brand map at a missing SKU": (
        Kind.BRANDMAP,
        [
            {
                "lpo_id": "LPO-2025-0412",
                "canonical_code": "TAPE-AL-50",
                "sap_code": "99999999",
                "priority": "2",
            }
        ],
        "SKU 99999999 is not in the SAP materials (a brand map must point at an existing SKU)",
    ),
    "brand map SKU of another material": (
        Kind.BRANDMAP,
        [
            {
                "lpo_id": "LPO-2025-0412",
                "canonical_code": "TAPE-AL-50",
                "sap_code": "40001021",
                "priority": "3",
            }
        ],
        "SKU 40001021 is PNL-PHE-20-8080, not TAPE-AL-50",
    ),
    "brand map priority taken": (
        Kind.BRANDMAP,
        [
            {
                "lpo_id": "LPO-2025-0377",
                "canonical_code": "TAPE-AL-50",
                "sap_code": "40002050",
                "priority": "1",
            },
            {
                "lpo_id": "LPO-2025-0377",
                "canonical_code": "TAPE-AL-50",
                "sap_code": "40002075",
                "priority": "1",
            },
        ],
        "priority 1 of LPO-2025-0377/TAPE-AL-50 is taken by row 2",
    ),
    "brand map priority taken by a stored row": (
        Kind.BRANDMAP,
        [
            {
                "lpo_id": "LPO-2025-0412",
                "canonical_code": "PNL-PHE-20-8080",
                "sap_code": "40001023",
                "priority": "2",
            }
        ],
        "row 2: priority 2 of LPO-2025-0412/PNL-PHE-20-8080 is taken by the stored row for SKU 40001022",
    ),
    "override for an unknown LPO": (
        Kind.OVERRIDES,
        [override_row("LPO", "LPO-2099-0001")],
        "row 2: LPO 'LPO-2099-0001' is no LPO id of the LPO master",
    ),
    "override for an unknown project": (
        Kind.OVERRIDES,
        [override_row("PROJECT", "Tower C, Business Bay, Dubai")],
        "row 2: PROJECT 'Tower C, Business Bay, Dubai' is no project of the LPO master",
    ),
    "override for an unknown plant": (
        Kind.OVERRIDES,
        [override_row("PLANT", "AE99")],
        "row 2: PLANT 'AE99' is no plant of the LPO master",
    ),
    "override for an unknown customer": (
        Kind.OVERRIDES,
        [override_row("CUSTOMER", "Demo MEP Contracting")],
        "row 2: CUSTOMER 'Demo MEP Contracting' is no customer of the LPO master",
    ),
    "duplicate master descriptions": (
        Kind.MASTER,
        [
            {"nesting_description": "Corner Cap", "canonical_code": "ACC-CORNER-PVC", "uom": "pcs"},
            {"nesting_description": "  corner   cap ", "canonical_code": "ACC-CORNER-4B", "uom": "pcs"},
        ],
        "row 3: duplicate of row 2 (the same description)",
    ),
    "master unit differs from its code's": (
        Kind.MASTER,
        [{"nesting_description": "panel 20mm", "canonical_code": "PNL-PHE-20-8080", "uom": "pcs"}],
        "PNL-PHE-20-8080 is counted in m2, not pcs",
    ),
    "overlapping override dates": (
        Kind.OVERRIDES,
        [
            {
                "scope_type": "LPO",
                "scope_value": "LPO-2025-0412",
                "nesting_description": "corner",
                "canonical_code": "ACC-CORNER-PVC",
                "effective_from": "2027-01-01",
                "effective_to": "2027-06-30",
            },
            {
                "scope_type": "LPO",
                "scope_value": "LPO-2025-0412",
                "nesting_description": "CORNER",
                "canonical_code": "ACC-CORNER-4B",
                "effective_from": "2027-06-01",
                "effective_to": "",
            },
        ],
        "row 3: its dates overlap row 2",
    ),
    "override window backwards": (
        Kind.OVERRIDES,
        [
            {
                "scope_type": "LPO",
                "scope_value": "L",
                "nesting_description": "x",
                "canonical_code": "ACC-CORNER-PVC",
                "effective_from": "2027-02-01",
                "effective_to": "2027-01-01",
            }
        ],
        "row 2: The effective to date is before the effective from date",
    ),
    "unknown scope": (
        Kind.OVERRIDES,
        [
            {
                "scope_type": "REGION",
                "scope_value": "L",
                "nesting_description": "x",
                "canonical_code": "ACC-CORNER-PVC",
            }
        ],
        "row 2: Scope type must be one of 'LPO', 'PROJECT'",
    ),
    "unknown canonical code": (
        Kind.OVERRIDES,
        [{"scope_type": "LPO", "scope_value": "L", "nesting_description": "x", "canonical_code": "NOPE"}],
        "canonical code NOPE is not known",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_rows_change_nothing(duck_stores: World, case: str) -> None:
    kind, rows, reason = BAD[case]
    before = counts(duck_stores)
    good = {
        "sap_code": "40009999",
        "canonical_code": "TAPE-AL-50",
        "sap_uom": "rol",
        "conversion_to_canonical": "30",
    }
    content = rows_of(kind, *([good] if kind is Kind.SKUS else []), *rows)
    with pytest.raises(ValidationError, match=re.escape(reason)) as caught:
        api.import_materials(duck_stores.ledger, kind, content, f"{kind}.csv", actor=duck_stores.stores)
    assert "nothing changed" in caught.value.message
    assert counts(duck_stores) == before, "a bad row anywhere: no row of the file is applied"


@pytest.mark.parametrize(
    ("case", "content", "reason"),
    [
        (
            "unknown SKU",
            "snapshot_date,plant,storage_location,sap_code,unrestricted_qty\n{d},AE01,FG01,123,5\n",
            "SKU 123 is not in the SAP materials",
        ),
        (
            "negative",
            "snapshot_date,plant,storage_location,sap_code,unrestricted_qty\n{d},AE01,FG01,40001021,-5\n",
            "row 2: Unrestricted qty must be at least 0",
        ),
        (
            "not a number",
            "snapshot_date,plant,storage_location,sap_code,unrestricted_qty\n{d},AE01,FG01,40001021,lots\n",
            "row 2: Unrestricted qty must be a number",
        ),
        (
            "other columns",
            "date,sku,qty\n" + "{d},40001021,5\n" * 20,
            "stock.csv does not have the columns of the stock snapshot (missing snapshot_date, plant, "
            "storage_location, sap_code, unrestricted_qty). Expected snapshot_date, plant, storage_location, "
            "sap_code, unrestricted_qty, quality_inspection_qty, blocked_qty; found date, sku, qty.",
        ),
        (
            "two dates",
            "snapshot_date,plant,storage_location,sap_code,unrestricted_qty\n{d},AE01,FG01,40001021,5\n"
            "2020-01-01,AE01,FG01,40001022,5\n",
            "several snapshot dates",
        ),
    ],
)
def test_bad_snapshots_load_nothing(duck_stores: World, case: str, content: str, reason: str) -> None:
    before = counts(duck_stores)
    with pytest.raises(ValidationError, match=re.escape(reason)):
        api.import_stock(
            duck_stores.ledger, content.format(d=STOCK_DATE).encode(), "stock.csv", actor=duck_stores.stores
        )
    assert counts(duck_stores) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_imports_back_unchanged(duck_stores: World, fmt: str) -> None:
    for kind in (k for k in Kind if k is not Kind.OVERRIDES):  # the sample data has no overrides
        download = api.export_materials(duck_stores.ledger, kind, fmt=fmt, actor=duck_stores.stores)
        result = api.import_materials(
            duck_stores.ledger, kind, download.content, download.file_name, actor=duck_stores.stores
        )
        assert (result.created, result.updated) == (0, 0) and result.unchanged == result.rows > 0, kind


def test_editor_save_is_audited_per_row(duck_stores: World) -> None:
    rows = api.list_materials(duck_stores.ledger, Kind.SKUS, actor=duck_stores.stores)
    edited = [(n, dict(r)) for n, r in enumerate(rows, start=2)]
    edited[0][1]["price_aed"] = "240.00"
    edited.append(
        (
            len(edited) + 2,
            {
                "sap_code": "40009998",
                "canonical_code": "TAPE-AL-50",
                "sap_uom": "Rolls",
                "conversion_to_canonical": "25",
                "whole_units": True,
                "active": True,
            },
        )
    )
    result = api.save_materials(duck_stores.ledger, Kind.SKUS, edited, actor=duck_stores.stores)
    assert (result.created, result.updated) == (1, 1)
    trail = api.search_audit(duck_stores.ledger, actor=duck_stores.admin, trace_id=result.trace_id).items
    assert sorted(a.action for a in trail) == ["SKUS_ADDED", "SKUS_CHANGED"]
    changed = next(a for a in trail if a.action == "SKUS_CHANGED")
    assert changed.entity_id == rows[0]["sap_code"] and '"price_aed": "235.00"' in (
        changed.before_summary or ""
    )
    added = next(
        r
        for r in api.list_materials(duck_stores.ledger, Kind.SKUS, actor=duck_stores.stores)
        if r["sap_code"] == "40009998"
    )
    assert added["sap_uom"] == "rol", "unit spellings go through the synonym table"


def test_only_stores_and_admins_change_master_data(duck_world: World) -> None:
    from engine.errors import Forbidden

    with pytest.raises(Forbidden):
        api.import_materials(
            duck_world.ledger,
            Kind.SKUS,
            rows_of(
                Kind.SKUS,
                {"sap_code": "1", "canonical_code": "C", "sap_uom": "pcs", "conversion_to_canonical": "1"},
            ),
            "s.csv",
            actor=duck_world.sales,
        )


@pytest.mark.clock
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_stock_snapshot_exports_and_imports_back(duck_stores: World, fmt: str) -> None:
    download = api.export_stock(duck_stores.ledger, fmt=fmt, actor=duck_stores.stores)
    assert download.file_name == f"stock_{STOCK_DATE:%Y%m%d}.{fmt}"
    before = api.stock_status(duck_stores.ledger, actor=duck_stores.stores, for_date=STOCK_DATE).latest
    again = api.import_stock(
        duck_stores.ledger, download.content, download.file_name, actor=duck_stores.stores
    )
    assert before is not None and again.snapshot_id != before.snapshot_id
    assert (again.snapshot_date, again.rows, again.skus) == (before.snapshot_date, before.rows, before.skus)
    assert (again.unrestricted_total, again.quality_inspection_total, again.blocked_total) == (
        before.unrestricted_total,
        before.quality_inspection_total,
        before.blocked_total,
    )


def test_stock_export_without_a_snapshot_is_a_clear_error(duck_world: World) -> None:
    from engine.errors import NotFound

    with pytest.raises(NotFound, match="No stock snapshot has been loaded yet"):
        api.export_stock(duck_world.ledger, fmt="csv", actor=duck_world.stores)


def test_brand_map_priorities_move_within_one_import(duck_stores: World) -> None:
    """Swapping two stored priorities in one file is no conflict: the stored rows are rewritten."""
    swap = rows_of(
        Kind.BRANDMAP,
        {
            "lpo_id": "LPO-2025-0412",
            "canonical_code": "PNL-PHE-20-8080",
            "sap_code": "40001021",
            "priority": "2",
        },
        {
            "lpo_id": "LPO-2025-0412",
            "canonical_code": "PNL-PHE-20-8080",
            "sap_code": "40001022",
            "priority": "1",
        },
    )
    result = api.import_materials(duck_stores.ledger, Kind.BRANDMAP, swap, "b.csv", actor=duck_stores.stores)
    assert result.updated == 2


def test_overrides_for_every_scope_of_the_lpo_master(duck_stores: World) -> None:
    rows = [
        override_row("LPO", "LPO-2025-0412"),
        override_row("PROJECT", "Tower B, Business Bay, Dubai"),
        override_row("PLANT", "AE01"),
        override_row("CUSTOMER", "Demo MEP Contracting LLC (synthetic)"),
        override_row("CUSTOMER", "Gone Trading LLC") | {"active": "false"},  # decides nothing: not checked
    ]
    result = api.import_materials(
        duck_stores.ledger, Kind.OVERRIDES, rows_of(Kind.OVERRIDES, *rows), "o.csv", actor=duck_stores.stores
    )
    assert result.created == 5


@pytest.mark.parametrize(
    ("content", "wrong"),
    [
        (
            "description,code,sku\n" + "".join(f"panel {n},PNL-PHE-20-8080,40001021\n" for n in range(40)),
            "missing nesting_description, canonical_code, uom; not a column of it: description, code, sku",
        ),
        (
            "nesting_description,canonical_code,uom,default_sap\nx,PNL-PHE-20-8080,m2,40001021\n",
            "not a column of it: default_sap",
        ),
    ],
)
def test_a_file_of_other_columns_is_refused_in_one_line(duck_stores: World, content: str, wrong: str) -> None:
    before = counts(duck_stores)
    with pytest.raises(ValidationError) as caught:
        api.import_materials(
            duck_stores.ledger, Kind.MASTER, content.encode(), "master.csv", actor=duck_stores.stores
        )
    message = caught.value.message
    assert message.startswith(f"master.csv does not have the columns of the material master ({wrong}). ")
    assert "Expected nesting_description, canonical_code, default_sap_code, uom, " in message
    assert "row " not in message and "\n" not in message, "one line, not one error per row"
    assert counts(duck_stores) == before


def test_editor_rows_are_reported_with_the_numbers_given_and_the_column_labels(duck_stores: World) -> None:
    rows = [
        (1, {"nesting_description": "x", "canonical_code": "PNL-PHE-20-8080", "uom": "m2"}),
        (7, {"nesting_description": "y", "canonical_code": "", "uom": "m2"}),
    ]
    with pytest.raises(ValidationError, match=re.escape("row 7: Canonical code is empty.")):
        api.save_materials(duck_stores.ledger, Kind.MASTER, rows, actor=duck_stores.stores)
