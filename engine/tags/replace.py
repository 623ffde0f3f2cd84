"""Replacing a tag's sheet with a corrected one (DOMAIN "Tags", last paragraph).

An explicit act with a reason, run by the same pipeline runner and shared stages as an upload
(``engine.tags.pipeline``): the old version and its lines are kept (lines marked superseded), the
new lines become the tag's lines (mapped at once), and both versions stay in the audit. The old
lines' allocations are released in the same transaction. A sheet that is the tag's current one, or
that another tag of the LPO holds already (same bytes or same lines), is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from engine.allocation.run import release_tag
from engine.clock import utcnow
from engine.errors import Conflict, NotFound, ValidationError
from engine.ledger.audit import record_action
from engine.ledger.requests import fingerprint
from engine.mapping.apply import settle_exceptions, waited_on
from engine.mapping.master import cache_for
from engine.progress import Progress, no_progress
from engine.store.schema import tag_line, tag_sheet
from engine.tags.models import ReplaceRequest
from engine.tags.pipeline import (
    Pipeline,
    SheetRun,
    check_file,
    insert_version,
    lock_the_lpo,
    parse_file,
    replay,
    run_pipeline,
    same_sheets,
    store_file,
    write_lines,
)
from engine.vocab import TagStatus

OPERATION = "tags.replace"


class ReplaceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag_id: str
    version: int
    previous_version: int
    line_count: int
    file_hash: str
    message: str
    trace_id: str
    client_request_id: str
    answered_at: datetime | None = None  # when the replacement was made (a form sent twice says so)
    replayed: bool = Field(default=False, exclude=True)  # this is that stored answer again (not in the body)


@dataclass(kw_only=True)
class ReplaceRun(SheetRun[ReplaceResult]):
    request: ReplaceRequest
    operation: str = OPERATION
    answer: type[ReplaceResult] = ReplaceResult
    tag: dict[str, Any] | None = None  # the tag row as it was before the replacement

    @classmethod
    def of(cls, request: ReplaceRequest, **context: Any) -> ReplaceRun:
        """``context``: actor, trace_id, settings, files and store."""
        return cls(
            request=request,
            request_id=request.client_request_id,
            original_file_name=request.original_file_name,
            content=request.content,
            **context,
        )

    @property
    def tag_id(self) -> str:
        return self.request.tag_id.strip().upper()

    @property
    def current(self) -> dict[str, Any]:
        assert self.tag is not None, "load_tag runs first"
        return self.tag

    def start_transaction(self, conn: Connection) -> None:
        super().start_transaction(conn)
        self.tag = None


def fingerprint_request(run: ReplaceRun) -> None:
    run.request_print = fingerprint(OPERATION, run.tag_id, run.file_hash, run.request.reason)


def load_tag(run: ReplaceRun) -> None:
    row = run.db.execute(sa.select(tag_sheet).where(tag_sheet.c.tag_id == run.tag_id)).first()
    if row is None:
        raise NotFound(f"No tag {run.tag_id} to replace.", tag_id=run.tag_id)
    run.tag = dict(row._mapping)
    run.lpo_id = run.tag["lpo_id"]


def refuse_unless_uploaded(run: ReplaceRun) -> None:
    status = run.current["status"]
    if status != str(TagStatus.UPLOADED):
        raise Conflict(
            f"{run.tag_id} is {status}; only an UPLOADED tag's sheet can be replaced.", tag_id=run.tag_id
        )


def refuse_unusable_sheet(run: ReplaceRun) -> None:
    parsed = run.parsed
    if len(parsed.tag_refs) > 1 or not parsed.usable:
        problem = parsed.problem() if not parsed.usable else "the sheet names more than one tag"
        raise ValidationError(f"{run.file_name} cannot replace {run.tag_id}: {problem}", field="file")


def refuse_held_sheet(run: ReplaceRun) -> None:
    """The tag's current sheet again changes nothing; another tag's sheet would be counted twice."""
    for same in same_sheets(run):
        what = "the same file" if same.same_bytes else "the same lines"
        if same.tag_id == run.tag_id and same.version == same.current_version:
            raise Conflict(
                f"{run.file_name} is {what} as version {same.version} of {run.tag_id}.", tag_id=run.tag_id
            )
        if same.tag_id != run.tag_id:
            raise Conflict(
                f"{run.file_name} is {what} as {same.tag_id} (version {same.version}, {same.status}) on this "
                "LPO; one sheet is one tag.",
                tag_id=run.tag_id,
                existing_tag_id=same.tag_id,
            )


def store_version(run: ReplaceRun) -> ReplaceResult:
    tag, lines = run.current, run.parsed.lines
    old_version = int(tag["version"])
    new_version = old_version + 1
    release_tag(run.db, run.tag_id)  # the old lines give their stock back
    waited = waited_on(run.db, run.tag_id)
    stored = store_file(run)
    now = utcnow()
    run.db.execute(
        sa.update(tag_line)
        .where(tag_line.c.tag_id == run.tag_id, tag_line.c.superseded.is_(False))
        .values(superseded=True)
    )
    write_lines(run, run.tag_id, new_version, lines, on_date=tag["requested_delivery_date"], at=now)
    # A review (or unit rule) that only the replaced lines waited on has nothing left to wait for.
    master = cache_for(run.store, check_seconds=run.settings.mapping_cache_seconds).get()
    settle_exceptions(run.db, master, actor=run.actor, trace_id=run.trace_id, only=waited)
    run.db.execute(
        sa.update(tag_sheet)
        .where(tag_sheet.c.tag_id == run.tag_id)
        .values(
            file_id=stored.file_id,
            file_hash=run.file_hash,
            lines_fingerprint=run.lines_print,
            original_file_name=run.file_name,
            version=new_version,
            line_count=len(lines),
            updated_at=now,
        )
    )
    insert_version(run, run.tag_id, new_version, line_count=len(lines), reason=run.request.reason, at=now)
    return ReplaceResult(
        answered_at=utcnow(),
        tag_id=run.tag_id,
        version=new_version,
        previous_version=old_version,
        line_count=len(lines),
        file_hash=run.file_hash,
        trace_id=run.trace_id,
        client_request_id=run.request.client_request_id,
        message=f"{run.tag_id} now holds version {new_version} ({len(lines)} lines); "
        f"version {old_version} is kept.",
    )


def record_replace(run: ReplaceRun, result: ReplaceResult) -> None:
    tag = run.current
    record_action(
        run.db,
        run.actor,
        "TAG_REPLACED",
        entity_type="tag",
        entity_id=run.tag_id,
        trace_id=run.trace_id,
        client_request_id=run.request.client_request_id,
        before={
            "version": tag["version"],
            "file_hash": tag["file_hash"],
            "file": tag["original_file_name"],
            "lines": tag["line_count"],
        },
        after={
            "version": result.version,
            "file_hash": run.file_hash,
            "file": run.file_name,
            "lines": result.line_count,
            "reason": run.request.reason,
        },
    )


PREFLIGHT: tuple[Callable[[ReplaceRun], None], ...] = (check_file, fingerprint_request)
LEDGER: tuple[Callable[[ReplaceRun], ReplaceResult | None], ...] = (
    load_tag,
    lock_the_lpo,
    replay,
    refuse_unless_uploaded,
    refuse_unusable_sheet,
    refuse_held_sheet,
)


def run_replace(run: ReplaceRun, *, progress: Progress = no_progress) -> ReplaceResult:
    pipeline: Pipeline[ReplaceRun, ReplaceResult] = Pipeline(
        name="tag replace",
        preflight=PREFLIGHT,
        parse=parse_file,
        ledger=LEDGER,
        finish=store_version,
        audit=record_replace,
    )
    return run_pipeline(pipeline, run, progress=progress)
