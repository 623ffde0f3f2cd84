"""SKUs (stores): edit, import and export."""

from console.master_data import render_kind
from console.widgets import page_setup
from engine.api import Kind, Permission

ctx = page_setup("SKUs", Permission.WORK_STORES)
render_kind(
    ctx,
    Kind.SKUS,
    help_text=(
        "SAP materials with their conversion to the canonical unit (a 1200x4000 sheet is 4.8 m2, a 50 m "
        "roll is 50) and whether they are issued in whole units."
    ),
)
