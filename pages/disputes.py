"""Disputes: the variances with their dispute state; one package's next step (flag, dispute with a
claim and the carrier's reference, accept with the recovered amount, reject, close)."""

import streamlit as st

from console.carriers import (
    LAST_ACTED,
    LEDGER_COLUMNS,
    VARIANCES,
    dispute_form,
    dispute_totals,
    ledger_frame,
    package_label,
)
from console.finance import show_done
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
rows = call(api.list_reconciliation, ctx.ledger, actor=ctx.actor) or []
work = [r for r in rows if r.status in VARIANCES or r.dispute_status is not None]
if not work:
    st.info("No variances: nothing to dispute. Run a reconciliation first.")
    st.stop()
open_only = st.toggle("Open disputes and undisputed variances only", value=True)
if open_only:
    work = [r for r in work if str(r.dispute_status or "") != "CLOSED"]
claimed, recovered = dispute_totals(work)
a, b, c = st.columns(3)
a.metric("Variances", f"{len(work):,}")
b.metric("Claimed", money(claimed))
c.metric("Recovered", money(recovered))
frame = ledger_frame(work)
st.dataframe(frame, hide_index=True, width="stretch", column_config=LEDGER_COLUMNS)
if not work:
    st.stop()
by_key = {f"{r.carrier}:{r.tracking_number}": r for r in work}
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
