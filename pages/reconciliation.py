"""Reconciliation: run it now as of a day; the dashboard of the reconciled ledger and the bills
(spend per week, cost per package, statuses, variances, the lists to act on, disputes), filtered by
carrier, account and ship-date period. Every figure is an aggregate the engine computed."""

import streamlit as st

from console import dashboard as view
from console.carriers import CARRIERS
from console.widgets import call, money, page_setup
from engine import api
from engine.api import Permission, ReconRun

LAST_RUN = "_recon_last_run"

ctx = page_setup(
    "Reconciliation",
    Permission.WORK_CARRIERS,
    caption="Every billed or shipped package against the WMS: the first status that applies. A variance "
    "opens an exception on the logistics desk.",
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

filters = st.container(horizontal=True)  # drawn once the accounts on the bills are known
chosen = view.chosen_filters()
board = call(api.reconciliation_dashboard, ctx.ledger, actor=ctx.actor, **chosen)
with filters:
    view.show_filters(board, chosen)
if board is None:
    st.stop()
a, b, c, d, e = st.columns(5)
a.metric("Packages", f"{board.packages:,}")
b.metric("Billed", money(board.billed))
c.metric("Exceptions", f"{board.exceptions:,}")
d.metric("Claimed", money(board.claimed))
e.metric("Recovered", money(board.recovered))
if not board.packages and not board.spend_by_carrier:
    st.info("Nothing reconciled or billed in this selection. Load bills and a WMS export, then Run now.")
    st.stop()

by = (
    st.segmented_control("Spend by", list(view.SPEND_BY), default="Carrier", key="recon-spend-by")
    or "Carrier"
)
spend = view.spend_frame(getattr(board, view.SPEND_BY[by]))
view.show_chart(view.spend_figure(spend, by), spend, view.file_name(f"spend-by-{by}", board), key="spend")
left, right = st.columns(2)
with left:
    frame = view.status_frame(board)
    view.show_chart(view.status_figure(frame), frame, view.file_name("statuses", board), key="statuses")
    frame = view.variance_frame(board)
    view.show_chart(view.variance_figure(frame), frame, view.file_name("variances", board), key="variances")
with right:
    frame = view.package_cost_frame(board)
    view.show_chart(
        view.package_cost_figure(frame), frame, view.file_name("cost-per-package", board), key="cost"
    )
    frame = view.dispute_frame(board)
    view.show_chart(view.dispute_figure(frame), frame, view.file_name("disputes", board), key="disputes")

lists = {
    "Top variances": (board.top_variances, "No cost or weight variance."),
    "Duplicates": (board.duplicates, "No package billed for freight twice."),
    "Billed, not shipped": (board.billed_not_shipped, "Every billed package is in the WMS export."),
    "Shipped, not billed": (board.shipped_not_billed, "Every shipped package past its grace days is billed."),
}
tabs = st.tabs(
    [f"{label} ({packages.total:,} · {money(packages.amount)})" for label, (packages, _) in lists.items()]
)
for tab, (label, (packages, empty)) in zip(tabs, lists.items(), strict=True):
    with tab:
        stem = label.lower().replace(",", "").replace(" ", "-")
        view.show_packages(packages, view.file_name(stem, board), key=stem, empty=empty)
