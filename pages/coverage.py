"""Coverage (stores): auto-map rate, review queue size and age, overrides in use, allocation success.

Tables with bars rather than charts: the figures are few, and the page opens at once (a chart library
is loaded by the browser on first use and took seconds)."""

import streamlit as st

from console.stores_views import (
    ALLOCATION_DAY_COLUMNS,
    DECISION_COLUMNS,
    allocation_days_frame,
    decisions_frame,
)
from console.widgets import call, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup("Coverage", Permission.WORK_STORES)
report = call(api.coverage, ctx.ledger, actor=ctx.actor)
if report is None:
    st.stop()


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


cols = st.columns(4)
cols[0].metric(
    "Auto-map rate", percent(report.auto_map_rate), help="Lines mapped by master rows and overrides"
)
cols[1].metric("Review queue", report.queue_descriptions, help=f"{report.waiting_review} line(s) wait")
age = report.oldest_waiting_hours
cols[2].metric("Oldest waiting", "—" if age is None else f"{age:.1f} h")
cols[3].metric(
    "Allocation success",
    percent(report.allocation_success_rate),
    help="Lines fully allocated, of the lines allocation tried",
)
st.caption(
    f"{report.lines} current tag lines · {report.overrides_in_use} of {report.overrides_active} active "
    f"overrides in use · {report.not_tracked} not tracked · {report.waiting_conversion} waiting for a "
    "unit rule"
)

left, right = st.columns([2, 3])
left.markdown("**How lines were mapped**")
left.dataframe(decisions_frame(report), hide_index=True, column_config=DECISION_COLUMNS)
right.markdown("**Allocation per production date**")
if report.allocation_days:
    right.dataframe(allocation_days_frame(report), hide_index=True, column_config=ALLOCATION_DAY_COLUMNS)
else:
    right.info("No allocation has run yet.")
