"""Allocation (stores): run for a date or a tag, read the results per tag and line, download pick lists."""

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import call, call_with_progress, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission, format_qty

ctx = page_setup(
    "Allocation",
    Permission.WORK_STORES,
    caption="T-1 runs by itself at the cut-off; run it here for a date or one tag. A rerun replaces "
    "the date's earlier allocation of the same tags.",
)
stock = call(api.stock_status, ctx.ledger, actor=ctx.actor)
with st.form("allocate"):
    left, right = st.columns(2)
    run_date = left.date_input("Production date", value=stock.for_date if stock else None)
    tag = right.text_input("Or one tag", placeholder="TAG-YYYYMMDD-NNNN")
    accept_stale = st.checkbox(
        "Allocate even from a stale snapshot",
        help="Only when you know the stock has not moved since that snapshot; the run is audited as such.",
    )
    run = st.form_submit_button("Run allocation", type="primary", icon=":material/play_arrow:")
if run:
    result = call_with_progress(
        "Allocating",
        api.allocate,
        ctx.ledger,
        run_date=None if tag else run_date,
        tag_id=tag.strip() or None,
        accept_stale=accept_stale,
        actor=ctx.actor,
        request_id=form_request_id("allocate", None if tag else run_date, tag.strip(), accept_stale),
    )
    if result is not None:
        run_date = result.run_date
        st.success(
            plain(
                f"Run {result.run_id} on the snapshot of {result.snapshot_date}: {result.tags} tag(s), "
                f"{result.lines_allocated} allocated, {result.lines_partial} partial, "
                f"{result.lines_unallocated} unallocated, {result.lines_skipped} skipped."
            )
        )
        if result.exceptions:
            raised = ", ".join(result.exceptions)
            st.warning(f"{len(result.exceptions)} exception(s) for the stores desk: {raised}")
        form_done("allocate")

if run_date:
    rows = call(api.current_allocation, ctx.ledger, run_date, actor=ctx.actor) or []
    st.subheader(f"Allocation for {run_date}")
    if not rows:
        st.info("Nothing allocated for this date yet.")
    else:
        frame = pd.DataFrame(
            [
                {
                    "Tag": r.tag_id,
                    "#": r.line_no,
                    "Description": r.nesting_description,
                    "Status": str(r.status),
                    "Material": r.canonical_code or "",
                    "Needed": ""
                    if r.required_qty is None
                    else f"{format_qty(r.required_qty)} {r.canonical_uom}",
                    "SKU": r.sap_code or "",
                    "SAP qty": "" if r.sap_qty is None else f"{format_qty(r.sap_qty)} {r.sap_uom}",
                    "Canonical": "" if r.take_canonical_qty is None else format_qty(r.take_canonical_qty),
                    "Factor": "" if r.conversion_factor is None else format_qty(r.conversion_factor),
                    "Short": "" if not r.shortfall_qty else format_qty(r.shortfall_qty),
                    "Why": r.reason or "",
                    "Exception": r.exception_id or "",
                }
                for r in rows
            ]
        )
        st.dataframe(
            frame.style.apply(
                lambda row: ["background-color: #fde2e1" if row["Short"] else ""] * len(row), axis=1
            ),
            hide_index=True,
            width="stretch",
        )
        cols = st.columns(2)
        for col, fmt in zip(cols, ("csv", "pdf"), strict=True):
            download = call(api.pick_list_file, ctx.ledger, run_date, fmt=fmt, actor=ctx.actor)
            if download is not None:
                col.download_button(
                    f"Pick list (.{fmt})",
                    download.content,
                    file_name=download.file_name,
                    mime=download.media_type,
                    icon=":material/download:",
                    key=f"pick-{fmt}",
                )
