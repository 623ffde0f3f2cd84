"""Reconciliation settings (admin): the cost tolerance bands, weight tolerance, grace days and DIM
divisors the next reconciliation run uses; every change is audited with before and after."""

import math
from decimal import Decimal

import pandas as pd
import streamlit as st

from console.widgets import call, page_setup
from engine import api
from engine.api import Carrier, Permission

SAVED = "_recon_settings_saved"
BELOW, ABSOLUTE, RELATIVE = "Expected cost below", "Absolute tolerance", "Relative tolerance (0.04 = 4 %)"
DIVISOR = "DIM divisor (empty: the default)"

ctx = page_setup(
    "Reconciliation settings",
    Permission.ADMINISTER,
    caption="Used by the next reconciliation run (and recorded on it). Bands ascend; the last one has no "
    "upper bound; each band has an absolute or a relative tolerance.",
)
notice = st.empty()
if SAVED in st.session_state:
    notice.success(st.session_state.pop(SAVED), icon=":material/check_circle:")
current = call(api.reconciliation_settings, ctx.ledger, actor=ctx.actor)
if current is None:
    st.stop()
assert current is not None
if current.version:
    st.caption(f"Version {current.version}, saved by {current.updated_by} at {ctx.when(current.updated_at)}.")
else:
    st.caption("Never saved here: the defaults (environment settings and DOMAIN's bands) apply.")


def number(value: object) -> Decimal | None:
    """An editor cell as a number (an empty cell is None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return Decimal(str(value))


with st.form("recon-settings"):
    left, middle, right = st.columns(3)
    tolerance = left.number_input(
        "Weight tolerance (lb)",
        min_value=0.0,
        step=0.1,
        format="%.2f",
        value=float(current.weight_tolerance_lb),
    )
    grace = middle.number_input("Grace days", min_value=0, step=1, value=current.grace_days)
    divisor = right.number_input("Default DIM divisor", min_value=1, step=1, value=current.dim_divisor)
    st.markdown("**Cost tolerance bands**")
    bands = st.data_editor(
        pd.DataFrame(
            [
                {
                    BELOW: None if b.below is None else float(b.below),
                    ABSOLUTE: None if b.absolute is None else float(b.absolute),
                    RELATIVE: None if b.relative is None else float(b.relative),
                }
                for b in current.cost_bands
            ],
            columns=[BELOW, ABSOLUTE, RELATIVE],
            dtype="float64",
        ),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key="recon-bands",
    )
    st.markdown("**DIM divisor per carrier** (when a bill row names none)")
    divisors = st.data_editor(
        pd.DataFrame(
            [{"Carrier": str(c), DIVISOR: current.carrier_divisors.get(str(c))} for c in Carrier],
            columns=["Carrier", DIVISOR],
        ).astype({DIVISOR: "Int64"}),
        disabled=["Carrier"],
        hide_index=True,
        width="stretch",
        key="recon-divisors",
    )
    submitted = st.form_submit_button("Save settings", type="primary", icon=":material/save:")
if submitted:
    saved = call(
        api.update_reconciliation_settings,
        ctx.ledger,
        expected_version=current.version,
        weight_tolerance_lb=Decimal(str(round(tolerance, 2))),
        grace_days=int(grace),
        dim_divisor=int(divisor),
        cost_bands=[
            api.CostBand(
                below=number(row[BELOW]), absolute=number(row[ABSOLUTE]), relative=number(row[RELATIVE])
            )
            for row in bands.to_dict("records")
        ],
        carrier_divisors={
            row["Carrier"]: int(row[DIVISOR])
            for row in divisors.to_dict("records")
            if not pd.isna(row[DIVISOR])
        },
        actor=ctx.actor,
    )
    if saved is not None:
        st.session_state[SAVED] = f"Saved: version {saved.version}. The next reconciliation run uses them."
        st.rerun()
