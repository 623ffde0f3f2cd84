"""Pick lists per date (and per tag) from ``allocation_log``, as CSV and PDF, with the lines they do not
cover (allocated short, or skipped) in a section of their own, so the storeman knows what is missing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.exports import csv_sections
from engine.store.sqlfiles import load_sql
from engine.units import format_qty
from engine.vocab import AllocationStatus


class PickItem(BaseModel):
    """One SKU to pick, with the tag lines it serves."""

    model_config = ConfigDict(frozen=True)

    sap_code: str
    description: str | None
    sap_uom: str
    sap_qty: Decimal
    canonical_code: str
    canonical_qty: Decimal
    canonical_uom: str
    tags: list[str]
    lines: list[str]


class NotCovered(BaseModel):
    """A line the pick list does not (fully) cover: allocated short (PARTIAL, UNALLOCATED) or SKIPPED.
    ``missing`` is in ``unit``: the material's unit, or the line's own for a line never converted."""

    model_config = ConfigDict(frozen=True)

    tag_id: str
    line_no: int
    part_no: str | None
    description: str
    status: AllocationStatus
    canonical_code: str | None
    needed: Decimal | None
    covered: Decimal
    missing: Decimal | None
    unit: str | None
    reason: str | None
    exception_id: str | None

    @classmethod
    def from_row(cls, row: Any) -> NotCovered:
        converted = row.required_qty is not None
        needed = row.required_qty if converted else row.line_qty
        covered = row.allocated_qty or Decimal(0)
        return cls(
            tag_id=row.tag_id,
            line_no=row.line_no,
            part_no=row.part_no,
            description=row.nesting_description,
            status=AllocationStatus(row.status),
            canonical_code=row.canonical_code,
            needed=needed,
            covered=covered,
            missing=row.shortfall_qty if converted and row.shortfall_qty else needed,
            unit=row.canonical_uom if converted else row.line_uom,
            reason=row.reason,
            exception_id=row.exception_id,
        )


class PickList(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_date: date
    tag_id: str | None
    items: list[PickItem]
    not_covered: list[NotCovered] = []

    @property
    def empty(self) -> bool:
        return not self.items

    @property
    def file_stem(self) -> str:
        """``picklist_20270105`` (``_TAG-…`` for one tag): the name of its CSV and PDF files."""
        return f"picklist_{self.run_date:%Y%m%d}" + (f"_{self.tag_id}" if self.tag_id else "")

    @property
    def short(self) -> list[NotCovered]:
        return [gap for gap in self.not_covered if gap.status is not AllocationStatus.SKIPPED]

    @property
    def skipped(self) -> list[NotCovered]:
        return [gap for gap in self.not_covered if gap.status is AllocationStatus.SKIPPED]


def pick_list(conn: Connection, run_date: date, tag_id: str | None = None) -> PickList:
    rows = conn.execute(load_sql("allocation/pick_list"), {"run_date": run_date, "tag_id": tag_id}).all()
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.sap_code].append(row)
    items = []
    for sap_code, group in grouped.items():
        first = group[0]
        items.append(
            PickItem(
                sap_code=sap_code,
                description=first.sku_description,
                sap_uom=first.sap_uom,
                sap_qty=sum((r.sap_qty for r in group), Decimal(0)),
                canonical_code=first.canonical_code,
                canonical_uom=first.canonical_uom,
                canonical_qty=sum((r.canonical_qty for r in group), Decimal(0)),
                tags=sorted({r.tag_id for r in group}),
                lines=[
                    f"{r.tag_id}#{r.line_no} {r.nesting_description} ({format_qty(r.sap_qty)} {r.sap_uom})"
                    for r in group
                ],
            )
        )
    gaps = conn.execute(load_sql("allocation/not_covered"), {"run_date": run_date, "tag_id": tag_id}).all()
    return PickList(
        run_date=run_date, tag_id=tag_id, items=items, not_covered=[NotCovered.from_row(r) for r in gaps]
    )


PICK_COLUMNS = (
    "date",
    "sap_code",
    "description",
    "sap_qty",
    "sap_uom",
    "canonical_code",
    "canonical_qty",
    "canonical_uom",
    "tags",
    "lines",
)


NOT_COVERED_TITLE = "Not covered: lines allocated short or skipped (nothing to pick for what is missing)"
NOT_COVERED_COLUMNS = (
    "date",
    "tag",
    "line",
    "part_no",
    "description",
    "status",
    "canonical_code",
    "needed",
    "covered",
    "missing",
    "unit",
    "reason",
    "exception",
)


def _gap_values(gap: NotCovered) -> tuple[str, ...]:
    return (
        gap.tag_id,
        str(gap.line_no),
        gap.part_no or "",
        gap.description,
        str(gap.status),
        gap.canonical_code or "",
        _qty(gap.needed),
        format_qty(gap.covered),
        _qty(gap.missing),
        gap.unit or "",
        gap.reason or "",
        gap.exception_id or "",
    )


def _qty(value: Decimal | None) -> str:
    return "" if value is None else format_qty(value)


def to_csv(picks: PickList) -> bytes:
    """The picks, then (after an empty row, under its title) the lines the picks do not cover."""
    gaps = ((picks.run_date, *_gap_values(gap)) for gap in picks.not_covered)
    picked = (
        PICK_COLUMNS,
        (
            (
                picks.run_date,
                item.sap_code,
                item.description or "",
                format_qty(item.sap_qty),
                item.sap_uom,
                item.canonical_code,
                format_qty(item.canonical_qty),
                item.canonical_uom,
                " ".join(item.tags),
                "; ".join(item.lines),
            )
            for item in picks.items
        ),
    )
    return csv_sections(picked, (NOT_COVERED_TITLE, NOT_COVERED_COLUMNS, gaps))


def to_pdf(picks: PickList) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    scope = f" - tag {picks.tag_id}" if picks.tag_id else ""
    pdf.cell(0, 10, f"Pick list {picks.run_date.isoformat()}{scope}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=9)
    widths = (28, 92, 24, 16, 40, 30, 47)
    header = ("SKU", "Description", "Qty", "Unit", "Material", "Canonical", "Tags")
    with pdf.table(
        col_widths=widths, text_align=("LEFT", "LEFT", "RIGHT", "LEFT", "LEFT", "RIGHT", "LEFT")
    ) as table:
        table.row(header)
        for item in picks.items:
            table.row(
                (
                    item.sap_code,
                    _latin1(item.description or ""),
                    format_qty(item.sap_qty),
                    item.sap_uom,
                    item.canonical_code,
                    f"{format_qty(item.canonical_qty)} {item.canonical_uom}",
                    " ".join(item.tags),
                )
            )
    if picks.empty:
        pdf.cell(0, 10, "Nothing is allocated for this date.", new_x="LMARGIN", new_y="NEXT")
    _pdf_not_covered(pdf, picks)
    return bytes(pdf.output())


def _pdf_not_covered(pdf: FPDF, picks: PickList) -> None:
    """The section the storeman reads for what is missing: short lines, then skipped ones."""
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 12)
    count = f"{len(picks.short)} short, {len(picks.skipped)} skipped"
    pdf.cell(0, 8, f"Not covered ({count})", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=9)
    if not picks.not_covered:
        pdf.cell(0, 8, "Every line is covered by the picks above.", new_x="LMARGIN", new_y="NEXT")
        return
    widths = (36, 10, 70, 26, 32, 22, 12, 69)
    header = ("Tag", "#", "Description", "Status", "Material", "Missing", "Unit", "Why")
    with pdf.table(
        col_widths=widths, text_align=("LEFT", "RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT")
    ) as table:
        table.row(header)
        for gap in picks.not_covered:
            table.row(
                (
                    gap.tag_id,
                    str(gap.line_no),
                    _latin1(gap.description),
                    str(gap.status),
                    gap.canonical_code or "",
                    _qty(gap.missing),
                    gap.unit or "",
                    _latin1(gap.reason or ""),
                )
            )


def _latin1(text: str) -> str:
    """The core PDF fonts cover Latin-1; anything else prints as '?' rather than failing the list."""
    return text.encode("latin-1", "replace").decode("latin-1")
