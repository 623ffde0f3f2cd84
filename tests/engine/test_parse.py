"""Cut-export parsing: header aliases, units, decimals, the sample sheets."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from engine.demo.builder import csv_bytes, cut_export_lines, sample_bytes, xlsx_bytes
from engine.tags.parse import normalise_description, parse_cut_export, parse_decimal


def test_sample_xlsx_and_csv_give_the_same_lines() -> None:
    from_xlsx = parse_cut_export(sample_bytes("TAG-20250615-0007_cutexport_v1.xlsx"), kind="xlsx")
    from_csv = parse_cut_export(sample_bytes("TAG-20250615-0007_cutexport_v1.csv"), kind="csv")
    assert from_xlsx.usable and from_csv.usable
    assert len(from_xlsx.lines) == 16
    pairs = zip(from_xlsx.lines, from_csv.lines, strict=True)
    assert all((a.description, a.qty, a.uom) == (b.description, b.qty, b.uom) for a, b in pairs)
    first, flange, bayonet, silicone = (from_csv.lines[i] for i in (0, 4, 6, 12))
    assert (first.qty, first.uom, first.sheet_width_mm, first.sheet_length_mm) == (
        Decimal(6),
        "sht",
        1200,
        4000,
    )
    assert first.net_area_m2 == Decimal("24.65")
    assert (flange.uom, flange.uom_raw) == ("m", "mtr")
    assert (bayonet.uom, bayonet.uom_raw) == ("pcs", "Nos")
    assert (silicone.qty, silicone.uom) == (Decimal(1960), "ml")
    assert from_csv.lines[14].uom == "lot"


def test_headers_found_by_alias_below_a_title_block() -> None:
    rows = [{"Description": "Tie rod 8mm", "Quantity": "7,5", "UOM": "Mtrs", "Sheet Size": ""}]
    content = xlsx_bytes(
        rows,
        title_rows=["NEST REPORT", "Machine: CNC-2"],
        columns=("Description", "Quantity", "UOM", "Sheet Size"),
    )
    parsed = parse_cut_export(content, kind="xlsx")
    assert parsed.usable, parsed.problem()
    line = parsed.lines[0]
    assert (line.description, line.qty, line.uom, line.source_row) == ("Tie rod 8mm", Decimal("7.5"), "m", 4)


def test_semicolon_csv_with_decimal_commas() -> None:
    lines = [{"nesting_description": "Gasket tape 9x3 (neoprene)", "qty": "22,5", "unit": "m"}]
    parsed = parse_cut_export(csv_bytes(lines, delimiter=";"), kind="csv")
    assert parsed.lines[0].qty == Decimal("22.5")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", Decimal(12)),
        ("3,25", Decimal("3.25")),
        ("1,234.5", Decimal("1234.5")),
        ("1.234,5", Decimal("1234.5")),
        ("1,234,567", Decimal(1234567)),
        (" 7.20 ", Decimal("7.20")),
        (24.65, Decimal("24.65")),
        (6, Decimal(6)),
    ],
)
def test_decimals(text: object, value: Decimal) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["1,500", "12abc", "1.2.3", "--4"])
def test_ambiguous_or_bad_numbers_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"ambiguous|not a number"):
        parse_decimal(text)


def test_bad_lines_are_reported_with_their_rows() -> None:
    lines = [
        {"nesting_description": "Rivet 4.8x35 alu", "qty": "120", "unit": "pcs"},
        {"nesting_description": "Corner", "qty": "-4", "unit": "pcs"},
        {"nesting_description": "Silicone", "qty": "2", "unit": "buckets"},
        {"nesting_description": "", "qty": "3", "unit": "pcs"},
        {"nesting_description": "Tape", "qty": "1,500", "unit": "m"},
    ]
    parsed = parse_cut_export(csv_bytes(lines), kind="csv")
    assert not parsed.usable
    reasons = {e.row: e.reason for e in parsed.errors}
    assert set(reasons) == {3, 4, 5, 6}
    assert "not positive" in reasons[3] and "buckets" in reasons[4] and "without a description" in reasons[5]
    assert "ambiguous" in reasons[6]
    assert "4 line(s) cannot be read: row 3" in parsed.problem()


def test_no_header_is_a_clear_problem() -> None:
    parsed = parse_cut_export(b"foo,bar\n1,2\n", kind="csv")
    assert not parsed.usable and "No header row found" in parsed.problem()


def test_generated_sheet_round_trip() -> None:
    lines = cut_export_lines(200, seed=3)
    parsed = parse_cut_export(xlsx_bytes(lines), kind="xlsx")
    assert parsed.usable and len(parsed.lines) == 200


def test_normalisation_only_trims_lowers_and_collapses() -> None:
    assert normalise_description("  PHENOLIC   20MM 80/80 ") == "phenolic 20mm 80/80"
    assert normalise_description("Reinforcement tie rod Ø8mm") == "reinforcement tie rod ø8mm"


def test_multiple_tags_in_one_file_are_noticed() -> None:
    content = csv_bytes(
        [
            {"tag": "TAG-1", "nesting_description": "Rivet", "qty": "1", "unit": "pcs"},
            {"tag": "TAG-2", "nesting_description": "Rivet", "qty": "1", "unit": "pcs"},
        ],
        columns=("tag", "nesting_description", "qty", "unit"),
    )
    assert parse_cut_export(content, kind="csv").tag_refs == {"TAG-1", "TAG-2"}


def test_legacy_encoding_is_an_unreadable_sheet_with_advice() -> None:
    content = "nesting_description,qty,unit\nReinforcement tie rod Ø8mm,7,m\n".encode("cp1252")
    parsed = parse_cut_export(content, kind="csv")
    assert not parsed.usable and parsed.fingerprint() is None
    assert re.search(r"not UTF-8.*CSV UTF-8", parsed.problem())


def workbook(rows: list[list[object]], *, title: str = "Nest") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_saved_values(content: bytes, values: dict[str, tuple[str | None, str]]) -> bytes:
    """The workbook as Excel saves it: each formula cell with its computed value (and its type)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                for ref, (kind, value) in values.items():
                    typed = f' t="{kind}"' if kind else ""
                    data = re.sub(
                        # openpyxl writes an empty value as <v/>, or as <v></v> when lxml is installed
                        rf'<c r="{ref}"([^>]*)><f>(.*?)</f>(?:<v\s*/>|<v></v>)'.encode(),
                        rf'<c r="{ref}"{typed}><f>\2</f><v>{value}</v>'.encode(),
                        data,
                    )
            target.writestr(item, data)
    return out.getvalue()


