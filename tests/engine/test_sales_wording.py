"""What the sales desk reads: a repeated request says it is one, a duplicate says when the sheet came,
the upload form's defaults (the LPO to start on, the sheet's own area), and LPO import messages in
the file's own row numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import api
from engine.demo.builder import csv_bytes, cut_export_lines
from engine.errors import ValidationError
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


def lpo_import_message(world: World, content: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        api.import_lpos(world.ledger, content, actor=world.admin)
    return caught.value.message


def test_an_lpo_file_with_other_columns_is_refused_in_one_line(duck_world: World) -> None:
    stock = b"material,qty,unit\n" + b"".join(b"M-%d,%d,kg\n" % (n, n) for n in range(50))
    message = lpo_import_message(duck_world, stock)
    assert message == (
        "This is not an LPO master file: it needs the columns lpo_id, customer, po_quantity_m2, status "
        "(missing lpo_id, customer, po_quantity_m2, status); it has material, qty, unit."
    )


def test_lpo_headers_as_people_write_them_are_read(duck_world: World) -> None:
    content = b"LPO ID,Customer,PO Quantity m2,Status\nLPO-NEW-9,A,10,ACTIVE\n"
    summary = api.import_lpos(duck_world.ledger, content, actor=duck_world.admin)
    assert summary.created == 1


def test_lpo_row_errors_use_the_files_row_numbers_and_words(duck_world: World) -> None:
    content = (
        b"lpo_id,customer,po_quantity_m2,status\n"
        b"LPO-NEW-1,A,10,ACTIVE\n"
        b"\n"  # a blank row: still row 3 in a spreadsheet
        b"LPO-NEW-2,B,ten,ACTIVE\n"
        b"LPO-NEW-3,C,5,PAUSED\n"
    )
    message = lpo_import_message(duck_world, content)
    assert message.startswith("2 bad row(s), nothing imported: ")
    assert "row 4: po_quantity_m2 'ten' is not a number" in message, message
    assert "row 5: status 'PAUSED' must be one of ACTIVE, ON_HOLD, CLOSED" in message, message
    assert "input should" not in message.lower()


def test_the_same_replace_again_is_marked_as_replayed(duck_world: World) -> None:
    tag_id = duck_world.ingest().tag_id
    assert tag_id
    request = api.ReplaceRequest(
        tag_id=tag_id,
        reason="corrected widths",
        original_file_name="fixed.csv",
        content=csv_bytes(cut_export_lines(4, seed=71)),
    )
    first = api.replace_tag(duck_world.ledger, request, actor=duck_world.sales)
    again = api.replace_tag(duck_world.ledger, request, actor=duck_world.sales)
    assert not first.replayed and first.answered_at is not None
    assert again.replayed and again.version == first.version == 2 and again.answered_at == first.answered_at
    assert again.model_dump() == first.model_dump()  # the body is the first answer's
