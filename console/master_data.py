"""The editable master-data table shared by the stores pages: edit in place, import, export.

Every save and import goes through the engine's validation (row numbers and reasons when a row is
bad, nothing saved then) and is audited per changed row."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import PageContext, call, form_done, form_request_id
from engine import api
from engine.api import SPECS, Kind


def _result(result: api.ImportResult | None, form_key: str) -> None:
    if result is None:
        return
    remapped = f"; {result.lines_remapped} waiting line(s) mapped now" if result.lines_remapped else ""
    st.success(
        plain(f"{result.created} added, {result.updated} changed, {result.unchanged} unchanged{remapped}.")
    )
    form_done(form_key)


def render_kind(ctx: PageContext, kind: Kind, *, help_text: str) -> None:
    spec = SPECS[kind]
    st.caption(help_text)
    rows = call(api.list_materials, ctx.ledger, kind, actor=ctx.actor) or []
    flags = [c for c in spec.columns if c in ("active", "not_tracked", "whole_units")]
    # Quantities and dates are edited as text so a decimal is exactly what was typed; the engine parses it.
    frame = pd.DataFrame(
        [
            {c: (bool(r[c]) if c in flags else (None if r[c] is None else str(r[c]))) for c in spec.columns}
            for r in rows
        ],
        columns=list(spec.columns),
    )
    edited = st.data_editor(
        frame,
        num_rows="add",
        hide_index=True,
        width="stretch",
        key=f"editor-{kind}",
        column_config={
            c: st.column_config.CheckboxColumn(c) if c in flags else st.column_config.TextColumn(c)
            for c in spec.columns
        },
    )
    st.caption(
        "Rows cannot be deleted here: set **active** to false to retire one (the audit keeps its history)."
    )
    if st.button("Save changes", type="primary", key=f"save-{kind}", icon=":material/save:"):
        records = [
            (int(i) + 2, {k: (None if pd.isna(v) else v) for k, v in row.items()})
            for i, row in edited.reset_index(drop=True).iterrows()
        ]
        key = f"save-{kind}"
        saved = call(
            api.save_materials,
            ctx.ledger,
            kind,
            records,
            actor=ctx.actor,
            request_id=form_request_id(key, repr(records)),
        )
        _result(saved, key)

    left, right = st.columns(2)
    with left, st.form(f"import-{kind}"):
        upload = st.file_uploader(f"Import {spec.title.lower()} (.csv or .xlsx)", type=["csv", "xlsx"])
        st.caption("Columns: " + ", ".join(spec.columns))
        if st.form_submit_button("Import", icon=":material/upload:") and upload is not None:
            key = f"import-{kind}"
            imported = call(
                api.import_materials,
                ctx.ledger,
                kind,
                upload.getvalue(),
                upload.name,
                actor=ctx.actor,
                request_id=form_request_id(key, upload.file_id),
            )
            _result(imported, key)
    with right:
        st.markdown(f"**Export** {len(rows)} row(s)")
        for fmt in ("csv", "xlsx"):
            download = call(api.export_materials, ctx.ledger, kind, fmt=fmt, actor=ctx.actor)
            if download is not None:
                st.download_button(
                    f"Download .{fmt}",
                    download.content,
                    file_name=download.file_name,
                    mime=download.media_type,
                    key=f"export-{kind}-{fmt}",
                    icon=":material/download:",
                )
