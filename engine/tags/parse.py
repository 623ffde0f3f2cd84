"""Cut exports (``.xlsx`` / ``.csv``) → tag lines.

There is no standard format (DOMAIN "Tags"): columns are found by header aliases, units go through
the synonym table, decimal commas are accepted only when unambiguous. Parsing is pure: it reads
bytes and returns lines or line errors; it never touches the store.

Hostile containers (a zip bomb, a declared million-row area) raise ``ValidationError`` so nothing
is stored. A file within the limits that cannot be read (truncated, not a workbook, a legacy
encoding, a formula without a saved value) comes back as a ``ParsedSheet`` with a ``failure``, and
one whose lines are unusable with ``errors``; the ingest pipeline keeps either file and raises a
``PARSE_ERROR`` for it (DOMAIN "Tags" step 7).

Formula cells are read by the value Excel saved with them; a totals row (labelled "Total", or a
formula in the quantity column without a description) is not a line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from python_calamine import CalamineError, CalamineWorkbook

from engine.mapping.normalise import normalise_description
from engine.tags import xlsx_guard
from engine.tags.xlsx_guard import SheetFacts, UnreadableFile
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
_TOTAL_LABEL = re.compile(r"^(?:grand |sub ?|sub-)?totals?(?: (?:qty|quantity|area|m2|sheets|pcs))?$")
_TEXT_FIELDS = ("description", "part_no", "remarks", "uom", "sheet_size_mm")  # where formula text is refused


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
    failure: str | None = None  # the file itself could not be read

    @property
    def usable(self) -> bool:
        return bool(self.lines) and not self.errors and self.failure is None

    def fingerprint(self) -> str | None:
        """What the lines say, whatever file they came in: the same cut export saved as .xlsx and as
        .csv has other bytes but this same value. Numbers compare at the scale they are stored with
        (Excel keeps 24.650000000000002 where its CSV writes 24.65); descriptions normalised."""
        if not self.usable:
            return None
        return hashlib.sha256("\x1e".join(_line_key(line) for line in self.lines).encode()).hexdigest()

    def problem(self) -> str:
        if self.failure is not None:
            return self.failure
        if not self.columns:
            wanted = "/".join(ALIASES["description"][:3]) + " and " + "/".join(ALIASES["qty"][:2])
            return f"No header row found: the sheet needs columns named {wanted}."
        if self.errors:
            shown = "; ".join(str(e) for e in self.errors[:10])
            more = f" (and {len(self.errors) - 10} more)" if len(self.errors) > 10 else ""
            return f"{len(self.errors)} line(s) cannot be read: {shown}{more}."
        return "The sheet has a header but no lines with a description and a quantity."


def _line_key(line: ParsedLine) -> str:
    # Numbers at the scale each is stored with (tag_line columns); written out, not looped over:
    # this runs for every line of every upload.
    return "\x1f".join(
        (
            line.description_norm,
            line.uom,
            line.part_no or "",
            line.sheet_size_mm or "",
            line.remarks or "",
            format(line.qty, ".4f"),
            "" if line.thickness_mm is None else format(line.thickness_mm, ".2f"),
            "" if line.sheet_width_mm is None else format(line.sheet_width_mm, ".1f"),
            "" if line.sheet_length_mm is None else format(line.sheet_length_mm, ".1f"),
            "" if line.sheets is None else format(line.sheets, ".3f"),
            "" if line.net_area_m2 is None else format(line.net_area_m2, ".4f"),
            "" if line.length_mm is None else format(line.length_mm, ".1f"),
            "" if line.width_mm is None else format(line.width_mm, ".1f"),
            "" if line.weight_kg is None else format(line.weight_kg, ".3f"),
        )
    )


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
        raise UnreadableFile(
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
        raise UnreadableFile(f"The CSV cannot be read: {exc}.", field="file") from exc


@dataclass(frozen=True)
class _Sheet:
    name: str
    rows: list[list[object]]
    facts: SheetFacts = field(default_factory=SheetFacts)


def _xlsx_sheets(content: bytes) -> list[_Sheet]:
    facts = xlsx_guard.check(content)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets: list[_Sheet] = []
        for meta in workbook.sheets_metadata:
            if str(meta.visible).endswith("Visible") and str(meta.typ).endswith("WorkSheet"):
                sheet = workbook.get_sheet_by_name(meta.name)
                rows: list[list[object]] = sheet.to_python(skip_empty_area=False, nrows=MAX_LINES + 100)  # type: ignore[assignment]
                sheets.append(_Sheet(meta.name, rows, facts.get(meta.name, SheetFacts())))
        return sheets
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableFile(
            f"The workbook cannot be read ({type(exc).__name__}: {str(exc)[:200]}). Open it in Excel, "
            "save it again as .xlsx and upload that file.",
            field="file",
        ) from exc


def _unsaved_values(sheet: _Sheet) -> str | None:
    """Cells a reader would see as empty although the author's sheet shows something there."""
    problems = sheet.facts.no_value
    if not problems:
        return None
    shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    return (
        f"Sheet {sheet.name!r}: {shown}. Open the file in Excel, let it calculate (F9), fix any error "
        "cells, save it and upload again."
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
    try:
        sheets = _xlsx_sheets(content) if kind == "xlsx" else [_Sheet("csv", _csv_rows(content))]
    except UnreadableFile as unreadable:
        return ParsedSheet(failure=unreadable.message)
    for sheet in sheets:
        found = _find_header(sheet.rows)
        if found is None:
            continue
        failure = _unsaved_values(sheet)
        if failure is not None:
            return ParsedSheet(failure=failure, sheet_name=sheet.name)
        header_index, columns = found
        parsed = _parse_rows(sheet.rows, header_index, columns, sheet.facts.column_row())
        parsed.sheet_name = sheet.name
        return parsed
    return ParsedSheet()


def _cell(row: list[object], columns: dict[str, int], name: str) -> object:
    position = columns.get(name)
    if position is None or position >= len(row):
        return None
    return row[position]


def _is_totals_row(
    row: list[object], description: str | None, qty_cell: tuple[int, int], formulas: set[tuple[int, int]]
) -> bool:
    """A totals row: "Total" (or the like) where a description would be or beside an empty one, or
    a formula in the quantity column of a row without a description."""
    if description is not None:
        return _is_total_label(description)
    if qty_cell in formulas:
        return True
    return any(isinstance(cell, str) and _is_total_label(cell) for cell in row)


def _is_total_label(text: str) -> bool:
    head = text.lstrip()[:1].lower()
    if len(text) > 40 or head not in ("t", "g", "s"):  # cheap: every line's description passes here
        return False
    return bool(_TOTAL_LABEL.match(" ".join(text.lower().replace(":", " ").split())))


def _formula_text(rows: list[list[object]], start: int, columns: dict[str, int]) -> dict[int, str]:
    """Text that starts with '=' is a formula someone pasted as text (``=HYPERLINK(...)``); a cut
    export holds values. (Exports guard such text too; the line is refused so nobody maps it.)
    One pass over the line cells; the rows that hold such text, with the reason."""
    positions = [(name, columns[name]) for name in _TEXT_FIELDS if name in columns]
    found: dict[int, str] = {}
    for index in range(start, len(rows)):
        row = rows[index]
        for name, position in positions:
            cell = row[position] if position < len(row) else None
            if isinstance(cell, str) and cell.lstrip().startswith("="):
                found[index] = (
                    f"{name} in column {position + 1} holds formula text ({cell.strip()[:40]!r}); "
                    "paste values only and upload again"
                )
                break
    return found


def _parse_rows(
    rows: list[list[object]],
    header_index: int,
    columns: dict[str, int],
    formulas: set[tuple[int, int]] | None = None,
) -> ParsedSheet:
    header = rows[header_index]
    parsed = ParsedSheet(columns={name: str(header[pos]).strip() for name, pos in columns.items()})
    formula_text = _formula_text(rows, header_index + 1, columns)
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        source_row = index + 1  # 1-based, as the user sees it in Excel or a text editor
        if all(_text(cell) is None for cell in row):
            continue
        description = _text(_cell(row, columns, "description"))
        if _is_totals_row(row, description, (index, columns["qty"]), formulas or set()):
            continue
        if len(parsed.lines) >= MAX_LINES:
            parsed.errors.append(LineError(source_row, f"more than {MAX_LINES} lines; split the nest"))
            break
        if index in formula_text:
            parsed.errors.append(LineError(source_row, formula_text[index]))
            continue
        try:
            line = _parse_line(row, columns, description, source_row, len(parsed.lines) + 1)
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
    row: list[object], columns: dict[str, int], description: str | None, source_row: int, line_no: int
) -> ParsedLine | None:
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
