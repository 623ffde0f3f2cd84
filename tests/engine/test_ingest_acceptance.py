"""Seed 000 §10 acceptance tests (and DOMAIN "Tags" steps), on DuckDB and on PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine import api
from engine.demo.builder import csv_bytes, cut_export_lines, xlsx_bytes
from engine.errors import Conflict
from engine.store.schema import (
    client_request_log,
    exception_log,
    file_store,
    tag_line,
    tag_sheet,
    user_action_history,
)
from engine.vocab import ExceptionKind, IngestStatus, TagStatus
from tests.conftest import World


def count(world: World, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    with world.ledger.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def test_happy_path(world: World) -> None:
    result = world.ingest()
    assert result.status is IngestStatus.UPLOADED and result.http_status == 200
    assert result.tag_id and result.tag_id.startswith("TAG-") and len(result.tag_id) == 17
    assert result.line_count == 16 and result.file_hash and len(result.file_hash) == 64
    assert count(world, tag_sheet, tag_sheet.c.tag_id == result.tag_id, tag_sheet.c.status == "UPLOADED") == 1
    assert count(world, tag_line, tag_line.c.tag_id == result.tag_id) == 16
    assert count(world, file_store, file_store.c.sha256 == result.file_hash) == 1
    uploads = api.search_audit(world.ledger, actor=world.admin, entity_id=result.tag_id).items
    assert [a.action for a in uploads] == ["TAG_UPLOAD"]
    assert uploads[0].actor == world.sales.email and uploads[0].client_request_id == result.client_request_id
    detail = api.show_tag(world.ledger, result.tag_id, actor=world.sales)
    assert detail.tag.required_area_m2 == Decimal("32.77") and len(detail.lines) == 16


def test_repeated_request_id_returns_the_stored_response(world: World) -> None:
    request = world.request()
    first = api.ingest_tag(world.ledger, request, actor=world.sales)
    retries = [api.ingest_tag(world.ledger, request, actor=world.sales) for _ in range(3)]  # seed test 6
    assert all(r.model_dump() == first.model_dump() and r.replayed for r in retries)
    assert count(world, tag_sheet) == 1
    assert count(world, user_action_history, user_action_history.c.action == "TAG_UPLOAD") == 1
    assert count(world, client_request_log) == 1


def test_request_id_reused_for_another_upload_is_refused(world: World) -> None:
    first = world.ingest()
    with pytest.raises(Conflict, match="already used for a different request"):
        world.ingest(area="10", client_request_id=first.client_request_id)


def test_duplicate_file_is_409_with_an_exception(world: World) -> None:
    first = world.ingest()
    again = world.ingest()
    assert again.status is IngestStatus.DUPLICATE and again.http_status == 409
    assert again.existing_tag_id == first.tag_id and again.tag_id is None
    assert again.exception_id
    exception = api.get_exception(world.ledger, again.exception_id, actor=world.admin)
    assert exception.kind is ExceptionKind.DUPLICATE_UPLOAD and exception.trace_id == again.trace_id
    assert count(world, tag_sheet) == 1
    # The same bytes against another LPO are not a duplicate.
    other = world.ingest(lpo="LPO-2025-0377", area="1")
    assert other.status is IngestStatus.UPLOADED


def test_lpo_on_hold_blocks_with_an_exception(world: World) -> None:
    result = world.ingest("TAG-20250615-0009_cutexport_v1.csv", lpo="LPO-2025-0391", area="12.10")
    assert result.status is IngestStatus.BLOCKED and result.http_status == 422
    assert result.exception_id and result.tag_id
    assert "on hold" in result.message
    tag = api.show_tag(world.ledger, result.tag_id, actor=world.sales).tag
    assert tag.status is TagStatus.BLOCKED and tag.exception_id == result.exception_id
    exception = api.get_exception(world.ledger, result.exception_id, actor=world.sales)
    assert exception.kind is ExceptionKind.LPO_ON_HOLD and exception.tag_id == result.tag_id


def test_overcommit_blocks_and_blocked_tags_do_not_count(world: World) -> None:
    # LPO-2025-0377: PO 600.00, delivered 561.20 → 38.80 left.
    over = world.ingest("TAG-20250615-0008_cutexport_v1.csv", lpo="LPO-2025-0377", area="45.60")
    assert over.status is IngestStatus.BLOCKED and over.http_status == 422
    exception = api.get_exception(world.ledger, over.exception_id or "", actor=world.sales)
    assert exception.kind is ExceptionKind.INSUFFICIENT_PO_BALANCE
    assert exception.payload["shortfall"] == "6.8000" and exception.qty_impact == Decimal("6.8")
    assert exception.payload["committed"] == "561.2000"
    exact = world.ingest("TAG-20250615-0010_cutexport_v1.csv", lpo="LPO-2025-0377", area="38.80")
    assert exact.status is IngestStatus.UPLOADED, "landing exactly on the PO quantity passes"
    more = world.ingest(lpo="LPO-2025-0377", area="0.01")
    assert more.status is IngestStatus.BLOCKED
    balances = {b.lpo_id: b for b in api.list_lpos(world.ledger, actor=world.sales)}
    assert balances["LPO-2025-0377"].committed_m2 == Decimal("600.00")
    assert balances["LPO-2025-0377"].remaining_m2 == 0


def test_unknown_lpo_is_blocked_and_nothing_else_stored(world: World) -> None:
    result = world.ingest(lpo="LPO-1999-0001")
    assert result.status is IngestStatus.BLOCKED and result.http_status == 422 and result.tag_id is None
    assert "not in the LPO master" in result.message
    assert (
        api.get_exception(world.ledger, result.exception_id or "", actor=world.sales).kind
        is ExceptionKind.LPO_NOT_FOUND
    )
    assert count(world, tag_sheet) == 0 and count(world, file_store) == 0


def test_customer_reference_finds_the_lpo(world: World) -> None:
    result = world.ingest(lpo=None, customer_lpo_ref="CUST-PO-7100")
    assert result.status is IngestStatus.UPLOADED and result.lpo_id == "LPO-2025-0412"


def test_given_tag_id_is_used_once(world: World) -> None:
    result = world.ingest(tag_id="TAG-20260101-0042")
    assert result.tag_id == "TAG-20260101-0042"
    with pytest.raises(Conflict, match="exists already"):
        world.ingest(content=csv_bytes(cut_export_lines(3)), name="x.csv", tag_id="TAG-20260101-0042")


def test_unusable_sheet_is_a_parse_error_with_the_file_kept(world: World) -> None:
    content = csv_bytes([{"nesting_description": "Rivet", "qty": "many", "unit": "pcs"}])
    result = world.ingest(content=content, name="broken.csv")
    assert result.status is IngestStatus.BLOCKED and result.tag_id is None
    exception = api.get_exception(world.ledger, result.exception_id or "", actor=world.sales)
    assert exception.kind is ExceptionKind.PARSE_ERROR and exception.file_id
    assert "row 2" in exception.payload["errors"][0]
    assert count(world, file_store) == 1 and count(world, tag_sheet) == 0


def test_a_file_naming_several_tags_is_multi_tag_nest(world: World) -> None:
    content = csv_bytes(
        [
            {
                "tag": f"TAG-20250615-000{i}",
                "nesting_description": "Rivet 4.8x35 alu",
                "qty": "5",
                "unit": "pcs",
            }
            for i in (1, 2)
        ],
        columns=("tag", "nesting_description", "qty", "unit"),
    )
    result = world.ingest(content=content, name="two.csv")
    assert result.status is IngestStatus.BLOCKED
    assert (
        api.get_exception(world.ledger, result.exception_id or "", actor=world.sales).kind
        is ExceptionKind.MULTI_TAG_NEST
    )


def test_one_trace_id_across_result_rows_and_log_lines(world: World) -> None:
    result = world.ingest(content=xlsx_bytes(cut_export_lines(25, seed=11)), name="nest.xlsx")
    trace = result.trace_id
    assert trace
    for table in (tag_sheet, tag_line, file_store, client_request_log, user_action_history):
        assert count(world, table, table.c.trace_id == trace) >= 1, table.name
    assert count(world, tag_line, tag_line.c.trace_id == trace) == 25
    blocked = world.ingest("TAG-20250615-0009_cutexport_v1.csv", lpo="LPO-2025-0391", area="1")
    assert count(world, exception_log, exception_log.c.trace_id == blocked.trace_id) == 1
    log_file = world.ledger.settings.data_dir / "logs" / "opsledger.jsonl"
    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    mine = [r["message"] for r in records if r.get("trace_id") == trace]
    assert "tag ingest started" in mine and "tag ingest finished" in mine
    assert {e.trace_id for e in api.search_audit(world.ledger, actor=world.admin, trace_id=trace).items} == {
        trace
    }


def test_roles_are_checked_by_the_engine(world: World) -> None:
    from engine.errors import Forbidden

    for actor in (world.stores, world.finance):
        with pytest.raises(Forbidden, match="may not upload tag sheets"):
            world.ingest(actor=actor)
    assert world.ingest(actor=world.manager).status is IngestStatus.UPLOADED
