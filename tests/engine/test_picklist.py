"""The pick list's own section for what it does not cover: lines allocated short and skipped lines, in
the list itself, its CSV and its PDF, so the storeman knows what is missing."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pdfplumber
import pytest

from engine import api
from engine.allocation.picklist import NOT_COVERED_COLUMNS, NOT_COVERED_TITLE
from engine.exports import csv_sections
from engine.vocab import AllocationStatus
from tests.conftest import DELIVERY, World

pytestmark = pytest.mark.clock  # delivery dates and T-1 snapshots: run on every weekday (test_clock)


def allocated(world: World) -> api.PickList:
    world.ingest()
    api.allocate(world.ledger, run_date=DELIVERY, actor=world.stores)
    return api.pick_list(world.ledger, DELIVERY, actor=world.stores)


def test_short_and_skipped_lines_are_listed_with_what_is_missing(stores_world: World) -> None:
    picks = allocated(stores_world)
    short = {gap.description: gap for gap in picks.short}
    assert set(short) == {"PHEN 30MM ALU 200 EXT", "Invisible flange 30mm"}
    outdoor = short["PHEN 30MM ALU 200 EXT"]  # 9.6 m2 asked, one 4.8 m2 sheet unrestricted
    assert outdoor.status is AllocationStatus.PARTIAL and outdoor.exception_id
    assert (outdoor.needed, outdoor.covered, outdoor.missing, outdoor.unit) == (
        Decimal("9.6"),
        Decimal("4.8"),
        Decimal("4.8"),
        "m2",
    )
    skipped = {gap.description: gap for gap in picks.skipped}
    assert set(skipped) == {"Aluminum Tape", "corner", "Misc hardware"}
    tape = skipped["Aluminum Tape"]  # never converted: the line's own quantity and unit
    assert (tape.missing, tape.unit, tape.reason) == (Decimal(40), "m", "waits for a mapping review")
    assert picks.not_covered == picks.short + picks.skipped, "short lines first, then skipped ones"


def test_the_csv_has_a_section_of_its_own_for_what_is_not_covered(stores_world: World) -> None:
    allocated(stores_world)
    text = api.pick_list_file(stores_world.ledger, DELIVERY, fmt="csv", actor=stores_world.stores)
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    gap = rows.index([NOT_COVERED_TITLE])
    assert rows[gap - 1] == [], "an empty row before the section"
    assert rows[0][:2] == ["date", "sap_code"] and all(len(r) == len(rows[0]) for r in rows[1 : gap - 1])
    assert rows[gap + 1] == list(NOT_COVERED_COLUMNS)
    missing = {(r[4], r[5]): (r[9], r[10]) for r in rows[gap + 2 :]}
    assert missing[("Invisible flange 30mm", "PARTIAL")] == ("1.6", "m")
    assert missing[("corner", "SKIPPED")] == ("24", "pcs")
    assert len(missing) == 5


def test_the_pdf_lists_what_is_not_covered(stores_world: World) -> None:
    picks = allocated(stores_world)
    pdf = api.pick_list_file(stores_world.ledger, DELIVERY, fmt="pdf", actor=stores_world.stores)
    with pdfplumber.open(io.BytesIO(pdf.content)) as document:
        content = "\n".join(page.extract_text() or "" for page in document.pages)
    assert "Not covered (2 short, 3 skipped)" in content
    for gap in picks.not_covered:
        assert gap.description in content
    assert "waits for a mapping review" in content and "not enough stock" in content


def test_a_fully_covered_list_says_so(stores_world: World) -> None:
    allocated(stores_world)
    empty = api.pick_list(
        stores_world.ledger, DELIVERY, tag_id="TAG-00000000-0000", actor=stores_world.stores
    )
    assert empty.items == [] and empty.not_covered == []
    pdf = api.pick_list_file(
        stores_world.ledger, DELIVERY, fmt="pdf", tag_id="TAG-00000000-0000", actor=stores_world.stores
    )
    with pdfplumber.open(io.BytesIO(pdf.content)) as document:
        content = "\n".join(page.extract_text() or "" for page in document.pages)
    assert "Not covered (0 short, 0 skipped)" in content and "Every line is covered" in content


def test_csv_sections_guard_every_table() -> None:
    content = csv_sections((("a",), [("=1+1",)]), ("=title", ("b",), [("-x",)])).decode("utf-8-sig")
    assert content == "a\n'=1+1\n\n'=title\nb\n'-x\n"
