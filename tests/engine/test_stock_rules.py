"""Stock rules of DOMAIN "Allocation" (issue 6, section 5): availability counts the allocations made
since the snapshot's date whatever snapshot they used; SKU candidates fall back to the canonical
material's default SKU; a material without any SKU is a NO_SKU exception; a stale snapshot is refused
unless accepted (the T-1 job raises STALE_SNAPSHOT instead); an older snapshot is refused at import."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from engine import api
from engine.errors import ValidationError
from engine.mapping.master import MasterData, Sku, material_defaults
from engine.materials.kinds import Kind
from engine.stock.freshness import StockRule
from engine.store.schema import allocation_run, user_action_history
from engine.vocab import AllocationStatus, ExceptionKind, ExceptionStatus, JobStatus
from tests.conftest import World
from tests.engine.stock_helpers import (
    RIVET,
    exceptions_of,
    live_by_sku,
    load_snapshot,
    next_day,
    seed_materials,
    sheet,
    today,
    upload,
)
from tests.engine.test_cli import cli  # noqa: F401  (the CLI fixture)

# Date-sensitive (dates come from the pinned today): also run on every weekday (tests/test_clock.py).
pytestmark = pytest.mark.clock


DUBAI = ZoneInfo("Asia/Dubai")
# Friday off, as the default working days: Monday is 0.
WORKING = frozenset({0, 1, 2, 3, 5, 6})


@pytest.fixture
def materials(world: World) -> World:
    return seed_materials(world)


# ---------------------------------------------------------------- availability


def test_loading_the_same_snapshot_again_does_not_double_the_stock(materials: World) -> None:
    day, run_date = today(materials.ledger), next_day(materials.ledger)
    load_snapshot(materials, day, {"40004050": "3"})  # three boxes of 500 rivets
    first = upload(materials, sheet((RIVET, "1500", "pcs")), delivery=run_date, name="a.csv")
    api.allocate(materials.ledger, tag_id=first, actor=materials.stores)
    load_snapshot(materials, day, {"40004050": "3"})  # the same file again: a new snapshot id
    later = upload(materials, sheet((RIVET, "1000", "pcs")), delivery=run_date, name="b.csv")
    run = api.allocate(materials.ledger, tag_id=later, actor=materials.stores)
    assert run.lines[0].status is AllocationStatus.UNALLOCATED, "the three boxes went to the first tag"
    assert live_by_sku(materials.ledger)["40004050"] == 3


def test_allocations_count_whatever_snapshot_they_used_and_date_decides(materials: World) -> None:
    day, run_date = today(materials.ledger), next_day(materials.ledger)
    load_snapshot(materials, day, {"40004050": "3"})
    first = upload(materials, sheet((RIVET, "1000", "pcs")), delivery=run_date, name="a.csv")
    api.allocate(materials.ledger, tag_id=first, actor=materials.stores)  # 2 boxes, made today
    load_snapshot(materials, day, {"40004050": "4"})  # a corrected count of the same day
    second = upload(materials, sheet((RIVET, "2000", "pcs")), delivery=run_date, name="b.csv")
    taken = api.allocate(materials.ledger, tag_id=second, actor=materials.stores).lines[0].takes
    assert [(t.sap_code, t.sap_qty) for t in taken] == [("40004050", 2)], "4 counted − 2 taken today"
    # A snapshot of a later day already holds what was allocated before that day: nothing subtracted.
    load_snapshot(materials, run_date, {"40004050": "4"})
    third = upload(materials, sheet((RIVET, "2400", "pcs")), delivery=run_date, name="c.csv")
    taken = api.allocate(materials.ledger, tag_id=third, actor=materials.stores).lines[0].takes
    assert [(t.sap_code, t.sap_qty) for t in taken] == [("40004050", 4)]


def test_allocations_count_from_the_start_of_the_snapshots_day_in_the_business_zone() -> None:
    rule = StockRule(DUBAI, 1, WORKING)
    assert rule.counted_since(date(2027, 1, 5)) == datetime(2027, 1, 4, 20, 0, tzinfo=UTC)


# ---------------------------------------------------------------- SKU candidates


def _sku(code: str, material: str) -> Sku:
    return Sku(code, material, "pcs", Decimal(1), True, None, None)


def test_candidates_brand_map_then_mapping_then_the_materials_default() -> None:
    skus = {code: _sku(code, "M") for code in ("S1", "S2", "S3")} | {"X1": _sku("X1", "X")}
    master = MasterData(
        skus=skus,
        brand={("LPO-1", "M"): [(1, "S2"), (2, "S1")]},
        default_sku=material_defaults({"M": "S3", "X": None}, skus),
    )
    codes = lambda lpo, mapped: [s.sap_code for _, s in master.candidates(lpo, "M", mapped)]  # noqa: E731
    assert codes("LPO-1", "S1") == ["S2", "S1"], "the LPO's brand map by priority wins"
    assert codes("LPO-2", "S1") == ["S1"], "no brand map: the SKU the mapping chose"
    assert codes("LPO-2", None) == ["S3"], "the mapping chose none: the material's default SKU"
    assert codes("LPO-2", "GONE") == ["S3"], "an unknown or inactive SKU is passed over"
    assert master.candidates(None, "X", None) == [], "not even a material's only SKU is guessed"
    assert master.candidates(None, "NONE", None) == []


def test_a_default_sku_must_belong_to_its_material_and_is_never_guessed() -> None:
    skus = {"S1": _sku("S1", "M"), "S2": _sku("S2", "M"), "X1": _sku("X1", "X")}
    assert material_defaults({"M": "X1", "X": None}, skus) == {}
    assert material_defaults({"M": "S2", "X": "X1"}, skus) == {"M": "S2", "X": "X1"}


def _canonical_rows(changes: dict[str, str]) -> bytes:
    from engine.demo.builder import DATA_DIR

    lines = (DATA_DIR / "canonical_materials.csv").read_text().strip().splitlines()
    out = [lines[0] + ",default_sap_code"]
    for line in lines[1:]:
        code = line.split(",", 1)[0]
        out.append(f"{line},{changes.get(code, '')}")
    return ("\n".join(out) + "\n").encode()


def _without_defaults(world: World, code: str) -> None:
    """The material master rows of ``code`` without a default SKU, and no brand map for it."""
    rows = api.list_materials(world.ledger, Kind.MASTER, actor=world.stores)
    edited = [(n, dict(r)) for n, r in enumerate(rows, start=2)]
    for _, row in edited:
        if row["canonical_code"] == code:
            row["default_sap_code"] = None
    api.save_materials(world.ledger, Kind.MASTER, edited, actor=world.stores)


def test_a_material_without_any_sku_is_one_no_sku_exception_not_a_shortage(materials: World) -> None:
    # PNL-PIR-20-8080 has two SKUs (40001041, 40001042) and LPO-2025-0412 no brand map for it.
    _without_defaults(materials, "PNL-PIR-20-8080")
    load_snapshot(materials, today(materials.ledger))
    run_date = next_day(materials.ledger)
    pir = [("PIR panel 20mm alu/alu", qty, "m2") for qty in ("4.8", "2.4", "9.6", "1.2")]
    tags = [upload(materials, sheet(*pir[n : n + 2]), delivery=run_date, name=f"pir_{n}.csv") for n in (0, 2)]
    run = api.allocate(materials.ledger, run_date=run_date, actor=materials.stores)
    assert {line.status for line in run.lines} == {AllocationStatus.UNALLOCATED}
    assert {line.reason for line in run.lines} == {api_reason()}
    (no_sku,) = exceptions_of(materials.ledger, ExceptionKind.NO_SKU)
    assert {line.exception_id for line in run.lines} == {no_sku.exception_id}, "one per material"
    assert run.exceptions == [no_sku.exception_id] and no_sku.desk == "stores"
    assert "PNL-PIR-20-8080 has no SKU" in no_sku.message and "4 line(s) wait" in no_sku.message
    assert not exceptions_of(materials.ledger, ExceptionKind.INSUFFICIENT_STOCK)
    assert api.allocate(materials.ledger, run_date=run_date, actor=materials.stores).exceptions == [
        no_sku.exception_id
    ], "a rerun refers to the open one"
    api.import_materials(
        materials.ledger,
        Kind.CANONICAL,
        _canonical_rows({"PNL-PIR-20-8080": "40001041"}),
        "canonical.csv",
        actor=materials.stores,
    )
    again = api.allocate(materials.ledger, run_date=run_date, actor=materials.stores)
    assert [(line.status, [t.sap_code for t in line.takes]) for line in again.lines] == [
        (AllocationStatus.ALLOCATED, ["40001041"])
    ] * 4
    assert not exceptions_of(materials.ledger, ExceptionKind.NO_SKU), "resolved once every line found a SKU"
    assert {line.tag_id for line in again.lines} == set(tags)


def api_reason() -> str:
    from engine.allocation.run import NO_SKU_REASON

    return NO_SKU_REASON


def test_an_override_without_a_sku_allocates_the_materials_default(materials: World) -> None:
    api.import_materials(
        materials.ledger,
        Kind.OVERRIDES,
        (
            b"scope_type,scope_value,nesting_description,canonical_code,sap_code\n"
            b"LPO,LPO-2025-0377,special pir board,PNL-PIR-20-8080,\n"
        ),
        "overrides.csv",
        actor=materials.stores,
    )
    api.import_materials(
        materials.ledger,
        Kind.CANONICAL,
        _canonical_rows({"PNL-PIR-20-8080": "40001042"}),
        "canonical.csv",
        actor=materials.stores,
    )
    api.import_materials(  # no brand map of LPO-2025-0377 for the material: the override decides alone
        materials.ledger,
        Kind.BRANDMAP,
        (
            b"lpo_id,canonical_code,sap_code,priority,active\n"
            b"LPO-2025-0377,PNL-PIR-20-8080,40001041,1,false\n"
            b"LPO-2025-0377,PNL-PIR-20-8080,40001042,2,false\n"
        ),
        "brandmap.csv",
        actor=materials.stores,
    )
    load_snapshot(materials, today(materials.ledger))
    tag = upload(
        materials,
        sheet(("Special PIR board", "9.6", "m2")),
        delivery=next_day(materials.ledger),
        name="special.csv",
        lpo="LPO-2025-0377",
    )
    (line,) = api.allocate(materials.ledger, tag_id=tag, actor=materials.stores).lines
    assert [(t.sap_code, t.sap_qty) for t in line.takes] == [("40001042", 2)]


def test_a_default_sku_of_another_material_is_refused_at_import(materials: World) -> None:
    with pytest.raises(ValidationError, match="SKU 40001021 is PNL-PHE-20-8080, not PNL-PIR-20-8080"):
        api.import_materials(
            materials.ledger,
            Kind.CANONICAL,
            _canonical_rows({"PNL-PIR-20-8080": "40001021"}),
            "canonical.csv",
            actor=materials.stores,
        )


# ---------------------------------------------------------------- stale snapshots


@pytest.mark.parametrize(
    ("run_date", "oldest"),
    [
        (date(2027, 1, 9), date(2027, 1, 7)),  # Saturday: Friday is off, Thursday's snapshot will do
        (date(2027, 1, 10), date(2027, 1, 9)),  # Sunday: Saturday's
        (date(2027, 1, 11), date(2027, 1, 10)),  # Monday: Sunday's
    ],
)
def test_the_oldest_acceptable_snapshot_is_the_working_day_before(run_date: date, oldest: date) -> None:
    assert StockRule(DUBAI, 1, WORKING).oldest_acceptable(run_date) == oldest
    assert StockRule(DUBAI, 3, WORKING).oldest_acceptable(run_date) == oldest - timedelta(days=2)


def _runs(world: World) -> int:
    with world.ledger.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(allocation_run)).scalar_one()


def test_a_stale_snapshot_is_refused_unless_accepted(materials: World) -> None:
    snapshot_day = today(materials.ledger)
    load_snapshot(materials, snapshot_day)
    run_date = snapshot_day + timedelta(days=10)
    upload(materials, sheet((RIVET, "100", "pcs")), delivery=run_date, name="late.csv")
    status = api.stock_status(materials.ledger, actor=materials.stores, for_date=run_date)
    assert status.stale
    with pytest.raises(api.StaleSnapshot, match=re.escape(status.message)) as refused:
        api.allocate(materials.ledger, run_date=run_date, actor=materials.stores)
    assert "accept this one explicitly" in refused.value.message and _runs(materials) == 0
    run = api.allocate(materials.ledger, run_date=run_date, accept_stale=True, actor=materials.stores)
    assert run.stale_accepted and run.snapshot_date == snapshot_day and run.lines_allocated == 1
    with materials.ledger.db.read() as conn:
        audit = conn.execute(
            sa.select(user_action_history.c.after_summary).where(
                user_action_history.c.entity_id == run.run_id
            )
        ).scalar_one()
    assert '"stale_accepted": true' in audit
    fresh_for = next_day(materials.ledger)
    assert not api.stock_status(materials.ledger, actor=materials.stores, for_date=fresh_for).stale
    assert not api.allocate(materials.ledger, run_date=fresh_for, actor=materials.stores).stale_accepted


def test_the_cli_refuses_a_stale_snapshot_unless_told_to_accept_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from engine.demo.builder import DATA_DIR

    cli("db", "upgrade")
    for kind, name in (("skus", "sap_material.csv"), ("master", "material_master.csv")):
        assert cli("materials", "import", kind, str(DATA_DIR / name))[0] == 0
    stock = tmp_path / "stale.csv"
    stock.write_text((DATA_DIR / "sap_snapshot.csv").read_text().replace("2025-06-14,", "2026-12-01,"))
    assert cli("stock", "import", str(stock))[0] == 0
    code, error = cli("allocate", "--date", "2026-12-15")
    assert code == 1 and error["error"] == "STALE_SNAPSHOT" and "--accept-stale" in error["message"]
    code, run = cli("allocate", "--date", "2026-12-15", "--accept-stale")
    assert code == 0 and run["stale_accepted"] is True and run["snapshot_date"] == "2026-12-01"


def test_the_t1_job_raises_one_stale_snapshot_instead_of_allocating(materials: World) -> None:
    snapshot_day = today(materials.ledger)
    load_snapshot(materials, snapshot_day)
    settings = materials.ledger.settings
    job_day = snapshot_day + timedelta(days=10)
    at = datetime.combine(job_day, time(16, 0), tzinfo=settings.zone)
    first = api.run_job(materials.ledger, "allocation_t1", actor=materials.admin, now=at)
    assert first.status is JobStatus.SKIPPED and first.counts == {"stale_snapshot": 1}
    (stale,) = exceptions_of(materials.ledger, ExceptionKind.STALE_SNAPSHOT)
    assert stale.desk == "stores" and stale.exception_id in (first.error or "")
    assert f"The latest snapshot is from {snapshot_day}" in (first.error or "") and _runs(materials) == 0
    second = api.run_job(materials.ledger, "allocation_t1", actor=materials.admin, now=at + timedelta(days=1))
    assert second.status is JobStatus.SKIPPED
    assert [row.exception_id for row in exceptions_of(materials.ledger, ExceptionKind.STALE_SNAPSHOT)] == [
        stale.exception_id
    ], "one open at a time"
    run_date = api.get_exception(materials.ledger, stale.exception_id, actor=materials.stores).payload[
        "run_date"
    ]
    load_snapshot(materials, date.fromisoformat(run_date) - timedelta(days=1))
    api.allocate(materials.ledger, run_date=date.fromisoformat(run_date), actor=materials.stores)
    closed = api.get_exception(materials.ledger, stale.exception_id, actor=materials.stores)
    assert closed.status is ExceptionStatus.RESOLVED and "Allocation run" in (closed.resolver_notes or "")


def test_the_t1_job_without_any_snapshot_raises_it_too(materials: World) -> None:
    run = api.run_job(materials.ledger, "allocation_t1", actor=materials.admin)
    assert run.status is JobStatus.SKIPPED and "No stock snapshot dated on or before" in (run.error or "")
    assert len(exceptions_of(materials.ledger, ExceptionKind.STALE_SNAPSHOT)) == 1


def test_a_snapshot_older_than_the_latest_is_refused_and_the_same_date_loads(materials: World) -> None:
    day = today(materials.ledger)
    load_snapshot(materials, day)
    with pytest.raises(ValidationError, match=f"older than the latest one loaded \\({day}\\)"):
        load_snapshot(materials, day - timedelta(days=1))
    again = load_snapshot(materials, day, {"40004050": "9"})
    assert again.snapshot_date == day
