"""Each desk's morning view on the Home page: what to do today, with a link to where it is done."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import PageContext, call
from engine import api
from engine.api import AdminDesk, InboxMessage, Role, SalesDesk, StoresDesk

EXCEPTIONS = "../pages/exceptions.py"


def exception_link(exception_id: str, *, label: str | None = None) -> None:
    st.page_link(
        EXCEPTIONS,
        label=label or f"Open {exception_id}",
        icon=":material/report:",
        query_params={"exception": exception_id},
    )


def duration(minutes: int) -> str:
    """``5h 07m`` (or ``42m``): how long until something happens, short enough for a metric."""
    hours, rest = divmod(max(minutes, 0), 60)
    return f"{hours}h {rest:02d}m" if hours else f"{rest}m"


def sales_view(ctx: PageContext, desk: SalesDesk) -> None:
    st.subheader("Sales: today")
    cols = st.columns(3)
    cols[0].metric("My uploads today", len(desk.uploads_today))
    cols[1].metric("My blocked tags", len(desk.blocked))
    cols[2].metric(f"LPOs ≥ {desk.near_limit_share:.0%} committed", len(desk.near_limit))
    if desk.uploads_today:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Tag": t.tag_id,
                        "LPO": t.lpo_id or "",
                        "Status": str(t.status),
                        "Area m2": float(t.required_area_m2),
                        "Delivery": t.requested_delivery_date,
                        "Uploaded": ctx.when(t.uploaded_at)[-5:],
                        "File": t.original_file_name or "",
                    }
                    for t in desk.uploads_today
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    for tag in desk.blocked:
        with st.container(border=True):
            st.markdown(
                f"**{plain(tag.tag_id)}** · {plain(tag.lpo_id or '')} · blocked {ctx.when(tag.uploaded_at)}"
            )
            st.text(tag.reason)
            if tag.exception_id:
                exception_link(tag.exception_id)
    if desk.near_limit:
        st.caption("LPOs close to their PO quantity: a new tag may be blocked for lack of balance.")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "LPO": lpo.lpo_id,
                        "Customer": lpo.customer,
                        "Committed": f"{lpo.share:.1%}",
                        "Left m2": float(lpo.remaining_m2),
                        "PO m2": float(lpo.po_quantity_m2),
                    }
                    for lpo in desk.near_limit
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    with st.container(horizontal=True):
        st.page_link("../pages/sales_upload.py", label="Upload a tag sheet", icon=":material/upload_file:")
        st.page_link("../pages/lpos.py", label="LPO balances", icon=":material/receipt_long:")


def stores_view(ctx: PageContext, desk: StoresDesk) -> None:
    st.subheader("Stores: today")
    cut, review, stock = desk.cutoff, desk.review, desk.stock
    cols = st.columns(5)
    cols[0].metric("T-1 cut-off in", duration(cut.minutes_left), help=f"At {ctx.when(cut.at)}")
    cols[1].metric(f"Tags due {cut.run_date:%a %d %b}", cut.tags, help=f"{cut.lines} line(s)")
    cols[2].metric("In mapping review", review.descriptions, help=f"{review.lines} line(s) wait on them")
    age = desk.snapshot_age_days
    cols[3].metric("Snapshot age", "none" if age is None else f"{age} day{'' if age == 1 else 's'}")
    cols[4].metric("Open shortages", desk.shortages.total)
    st.caption(
        f"The cut-off at {ctx.when(cut.at)} allocates {cut.tags} tag(s), {cut.lines} line(s), "
        f"due {cut.run_date:%a %d %b}."
    )
    if cut.waiting_lines:
        st.warning(
            f"{cut.waiting_lines} of the {cut.lines} line(s) due {cut.run_date} wait on a mapping; "
            "map them before the cut-off or they get no stock.",
            icon=":material/rule:",
        )
    if review.oldest_description and review.oldest_since:
        since = ctx.when(review.oldest_since)
        st.caption(plain(f"Oldest in review: '{review.oldest_description}', waiting since {since}."))
    if stock.stale:
        st.warning(plain(stock.message), icon=":material/warehouse:")
    for item in desk.shortages.items:
        with st.container(border=True):
            st.text(item.message)
            exception_link(item.exception_id)
    with st.container(horizontal=True):
        st.page_link("../pages/mapping_review.py", label="Mapping review", icon=":material/rule:")
        st.page_link("../pages/stock_snapshot.py", label="Stock snapshot", icon=":material/warehouse:")
        st.page_link("../pages/allocation.py", label="Allocation", icon=":material/conveyor_belt:")


def admin_view(ctx: PageContext, desk: AdminDesk) -> None:
    st.subheader("Admin: today")
    failing = [job for job in desk.jobs if not job.ok]
    cols = st.columns(3)
    cols[0].metric("Health", "OK" if desk.health.ok else "Attention")
    cols[1].metric("Failed job runs", desk.failed_total, help=f"Since {ctx.when(desk.failed_since)}")
    cols[2].metric("Jobs failing now", len(failing))
    if desk.health.exposed_demo_accounts:
        st.error(
            "Demo accounts with published passwords are active while demo data is off: "
            f"{plain(', '.join(desk.health.exposed_demo_accounts))}. Deactivate them on the Users page.",
            icon=":material/gpp_bad:",
        )
    elif desk.demo_data and desk.demo_accounts:
        st.warning(
            f"Demo data is on: {len(desk.demo_accounts)} demo account(s) sign in with the published "
            "passwords. Use this store for trials only.",
            icon=":material/science:",
        )
    for check in desk.health.checks:
        if not check.ok:
            st.warning(plain(f"{check.name}: {check.detail}"), icon=":material/monitor_heart:")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Job": job.title,
                    "Last run": str(job.last.status) if job.last else "never",
                    "At": ctx.when(job.last.created_at) if job.last else "",
                    "Error": (job.last.error or "") if job.last else "",
                }
                for job in desk.jobs
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    for run in desk.failed_runs:
        st.text(f"{ctx.when(run.created_at)} · {run.job_name} failed: {run.error or 'no message'}")
    with st.container(horizontal=True):
        st.page_link("../pages/operations.py", label="Operations", icon=":material/monitor_heart:")
        st.page_link("../pages/users.py", label="Users", icon=":material/group:")


def desk_views(ctx: PageContext) -> None:
    """The morning view of each desk the user's roles own, in the roles' order."""
    roles = ctx.actor.roles
    if Role.SALES in roles and (sales := call(api.sales_morning, ctx.ledger, actor=ctx.actor)):
        sales_view(ctx, sales)
    if Role.STORES in roles and (stores := call(api.stores_morning, ctx.ledger, actor=ctx.actor)):
        stores_view(ctx, stores)
    if Role.ADMIN in roles and (admin := call(api.admin_morning, ctx.ledger, actor=ctx.actor)):
        admin_view(ctx, admin)


def inbox_view(ctx: PageContext, inbox: list[InboxMessage]) -> None:
    for message in inbox:
        with st.container(border=True):
            marker = "" if message.read_at else ":blue-badge[new] "
            st.markdown(
                f"{marker}**{plain(message.title)}** · {message.desk} · {ctx.when(message.created_at)}"
            )
            st.text(message.body)
            if message.exception_id:
                exception_link(message.exception_id)


__all__ = ["desk_views", "duration", "inbox_view"]
