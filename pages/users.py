"""Users (admin): accounts and their roles."""

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission, Role

ctx = page_setup("Users", Permission.ADMINISTER)
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
                "Locked until (UTC)": u.locked_until.replace(tzinfo=None) if u.locked_until else None,
            }
            for u in users
        ]
    ),
    hide_index=True,
    width="stretch",
)

edit, add = st.columns(2)
with edit:
    st.markdown("**Change roles**")
    # The user is picked outside the form: the form below then shows that user's own state.
    email = st.selectbox("User", [u.email for u in users])
    current = next((u for u in users if u.email == email), None)
with edit, st.form("roles"):
    roles = st.multiselect(
        "Roles", list(Role), default=list(current.roles) if current else [], key=f"user-roles-{email}"
    )
    active = st.checkbox("Active", value=current.active if current else True, key=f"user-active-{email}")
    if st.form_submit_button("Save") and current is not None:
        chosen = [str(r) for r in roles]
        saved = call(
            api.set_user_roles,
            ctx.ledger,
            email=email,
            roles=chosen,
            actor=ctx.actor,
            request_id=form_request_id("roles", email, chosen),
        )
        if saved is not None and active != current.active:
            saved = call(
                api.set_user_active,
                ctx.ledger,
                email=email,
                active=active,
                actor=ctx.actor,
                request_id=form_request_id("active", email, active),
            )
        if saved is not None:
            st.success(
                plain(f"{saved.email}: {', '.join(saved.roles)}{'' if saved.active else ' (inactive)'}")
            )
            form_done("roles")
            form_done("active")
with add, st.form("add-user", clear_on_submit=True):
    st.markdown("**Add a user**")
    new_email = st.text_input("E-mail")
    new_roles = st.multiselect("Roles", list(Role), key="new-roles")
    password = st.text_input("Password (leave empty for single sign-on only)", type="password")
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
            st.success(plain(f"{created.email} added."))
            form_done("add-user")
