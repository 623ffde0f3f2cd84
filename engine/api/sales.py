"""The sales desk: customer LPOs and tag sheets (seed 000)."""

from __future__ import annotations

from datetime import date

from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.exports import FileDownload
from engine.handle import Ledger
from engine.ledger.files import sha256_hex
from engine.ledger.requests import run_once
from engine.logs import traced
from engine.lpos import master as lpos
from engine.lpos.master import ImportSummary, LpoBalance
from engine.mapping.master import cache_for
from engine.models import Page
from engine.progress import Progress, no_progress
from engine.tags import ingest, preview, queries, replace
from engine.tags.models import (
    IngestRequest,
    IngestResult,
    ReplaceRequest,
    SheetPreview,
    TagDetail,
    TagLineView,
    TagSummary,
    TagVersionView,
)
from engine.tags.replace import ReplaceResult
from engine.vocab import LpoStatus, TagStatus


@requires(Permission.ADMINISTER)
def import_lpos(
    ledger: Ledger, content: bytes, *, actor: Actor, request_id: str | None = None
) -> ImportSummary:
    records = lpos.read_lpo_csv(content)
    with traced() as trace_id:
        summary = run_once(
            ledger.db,
            lambda conn: lpos.import_lpos(conn, actor, records, trace_id=trace_id),
            request_id=request_id,
            operation="lpos.import",
            parts=(sha256_hex(content),),
            model=ImportSummary,
            actor=actor,
            trace_id=trace_id,
        )
    # LPO project, plant and customer scope the mapping overrides.
    cache_for(ledger.db, check_seconds=ledger.settings.mapping_cache_seconds).invalidate()
    return summary


@requires(Permission.VIEW_TAGS)
def list_lpos(ledger: Ledger, *, actor: Actor) -> list[LpoBalance]:
    with ledger.db.read() as conn:
        return lpos.list_balances(conn)


@requires(Permission.UPLOAD_TAGS)
def ingest_tag(
    ledger: Ledger,
    request: IngestRequest,
    *,
    actor: Actor,
    trace_id: str | None = None,
    progress: Progress = no_progress,
) -> IngestResult:
    with traced(trace_id) as trace:
        run = ingest.IngestRun.of(
            request,
            actor=actor,
            trace_id=trace,
            settings=ledger.settings,
            files=ledger.files,
            store=ledger.db,
        )
        return ingest.run_ingest(run, progress=progress)


@requires(Permission.UPLOAD_TAGS)
def replace_tag(ledger: Ledger, request: ReplaceRequest, *, actor: Actor) -> ReplaceResult:
    with traced() as trace_id:
        run = replace.ReplaceRun.of(
            request,
            actor=actor,
            trace_id=trace_id,
            settings=ledger.settings,
            files=ledger.files,
            store=ledger.db,
        )
        return replace.run_replace(run)


@requires(Permission.VIEW_TAGS)
def list_tags(
    ledger: Ledger,
    *,
    actor: Actor,
    lpo_id: str | None = None,
    status: TagStatus | None = None,
    delivery_from: date | None = None,
    delivery_to: date | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[TagSummary]:
    with ledger.db.read() as conn:
        return queries.list_tags(
            conn,
            lpo_id=lpo_id,
            status=status,
            delivery_from=delivery_from,
            delivery_to=delivery_to,
            offset=offset,
            limit=limit,
        )


@requires(Permission.VIEW_TAGS)
def show_tag(ledger: Ledger, tag_id: str, *, actor: Actor) -> TagDetail:
    with ledger.db.read() as conn:
        return queries.get_tag(conn, tag_id)


@requires(Permission.VIEW_TAGS)
def tag_file(ledger: Ledger, tag_id: str, *, actor: Actor, version: int | None = None) -> FileDownload:
    with ledger.db.read() as conn:
        stored, name, content = queries.read_tag_file(conn, ledger.files, tag_id, version=version)
    return FileDownload(file_name=name, media_type=stored.media_type, content=content)


@requires(Permission.UPLOAD_TAGS)
def upload_lpo(ledger: Ledger, *, actor: Actor) -> str | None:
    """Where the upload form starts: the LPO of the actor's own newest upload, else the first active
    LPO with balance left (None when there is no LPO)."""
    with ledger.db.read() as conn:
        last = queries.last_lpo_of(conn, actor.email)
        if last is not None:
            return last
        balances = lpos.list_balances(conn)
    open_ones = [b.lpo_id for b in balances if b.status == LpoStatus.ACTIVE and b.remaining_m2 > 0]
    return next(iter(open_ones or [b.lpo_id for b in balances]), None)


@requires(Permission.UPLOAD_TAGS)
def preview_sheet(ledger: Ledger, file_name: str, content: bytes, *, actor: Actor) -> SheetPreview:
    """What a chosen cut export holds (lines, the sum of its net_area_m2), read without storing it."""
    return preview.preview_sheet(file_name, content, ledger.settings)


__all__ = [
    "ImportSummary",
    "IngestRequest",
    "IngestResult",
    "LpoBalance",
    "ReplaceRequest",
    "ReplaceResult",
    "SheetPreview",
    "TagDetail",
    "TagLineView",
    "TagSummary",
    "TagVersionView",
    "import_lpos",
    "ingest_tag",
    "list_lpos",
    "list_tags",
    "preview_sheet",
    "replace_tag",
    "show_tag",
    "tag_file",
    "upload_lpo",
]
