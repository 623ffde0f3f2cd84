"""Allocation (DOMAIN "Allocation"): the worked cases of the sample data, reruns, T-1, pick lists, and
properties that hold for any stock and any demand (hypothesis)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import api
from engine.allocation.draw import allocate_line
from engine.allocation.models import AllocatedLine
from engine.demo.builder import csv_bytes
from engine.errors import ValidationError
from engine.mapping.master import Sku
from engine.store.schema import allocation_log
from engine.vocab import AllocationStatus, ExceptionKind, JobStatus
from tests.conftest import DELIVERY, STOCK_DATE, World, make_settings, seed_stores, seed_world, snapshot_csv
from tests.engine.stock_helpers import (
    PANEL,
    RIVET,
    TIE_ROD,
    live_by_line,
    load_snapshot,
    next_day,
    seed_materials,
    sheet,
    today,
    upload,
)

pytestmark = pytest.mark.clock  # delivery dates, T-1, snapshot ages: run on every weekday (test_clock)


def by_description(result: api.AllocationResult) -> dict[str, AllocatedLine]:
    return {line.description: line for line in result.lines}


def takes(line: AllocatedLine) -> list[tuple[str, Decimal]]:
    return [(t.sap_code, t.sap_qty) for t in line.takes]


def test_worked_cases_of_the_sample_sheet(stores_world: World) -> None:
    stores_world.ingest()
    result = api.allocate(stores_world.ledger, run_date=DELIVERY, actor=stores_world.stores)
    lines = by_description(result)
    panel = lines["Phenolic panel 20mm 80/80 micron"]  # 6 sheets 1200x4000 = 28.8 m2
    assert takes(panel) == [("40001021", 5), ("40001022", 2)], "split over two sheet sizes in priority order"
    assert panel.status is AllocationStatus.ALLOCATED and panel.allocated_qty == Decimal("31.2")
    outdoor = lines["PHEN 30MM ALU 200 EXT"]  # 9.6 m2; 1 unrestricted + 3 in quality inspection
    assert takes(outdoor) == [("40001031", 1)] and outdoor.status is AllocationStatus.PARTIAL
    assert outdoor.shortfall_qty == Decimal("4.8") and outdoor.exception_id
    flange = lines["Invisible flange 30mm"]  # preferred SKU 40003030 has no stock
    assert takes(flange) == [("40003031", 2)] and flange.shortfall_qty == Decimal("1.6")
    assert takes(lines["Aluminium tape 75mm"]) == [("40002075", 2)], "85.5 m in whole 50 m rolls"
    assert takes(lines["Rivet 4.8x35 alu"]) == [("40004050", 1)], "120 pieces: one box of 500"
    assert takes(lines["Silicone"]) == [("40005020", 7)], "1960 ml ÷ 280 ml per cartridge"
    assert takes(lines["Reinforcement tie rod Ø8mm"]) == [("40004030", Decimal("7.200"))], (
        "divisible, by the metre"
    )
    assert takes(lines["Glue/adhesive phenolic panel"]) == [("40005010", 1)], "3.25 kg from a 5 kg tin"
    assert {lines[d].status for d in ("Aluminum Tape", "corner", "Misc hardware")} == {
        AllocationStatus.SKIPPED
    }
    assert (result.lines_allocated, result.lines_partial, result.lines_skipped) == (11, 2, 3)
    shortage = api.get_exception(stores_world.ledger, outdoor.exception_id or "", actor=stores_world.stores)
    assert shortage.kind is ExceptionKind.INSUFFICIENT_STOCK
    assert shortage.payload["shortfall_canonical"] == "4.8000" and shortage.payload["shortfall_sku"] == "1"
    assert (
        shortage.payload["sap_uom"] == "sht"
        and "4.8 m2 of PNL-PHE-30-80200 short = 1 sht" in shortage.message
    )


def test_allocation_log_records_both_quantities_and_the_factor(stores_world: World) -> None:
    tag = stores_world.ingest().tag_id
    run = api.allocate(stores_world.ledger, tag_id=tag, actor=stores_world.stores)
    with stores_world.ledger.db.read() as conn:
        rows = conn.execute(sa.select(allocation_log).where(allocation_log.c.run_id == run.run_id)).all()
    panel = next(r for r in rows if r.sap_code == "40001022")
    assert (
        panel.sap_qty,
        panel.sap_uom,
        panel.canonical_qty,
        panel.canonical_uom,
        panel.conversion_factor,
    ) == (2, "sht", Decimal("7.2"), "m2", Decimal("3.6"))
    assert {r.snapshot_id for r in rows} == {run.snapshot_id} and {r.trace_id for r in rows} == {run.trace_id}


def test_rerun_replaces_instead_of_double_counting(stores_world: World) -> None:
    stores_world.ingest()
    first = api.allocate(stores_world.ledger, run_date=DELIVERY, actor=stores_world.stores)
    second = api.allocate(stores_world.ledger, run_date=DELIVERY, actor=stores_world.stores)
    assert (
        by_description(first)["Phenolic panel 20mm 80/80 micron"].takes
        == by_description(second)["Phenolic panel 20mm 80/80 micron"].takes
    )
    with stores_world.ledger.db.read() as conn:
        live = conn.execute(
            sa.select(sa.func.count())
            .select_from(allocation_log)
            .where(allocation_log.c.superseded.is_(False))
        ).scalar_one()
        old = conn.execute(
            sa.select(sa.func.count())
            .select_from(allocation_log)
            .where(allocation_log.c.run_id == first.run_id, allocation_log.c.superseded.is_(True))
        ).scalar_one()
    assert live == old == sum(len(line.takes) for line in second.lines)
    assert second.exceptions == first.exceptions, "one open shortage per line, kept across reruns"


# Four tags compete for short stock: 11 sheets of 40001021 and 40001022 for 14 wanted, one box of
# 500 rivets for 1,300 pieces, 10.5 m of tie rod for 11.55 m. Who gets what depends on the order.
COMPETING = [("4", "300", "4.2"), ("3", "200", "3.1"), ("5", "700", "2.5"), ("2", "100", "1.75")]
SHORT_STOCK = {"40001021": "6", "40001022": "5", "40004050": "1", "40004030": "10.5"}


def competing_store(tmp_path: Path, name: str) -> tuple[World, list[str]]:
    """A store of its own with the short stock, dated today, and the four tags due the next working day."""
    world = seed_materials(seed_world(api.open_ledger(make_settings(tmp_path / name))))
    load_snapshot(world, today(world.ledger), SHORT_STOCK)
    tags = [
        upload(
            world,
            sheet((PANEL, panels, "sheets"), (RIVET, rivets, "pcs"), (TIE_ROD, rods, "m")),
            delivery=next_day(world.ledger),
            name=f"competing_{index}.csv",
        )
        for index, (panels, rivets, rods) in enumerate(COMPETING)
    ]
    return world, tags


def outcomes(ledger: api.Ledger, run_date: date) -> list[tuple[object, ...]]:
    """Each line's status and shortfall on the date, with the SKUs it takes."""
    rows = api.current_allocation(ledger, run_date, actor=api.CLI_OPERATOR)
    return sorted((r.tag_id, r.line_no, r.status, r.shortfall_qty, r.sap_code, r.sap_qty) for r in rows)


