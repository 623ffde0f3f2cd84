"""LPOs: PO quantity, delivered, committed and remaining per LPO, with how much of each PO is used."""

import pandas as pd
import streamlit as st

from console.widgets import call, form_done, form_request_id, page_setup
from engine import api
from engine.api import LpoBalance, Permission

# The share of the PO used is drawn in the table itself (no chart library to load: the page's first
# render stays fast). Key columns first, sized for a 1,440 px screen.
COLUMNS = {
    "LPO": st.column_config.TextColumn(width="small", pinned=True),
    "Customer": st.column_config.TextColumn(width="large"),
    "Status": st.column_config.TextColumn(width="small"),
    "Used": st.column_config.ProgressColumn(
        "Used of PO",
        width="medium",
        format="percent",
        min_value=0.0,
        max_value=1.0,
        help="Committed (delivered + live tags) as a share of the PO quantity",
    ),
    "Remaining m2": st.column_config.NumberColumn(width="small", format="%.2f"),
    "PO m2": st.column_config.NumberColumn(width="small", format="%.2f"),
    "Committed m2": st.column_config.NumberColumn(width="small", format="%.2f"),
    "Delivered m2": st.column_config.NumberColumn(width="small", format="%.2f"),
    "Live tags": st.column_config.NumberColumn(width="small"),
    "Customer ref": st.column_config.TextColumn(width="small"),
}


def balances_frame(lpos: list[LpoBalance]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "LPO": lpo.lpo_id,
                "Customer": lpo.customer,
                "Status": str(lpo.status),
                "Used": float(lpo.committed_m2 / lpo.po_quantity_m2) if lpo.po_quantity_m2 else 0.0,
                "Remaining m2": float(lpo.remaining_m2),
                "PO m2": float(lpo.po_quantity_m2),
                "Committed m2": float(lpo.committed_m2),
                "Delivered m2": float(lpo.delivered_quantity_m2),
                "Live tags": lpo.live_tags,
                "Customer ref": lpo.customer_lpo_ref or "",
            }
            for lpo in lpos
        ]
    )


ctx = page_setup(
    "LPOs",
    Permission.VIEW_TAGS,
    caption="Committed = delivered + the areas of live tags (not blocked, cancelled or delivered).",
)
table = st.container()  # filled at the end: an import below changes it

if ctx.actor.can(Permission.ADMINISTER):
    with st.form("lpo-import"):
        st.markdown(
            "**Import or update LPOs**: a CSV with the columns lpo_id, customer, po_quantity_m2 and status; "
            "optionally customer_lpo_ref, project_id, plant_id, delivered_quantity_m2 and currency."
        )
        upload = st.file_uploader("LPO master CSV", type=["csv"], max_upload_size=ctx.upload_mb)
        if st.form_submit_button("Import LPOs"):
            if upload is None:
                st.warning("Choose the LPO master CSV first.")
            else:
                summary = call(
                    api.import_lpos,
                    ctx.ledger,
                    upload.getvalue(),
                    actor=ctx.actor,
                    request_id=form_request_id("lpo-import", upload.file_id),
                )
                if summary is not None:
                    counts = f"{summary.created} created, {summary.updated} updated"
                    st.success(f"{counts}, {summary.unchanged} unchanged.", icon=":material/check_circle:")
                    form_done("lpo-import")

lpos = call(api.list_lpos, ctx.ledger, actor=ctx.actor) or []
with table:
    if lpos:
        st.dataframe(
            balances_frame(lpos),
            hide_index=True,
            width="stretch",
            column_order=list(COLUMNS),
            column_config=COLUMNS,
        )
    else:
        st.info("No LPOs yet." + (" Import them below." if ctx.actor.can(Permission.ADMINISTER) else ""))
