"""Vendor master (finance): the vendors with their sender domains, aliases and GL coding; add or
edit one, import a CSV/xlsx, export."""

import streamlit as st

from console.finance import show_done, vendor_form, vendor_import_form, vendors_frame
from console.widgets import call, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup(
    "Vendor master",
    Permission.REVIEW_INVOICES,
    caption="An invoice finds its vendor by the sender's domain, else by the vendor's name or an alias "
    "in its text. A *Reseller*'s invoices are flagged for review, not enriched.",
)
show_done()
vendors = call(api.list_vendors, ctx.ledger, actor=ctx.actor) or []
st.dataframe(
    vendors_frame(vendors, zone=ctx.ledger.settings.zone),
    hide_index=True,
    width="stretch",
    column_config={
        "Vendor": st.column_config.TextColumn(width="medium", pinned=True),
        "Updated": st.column_config.TextColumn(f"Updated ({ctx.zone_name})"),
    },
)
st.caption(f"{len(vendors)} vendor(s). Untick *Active* to retire one (the audit keeps its history).")
with st.expander("Add or edit a vendor", icon=":material/edit:"):
    vendor_form(ctx, vendors)

left, right = st.columns(2)
with left:
    vendor_import_form(ctx)
with right:
    st.markdown(f"**Export** {len(vendors)} vendor(s)")
    for fmt in ("csv", "xlsx"):
        download = call(api.export_vendors, ctx.ledger, fmt=fmt, actor=ctx.actor)
        if download is not None:
            st.download_button(
                f"Download .{fmt}",
                download.content,
                file_name=download.file_name,
                mime=download.media_type,
                key=f"export-vendors-{fmt}",
                icon=":material/download:",
                on_click="ignore",  # a download needs no rerun
            )
