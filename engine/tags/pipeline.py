"""One runner for the tag-sheet pipelines (an upload, a replacement) and the stages they share.

A pipeline is a short list of stages (STYLE "ingestion pipelines"): preflight stages are pure
(fields, file, request fingerprint); then a repeated ``client_request_id`` returns its stored
response (``engine.ledger.requests``) before any work; the sheet is parsed; the ledger stages run
inside ONE transaction, and each may stop the pipeline with a typed answer (a duplicate, a block,
a parse error) after writing the rows that record it. Otherwise the pipeline's ``finish`` stage
writes the tag. The runner then stores the answer under the request id and writes the audit row,
in the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.config import Settings
from engine.errors import ValidationError
from engine.ids import new_ulids
from engine.ledger import requests
from engine.ledger.files import FileStore, StoredFile, check_display_name, sha256_hex
from engine.logs import get_logger
from engine.lpos.master import LockedLpo, lock_lpo
from engine.mapping.apply import map_lines
from engine.mapping.lookup import LineInput
from engine.mapping.master import cache_for
from engine.progress import Progress, no_progress
from engine.store.gateway import Database
from engine.store.schema import tag_line, tag_sheet, tag_sheet_version
from engine.store.sqlfiles import load_sql
from engine.tags.parse import ParsedLine, ParsedSheet, parse_cut_export
from engine.vocab import TagStatus

log = get_logger("tags.pipeline")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
KINDS = {media: kind for kind, media in MEDIA_TYPES.items()}
_ZIP_MAGIC = b"PK\x03\x04"

M = TypeVar("M", bound=BaseModel)


@dataclass(kw_only=True)
class SheetRun(Generic[M]):
    """What the stages know about one sheet; filled in as they go."""

    operation: str
    answer: type[M]
    actor: Actor
    trace_id: str
    settings: Settings
    files: FileStore
    store: Database
    request_id: str
    original_file_name: str
    content: bytes = field(repr=False)
    lpo_id: str | None = None
    customer_lpo_ref: str | None = None
    file_name: str = ""
    file_hash: str = ""
    kind: str = ""
    request_print: str = ""
    parsed: ParsedSheet = field(default_factory=ParsedSheet)
    lines_print: str | None = None
    conn: Connection | None = None
    lpo: LockedLpo | None = None
    stored: StoredFile | None = None
    replayed: bool = False

    @property
    def db(self) -> Connection:
        assert self.conn is not None, "ledger stages run inside the transaction"
        return self.conn

    def start_transaction(self, conn: Connection) -> None:
        """A retried transaction starts from what preflight knew, not from the failed attempt."""
        self.conn, self.lpo, self.stored, self.replayed = conn, None, None, False


R = TypeVar("R", bound=SheetRun[Any])


@dataclass(frozen=True)
class Pipeline(Generic[R, M]):
    name: str  # in log lines: "tag ingest started"
    preflight: tuple[Callable[[R], None], ...]
    parse: Callable[[R], None]
    ledger: tuple[Callable[[R], M | None], ...]
    finish: Callable[[R], M]
    audit: Callable[[R, M], None]
    http_status: Callable[[M], int] = lambda _: 200


def run_pipeline(pipeline: Pipeline[R, M], run: R, *, progress: Progress = no_progress) -> M:
    started = time.perf_counter()
    progress("Checking the file", 0, 3)
    log.info(
        f"{pipeline.name} started",
        extra={"client_request_id": run.request_id, "lpo_id": run.lpo_id, "file": run.original_file_name},
    )
    for check in pipeline.preflight:
        check(run)
    with run.store.read() as conn:
        earlier = requests.stored(conn, run.request_id, run.operation, run.request_print, run.answer)
    if earlier is not None:
        log.info(f"{pipeline.name} replayed", extra={"request": run.request_id})
        return as_replayed(earlier)
    progress("Reading the sheet", 1, 3)
    pipeline.parse(run)
    progress(f"Checking the LPO and writing {len(run.parsed.lines)} lines", 2, 3)

    def work(conn: Connection) -> M:
        run.start_transaction(conn)
        stopped: M | None = None
        for stage in pipeline.ledger:
            stopped = stage(run)
            if stopped is not None:
                if run.replayed:
                    return as_replayed(stopped)
                break
        answer = stopped if stopped is not None else pipeline.finish(run)
        requests.remember(
            conn,
            run.request_id,
            run.operation,
            run.request_print,
            answer,
            actor=run.actor,
            trace_id=run.trace_id,
            http_status=pipeline.http_status(answer),
        )
        pipeline.audit(run, answer)
        return answer

    try:
        answer = run.store.write(work, retry_integrity=True)
    finally:
        run.conn = None
    progress("Done", 3, 3)
    log.info(
        f"{pipeline.name} finished",
        extra={
            **answer.model_dump(include={"status", "tag_id", "exception_id", "version"}, mode="json"),
            "replayed": run.replayed,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return answer


def as_replayed(answer: M) -> M:
    """A stored answer given again says so (when its model can), so nobody reads it as fresh news."""
    return answer.model_copy(update={"replayed": True}) if "replayed" in type(answer).model_fields else answer


# ---------------------------------------------------------------- shared preflight stages


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
    if suffix == "xlsx":
        return name, "xlsx"
    if suffix in ("csv", "txt") and not content.startswith(_ZIP_MAGIC):
        return name, "csv"
    if suffix == "xls":
        raise ValidationError("Old .xls workbooks are not read; save it as .xlsx or CSV UTF-8.", field="file")
    raise ValidationError(
        f"{name} is not a cut export OpsLedger reads: upload an .xlsx or a .csv file.", field="file"
    )


def check_file(run: SheetRun[Any]) -> None:
    run.file_name, run.kind = inspect_upload(run.original_file_name, run.content, run.settings)
    run.file_hash = sha256_hex(run.content)


def parse_file(run: SheetRun[Any]) -> None:
    run.parsed = parse_cut_export(run.content, kind=run.kind)
    run.lines_print = run.parsed.fingerprint()


# ---------------------------------------------------------------- shared ledger stages


def lock_the_lpo(run: SheetRun[Any]) -> None:
    run.lpo = lock_lpo(run.db, lpo_id=run.lpo_id, customer_lpo_ref=run.customer_lpo_ref)


def replay(run: SheetRun[M]) -> M | None:
    # Checked again after the LPO lock: a concurrent twin of this request has committed by now.
    earlier = requests.stored(run.db, run.request_id, run.operation, run.request_print, run.answer)
    run.replayed = earlier is not None
    return earlier


@dataclass(frozen=True)
class SameSheet:
    """A version of one of the LPO's tags that holds the sheet again (same bytes or same lines)."""

    tag_id: str
    status: TagStatus
    version: int
    current_version: int
    file_id: str
    same_bytes: bool
    exception_id: str | None
    uploaded_at: datetime | None = None  # of the tag (for "already uploaded as … at HH:MM")

    @property
    def live(self) -> bool:
        return self.status is not TagStatus.BLOCKED


