"""Tables of the stores desk pages (allocation, the pick list's gaps): columns chosen, named and sized
once, key columns first, so a table fits a 1,440 px screen without cut-off columns."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from engine.api import AllocationRow, CoverageReport, PickList, UnitTotal, format_qty

# The files the stores pages offer are made when their button is pressed, so the type is known first.
MEDIA_TYPES = {
    "csv": "text/csv",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _qty(value: Decimal | None, unit: str | None = None) -> str:
    if value is None:
        return ""
    return f"{format_qty(value)} {unit}" if unit else format_qty(value)


def allocation_frame(rows: Sequence[AllocationRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Tag": r.tag_id,
                "#": r.line_no,
                "Status": str(r.status),
                "Description": r.nesting_description,
                "Needed": _qty(r.required_qty, r.canonical_uom),
                "SKU": r.sap_code or "",
                "Pick": _qty(r.sap_qty, r.sap_uom),
                "Short": "" if not r.shortfall_qty else _qty(r.shortfall_qty, r.canonical_uom),
                "Why": r.reason or "",
                "Material": r.canonical_code or "",
                "Exception": r.exception_id or "",
                "Covers": _qty(r.take_canonical_qty, r.canonical_uom),
                "Factor": _qty(r.conversion_factor),
            }
            for r in rows
        ]
    )


# Widths in px so the columns a storeman acts on (tag to why) fit the 1,440 px screen; the rest scroll.
ALLOCATION_COLUMNS: dict[str, Any] = {
    "Tag": st.column_config.TextColumn(width=140, pinned=True),
    "#": st.column_config.NumberColumn(width=36),
    "Status": st.column_config.TextColumn(width=100),
    "Description": st.column_config.TextColumn(width=190),
    "Needed": st.column_config.TextColumn(alignment="right", width=75),
    "SKU": st.column_config.TextColumn(width=80),
    "Pick": st.column_config.TextColumn(
        alignment="right", width=65, help="What to pick of this SKU, in its SAP unit"
    ),
    "Short": st.column_config.TextColumn(alignment="right", width=65, help="What the stock could not cover"),
    "Why": st.column_config.TextColumn(width=170),
    "Material": st.column_config.TextColumn(width=130),
    "Exception": st.column_config.TextColumn(width=120),
    "Covers": st.column_config.TextColumn(
        alignment="right", width=80, help="The material quantity this pick covers"
    ),
    "Factor": st.column_config.TextColumn(alignment="right", width=60, help="Material units in one SAP unit"),
}


def not_covered_frame(picks: PickList) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Tag": g.tag_id,
                "#": g.line_no,
                "Status": str(g.status),
                "Description": g.description,
                "Missing": _qty(g.missing, g.unit),
                "Needed": _qty(g.needed, g.unit),
                "Covered": _qty(g.covered, g.unit),
                "Material": g.canonical_code or "",
                "Why": g.reason or "",
                "Exception": g.exception_id or "",
            }
            for g in picks.not_covered
        ]
    )


NOT_COVERED_COLUMNS: dict[str, Any] = {
    "Tag": st.column_config.TextColumn(width=140, pinned=True),
    "#": st.column_config.NumberColumn(width=36),
    "Status": st.column_config.TextColumn(width=100),
    "Description": st.column_config.TextColumn(width=190),
    "Missing": st.column_config.TextColumn(
        alignment="right", width=75, help="Not on the pick list: find it elsewhere"
    ),
    "Needed": st.column_config.TextColumn(alignment="right", width=75),
    "Covered": st.column_config.TextColumn(alignment="right", width=75),
    "Material": st.column_config.TextColumn(width=130),
    "Why": st.column_config.TextColumn(width=200),
    "Exception": st.column_config.TextColumn(width=120),
}


# Units as the stores count them; a unit not listed shows as its code.
UNIT_NAMES = {
    "sht": "sheets",
    "rol": "rolls",
    "kg": "kg",
    "pcs": "pieces",
    "bar": "bars",
    "box": "boxes",
    "tin": "tins",
    "m": "metres",
    "m2": "m2",
    "l": "litres",
}


def unit_totals_frame(totals: Sequence[UnitTotal]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Unit": UNIT_NAMES.get(t.unit, t.unit),
                "SKUs": t.skus,
                "Unrestricted": format_qty(t.unrestricted),
                "Quality inspection": format_qty(t.quality_inspection),
                "Blocked": format_qty(t.blocked),
            }
            for t in totals
        ],
        columns=["Unit", "SKUs", "Unrestricted", "Quality inspection", "Blocked"],
    )


UNIT_TOTAL_COLUMNS: dict[str, Any] = {
    "Unit": st.column_config.TextColumn(width=100),
    "SKUs": st.column_config.NumberColumn(width=60),
    "Unrestricted": st.column_config.TextColumn(
        alignment="right", width=120, help="The only stock allocation draws from"
    ),
    "Quality inspection": st.column_config.TextColumn(alignment="right", width=140),
    "Blocked": st.column_config.TextColumn(alignment="right", width=100),
}


def decisions_frame(report: CoverageReport) -> pd.DataFrame:
    counts = {
        "Master (AUTO)": report.auto,
        "Override": report.override,
        "Manual": report.manual,
        "Waiting review": report.waiting_review,
        "Waiting unit rule": report.waiting_conversion,
        "Not tracked": report.not_tracked,
    }
    total = report.lines or 1  # no lines yet: every share is 0
    return pd.DataFrame(
        [{"Decision": name, "Lines": n, "Share": n / total} for name, n in counts.items()],
        columns=["Decision", "Lines", "Share"],
    )


DECISION_COLUMNS: dict[str, Any] = {
    "Decision": st.column_config.TextColumn(width=140),
    "Lines": st.column_config.NumberColumn(width=60),
    "Share": st.column_config.ProgressColumn(width=150, format="percent", min_value=0, max_value=1),
}


def allocation_days_frame(report: CoverageReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Production date": str(d.run_date),
                "Allocated": d.allocated,
                "Partial": d.partial,
                "Unallocated": d.unallocated,
                "Skipped": d.skipped,
                "Success": d.success_rate or 0.0,
            }
            for d in report.allocation_days
        ]
    )


ALLOCATION_DAY_COLUMNS: dict[str, Any] = {
    "Production date": st.column_config.TextColumn(width=120),
    "Allocated": st.column_config.NumberColumn(width=80),
    "Partial": st.column_config.NumberColumn(width=70),
    "Unallocated": st.column_config.NumberColumn(width=95),
    "Skipped": st.column_config.NumberColumn(width=75),
    "Success": st.column_config.ProgressColumn(
        width=130, format="percent", min_value=0, max_value=1, help="Fully allocated, of the lines tried"
    ),
}
