"""Users (admin): accounts and their roles."""

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission, Role

SAVED = "_users_saved"  # the last write's message, shown after the rerun that re-reads the list
PICKED = "_users_picked"  # the user the Change-roles form was last filled from
PICK_NEXT = "_users_pick_next"  # a user just added: picked in the next run
CLEAR_ADD = "_users_clear_add"  # the Add form is emptied in the next run

ctx = page_setup("Users", Permission.ADMINISTER)
# Always one slot, filled or not: the message coming and going never moves the forms below it.
notice = st.empty()
if SAVED in st.session_state:
    notice.success(st.session_state.pop(SAVED), icon=":material/check_circle:")
users = call(api.list_users, ctx.ledger, actor=ctx.actor) or []
st.dataframe(
    pd.DataFrame(
        [
            {
                "E-mail": u.email,
                "Name": u.display_name,
                "Roles": ", ".join(u.roles),
                "Active": u.active,
                "Password": u.has_password,
                f"Locked until ({ctx.zone_name})": ctx.when(u.locked_until),
            }
            for u in users
        ]
    ),
    hide_index=True,
    width="stretch",
)


def saved(message: str, *, pick: str | None = None) -> None:
    """Keep the message for the next run, which re-reads the list (and fills the form again)."""
    st.session_state[SAVED] = message
    st.session_state.pop(PICKED, None)
    if pick is not None:
        st.session_state[PICK_NEXT] = pick
        st.session_state[CLEAR_ADD] = True
    st.rerun()


edit, add = st.columns(2)
with edit:
    st.markdown("**Change roles**")
    if PICK_NEXT in st.session_state:  # set before the picker exists (Streamlit refuses it after)
        st.session_state["user-pick"] = st.session_state.pop(PICK_NEXT)
    email = st.selectbox("User", [u.email for u in users], key="user-pick")
    current = next((u for u in users if u.email == email), None)
    # The form shows the picked user's stored state: filled afresh whenever another user is picked.
    if current is not None and st.session_state.get(PICKED) != current.email:
        st.session_state[PICKED] = current.email
        st.session_state["user-roles"] = list(current.roles)
        st.session_state["user-active"] = current.active
with edit, st.form("roles"):
    roles = st.multiselect("Roles", list(Role), key="user-roles")
    active = st.checkbox("Active", key="user-active")
    if st.form_submit_button("Save") and current is not None:
        chosen = sorted(str(r) for r in roles)
        done = call(
            api.update_user,
            ctx.ledger,
            email=current.email,
            roles=chosen,
            active=active,
            actor=ctx.actor,
            request_id=form_request_id("roles", current.email, chosen, active),
        )
        if done is not None:
            form_done("roles")
            state = "active" if done.active else "inactive"
            saved(plain(f"Saved {done.email}: roles {', '.join(done.roles)}; {state}."))
if st.session_state.pop(CLEAR_ADD, False):  # emptied only once the user was added, not on a refusal
    # Set, not deleted: only a value set here replaces what the browser still shows.
    st.session_state.update({"new-email": "", "new-roles": [], "new-password": ""})
with add, st.form("add-user"):
    st.markdown("**Add a user**")
    new_email = st.text_input("E-mail", key="new-email")
    new_roles = st.multiselect("Roles", list(Role), key="new-roles")
    password = st.text_input(
        "Password (leave empty for single sign-on only)", type="password", key="new-password"
    )
    if st.form_submit_button("Add"):
        created = call(
            api.add_user,
            ctx.ledger,
            email=new_email,
            roles=[str(r) for r in new_roles],
            password=password or None,
            actor=ctx.actor,
            request_id=form_request_id("add-user", new_email, new_roles),
        )
        if created is not None:
            form_done("add-user")
            saved(plain(f"Added {created.email}: roles {', '.join(created.roles)}."), pick=created.email)
