"""Tag rules of issue 6 §5, on DuckDB and on PostgreSQL: one sheet is one tag on an LPO (any version,
any file format), a blocked tag holds its sheet until the block lifts, closed LPOs, delivery dates."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import api
from engine.clock import business_day
from engine.demo.builder import DATA_DIR, csv_bytes, cut_export_lines, lpo_csv_bytes, sample_bytes, xlsx_bytes
from engine.errors import Conflict, ValidationError
from engine.models import build
from engine.store.schema import exception_log, line_mapping, tag_sheet
from engine.tags.models import ReplaceRequest
from engine.vocab import ExceptionKind, ExceptionStatus, IngestStatus, TagStatus
from tests.conftest import World, make_settings, seed_world

XLSX, CSV = "TAG-20250615-0007_cutexport_v1.xlsx", "TAG-20250615-0007_cutexport_v1.csv"
ON_HOLD, TIGHT, ROOMY = "LPO-2025-0391", "LPO-2025-0377", "LPO-2025-0412"


def count(world: World, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    with world.ledger.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def set_lpo(world: World, lpo_id: str, **changes: str) -> None:
    """Import the sample LPO row with ``changes`` (how an LPO is released, closed or enlarged)."""
    rows = csv.DictReader(io.StringIO((DATA_DIR / "lpo_master.csv").read_text()))
    row = next(r for r in rows if r["lpo_id"] == lpo_id) | changes
    api.import_lpos(world.ledger, lpo_csv_bytes([row]), actor=world.admin)


def committed(world: World, lpo_id: str) -> Decimal:
    return next(b.committed_m2 for b in api.list_lpos(world.ledger, actor=world.sales) if b.lpo_id == lpo_id)


def replace(world: World, tag_id: str, content: bytes, name: str) -> api.ReplaceResult:
    request = build(
        ReplaceRequest, tag_id=tag_id, reason="corrected nest", content=content, original_file_name=name
    )
    return api.replace_tag(world.ledger, request, actor=world.sales)


def test_a_sheet_in_any_version_of_a_live_tag_is_a_duplicate(world: World) -> None:
    first = world.ingest()
    corrected = xlsx_bytes(cut_export_lines(9, seed=21))
    replace(world, first.tag_id or "", corrected, "v2.xlsx")
    old = world.ingest()  # version 1's file, no longer the tag's current one
    assert old.status is IngestStatus.DUPLICATE and old.existing_tag_id == first.tag_id
    assert f"as {first.tag_id} (its version 1)" in old.message
    new = world.ingest(content=corrected, name="again.xlsx")
    assert new.status is IngestStatus.DUPLICATE and new.existing_tag_id == first.tag_id
    exception = api.get_exception(world.ledger, old.exception_id or "", actor=world.sales)
    assert exception.kind is ExceptionKind.DUPLICATE_UPLOAD and exception.payload["version"] == 1
    assert count(world, tag_sheet) == 1


def test_the_same_cut_export_as_xlsx_and_as_csv_is_one_sheet(world: World) -> None:
    first = world.ingest(XLSX)
    before = committed(world, ROOMY)
    as_csv = world.ingest(CSV)
    assert as_csv.status is IngestStatus.DUPLICATE and as_csv.http_status == 409
    assert (
        as_csv.existing_tag_id == first.tag_id and "the same lines, saved as another file" in as_csv.message
    )
    assert committed(world, ROOMY) == before, "the .csv of an uploaded .xlsx commits nothing"
    assert world.ingest(CSV, lpo=TIGHT, area="1").status is IngestStatus.UPLOADED, "another LPO: a tag"
    lines = cut_export_lines(30, seed=4)
    csv_first = world.ingest(content=csv_bytes(lines), name="n.csv", area="1")
    xlsx_later = world.ingest(content=xlsx_bytes(lines, title_rows=["NEST 4"]), name="n.xlsx", area="1")
    assert xlsx_later.existing_tag_id == csv_first.tag_id


def test_a_blocked_tag_holds_its_sheet_until_the_lpo_is_released(world: World) -> None:
    sheet = "TAG-20250615-0009_cutexport_v1.csv"
    blocked = world.ingest(sheet, lpo=ON_HOLD, area="12.10")
    assert blocked.status is IngestStatus.BLOCKED and blocked.tag_id
    tags, exceptions = count(world, tag_sheet), count(world, exception_log)
    held = world.ingest(sheet, lpo=ON_HOLD, area="12.10")
    assert held.status is IngestStatus.DUPLICATE and held.http_status == 409
    assert (held.existing_tag_id, held.exception_id) == (blocked.tag_id, blocked.exception_id)
    assert "stays BLOCKED" in held.message and "on hold" in held.message
    assert (count(world, tag_sheet), count(world, exception_log)) == (tags, exceptions), "no second of either"

    set_lpo(world, ON_HOLD, status="ACTIVE")
    with pytest.raises(Conflict, match=f"held by the blocked tag {blocked.tag_id}"):
        world.ingest(sheet, lpo=ON_HOLD, area="12.10", tag_id="TAG-20260101-0001")
    taken = world.ingest(sheet, lpo=ON_HOLD, area="12.10")
    assert taken.status is IngestStatus.UPLOADED and taken.tag_id == blocked.tag_id and taken.line_count == 1
    detail = api.show_tag(world.ledger, blocked.tag_id, actor=world.sales)
    assert detail.tag.status is TagStatus.UPLOADED and len(detail.lines) == 1
    assert [v.line_count for v in detail.versions] == [1]
    assert count(world, line_mapping, line_mapping.c.tag_id == blocked.tag_id) == 1, "its lines are mapped"
    exception = api.get_exception(world.ledger, blocked.exception_id or "", actor=world.sales)
    assert exception.status is ExceptionStatus.RESOLVED and "uploaded again" in (
        exception.resolver_notes or ""
    )
    assert exception.resolution_txn_id == taken.trace_id
    actions = {
        a.action for a in api.search_audit(world.ledger, actor=world.admin, trace_id=taken.trace_id).items
    }
    assert {"TAG_UNBLOCKED", "TAG_UPLOAD", "EXCEPTION_RESOLVE"} <= actions
    assert committed(world, ON_HOLD) == Decimal("120.00") + Decimal("12.10")
    again = world.ingest(sheet, lpo=ON_HOLD, area="12.10")
    assert again.status is IngestStatus.DUPLICATE and again.existing_tag_id == blocked.tag_id


def test_a_tag_blocked_by_the_balance_is_taken_once_the_balance_frees(world: World) -> None:
    sheet = "TAG-20250615-0008_cutexport_v1.csv"  # LPO-2025-0377 has 38.80 m2 left
    over = world.ingest(sheet, lpo=TIGHT, area="45.60")
    assert over.status is IngestStatus.BLOCKED
    still = world.ingest(sheet, lpo=TIGHT, area="45.60")
    assert still.status is IngestStatus.DUPLICATE and still.existing_tag_id == over.tag_id
    assert "m2 more than the PO allows" in still.message
    set_lpo(world, TIGHT, po_quantity_m2="700.00")
    taken = world.ingest(sheet, lpo=TIGHT, area="40.00")  # as it is asked for now
    assert taken.status is IngestStatus.UPLOADED and taken.tag_id == over.tag_id
    tag = api.show_tag(world.ledger, over.tag_id or "", actor=world.sales).tag
    assert tag.required_area_m2 == Decimal("40.00") and tag.exception_id == over.exception_id
    assert committed(world, TIGHT) == Decimal("561.20") + Decimal("40.00")
    unblocked = next(
        a
        for a in api.search_audit(world.ledger, actor=world.admin, entity_id=over.tag_id).items
        if a.action == "TAG_UNBLOCKED"
    )
    assert '"required_area_m2": "45.6000"' in (unblocked.before_summary or "")


def test_a_blocked_xlsx_is_taken_by_its_csv_with_its_own_file(world: World) -> None:
    blocked = world.ingest(XLSX, lpo=ON_HOLD, area="12")
    set_lpo(world, ON_HOLD, status="ACTIVE")
    taken = world.ingest(CSV, lpo=ON_HOLD, area="12")
    assert taken.status is IngestStatus.UPLOADED and taken.tag_id == blocked.tag_id and taken.line_count == 16
    kept = api.tag_file(world.ledger, blocked.tag_id or "", actor=world.sales)
    assert kept.file_name == XLSX and kept.content == sample_bytes(XLSX)
    rows = [
        line.source_row for line in api.show_tag(world.ledger, blocked.tag_id or "", actor=world.sales).lines
    ]
    assert rows[0] == 2, "lines from the tag's own file"


def test_a_closed_lpo_blocks_with_its_own_exception(world: World) -> None:
    set_lpo(world, ROOMY, status="CLOSED")
    blocked = world.ingest()
    assert blocked.status is IngestStatus.BLOCKED and blocked.http_status == 422 and blocked.tag_id
    assert "is closed" in blocked.message
    exception = api.get_exception(world.ledger, blocked.exception_id or "", actor=world.sales)
    assert exception.kind is ExceptionKind.LPO_CLOSED and exception.tag_id == blocked.tag_id
    assert committed(world, ROOMY) == Decimal("1180.50"), "a blocked tag commits nothing"
    set_lpo(world, ROOMY, status="ACTIVE")
    assert world.ingest().tag_id == blocked.tag_id


@pytest.mark.clock
def test_a_delivery_date_before_today_is_refused(world: World) -> None:
    today = business_day(world.ledger.settings.zone)
    with pytest.raises(ValidationError, match="has passed") as caught:
        world.ingest(delivery=today - timedelta(days=1))
    assert caught.value.field == "requested_delivery_date"
    assert count(world, tag_sheet) == 0 and count(world, exception_log) == 0
    assert world.ingest(delivery=today).status is IngestStatus.UPLOADED, "today is allowed"


def test_replace_refuses_a_sheet_held_already_and_may_go_back_to_an_old_version(world: World) -> None:
    first = world.ingest(XLSX)
    other = world.ingest(content=xlsx_bytes(cut_export_lines(5, seed=5)), name="other.xlsx", area="1")
    tag_id = first.tag_id or ""
    with pytest.raises(Conflict, match="the same lines as version 1 of"):
        replace(world, tag_id, sample_bytes(CSV), CSV)
    with pytest.raises(Conflict, match=f"the same (file|lines) as {other.tag_id}"):
        replace(world, tag_id, xlsx_bytes(cut_export_lines(5, seed=5)), "copy.xlsx")
    assert replace(world, tag_id, xlsx_bytes(cut_export_lines(3, seed=8)), "v2.xlsx").version == 2
    back = replace(world, tag_id, sample_bytes(XLSX), XLSX)  # an explicit replace may restore version 1
    assert (back.version, back.line_count) == (3, 16)


def test_replace_and_upload_share_one_idempotency_log(world: World) -> None:
    first = world.ingest()
    request = build(
        ReplaceRequest,
        client_request_id=first.client_request_id,
        tag_id=first.tag_id,
        reason="a reused request id",
        content=xlsx_bytes(cut_export_lines(3, seed=3)),
        original_file_name="v2.xlsx",
    )
    with pytest.raises(Conflict, match="already used for a different request"):
        api.replace_tag(world.ledger, request, actor=world.sales)


@pytest.mark.postgres
def test_xlsx_and_csv_racing_on_postgres_make_one_tag(pg_url: str, tmp_path: Path) -> None:
    ledger = api.open_ledger(make_settings(tmp_path, pg_url))
    try:
        world = seed_world(ledger)
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda sheet: world.ingest(sheet), [XLSX, CSV, XLSX, CSV]))
        statuses = sorted(r.status for r in results)
        assert statuses == [IngestStatus.DUPLICATE] * 3 + [IngestStatus.UPLOADED]
        assert count(world, tag_sheet) == 1
        assert committed(world, ROOMY) == Decimal("1180.50") + Decimal("32.77")
    finally:
        ledger.close()
