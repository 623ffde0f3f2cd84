"""Parts of the managers' (logistics) desk's pages: a carrier file's per-invoice outcome, the bills
and one shipment's charges, the reconciled ledger's rows, and the dispute form of one package (the
reconciliation dashboard's charts are in ``console.dashboard``)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from console.finance import finish
from console.text import plain
from console.widgets import PageContext, call, form_request_id, money
from engine import api
from engine.api import (
    CarrierFileResult,
    CarrierFileStatus,
    CarrierInvoiceView,
    DisputeAction,
    InvoiceOutcome,
    LedgerRow,
    ShipmentView,
    WmsStatus,
)

CARRIERS = [c.value for c in api.Carrier]

INVOICE_COLUMNS = {
    "Invoice": st.column_config.TextColumn(width="small", pinned=True),
    "Date": st.column_config.DateColumn(width="small", format="YYYY-MM-DD"),
    "Rows": st.column_config.NumberColumn(width="small"),
    "Σ net": st.column_config.TextColumn(width="small"),
    "Amount due": st.column_config.TextColumn(width="small"),
    "Packages": st.column_config.NumberColumn(width="small"),
    "Invoice-level": st.column_config.TextColumn(width="small"),
    "Loaded": st.column_config.TextColumn(width="small"),
    "Exception": st.column_config.TextColumn(width="small"),
}
LEDGER_COLUMNS = {
    "Carrier": st.column_config.TextColumn(width="small"),
    "Tracking": st.column_config.TextColumn(width="medium", pinned=True),
    "Status": st.column_config.TextColumn(width="medium"),
    "Billed": st.column_config.NumberColumn(format="%.2f", width="small"),
    "Expected": st.column_config.NumberColumn(format="%.2f", width="small"),
    "Variance": st.column_config.NumberColumn(format="%.2f", width="small"),
    "Billed lb": st.column_config.NumberColumn(width="small"),
    "Expected lb": st.column_config.NumberColumn(width="small"),
    "Ship date": st.column_config.DateColumn(width="small", format="YYYY-MM-DD"),
    "Dispute": st.column_config.TextColumn(width="small"),
    "Claim": st.column_config.NumberColumn(format="%.2f", width="small"),
    "Recovered": st.column_config.NumberColumn(format="%.2f", width="small"),
    "Reference": st.column_config.TextColumn(width="small"),
    "Exception": st.column_config.TextColumn(width="small"),
}


def _mark(status: str) -> str:
    return "✓" if status == "loaded" else "✗"


def invoices_frame(invoices: Sequence[InvoiceOutcome]) -> pd.DataFrame:
    """One row per carrier invoice: its control totals and whether it loaded (✓) or not (✗)."""
    rows = []
    for i in invoices:
        row = {
            "Invoice": i.invoice_number,
            "Date": i.invoice_date,
            "Rows": i.rows,
            "Σ net": money(i.net_total),
            "Amount due": money(i.amount_due),
            "Packages": i.packages,
            "Invoice-level": money(i.invoice_level_total),
            "Loaded": _mark(i.status),
            "Exception": i.exception_id or "",
        }
        if isinstance(i, CarrierInvoiceView):
            row = {"Carrier": i.carrier, "Account": i.account, **row}
        rows.append(row)
    return pd.DataFrame(rows)


def show_file_result(result: CarrierFileResult) -> None:
    """What a carrier file did: one line for its status, the per-invoice table, the trace id."""
    what = f"{plain(result.carrier)} account {plain(result.account)}: {result.rows:,} row(s)"
    if result.status is CarrierFileStatus.REJECTED:
        st.error(
            f"Rejected: {plain(result.message or 'the file does not match the layout')}",
            icon=":material/block:",
        )
    elif result.status is CarrierFileStatus.SKIPPED:
        st.info(
            f"Skipped: this file was loaded before ({what}); nothing changed.", icon=":material/content_copy:"
        )
    elif result.status is CarrierFileStatus.PARTIAL:
        bad = sum(i.status != "loaded" for i in result.invoices)
        st.warning(f"Partly loaded: {bad} invoice(s) did not add up and were not loaded ({what}).")
    else:
        st.success(f"Loaded {len(result.invoices)} invoice(s), {what}.", icon=":material/check_circle:")
    if result.invoices:
        st.dataframe(
            invoices_frame(result.invoices), hide_index=True, width="stretch", column_config=INVOICE_COLUMNS
        )
    st.caption(f"File `{result.file_id}` · trace `{result.trace_id}`")


def shipment_frames(view: ShipmentView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the shipment's attributes as field/value rows, its charges)."""
    fields = {
        "Service": view.service,
        "Ship date": view.ship_date,
        "Actual weight (lb)": view.actual_weight_lb,
        "Billed weight (lb)": view.billed_weight_lb,
        "Dimensions (in)": " × ".join(str(d) for d in (view.length_in, view.width_in, view.height_in) if d),
        "DIM divisor": view.dim_divisor,
        "MPS role": view.mps_role,
        "Lead tracking": view.lead_tracking_number,
        "Billed cost": money(view.billed_cost),
    }
    attributes = pd.DataFrame(
        [{"Field": k, "Value": "" if v is None else str(v)} for k, v in fields.items()],
        columns=["Field", "Value"],
    )
    charges = pd.DataFrame(
        [
            {
                "Invoice": c.invoice_number,
                "Date": c.invoice_date,
                "Charge": c.charge_type,
                "Amount": money(c.amount),
                "Freight": c.is_freight,
                "File row": c.file_row,
            }
            for c in view.charges
        ]
    )
    return attributes, charges


