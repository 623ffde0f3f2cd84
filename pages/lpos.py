"""LPOs: PO quantity, committed and remaining per LPO, as a table and a bar chart."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from console.text import plain
from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup(
    "LPOs",
    Permission.VIEW_TAGS,
    caption="Committed = delivered + the areas of live tags (not blocked, cancelled or delivered).",
)
lpos = call(api.list_lpos, ctx.ledger, actor=ctx.actor) or []
if lpos:
    frame = pd.DataFrame(
        [
            {
                "LPO": lpo.lpo_id,
                "Customer ref": lpo.customer_lpo_ref or "",
                "Customer": lpo.customer,
                "Status": str(lpo.status),
                "PO m2": float(lpo.po_quantity_m2),
                "Delivered m2": float(lpo.delivered_quantity_m2),
                "Committed m2": float(lpo.committed_m2),
                "Remaining m2": float(lpo.remaining_m2),
                "Live tags": lpo.live_tags,
            }
            for lpo in lpos
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%.2f") for c in frame.columns if "m2" in c},
    )
    figure = go.Figure()
    figure.add_bar(name="Delivered", y=frame["LPO"], x=frame["Delivered m2"], orientation="h")
    figure.add_bar(
        name="Live tags", y=frame["LPO"], x=frame["Committed m2"] - frame["Delivered m2"], orientation="h"
    )
    figure.add_bar(name="Remaining", y=frame["LPO"], x=frame["Remaining m2"].clip(lower=0), orientation="h")
    figure.update_layout(
        barmode="stack",
        xaxis_title="m2",
        height=120 + 40 * len(frame),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h"},
    )
    st.plotly_chart(figure, width="stretch")
else:
    st.info("No LPOs yet.")

if ctx.actor.can(Permission.ADMINISTER):
    with st.form("lpo-import"):
        st.markdown(
            "**Import or update LPOs** (CSV with lpo_id, customer_lpo_ref, customer, project_id, plant_id, "
            "po_quantity_m2, delivered_quantity_m2, status, currency)"
        )
        upload = st.file_uploader("LPO master CSV", type=["csv"])
        if st.form_submit_button("Import") and upload is not None:
            summary = call(
                api.import_lpos,
                ctx.ledger,
                upload.getvalue(),
                actor=ctx.actor,
                request_id=form_request_id("lpo-import", upload.file_id),
            )
            if summary is not None:
                counts = (
                    f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged."
                )
                st.success(plain(counts))
                form_done("lpo-import")
