"""API keys (admin): the integration API's keys, one per integration; create one (its secret shown
once) or revoke one."""

from datetime import timedelta

import streamlit as st

from console.api_keys import keys_table, live_keys, show_new_key
from console.text import plain
from console.widgets import call, page_setup
from engine import api
from engine.api import Permission, Role

# The new key lives in the session only until the next run shows it: popped as it is shown, so a
# rerun or a reload never shows it again (the engine keeps only its digest).
CREATED = "_api_keys_created"
REVOKED = "_api_keys_revoked"  # the last revoke's message, shown after the rerun that re-reads the list
RESET = "_api_keys_reset"  # widget values to set in the next run, before the widgets exist

ctx = page_setup(
    "API keys",
    Permission.ADMINISTER,
    caption="Keys of the integration API under /api/v1/ (see the Operations page for its reference). "
    "Each key acts with its own roles, as api:<name>, and everything it changes is audited.",
)
st.session_state.update(st.session_state.pop(RESET, {}))
# Always one slot, filled or not: the message coming and going never moves what is below it.
notice = st.empty()
if CREATED in st.session_state:
    with notice.container():
        show_new_key(st.session_state.pop(CREATED))
elif REVOKED in st.session_state:
    notice.success(st.session_state.pop(REVOKED), icon=":material/check_circle:")
today = api.business_today(ctx.ledger)  # expiry days are business days, as the engine counts them
keys = call(api.list_api_keys, ctx.ledger, actor=ctx.actor) or []
keys_table(ctx, keys)

create, revoke = st.columns(2)
with create, st.form("create-key"):
    st.markdown("**Create a key**")
    name = st.text_input("Integration name", key="key-name", placeholder="nesting")
    roles = st.multiselect("Roles", list(Role), key="key-roles", help="what the integration may do")
    expires = st.date_input(
        "Expires on (optional)",
        value=None,
        min_value=today + timedelta(days=1),
        key="key-expires",
        help="the key stops working on this day; leave empty for no expiry",
    )
    if st.form_submit_button("Create key", icon=":material/key:"):
        created = call(
            api.create_api_key,
            ctx.ledger,
            name=name,
            roles=[str(r) for r in roles],
            expires=expires,
            actor=ctx.actor,
        )
        if created is not None:  # a refusal keeps what was typed; a created key empties the form
            st.session_state[CREATED] = created
            st.session_state[RESET] = {"key-name": "", "key-roles": [], "key-expires": None}
            st.rerun()

with revoke:
    st.markdown("**Revoke a key**")
    live = live_keys(keys)
    if not live:
        st.caption("No key is active.")
    else:
        key_id = st.selectbox("Key", list(live), format_func=live.__getitem__, key="revoke-pick")
        sure = st.checkbox("Its integration stops working at once", key="revoke-sure")
        if st.button("Revoke", disabled=not sure, icon=":material/block:") and key_id is not None:
            done = call(api.revoke_api_key, ctx.ledger, key_id, actor=ctx.actor)
            if done is not None:
                st.session_state[REVOKED] = plain(
                    f"Revoked {done.name} ({done.key_id}): its next call is refused."
                )
                st.session_state[RESET] = {"revoke-sure": False}
                st.rerun()
