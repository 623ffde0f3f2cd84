"""Every file the engine hands out (exports, pick lists): one CSV and one .xlsx writer, both with the
formula guard.

A cell whose text starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
written with a leading apostrophe, so a spreadsheet shows it as text instead of running it
(``=HYPERLINK(...)`` in a description is the classic CSV-injection vector). Numbers stay numbers.
The importers take the apostrophe off again (``unguard``), so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from pydantic import BaseModel, ConfigDict

from engine.errors import ValidationError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class FileDownload(BaseModel):
    model_config = ConfigDict(frozen=True)

    file_name: str
    media_type: str
    content: bytes


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def guard(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert."""
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def unguard(text: str) -> str:
    """The original text of a guarded cell (what ``guard`` added is taken off)."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START) and not _is_number(text[1:]):
        return text[1:]
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return guard(str(value))


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV (with a BOM, so Excel reads the encoding right) of ``rows`` under ``columns``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([guard(c) for c in columns])
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_sections(
    first: tuple[Sequence[str], Iterable[Sequence[Any]]],
    *more: tuple[str, Sequence[str], Iterable[Sequence[Any]]],
) -> bytes:
    """One CSV of several tables: the first as ``csv_bytes`` writes it, then each further one after an
    empty row, under a one-cell title row and its own header (a pick list, then what it does not cover)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for title, columns, rows in ((None, *first), *more):
        if title is not None:
            writer.writerows([[], [guard(title)]])
        writer.writerow([guard(c) for c in columns])
        writer.writerows([_text(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, date, datetime)):
        return value
    if isinstance(value, Decimal):
        return value  # openpyxl writes it as a number
    return guard(str(value))


def xlsx_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]  # Excel's limit for a sheet name
    sheet.append([guard(c) for c in columns])
    for row in rows:
        sheet.append([_cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def table_file(
    stem: str, columns: Sequence[str], rows: Iterable[dict[str, Any]], *, fmt: TableFormat | str
) -> FileDownload:
    """Rows (dicts keyed by column) as the .csv or .xlsx file an import takes back."""
    try:
        chosen = TableFormat(fmt)
    except ValueError as exc:
        raise ValidationError(f"Export format {fmt!r}: use csv or xlsx.", field="format") from exc
    values = [[row.get(c) for c in columns] for row in rows]
    if chosen is TableFormat.XLSX:
        return FileDownload(
            file_name=f"{stem}.xlsx",
            media_type=XLSX_MEDIA_TYPE,
            content=xlsx_bytes(columns, values, title=stem),
        )
    return FileDownload(file_name=f"{stem}.csv", media_type="text/csv", content=csv_bytes(columns, values))
