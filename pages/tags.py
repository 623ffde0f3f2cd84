"""Tags: filter by LPO, status and delivery date; one tag's lines, versions, file and audit trail."""

import streamlit as st

from console.sales import LINE_COLUMNS, TAG_COLUMNS, replace_form, show_tag_header
from console.text import plain
from console.views import audit_frame, tag_lines_frame, tag_versions_frame, tags_frame
from console.widgets import call, page_footer, page_setup, pager
from engine import api
from engine.api import Permission, TagStatus

ctx = page_setup("Tags", Permission.VIEW_TAGS)
zone = ctx.ledger.settings.zone
lpos = call(api.list_lpos, ctx.ledger, actor=ctx.actor) or []
with st.container(horizontal=True):
    lpo_id = st.selectbox("LPO", [None, *(lpo.lpo_id for lpo in lpos)], format_func=lambda v: v or "All LPOs")
    status = st.selectbox("Status", [None, *TagStatus], format_func=lambda v: v or "Any status")
    dates = st.date_input("Delivery between", value=[], help="Leave empty for any date")
start, end = (*dates, None, None)[:2] if isinstance(dates, (list, tuple)) else (dates, dates)
filters = {"lpo_id": lpo_id, "status": status, "delivery_from": start, "delivery_to": end}
offset = pager("tags", page_size=100)
found = call(api.list_tags, ctx.ledger, actor=ctx.actor, **filters, offset=offset, limit=100)
listing = st.container()  # filled at the end: a replace below changes a row of it


def show_list() -> None:
    with listing:
        st.dataframe(
            tags_frame(found.items if found else [], zone=zone),
            hide_index=True,
            width="stretch",
            column_order=list(TAG_COLUMNS),
            column_config=TAG_COLUMNS,
        )
        if found:
            page_footer("tags", found, noun="tags")


tags = found.items if found else []
wanted = st.query_params.get("tag")
if not tags and not wanted:
    show_list()  # its pager moves back when the list shrank under the page the user was on
    st.info("No tags match.")
    st.stop()

ids = [t.tag_id for t in tags]
if wanted and wanted not in ids:  # a link to a tag on another page of the list
    ids.insert(0, wanted)
chosen = st.selectbox("Open tag", ids, index=ids.index(wanted) if wanted in ids else 0)
detail = call(api.show_tag, ctx.ledger, chosen, actor=ctx.actor)
if detail is None:
    show_list()
    st.stop()
header = st.container()  # header, lines and file are filled once a replace (if any) is done
# Only the open tab's content is read and sent (a faster first render): switching tabs reruns the page.
lines_tab, file_tab, audit_tab = st.tabs(
    ["Lines", "File and versions", "Audit trail"], key="tag-tab", on_change="rerun"
)


with file_tab:
    file_box = st.container()
    can_replace = ctx.actor.can(Permission.UPLOAD_TAGS) and detail.tag.status == TagStatus.UPLOADED
    if file_tab.open and can_replace and replace_form(ctx, detail.tag.tag_id):
        detail = call(api.show_tag, ctx.ledger, chosen, actor=ctx.actor) or detail  # re-read what changed
        found = call(api.list_tags, ctx.ledger, actor=ctx.actor, **filters, offset=offset, limit=100)

tag = detail.tag
show_list()
with header:
    show_tag_header(ctx, detail)
if lines_tab.open:
    lines_tab.dataframe(
        tag_lines_frame(detail.lines), hide_index=True, width="stretch", column_config=LINE_COLUMNS
    )
if file_tab.open:
    download = call(api.tag_file, ctx.ledger, tag.tag_id, actor=ctx.actor)
    if download is not None:
        file_box.download_button(
            f"Download {plain(download.file_name)} (version {tag.version})",
            download.content,
            file_name=download.file_name,
            mime=download.media_type,
            icon=":material/download:",
            on_click="ignore",  # a download needs no rerun
        )
    file_box.dataframe(tag_versions_frame(detail.versions, zone=zone), hide_index=True, width="stretch")
if audit_tab.open:
    trail = call(api.search_audit, ctx.ledger, actor=ctx.actor, entity_id=tag.tag_id, limit=1000)
    if trail is not None:
        audit_tab.dataframe(audit_frame(trail.items, zone=zone), hide_index=True, width="stretch")
        if trail.has_more:
            audit_tab.caption(
                f"The newest {len(trail.items):,} of {trail.total:,}: search the Audit trail for all."
            )
