"""The exception queue's shared parts: which exception is open (kept across reruns and the actions
that take it out of the filtered list), and its action form (acknowledge, assign, resolve or dismiss,
checked against the version the user saw: someone else acting first makes the engine refuse, and says
so)."""

from __future__ import annotations

import streamlit as st

from console.text import plain
from console.widgets import PageContext, call, form_done, form_request_id
from engine import api
from engine.api import ExceptionAction, ExceptionView

DONE = "_exception_done"  # the confirmation of the last action, shown after the rerun
OPEN = "exception"  # the query parameter naming the open exception (links from the inbox use it)


def open_exception(ctx: PageContext, items: list[ExceptionView]) -> ExceptionView | None:
    """The exception the user opened: the one named in the address (an inbox link, the last action),
    even when the filters no longer list it; else the first listed."""
    wanted = st.query_params.get(OPEN)
    listed = {e.exception_id: e for e in items}
    if wanted and wanted not in listed:
        extra = call(api.get_exception, ctx.ledger, wanted, actor=ctx.actor)
        if extra is not None:
            listed = {extra.exception_id: extra, **listed}
    ids = list(listed)
    if not ids:
        return None
    chosen = st.selectbox(
        "Open exception",
        ids,
        index=ids.index(wanted) if wanted in listed else 0,
        format_func=lambda i: f"{i} · {listed[i].kind} · {listed[i].status}",
    )
    if chosen != wanted:
        st.query_params[OPEN] = chosen
    return listed[chosen]


def show_done() -> None:
    """The confirmation of the action just taken, once, above the exception it changed (in a slot
    that is always there, so the message coming and going never moves what follows)."""
    slot = st.empty()
    done = st.session_state.pop(DONE, None)
    if done:
        slot.success(done, icon=":material/check_circle:")


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
        form_done("act")
        who = f", assigned to {done.assigned_to}" if done.assigned_to else ""
        st.session_state[DONE] = plain(f"{done.exception_id} is now {done.status}{who}.")
        st.query_params[OPEN] = done.exception_id
        st.rerun()
