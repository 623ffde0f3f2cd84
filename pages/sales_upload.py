"""Upload tag sheet: a cut export against an LPO; shows the engine's result with its ids."""

from decimal import Decimal

import streamlit as st

from console.sales import show_upload_result
from console.text import plain
from console.widgets import call, call_with_progress, form_done, form_request_id, page_setup
from engine import api
from engine.api import IngestRequest, IngestResult, Permission, build

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
# Where the form starts: this session's last choice (a widget's own state ends when the page is left),
# else the engine's pick (the LPO of the actor's last upload, else one with balance left).
if st.session_state.get("upload-lpo") not in balances:
    kept = st.session_state.get("_upload-lpo")
    start = kept if kept in balances else call(api.upload_lpo, ctx.ledger, actor=ctx.actor)
    st.session_state["upload-lpo"] = start or next(iter(balances))
# Option labels never change (the balance does, after every upload): a widget whose labels change is a
# new widget to the browser, which would silently fall back to the first LPO. The balance goes beside it.
lpo_id = st.selectbox(
    "LPO", list(balances), key="upload-lpo", format_func=lambda key: f"{key} · {balances[key].customer}"
)
st.session_state["_upload-lpo"] = lpo_id
balance_line = st.empty()  # filled at the end: after an upload it shows the balance that upload left
# The file and the area outside the form: the chosen sheet is read at once, its own net area offered.
upload = st.file_uploader(
    "Cut export", type=["xlsx", "csv"], key="upload-file", max_upload_size=ctx.upload_mb
)
sheet = None
if upload is not None:
    previews = st.session_state.setdefault("_upload-previews", {})  # one read per chosen file
    if upload.file_id not in previews:
        previews[upload.file_id] = call(
            api.preview_sheet, ctx.ledger, upload.name, upload.getvalue(), actor=ctx.actor
        )
    sheet = previews[upload.file_id]
if sheet is not None and sheet.net_area_m2 is not None:
    offered = float(sheet.net_area_m2)
    typed = st.session_state.get("upload-area", 0.0) not in (
        0.0,
        st.session_state.get("_upload-area-offered"),
    )
    if not typed:  # a figure the user typed stays; the sheet's own only replaces an earlier offer
        st.session_state["upload-area"] = st.session_state["_upload-area-offered"] = offered
area = st.number_input(
    "Required area (m2)", min_value=0.0, step=0.01, format="%.2f", key="upload-area", width=320
)
if sheet is not None and sheet.net_area_m2 is not None:
    st.caption(f"From the sheet: {sheet.net_area_m2:,.2f} m2 net area ({sheet.lines} lines)")
elif sheet is not None and sheet.problem:  # said before the upload; uploaded anyway, it is kept as BLOCKED
    st.warning(f"This file cannot be used as it is: {plain(sheet.problem)}", icon=":material/warning:")
with st.form("upload"):
    today = api.business_today(ctx.ledger)  # the business day, not the server's own date
    delivery = st.date_input("Requested delivery date", value=today, min_value=today)
    with st.expander("Truck and notes (optional)"):
        truck = st.text_input("Truck size")
        notes = st.text_area("Notes")
    submitted = st.form_submit_button("Upload tag sheet", type="primary", icon=":material/upload:")

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
                lpos = call(api.list_lpos, ctx.ledger, actor=ctx.actor) or lpos  # the balance it left
                balances = {lpo.lpo_id: lpo for lpo in lpos}

chosen = balances[lpo_id]
balance_line.caption(
    f"{plain(chosen.lpo_id)} · {chosen.status} · {chosen.remaining_m2:,.2f} m2 left of "
    f"{chosen.po_quantity_m2:,.2f} (committed {chosen.committed_m2:,.2f})"
)
result: IngestResult | None = st.session_state.get("last_upload")
if result is not None:
    form_done("upload")  # shown: sending it again is a new request (the engine says if it is a duplicate)
    show_upload_result(ctx, result)
