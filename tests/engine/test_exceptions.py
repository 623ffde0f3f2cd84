"""The exception queue: desks, actions with notes, stale versions, SLA due times and escalation."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from engine import api
from engine.clock import as_utc, utcnow
from engine.demo.builder import csv_bytes
from engine.errors import Conflict, Forbidden, ValidationError
from engine.ledger.exceptions import KIND_RULES
from engine.materials.kinds import SPECS, Kind
from engine.vocab import Desk, ExceptionAction, ExceptionKind, ExceptionStatus, JobStatus, JobTrigger
from tests.conftest import World, make_settings, seed_world


def blocked(world: World, sheet: str = "TAG-20250615-0009_cutexport_v1.csv") -> str:
    result = world.ingest(sheet, lpo="LPO-2025-0391", area="1")
    assert result.exception_id
    return result.exception_id


@pytest.mark.clock
def test_ids_and_sla_per_kind(duck_world: World) -> None:
    first, second = blocked(duck_world), blocked(duck_world, "TAG-20250615-0010_cutexport_v1.csv")
    year = utcnow().year
    assert first == f"EX-{year}-000001" and second == f"EX-{year}-000002"
    item = api.get_exception(duck_world.ledger, first, actor=duck_world.sales)
    assert item.desk is Desk.SALES and item.status is ExceptionStatus.OPEN and item.version == 1
    expected = timedelta(hours=KIND_RULES[ExceptionKind.LPO_ON_HOLD].sla_hours)
    assert abs(as_utc(item.sla_due) - as_utc(item.created_at) - expected) < timedelta(seconds=1)


def test_sla_hours_can_be_set_per_kind(tmp_path: Path) -> None:
    ledger = api.open_ledger(make_settings(tmp_path, sla_hours={"LPO_ON_HOLD": 0.5}))
    try:
        world = seed_world(ledger)
        item = api.get_exception(ledger, blocked(world), actor=world.sales)
        assert abs(as_utc(item.sla_due) - as_utc(item.created_at) - timedelta(minutes=30)) < timedelta(
            seconds=1
        )
    finally:
        ledger.close()


def test_lifecycle_with_audit(duck_world: World) -> None:
    ex_id = blocked(duck_world)
    ack = api.act_on_exception(duck_world.ledger, ex_id, ExceptionAction.ACKNOWLEDGE, actor=duck_world.sales)
    assert ack.status is ExceptionStatus.ACKNOWLEDGED and ack.assigned_to == duck_world.sales.email
    assigned = api.act_on_exception(
        duck_world.ledger,
        ex_id,
        ExceptionAction.ASSIGN,
        actor=duck_world.manager,
        assignee="Manager@Test.local",
    )
    assert assigned.assigned_to == "manager@test.local" and assigned.version == 3
    with pytest.raises(ValidationError, match="Say why"):
        api.act_on_exception(duck_world.ledger, ex_id, ExceptionAction.RESOLVE, actor=duck_world.sales)
    done = api.act_on_exception(
        duck_world.ledger,
        ex_id,
        ExceptionAction.RESOLVE,
        actor=duck_world.sales,
        notes="LPO released by the customer",
    )
    assert done.status is ExceptionStatus.RESOLVED and done.resolver_notes == "LPO released by the customer"
    with pytest.raises(Conflict, match="is RESOLVED"):
        api.act_on_exception(
            duck_world.ledger, ex_id, ExceptionAction.DISMISS, actor=duck_world.sales, notes="x"
        )
    actions = [
        a.action for a in api.search_audit(duck_world.ledger, actor=duck_world.admin, entity_id=ex_id).items
    ][::-1]
    assert actions == ["EXCEPTION_RAISED", "EXCEPTION_ACKNOWLEDGE", "EXCEPTION_ASSIGN", "EXCEPTION_RESOLVE"]


def test_stale_version_is_refused(duck_world: World) -> None:
    ex_id = blocked(duck_world)
    seen = api.get_exception(duck_world.ledger, ex_id, actor=duck_world.sales).version
    api.act_on_exception(
        duck_world.ledger, ex_id, ExceptionAction.ACKNOWLEDGE, actor=duck_world.manager, expected_version=seen
    )
    with pytest.raises(Conflict, match="changed since you opened it"):
        api.act_on_exception(
            duck_world.ledger,
            ex_id,
            ExceptionAction.DISMISS,
            actor=duck_world.sales,
            notes="duplicate",
            expected_version=seen,
        )


def test_other_desks_may_not_act(duck_world: World) -> None:
    ex_id = blocked(duck_world)
    with pytest.raises(Forbidden, match="belongs to the sales desk"):
        api.act_on_exception(duck_world.ledger, ex_id, ExceptionAction.ACKNOWLEDGE, actor=duck_world.stores)
    with pytest.raises(Forbidden, match="does not work the sales desk"):
        api.list_exceptions(duck_world.ledger, actor=duck_world.stores, desk=Desk.SALES)
    assert api.list_exceptions(duck_world.ledger, actor=duck_world.stores).items == []
    assert [e.exception_id for e in api.list_exceptions(duck_world.ledger, actor=duck_world.sales).items] == [
        ex_id
    ]


@pytest.mark.clock
def test_escalation_job_marks_overdue_once_and_notifies_the_desk(duck_world: World) -> None:
    ex_id = blocked(duck_world)
    later = utcnow() + timedelta(days=2)
    run = api.run_job(duck_world.ledger, "sla_escalation", actor=duck_world.admin, now=later)
    assert run.status is JobStatus.SUCCEEDED and run.triggered_by is JobTrigger.MANUAL
    assert run.counts == {"escalated": 1, "desks_notified": 1}
    assert api.get_exception(duck_world.ledger, ex_id, actor=duck_world.sales).escalated_at is not None
    again = api.run_job(duck_world.ledger, "sla_escalation", actor=duck_world.admin, now=later)
    assert again.counts == {"escalated": 0, "desks_notified": 0}
    inbox = api.list_inbox(duck_world.ledger, actor=duck_world.sales, unread_only=True)
    assert any("passed their SLA" in m.title and ex_id in m.body for m in inbox)
    assert api.list_inbox(duck_world.ledger, actor=duck_world.stores) == []
    assert (
        api.list_exceptions(duck_world.ledger, actor=duck_world.sales, overdue_only=True).items == []
    )  # not yet due now
    read = api.mark_inbox_read(duck_world.ledger, [m.message_id for m in inbox], actor=duck_world.sales)
    assert (
        read == len(inbox)
        and api.list_inbox(duck_world.ledger, actor=duck_world.sales, unread_only=True) == []
    )
    runs = api.list_job_runs(duck_world.ledger, actor=duck_world.admin).items
    assert [r.status for r in runs] == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
    escalations = api.search_audit(duck_world.ledger, actor=duck_world.admin, trace_id=run.trace_id).items
    assert [a.action for a in escalations] == ["EXCEPTION_ESCALATED"]


def test_manual_job_runs_need_an_admin(duck_world: World) -> None:
    with pytest.raises(Forbidden):
        api.run_job(duck_world.ledger, "sla_escalation", actor=duck_world.sales)


def test_assign_only_to_an_active_user_of_the_desk(world: World) -> None:
    ex_id = blocked(world)  # a sales-desk exception
    act = partial(api.act_on_exception, world.ledger, ex_id, ExceptionAction.ASSIGN, actor=world.sales)
    with pytest.raises(ValidationError, match=r"nobody@test\.local is no user"):
        act(assignee="nobody@test.local")
    with pytest.raises(ValidationError, match=r"stores@test\.local does not work the sales desk \(stores\)"):
        act(assignee="stores@test.local")
    api.set_user_active(world.ledger, email=world.manager.email, active=False, actor=world.admin)
    with pytest.raises(ValidationError, match=r"manager@test\.local is deactivated"):
        act(assignee=world.manager.email)
    item = api.get_exception(world.ledger, ex_id, actor=world.sales)
    assert item.assigned_to is None and item.version == 1, "a refused assignment changes nothing"
    assert act(assignee=" Admin@Test.local ").assigned_to == "admin@test.local"


def unmapped_sheet(description: str, unit: str = "pcs") -> bytes:
    return csv_bytes([{"nesting_description": description, "qty": "3", "unit": unit}])


def test_a_mapping_review_is_resolved_through_the_review_not_the_queue(stores_world: World) -> None:
    world = stores_world
    upload = world.ingest(content=unmapped_sheet("Mystery gasket 7mm"), name="m.csv", area="1")
    review = api.list_exceptions(world.ledger, actor=world.stores, kind=ExceptionKind.MAPPING_REVIEW).items
    assert [r.tag_id for r in review] == [upload.tag_id]
    ex_id = review[0].exception_id
    for action in (ExceptionAction.RESOLVE, ExceptionAction.DISMISS):
        with pytest.raises(
            Conflict, match=r"1 tag line\(s\) still wait on it\. Resolve it on the Mapping review"
        ):
            api.act_on_exception(world.ledger, ex_id, action, actor=world.stores, notes="done")
    acknowledged = api.act_on_exception(world.ledger, ex_id, ExceptionAction.ACKNOWLEDGE, actor=world.stores)
    assert acknowledged.status is ExceptionStatus.ACKNOWLEDGED, "acknowledging strands nothing"
    done = api.resolve_review(
        world.ledger,
        ex_id,
        canonical_code="ACC-CORNER-PVC",
        sap_code=None,
        scope="global",
        scope_value=None,
        actor=world.stores,
    )
    assert done.lines_mapped == 1
    assert api.get_exception(world.ledger, ex_id, actor=world.stores).status is ExceptionStatus.RESOLVED


def test_a_unit_conversion_closes_itself_once_its_lines_convert(stores_world: World) -> None:
    world = stores_world
    world.ingest(
        content=unmapped_sheet("Phenolic panel 20mm 80/80 micron", unit="kg"), name="k.csv", area="1"
    )
    pending = api.list_exceptions(world.ledger, actor=world.stores, kind=ExceptionKind.UNIT_CONVERSION).items
    assert len(pending) == 1
    ex_id = pending[0].exception_id
    with pytest.raises(Conflict, match=r"still wait on it\. Add the missing unit rule"):
        api.act_on_exception(world.ledger, ex_id, ExceptionAction.DISMISS, actor=world.stores, notes="x")
    rule = csv_bytes(
        [{"canonical_code": "PNL-PHE-20-8080", "uom": "kg", "units_per_canonical_unit": "12.5"}],
        columns=SPECS[Kind.UNITS].columns,
    )
    imported = api.import_materials(world.ledger, Kind.UNITS, rule, "units.csv", actor=world.stores)
    assert imported.exceptions_resolved == [ex_id]
    assert api.get_exception(world.ledger, ex_id, actor=world.stores).status is ExceptionStatus.RESOLVED
