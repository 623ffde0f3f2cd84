"""Material master (stores): edit, import and export."""

from console.master_data import render_kind
from console.widgets import page_setup
from engine.api import Kind, Permission

ctx = page_setup("Material master", Permission.WORK_STORES)
render_kind(
    ctx,
    Kind.MASTER,
    help_text=(
        "Nesting descriptions (normalised: trimmed, lower-case, single spaces) → canonical code and "
        "default SKU. *not_tracked* rows map but are never allocated."
    ),
)
