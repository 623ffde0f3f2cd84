"""Tag-sheet ingestion: DOMAIN "Tags" steps 1–9 as a short list of stages run by the sheet
pipeline runner (``engine.tags.pipeline``).

Duplicates (step 3) are looked for in every version of the LPO's tags, by bytes and by the
fingerprint of the parsed lines: the same cut export saved as .xlsx and as .csv is one sheet. A
sheet already held by a BLOCKED tag is not stored twice: while the block still applies, the upload
is a DUPLICATE pointing at that tag (no second tag, no second exception); once it no longer applies
(the LPO released, its balance freed), that tag itself is taken — UPLOADED under its own id, its
lines written and mapped, its blocking exception resolved with a note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.clock import as_utc, business_day, utcnow
from engine.errors import Conflict, ValidationError
from engine.ids import is_tag_id
from engine.ledger.audit import record_action
from engine.ledger.exceptions import NewException, raise_exception
from engine.ledger.inbox import notify_desk
from engine.ledger.requests import fingerprint
from engine.ledger.sequences import next_tag_id
from engine.lpos.master import claimed_m2
from engine.progress import Progress, no_progress
from engine.store.schema import tag_sheet
from engine.tags.models import IngestRequest, IngestResult
from engine.tags.parse import ParsedLine
from engine.tags.pipeline import (
    MEDIA_TYPES,
    Pipeline,
    SameSheet,
    SheetRun,
    check_file,
    insert_version,
    line_rows,
    lock_the_lpo,
    parse_file,
    replay,
    run_pipeline,
    same_sheets,
    store_file,
    write_lines,
)
from engine.tags.unblock import take_blocked_tag
from engine.vocab import Desk, ExceptionKind, IngestStatus, LpoStatus, TagStatus

OPERATION = "tags.ingest"


@dataclass(kw_only=True)
class IngestRun(SheetRun[IngestResult]):
    request: IngestRequest
    operation: str = OPERATION
    answer: type[IngestResult] = IngestResult
    twin: SameSheet | None = None  # a BLOCKED tag that holds this sheet already

    @classmethod
    def of(cls, request: IngestRequest, **context: Any) -> IngestRun:
        """``context``: actor, trace_id, settings, files and store."""
        return cls(
            request=request,
            request_id=request.client_request_id,
            original_file_name=request.original_file_name,
            content=request.content,
            lpo_id=request.lpo_id,
            customer_lpo_ref=request.customer_lpo_ref,
            **context,
        )

    def start_transaction(self, conn: Connection) -> None:
        super().start_transaction(conn)
        self.twin = None

    def result(self, status: IngestStatus, http_status: int, message: str, **fields: Any) -> IngestResult:
        return IngestResult(
            status=status,
            http_status=http_status,
            message=message,
            trace_id=self.trace_id,
            file_hash=self.file_hash or None,
            lpo_id=self.lpo.lpo_id if self.lpo else self.request.lpo_id,
            client_request_id=self.request.client_request_id,
            answered_at=utcnow(),
            **fields,
        )


# ---------------------------------------------------------------- preflight (pure, nothing stored)


def check_fields(run: IngestRun) -> None:
    request = run.request
    if request.tag_id and not is_tag_id(request.tag_id):
        raise ValidationError(
            f"The tag id {request.tag_id!r} is not like TAG-YYYYMMDD-NNNN; leave it empty to get a new one.",
            field="tag_id",
        )
    today = business_day(run.settings.zone)
    if request.requested_delivery_date < today:
        raise ValidationError(
            f"The requested delivery date {request.requested_delivery_date} has passed (today is {today} "
            f"in {run.settings.zone.key}); choose today or a later day.",
            field="requested_delivery_date",
        )


def fingerprint_request(run: IngestRun) -> None:
    request = run.request
    run.request_print = fingerprint(
        OPERATION,
        request.lpo_id,
        request.customer_lpo_ref,
        request.required_area_m2.normalize(),
        request.requested_delivery_date,
        request.tag_id,
        run.file_hash,
    )


# ---------------------------------------------------------------- ledger stages (one transaction)


def reject_duplicate(run: IngestRun) -> IngestResult | None:
    found = same_sheets(run)
    live = next((same for same in found if same.live), None)
    if live is None:
        run.twin = found[0] if found else None  # only blocked tags hold it: decided after the LPO checks
        return None
    lpo_id = run.lpo.lpo_id if run.lpo else run.request.lpo_id
    what = "file" if live.same_bytes else "sheet (the same lines, saved as another file)"
    version = "" if live.version == live.current_version else f" (its version {live.version})"
    when = _moment(run, live.uploaded_at)
    message = f"This {what} was already uploaded for {lpo_id} as {live.tag_id}{version}{when}."
    exception_id = _raise(
        run,
        ExceptionKind.DUPLICATE_UPLOAD,
        message,
        tag_id=live.tag_id,
        file_id=live.file_id,
        payload={
            "existing_tag_id": live.tag_id,
            "version": live.version,
            "same_bytes": live.same_bytes,
            "file_name": run.file_name,
        },
    )
    return run.result(
        IngestStatus.DUPLICATE,
        409,
        message,
        existing_tag_id=live.tag_id,
        existing_uploaded_at=live.uploaded_at,
        exception_id=exception_id,
    )


def reject_unknown_lpo(run: IngestRun) -> IngestResult | None:
    if run.lpo is not None:
        return None
    asked = run.request.lpo_id or f"customer reference {run.request.customer_lpo_ref}"
    message = f"LPO {asked} is not in the LPO master. Check the number or ask for the LPO to be imported."
    exception_id = _raise(
        run,
        ExceptionKind.LPO_NOT_FOUND,
        message,
        payload={"lpo_id": run.request.lpo_id, "customer_lpo_ref": run.request.customer_lpo_ref},
    )
    return run.result(IngestStatus.BLOCKED, 422, message, exception_id=exception_id)


def block_closed(run: IngestRun) -> IngestResult | None:
    assert run.lpo is not None
    if run.lpo.status != LpoStatus.CLOSED:
        return None
    message = (
        f"LPO {run.lpo.lpo_id} is closed; it takes no more tags. The tag is stored as BLOCKED: ask for "
        "the LPO to be reopened, or upload against its successor."
    )
    return _block(run, ExceptionKind.LPO_CLOSED, message, payload={"lpo_status": str(run.lpo.status)})


def block_on_hold(run: IngestRun) -> IngestResult | None:
    assert run.lpo is not None
    if run.lpo.status != LpoStatus.ON_HOLD:
        return None
    message = f"LPO {run.lpo.lpo_id} is on hold; the tag is stored as BLOCKED until the LPO is released."
    return _block(run, ExceptionKind.LPO_ON_HOLD, message, payload={"lpo_status": str(run.lpo.status)})


def block_over_balance(run: IngestRun) -> IngestResult | None:
    lpo = run.lpo
    assert lpo is not None
    committed = lpo.delivered_quantity_m2 + claimed_m2(run.db, lpo.lpo_id)
    required = run.request.required_area_m2
    if committed + required <= lpo.po_quantity_m2:  # strictly greater blocks; landing on it passes
        return None
    shortfall = committed + required - lpo.po_quantity_m2
    remaining = lpo.po_quantity_m2 - committed
    message = (
        f"LPO {lpo.lpo_id} has {remaining:.2f} m2 left "
        f"(PO {lpo.po_quantity_m2:.2f}, committed {committed:.2f}); "
        f"this tag needs {required:.2f} m2, {shortfall:.2f} m2 more than the PO allows."
    )
    payload = {
        "po_quantity": lpo.po_quantity_m2,
        "committed": committed,
        "required": required,
        "shortfall": shortfall,
    }
    return _block(run, ExceptionKind.INSUFFICIENT_PO_BALANCE, message, payload=payload, qty_impact=shortfall)


def reject_unusable_sheet(run: IngestRun) -> IngestResult | None:
    parsed = run.parsed
    if len(parsed.tag_refs) > 1:
        refs = ", ".join(sorted(parsed.tag_refs))
        message = f"{run.file_name} names {len(parsed.tag_refs)} tags ({refs}); upload one nest per tag."
        kind = ExceptionKind.MULTI_TAG_NEST
        payload: dict[str, Any] = {"tag_refs": sorted(parsed.tag_refs)}
    elif not parsed.usable:
        message = f"{run.file_name} cannot be used: {parsed.problem()}"
        kind = ExceptionKind.PARSE_ERROR
        payload = {"errors": [str(e) for e in parsed.errors[:200]], "columns": parsed.columns}
        if parsed.failure:
            payload["failure"] = parsed.failure
    else:
        return None
    stored = store_file(run)  # kept for inspection (DOMAIN "Tags" step 7)
    tag_id = run.twin.tag_id if run.twin else None
    exception_id = _raise(run, kind, message, tag_id=tag_id, file_id=stored.file_id, payload=payload)
    return run.result(IngestStatus.BLOCKED, 422, message, exception_id=exception_id)


def store_tag(run: IngestRun) -> IngestResult:
    if run.twin is not None:
        return take_blocked_tag(run, run.twin)
    tag_id = _take_tag_id(run)
    store_file(run)
    now = utcnow()
    _insert_tag(run, tag_id, TagStatus.UPLOADED, exception_id=None, lines=run.parsed.lines)
    write_lines(run, tag_id, 1, run.parsed.lines, on_date=run.request.requested_delivery_date, at=now)
    return run.result(
        IngestStatus.UPLOADED,
        200,
        f"{tag_id} uploaded with {len(run.parsed.lines)} lines.",
        tag_id=tag_id,
        line_count=len(run.parsed.lines),
    )


# ---------------------------------------------------------------- helpers of the stages


def _moment(run: IngestRun, at: datetime | None) -> str:
    """ " at HH:MM" in the business zone (" on YYYY-MM-DD at HH:MM" on another day): as people read it."""
    if at is None:
        return ""
    local = as_utc(at).astimezone(run.settings.zone)
    day = "" if local.date() == business_day(run.settings.zone) else f" on {local:%Y-%m-%d}"
    return f"{day} at {local:%H:%M}"


def _raise(run: IngestRun, kind: ExceptionKind, message: str, **fields: Any) -> str:
    exception_id = raise_exception(
        run.db,
        NewException(
            kind=kind, message=message, lpo_id=run.lpo.lpo_id if run.lpo else run.request.lpo_id, **fields
        ),
        actor=run.actor,
        trace_id=run.trace_id,
        sla_overrides=run.settings.sla_hours,
    )
    notify_desk(
        run.db,
        Desk.SALES,
        f"{kind}: {exception_id}",
        message,
        trace_id=run.trace_id,
        exception_id=exception_id,
    )
    return exception_id


def _block(
    run: IngestRun,
    kind: ExceptionKind,
    message: str,
    *,
    payload: dict[str, Any],
    qty_impact: Decimal | None = None,
) -> IngestResult:
    if run.twin is not None:  # the sheet is held by a blocked tag already: no second tag or exception
        twin = run.twin
        held = f"This sheet is already held as {twin.tag_id}, which stays BLOCKED. {message}"
        return run.result(
            IngestStatus.DUPLICATE,
            409,
            held,
            existing_tag_id=twin.tag_id,
            existing_uploaded_at=twin.uploaded_at,
            exception_id=twin.exception_id,
        )
    tag_id = _take_tag_id(run)
    stored = store_file(run)
    exception_id = _raise(
        run, kind, message, tag_id=tag_id, file_id=stored.file_id, payload=payload, qty_impact=qty_impact
    )
    _insert_tag(run, tag_id, TagStatus.BLOCKED, exception_id=exception_id, lines=[])
    return run.result(IngestStatus.BLOCKED, 422, message, tag_id=tag_id, exception_id=exception_id)


def _take_tag_id(run: IngestRun) -> str:
    given = run.request.tag_id
    if not given:
        return next_tag_id(run.db, business_day(run.settings.zone))
    taken = run.db.execute(sa.select(tag_sheet.c.tag_id).where(tag_sheet.c.tag_id == given)).first()
    if taken is not None:
        raise Conflict(
            f"{given} exists already. To upload a corrected sheet for it, replace it instead.", tag_id=given
        )
    return given


def _insert_tag(
    run: IngestRun, tag_id: str, status: TagStatus, *, exception_id: str | None, lines: list[ParsedLine]
) -> None:
    assert run.lpo is not None and run.stored is not None
    now = utcnow()
    request = run.request
    run.db.execute(
        tag_sheet.insert().values(
            tag_id=tag_id,
            lpo_id=run.lpo.lpo_id,
            status=str(status),
            required_area_m2=request.required_area_m2,
            requested_delivery_date=request.requested_delivery_date,
            file_id=run.stored.file_id,
            file_hash=run.file_hash,
            lines_fingerprint=run.lines_print,
            original_file_name=run.file_name,
            version=1,
            line_count=len(lines),
            truck_size=request.truck_size,
            notes=request.notes,
            exception_id=exception_id,
            uploaded_by=run.actor.email,
            uploaded_at=now,
            updated_at=now,
            client_request_id=request.client_request_id,
            trace_id=run.trace_id,
        )
    )
    insert_version(run, tag_id, 1, line_count=len(lines), reason=None, at=now)


def record_upload(run: IngestRun, result: IngestResult) -> None:
    """The audit row of the upload, whatever its outcome."""
    action = {IngestStatus.UPLOADED: "TAG_UPLOAD", IngestStatus.DUPLICATE: "TAG_UPLOAD_DUPLICATE"}.get(
        result.status, "TAG_UPLOAD_BLOCKED"
    )
    entity_type, entity_id = ("tag", result.tag_id) if result.tag_id else ("lpo", result.lpo_id or "?")
    record_action(
        run.db,
        run.actor,
        action,
        entity_type=entity_type,
        entity_id=entity_id,
        trace_id=run.trace_id,
        client_request_id=run.request.client_request_id,
        after={
            "status": str(result.status),
            "exception_id": result.exception_id,
            "existing_tag_id": result.existing_tag_id,
            "file": run.file_name,
            "file_hash": run.file_hash,
            "lines_fingerprint": run.lines_print,
            "required_area_m2": run.request.required_area_m2,
            "lines": result.line_count,
        },
    )


PREFLIGHT: tuple[Callable[[IngestRun], None], ...] = (check_fields, check_file, fingerprint_request)
LEDGER: tuple[Callable[[IngestRun], IngestResult | None], ...] = (
    lock_the_lpo,
    replay,
    reject_duplicate,
    reject_unknown_lpo,
    block_closed,
    block_on_hold,
    block_over_balance,
    reject_unusable_sheet,
)


def run_ingest(run: IngestRun, *, progress: Progress = no_progress) -> IngestResult:
    # Built at call time from the module's stage lists, so an instrumented run sees wrapped stages.
    pipeline: Pipeline[IngestRun, IngestResult] = Pipeline(
        name="tag ingest",
        preflight=PREFLIGHT,
        parse=parse_file,
        ledger=LEDGER,
        finish=store_tag,
        audit=record_upload,
        http_status=lambda result: result.http_status,
    )
    return run_pipeline(pipeline, run, progress=progress)


# line_rows: the benchmark builds its insert floor with the engine's own rows.
__all__ = ["LEDGER", "MEDIA_TYPES", "PREFLIGHT", "IngestRun", "line_rows", "run_ingest"]
