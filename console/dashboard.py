"""The reconciliation dashboard's parts: the engine's aggregates as tables (each downloadable as CSV)
and plotly figures. Every figure is drawn from a small frame the engine computed in SQL, so the page
costs the same with a thousand packages or a million."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from console.carriers import CARRIERS, LEDGER_COLUMNS, csv_bytes, ledger_frame
from engine.api import Dashboard, PackageList
from engine.reconciliation.dashboard import WeeklySpend

TOP_NAMES = 8  # a stacked bar stays readable with ~8 colours; the rest is summed as "Other"
SPEND_BY = {
    "Carrier": "spend_by_carrier",
    "Service": "spend_by_service",
    "Charge type": "spend_by_charge_type",
}
LAYOUT = {"height": 320, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "legend": {"orientation": "h"}}


FILTERS = ("carrier", "account", "since", "until")


def chosen_filters() -> dict[str, Any]:
    """The filters as the widgets left them (read before the widgets are drawn: the account choices
    come from the dashboard itself)."""
    return {name: st.session_state.get(f"recon-{name}") for name in FILTERS}


def show_filters(board: Dashboard | None, chosen: dict[str, Any]) -> None:
    carrier = chosen["carrier"]
    accounts = [
        a for c, names in (board.accounts if board else {}).items() if carrier in (None, c) for a in names
    ]
    if board is not None and chosen["account"] not in (None, *accounts):  # another carrier's account
        st.session_state["recon-account"] = None
        st.rerun()
    st.selectbox(
        "Carrier",
        [None, *CARRIERS],
        format_func=lambda c: c.upper() if c else "Any carrier",
        key="recon-carrier",
    )
    st.selectbox(
        "Account",
        [None, *accounts],
        format_func=lambda a: a or "Any account",
        key="recon-account",
        help="The packages billed on this account. The WMS export names no account, so packages shipped "
        "but not billed show only under Any account.",
    )
    st.date_input("Shipped from", value=None, key="recon-since")
    st.date_input("Shipped to", value=None, key="recon-until")


def spend_frame(points: Sequence[WeeklySpend], *, top: int = TOP_NAMES) -> pd.DataFrame:
    """Week × name → Σ billed, the ``top`` names by spend kept and the rest summed as "Other"."""
    frame = pd.DataFrame(
        [{"Week": p.week, "Name": p.name, "Billed": float(p.amount)} for p in points],
        columns=["Week", "Name", "Billed"],
    )
    keep = frame.groupby("Name")["Billed"].sum().nlargest(top).index
    frame.loc[~frame["Name"].isin(keep), "Name"] = "Other"
    return frame.groupby(["Week", "Name"], as_index=False)["Billed"].sum()


def chart_text(value: object) -> str:
    """Text from a bill (a service, a charge type) as plotly shows it literally: plotly reads a subset
    of HTML in names and labels (``<b>``, ``<a href>``), and text from a file is never markup."""
    return html.escape(str(value), quote=False)


def spend_figure(frame: pd.DataFrame, by: str) -> go.Figure:
    figure = go.Figure(
        [
            go.Bar(x=part["Week"], y=part["Billed"], name=chart_text(name))
            for name, part in frame.groupby("Name")
        ]
    )
    return figure.update_layout(
        barmode="stack", title=f"Billed per week by {by.lower()}", showlegend=True, **LAYOUT
    )


def package_cost_frame(board: Dashboard) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Week": w.week,
                "Carrier": w.carrier,
                "Packages": w.packages,
                "Billed": float(w.billed),
                "Per package": float(w.per_package),
            }
            for w in board.package_cost
        ],
        columns=["Week", "Carrier", "Packages", "Billed", "Per package"],
    )


def package_cost_figure(frame: pd.DataFrame) -> go.Figure:
    figure = go.Figure(
        [
            go.Scatter(x=part["Week"], y=part["Per package"], name=chart_text(carrier), mode="lines+markers")
            for carrier, part in frame.groupby("Carrier")
        ]
    )
    return figure.update_layout(title="Cost per billed package (ship week)", **LAYOUT)


def status_frame(board: Dashboard) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Status": str(s.status),
                "Packages": s.packages,
                "Billed": float(s.billed),
                "Expected": float(s.expected),
                "Variance": float(s.variance),
            }
            for s in board.statuses
        ],
        columns=["Status", "Packages", "Billed", "Expected", "Variance"],
    )


def status_figure(frame: pd.DataFrame) -> go.Figure:
    figure = go.Figure(go.Bar(x=frame["Packages"], y=frame["Status"], orientation="h"))
    return figure.update_layout(title="Packages per status", yaxis={"autorange": "reversed"}, **LAYOUT)


def variance_frame(board: Dashboard) -> pd.DataFrame:
    def label(low: object, high: object, below: bool, above: bool) -> str:
        return f"≤ {high}" if below else f"≥ {low}" if above else f"{low} – {high}"

    return pd.DataFrame(
        [
            {
                "Variance": label(b.low, b.high, b.open_below, b.open_above),
                "From": float(b.low),
                "To": float(b.high),
                "Packages": b.packages,
            }
            for b in board.variance_bins
        ],
        columns=["Variance", "From", "To", "Packages"],
    )


def variance_figure(frame: pd.DataFrame) -> go.Figure:
    # A numeric axis (bars at their bins' middles) rather than 30 range labels; the label is the hover.
    width = (frame["To"] - frame["From"]).clip(lower=0.01)
    figure = go.Figure(
        go.Bar(
            x=frame["From"] + width / 2,
            y=frame["Packages"],
            width=width,
            hovertext=frame["Variance"],
            hovertemplate="%{hovertext}: %{y} package(s)<extra></extra>",
        )
    )
    return figure.update_layout(title="Variance (billed − expected), packages that differ", **LAYOUT)


def dispute_frame(board: Dashboard) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Dispute": d.dispute_status,
                "Packages": d.packages,
                "Claimed": float(d.claimed),
                "Recovered": float(d.recovered),
            }
            for d in board.disputes
        ],
        columns=["Dispute", "Packages", "Claimed", "Recovered"],
    )


def dispute_figure(frame: pd.DataFrame) -> go.Figure:
    figure = go.Figure(
        [
            go.Bar(x=frame["Dispute"], y=frame["Claimed"], name="Claimed"),
            go.Bar(x=frame["Dispute"], y=frame["Recovered"], name="Recovered"),
        ]
    )
    return figure.update_layout(barmode="group", title="Recovered vs claimed", **LAYOUT)


def file_name(stem: str, board: Dashboard) -> str:
    chosen = board.filter
    parts = [
        stem.lower().replace(" ", "-"),
        chosen.carrier,
        chosen.account,
        _day(chosen.since),
        _day(chosen.until),
    ]
    return "-".join(p for p in parts if p) + ".csv"


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def show_table(
    frame: pd.DataFrame, name: str, *, key: str, column_config: dict[str, Any] | None = None
) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config)
    st.download_button(
        "Download CSV",
        csv_bytes(frame),
        file_name=name,
        mime="text/csv",
        icon=":material/download:",
        key=f"csv-{key}",
        on_click="ignore",  # a download needs no rerun
    )


def show_chart(figure: go.Figure, frame: pd.DataFrame, name: str, *, key: str) -> None:
    """A chart, and the table it was drawn from under it (folded) with its CSV."""
    if frame.empty:
        st.caption(f"{figure.layout.title.text}: nothing in this selection.")
        return
    st.plotly_chart(figure, width="stretch", key=f"chart-{key}")
    with st.expander("Table"):
        show_table(frame, name, key=key)


def show_packages(packages: PackageList, name: str, *, key: str, empty: str) -> None:
    if not packages.rows:
        st.caption(empty)
        return
    if packages.capped:
        st.caption(
            f"The {len(packages.rows):,} largest of {packages.total:,}; narrow the filters for others."
        )
    show_table(ledger_frame(packages.rows), name, key=key, column_config=LEDGER_COLUMNS)
