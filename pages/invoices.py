"""Invoices: filter by status and vendor; one invoice's first page, text and fields with their
sources; reprocess, route again, download the PDF."""

import streamlit as st

from console.finance import (
    INVOICE_COLUMNS,
    correction_form,
    fields_frame,
    invoice_actions,
    invoices_frame,
    open_invoice,
    show_done,
)
from console.text import plain
from console.widgets import call, page_footer, page_setup, pager
from engine import api
from engine.api import InvoiceStatus, Permission

ctx = page_setup("Invoices", Permission.REVIEW_INVOICES)
vendors = call(api.list_vendors, ctx.ledger, actor=ctx.actor) or []
with st.container(horizontal=True):
    status = st.selectbox("Status", [None, *InvoiceStatus], format_func=lambda s: s or "Any status")
    vendor = st.selectbox(
        "Vendor", [None, *(v.vendor_name for v in vendors)], format_func=lambda v: v or "Any vendor"
    )
page = call(
    api.list_invoices,
    ctx.ledger,
    actor=ctx.actor,
    status=status,
    vendor=vendor,
    offset=pager("invoices", page_size=100),
    limit=100,
)
items = page.items if page else []
st.dataframe(
    invoices_frame(items, zone=ctx.ledger.settings.zone),
    hide_index=True,
    width="stretch",
    column_config={**INVOICE_COLUMNS, "Received": st.column_config.TextColumn(f"Received ({ctx.zone_name})")},
)
if page:
    page_footer("invoices", page, noun="invoices")
if not items:
    st.info("No invoices match.")
show_done()
item = open_invoice(ctx, items)
if item is None:
    st.stop()
assert item is not None
st.subheader(f"{item.invoice_id} · {item.vendor_name or 'unknown vendor'} · {item.status}")
st.caption(
    plain(f"From {item.sender or '?'} · “{item.subject or ''}” · received {ctx.when(item.received_at)}")
    + f" ({ctx.zone_name}) · trace `{item.trace_id}`"
)
if item.error:
    st.warning(plain(item.error), icon=":material/warning:")
if item.duplicate_of:
    st.warning(f"A duplicate of {item.duplicate_of}.", icon=":material/content_copy:")
if item.exception_id:
    st.page_link(
        "../pages/exceptions.py",
        label=f"Open exception {item.exception_id}",
        icon=":material/report:",
        query_params={"exception": item.exception_id},
    )
if item.routed_at:
    st.caption(plain(f"Routed to {item.routed_to} at {ctx.when(item.routed_at)}") + f" ({ctx.zone_name})")
invoice_actions(ctx, item)
pdf_side, fields_side = st.columns(2)
preview = call(api.invoice_preview, ctx.ledger, item.invoice_id, actor=ctx.actor)
with pdf_side:
    if preview is not None and preview.first_page_png:
        st.image(preview.first_page_png, caption=f"{item.attachment_name or 'PDF'}, page 1")
    if preview is not None and preview.problem:
        st.warning(plain(f"The PDF: {preview.problem}"), icon=":material/picture_as_pdf:")
with fields_side:
    st.dataframe(fields_frame(item), hide_index=True, width="stretch")
    correction_form(ctx, item)
    if item.file_id:
        download = call(api.invoice_pdf, ctx.ledger, item.invoice_id, actor=ctx.actor)
        if download is not None:
            st.download_button(
                f"Download {plain(download.file_name)}",
                download.content,
                file_name=download.file_name,
                mime=download.media_type,
                icon=":material/download:",
                on_click="ignore",  # a download needs no rerun
            )
    if preview is not None and preview.text:
        st.caption("The PDF's text, as the pipeline read it")
        st.code(preview.text, language=None, wrap_lines=True)
