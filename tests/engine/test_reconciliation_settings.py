"""Reconciliation settings editable by admins, audited (issue 9 §3), on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import Actor, Role
from engine.errors import Forbidden, ValidationError
from engine.store.schema import reconciliation_run, user_action_history

ADMIN = Actor(email="admin@test.local", roles=frozenset({Role.ADMIN}))
MANAGER = Actor(email="manager@test.local", roles=frozenset({Role.MANAGER}))
FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}))
D = Decimal


def bands(*spec: tuple[str | None, str | None, str | None]) -> list[api.CostBand]:
    return [
        api.CostBand(
            below=None if b is None else D(b),
            absolute=None if a is None else D(a),
            relative=None if r is None else D(r),
        )
        for b, a, r in spec
    ]


def test_the_defaults_are_the_environments_and_domains(ledger: api.Ledger) -> None:
    current = api.reconciliation_settings(ledger, actor=FINANCE)
    assert (current.weight_tolerance_lb, current.grace_days, current.dim_divisor) == (D("1.0"), 21, 139)
    assert current.version == 0 and current.carrier_divisors == {}
    assert [(b.below, b.absolute, b.relative) for b in current.cost_bands] == [
        (D("25"), D("1.00"), None),
        (D("250"), None, D("0.04")),
        (None, None, D("0.03")),
    ]


def test_an_admin_changes_them_in_one_audited_step_and_the_run_uses_and_records_them(
    ledger: api.Ledger,
) -> None:
    changed = api.update_reconciliation_settings(
        ledger,
        grace_days=30,
        carrier_divisors={"UPS": 194},
        cost_bands=bands(("100", "5.00", None), (None, None, "0.02")),
        actor=ADMIN,
    )
    assert (changed.grace_days, changed.dim_divisor, changed.version) == (30, 139, 1)
    again = api.update_reconciliation_settings(ledger, weight_tolerance_lb="0.5", actor=ADMIN)
    assert (again.weight_tolerance_lb, again.grace_days, again.carrier_divisors) == (
        D("0.5"),
        30,
        {"ups": 194},
    )
    stored = api.reconciliation_settings(ledger, actor=MANAGER)
    assert stored.version == 2 and stored.updated_by == ADMIN.email
    assert len(stored.cost_bands) == 2 and stored.cost_bands[0].absolute == D("5.00")
    with ledger.db.read() as conn:
        audits = conn.execute(
            sa.select(user_action_history)
            .where(user_action_history.c.action == "RECON_SETTINGS_CHANGED")
            .order_by(user_action_history.c.created_at)
        ).all()
    assert [a.actor for a in audits] == [ADMIN.email, ADMIN.email]
    first_before, first_after = json.loads(audits[0].before_summary), json.loads(audits[0].after_summary)
    assert (first_before["recon_grace_days"], first_after["recon_grace_days"]) == (21, 30)
    assert first_after["carrier_divisors"] == {"ups": 194}
    assert json.loads(audits[1].after_summary)["recon_weight_tolerance_lb"] == "0.5"
    run = api.run_reconciliation(ledger, as_of=date(2026, 12, 31), actor=MANAGER)
    assert run.settings["recon_grace_days"] == 30
    with ledger.db.read() as conn:
        recorded = json.loads(conn.execute(sa.select(reconciliation_run.c.settings)).scalar_one())
    assert recorded["cost_bands"] == [["100", "5.00", None], [None, None, "0.02"]]
    assert recorded["carrier_divisors"] == {"ups": 194}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"weight_tolerance_lb": "-1"}, "cannot be negative"),
        ({"weight_tolerance_lb": "abc"}, "must be a number"),
        ({"weight_tolerance_lb": "0.125"}, "0.01 lb"),
        ({"grace_days": -1}, "Grace days must be 0 or more"),
        ({"dim_divisor": 0}, "DIM divisor must be at least 1"),
        ({"carrier_divisors": {"dhl": 139}}, "not a carrier"),
        ({"carrier_divisors": {"fedex": -5}}, "at least 1"),
        ({"cost_bands": []}, "at least one cost band"),
        ({"cost_bands": bands(("250", None, "0.04"), ("25", "1.00", None), (None, None, "0.03"))}, "ascend"),
        ({"cost_bands": bands(("25", "1.00", None), ("250", None, "0.04"))}, "last"),
        ({"cost_bands": bands((None, "1.00", None), (None, None, "0.03"))}, "needs an upper bound"),
        ({"cost_bands": bands(("25", "1.00", "0.04"), (None, None, "0.03"))}, "one tolerance"),
        ({"cost_bands": bands(("25", "-1.00", None), (None, None, "0.03"))}, "cannot be negative"),
        ({"cost_bands": bands(("25", "1.00", None), (None, None, "3"))}, "over 100 %"),
        ({"cost_bands": bands(("25", "1.005", None), (None, None, "0.03"))}, "2 decimal places"),
        ({"cost_bands": bands(("25", "1.00", None), (None, None, "0.0333333"))}, "6 decimal places"),
    ],
)
def test_bad_settings_are_refused_with_what_to_fix_and_nothing_changes(
    duck_ledger: api.Ledger, change: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        api.update_reconciliation_settings(duck_ledger, actor=ADMIN, **change)
    assert api.reconciliation_settings(duck_ledger, actor=ADMIN).version == 0


def test_only_admins_change_them(duck_ledger: api.Ledger) -> None:
    with pytest.raises(Forbidden):
        api.update_reconciliation_settings(duck_ledger, grace_days=5, actor=MANAGER)
    assert api.reconciliation_settings(duck_ledger, actor=MANAGER).grace_days == 21


def test_a_save_over_a_version_another_admin_replaced_is_refused(ledger: api.Ledger) -> None:
    from engine.errors import Conflict

    first = api.update_reconciliation_settings(ledger, grace_days=14, expected_version=0, actor=ADMIN)
    assert first.version == 1
    with pytest.raises(Conflict, match=r"changed since you opened them \(version 0; now 1"):
        api.update_reconciliation_settings(ledger, grace_days=30, expected_version=0, actor=ADMIN)
    second = api.update_reconciliation_settings(ledger, grace_days=30, expected_version=1, actor=ADMIN)
    assert (second.version, second.grace_days) == (2, 30)
    assert api.reconciliation_settings(ledger, actor=ADMIN).grace_days == 30
