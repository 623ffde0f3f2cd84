"""Reading tags: lists with filters, one tag with its lines and versions, its stored file."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import NotFound
from engine.ledger.files import FileStore, StoredFile
from engine.models import Page, check_paging
from engine.store.schema import exception_log, tag_line, tag_sheet, tag_sheet_version
from engine.tags.models import TagDetail, TagLineView, TagSummary, TagVersionView
from engine.vocab import TagStatus


def list_tags(
    conn: Connection,
    *,
    lpo_id: str | None = None,
    status: TagStatus | None = None,
    delivery_from: date | None = None,
    delivery_to: date | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[TagSummary]:
    """Tags matching every filter given, newest upload first, one page at a time."""
    check_paging(offset, limit)
    where: list[sa.ColumnElement[bool]] = []
    if lpo_id:
        where.append(tag_sheet.c.lpo_id == lpo_id)
    if status is not None:
        where.append(tag_sheet.c.status == str(status))
    if delivery_from is not None:
        where.append(tag_sheet.c.requested_delivery_date >= delivery_from)
    if delivery_to is not None:
        where.append(tag_sheet.c.requested_delivery_date <= delivery_to)
    total = conn.execute(sa.select(sa.func.count()).select_from(tag_sheet).where(*where)).scalar_one()
    rows = conn.execute(
        sa.select(*[tag_sheet.c[name] for name in TagSummary.model_fields])
        .where(*where)
        .order_by(tag_sheet.c.uploaded_at.desc(), tag_sheet.c.tag_id.desc())
        .offset(offset)
        .limit(limit)
    )
    return Page[TagSummary](
        items=[TagSummary.model_validate(row._mapping) for row in rows],
        total=total,
        offset=offset,
        limit=limit,
    )


def last_lpo_of(conn: Connection, email: str) -> str | None:
    """The LPO of the newest tag this person uploaded (None before their first upload)."""
    return conn.execute(
        sa.select(tag_sheet.c.lpo_id)
        .where(tag_sheet.c.uploaded_by == email)
        .order_by(tag_sheet.c.uploaded_at.desc(), tag_sheet.c.tag_id.desc())
        .limit(1)
    ).scalar_one_or_none()


def get_tag(conn: Connection, tag_id: str) -> TagDetail:
    key = tag_id.strip().upper()
    row = conn.execute(
        sa.select(*[tag_sheet.c[name] for name in TagSummary.model_fields]).where(tag_sheet.c.tag_id == key)
    ).first()
    if row is None:
        raise NotFound(f"No tag {key}.", tag_id=key)
    summary = TagSummary.model_validate(row._mapping)
    lines = conn.execute(
        sa.select(*[tag_line.c[name] for name in TagLineView.model_fields])
        .where(tag_line.c.tag_id == key, tag_line.c.superseded.is_(False))
        .order_by(tag_line.c.line_no)
    ).all()
    versions = conn.execute(
        sa.select(*[tag_sheet_version.c[name] for name in TagVersionView.model_fields])
        .where(tag_sheet_version.c.tag_id == key)
        .order_by(tag_sheet_version.c.version)
    ).all()
    reason = None
    if summary.status is TagStatus.BLOCKED and summary.exception_id:
        reason = conn.execute(
            sa.select(exception_log.c.message).where(exception_log.c.exception_id == summary.exception_id)
        ).scalar_one_or_none()
    return TagDetail(
        blocked_reason=reason,
        tag=summary,
        lines=[TagLineView.model_validate(r._mapping) for r in lines],
        versions=[TagVersionView.model_validate(r._mapping) for r in versions],
    )


def read_tag_file(
    conn: Connection, files: FileStore, tag_id: str, *, version: int | None = None
) -> tuple[StoredFile, str, bytes]:
    """The stored bytes of a tag's sheet (current version unless one is named) and its upload name."""
    detail = get_tag(conn, tag_id)
    chosen = next((v for v in detail.versions if v.version == (version or detail.tag.version)), None)
    if chosen is None:
        raise NotFound(f"{detail.tag.tag_id} has no version {version}.", tag_id=detail.tag.tag_id)
    stored, content = files.read(conn, chosen.file_id)
    return stored, chosen.original_file_name, content
