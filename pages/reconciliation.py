"""Reconciliation: run it now as of a day; packages per status; the reconciled ledger filtered by
status and carrier, its billed and expected totals, and the shown table as CSV."""

import streamlit as st

from console.carriers import (
    CARRIERS,
    LEDGER_COLUMNS,
    STATUSES,
    csv_bytes,
    ledger_frame,
    show_counts,
    status_counts,
    totals,
)
from console.widgets import call, money, page_setup
from engine import api
from engine.api import Permission, ReconRun

LAST_RUN = "_recon_last_run"

ctx = page_setup(
    "Reconciliation",
    Permission.WORK_CARRIERS,
    caption="Every billed or shipped package against the WMS: the first status that applies, in the "
    "order of the table below. A variance opens an exception on the logistics desk.",
)
if not ctx.actor.can(Permission.RECONCILE):
    st.caption("Managers run the reconciliation (it also runs after each load and nightly).")
    run_now = False
else:
    with st.form("recon-run"):
        left, right = st.columns(2)
        as_of = left.date_input("As of", value=api.business_today(ctx.ledger))
        only = right.selectbox(
            "Carrier",
            [None, *CARRIERS],
            format_func=lambda c: c.upper() if c else "Every carrier",
            key="run-carrier",
        )
        run_now = st.form_submit_button("Run now", type="primary", icon=":material/play_arrow:")
if run_now:
    with st.spinner("Reconciling…"):
        run = call(api.run_reconciliation, ctx.ledger, as_of=as_of, carrier=only, actor=ctx.actor)
    if run is not None:
        st.session_state[LAST_RUN] = run
last: ReconRun | None = st.session_state.get(LAST_RUN)
if last is not None:
    st.success(
        f"Run `{last.run_id}` as of {last.as_of}: {sum(last.counts.values()):,} package(s), "
        f"{last.exceptions_opened} exception(s) opened, {last.exceptions_resolved} resolved · "
        f"trace `{last.trace_id}`",
        icon=":material/check_circle:",
    )

with st.container(horizontal=True):
    status = st.selectbox(
        "Status", key="recon-status", options=[None, *STATUSES], format_func=lambda s: s or "Any status"
    )
    carrier = st.selectbox(
        "Carrier",
        [None, *CARRIERS],
        format_func=lambda c: c.upper() if c else "Any carrier",
        key="recon-carrier",
    )
everything = call(api.list_reconciliation, ctx.ledger, carrier=carrier, actor=ctx.actor) or []
shown = [r for r in everything if status is None or r.status == status]
counts_side, totals_side = st.columns([2, 3])
with counts_side:
    show_counts(status_counts(everything))
with totals_side:
    billed, expected, variance = totals(shown)
    a, b, c = st.columns(3)
    a.metric("Billed", money(billed))
    b.metric("Expected", money(expected))
    c.metric("Variance", money(variance))
    st.caption(f"Of the {len(shown):,} package(s) shown.")
if not shown:
    st.info("No reconciled packages match. Load bills and a WMS export, then Run now.")
    st.stop()
frame = ledger_frame(shown)
st.dataframe(frame, hide_index=True, width="stretch", column_config=LEDGER_COLUMNS)
st.download_button(
    "Download CSV",
    csv_bytes(frame),
    file_name=f"reconciliation-{status or 'all'}.csv".lower(),
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",  # a download needs no rerun
)
