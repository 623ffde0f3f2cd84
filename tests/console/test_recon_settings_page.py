"""The reconciliation settings page (admin) under AppTest: the defaults shown, a change saved through
the form, audited, and used by the next run; other roles never see it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import api
from engine.vocab import Role
from tests.console.test_pages import as_role, by_label, texts, unescape

PAGE = "../pages/recon_settings.py"


def test_an_admin_sees_the_defaults_and_saves_a_change(demo: api.Ledger) -> None:
    at = as_role(Role.ADMIN)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Reconciliation settings"]
    assert any("Never saved here" in c.value for c in at.caption), texts(at)
    assert by_label(at.number_input, "Grace days").value == 21
    by_label(at.number_input, "Grace days").set_value(30)
    by_label(at.number_input, "Weight tolerance (lb)").set_value(0.5)
    by_label(at.button, "Save settings").click().run()
    assert not at.exception, at.exception
    assert [unescape(s.value) for s in at.success] == [
        "Saved: version 1. The next reconciliation run uses them."
    ], texts(at)
    saved = api.reconciliation_settings(demo, actor=api.CLI_OPERATOR)
    assert (saved.grace_days, saved.weight_tolerance_lb, saved.dim_divisor) == (30, Decimal("0.5"), 139)
    assert [(b.below, b.absolute, b.relative) for b in saved.cost_bands] == [
        (Decimal("25"), Decimal("1"), None),
        (Decimal("250"), None, Decimal("0.04")),
        (None, None, Decimal("0.03")),
    ]
    assert saved.carrier_divisors == {} and saved.updated_by == "admin@demo.local"
    assert any("Version 1, saved by admin@demo.local" in c.value for c in at.caption), texts(at)
    audited = api.search_audit(demo, entity_id="reconciliation", actor=api.CLI_OPERATOR)
    assert [a.action for a in audited.items] == ["RECON_SETTINGS_CHANGED"]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.FINANCE])
def test_the_page_is_the_admins_only(demo: api.Ledger, role: Role) -> None:
    at = as_role(role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
