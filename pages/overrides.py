"""Overrides (stores): edit, import and export."""

from console.master_data import render_kind
from console.widgets import page_setup
from engine.api import Kind, Permission

ctx = page_setup("Overrides", Permission.WORK_STORES)
render_kind(
    ctx,
    Kind.OVERRIDES,
    help_text=(
        "Scoped mappings that win over the master, in the order LPO > PROJECT > PLANT > CUSTOMER, within "
        "their effective dates (windows of one scope may not overlap)."
    ),
)
