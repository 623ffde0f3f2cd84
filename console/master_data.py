"""The editable master-data table shared by the stores pages: edit in place, import, export.

Every save and import goes through the engine's validation (row numbers and reasons when a row is
bad, nothing saved then) and is audited per changed row. Edits not saved yet are kept for the
session (per kind), so leaving the page and coming back does not lose them; the page says how many
there are and offers Save and Discard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from console.text import plain
from console.widgets import PageContext, call, form_done, form_request_id
from engine import api
from engine.api import SPECS, Kind

FLAGS = ("active", "not_tracked", "whole_units")


def _stored_frame(columns: tuple[str, ...], rows: list[dict[str, object]]) -> pd.DataFrame:
    """The stored rows as the grid shows them: flags as check boxes, everything else as the text it
    was typed as (a decimal stays exactly what was typed; the engine parses it), empty as empty."""
    frame = pd.DataFrame(
        [{c: bool(r[c]) if c in FLAGS else _text(r[c]) for c in columns} for r in rows],
        columns=list(columns),
    )
    return _numbered(frame)


def _text(value: object) -> str:
    """A stored value as it is edited: empty for none, a decimal without trailing zeros (4.8, not
    4.800000: the same number when it is saved back)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows numbered 1, 2, ... as the grid shows them; the engine's messages use these numbers."""
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _value(value: Any) -> Any:
    return None if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) else value


def _same(left: pd.Series, right: pd.Series) -> bool:
    return all((_value(left[c]) or None) == (_value(right[c]) or None) for c in left.index)


def _unsaved(origin: pd.DataFrame, edited: pd.DataFrame) -> int:
    """Rows changed or added in the grid since the editing began (``origin``), not saved yet."""
    changed = sum(not _same(origin.iloc[n], edited.iloc[n]) for n in range(min(len(origin), len(edited))))
    return changed + max(len(edited) - len(origin), 0)


def _records(edited: pd.DataFrame) -> list[tuple[int, dict[str, object]]]:
    return [(int(n), {k: _value(v) for k, v in row.items()}) for n, row in edited.iterrows()]


def _result(result: api.ImportResult | None, form_key: str) -> bool:
    if result is None:
        return False
    remapped = f"; {result.lines_remapped} waiting line(s) mapped now" if result.lines_remapped else ""
    st.session_state[f"_saved_{result.kind}"] = (
        f"{result.created} added, {result.updated} changed, {result.unchanged} unchanged{remapped}."
    )
    form_done(form_key)
    return True


def _fresh_editor(kind: Kind) -> None:
    """The next run shows the stored rows in a new grid (after a save, an import or a discard)."""
    st.session_state.pop(f"_unsaved_{kind}", None)
    st.session_state.pop(f"_editor_base_{kind}", None)
    st.session_state.pop(f"_editor_origin_{kind}", None)
    st.session_state[f"_editor_version_{kind}"] = st.session_state.get(f"_editor_version_{kind}", 0) + 1
    st.rerun()


def render_kind(ctx: PageContext, kind: Kind, *, help_text: str) -> None:
    spec = SPECS[kind]
    st.caption(help_text)
    if (saved := st.session_state.pop(f"_saved_{kind}", None)) is not None:
        st.success(plain(saved))
    rows = call(api.list_materials, ctx.ledger, kind, actor=ctx.actor) or []
    stored = _stored_frame(spec.columns, rows)
    key = f"editor-{kind}-{st.session_state.get(f'_editor_version_{kind}', 0)}"
    if key not in st.session_state or f"_editor_base_{kind}" not in st.session_state:
        # A new grid (first visit, or back from another page): the edits kept from before, if any,
        # counted against the rows as they were when the editing began.
        kept = st.session_state.get(f"_unsaved_{kind}")
        st.session_state[f"_editor_base_{kind}"] = stored if kept is None else _numbered(kept)
        if kept is None:
            st.session_state[f"_editor_origin_{kind}"] = stored
    edited = st.data_editor(
        st.session_state[f"_editor_base_{kind}"],
        num_rows="add",
        hide_index=False,
        width="stretch",
        key=key,
        column_config={
            "_index": st.column_config.NumberColumn("Row", width=50, disabled=True),
            **{
                c: st.column_config.CheckboxColumn(spec.label(c))
                if c in FLAGS
                else st.column_config.TextColumn(spec.label(c))
                for c in spec.columns
            },
        },
    )
    unsaved = _unsaved(st.session_state.get(f"_editor_origin_{kind}", stored), edited)
    if unsaved:
        st.session_state[f"_unsaved_{kind}"] = edited
        st.warning(
            f"{unsaved} unsaved change(s): they are kept while you are signed in, but nothing is stored "
            "until you save them.",
            icon=":material/edit_note:",
        )
    else:
        st.session_state.pop(f"_unsaved_{kind}", None)
    st.caption("Rows cannot be deleted here: untick **Active** to retire one (the audit keeps its history).")
    save_col, discard_col, _ = st.columns([1, 1, 4])
    if save_col.button(
        "Save changes", type="primary", key=f"save-{kind}", icon=":material/save:", disabled=not unsaved
    ):
        records = _records(edited)
        request = f"save-{kind}"
        saved_now = call(
            api.save_materials,
            ctx.ledger,
            kind,
            records,
            actor=ctx.actor,
            request_id=form_request_id(request, repr(records)),
        )
        if _result(saved_now, request):
            _fresh_editor(kind)
    if discard_col.button(
        "Discard changes", key=f"discard-{kind}", icon=":material/undo:", disabled=not unsaved
    ):
        _fresh_editor(kind)

    left, right = st.columns(2)
    with left, st.form(f"import-{kind}"):
        upload = st.file_uploader(
            f"Import {spec.title.lower()} (.csv or .xlsx)",
            type=["csv", "xlsx"],
            max_upload_size=ctx.upload_mb,
        )
        st.caption("Columns: " + ", ".join(spec.columns))
        if unsaved:
            st.caption("Save or discard the unsaved changes above before importing a file.")
        if st.form_submit_button("Import", icon=":material/upload:", disabled=bool(unsaved)) and upload:
            request = f"import-{kind}"
            imported = call(
                api.import_materials,
                ctx.ledger,
                kind,
                upload.getvalue(),
                upload.name,
                actor=ctx.actor,
                request_id=form_request_id(request, upload.file_id),
            )
            if _result(imported, request):
                _fresh_editor(kind)
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
                    on_click="ignore",  # a download needs no rerun
                )
