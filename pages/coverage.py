"""Coverage (stores): auto-map rate, review queue size and age, overrides in use, allocation success."""

import pandas as pd
import plotly.express as px
import streamlit as st

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

left, right = st.columns(2)
decisions = pd.DataFrame(
    {
        "Decision": ["Master (AUTO)", "Override", "Manual", "Waiting review", "Waiting unit rule"],
        "Lines": [
            report.auto,
            report.override,
            report.manual,
            report.waiting_review,
            report.waiting_conversion,
        ],
    }
)
left.plotly_chart(px.bar(decisions, x="Decision", y="Lines", title="How lines were mapped"), width="stretch")
if report.allocation_days:
    days = pd.DataFrame([d.model_dump() for d in report.allocation_days]).melt(
        id_vars="run_date", var_name="Outcome", value_name="Lines"
    )
    days["Production date"] = days["run_date"].astype(str)  # dates as categories, not midnight timestamps
    chart = px.bar(
        days, x="Production date", y="Lines", color="Outcome", title="Allocation per production date"
    )
    right.plotly_chart(chart, width="stretch")
else:
    right.info("No allocation has run yet.")
