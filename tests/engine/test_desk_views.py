"""The desks' morning views, the inbox per owning desk, and a user's roles and state saved at once."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from engine import api
from engine.clock import as_utc, utcnow
from engine.demo.builder import DATA_DIR
from engine.desks.stores import next_cutoff_at
from engine.errors import ValidationError
from engine.ids import new_ulid
from engine.ledger.inbox import notify_desk
from engine.materials.kinds import Kind
from engine.store.schema import job_run
from engine.vocab import Desk, ExceptionKind, JobStatus
from tests.conftest import PINNED_AT, STORES_FILES, TODAY, ZONE, World, make_settings, snapshot_csv


def test_a_desks_notifications_reach_the_role_that_owns_it_only(duck_world: World) -> None:
    blocked = duck_world.ingest("TAG-20250615-0009_cutexport_v1.csv", lpo="LPO-2025-0391", area="1")
    ledger = duck_world.ledger

    def inbox(actor: api.Actor) -> list[str | None]:
        return [m.exception_id for m in api.list_inbox(ledger, actor=actor)]

    assert inbox(duck_world.sales) == [blocked.exception_id]
    # Managers and admins may work the sales queue, but a sales mistake is not news for their inbox.
    assert inbox(duck_world.manager) == inbox(duck_world.admin) == inbox(duck_world.stores) == []
    ledger.db.write(
        lambda conn: notify_desk(
            conn, Desk.LOGISTICS, "Variance", "A bill differs.", trace_id=new_ulid().lower()
        )
    )
    assert [m.desk for m in api.list_inbox(ledger, actor=duck_world.manager)] == [Desk.LOGISTICS]
    message = api.list_inbox(ledger, actor=duck_world.sales)[0].message_id
    assert api.mark_inbox_read(ledger, [message], actor=duck_world.admin) == 0
    assert api.mark_inbox_read(ledger, [message], actor=duck_world.sales) == 1


def test_a_users_roles_and_active_flag_are_saved_together_or_not_at_all(duck_world: World) -> None:
    ledger, admin = duck_world.ledger, duck_world.admin
    saved = api.update_user(
        ledger, email="stores@test.local", roles=["stores", "sales"], active=False, actor=admin
    )
    assert (sorted(saved.roles), saved.active) == (["sales", "stores"], False)
    trail = api.search_audit(ledger, actor=admin, entity_id="stores@test.local").items
    assert {a.action for a in trail} >= {"USER_ROLES_SET", "USER_DEACTIVATED"}
    assert len({a.trace_id for a in trail if a.action in {"USER_ROLES_SET", "USER_DEACTIVATED"}}) == 1
    # Nothing changed: nothing written.
    api.update_user(ledger, email="stores@test.local", roles=["sales", "stores"], active=False, actor=admin)
    assert len(api.search_audit(ledger, actor=admin, entity_id="stores@test.local").items) == len(trail)
    # The admin's own account: the role change would pass, the deactivation is refused, so neither lands.
    with pytest.raises(ValidationError, match="cannot deactivate yourself"):
        api.update_user(ledger, email="admin@test.local", roles=["admin", "sales"], active=False, actor=admin)
    mine = next(u for u in api.list_users(ledger, actor=admin) if u.email == "admin@test.local")
    assert (mine.roles, mine.active) == (["admin"], True)


def test_the_sales_morning(world: World) -> None:
    ledger = world.ledger
    before = api.sales_morning(ledger, actor=world.sales)
    assert before.day == TODAY and before.uploads_today == [] and before.blocked == []
    # LPO-2025-0377 is 93.5 % delivered already; LPO-2025-0412 is 78.7 %.
    assert [lpo.lpo_id for lpo in before.near_limit] == ["LPO-2025-0377"]
    assert before.near_limit_share == api.LPO_NEAR_LIMIT_SHARE == Decimal("0.90")
    uploaded = world.ingest(area="170")  # LPO-2025-0412 to 1,350.50 of 1,500: 90.03 %
    held = world.ingest("TAG-20250615-0009_cutexport_v1.csv", lpo="LPO-2025-0391", area="1")
    world.ingest("TAG-20250615-0010_cutexport_v1.csv", actor=world.manager, area="1")
    morning = api.sales_morning(ledger, actor=world.sales)
    assert [t.tag_id for t in morning.uploads_today] == [held.tag_id, uploaded.tag_id]  # mine, newest first
    assert [(t.tag_id, t.kind, t.exception_id) for t in morning.blocked] == [
        (held.tag_id, ExceptionKind.LPO_ON_HOLD, held.exception_id)
    ]
    assert "on hold" in morning.blocked[0].reason and morning.blocked[0].exception_open
    assert [lpo.lpo_id for lpo in morning.near_limit] == ["LPO-2025-0377", "LPO-2025-0412"]
    assert morning.near_limit[1].remaining_m2 == Decimal("148.50")


def test_the_stores_morning(world: World) -> None:
    duck_stores, ledger = world, world.ledger
    for kind, name in STORES_FILES:  # the master data, and no stock snapshot yet
        api.import_materials(ledger, Kind(kind), (DATA_DIR / name).read_bytes(), name, actor=world.stores)
    morning = api.stores_morning(ledger, actor=duck_stores.stores)
    # The pinned Monday 10:00 in Dubai: the cut-off is today's 16:00, for Tuesday's deliveries.
    cutoff = PINNED_AT.replace(hour=16, minute=0)
    assert morning.cutoff.at == cutoff and morning.cutoff.run_date == TODAY + timedelta(days=1)
    assert 0 < morning.cutoff.minutes_left <= 6 * 60
    assert (morning.cutoff.tags, morning.cutoff.lines) == (0, 0)
    assert morning.review.descriptions == 0 and morning.review.oldest_description is None
    assert morning.snapshot_age_days is None and morning.stock.stale
    assert morning.shortages.total == 0
    tag = duck_stores.ingest(delivery=morning.cutoff.run_date)
    api.import_stock(ledger, snapshot_csv(TODAY - timedelta(days=1)), "sap.csv", actor=duck_stores.stores)
    after = api.stores_morning(ledger, actor=duck_stores.stores)
    # Sunday's snapshot: a day old, too old for Tuesday's deliveries (they take Monday's).
    assert after.snapshot_age_days == 1 and after.stock.stale
    assert after.cutoff.tags == 1 and after.cutoff.lines == len(
        api.show_tag(ledger, tag.tag_id, actor=duck_stores.stores).lines
    )
    queue = api.review_queue(ledger, actor=duck_stores.stores)
    assert after.review.descriptions == len(queue) and after.review.lines == sum(i.lines for i in queue)
    assert after.cutoff.waiting_lines >= after.review.lines
    if queue:
        assert after.review.oldest_since == min(i.waiting_since for i in queue)
        assert after.review.oldest_exception_id in {i.exception_id for i in queue}


def test_the_next_cutoff_rolls_over_after_todays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, allocation_cutoff="16:00")
    evening = PINNED_AT.replace(hour=16, minute=0)
    assert next_cutoff_at(settings, evening) == evening + timedelta(days=1)
    assert next_cutoff_at(settings, evening - timedelta(minutes=1)) == evening
    assert next_cutoff_at(settings, as_utc(evening)).tzinfo == ZONE


def test_the_admin_morning(world: World) -> None:
    ledger = world.ledger
    morning = api.admin_morning(ledger, actor=world.admin)
    # The Operations page's own health report (its clock check flags this suite's pinned clock).
    assert [c.name for c in morning.health.checks] == [
        c.name for c in api.health(ledger, actor=world.admin).checks
    ]
    assert morning.failed_total == 0 and morning.demo_accounts == [] and not morning.demo_data
    assert {job.name for job in morning.jobs} == set(api.job_catalogue()) and all(j.ok for j in morning.jobs)
    now = utcnow()
    for age in (timedelta(hours=1), timedelta(days=8)):  # the second is older than the window
        failed = job_run.insert().values(
            run_id=new_ulid(),
            job_name="allocation_t1",
            triggered_by="scheduled",
            status=str(JobStatus.FAILED),
            created_at=now - age,
            counts=json.dumps({}),
            error="snapshot missing",
            host="test",
            trace_id=new_ulid().lower(),
        )
        ledger.db.write(lambda conn, failed=failed: conn.execute(failed))
    morning = api.admin_morning(ledger, actor=world.admin)
    assert morning.failed_total == 1 and morning.failed_runs[0].error == "snapshot missing"
    assert not next(j for j in morning.jobs if j.name == "allocation_t1").ok
