"""Checks on an .xlsx container before any reader sees it.

An .xlsx is a zip of XML parts. Two kinds of bad file are told apart:

* hostile ones — a zip bomb, a part that unpacks far beyond its size, a sheet that declares or
  reaches a million rows (readers allocate the declared area) — are refused with ``ValidationError``
  and nothing is stored;
* unreadable ones — truncated, not a zip, no workbook inside, a damaged part — raise
  ``UnreadableFile`` (a ``ValidationError`` too): the tag pipeline keeps such a file and raises a
  ``PARSE_ERROR`` for it (DOMAIN "Tags" step 7), other importers refuse it.

Formula cells are read by their cached value (the value Excel saved with the file; a ``=SUM`` totals
row is common). The guard reports, per sheet, which cells hold formulas and which cells have no
usable value: a formula without a cached value (a file written by a library that never calculated
it) or an error value (``#DIV/0!``), both of which a reader would silently turn into an empty cell.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field

from engine.errors import ValidationError

MAX_UNCOMPRESSED = 100 * 1024 * 1024  # a 20,000-line nest is under 10 MB of sheet XML
MAX_RATIO = 200  # real sheet XML compresses 5-20x; a few hundred means a crafted file
MAX_ROWS = 60_000
MAX_COLUMNS = 500
MAX_PROBLEM_CELLS = 20  # enough to say what is wrong; the rest are counted

_DIMENSION = re.compile(rb'<dimension\s+ref="[A-Z]+\d+:([A-Z]+)(\d+)"')
_CELL_REF = re.compile(rb'<c\s+r="([A-Z]{1,3})(\d+)"')
_FORMULA = re.compile(rb"<f[\s>/]")
_REF = re.compile(rb'\br="([A-Z]{1,3}\d+)"')
_TYPE = re.compile(rb'\bt="([a-zA-Z]+)"')
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")
_ERROR_CELL = re.compile(rb'<c\s[^>]*\bt="e"[^>]*>')
_SHEET_ENTRY = re.compile(rb"<sheet\s[^>]*>")
_RELATIONSHIP = re.compile(rb"<Relationship\s[^>]*>")
_REL_ID = re.compile(rb'\s\w+:id="([^"]*)"')  # r:id, whatever prefix the workbook bound


def _attribute(tag: bytes, name: bytes) -> str | None:
    found = re.search(rb"(?:^|\s)" + re.escape(name) + rb'="([^"]*)"', tag)
    return html.unescape(found[1].decode("utf-8", "replace")) if found else None


class UnreadableFile(ValidationError):
    """The file is within the limits but cannot be read as a cut export (kept as a PARSE_ERROR)."""


@dataclass
class SheetFacts:
    """What the guard saw in one worksheet."""

    formulas: set[str] = field(default_factory=set)  # cell refs, e.g. "B18"
    no_value: list[str] = field(default_factory=list)  # "B18 holds =SUM(...) without a saved value"

    def column_row(self) -> set[tuple[int, int]]:
        """The formula cells as (0-based row, 0-based column), as a reader's rows index them."""
        out = set()
        for ref in self.formulas:
            letters = ref.rstrip("0123456789")
            out.add((int(ref[len(letters) :]) - 1, _column_number(letters.encode()) - 1))
        return out


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, field="file")


def _unreadable(message: str) -> UnreadableFile:
    return UnreadableFile(message, field="file")


