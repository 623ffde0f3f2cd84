"""Pick lists per date (and per tag) from ``allocation_log``, as CSV and PDF."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.exports import csv_bytes
from engine.store.sqlfiles import load_sql
from engine.units import format_qty


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


class PickList(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_date: date
    tag_id: str | None
    items: list[PickItem]

    @property
    def empty(self) -> bool:
        return not self.items


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
    return PickList(run_date=run_date, tag_id=tag_id, items=items)


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


def to_csv(picks: PickList) -> bytes:
    return csv_bytes(
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
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    """The core PDF fonts cover Latin-1; anything else prints as '?' rather than failing the list."""
    return text.encode("latin-1", "replace").decode("latin-1")