def test_a_batch_run_equals_the_same_tags_one_by_one_on_an_identical_store(tmp_path: Path) -> None:
    batch, batch_tags = competing_store(tmp_path, "batch")
    serial, serial_tags = competing_store(tmp_path, "serial")
    try:
        assert batch_tags == serial_tags, (
            "the same tag ids: both stores got the same uploads in the same order"
        )
        run_date = next_day(batch.ledger)
        api.allocate(batch.ledger, run_date=run_date, actor=batch.stores)
        for tag in serial_tags:  # the fixed order: delivery date, upload time, tag id
            api.allocate(serial.ledger, tag_id=tag, actor=serial.stores)
        expected = live_by_line(batch.ledger)
        assert live_by_line(serial.ledger) == expected
        first, second, third, fourth = batch_tags
        assert expected[(first, 1)] == [("40001021", 4)] and expected[(second, 1)] == [
            ("40001021", 2),
            ("40001022", 2),
        ], "earlier uploads are served first, SKU by SKU in brand-map priority"
        assert expected[(first, 2)] == [("40004050", 1)] and (second, 2) not in expected, (
            "one box: first come"
        )
        assert (fourth, 3) in expected and (third, 1) in expected
        assert outcomes(serial.ledger, run_date) == outcomes(batch.ledger, run_date)
    finally:
        batch.ledger.close()
        serial.ledger.close()


def test_pick_lists_csv_and_pdf(stores_world: World) -> None:
    tag = stores_world.ingest().tag_id or ""
    api.allocate(stores_world.ledger, run_date=DELIVERY, actor=stores_world.stores)
    picks = api.pick_list(stores_world.ledger, DELIVERY, actor=stores_world.stores)
    assert {i.sap_code for i in picks.items} >= {"40001021", "40001022", "40005020"}
    text = api.pick_list_file(
        stores_world.ledger, DELIVERY, fmt="csv", actor=stores_world.stores
    ).content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("date,sap_code") and f"{DELIVERY},40001021" in text
    pdf = api.pick_list_file(stores_world.ledger, DELIVERY, fmt="pdf", tag_id=tag, actor=stores_world.stores)
    assert pdf.content.startswith(b"%PDF") and pdf.file_name.endswith(f"_{tag}.pdf")
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf.content)) as document:
        content = "\n".join(page.extract_text() or "" for page in document.pages)
    assert f"Pick list {DELIVERY}" in content and "40001021" in content


