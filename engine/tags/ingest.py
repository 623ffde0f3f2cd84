"""Tag-sheet ingestion: DOMAIN "Tags" steps 1–9 as a short list of stages run by one runner.

Preflight stages are pure (fields, file, parse). Ledger stages run inside ONE transaction: each
may stop the pipeline with a typed result (duplicate, blocked, parse error) after writing the rows
that record it; the runner then stores the response under the request's ``client_request_id`` and
writes the audit row, in the same transaction. A repeat of the request id returns that response.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import business_day, utcnow
from engine.config import Settings
from engine.errors import Conflict, ValidationError
from engine.ids import is_tag_id, new_ulids
from engine.ledger.audit import record_action
from engine.ledger.exceptions import NewException, raise_exception
from engine.ledger.files import FileStore, StoredFile, check_display_name, sha256_hex
from engine.ledger.inbox import notify_desk
from engine.ledger.sequences import next_tag_id
from engine.logs import get_logger
from engine.lpos.master import LockedLpo, claimed_m2, lock_lpo
from engine.mapping.apply import map_lines
from engine.mapping.lookup import LineInput
from engine.mapping.master import cache_for
from engine.progress import Progress, no_progress
from engine.store.gateway import Database
from engine.store.schema import client_request_log, tag_line, tag_sheet, tag_sheet_version
from engine.tags.models import IngestRequest, IngestResult
from engine.tags.parse import ParsedLine, ParsedSheet, parse_cut_export
from engine.vocab import Desk, ExceptionKind, IngestStatus, LpoStatus, TagStatus

log = get_logger("tags.ingest")
OPERATION = "tags.ingest"
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class IngestRun:
    """What the stages know about one upload; filled in as they go."""

    request: IngestRequest
    actor: Actor
    trace_id: str
    settings: Settings
    files: FileStore
    store: Database
    file_name: str = ""
    file_hash: str = ""
    kind: str = ""
    fingerprint: str = ""
    parsed: ParsedSheet = field(default_factory=ParsedSheet)
    conn: Connection | None = None
    lpo: LockedLpo | None = None
    stored: StoredFile | None = None

    @property
    def db(self) -> Connection:
        assert self.conn is not None, "ledger stages run inside the transaction"
        return self.conn

    def result(self, status: IngestStatus, http_status: int, message: str, **fields: Any) -> IngestResult:
        return IngestResult(
            status=status,
            http_status=http_status,
            message=message,
            trace_id=self.trace_id,
            file_hash=self.file_hash or None,
            lpo_id=self.lpo.lpo_id if self.lpo else self.request.lpo_id,
            client_request_id=self.request.client_request_id,
            **fields,
        )


Stage = Callable[[IngestRun], IngestResult | None]


# ---------------------------------------------------------------- preflight (pure, nothing stored)


def inspect_upload(file_name: str, content: bytes, settings: Settings) -> tuple[str, str]:
    """The checked display name and the kind (``xlsx``/``csv``) of an uploaded cut export."""
    name = check_display_name(file_name)
    size = len(content)
    if size == 0:
        raise ValidationError(f"{name} is empty (0 bytes). Export the cut list again.", field="file")
    limit = settings.max_upload_bytes
    if size > limit:
        raise ValidationError(
            f"{name} is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB "
            "(OPSLEDGER_MAX_UPLOAD_MB).",
            field="file",
        )
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    is_zip = content.startswith(_ZIP_MAGIC)
    if suffix == "xlsx":
        return name, "xlsx"
    if suffix in ("csv", "txt") and not is_zip:
        return name, "csv"
    if suffix == "xls":
        raise ValidationError("Old .xls workbooks are not read; save it as .xlsx or CSV UTF-8.", field="file")
    raise ValidationError(
        f"{name} is not a cut export OpsLedger reads: upload an .xlsx or a .csv file.", field="file"
    )


def check_file(run: IngestRun) -> None:
    request = run.request
    run.file_name, run.kind = inspect_upload(request.original_file_name, request.content, run.settings)
    if request.tag_id and not is_tag_id(request.tag_id):
        raise ValidationError(
            f"tag_id {request.tag_id!r} is not like TAG-YYYYMMDD-NNNN; leave it empty to get a new one.",
            field="tag_id",
        )
    run.file_hash = sha256_hex(request.content)
    parts = (
        request.lpo_id,
        request.customer_lpo_ref,
        request.required_area_m2.normalize(),
        request.requested_delivery_date,
        request.tag_id,
        run.file_hash,
    )
    run.fingerprint = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def parse_file(run: IngestRun) -> None:
    run.parsed = parse_cut_export(run.request.content, kind=run.kind)


# ---------------------------------------------------------------- ledger stages (one transaction)


def stored_response(conn: Connection, request_id: str, fingerprint: str) -> IngestResult | None:
    row = conn.execute(
        sa.select(
            client_request_log.c.fingerprint, client_request_log.c.response, client_request_log.c.operation
        ).where(client_request_log.c.client_request_id == request_id)
    ).first()
    if row is None:
        return None
    if row.operation != OPERATION or row.fingerprint != fingerprint:
        raise Conflict(
            f"Request id {request_id} was already used for a different request; send a new id.",
            client_request_id=request_id,
        )
    return IngestResult.model_validate_json(row.response)


def lock_the_lpo(run: IngestRun) -> IngestResult | None:
    run.lpo = lock_lpo(run.db, lpo_id=run.request.lpo_id, customer_lpo_ref=run.request.customer_lpo_ref)
    return None


def replay(run: IngestRun) -> IngestResult | None:
    # Checked again after the LPO lock: a concurrent twin of this request has committed by now.
    return stored_response(run.db, run.request.client_request_id, run.fingerprint)


def reject_duplicate(run: IngestRun) -> IngestResult | None:
    lpo_key = run.lpo.lpo_id if run.lpo else run.request.lpo_id
    existing = run.db.execute(
        sa.select(tag_sheet.c.tag_id, tag_sheet.c.file_id)
        .where(
            tag_sheet.c.file_hash == run.file_hash,
            tag_sheet.c.lpo_id == lpo_key,
            tag_sheet.c.status.not_in([str(TagStatus.BLOCKED), str(TagStatus.CANCELLED)]),
        )
        .order_by(tag_sheet.c.uploaded_at)
    ).first()
    if existing is None:
        return None
    message = f"This file was already uploaded for {lpo_key} as {existing.tag_id}."
    exception_id = _raise(
        run,
        ExceptionKind.DUPLICATE_UPLOAD,
        message,
        tag_id=existing.tag_id,
        file_id=existing.file_id,
        payload={"existing_tag_id": existing.tag_id, "file_name": run.file_name},
    )
    return run.result(
        IngestStatus.DUPLICATE, 409, message, existing_tag_id=existing.tag_id, exception_id=exception_id
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
    else:
        return None
    run.stored = _store_file(run)
    exception_id = _raise(run, kind, message, file_id=run.stored.file_id, payload=payload)
    return run.result(IngestStatus.BLOCKED, 422, message, exception_id=exception_id)


def store_tag(run: IngestRun) -> IngestResult:
    tag_id = _take_tag_id(run)
    run.stored = _store_file(run)
    line_ids = _insert_tag(run, tag_id, TagStatus.UPLOADED, exception_id=None, lines=run.parsed.lines)
    # Mapping is part of ingestion: the same transaction (DOMAIN "Material mapping"; issue 3 §2).
    master = cache_for(run.store, check_seconds=run.settings.mapping_cache_seconds).get()
    lpo, date_ = run.lpo, run.request.requested_delivery_date
    assert lpo is not None
    inputs = [  # the lines just written, from memory: no need to read them back
        LineInput(
            description=line.description,
            qty=line.qty,
            uom=line.uom,
            lpo_id=lpo.lpo_id,
            project_id=lpo.project_id,
            plant_id=lpo.plant_id,
            customer=lpo.customer,
            on_date=date_,
            sheet_width_mm=line.sheet_width_mm,
            sheet_length_mm=line.sheet_length_mm,
            ingest_line_id=line_id,
            tag_id=tag_id,
        )
        for line_id, line in zip(line_ids, run.parsed.lines, strict=True)
    ]
    map_lines(run.store, run.db, master, inputs, actor=run.actor, trace_id=run.trace_id)
    return run.result(
        IngestStatus.UPLOADED,
        200,
        f"{tag_id} uploaded with {len(run.parsed.lines)} lines.",
        tag_id=tag_id,
        line_count=len(run.parsed.lines),
    )


# ---------------------------------------------------------------- helpers of the stages


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
    tag_id = _take_tag_id(run)
    run.stored = _store_file(run)
    exception_id = _raise(
        run, kind, message, tag_id=tag_id, file_id=run.stored.file_id, payload=payload, qty_impact=qty_impact
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


def _store_file(run: IngestRun) -> StoredFile:
    return run.files.put(
        run.db,
        run.request.content,
        display_name=run.file_name,
        media_type=MEDIA_TYPES[run.kind],
        actor=run.actor,
        trace_id=run.trace_id,
        sha256=run.file_hash,
    )


def _insert_tag(
    run: IngestRun, tag_id: str, status: TagStatus, *, exception_id: str | None, lines: list[ParsedLine]
) -> list[str]:
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
    run.db.execute(
        tag_sheet_version.insert().values(
            tag_id=tag_id,
            version=1,
            file_id=run.stored.file_id,
            file_hash=run.file_hash,
            original_file_name=run.file_name,
            line_count=len(lines),
            reason=None,
            created_by=run.actor.email,
            created_at=now,
            trace_id=run.trace_id,
        )
    )
    return insert_lines(run.store, run.db, tag_id, 1, lines, trace_id=run.trace_id, at=now)


def line_rows(
    tag_id: str, version: int, lines: list[ParsedLine], *, trace_id: str, at: datetime
) -> list[dict[str, object]]:
    """The ``tag_line`` rows of parsed lines, each with a new ``ingest_line_id``."""
    return [
        {
            "ingest_line_id": line_id,
            "tag_id": tag_id,
            "tag_version": version,
            "line_no": line.line_no,
            "source_row": line.source_row,
            "part_no": line.part_no,
            "nesting_description": line.description,
            "description_norm": line.description_norm,
            "qty": line.qty,
            "uom": line.uom,
            "uom_raw": line.uom_raw,
            "thickness_mm": line.thickness_mm,
            "sheet_size_mm": line.sheet_size_mm,
            "sheet_length_mm": line.sheet_length_mm,
            "sheet_width_mm": line.sheet_width_mm,
            "sheets": line.sheets,
            "net_area_m2": line.net_area_m2,
            "length_mm": line.length_mm,
            "width_mm": line.width_mm,
            "weight_kg": line.weight_kg,
            "remarks": line.remarks,
            "superseded": False,
            "created_at": at,
            "trace_id": trace_id,
        }
        for line_id, line in zip(new_ulids(len(lines)), lines, strict=True)
    ]


def insert_lines(
    db: Database,
    conn: Connection,
    tag_id: str,
    version: int,
    lines: list[ParsedLine],
    *,
    trace_id: str,
    at: datetime,
) -> list[str]:
    rows = line_rows(tag_id, version, lines, trace_id=trace_id, at=at)
    db.bulk_insert(conn, tag_line, rows)
    return [str(row["ingest_line_id"]) for row in rows]


def _remember(run: IngestRun, result: IngestResult) -> None:
    """Store the response for replays and write the audit row of the upload."""
    run.db.execute(
        client_request_log.insert().values(
            client_request_id=run.request.client_request_id,
            operation=OPERATION,
            fingerprint=run.fingerprint,
            http_status=result.http_status,
            response=result.model_dump_json(),
            actor=run.actor.email,
            created_at=utcnow(),
            trace_id=run.trace_id,
        )
    )
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
            "file": run.file_name,
            "file_hash": run.file_hash,
            "required_area_m2": run.request.required_area_m2,
            "lines": result.line_count,
        },
    )


PREFLIGHT: tuple[Callable[[IngestRun], None], ...] = (check_file,)
LEDGER: tuple[Stage, ...] = (
    lock_the_lpo,
    replay,
    reject_duplicate,
    reject_unknown_lpo,
    block_on_hold,
    block_over_balance,
    reject_unusable_sheet,
)


def run_ingest(db: Database, run: IngestRun, *, progress: Progress = no_progress) -> IngestResult:
    started = time.perf_counter()
    progress("Checking the file", 0, 3)
    log.info(
        "tag ingest started",
        extra={
            "client_request_id": run.request.client_request_id,
            "lpo_id": run.request.lpo_id,
            "file": run.request.original_file_name,
        },
    )
    for check in PREFLIGHT:
        check(run)
    with db.read() as conn:
        earlier = stored_response(conn, run.request.client_request_id, run.fingerprint)
    if earlier is not None:
        log.info("tag ingest replayed", extra={"status": str(earlier.status), "tag_id": earlier.tag_id})
        return earlier
    progress("Reading the sheet", 1, 3)
    parse_file(run)
    progress(f"Checking the LPO and writing {len(run.parsed.lines)} lines", 2, 3)

    def work(conn: Connection) -> tuple[IngestResult, bool]:
        run.conn, run.lpo, run.stored = conn, None, None
        for stage in LEDGER:
            outcome = stage(run)
            if outcome is not None:
                if stage is replay:
                    return outcome, False
                _remember(run, outcome)
                return outcome, True
        result = store_tag(run)
        _remember(run, result)
        return result, True

    try:
        result, fresh = db.write(work, retry_integrity=True)
    finally:
        run.conn = None
    progress("Done", 3, 3)
    log.info(
        "tag ingest finished",
        extra={
            "status": str(result.status),
            "tag_id": result.tag_id,
            "exception_id": result.exception_id,
            "fresh": fresh,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return result
