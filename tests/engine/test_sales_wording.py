"""What the sales desk reads: a repeated request says it is one, a duplicate says when the sheet came,
the upload form's defaults (the LPO to start on, the sheet's own area), and LPO import messages in
the file's own row numbers."""

from __future__ import annotations

from decimal import Decimal

from engine import api
from engine.demo.builder import csv_bytes, cut_export_lines
from tests.conftest import World


def test_the_same_request_again_is_marked_as_replayed_with_the_first_answer_time(duck_world: World) -> None:
    request = duck_world.request()
    first = api.ingest_tag(duck_world.ledger, request, actor=duck_world.sales)
    again = api.ingest_tag(duck_world.ledger, request, actor=duck_world.sales)
    assert first.status is api.IngestStatus.UPLOADED and not first.replayed
    assert first.answered_at is not None
    assert again.replayed and again.tag_id == first.tag_id and again.answered_at == first.answered_at


def test_a_duplicate_says_when_the_sheet_was_uploaded_in_the_business_zone(duck_world: World) -> None:
    first = duck_world.ingest()
    again = duck_world.ingest()
    assert again.status is api.IngestStatus.DUPLICATE and again.existing_uploaded_at is not None
    local = again.existing_uploaded_at.astimezone(duck_world.ledger.settings.zone)
    assert f"already uploaded for LPO-2025-0412 as {first.tag_id} at {local:%H:%M}." in again.message
    assert "409" not in again.message


def test_the_upload_form_starts_on_the_lpo_last_used_else_an_active_one_with_balance(
    duck_world: World,
) -> None:
    ledger = duck_world.ledger
    # 0377 sorts first but is ACTIVE with balance; 0391 is on hold.
    assert api.upload_lpo(ledger, actor=duck_world.sales) == "LPO-2025-0377"
    duck_world.ingest(lpo="LPO-2025-0412", area="1")
    assert api.upload_lpo(ledger, actor=duck_world.sales) == "LPO-2025-0412"
    assert api.upload_lpo(ledger, actor=duck_world.manager) == "LPO-2025-0377"  # not someone else's


def test_preview_reads_the_sheets_net_area_without_storing(duck_world: World) -> None:
    lines = cut_export_lines(6, seed=3)
    content = csv_bytes(lines)
    expected = sum(Decimal(str(line["net_area_m2"])) for line in lines if line["net_area_m2"] != "")
    before = api.list_tags(duck_world.ledger, actor=duck_world.sales).total
    sheet = api.preview_sheet(duck_world.ledger, "nest.csv", content, actor=duck_world.sales)
    assert sheet.lines == 6 and sheet.problem is None
    assert sheet.net_area_m2 == expected
    assert api.list_tags(duck_world.ledger, actor=duck_world.sales).total == before
    no_area = api.preview_sheet(
        duck_world.ledger, "a.csv", b"description,qty,unit\nphenolic 20mm,1,m2\n", actor=duck_world.sales
    )
    assert no_area.lines == 1 and no_area.net_area_m2 is None
    empty = api.preview_sheet(duck_world.ledger, "e.csv", b"", actor=duck_world.sales)
    assert empty.problem and "is empty" in empty.problem
