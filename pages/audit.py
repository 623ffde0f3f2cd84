"""Audit trail: search user_action_history by trace id, entity or user."""

import streamlit as st

from console.views import audit_frame
from console.widgets import call, page_footer, page_setup, pager
from engine import api
from engine.api import OWN_AUDIT_ONLY, Permission

ctx = page_setup("Audit trail", Permission.READ_LEDGER)
if ctx.actor.roles <= OWN_AUDIT_ONLY:
    st.caption("You see the trail of your own actions.")
with st.form("audit-search"):
    left, middle, right = st.columns(3)
    trace_id = left.text_input("Trace id", value=st.query_params.get("trace", ""))
    entity_id = middle.text_input("Entity (tag, exception, LPO, user…)")
    user = right.text_input("User e-mail")
    searched = st.form_submit_button("Search", icon=":material/search:")
if not (trace_id or entity_id or user):
    st.info("Enter a trace id, an entity id or a user.")
    st.stop()
page = call(
    api.search_audit,
    ctx.ledger,
    actor=ctx.actor,
    trace_id=trace_id or None,
    entity_id=entity_id or None,
    user=user or None,
    offset=pager("audit", page_size=200),
    limit=200,
)
if page is not None:
    st.caption("Newest first.")
    st.dataframe(
        audit_frame(page.items, zone=ctx.ledger.settings.zone),
        hide_index=True,
        width="stretch",
        column_config={
            "When": st.column_config.TextColumn(f"When ({ctx.zone_name})"),
            "Before": st.column_config.TextColumn(width="medium"),
            "After": st.column_config.TextColumn(width="medium"),
            "Request": st.column_config.TextColumn(width="small"),
        },
    )
    page_footer("audit", page, noun="entries")
