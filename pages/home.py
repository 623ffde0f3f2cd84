"""Home: each of the signed-in user's desks as its morning view, then their desks' inbox."""

import streamlit as st

from console.desks import desk_views, inbox_view
from console.widgets import call, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup("Home", Permission.READ_LEDGER, caption="What your desks have to do today.")
desk_views(ctx)
open_items = call(api.list_exceptions, ctx.ledger, actor=ctx.actor, open_only=True, limit=1)
overdue = call(api.list_exceptions, ctx.ledger, actor=ctx.actor, overdue_only=True, limit=1)
inbox = call(api.list_inbox, ctx.ledger, actor=ctx.actor) or []
unread = [m for m in inbox if m.read_at is None]

st.subheader("Exception queue")
left, middle, right = st.columns(3)
desks = ", ".join(str(d) for d in ctx.actor.desks()) or "none"
left.metric(
    "Open exceptions", open_items.total if open_items else "—", help=f"On the queues you work: {desks}"
)
middle.metric("Past their SLA", overdue.total if overdue else "—")
right.metric("Unread notifications", len(unread))
if open_items and open_items.total:
    st.page_link("../pages/exceptions.py", label="Work the exception queue", icon=":material/report:")

st.subheader("Inbox")
if not inbox:
    st.info("No notifications for your desks.")
inbox_view(ctx, inbox[:50])
read = unread and st.button("Mark all as read", icon=":material/done_all:")
if (
    read
    and call(api.mark_inbox_read, ctx.ledger, [m.message_id for m in unread], actor=ctx.actor) is not None
):
    st.rerun()
