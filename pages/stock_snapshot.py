"""Stock snapshot (stores): upload the SAP T-1 stock; the latest snapshot's date and totals."""

import streamlit as st

from console.stores_views import MEDIA_TYPES, UNIT_TOTAL_COLUMNS, unit_totals_frame
from console.text import plain
from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup(
    "Stock snapshot",
    Permission.WORK_STORES,
    caption="Only unrestricted stock is allocated; quality inspection and blocked stock are kept "
    "for the record.",
)
with st.form("stock-upload"):
    upload = st.file_uploader(
        "SAP stock snapshot (.csv or .xlsx)", type=["csv", "xlsx"], max_upload_size=ctx.upload_mb
    )
    st.caption(
        "Columns: snapshot_date, plant, storage_location, sap_code, unrestricted_qty, "
        "quality_inspection_qty, blocked_qty (one date per file)"
    )
    if st.form_submit_button("Load snapshot", type="primary") and upload is not None:
        loaded = call(
            api.import_stock,
            ctx.ledger,
            upload.getvalue(),
            upload.name,
            actor=ctx.actor,
            request_id=form_request_id("stock", upload.file_id),
        )
        if loaded is not None and loaded.already_loaded:
            st.info(
                plain(
                    f"{upload.name} was already loaded as the snapshot of {loaded.snapshot_date} at "
                    f"{ctx.when(loaded.loaded_at)} by {loaded.loaded_by}: nothing changed."
                )
            )
        elif loaded is not None:
            st.success(
                plain(f"Snapshot of {loaded.snapshot_date} loaded: {loaded.rows} rows, {loaded.skus} SKUs.")
            )
        if loaded is not None:
            form_done("stock")

status = call(api.stock_status, ctx.ledger, actor=ctx.actor)
if status is not None:
    (st.warning if status.stale else st.info)(plain(status.message))
    if status.latest is not None:
        latest = status.latest
        cols = st.columns(4)
        cols[0].metric("Snapshot date", f"{latest.snapshot_date}")
        cols[1].metric("SKUs", latest.skus)
        cols[2].metric("Rows", latest.rows)
        st.markdown("**Stock per unit** (quantities of different units are never added together)")
        st.dataframe(unit_totals_frame(latest.by_unit), hide_index=True, column_config=UNIT_TOTAL_COLUMNS)
        cols = st.columns(4)
        for col, fmt in zip(cols, ("csv", "xlsx"), strict=False):
            col.download_button(
                f"Export .{fmt}",
                lambda fmt=fmt: (
                    api.export_stock(ctx.ledger, fmt=fmt, actor=ctx.actor).content
                ),  # when pressed
                file_name=f"{latest.file_stem}.{fmt}",
                mime=MEDIA_TYPES[fmt],
                icon=":material/download:",
                key=f"stock-{fmt}",
                on_click="ignore",  # a download needs no rerun (one would drop the file being fetched)
            )
        st.caption(
            f"Loaded by {plain(latest.loaded_by)} at {ctx.when(latest.loaded_at)} ({ctx.zone_name}) · "
            f"trace `{latest.trace_id}`"
        )
