"""Upload tag sheet: a cut export against an LPO; shows the engine's result with its ids."""

from decimal import Decimal

import streamlit as st

from console.text import plain
from console.widgets import call, call_with_progress, form_done, form_request_id, page_setup
from engine import api
from engine.api import IngestRequest, IngestResult, IngestStatus, Permission, build

ctx = page_setup(
    "Upload tag sheet",
    Permission.UPLOAD_TAGS,
    caption="Upload a nesting cut export (.xlsx or .csv) against a customer LPO.",
)
lpos = call(api.list_lpos, ctx.ledger, actor=ctx.actor) or []
if not lpos:
    st.info("No LPOs yet: an admin imports them on the LPOs page.")
    st.stop()
balances = {lpo.lpo_id: lpo for lpo in lpos}
# Option labels never change (the balance does, after every upload): a widget whose labels change is a
# new widget to the browser, which would silently fall back to the first LPO. The balance goes beside it.
lpo_id = st.selectbox(
    "LPO", list(balances), key="upload-lpo", format_func=lambda key: f"{key} · {balances[key].customer}"
)
chosen = balances[lpo_id]
st.caption(
    f"{plain(chosen.lpo_id)} · {chosen.status} · {chosen.remaining_m2:,.2f} m2 left of "
    f"{chosen.po_quantity_m2:,.2f} (committed {chosen.committed_m2:,.2f})"
)
with st.form("upload"):
    left, right = st.columns(2)
    area = left.number_input("Required area (m2)", min_value=0.0, step=0.01, format="%.2f")
    today = api.business_today(ctx.ledger)  # the business day, not the server's own date
    delivery = right.date_input("Requested delivery date", value=today, min_value=today)
    upload = st.file_uploader("Cut export", type=["xlsx", "csv"])
    with st.expander("Truck and notes (optional)"):
        truck = st.text_input("Truck size")
        notes = st.text_area("Notes")
    submitted = st.form_submit_button("Upload", type="primary", icon=":material/upload:")

if submitted:
    if upload is None:
        st.warning("Choose the cut export file first.")
    else:
        request_id = form_request_id("upload", upload.file_id, lpo_id, area, delivery)
        request = call(
            build,
            IngestRequest,
            client_request_id=request_id,
            lpo_id=lpo_id,
            required_area_m2=Decimal(str(round(area, 4))),
            requested_delivery_date=delivery,
            original_file_name=upload.name,
            content=upload.getvalue(),
            truck_size=truck or None,
            notes=notes or None,
        )
        if request is not None:
            result = call_with_progress("Uploading", api.ingest_tag, ctx.ledger, request, actor=ctx.actor)
            if result is not None:
                st.session_state["last_upload"] = result

result: IngestResult | None = st.session_state.get("last_upload")
if result is not None:
    form_done("upload")  # shown: sending it again is a new request (the engine says if it is a duplicate)
    ids = f"Trace id `{result.trace_id}`" + (
        f" · file SHA-256 `{result.file_hash[:16]}…`" if result.file_hash else ""
    )
    if result.status == IngestStatus.UPLOADED:
        st.success(
            f"**{plain(result.tag_id)}** uploaded: {result.line_count} lines on {plain(result.lpo_id)}.",
            icon=":material/check_circle:",
        )
    elif result.status == IngestStatus.DUPLICATE:
        st.warning(f"Duplicate (409): {plain(result.message)} Existing tag **{result.existing_tag_id}**.")
    else:
        tag = f" Tag **{result.tag_id}** is stored as BLOCKED." if result.tag_id else ""
        st.error(f"Blocked (422): {plain(result.message)}{tag}")
    st.caption(ids)
    if result.tag_id or result.existing_tag_id:
        st.page_link(
            "../pages/tags.py",
            label=f"Open {result.tag_id or result.existing_tag_id}",
            icon=":material/sell:",
            query_params={"tag": result.tag_id or result.existing_tag_id},
        )
    if result.exception_id:
        st.page_link(
            "../pages/exceptions.py",
            label=f"Open exception {result.exception_id}",
            icon=":material/report:",
            query_params={"exception": result.exception_id},
        )
