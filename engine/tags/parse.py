"""Cut exports (``.xlsx`` / ``.csv``) → tag lines.

There is no standard format (DOMAIN "Tags"): columns are found by header aliases, units go through
the synonym table, decimal commas are accepted only when unambiguous. Parsing is pure: it reads
bytes and returns lines or line errors; it never touches the store.

Container problems (not a workbook, truncated, a zip bomb, formulas, a legacy encoding) raise
``ValidationError`` so nothing is stored; a readable file whose lines are unusable comes back as a
``ParsedSheet`` with ``errors`` and becomes a ``PARSE_ERROR`` exception in the ingest pipeline.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from python_calamine import CalamineError, CalamineWorkbook

from engine.errors import ValidationError
from engine.mapping.normalise import normalise_description
from engine.tags import xlsx_guard
from engine.units import known_units, normalise_unit

MAX_LINES = 20_000  # a nest of one tag; the largest real exports seen hold a few thousand parts
MAX_DESCRIPTION = 500
HEADER_SEARCH_ROWS = 25  # title blocks above the header row are common in nesting exports

ALIASES: dict[str, tuple[str, ...]] = {
    "description": (
        "nesting_description",
        "description",
        "material",
        "material_description",
        "item",
        "item_description",
        "nesting_desc",
        "desc",
    ),
    "qty": ("qty", "quantity", "qty_required", "required_qty", "req_qty"),
    "uom": ("unit", "uom", "units", "unit_of_measure"),
    "net_area_m2": ("net_area_m2", "net_area", "area_m2", "net_area_sqm"),
    "sheet_size_mm": ("sheet_size_mm", "sheet_size", "board_size", "sheet_dimensions"),
    "sheets": ("sheets", "no_of_sheets", "sheet_count", "boards", "sheet_qty"),
    "part_no": ("part_no", "part", "part_number", "partno", "part_id"),
    "thickness_mm": ("thickness_mm", "thickness", "thk", "thk_mm"),
    "line_no": ("line", "line_no", "line_number", "sr_no", "s_no", "sl_no"),
    "length_mm": ("length_mm", "length"),
    "width_mm": ("width_mm", "width"),
    "weight_kg": ("weight_kg", "weight"),
    "remarks": ("remarks", "notes", "comment", "comments", "remark"),
    "tag_ref": ("tag", "tag_id", "tag_no", "tag_number", "tag_ref"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_SHEET_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[xX×*]\s*(\d+(?:\.\d+)?)\s*(?:mm)?\s*$")
_PLAIN = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_COMMA_THOUSANDS_ONLY = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")
_US_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$")
_EU_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$")


@dataclass(frozen=True)
class ParsedLine:
    line_no: int
    source_row: int
    description: str
    description_norm: str
    qty: Decimal
    uom: str
    uom_raw: str | None
    part_no: str | None = None
    thickness_mm: Decimal | None = None
    sheet_size_mm: str | None = None
    sheet_length_mm: Decimal | None = None
    sheet_width_mm: Decimal | None = None
    sheets: Decimal | None = None
    net_area_m2: Decimal | None = None
    length_mm: Decimal | None = None
    width_mm: Decimal | None = None
    weight_kg: Decimal | None = None
    remarks: str | None = None


@dataclass(frozen=True)
class LineError:
    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


@dataclass
class ParsedSheet:
    lines: list[ParsedLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    tag_refs: set[str] = field(default_factory=set)
    columns: dict[str, str] = field(default_factory=dict)
    sheet_name: str | None = None

    @property
    def usable(self) -> bool:
        return bool(self.lines) and not self.errors

    def problem(self) -> str:
        if not self.columns:
            wanted = "/".join(ALIASES["description"][:3]) + " and " + "/".join(ALIASES["qty"][:2])
            return f"No header row found: the sheet needs columns named {wanted}."
        if self.errors:
            shown = "; ".join(str(e) for e in self.errors[:10])
            more = f" (and {len(self.errors) - 10} more)" if len(self.errors) > 10 else ""
            return f"{len(self.errors)} line(s) cannot be read: {shown}{more}."
        return "The sheet has a header but no lines with a description and a quantity."


def _header_key(cell: object) -> str:
    text = unicodedata.normalize("NFKC", str(cell or "")).strip().lower()
    text = text.replace("²", "2")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def parse_decimal(value: object) -> Decimal | None:
    """A number from a cell; raises ValueError with the reason when it is not one (or ambiguous)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("is not a finite number")
        return Decimal(repr(value))  # the shortest decimal that round-trips: what Excel shows
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if _PLAIN.match(text):
        normalised = text
    elif _US_GROUPED.match(text):
        normalised = text.replace(",", "")
    elif _EU_GROUPED.match(text):
        normalised = text.replace(".", "").replace(",", ".")
    elif re.match(r"^[+-]?\d+,\d{3}$", text):
        raise ValueError(f"{text!r} is ambiguous (a decimal comma or a thousands separator?)")
    elif _COMMA_THOUSANDS_ONLY.match(text):
        normalised = text.replace(",", "")
    elif _COMMA_DECIMAL.match(text):
        normalised = text.replace(",", ".")
    else:
        raise ValueError(f"{text!r} is not a number")
    try:
        return Decimal(normalised)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above admit only numbers
        raise ValueError(f"{text!r} is not a number") from exc


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _decode_csv(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ValidationError(
            f"The CSV is not UTF-8 (byte 0x{content[exc.start]:02X} on line {line}); it was saved in a "
            "legacy encoding, where the same byte means different letters (Ø in Western, ط in Arabic "
            "code pages). In Excel use Save As → 'CSV UTF-8', then upload again.",
            field="file",
        ) from exc


def _csv_rows(content: bytes) -> list[list[object]]:
    text = _decode_csv(content)
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as exc:
        raise ValidationError(f"The CSV cannot be read: {exc}.", field="file") from exc


def _xlsx_sheets(content: bytes) -> list[tuple[str, list[list[object]]]]:
    xlsx_guard.check(content)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets: list[tuple[str, list[list[object]]]] = []
        for meta in workbook.sheets_metadata:
            if str(meta.visible).endswith("Visible") and str(meta.typ).endswith("WorkSheet"):
                sheet = workbook.get_sheet_by_name(meta.name)
                rows: list[list[object]] = sheet.to_python(skip_empty_area=False, nrows=MAX_LINES + 100)  # type: ignore[assignment]
                sheets.append((meta.name, rows))
        return sheets
    except (CalamineError, ValueError, OSError) as exc:
        raise ValidationError(
            f"The workbook cannot be read ({type(exc).__name__}: {str(exc)[:200]}). Open it in Excel, "
            "save it again as .xlsx and upload that file.",
            field="file",
        ) from exc


def _refuse_formula_text(sheet: str, rows: list[list[object]]) -> None:
    """Text that starts with '=' becomes a live formula (``=HYPERLINK(...)``) when the lines are
    exported to a spreadsheet again; a cut export has no reason to carry one."""
    for index, row in enumerate(rows):
        for position, cell in enumerate(row):
            if isinstance(cell, str) and cell.lstrip().startswith("="):
                where = f"row {index + 1}, column {position + 1}" + ("" if sheet == "csv" else f" of {sheet}")
                raise ValidationError(
                    f"The cell at {where} holds a formula ({cell.strip()[:40]!r}). Formulas are not accepted "
                    "in cut exports: paste values only and upload again.",
                    field="file",
                )


def _find_header(rows: list[list[object]]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(row):
            name = _ALIAS_TO_FIELD.get(_header_key(cell))
            if name and name not in columns:
                columns[name] = position
        if "description" in columns and "qty" in columns:
            return index, columns
    return None


def parse_cut_export(content: bytes, *, kind: str) -> ParsedSheet:
    """``kind`` is ``xlsx`` or ``csv`` (decided by preflight from name and content)."""
    sheets = _xlsx_sheets(content) if kind == "xlsx" else [("csv", _csv_rows(content))]
    for name, rows in sheets:
        _refuse_formula_text(name, rows)
        found = _find_header(rows)
        if found is not None:
            header_index, columns = found
            parsed = _parse_rows(rows, header_index, columns)
            parsed.sheet_name = name
            return parsed
    return ParsedSheet()


def _cell(row: list[object], columns: dict[str, int], name: str) -> object:
    position = columns.get(name)
    if position is None or position >= len(row):
        return None
    return row[position]


def _parse_rows(rows: list[list[object]], header_index: int, columns: dict[str, int]) -> ParsedSheet:
    header = rows[header_index]
    parsed = ParsedSheet(columns={name: str(header[pos]).strip() for name, pos in columns.items()})
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        source_row = index + 1  # 1-based, as the user sees it in Excel or a text editor
        if all(_text(cell) is None for cell in row):
            continue
        if len(parsed.lines) >= MAX_LINES:
            parsed.errors.append(LineError(source_row, f"more than {MAX_LINES} lines; split the nest"))
            break
        try:
            line = _parse_line(row, columns, source_row, len(parsed.lines) + 1)
        except ValueError as exc:
            parsed.errors.append(LineError(source_row, str(exc)))
            continue
        if line is None:
            continue
        tag_ref = _text(_cell(row, columns, "tag_ref"))
        if tag_ref:
            parsed.tag_refs.add(tag_ref.upper())
        parsed.lines.append(line)
    return parsed


def _number(row: list[object], columns: dict[str, int], name: str) -> Decimal | None:
    try:
        return parse_decimal(_cell(row, columns, name))
    except ValueError as exc:
        raise ValueError(f"{name} {exc}") from exc


def _parse_line(
    row: list[object], columns: dict[str, int], source_row: int, line_no: int
) -> ParsedLine | None:
    description = _text(_cell(row, columns, "description"))
    qty = _number(row, columns, "qty")
    if description is None:
        if qty is None:
            return None  # a spacer or a totals row without a description
        raise ValueError("a quantity without a description")
    if len(description) > MAX_DESCRIPTION:
        raise ValueError(f"description longer than {MAX_DESCRIPTION} characters")
    if qty is None:
        raise ValueError(f"no quantity for {description[:60]!r}")
    if qty <= 0:
        raise ValueError(f"quantity {qty} for {description[:60]!r} is not positive")
    sheets = _number(row, columns, "sheets")
    uom_raw = _text(_cell(row, columns, "uom"))
    uom = normalise_unit(uom_raw)
    if uom is None:
        if uom_raw is None and sheets is not None:
            uom = "sht"
        elif uom_raw is None:
            raise ValueError(f"no unit for {description[:60]!r}")
        else:
            raise ValueError(f"unit {uom_raw!r} is not known (known: {', '.join(known_units())})")
    size_text = _text(_cell(row, columns, "sheet_size_mm"))
    sheet_length = sheet_width = None
    if size_text is not None:
        match = _SHEET_SIZE.match(size_text)
        if not match:
            raise ValueError(f"sheet size {size_text!r} is not like 1200x4000")
        sheet_width, sheet_length = Decimal(match[1]), Decimal(match[2])
    for name, value in (("sheets", sheets),):
        if value is not None and value < 0:
            raise ValueError(f"{name} {value} is negative")
    return ParsedLine(
        line_no=line_no,
        source_row=source_row,
        description=description,
        description_norm=normalise_description(description),
        qty=qty,
        uom=uom,
        uom_raw=uom_raw,
        part_no=_text(_cell(row, columns, "part_no")),
        thickness_mm=_number(row, columns, "thickness_mm"),
        sheet_size_mm=size_text,
        sheet_length_mm=sheet_length,
        sheet_width_mm=sheet_width,
        sheets=sheets,
        net_area_m2=_number(row, columns, "net_area_m2"),
        length_mm=_number(row, columns, "length_mm"),
        width_mm=_number(row, columns, "width_mm"),
        weight_kg=_number(row, columns, "weight_kg"),
        remarks=(_text(_cell(row, columns, "remarks")) or None),
    )
