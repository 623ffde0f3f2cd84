"""Unknown vendors: invoices waiting for a vendor, grouped by sender domain; add the vendor to the
master or alias the domain to an existing one, and what waited for it is reprocessed and routed."""

import streamlit as st

from console.finance import add_vendor_form, alias_form, invoices_frame, show_done
from console.text import plain
from console.widgets import call, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup(
    "Unknown vendors",
    Permission.REVIEW_INVOICES,
    caption="Invoices whose sender and text match no vendor in the master, grouped by sender domain.",
)
show_done()
groups = call(api.unknown_vendors, ctx.ledger, actor=ctx.actor)
vendors = call(api.list_vendors, ctx.ledger, actor=ctx.actor) or []
if not groups:
    st.info("No invoice waits for an unknown vendor.", icon=":material/check_circle:")
    st.stop()
assert groups is not None
for group in groups:
    with st.container(border=True):
        waiting = len(group.invoices)
        st.subheader(f"{group.sender_domain} · {waiting} invoice{'s' if waiting != 1 else ''} waiting")
        st.markdown(
            "**Senders:** "
            + plain(", ".join(group.senders) or "—")
            + "  \n**Names on the invoices:** "
            + plain(", ".join(group.detected_names) or "none detected")
            + "  \n**Similar vendors in the master:** "
            + plain(", ".join(group.similar_vendors) or "none")
        )
        st.dataframe(
            invoices_frame(group.invoices, zone=ctx.ledger.settings.zone),
            hide_index=True,
            width="stretch",
            column_order=[
                "Received",
                "Number",
                "Date",
                "Total",
                "Currency",
                "Invoice",
                "Sender",
                "Exception",
            ],
        )
        add_tab, alias_tab = st.tabs(["Add as a new vendor", "Alias to an existing vendor"])
        with add_tab:
            add_vendor_form(ctx, group)
        with alias_tab:
            alias_form(ctx, group, vendors)
