"""Carrier upload: a FedEx or UPS bill for one account, up to 500 MB (written to disk in chunks, then
read set-based), with a progress bar; per invoice its rows, Σ net, amount due, packages and whether it
loaded, with the trace id; a rejected file says why in one line."""

import streamlit as st

from console.carriers import CARRIERS, show_file_result
from console.text import plain
from console.widgets import call, form_done, form_request_id, next_job_runs, page_setup
from engine import api
from engine.api import CarrierFileResult, CarrierFileStatus, Permission

FORM = "carrier-upload"
RESULT = "_carrier_upload_result"
LOADS = (CarrierFileStatus.LOADED, CarrierFileStatus.PARTIAL)

ctx = page_setup(
    "Carrier upload",
    Permission.WORK_CARRIERS,
    caption="A FedEx Billing Online CSV or a UPS billing file. Its carrier and account are read from the "
    "file unless you choose them; a file whose rows bill another account is refused whole (fix it, "
    "then re-run it from Carrier files). The same file twice is skipped.",
)
with st.form(FORM):
    left, right = st.columns(2)
    carrier = left.selectbox(
        "Carrier", [None, *CARRIERS], format_func=lambda c: c.upper() if c else "From the file"
    )
    account = right.text_input(
        "Account",
        placeholder="From the file",
        help="The carrier account the bill is for (leading zeros may go); empty: the file's first row's.",
    )
    upload = st.file_uploader(
        "Carrier bill",
        type=["csv", "txt"],
        max_upload_size=ctx.carrier_upload_mb,
        help=f"Up to {ctx.carrier_upload_mb:,} MB: a week of FedEx or UPS shipments in one file.",
    )
    submitted = st.form_submit_button("Load bill", type="primary", icon=":material/upload:")
if submitted:
    if upload is None:
        st.warning("Choose the bill file first.")
    else:
        bar = st.progress(0.0, text=f"Loading {plain(upload.name)}…")
        result = call(
            api.ingest_carrier_file,
            ctx.ledger,
            upload,
            upload.name,
            carrier=carrier,
            account=account.strip() or None,
            actor=ctx.actor,
            progress=lambda done, doing: bar.progress(min(done, 1.0), text=doing),
            request_id=form_request_id(FORM, carrier or "", account.strip(), upload.file_id),
        )
        bar.empty()
        if result is not None:
            st.session_state[RESULT] = result
shown: CarrierFileResult | None = st.session_state.get(RESULT)
if shown is not None:
    st.subheader(f"{shown.carrier.upper()} bill · {shown.status}")
    show_file_result(shown)
    if shown.status in LOADS:
        st.caption(
            "The reconciliation is running in the background: Reconciliation shows it in a moment."
            if next_job_runs() is not None  # the engine asked this process's scheduler for it
            else "The reconciliation runs tonight, or now from Reconciliation (Run now)."
        )
    form_done(FORM)
