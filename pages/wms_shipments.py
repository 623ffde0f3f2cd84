"""WMS shipments: import the WMS shipment export (CSV/xlsx); every row valid or nothing changes, a
later row for the same carrier and tracking number replaces the earlier one. Below: the last import
and each carrier's coverage window (first to last ship date)."""

import streamlit as st

from console.carriers import show_wms_status
from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission, WmsImport

RESULT = "_wms_import_result"

ctx = page_setup(
    "WMS shipments",
    Permission.RECONCILE,
    caption="Columns: carrier, tracking_number, ship_date, expected_cost, weight (required); order_number, "
    "service, currency, weight_unit (lb|kg), length, width, height, dim_unit (in|cm). Common other "
    "spellings (Tracking ID, Ship Date …) are understood.",
)
with st.form("wms-import"):
    upload = st.file_uploader(
        "WMS export (.csv or .xlsx)", type=["csv", "xlsx"], max_upload_size=ctx.upload_mb
    )
    submitted = st.form_submit_button("Import", type="primary", icon=":material/upload:")
if submitted:
    if upload is None:
        st.warning("Choose the WMS export first.")
    else:
        request_id = form_request_id("wms-import", upload.file_id)  # a double submit imports once
        with st.spinner(f"Importing {upload.name}…"):
            result = call(
                api.import_wms,
                ctx.ledger,
                upload.getvalue(),
                upload.name,
                actor=ctx.actor,
                request_id=request_id,
            )
        if result is not None:
            st.session_state[RESULT] = (upload.name, result)
last: tuple[str, WmsImport] | None = st.session_state.get(RESULT)
if last is not None:
    name, done = last
    form_done("wms-import")  # shown: importing the same file again is a new request
    st.success(
        f"{name}: {done.rows:,} row(s) imported, {done.inserted:,} new, {done.replaced:,} replaced · "
        f"trace `{done.trace_id}`",
        icon=":material/check_circle:",
    )
    st.page_link("../pages/reconciliation.py", label="Reconcile now", icon=":material/balance:")
st.subheader("What the WMS export covers")
status = call(api.wms_status, ctx.ledger, actor=ctx.actor)
if status is not None:
    show_wms_status(ctx, status)
