"""Bills: every carrier invoice met in a bill; a tracking number's attributes, billed cost and
every charge it was billed (a package billed twice shows both)."""

import streamlit as st

from console.carriers import CARRIERS, INVOICE_COLUMNS, invoices_frame, shipment_frames
from console.widgets import call, money, page_setup
from engine import api
from engine.api import Permission

ctx = page_setup("Bills", Permission.WORK_CARRIERS)
with st.container(horizontal=True):
    carrier = st.selectbox(
        "Carrier", [None, *CARRIERS], format_func=lambda c: c.upper() if c else "Any carrier"
    )
    account = st.text_input("Account", placeholder="Any account")
invoices = (
    call(api.list_carrier_invoices, ctx.ledger, actor=ctx.actor, carrier=carrier, account=account) or []
)
if invoices:
    st.dataframe(invoices_frame(invoices), hide_index=True, width="stretch", column_config=INVOICE_COLUMNS)
    loaded = [i for i in invoices if i.status == "loaded"]
    st.caption(
        f"{len(invoices)} invoice(s), {len(loaded)} loaded · "
        f"Σ net {money(sum(i.net_total for i in loaded))} · "
        f"{sum(i.packages for i in loaded):,} package(s)"
    )
else:
    st.info("No carrier invoices yet: load a bill on the Carrier upload page.")

st.subheader("Find a shipment")
with st.form("find-shipment"):
    left, right = st.columns([1, 3])
    which = left.selectbox("Carrier", CARRIERS, format_func=str.upper, key="find-carrier")
    tracking = right.text_input("Tracking number")
    found = st.form_submit_button("Find", icon=":material/search:")
if found and tracking.strip():
    view = call(api.shipment, ctx.ledger, carrier=which, tracking=tracking, actor=ctx.actor)
    if view is not None:
        attributes, charges = shipment_frames(view)
        st.markdown(f"**{view.carrier.upper()} {view.tracking_number}** · billed {money(view.billed_cost)}")
        left, right = st.columns([2, 3])
        left.dataframe(attributes, hide_index=True, width="stretch")
        right.dataframe(charges, hide_index=True, width="stretch")
