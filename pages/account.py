"""Your account: who you are signed in as, and your password (local accounts)."""

import streamlit as st

from console import signin
from console.text import plain
from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup("Your account", Permission.READ_LEDGER)
me = call(api.my_account, ctx.ledger, actor=ctx.actor)
if me is not None:
    st.caption(plain(f"{me.email} · roles: {', '.join(me.roles)}"))
    if not me.has_password:
        st.info("You sign in with your organisation account: change your password there.")
    else:
        st.subheader("Change your password")
        with st.form("password", clear_on_submit=True):
            current = st.text_input("Current password", type="password", autocomplete="current-password")
            new = st.text_input("New password", type="password", autocomplete="new-password")
            repeat = st.text_input("New password again", type="password", autocomplete="new-password")
            submitted = st.form_submit_button("Change password", type="primary")
        if submitted and new != repeat:
            st.warning("The two new passwords differ.")
        elif submitted:
            # One key per submission, never derived from the passwords (nothing of them stays in the
            # session); a refused attempt stores nothing under it, so a corrected retry may reuse it.
            changed = call(
                api.change_password,
                ctx.ledger,
                current_password=current,
                new_password=new,
                actor=ctx.actor,
                request_id=form_request_id("password"),
            )
            if changed is not None:
                signin.remember_session(changed.session_id)
                signin.emit_cookie_updates()
                st.success("Password changed. Every other tab and browser signed in as you is signed out.")
                form_done("password")
