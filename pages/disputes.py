"""Disputes: the variances with their dispute state (the largest, or those a tracking number search
finds; counted and summed over all); one package's next step (flag, dispute with a claim and the
carrier's reference, accept with the recovered amount, reject, close)."""

import streamlit as st

from console.carriers import LAST_ACTED, LEDGER_COLUMNS, dispute_form, ledger_frame, package_label
from console.finance import show_done
from console.text import plain
from console.widgets import call, money, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup(
    "Disputes",
    Permission.WORK_CARRIERS,
    caption="Flag a variance, dispute it with the carrier (claim and reference), then accept what was "
    "recovered or record the rejection, and close it. Every step is in the audit trail.",
)
show_done()
left, right = st.columns([2, 3], vertical_alignment="bottom")
tracking = left.text_input("Tracking number contains", key="dispute-tracking")
open_only = right.toggle("Open disputes and undisputed variances only", value=True)
work = call(api.dispute_worklist, ctx.ledger, open_only=open_only, tracking=tracking or None, actor=ctx.actor)
if work is None:
    st.stop()
a, b, c = st.columns(3)
a.metric("Variances", f"{work.total:,}")
b.metric("Claimed", money(work.claimed))
c.metric("Recovered", money(work.recovered))
if not work.rows:
    st.info(
        f"No variance or dispute has a tracking number containing {plain(tracking)}."
        if tracking
        else "No variances: nothing to dispute. Run a reconciliation first."
    )
    st.stop()
if work.capped:
    st.caption(f"The {len(work.rows):,} largest of {work.total:,}; search a tracking number for the others.")
st.dataframe(ledger_frame(work.rows), hide_index=True, width="stretch", column_config=LEDGER_COLUMNS)
by_key = {f"{r.carrier}:{r.tracking_number}": r for r in work.rows}
keys = list(by_key)
last = st.session_state.get(LAST_ACTED)  # the package acted on stays chosen after the action's rerun
chosen = st.selectbox(
    "Package",
    keys,
    index=keys.index(last) if last in by_key else 0,
    format_func=lambda k: package_label(by_key[k]),
)
if ctx.actor.can(Permission.RECONCILE):
    dispute_form(ctx, by_key[chosen])
else:
    st.caption("Managers work the disputes; finance follows them here.")
