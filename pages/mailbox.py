"""Mailbox: where the AP agent reads mail, what waits there, what it made of it; poll now."""

import pandas as pd
import streamlit as st

from console.finance import poll_summary
from console.text import plain
from console.widgets import call, call_with_progress, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup(
    "Mailbox",
    Permission.REVIEW_INVOICES,
    caption="The mail_poll job reads the mailbox every minute; *Poll now* reads it at once.",
)
if st.button("Poll now", type="primary", icon=":material/sync:"):
    result = call_with_progress("Polling the mailbox", api.poll_mail, ctx.ledger, actor=ctx.actor)
    if result is not None:
        st.success(plain(poll_summary(result)), icon=":material/mark_email_read:")
        st.caption(f"trace `{result.trace_id}`")
status = call(api.mailbox_status, ctx.ledger, actor=ctx.actor)
if status is None:
    st.stop()
assert status is not None
with st.container(horizontal=True):
    st.metric("Waiting", "?" if status.waiting is None else status.waiting, border=True)
    st.metric("Skipped messages", status.messages_skipped, border=True)
    st.metric("Unrouted invoices", status.unrouted, border=True)
st.markdown(
    f"**Source:** {plain(status.source)}  \n**Location:** `{status.location.replace('`', '')}`  \n"
    f"**AP address:** {plain(status.ap_address)}  \n**Outbox:** `{status.outbox.replace('`', '')}`"
)
last = (
    f"{ctx.when(status.last_poll_at)} ({ctx.zone_name}), {status.last_poll_status}: "
    + ", ".join(f"{v} {k}" for k, v in sorted(status.last_poll_counts.items()))
    if status.last_poll_at
    else "never (the mail_poll job runs every minute while jobs are on)"
)
delta = (
    f"saved {ctx.when(status.delta_saved_at)}" if status.delta_saved_at else "none: the next poll reads all"
)
st.markdown(
    f"**Last poll:** {plain(last)}" + (f"  \n**Delta link:** {delta}" if status.source == "graph" else "")
)
st.markdown("**Invoices by status**")
st.dataframe(
    pd.DataFrame(sorted(status.invoices_by_status.items()), columns=["Status", "Invoices"]),
    hide_index=True,
    width="content",
)
if status.unrouted:
    st.warning(
        f"{status.unrouted} invoice(s) are not routed yet: the next poll routes them again.",
        icon=":material/outbox:",
    )
