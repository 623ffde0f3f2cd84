"""The action form of one exception: acknowledge, assign, resolve or dismiss, checked against the
version the user saw (someone else acting first makes the engine refuse, and says so)."""

from __future__ import annotations

import streamlit as st

from console.widgets import PageContext, call, form_request_id
from engine import api
from engine.api import ExceptionAction, ExceptionView


def action_form(ctx: PageContext, item: ExceptionView) -> None:
    with st.form(f"act-{item.exception_id}"):
        action = st.radio(
            "Action", list(ExceptionAction), horizontal=True, format_func=lambda a: a.value.capitalize()
        )
        assignee = st.text_input("Assign to (e-mail)", help="Only for Assign")
        notes = st.text_area("Notes", help="Required to resolve or dismiss")
        if not st.form_submit_button("Apply", type="primary"):
            return
    done = call(
        api.act_on_exception,
        ctx.ledger,
        item.exception_id,
        action,
        actor=ctx.actor,
        notes=notes or None,
        assignee=assignee or None,
        expected_version=item.version,
        request_id=form_request_id("act", item.exception_id, item.version, action, assignee, notes),
    )
    if done is not None:
        st.success(f"{done.exception_id} is now {done.status}.")
        st.rerun()
