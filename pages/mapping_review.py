"""Mapping review (stores): descriptions waiting for a mapping, their lines, ranked suggestions; resolve
with a master row or a scoped override and every waiting line is mapped at once."""

import streamlit as st

from console.text import plain
from console.views import review_context_frame, review_frame, suggestions_frame
from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup(
    "Mapping review",
    Permission.WORK_STORES,
    caption="Nothing is mapped by similarity: suggestions are for you to choose from.",
)
if (done := st.session_state.pop("resolved", None)) is not None:
    waiting = (
        f"; {done.lines_still_waiting} line(s) outside the scope still wait"
        if done.lines_still_waiting
        else ""
    )
    st.success(
        plain(f"{done.description} → {done.canonical_code}: {done.lines_mapped} line(s) mapped{waiting}.")
    )
    form_done("resolve")
queue = call(api.review_queue, ctx.ledger, actor=ctx.actor) or []
st.metric(
    "Descriptions waiting", len(queue), help=f"{sum(item.lines for item in queue)} line(s) wait on them"
)
if not queue:
    st.success("The review queue is empty: every line is mapped.")
    st.stop()
st.dataframe(review_frame(queue, zone=ctx.ledger.settings.zone), hide_index=True, width="stretch")

chosen = st.selectbox("Review", [i.description for i in queue])
item = next(i for i in queue if i.description == chosen)
st.subheader(plain(item.example))
st.caption(f"Normalised: {plain(item.description)} · exception {item.exception_id}")
st.dataframe(review_context_frame(item), hide_index=True, width="stretch")
st.markdown("**Suggestions** (similar master descriptions)")
if item.suggestions:
    st.dataframe(suggestions_frame(item), hide_index=True, width="stretch")
else:
    st.caption("No similar description in the master.")

master = call(api.mapping_master, ctx.ledger, actor=ctx.actor)
if master is None:
    st.stop()
# The suggested codes come first, but none is chosen for the user: two suggestions often tie.
suggested = list(
    dict.fromkeys(s.canonical_code for s in item.suggestions if s.canonical_code in master.canonical_uom)
)
codes = suggested + sorted(set(master.canonical_uom) - set(suggested))
with st.form(f"resolve-{item.exception_id}"):
    code = st.selectbox(
        "Canonical material",
        codes,
        index=None,
        placeholder="Choose the material these lines are",
        format_func=lambda c: f"{c} ({master.canonical_uom[c]})" + (" · suggested" if c in suggested else ""),
    )
    skus = [None, *sorted(s.sap_code for s in master.skus.values())]
    sap = st.selectbox(
        "SKU (optional)",
        skus,
        format_func=lambda s: (
            f"{s} · {master.skus[s].canonical_code} · {master.skus[s].description}"
            if s
            else "the material's default SKU"
        ),
    )
    scope = st.radio(
        "Save as",
        ["global", "LPO", "PROJECT", "PLANT", "CUSTOMER"],
        horizontal=True,
        format_func=lambda s: "master row (all LPOs)" if s == "global" else f"{s} override",
    )
    scope_value = st.text_input(
        "Scope value", help="Leave empty when all waiting lines share one (e.g. one LPO)"
    )
    submitted = st.form_submit_button("Resolve", type="primary")
    if submitted and code is None:
        st.warning("Choose the canonical material first: nothing was mapped.")
    elif submitted and code is not None:
        done = call(
            api.resolve_review,
            ctx.ledger,
            item.exception_id or "",
            canonical_code=code,
            sap_code=sap,
            scope=scope,
            scope_value=scope_value or None,
            actor=ctx.actor,
            request_id=form_request_id("resolve", item.exception_id, code, sap, scope, scope_value),
        )
        if done is not None:
            st.session_state["resolved"] = done
            st.rerun()
