"""Taking a blocked tag once its block no longer applies (issue 6, DOMAIN "Tags" steps 3 and 5–6).

A sheet that a BLOCKED tag holds is uploaded again and passes the LPO checks now (the LPO was
released or reopened, its balance freed): the upload does not make a second tag. The blocked tag is
taken as it is asked for now (area, delivery date, truck, notes) under its own id and with its own
file; its lines are written and mapped, its blocking exception is resolved with a note, and the
change is audited (``TAG_UNBLOCKED``) beside the upload's own audit row.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from engine.clock import utcnow
from engine.errors import Conflict
from engine.ledger.audit import record_action
from engine.ledger.exceptions import OPEN_STATES, act_on_exception, get_exception
from engine.store.schema import tag_sheet
from engine.tags.models import IngestResult
from engine.tags.parse import ParsedLine
from engine.tags.pipeline import SameSheet, read_stored_sheet, set_line_count, write_lines
from engine.vocab import ExceptionAction, IngestStatus, TagStatus

if TYPE_CHECKING:
    from engine.tags.ingest import IngestRun

_BEFORE = ("status", "exception_id", "required_area_m2", "requested_delivery_date")


def take_blocked_tag(run: IngestRun, twin: SameSheet) -> IngestResult:
    _check_tag_id(run, twin)
    lines = _own_lines(run, twin)
    now = utcnow()
    before = _reopen(run, twin, lines, at=now)
    write_lines(run, twin.tag_id, twin.version, lines, on_date=run.request.requested_delivery_date, at=now)
    resolved = _resolve_block(run, twin)
    _audit(run, twin, before, resolved=resolved, lines=len(lines))
    message = (
        f"{twin.tag_id} was BLOCKED; the block no longer applies, and it is uploaded with {len(lines)} lines."
    )
    return run.result(IngestStatus.UPLOADED, 200, message, tag_id=twin.tag_id, line_count=len(lines))


def _check_tag_id(run: IngestRun, twin: SameSheet) -> None:
    given = run.request.tag_id
    if given and given != twin.tag_id:
        raise Conflict(
            f"This sheet is held by the blocked tag {twin.tag_id}; upload it as {twin.tag_id} (or without a "
            "tag id) to take that tag.",
            tag_id=twin.tag_id,
        )


def _own_lines(run: IngestRun, twin: SameSheet) -> list[ParsedLine]:
    """The blocked tag's lines, from its own file (this upload may be the same sheet saved as
    another file: the lines are equal, their rows in the file need not be)."""
    if twin.same_bytes:
        return run.parsed.lines
    own = read_stored_sheet(run, twin.file_id)
    return own.lines if own.fingerprint() == run.lines_print else run.parsed.lines


def _reopen(run: IngestRun, twin: SameSheet, lines: list[ParsedLine], *, at: datetime) -> dict[str, Any]:
    """The tag row as the upload asks for it now; returns what it was."""
    request = run.request
    row = run.db.execute(sa.select(tag_sheet).where(tag_sheet.c.tag_id == twin.tag_id)).one()._mapping
    run.db.execute(
        sa.update(tag_sheet)
        .where(tag_sheet.c.tag_id == twin.tag_id)
        .values(
            status=str(TagStatus.UPLOADED),
            required_area_m2=request.required_area_m2,
            requested_delivery_date=request.requested_delivery_date,
            truck_size=request.truck_size,
            notes=request.notes,
            line_count=len(lines),
            lines_fingerprint=run.lines_print,
            updated_at=at,
        )
    )
    set_line_count(run.db, twin.tag_id, twin.version, count=len(lines), lines_print=run.lines_print)
    return {key: row[key] for key in _BEFORE}


def _resolve_block(run: IngestRun, twin: SameSheet) -> str | None:
    if twin.exception_id is None or get_exception(run.db, twin.exception_id).status not in OPEN_STATES:
        return None  # someone closed it already
    act_on_exception(
        run.db,
        twin.exception_id,
        ExceptionAction.RESOLVE,
        actor=run.actor,
        trace_id=run.trace_id,
        notes=f"{twin.tag_id} was uploaded again and the LPO takes it now; the tag is UPLOADED.",
        resolution_txn_id=run.trace_id,
    )
    return twin.exception_id


def _audit(
    run: IngestRun, twin: SameSheet, before: dict[str, Any], *, resolved: str | None, lines: int
) -> None:
    request = run.request
    record_action(
        run.db,
        run.actor,
        "TAG_UNBLOCKED",
        entity_type="tag",
        entity_id=twin.tag_id,
        trace_id=run.trace_id,
        client_request_id=request.client_request_id,
        before=before,
        after={
            "status": str(TagStatus.UPLOADED),
            "exception_resolved": resolved,
            "required_area_m2": request.required_area_m2,
            "requested_delivery_date": request.requested_delivery_date,
            "lines": lines,
        },
    )