def check(content: bytes) -> dict[str, SheetFacts]:
    """Refuse hostile containers; return what each worksheet holds, keyed by its sheet name."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise _unreadable(
            "The file is not a valid .xlsx workbook: it is truncated or not a zip container (an old .xls, "
            "or another file renamed to .xlsx?). Save it from Excel as .xlsx or export a .csv."
        ) from exc
    with archive:
        members = archive.infolist()
        _check_sizes(members)
        if "xl/workbook.xml" not in {m.filename for m in members}:
            raise _unreadable(
                "The zip holds no Excel workbook (xl/workbook.xml is missing). Upload an .xlsx or .csv."
            )
        names = _sheet_names(archive)
        facts: dict[str, SheetFacts] = {}
        for member in members:
            if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                part = member.filename.rsplit("/", 1)[-1].removesuffix(".xml")
                name = names.get(member.filename, part)
                facts[name] = _check_sheet(_read(archive, member), name)
        return facts


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise _refuse(
            f"The workbook unpacks to {total / 1_048_576:,.0f} MB, more than the "
            f"{MAX_UNCOMPRESSED / 1_048_576:,.0f} MB a cut export can need. Export only the nest's sheet."
        )
    for member in members:
        if member.file_size > 1_048_576 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise _refuse(f"The workbook part {member.filename} is compressed suspiciously far; refused.")


def _read(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    # The reader stops at the size the zip declares (checked above), so a lying header cannot
    # unpack more than that; a damaged stream fails its CRC instead.
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile, ValueError) as exc:
        raise _unreadable(
            f"The workbook is damaged ({member.filename} cannot be unpacked). Open it in Excel, save it "
            "again and upload that file."
        ) from exc


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part → the sheet's name as Excel shows it (workbook.xml and its relationships)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, EOFError, OSError, ValueError):
        return {}
    targets = {}
    for tag in _RELATIONSHIP.findall(rels):
        rel_id, target = _attribute(tag, b"Id"), _attribute(tag, b"Target")
        if rel_id and target:
            targets[rel_id] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    names = {}
    for tag in _SHEET_ENTRY.findall(workbook):
        name, found = _attribute(tag, b"name"), _REL_ID.search(tag)
        target = targets.get(found[1].decode()) if found else None
        if name and target:
            names[target] = name
    return names


def _check_sheet(xml: bytes, sheet: str) -> SheetFacts:
    declared = _DIMENSION.search(xml[:4096])
    if declared:
        _check_extent(sheet, _column_number(declared[1]), int(declared[2]), "declares")
    max_col = max_row = 0
    for letters, digits in _CELL_REF.findall(xml):
        max_col = max(max_col, _column_number(letters))
        max_row = max(max_row, int(digits))
    _check_extent(sheet, max_col, max_row, "has cells out to")
    facts = SheetFacts()
    for found in _FORMULA.finditer(xml):
        _formula_cell(xml, found.start(), facts)
    for found in _ERROR_CELL.finditer(xml):
        _error_cell(xml, found, facts)
    return facts


def _formula_cell(xml: bytes, at: int, facts: SheetFacts) -> None:
    start, end = xml.rfind(b"<c ", 0, at), xml.find(b"</c>", at)
    if start < 0 or end < 0:
        return
    cell = xml[start:end]
    ref = _REF.search(cell[: cell.find(b">") + 1])
    if ref is None:
        return
    name = ref[1].decode()
    facts.formulas.add(name)
    value = _VALUE.search(cell)
    kind = _TYPE.search(cell[: cell.find(b">") + 1])
    # A string result may be cached as empty (=IF(...,"")); a number cannot.
    cached = value is not None and (value[1].strip() != b"" or (kind is not None and kind[1] == b"str"))
    if not cached and len(facts.no_value) < MAX_PROBLEM_CELLS:
        formula = re.search(rb"<f[^>]*>([^<]*)</f>", cell)
        shown = html.unescape(formula[1].decode("utf-8", "replace"))[:40] if formula and formula[1] else ""
        facts.no_value.append(
            f"{name} holds a formula{f' (={shown})' if shown else ''} without a saved value"
        )


def _error_cell(xml: bytes, found: re.Match[bytes], facts: SheetFacts) -> None:
    end = xml.find(b"</c>", found.end())
    ref = _REF.search(found[0])
    value = _VALUE.search(xml[found.end() : end]) if end >= 0 else None
    if ref is not None and len(facts.no_value) < MAX_PROBLEM_CELLS:
        shown = value[1].decode("utf-8", "replace") if value else "an error"
        facts.no_value.append(f"{ref[1].decode()} holds the error {shown}")


def _check_extent(sheet: str, columns: int, rows: int, verb: str) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise _refuse(
            f"The workbook's {sheet} {verb} {rows:,} rows × {columns:,} columns; a cut export fits in "
            f"{MAX_ROWS:,} rows × {MAX_COLUMNS} columns. Delete the empty area or export a .csv."
        )
