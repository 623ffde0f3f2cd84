"""Checks on an .xlsx container before any reader sees it.

An .xlsx is a zip of XML parts. A truncated or renamed file, a zip bomb, a sheet that declares a
million rows (readers allocate the declared area) or formula cells (their cached values are
whatever the author's Excel last computed, and ``=HYPERLINK(...)`` is an injection vector once the
text is exported again) are refused here with a message saying what to do.
"""

from __future__ import annotations

import io
import re
import zipfile

from engine.errors import ValidationError

MAX_UNCOMPRESSED = 100 * 1024 * 1024  # a 20,000-line nest is under 10 MB of sheet XML
MAX_RATIO = 200  # real sheet XML compresses 5-20x; a few hundred means a crafted file
MAX_ROWS = 60_000
MAX_COLUMNS = 500

_DIMENSION = re.compile(rb'<dimension\s+ref="[A-Z]+\d+:([A-Z]+)(\d+)"')
_CELL_REF = re.compile(rb'<c\s+r="([A-Z]{1,3})(\d+)"')
_FORMULA_CELL = re.compile(rb'<c\s+r="([A-Z]{1,3}\d+)"[^>]*>(?:(?!</c>).){0,400}?<f[\s>/]', re.DOTALL)


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, field="file")


def check(content: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise _refuse(
            "The file is not a valid .xlsx workbook: it is truncated or not a zip container (an old .xls, "
            "or another file renamed to .xlsx?). Save it from Excel as .xlsx or export a .csv."
        ) from exc
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if "xl/workbook.xml" not in names:
            raise _refuse(
                "The zip holds no Excel workbook (xl/workbook.xml is missing). Upload an .xlsx or .csv."
            )
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED:
            raise _refuse(
                f"The workbook unpacks to {total / 1_048_576:,.0f} MB, more than the "
                f"{MAX_UNCOMPRESSED / 1_048_576:,.0f} MB a cut export can need. Export only the nest's sheet."
            )
        for member in members:
            if member.file_size > 1_048_576 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise _refuse(f"The workbook part {member.filename} is compressed suspiciously far; refused.")
        for member in members:
            if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                _check_sheet(archive, member)


def _check_sheet(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    try:
        xml = archive.read(member)
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
        raise _refuse(
            f"The workbook is damaged ({member.filename} cannot be unpacked). Save it again."
        ) from exc
    sheet = member.filename.rsplit("/", 1)[-1].removesuffix(".xml")
    declared = _DIMENSION.search(xml[:4096])
    if declared:
        _check_extent(sheet, _column_number(declared[1]), int(declared[2]), "declares")
    max_col = max_row = 0
    for letters, digits in _CELL_REF.findall(xml):
        max_col = max(max_col, _column_number(letters))
        max_row = max(max_row, int(digits))
    _check_extent(sheet, max_col, max_row, "has cells out to")
    formula = _FORMULA_CELL.search(xml)
    if formula:
        raise _refuse(
            f"Cell {formula[1].decode()} of {sheet} holds a formula. Formulas are not accepted in cut "
            "exports: copy the sheet and paste values only, then upload again."
        )


def _check_extent(sheet: str, columns: int, rows: int, verb: str) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        raise _refuse(
            f"The workbook's {sheet} {verb} {rows:,} rows × {columns:,} columns; a cut export fits in "
            f"{MAX_ROWS:,} rows × {MAX_COLUMNS} columns. Delete the empty area or export a .csv."
        )
