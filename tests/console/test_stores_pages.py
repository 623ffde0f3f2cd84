"""The stores desk pages under AppTest: what the storeman must choose, sees and keeps (mapping review,
master-data editors and imports, stock per unit, the pick list's gaps)."""

from __future__ import annotations

from engine import api
from engine.vocab import Role
from tests.console.test_pages import as_role, by_label, unescape


def test_no_suggestion_is_chosen_for_the_storeman(demo: api.Ledger) -> None:
    """Two tapes tie at 81.2: one click must not map the first."""
    at = as_role(Role.STORES)
    at.switch_page("../pages/mapping_review.py").run()
    by_label(at.selectbox, "Review").set_value("aluminum tape").run()
    material = by_label(at.selectbox, "Canonical material")
    assert material.value is None
    first, second = material.options[:2]  # the two tied suggestions lead the list, neither chosen
    assert first.startswith("TAPE-AL-50 (") and first.endswith("· suggested")
    assert second.startswith("TAPE-AL-75 (") and second.endswith("· suggested")

    by_label(at.button, "Resolve").click().run()
    assert not at.exception
    assert any("Choose the canonical material first" in str(w.value) for w in at.warning)
    assert not at.success
    assert "aluminum tape" in [i.description for i in api.review_queue(demo, actor=api.CLI_OPERATOR)]

    by_label(at.selectbox, "Canonical material").set_value("TAPE-AL-75")
    by_label(at.button, "Resolve").click().run()
    assert any("aluminum tape → TAPE-AL-75: 1 line(s) mapped." in unescape(s.value) for s in at.success)
    assert "aluminum tape" not in [i.description for i in api.review_queue(demo, actor=api.CLI_OPERATOR)]


def test_the_allocation_page_shows_what_the_pick_list_does_not_cover(demo: api.Ledger) -> None:
    at = as_role(Role.STORES)
    at.switch_page("../pages/allocation.py").run()
    assert not at.exception
    assert [s.value for s in at.subheader][-1] == "Not covered by the pick list"
    assert any("line(s) short of stock" in str(w.value) for w in at.warning)
    gaps = at.dataframe[-1].value
    assert list(gaps.columns[:5]) == ["Tag", "#", "Status", "Description", "Missing"]
    assert set(gaps["Status"]) <= {"PARTIAL", "UNALLOCATED", "SKIPPED"} and len(gaps) > 0
