"""The Carrier files page's table: one row per bill offered, newest first (engine: list_carrier_files)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from console.widgets import PageContext
from engine.api import CarrierFileView

COLUMNS = {
    "File": st.column_config.TextColumn(width="medium"),
    "Message": st.column_config.TextColumn(width="large"),
}


def files_frame(ctx: PageContext, files: Sequence[CarrierFileView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "When": ctx.when(f.loaded_at),
                "File": f.file_name,
                "Carrier": f.carrier.upper(),
                "Account": f.account or "",
                "Status": str(f.status),
                "Rows": f.rows,
                "Invoices": f.invoices,
                "By": f.loaded_by,
                "Re-run as": f.rerun_as or "",
                "Message": f.message or "",
                "File id": f.file_id,
            }
            for f in files
        ]
    )


def label(ctx: PageContext, f: CarrierFileView) -> str:
    return f"{f.file_name} · {f.carrier.upper()} {f.account or ''} · {ctx.when(f.loaded_at)}"
