"""Bad input. Hostile files and bad fields get a clear, specific error and nothing is stored (no rows,
no blobs); a file within the limits that cannot be read is kept as a PARSE_ERROR (DOMAIN "Tags" step
7) with the reason named."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from engine import api
from engine.demo.builder import csv_bytes, cut_export_lines, xlsx_bytes
from engine.errors import EngineError, ValidationError
from engine.ledger.files import sha256_hex
from engine.models import build
from engine.store.schema import (
    client_request_log,
    exception_log,
    file_store,
    tag_line,
    tag_sheet,
    user_action_history,
)
from engine.tags.models import IngestRequest
from tests.conftest import DELIVERY, World

LEDGER_TABLES = (tag_sheet, tag_line, file_store, exception_log, client_request_log, user_action_history)
GOOD = xlsx_bytes(cut_export_lines(5, seed=5))


def snapshot(world: World) -> dict[str, int]:
    with world.ledger.db.read() as conn:
        counts = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in LEDGER_TABLES
        }
    blobs = world.ledger.files.root
    counts["blobs"] = sum(1 for p in blobs.rglob("*") if p.is_file()) if blobs.exists() else 0
    return counts


def _xlsx_with_sheet_xml(edit: object) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(GOOD))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)  # type: ignore[operator]
            target.writestr(item, data)
    return out.getvalue()


def huge_dimension(xml: bytes) -> bytes:
    return re.sub(rb'<dimension ref="[^"]+"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)


def far_cell(xml: bytes) -> bytes:
    return xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'
    )


def formula_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["nesting_description", "qty", "unit"])
    sheet.append(['=HYPERLINK("http://evil.example/x","Rivet")', 5, "pcs"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bomb_workbook() -> bytes:
    """One sheet part that unpacks 1,000 times larger than it is stored."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("xl/workbook.xml", b"<workbook/>")
        target.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * 5_000_000 + b"</worksheet>")
    return out.getvalue()


CASES = {
    "empty file": (b"", "nest.xlsx", "is empty"),
    "xlsx bomb (declared dimensions)": (_xlsx_with_sheet_xml(huge_dimension), "nest.xlsx", "1,048,576 rows"),
    "xlsx bomb (far cell)": (_xlsx_with_sheet_xml(far_cell), "nest.xlsx", "cells out to 1,048,576 rows"),
    "xlsx bomb (compression)": (bomb_workbook(), "nest.xlsx", "compressed suspiciously far"),
    "path in the name": (GOOD, "../../etc/nest.xlsx", "contains a path"),
    "control character in the name": (GOOD, "nest\x07.xlsx", "control characters"),
    "old xls": (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "nest.xls", ".xls workbooks are not read"),
    "unknown file type": (GOOD, "nest.pdf", "upload an .xlsx or a .csv"),
}


# Within the limits but unreadable: kept for inspection as a PARSE_ERROR, with the reason.
UNREADABLE = {
    "truncated xlsx": (GOOD[: len(GOOD) // 2], "nest.xlsx", "truncated or not a zip"),
    "not a zip": (b"nesting_description,qty\nx,1\n", "nest.xlsx", "truncated or not a zip"),
    "legacy encoding": (
        "nesting_description,qty,unit\nTie rod Ø8mm,7,m\n".encode("cp1252"),
        "nest.csv",
        "not UTF-8",
    ),
    "formula without a saved value": (formula_workbook(), "nest.xlsx", "A2 holds a formula (=HYPERLINK("),
    "formula text in csv": (
        b'nesting_description,qty,unit\n"=HYPERLINK(""http://x"")",1,pcs\n',
        "nest.csv",
        "row 2: description in column 1 holds formula text",
    ),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_file_is_a_parse_error_and_kept(world: World, case: str) -> None:
    content, name, reason = UNREADABLE[case]
    before = snapshot(world)
    result = world.ingest(content=content, name=name)
    assert result.status == "BLOCKED" and result.http_status == 422 and result.tag_id is None
    assert reason in result.message
    exception = api.get_exception(world.ledger, result.exception_id or "", actor=world.sales)
    assert exception.kind == "PARSE_ERROR" and exception.file_id
    digest = sha256_hex(content)  # kept for inspection: the bytes, under their hash
    assert (world.ledger.files.root / digest[:2] / digest).read_bytes() == content
    after = snapshot(world)
    assert (after["file_store"], after["blobs"], after["tag_sheet"]) == (
        before["file_store"] + 1,
        before["blobs"] + 1,
        before["tag_sheet"],
    )


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_refused_and_nothing_is_stored(duck_world: World, case: str) -> None:
    content, name, message = CASES[case]
    before = snapshot(duck_world)
    with pytest.raises(ValidationError, match=re.escape(message)) as caught:
        duck_world.ingest(content=content, name=name)
    assert caught.value.field == "file"
    assert snapshot(duck_world) == before


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    from tests.conftest import make_settings, seed_world

    ledger = api.open_ledger(make_settings(tmp_path, max_upload_mb=0.001))
    try:
        world = seed_world(ledger)
        before = snapshot(world)
        with pytest.raises(ValidationError, match=r"the limit is 0 MB \(OPSLEDGER_MAX_UPLOAD_MB\)"):
            world.ingest(content=GOOD, name="nest.xlsx")
        assert snapshot(world) == before
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("area", "reason"),
    [
        ("0", "must be greater than 0"),
        ("-5", "must be greater than 0"),
        ("abc", "must be a number"),
        ("1.00001", "decimal places"),
    ],
)
def test_bad_area_names_the_field(area: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        build(
            IngestRequest,
            lpo_id="LPO-2025-0412",
            required_area_m2=area,
            requested_delivery_date=DELIVERY,
            original_file_name="nest.xlsx",
            content=GOOD,
        )
    assert caught.value.field == "required_area_m2"


def test_request_without_lpo_is_refused() -> None:
    with pytest.raises(ValidationError, match="give lpo_id or customer_lpo_ref"):
        build(
            IngestRequest,
            required_area_m2="1",
            requested_delivery_date=DELIVERY,
            original_file_name="a.csv",
            content=GOOD,
        )


def test_malformed_tag_id_is_refused(duck_world: World) -> None:
    before = snapshot(duck_world)
    with pytest.raises(ValidationError, match="not like TAG-YYYYMMDD-NNNN"):
        duck_world.ingest(tag_id="TAG-2026-1")
    assert snapshot(duck_world) == before


def test_markup_in_a_description_is_kept_as_text(duck_world: World) -> None:
    script = '<script>alert("x")</script> <b>Rivet</b>'
    result = duck_world.ingest(
        content=csv_bytes([{"nesting_description": script, "qty": "3", "unit": "pcs"}]), name="markup.csv"
    )
    line = api.show_tag(duck_world.ledger, result.tag_id or "", actor=duck_world.sales).lines[0]
    assert line.nesting_description == script  # stored verbatim; the console renders it as text


def test_every_refusal_is_an_engine_error_not_a_crash(duck_world: World) -> None:
    """Random byte soup under both names ends in an EngineError or a result, never another exception."""
    import random

    rng = random.Random(7)
    for index in range(30):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        if index % 3 == 0:
            junk = b"PK\x03\x04" + junk
        for name in ("soup.csv", "soup.xlsx"):
            with contextlib.suppress(EngineError):
                duck_world.ingest(content=junk, name=name)
    assert duck_world.ingest().status == "UPLOADED"
