"""LPO brand maps (stores): edit, import and export."""

from console.master_data import render_kind
from console.widgets import page_setup
from engine.api import Kind, Permission

ctx = page_setup("LPO brand maps", Permission.WORK_STORES)
render_kind(
    ctx,
    Kind.BRANDMAP,
    help_text=(
        "Per LPO and canonical material, the SKUs to allocate from in priority order (1 first). An LPO "
        "without rows gets the master's default SKU."
    ),
)
