"""Tables of the stores desk pages (allocation, the pick list's gaps): columns chosen, named and sized
once, key columns first, so a table fits a 1,440 px screen without cut-off columns."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from engine.api import AllocationRow, PickList, format_qty


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
                "Short": "" if not r.shortfall_qty else _qty(r.shortfall_qty, r.canonical_uom),
                "SKU": r.sap_code or "",
                "SAP qty": _qty(r.sap_qty, r.sap_uom),
                "Material": r.canonical_code or "",
                "Covers": _qty(r.take_canonical_qty),
                "Factor": _qty(r.conversion_factor),
                "Why": r.reason or "",
                "Exception": r.exception_id or "",
            }
            for r in rows
        ]
    )


ALLOCATION_COLUMNS: dict[str, Any] = {
    "Tag": st.column_config.TextColumn(width="small", pinned=True),
    "#": st.column_config.NumberColumn(width=40),
    "Status": st.column_config.TextColumn(width="small"),
    "Description": st.column_config.TextColumn(width="medium"),
    "Needed": st.column_config.TextColumn(width="small"),
    "Short": st.column_config.TextColumn(width="small", help="What the stock could not cover"),
    "SKU": st.column_config.TextColumn(width="small"),
    "SAP qty": st.column_config.TextColumn(width="small", help="What to pick of this SKU"),
    "Material": st.column_config.TextColumn(width="small"),
    "Covers": st.column_config.TextColumn(width="small", help="The material quantity this pick covers"),
    "Factor": st.column_config.TextColumn(width=60, help="Material units in one SAP unit"),
    "Why": st.column_config.TextColumn(width="medium"),
    "Exception": st.column_config.TextColumn(width="small"),
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
    "Tag": st.column_config.TextColumn(width="small", pinned=True),
    "#": st.column_config.NumberColumn(width=40),
    "Status": st.column_config.TextColumn(width="small"),
    "Description": st.column_config.TextColumn(width="medium"),
    "Missing": st.column_config.TextColumn(width="small", help="Not on the pick list: find it elsewhere"),
    "Needed": st.column_config.TextColumn(width="small"),
    "Covered": st.column_config.TextColumn(width="small"),
    "Material": st.column_config.TextColumn(width="small"),
    "Why": st.column_config.TextColumn(width="large"),
    "Exception": st.column_config.TextColumn(width="small"),
}
