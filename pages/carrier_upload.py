"""Carrier upload: a FedEx or UPS bill for one account; per invoice its rows, Σ net, amount due,
packages and whether it loaded, with the trace id; a rejected file says why in one line."""

import streamlit as st

from console.carriers import CARRIERS, show_file_result
from console.widgets import call, page_setup
from engine import api
from engine.api import CarrierFileResult, Permission

RESULT = "_carrier_upload_result"

ctx = page_setup(
    "Carrier upload",
    Permission.WORK_CARRIERS,
    caption="A FedEx Billing Online CSV or a UPS billing file. The account must be the file's own: "
    "a file of another account is refused whole. The same file twice is skipped.",
)
with st.form("carrier-upload"):
    left, right = st.columns(2)
    carrier = left.selectbox("Carrier", CARRIERS, format_func=str.upper)
    account = right.text_input("Account", help="The carrier account the bill is for (leading zeros may go).")
    upload = st.file_uploader("Carrier bill", type=["csv", "txt"])
    submitted = st.form_submit_button("Load bill", type="primary", icon=":material/upload:")
if submitted:
    if upload is None or not account.strip():
        st.warning("Choose the bill file and give its account first.")
    else:
        with st.spinner(f"Loading {upload.name}…"):
            result = call(
                api.ingest_carrier_file,
                ctx.ledger,
                upload.getvalue(),
                upload.name,
                carrier=carrier,
                account=account,
                actor=ctx.actor,
            )
        if result is not None:
            st.session_state[RESULT] = result
shown: CarrierFileResult | None = st.session_state.get(RESULT)
if shown is not None:
    st.subheader(f"{shown.carrier.upper()} bill · {shown.status}")
    show_file_result(shown)