HEADER = ["nesting_description", "qty", "unit"]


def test_formula_cells_are_read_by_their_saved_value_and_totals_rows_skipped() -> None:
    rows: list[list[object]] = [
        HEADER,
        ["Rivet 4.8x35 alu", "=2*60", "pcs"],
        ['="Corner cap"', 4, "pcs"],
        [None, "=SUM(B2:B3)", None],  # a totals row without a label
        ["TOTAL:", "=SUM(B2:B3)", None],
        [None, 124, "Grand total"],
    ]
    content = with_saved_values(
        workbook(rows),
        {"B2": (None, "120"), "A3": ("str", "Corner cap"), "B4": (None, "124"), "B5": (None, "124")},
    )
    parsed = parse_cut_export(content, kind="xlsx")
    assert parsed.usable, parsed.problem()
    assert [(line.description, line.qty) for line in parsed.lines] == [
        ("Rivet 4.8x35 alu", Decimal(120)),
        ("Corner cap", Decimal(4)),
    ]


def test_a_formula_without_a_saved_value_names_its_cell() -> None:
    rows: list[list[object]] = [["Cut list"], HEADER, ["Rivet", 5, "pcs"], ["Total", "=SUM(B3:B3)", None]]
    parsed = parse_cut_export(workbook(rows, title="Nest & parts"), kind="xlsx")
    assert not parsed.usable and not parsed.lines
    assert "Sheet 'Nest & parts': B4 holds a formula (=SUM(B3:B3)) without a saved value" in parsed.problem()


def test_an_error_value_names_its_cell() -> None:
    rows: list[list[object]] = [HEADER, ["Rivet", "=1/0", "pcs"]]
    parsed = parse_cut_export(with_saved_values(workbook(rows), {"B2": ("e", "#DIV/0!")}), kind="xlsx")
    assert not parsed.usable and "B2 holds the error #DIV/0!" in parsed.problem()


def test_the_same_lines_as_xlsx_and_csv_have_one_fingerprint() -> None:
    from_xlsx = parse_cut_export(sample_bytes("TAG-20250615-0007_cutexport_v1.xlsx"), kind="xlsx")
    from_csv = parse_cut_export(sample_bytes("TAG-20250615-0007_cutexport_v1.csv"), kind="csv")
    assert from_xlsx.fingerprint() == from_csv.fingerprint() is not None
    lines = cut_export_lines(40, seed=9)
    titled = xlsx_bytes(lines, title_rows=["NEST 12", "Machine CNC-2"])
    assert (
        parse_cut_export(titled, kind="xlsx").fingerprint()
        == parse_cut_export(csv_bytes(lines), kind="csv").fingerprint()
    )
    other = [dict(line) for line in lines]
    other[7]["qty"] = "999"
    assert (
        parse_cut_export(csv_bytes(other), kind="csv").fingerprint()
        != parse_cut_export(csv_bytes(lines), kind="csv").fingerprint()
    )
