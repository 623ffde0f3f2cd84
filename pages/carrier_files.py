"""Carrier files: every bill offered to the desk (status, rows, invoices, who, when), and the re-run
of a rejected bill once its account (or the layout) is fixed: its bytes were kept for it."""

import streamlit as st

from console.carrier_files import COLUMNS, files_frame, label
from console.carriers import CARRIERS, csv_bytes, show_file_result
from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import CarrierFileResult, CarrierFileStatus, Permission

FORM = "carrier-rerun"
RESULT = "_carrier_rerun_result"

ctx = page_setup(
    "Carrier files",
    Permission.WORK_CARRIERS,
    caption="Every bill offered here, by upload, the drop folder or the CLI, newest first. A rejected "
    "bill keeps its bytes: fix its account, or have the layout fixed, and re-run it below.",
)
left, right = st.columns(2)
status = left.selectbox(
    "Status", [None, *CarrierFileStatus], format_func=lambda s: str(s) if s else "Every status"
)
carrier = right.selectbox(
    "Carrier", [None, *CARRIERS], format_func=lambda c: c.upper() if c else "Every carrier"
)
files = call(api.list_carrier_files, ctx.ledger, status=status, carrier=carrier, actor=ctx.actor) or []
if not files:
    st.info("No carrier bill was offered yet: load one on Carrier upload.", icon=":material/inbox:")
else:
    frame = files_frame(ctx, files)
    st.dataframe(frame, hide_index=True, width="stretch", column_config=COLUMNS)
    st.download_button(
        "Download as CSV",
        csv_bytes(frame),
        file_name="carrier-files.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
waiting = [f for f in files if f.rerunnable]
if waiting:
    st.subheader("Re-run a rejected bill")
    with st.form(FORM):
        chosen = st.selectbox("Rejected bill", waiting, format_func=lambda f: label(ctx, f))
        account = st.text_input("Account", help="The corrected account; empty keeps the one first chosen.")
        rerun = st.form_submit_button("Re-run", type="primary", icon=":material/replay:")
    if rerun and chosen is not None:
        bar = st.progress(0.0, text="Re-running…")
        result = call(
            api.rerun_carrier_file,
            ctx.ledger,
            chosen.file_id,
            account=account.strip() or None,
            actor=ctx.actor,
            progress=lambda done, doing: bar.progress(min(done, 1.0), text=doing),
            request_id=form_request_id(FORM, chosen.file_id, account.strip()),
        )
        bar.empty()
        if result is not None:
            st.session_state[RESULT] = result
            st.rerun()
shown: CarrierFileResult | None = st.session_state.get(RESULT)
if shown is not None:
    st.subheader(f"Re-run: {shown.carrier.upper()} bill · {shown.status}")
    show_file_result(shown)
    form_done(FORM)
