"""Exceptions: one inbox for the user's desks; acknowledge, assign, resolve or dismiss with notes."""

import streamlit as st

from console.exceptions import action_form, open_exception, show_done
from console.text import plain
from console.views import details_frame, exceptions_frame
from console.widgets import call, page_footer, page_setup, pager
from engine import api
from engine.api import ExceptionKind, ExceptionStatus, Permission

ctx = page_setup("Exceptions", Permission.READ_LEDGER)
desks = ctx.actor.desks()
with st.container(horizontal=True):
    desk = (
        st.selectbox("Desk", [None, *desks], format_func=lambda d: d or "All my desks")
        if len(desks) > 1
        else None
    )
    status = st.selectbox(
        "Status",
        ["open", *ExceptionStatus, None],
        format_func=lambda s: {"open": "Open or acknowledged", None: "Any"}.get(s, s),
    )
    kind = st.selectbox("Kind", [None, *ExceptionKind], format_func=lambda k: k or "Any kind")
    overdue_only = st.toggle("Overdue only")
page = call(
    api.list_exceptions,
    ctx.ledger,
    actor=ctx.actor,
    desk=desk,
    kind=kind,
    overdue_only=overdue_only,
    open_only=status == "open",
    status=None if status in (None, "open") else status,
    offset=pager("exceptions", page_size=100),
    limit=100,
)
items = page.items if page else []
overdue = sum(e.overdue for e in items)
if overdue:
    st.error(f"{overdue} exception(s) on this page are past their SLA.", icon=":material/alarm:")
frame = exceptions_frame(items, zone=ctx.ledger.settings.zone)
st.dataframe(
    frame.style.apply(lambda row: ["background-color: #fde2e1" if row["Overdue"] else ""] * len(row), axis=1)
    if len(frame)
    else frame,
    hide_index=True,
    width="stretch",
    # What tells exceptions apart first; the full message of the open one is shown below the table.
    column_order=["Overdue", "Exception", "Kind", "Status", "Due", "Tag", "Message", "Severity", "LPO"]
    + (["Desk"] if len(desks) > 1 else [])
    + ["Assigned to"],
    column_config={
        "Overdue": st.column_config.TextColumn("", width="small"),
        "Message": st.column_config.TextColumn(width="medium"),
        "Due": st.column_config.TextColumn(f"Due ({ctx.zone_name})"),
    },
)
if page:
    page_footer("exceptions", page, noun="exceptions")
if not items:
    st.info("Nothing here: no exception matches.")
show_done()
item = open_exception(ctx, items)
if item is None:
    st.stop()
assert item is not None
st.subheader(f"{item.exception_id} · {item.kind} · {item.status}")
st.markdown(plain(item.message))  # in full, wrapped: the table cuts long messages
st.caption(
    f"Desk {item.desk} · severity {item.severity} · due {ctx.when(item.sla_due)} ({ctx.zone_name})"
    + (" · **OVERDUE**" if item.overdue else "")
    + f" · trace `{item.trace_id}` · version {item.version}"
)
if item.tag_id:
    st.page_link(
        "../pages/tags.py",
        label=f"Open {item.tag_id}",
        icon=":material/sell:",
        query_params={"tag": item.tag_id},
    )
if item.kind is ExceptionKind.MAPPING_REVIEW:  # resolved there, where its waiting lines are mapped
    st.page_link(
        "../pages/mapping_review.py", label="Resolve it on the Mapping review page", icon=":material/rule:"
    )
with st.expander("Details"):
    st.dataframe(details_frame(item.payload), hide_index=True, width="stretch")
    if item.resolver_notes:
        st.text(f"Notes: {item.resolver_notes}")

if item.status in (ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED) and ctx.actor.works_desk(item.desk):
    action_form(ctx, item)