def test_t1_job_allocates_the_next_working_day(stores_world: World) -> None:
    from datetime import datetime, time

    from engine.clock import previous_working_day

    settings_ = stores_world.ledger.settings
    day_before = previous_working_day(DELIVERY, settings_.working_weekdays)  # DELIVERY is a working day
    stores_world.ingest()
    at = datetime.combine(day_before, time(16, 0), tzinfo=settings_.zone)
    run = api.run_job(stores_world.ledger, "allocation_t1", actor=stores_world.admin, now=at)
    assert run.status is JobStatus.SUCCEEDED and run.counts["lines"] == 16 and run.counts["allocated"] == 11
    assert api.pick_list(stores_world.ledger, DELIVERY, actor=stores_world.stores).items


def test_replacing_a_sheet_releases_its_stock(stores_world: World) -> None:
    tag = stores_world.ingest().tag_id or ""
    api.allocate(stores_world.ledger, run_date=DELIVERY, actor=stores_world.stores)
    from engine.models import build
    from engine.tags.models import ReplaceRequest

    smaller = csv_bytes([{"nesting_description": "Rivet 4.8x35 alu", "qty": "10", "unit": "pcs"}])
    api.replace_tag(
        stores_world.ledger,
        build(
            ReplaceRequest, tag_id=tag, reason="one part only", content=smaller, original_file_name="v2.csv"
        ),
        actor=stores_world.sales,
    )
    assert api.pick_list(stores_world.ledger, DELIVERY, actor=stores_world.stores).items == []
    again = api.allocate(stores_world.ledger, run_date=DELIVERY, actor=stores_world.stores)
    assert [takes(line) for line in again.lines] == [[("40004050", 1)]]


def test_allocation_needs_a_snapshot(world: World) -> None:
    with pytest.raises(ValidationError, match="No stock snapshot dated on or before"):
        api.allocate(world.ledger, run_date=DELIVERY, actor=world.admin)


def test_snapshot_status_warns_when_old(stores_world: World) -> None:
    fresh = api.stock_status(
        stores_world.ledger, actor=stores_world.stores, for_date=STOCK_DATE + timedelta(days=1)
    )
    old = api.stock_status(
        stores_world.ledger, actor=stores_world.stores, for_date=STOCK_DATE + timedelta(days=9)
    )
    assert not fresh.stale and old.stale and "needs one from" in old.message


# ---------------------------------------------------------------- properties

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(5000), places=3)
factors = st.sampled_from(
    [Decimal(1), Decimal("4.8"), Decimal("3.6"), Decimal(50), Decimal("45.72"), Decimal(500)]
)
skus = st.lists(
    st.tuples(factors, st.booleans(), st.decimals(min_value=0, max_value=200, places=3)),
    min_size=1,
    max_size=3,
)


def _candidates(
    spec: list[tuple[Decimal, bool, Decimal]],
) -> tuple[list[tuple[int, Sku]], dict[str, Decimal]]:
    candidates, stock = [], {}
    for index, (factor, whole, available) in enumerate(spec):
        code = f"SKU{index}"
        candidates.append((index + 1, Sku(code, "C", "u", factor, whole, None, None)))
        stock[code] = available.to_integral_value() if whole else available
    return candidates, stock


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(required=quantities, spec=skus)
def test_never_more_than_available_nor_more_than_needed_plus_one_unit(required: Decimal, spec: list) -> None:  # type: ignore[type-arg]
    candidates, stock = _candidates(spec)
    before = dict(stock)
    taken, missing = allocate_line(required, candidates, stock)
    for take in taken:
        assert take.sap_qty <= before[take.sap_code], "never more than is available"
        assert stock[take.sap_code] >= 0
    allocated = sum((t.canonical_qty for t in taken), Decimal(0))
    last_unit = max((t.factor for t in taken), default=Decimal(0))
    assert allocated <= required + last_unit, "never more than needed plus one whole unit"
    gap = (required - allocated).quantize(Decimal("0.0001"))
    assert missing == (gap if gap > 0 else 0), "what is missing is exactly what was not allocated"


def test_snapshot_quantities_round_trip_exactly(duck_world: World) -> None:
    seed_stores(duck_world, stock={"40004030": "36.125"})
    content = snapshot_csv(STOCK_DATE, {"40004030": "36.125"}).decode().splitlines()[1:]
    expected = sum((Decimal(line.split(",")[4]) for line in content), Decimal(0))
    status = api.stock_status(duck_world.ledger, actor=duck_world.stores, for_date=DELIVERY)
    assert status.latest is not None and status.latest.unrestricted_total == expected
    assert status.latest.quality_inspection_total == 3 and status.latest.blocked_total == 2
