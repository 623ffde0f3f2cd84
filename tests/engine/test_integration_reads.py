"""The integration API's reads: a line's mapping history (the seed's ``GET /api/map/history``) and a
tag's allocation status (the seed's ``GET /api/allocation/status``)."""

from __future__ import annotations

import pytest

from engine import api
from engine.demo.builder import csv_bytes
from engine.errors import NotFound, ValidationError
from engine.vocab import AllocationStatus, MappingDecision, TagStatus
from tests.conftest import DELIVERY, World

TAPE = "aluminum tape"  # not in the sample master data: its lines wait for a mapping review


def line_of(world: World, tag_id: str, description_norm: str) -> str:
    detail = api.show_tag(world.ledger, tag_id, actor=world.sales)
    return next(line.ingest_line_id for line in detail.lines if line.description_norm == description_norm)


# ---------------------------------------------------------------- mapping history


def test_a_lines_history_is_its_decisions_oldest_first(stores_world: World) -> None:
    uploaded = stores_world.ingest()
    assert uploaded.tag_id
    line_id = line_of(stores_world, uploaded.tag_id, TAPE)
    first = api.mapping_history(stores_world.ledger, line_id, actor=stores_world.sales)
    assert [(e.decision, e.ingest_line_id, e.tag_id) for e in first] == [
        (MappingDecision.REVIEW, line_id, uploaded.tag_id)
    ]
    assert first[0].exception_id and first[0].canonical_code is None
    api.resolve_review(
        stores_world.ledger,
        first[0].exception_id,
        canonical_code="TAPE-AL-75",
        sap_code=None,
        scope="global",
        scope_value=None,
        actor=stores_world.stores,
    )
    history = api.mapping_history(stores_world.ledger, f" {line_id} ", actor=stores_world.finance)
    assert [(e.decision, e.canonical_code) for e in history] == [
        (MappingDecision.REVIEW, None),
        (MappingDecision.MANUAL, "TAPE-AL-75"),
    ]
    assert history[0] == first[0], "the first decision stays as it was recorded"
    assert history[0].created_at <= history[1].created_at
    assert history[1].user_id == stores_world.stores.email


def test_a_line_mapped_at_ingestion_has_one_entry_and_other_lines_are_not_mixed_in(
    stores_world: World,
) -> None:
    uploaded = stores_world.ingest()
    assert uploaded.tag_id
    line_id = line_of(stores_world, uploaded.tag_id, "silicone")
    history = api.mapping_history(stores_world.ledger, line_id, actor=stores_world.sales)
    assert len(history) == 1 and history[0].decision is MappingDecision.AUTO
    assert history[0].ingest_line_id == line_id and history[0].trace_id == uploaded.trace_id


def test_a_line_never_looked_up_has_no_history(stores_world: World) -> None:
    assert api.mapping_history(stores_world.ledger, "LINE-9999999999", actor=stores_world.sales) == []


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_line_id_is_refused(duck_stores: World, blank: str) -> None:
    with pytest.raises(ValidationError, match="Give the line id") as refused:
        api.mapping_history(duck_stores.ledger, blank, actor=duck_stores.sales)
    assert refused.value.field == "ingest_line_id"


# ---------------------------------------------------------------- allocation status


@pytest.mark.clock
def test_a_tag_never_allocated_has_no_run_and_no_lines(stores_world: World) -> None:
    uploaded = stores_world.ingest()
    assert uploaded.tag_id
    status = api.allocation_status(stores_world.ledger, uploaded.tag_id, actor=stores_world.sales)
    assert (status.tag_id, status.tag_status, status.run_date, status.lines) == (
        uploaded.tag_id,
        TagStatus.UPLOADED,
        None,
        [],
    )


@pytest.mark.clock
def test_after_an_allocation_the_status_has_its_lines_for_that_tag_only(stores_world: World) -> None:
    uploaded = stores_world.ingest()
    other = stores_world.ingest(
        content=csv_bytes([{"nesting_description": "Silicone", "qty": "560", "unit": "ml"}]),
        name="other.csv",
        area="1",
    )
    assert uploaded.tag_id and other.tag_id
    result = api.allocate(stores_world.ledger, run_date=DELIVERY, actor=stores_world.stores)
    status = api.allocation_status(stores_world.ledger, uploaded.tag_id.lower(), actor=stores_world.manager)
    assert status.tag_id == uploaded.tag_id and status.run_date == DELIVERY
    assert status.lines == api.current_allocation(
        stores_world.ledger, DELIVERY, tag_id=uploaded.tag_id, actor=stores_world.stores
    )
    assert {row.tag_id for row in status.lines} == {uploaded.tag_id}
    assert {row.run_id for row in status.lines} == {result.run_id}
    described = {row.nesting_description for row in status.lines}
    assert len(described) == 16 and "Silicone" in described
    panel = [r for r in status.lines if r.nesting_description == "Phenolic panel 20mm 80/80 micron"]
    assert [(r.sap_code, r.sap_qty, r.status) for r in panel] == [
        ("40001021", 5, AllocationStatus.ALLOCATED),
        ("40001022", 2, AllocationStatus.ALLOCATED),
    ]
    other_status = api.allocation_status(stores_world.ledger, other.tag_id, actor=stores_world.sales)
    assert [row.nesting_description for row in other_status.lines] == ["Silicone"]


def test_an_unknown_tag_is_not_found(duck_world: World) -> None:
    with pytest.raises(NotFound):
        api.allocation_status(duck_world.ledger, "TAG-20990101-0001", actor=duck_world.sales)