def same_sheets(run: SheetRun[Any]) -> list[SameSheet]:
    """Every version of the LPO's tags (cancelled ones aside) holding this sheet; live tags first."""
    if run.lpo is None:
        return []
    params = {"file_hash": run.file_hash, "lines_fingerprint": run.lines_print}
    versions = {(row.tag_id, row.version): row for row in run.db.execute(load_sql("tags/same_sheet"), params)}
    if not versions:
        return []
    tags = {
        row.tag_id: row
        for row in run.db.execute(
            sa.select(
                tag_sheet.c.tag_id,
                tag_sheet.c.status,
                tag_sheet.c.version,
                tag_sheet.c.exception_id,
                tag_sheet.c.uploaded_at,
            ).where(
                tag_sheet.c.tag_id.in_(sorted({tag_id for tag_id, _ in versions})),
                tag_sheet.c.lpo_id == run.lpo.lpo_id,
                tag_sheet.c.status != str(TagStatus.CANCELLED),
            )
        )
    }
    found = [
        SameSheet(
            tag_id=tag_id,
            status=TagStatus(tags[tag_id].status),
            version=int(version),
            current_version=int(tags[tag_id].version),
            file_id=row.file_id,
            same_bytes=row.file_hash == run.file_hash,
            exception_id=tags[tag_id].exception_id,
            uploaded_at=tags[tag_id].uploaded_at,
        )
        for (tag_id, version), row in versions.items()
        if tag_id in tags
    ]
    return sorted(found, key=lambda s: (not s.live, tags[s.tag_id].uploaded_at, s.tag_id, s.version))


def store_file(run: SheetRun[Any]) -> StoredFile:
    run.stored = run.files.put(
        run.db,
        run.content,
        display_name=run.file_name,
        media_type=MEDIA_TYPES[run.kind],
        actor=run.actor,
        trace_id=run.trace_id,
        sha256=run.file_hash,
    )
    return run.stored


def read_stored_sheet(run: SheetRun[Any], file_id: str) -> ParsedSheet:
    """The lines of a sheet kept in the file store (a blocked tag's own file)."""
    stored, content = run.files.read(run.db, file_id)
    return parse_cut_export(content, kind=KINDS.get(stored.media_type, "csv"))


def write_lines(
    run: SheetRun[Any], tag_id: str, version: int, lines: list[ParsedLine], *, on_date: date, at: datetime
) -> list[str]:
    """Store the tag's lines and map them in the same transaction (DOMAIN "Material mapping")."""
    line_ids = insert_lines(run.store, run.db, tag_id, version, lines, trace_id=run.trace_id, at=at)
    master = cache_for(run.store, check_seconds=run.settings.mapping_cache_seconds).get()
    lpo = run.lpo
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
            on_date=on_date,
            sheet_width_mm=line.sheet_width_mm,
            sheet_length_mm=line.sheet_length_mm,
            ingest_line_id=line_id,
            tag_id=tag_id,
        )
        for line_id, line in zip(line_ids, lines, strict=True)
    ]
    map_lines(run.store, run.db, master, inputs, actor=run.actor, trace_id=run.trace_id)
    return line_ids


def insert_version(
    run: SheetRun[Any], tag_id: str, version: int, *, line_count: int, reason: str | None, at: datetime
) -> None:
    assert run.stored is not None
    run.db.execute(
        tag_sheet_version.insert().values(
            tag_id=tag_id,
            version=version,
            file_id=run.stored.file_id,
            file_hash=run.file_hash,
            lines_fingerprint=run.lines_print,
            original_file_name=run.file_name,
            line_count=line_count,
            reason=reason,
            created_by=run.actor.email,
            created_at=at,
            trace_id=run.trace_id,
        )
    )


def set_line_count(
    conn: Connection, tag_id: str, version: int, *, count: int, lines_print: str | None
) -> None:
    """A blocked tag's version gets its lines once the block is lifted."""
    conn.execute(
        sa.update(tag_sheet_version)
        .where(tag_sheet_version.c.tag_id == tag_id, tag_sheet_version.c.version == version)
        .values(line_count=count, lines_fingerprint=lines_print)
    )


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
