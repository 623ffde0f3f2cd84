"""Audit trail: search user_action_history by trace id, entity or user."""

import streamlit as st

from console.views import audit_frame
from console.widgets import call, page_setup
from engine import api
from engine.auth.roles import OWN_AUDIT_ONLY, Permission

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
entries = (
    call(
        api.search_audit,
        ctx.ledger,
        actor=ctx.actor,
        trace_id=trace_id or None,
        entity_id=entity_id or None,
        user=user or None,
    )
    or []
)
st.caption(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
st.dataframe(audit_frame(entries), hide_index=True, width="stretch")
