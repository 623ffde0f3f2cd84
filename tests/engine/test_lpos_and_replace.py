"""LPO import (all or nothing) and replacing a tag's sheet with a corrected one."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine import api
from engine.demo.builder import csv_bytes, cut_export_lines, lpo_csv_bytes, xlsx_bytes
from engine.errors import Conflict, ValidationError
from engine.models import build
from engine.store.schema import lpo_master, tag_line
from engine.tags.models import ReplaceRequest
from tests.conftest import World


def test_lpo_import_reports_every_bad_row_and_changes_nothing(duck_world: World) -> None:
    bad = lpo_csv_bytes(
        [
            {"lpo_id": "LPO-NEW-1", "customer": "A", "po_quantity_m2": "100", "status": "ACTIVE"},
            {"lpo_id": "LPO-NEW-2", "customer": "B", "po_quantity_m2": "-1", "status": "ACTIVE"},
            {"lpo_id": "LPO-NEW-3", "customer": "C", "po_quantity_m2": "5", "status": "PAUSED"},
            {"lpo_id": "LPO-NEW-1", "customer": "A", "po_quantity_m2": "100", "status": "ACTIVE"},
        ]
    )
    with pytest.raises(ValidationError) as caught:
        api.import_lpos(duck_world.ledger, bad, actor=duck_world.admin)
    message = caught.value.message
    assert "3 bad row(s), nothing imported" in message
    assert (
        "row 3: po_quantity_m2" in message
        and "row 4: status" in message
        and "row 5: LPO-NEW-1 appears twice" in message
    )
    with duck_world.ledger.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(lpo_master)).scalar_one() == 3


def test_lpo_import_updates_with_audit(duck_world: World) -> None:
    change = lpo_csv_bytes(
        [
            {
                "lpo_id": "LPO-2025-0391",
                "customer": "Test Villa Contracting LLC (synthetic)",
                "customer_lpo_ref": "CUST-PO-7102",
                "project_id": "Villa compound, Al Zahia, Sharjah",
                "plant_id": "AE01",
                "po_quantity_m2": "900.00",
                "delivered_quantity_m2": "120.00",
                "status": "ACTIVE",
                "currency": "AED",
            }
        ]
    )
    summary = api.import_lpos(duck_world.ledger, change, actor=duck_world.admin)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    trail = api.search_audit(duck_world.ledger, actor=duck_world.admin, entity_id="LPO-2025-0391").items
    assert trail[0].action == "LPO_UPDATED" and '"status": "ON_HOLD"' in (trail[0].before_summary or ""), (
        "newest first"
    )
    released = duck_world.ingest("TAG-20250615-0009_cutexport_v1.csv", lpo="LPO-2025-0391", area="12.10")
    assert released.status == "UPLOADED"
    again = api.import_lpos(duck_world.ledger, change, actor=duck_world.admin)
    assert again.unchanged == 1


def test_replace_keeps_the_old_version(duck_world: World) -> None:
    first = duck_world.ingest()
    tag_id = first.tag_id or ""
    corrected = xlsx_bytes(cut_export_lines(9, seed=21))
    request = build(
        ReplaceRequest,
        tag_id=tag_id,
        reason="nest re-run after a design change",
        content=corrected,
        original_file_name="TAG_v2.xlsx",
    )
    result = api.replace_tag(duck_world.ledger, request, actor=duck_world.sales)
    assert (result.version, result.previous_version, result.line_count) == (2, 1, 9)
    again = api.replace_tag(duck_world.ledger, request, actor=duck_world.sales)
    assert again.model_dump() == result.model_dump() and again.replayed, "idempotent"
    detail = api.show_tag(duck_world.ledger, tag_id, actor=duck_world.sales)
    assert (
        detail.tag.version == 2 and len(detail.lines) == 9 and {ln.tag_version for ln in detail.lines} == {2}
    )
    assert [v.version for v in detail.versions] == [1, 2] and detail.versions[1].reason.startswith(
        "nest re-run"
    )
    with duck_world.ledger.db.read() as conn:
        kept = conn.execute(
            sa.select(sa.func.count())
            .select_from(tag_line)
            .where(tag_line.c.tag_id == tag_id, tag_line.c.superseded.is_(True))
        ).scalar_one()
    assert kept == 16
    old = api.tag_file(duck_world.ledger, tag_id, actor=duck_world.sales, version=1)
    assert old.file_name == "TAG-20250615-0007_cutexport_v1.xlsx" and old.content.startswith(b"PK")
    assert api.tag_file(duck_world.ledger, tag_id, actor=duck_world.sales).content == corrected
    actions = [
        a.action for a in api.search_audit(duck_world.ledger, actor=duck_world.admin, entity_id=tag_id).items
    ]
    assert actions == ["TAG_REPLACED", "TAG_UPLOAD"], "newest first"
    assert api.list_lpos(duck_world.ledger, actor=duck_world.sales)[2].committed_m2 == Decimal("1213.27")


def test_replace_refusals(duck_world: World) -> None:
    first = duck_world.ingest()
    same = build(
        ReplaceRequest,
        tag_id=first.tag_id,
        reason="again",
        original_file_name="a.xlsx",
        content=duck_world.request().content,
    )
    with pytest.raises(Conflict, match="same file as version 1"):
        api.replace_tag(duck_world.ledger, same, actor=duck_world.sales)
    broken = build(
        ReplaceRequest,
        tag_id=first.tag_id,
        reason="fix",
        original_file_name="b.csv",
        content=csv_bytes([{"nesting_description": "x", "qty": "none", "unit": "m"}]),
    )
    with pytest.raises(ValidationError, match="cannot replace"):
        api.replace_tag(duck_world.ledger, broken, actor=duck_world.sales)
    blocked = duck_world.ingest("TAG-20250615-0009_cutexport_v1.csv", lpo="LPO-2025-0391", area="1")
    other = build(
        ReplaceRequest,
        tag_id=blocked.tag_id,
        reason="fix",
        original_file_name="c.xlsx",
        content=xlsx_bytes(cut_export_lines(2, seed=2)),
    )
    with pytest.raises(Conflict, match="only an UPLOADED tag"):
        api.replace_tag(duck_world.ledger, other, actor=duck_world.sales)


def lpo_row(lpo_id: str, customer: str, ref: str) -> dict[str, object]:
    return {
        "lpo_id": lpo_id,
        "customer_lpo_ref": ref,
        "customer": customer,
        "po_quantity_m2": "100",
        "status": "ACTIVE",
    }


MEP = "Demo MEP Contracting LLC (synthetic)"  # LPO-2025-0412, reference CUST-PO-7100


def test_a_customer_reference_names_one_lpo_of_its_customer(world: World) -> None:
    in_file = lpo_csv_bytes([lpo_row("LPO-NEW-1", "Acme", "PO-1"), lpo_row("LPO-NEW-2", "Acme", "PO-1")])
    with pytest.raises(ValidationError, match="row 3: customer reference PO-1 of Acme is on row 2 too"):
        api.import_lpos(world.ledger, in_file, actor=world.admin)
    stored = lpo_csv_bytes([lpo_row("LPO-NEW-3", MEP, "CUST-PO-7100")])
    with pytest.raises(
        ValidationError, match=r"LPO-NEW-3: customer reference CUST-PO-7100 .* is LPO-2025-0412's"
    ):
        api.import_lpos(world.ledger, stored, actor=world.admin)
    with world.ledger.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(lpo_master)).scalar_one() == 3
    # The stored holder gets another reference in the same file: the old one is free again.
    moved = lpo_csv_bytes(
        [
            lpo_row("LPO-NEW-3", MEP, "CUST-PO-7100") | {"po_quantity_m2": "50"},
            lpo_row("LPO-2025-0412", MEP, "CUST-PO-7100-A")
            | {"po_quantity_m2": "1500.00", "delivered_quantity_m2": "1180.50"},
        ]
    )
    assert api.import_lpos(world.ledger, moved, actor=world.admin).created == 1


def test_a_reference_several_customers_share_is_ambiguous_at_upload(world: World) -> None:
    api.import_lpos(
        world.ledger, lpo_csv_bytes([lpo_row("LPO-OTHER-1", "Other Co", "CUST-PO-7100")]), actor=world.admin
    )
    with pytest.raises(
        ValidationError, match=r"CUST-PO-7100 names 2 LPOs \(LPO-2025-0412, LPO-OTHER-1\)"
    ) as caught:
        world.ingest(lpo=None, customer_lpo_ref="CUST-PO-7100")
    assert caught.value.field == "customer_lpo_ref"
    with world.ledger.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tag_line)).scalar_one() == 0
    assert world.ingest(lpo="LPO-2025-0412").status == "UPLOADED", "the LPO id is never ambiguous"


def test_a_review_only_the_replaced_lines_waited_on_is_settled(duck_world: World) -> None:
    """The store has no material master: every description waits for a review. Replacing the sheet
    with one that drops a description leaves that description's review nothing to wait for."""
    old = [{"nesting_description": d, "qty": "2", "unit": "pcs"} for d in ("gasket kit", "corner cap")]
    first = duck_world.ingest(content=csv_bytes(old), name="v1.csv")
    assert first.tag_id
    reviews = {
        e.payload["description"]: e.exception_id
        for e in api.list_exceptions(
            duck_world.ledger, actor=duck_world.admin, kind=api.ExceptionKind.MAPPING_REVIEW
        ).items
    }
    assert set(reviews) == {"gasket kit", "corner cap"}
    request = build(
        ReplaceRequest,
        tag_id=first.tag_id,
        reason="the corner caps come from the site",
        content=csv_bytes(old[:1]),
        original_file_name="v2.csv",
    )
    api.replace_tag(duck_world.ledger, request, actor=duck_world.sales)
    status = {
        name: api.get_exception(duck_world.ledger, exception_id, actor=duck_world.admin).status
        for name, exception_id in reviews.items()
    }
    assert status == {"gasket kit": "OPEN", "corner cap": "RESOLVED"}
