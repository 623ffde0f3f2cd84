"""Tables of engine results for the pages (columns chosen and named once). Times are shown in the
business time zone, to the minute (``zone``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import pandas as pd

from console.widgets import local_time
from engine.api import (
    AuditEntry,
    ExceptionView,
    ReviewItem,
    TagLineView,
    TagSummary,
    TagVersionView,
    format_qty,
)


def tags_frame(tags: Sequence[TagSummary], *, zone: ZoneInfo) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Tag": t.tag_id,
                "LPO": t.lpo_id,
                "Status": str(t.status),
                "Area m2": float(t.required_area_m2),
                "Delivery": t.requested_delivery_date,
                "Lines": t.line_count,
                "File": t.original_file_name,
                "Uploaded by": t.uploaded_by,
                "Uploaded": local_time(t.uploaded_at, zone),
                "Exception": t.exception_id or "",
            }
            for t in tags
        ]
    )


def tag_lines_frame(lines: Sequence[TagLineView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "#": line.line_no,
                "Row": line.source_row,
                "Part": line.part_no or "",
                "Description": line.nesting_description,
                "Qty": format_qty(line.qty),
                "Unit": line.uom or "",
                "As written": line.uom_raw or "",
                "Sheet size": line.sheet_size_mm or "",
                "Net area m2": "" if line.net_area_m2 is None else format_qty(line.net_area_m2),
                "Remarks": line.remarks or "",
            }
            for line in lines
        ]
    )


def exceptions_frame(items: Sequence[ExceptionView], *, zone: ZoneInfo) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Overdue": "⚠ overdue" if e.overdue else "",
                "Exception": e.exception_id,
                "Kind": str(e.kind),
                "Severity": str(e.severity),
                "Status": str(e.status),
                "Desk": str(e.desk),
                "Due": local_time(e.sla_due, zone),
                "Tag": e.tag_id or "",
                "LPO": e.lpo_id or "",
                "Assigned to": e.assigned_to or "",
                "Message": e.message,
            }
            for e in items
        ]
    )


def audit_frame(entries: Sequence[AuditEntry], *, zone: ZoneInfo) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "When": local_time(a.created_at, zone),
                "Action": a.action,
                "Actor": a.actor,
                "Roles": a.roles,
                "Source": a.source,
                "Entity": f"{a.entity_type} {a.entity_id}",
                "Trace": a.trace_id,
                "Request": a.client_request_id or "",
                "Before": a.before_summary or "",
                "After": a.after_summary or "",
            }
            for a in entries
        ]
    )


def review_frame(queue: Sequence[ReviewItem], *, zone: ZoneInfo) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Description": i.description,
                "Lines": i.lines,
                "Tags": i.tags,
                "Waiting since": local_time(i.waiting_since, zone),
                "Exception": i.exception_id,
            }
            for i in queue
        ]
    )


def review_context_frame(item: ReviewItem) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Tag": c.tag_id,
                "LPO": c.lpo_id,
                "Project": c.project_id,
                "Customer": c.customer,
                "Qty": format_qty(c.qty),
                "Unit": c.uom,
            }
            for c in item.context
        ]
    )


def suggestions_frame(item: ReviewItem) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Master description": s.description,
                "Canonical code": s.canonical_code,
                "Default SKU": s.default_sap_code or "",
                "Similarity": s.score,
            }
            for s in item.suggestions
        ]
    )


def tag_versions_frame(versions: Sequence[TagVersionView], *, zone: ZoneInfo) -> pd.DataFrame:
    """A tag's versions, newest first (the current one is what the tag shows)."""
    return pd.DataFrame(
        [
            {
                "Version": v.version,
                "File": v.original_file_name,
                "Lines": v.line_count,
                "Reason": v.reason or "",
                "By": v.created_by,
                "When": local_time(v.created_at, zone),
                "Trace": v.trace_id,
            }
            for v in sorted(versions, key=lambda v: v.version, reverse=True)
        ]
    )


def details_frame(payload: Mapping[str, object]) -> pd.DataFrame:
    """An exception's details as two columns people read: the field as a label, its value as text
    (nested values as compact JSON; nothing for an empty value)."""
    return pd.DataFrame(
        [
            {"Detail": key.replace("_", " ").capitalize(), "Value": _detail_text(value)}
            for key, value in payload.items()
        ],
        columns=["Detail", "Value"],
    )


def _detail_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)