def ledger_frame(rows: Sequence[LedgerRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Carrier": r.carrier,
                "Tracking": r.tracking_number,
                "Status": str(r.status),
                "Billed": r.billed_cost,
                "Expected": r.expected_cost,
                "Variance": r.variance,
                "Billed lb": r.billed_weight_lb,
                "Expected lb": r.expected_weight_lb,
                "Ship date": r.ship_date,
                "Dispute": str(r.dispute_status or ""),
                "Claim": r.claim_amount,
                "Recovered": r.recovered_amount,
                "Reference": r.carrier_reference or "",
                "Exception": r.exception_id or "",
            }
            for r in rows
        ],
        columns=list(LEDGER_COLUMNS),
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def package_label(row: LedgerRow) -> str:
    variance = f" · {money(row.variance)}" if row.variance is not None else ""
    return (
        f"{row.carrier} {row.tracking_number} · {row.status}{variance} · {row.dispute_status or 'no dispute'}"
    )


LAST_ACTED = "_dispute_last_acted"


def dispute_form(ctx: PageContext, row: LedgerRow) -> None:
    """One step of the package's dispute; the engine refuses a step out of order and says why."""
    key = f"dispute-{row.carrier}-{row.tracking_number}"
    with st.form(key):
        action = st.selectbox("Action", list(DisputeAction), format_func=lambda a: str(a).capitalize())
        amount = st.text_input("Amount", help="The claim amount to dispute, the recovered amount to accept.")
        reference = st.text_input("Carrier reference", help="The carrier's dispute case number (dispute).")
        if not st.form_submit_button("Apply", type="primary", icon=":material/gavel:"):
            return
    request_id = form_request_id(key, action, amount, reference)  # a double click acts once
    done = call(
        api.act_on_dispute,
        ctx.ledger,
        carrier=row.carrier,
        tracking=row.tracking_number,
        action=action,
        amount=amount or None,
        reference=reference or None,
        actor=ctx.actor,
        request_id=request_id,
    )
    if done is not None:
        st.session_state[LAST_ACTED] = f"{done.carrier}:{done.tracking_number}"
        finish(f"{done.carrier} {done.tracking_number} is now {done.dispute_status}.", form_key=key)


def show_wms_status(ctx: PageContext, status: WmsStatus) -> None:
    """The last import in one line and each carrier's ship-date window (what "billed, not shipped"
    is judged against)."""
    last = status.last_import
    if last is None:
        st.info("No WMS export imported yet.", icon=":material/inventory_2:")
        return
    source = plain(last.source) if last.source else "an earlier import"
    st.markdown(
        f"**Last import:** {ctx.when(last.at)} by {plain(last.by)} from {source}: {last.rows:,} row(s), "
        f"{last.inserted:,} new, {last.replaced:,} replaced."
    )
    frame = pd.DataFrame(
        [
            {
                "Carrier": c.carrier,
                "First ship date": c.first_day,
                "Last ship date": c.last_day,
                "Shipments": c.shipments,
            }
            for c in status.coverage
        ],
        columns=["Carrier", "First ship date", "Last ship date", "Shipments"],
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "First ship date": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "Last ship date": st.column_config.DateColumn(format="YYYY-MM-DD"),
        },
    )
