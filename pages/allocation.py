"""Allocation (stores): run for a date or a tag, read the results per tag and line, download pick lists."""

import streamlit as st

from console.stores_views import (
    ALLOCATION_COLUMNS,
    MEDIA_TYPES,
    NOT_COVERED_COLUMNS,
    allocation_frame,
    not_covered_frame,
)
from console.text import plain
from console.widgets import call, call_with_progress, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission

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
        st.stop()
    # Shortages stand out by their Short and Why cells and the section below (a styled table costs
    # the first visit over half a second).
    st.dataframe(allocation_frame(rows), hide_index=True, column_config=ALLOCATION_COLUMNS)
    picks = call(api.pick_list, ctx.ledger, run_date, actor=ctx.actor)
    if picks is None:
        st.stop()
    cols = st.columns(4)
    for col, fmt in zip(cols, ("csv", "pdf"), strict=False):
        col.download_button(
            f"Pick list (.{fmt})",
            # made when pressed (a PDF takes a while), not on every visit of the page
            lambda fmt=fmt: api.pick_list_file(ctx.ledger, run_date, fmt=fmt, actor=ctx.actor).content,
            file_name=f"{picks.file_stem}.{fmt}",
            mime=MEDIA_TYPES[fmt],
            icon=":material/download:",
            key=f"pick-{fmt}",
            on_click="ignore",  # a download needs no rerun (one would drop the file being fetched)
        )
    st.subheader("Not covered by the pick list")
    if not picks.not_covered:
        st.success("Every line of this date is covered by the pick list.")
    else:
        st.warning(
            f"{len(picks.short)} line(s) short of stock and {len(picks.skipped)} skipped: nothing "
            "is picked for what is missing. The pick list files list them too."
        )
        st.dataframe(not_covered_frame(picks), hide_index=True, column_config=NOT_COVERED_COLUMNS)
