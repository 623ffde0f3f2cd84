"""Parts of the sales pages: the upload's answer, the tag header, the replace form, table columns."""

from __future__ import annotations

import streamlit as st

from console.text import plain
from console.widgets import PageContext, call, form_done, form_request_id
from engine import api
from engine.api import IngestResult, IngestStatus, ReplaceRequest, TagDetail, build

# Key columns first and sized for a 1,440 px screen; the rest stay in the table, further right.
TAG_COLUMNS = {
    "Tag": st.column_config.TextColumn(width="medium", pinned=True),
    "Status": st.column_config.TextColumn(width="small"),
    "LPO": st.column_config.TextColumn(width="small"),
    "Delivery": st.column_config.DateColumn(width="small", format="YYYY-MM-DD"),
    "Area m2": st.column_config.NumberColumn(width="small", format="%.2f"),
    "Lines": st.column_config.NumberColumn(width="small"),
    "Uploaded": st.column_config.TextColumn(width="small"),
    "Uploaded by": st.column_config.TextColumn(width="medium"),
    "Exception": st.column_config.TextColumn(width="small"),
    "File": st.column_config.TextColumn(width="medium"),
}
LINE_COLUMNS = {
    "#": st.column_config.NumberColumn(width=40),
    "Description": st.column_config.TextColumn(width="large"),
    "Qty": st.column_config.TextColumn(width="small"),
    "Unit": st.column_config.TextColumn(width="small"),
}


def show_upload_result(ctx: PageContext, result: IngestResult) -> None:
    """The answer to an upload as people read it: a fresh tag, a form sent twice (the first answer,
    with its time), a duplicate, a blocked tag and why; the trace id and links to the tag and exception."""
    tag_id = result.tag_id or result.existing_tag_id
    first = ctx.when(result.answered_at)
    first = first[11:] if first.startswith(f"{api.business_today(ctx.ledger):%Y-%m-%d}") else first
    if result.replayed and result.status == IngestStatus.UPLOADED:  # a double click, a retry
        st.info(
            f"Already uploaded as **{plain(tag_id)}** at {first}: this form was sent twice, nothing new "
            f"was stored ({result.line_count} lines on {plain(result.lpo_id)}).",
            icon=":material/replay:",
        )
    elif result.replayed:
        st.info(f"This form was sent twice; its answer at {first} stands: {plain(result.message)}")
    elif result.status == IngestStatus.UPLOADED:
        st.success(
            f"**{plain(result.tag_id)}** uploaded: {result.line_count} lines on {plain(result.lpo_id)}.",
            icon=":material/check_circle:",
        )
    elif result.status == IngestStatus.DUPLICATE:
        st.warning(f"Not uploaded again: {plain(result.message)}", icon=":material/content_copy:")
    elif result.tag_id:
        st.error(f"**{plain(result.tag_id)}** is stored as BLOCKED: {plain(result.message)}")
    else:
        st.error(f"Not uploaded: {plain(result.message)}")
    st.caption(
        f"Trace id `{result.trace_id}`"
        + (f" · file SHA-256 `{result.file_hash[:16]}…`" if result.file_hash else "")
    )
    if tag_id:
        st.page_link(
            "../pages/tags.py", label=f"Open {tag_id}", icon=":material/sell:", query_params={"tag": tag_id}
        )
    if result.exception_id:
        st.page_link(
            "../pages/exceptions.py",
            label=f"Open exception {result.exception_id}",
            icon=":material/report:",
            query_params={"exception": result.exception_id},
        )


def replace_form(ctx: PageContext, tag_id: str) -> bool:
    """The replace form; True once a replacement was made (the views below then re-read the tag)."""
    with st.form("replace"):
        st.markdown("**Replace with a corrected sheet** (the current version is kept)")
        upload = st.file_uploader("Corrected cut export", type=["xlsx", "csv"], max_upload_size=ctx.upload_mb)
        reason = st.text_input("Reason", placeholder="What was corrected (at least 3 characters)")
        if not st.form_submit_button("Replace sheet"):
            return False
        if upload is None:
            st.warning("Choose the corrected cut export first.")
            return False
        request = call(
            build,
            ReplaceRequest,
            tag_id=tag_id,
            reason=reason,
            content=upload.getvalue(),
            original_file_name=upload.name,
            client_request_id=form_request_id("replace", upload.file_id, tag_id, reason),
        )
        replaced = request and call(api.replace_tag, ctx.ledger, request, actor=ctx.actor)
        if not replaced:
            return False
        if replaced.replayed:  # a double click or a retry: the first answer again
            when = ctx.when(replaced.answered_at)
            st.info(f"Already replaced at {when}: this form was sent twice, nothing new was stored.")
        st.success(plain(replaced.message), icon=":material/check_circle:")
        form_done("replace")
        return True


def show_tag_header(ctx: PageContext, detail: TagDetail) -> None:
    """A tag's header: status, LPO, area, delivery, lines, who uploaded it when, why it is blocked."""
    tag = detail.tag
    st.subheader(f"{tag.tag_id} · {tag.status}")
    cols = st.columns(4)
    cols[0].metric("LPO", plain(tag.lpo_id))
    cols[1].metric("Required area", f"{tag.required_area_m2:,.2f} m2")
    cols[2].metric("Delivery", f"{tag.requested_delivery_date:%Y-%m-%d}")
    cols[3].metric("Lines", tag.line_count)
    st.caption(
        f"Uploaded by {plain(tag.uploaded_by)} at {ctx.when(tag.uploaded_at)} ({ctx.zone_name}) · file "
        f"{plain(tag.original_file_name)} · version {tag.version} · trace `{tag.trace_id}`"
    )
    if detail.blocked_reason:
        st.error(f"Blocked: {plain(detail.blocked_reason)}", icon=":material/block:")
    if tag.exception_id:
        st.page_link(
            "../pages/exceptions.py",
            label=f"Blocking exception {tag.exception_id}",
            icon=":material/report:",
            query_params={"exception": tag.exception_id},
        )
