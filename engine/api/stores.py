"""The stores desk, mapping side (seed 001): lookups, the review queue, master data."""

from __future__ import annotations

from typing import Any

from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.errors import ValidationError
from engine.exports import FileDownload, TableFormat, table_file
from engine.handle import Ledger
from engine.ledger.files import check_display_name, sha256_hex
from engine.ledger.requests import run_once
from engine.logs import traced
from engine.mapping import history, review
from engine.mapping import requests as lookups
from engine.mapping.coverage import CoverageReport, coverage_report
from engine.mapping.history import HistoryEntry
from engine.mapping.lookup import LineInput, Outcome, lookup
from engine.mapping.lookup import lookup_batch as _lookup_batch
from engine.mapping.master import MasterData, cache_for
from engine.mapping.requests import LookupRequest, LookupResult
from engine.mapping.review import ResolveResult, ReviewItem
from engine.materials import importer
from engine.materials.importer import ImportResult
from engine.materials.kinds import SPECS, Kind


def _master(ledger: Ledger) -> MasterData:
    return cache_for(ledger.db, check_seconds=ledger.settings.mapping_cache_seconds).get()


def _mapping_changed(ledger: Ledger) -> None:
    cache_for(ledger.db, check_seconds=ledger.settings.mapping_cache_seconds).invalidate()


@requires(Permission.WORK_STORES)
def mapping_master(ledger: Ledger, *, actor: Actor) -> MasterData:
    """The master data every lookup uses (cached; reloaded when a mapping table changes)."""
    return _master(ledger)


@requires(Permission.READ_LEDGER)
def lookup_material(ledger: Ledger, request: LookupRequest, *, actor: Actor) -> LookupResult:
    """One description through the mapping rules, as a preview: nothing is written. Recording the
    decision of a line (``line_id``) is the stores desk's ``record_lookup``."""
    if request.line_id is not None:
        raise ValidationError(
            "A lookup with a line id records that line's decision: use record_lookup (stores desk).",
            field="line_id",
        )
    with traced() as trace_id:
        master = _master(ledger)
        return lookups.result(
            lookup(master, lookups.line_for(master, request, zone=ledger.settings.zone)), trace_id=trace_id
        )


@requires(Permission.WORK_STORES)
def record_lookup(ledger: Ledger, request: LookupRequest, *, actor: Actor) -> LookupResult:
    """The seed's lookup for one line id: the decision is recorded once (history, review exception)
    and a repeat of the same line id returns it."""
    if request.line_id is None:
        raise ValidationError("Give the line id whose decision is recorded.", field="line_id")
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: lookups.record_lookup(
                ledger.db,
                conn,
                _master(ledger),
                request,
                zone=ledger.settings.zone,
                actor=actor,
                trace_id=trace_id,
            ),
            retry_integrity=True,
        )


@requires(Permission.READ_LEDGER)
def mapping_history(ledger: Ledger, line_id: str, *, actor: Actor) -> list[HistoryEntry]:
    """Every decision recorded for a line, oldest first (empty for a line never looked up)."""
    if not line_id.strip():
        raise ValidationError("Give the line id whose mapping history to show.", field="ingest_line_id")
    with ledger.db.read() as conn:
        return history.line_history(conn, line_id)


@requires(Permission.READ_LEDGER)
def lookup_batch(ledger: Ledger, lines: list[LineInput], *, actor: Actor) -> list[Outcome]:
    """Decide many lines at once (pure: nothing is written)."""
    return _lookup_batch(_master(ledger), lines)


@requires(Permission.WORK_STORES)
def review_queue(ledger: Ledger, *, actor: Actor) -> list[ReviewItem]:
    with ledger.db.read() as conn:
        return review.review_queue(conn, _master(ledger))


@requires(Permission.WORK_STORES)
def resolve_review(
    ledger: Ledger,
    exception_id: str,
    *,
    canonical_code: str,
    sap_code: str | None,
    scope: str,
    scope_value: str | None,
    actor: Actor,
    request_id: str | None = None,
) -> ResolveResult:
    with traced() as trace_id:
        result = run_once(
            ledger.db,
            lambda conn: review.resolve_review(
                ledger.db,
                conn,
                exception_id,
                canonical_code=canonical_code,
                sap_code=sap_code,
                scope=scope,
                scope_value=scope_value,
                actor=actor,
                trace_id=trace_id,
            ),
            request_id=request_id,
            operation="mapping.resolve",
            parts=(exception_id, canonical_code, sap_code, scope, scope_value),
            model=ResolveResult,
            actor=actor,
            trace_id=trace_id,
        )
    _mapping_changed(ledger)
    return result


@requires(Permission.WORK_STORES)
def import_materials(
    ledger: Ledger,
    kind: Kind,
    content: bytes,
    file_name: str,
    *,
    actor: Actor,
    request_id: str | None = None,
) -> ImportResult:
    name = check_display_name(file_name)
    header, rows = importer.read_table(content, name)
    importer.check_columns(SPECS[kind], header, name)
    return _save(ledger, kind, rows, actor=actor, request_id=request_id, parts=(sha256_hex(content),))


@requires(Permission.WORK_STORES)
def save_materials(
    ledger: Ledger,
    kind: Kind,
    rows: list[tuple[int, dict[str, object]]],
    *,
    actor: Actor,
    request_id: str | None = None,
) -> ImportResult:
    """An editor save: all rows valid, or nothing changes."""
    return _save(ledger, kind, rows, actor=actor, request_id=request_id, parts=(repr(rows),))


def _save(
    ledger: Ledger,
    kind: Kind,
    rows: list[tuple[int, dict[str, Any]]],
    *,
    actor: Actor,
    request_id: str | None,
    parts: tuple[object, ...],
) -> ImportResult:
    with traced() as trace_id:
        result = run_once(
            ledger.db,
            lambda conn: importer.import_rows(ledger.db, conn, kind, rows, actor=actor, trace_id=trace_id),
            request_id=request_id,
            operation=f"materials.{kind}",
            parts=parts,
            model=ImportResult,
            actor=actor,
            trace_id=trace_id,
        )
    _mapping_changed(ledger)
    return result


@requires(Permission.WORK_STORES)
def list_materials(ledger: Ledger, kind: Kind, *, actor: Actor) -> list[dict[str, object]]:
    with ledger.db.read() as conn:
        return importer.export_rows(conn, kind)


@requires(Permission.WORK_STORES)
def export_materials(ledger: Ledger, kind: Kind, *, fmt: TableFormat | str, actor: Actor) -> FileDownload:
    with ledger.db.read() as conn:
        rows = importer.export_rows(conn, kind)
    return table_file(kind.value, SPECS[kind].columns, rows, fmt=fmt)


@requires(Permission.READ_LEDGER)
def coverage(ledger: Ledger, *, actor: Actor) -> CoverageReport:
    with ledger.db.read() as conn:
        return coverage_report(conn)


__all__ = [
    "SPECS",
    "CoverageReport",
    "HistoryEntry",
    "ImportResult",
    "Kind",
    "LineInput",
    "LookupRequest",
    "LookupResult",
    "MasterData",
    "Outcome",
    "ResolveResult",
    "ReviewItem",
    "coverage",
    "export_materials",
    "import_materials",
    "list_materials",
    "lookup_batch",
    "lookup_material",
    "mapping_history",
    "mapping_master",
    "record_lookup",
    "resolve_review",
    "review_queue",
    "save_materials",
]
