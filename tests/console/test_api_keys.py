"""The API keys page under AppTest: an admin creates a key that is shown once and works for the
integration API, revokes one and it stops working, sees an expired key as expired; the engine's
refusals are shown in the form's words; Operations says where the API is described and how a key is
sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from engine import api, clock
from engine.api import AuthenticationFailed, Role
from tests.conftest import PINNED_AT, TODAY
from tests.console.test_pages import as_role, by_label, texts, unescape

PAGE = "../pages/api_keys.py"


def keys_page() -> AppTest:
    at = as_role(Role.ADMIN)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["API keys"]
    return at


def table(at: AppTest) -> list[dict[str, str]]:
    frames = [f.value for f in at.dataframe if "Status" in f.value.columns]
    assert len(frames) == 1, [list(f.value.columns) for f in at.dataframe]
    return list(frames[0].to_dict("records"))


def shown_keys(at: AppTest) -> list[str]:
    return [str(c.value) for c in at.code]


def create(at: AppTest, name: str, roles: list[Role]) -> AppTest:
    by_label(at.text_input, "Integration name").input(name)
    by_label(at.multiselect, "Roles").set_value(roles)
    by_label(at.button, "Create key").click().run()
    assert not at.exception, at.exception
    return at


def test_a_new_key_is_shown_once_and_works(demo: api.Ledger) -> None:
    at = create(keys_page(), "nesting", [Role.SALES])
    [key] = shown_keys(at)
    assert key.startswith("olk_")
    assert any("Copy this key now: it is not shown again" in str(w.value) for w in at.warning)
    assert any("roles sales; no expiry" in unescape(s.value) for s in at.success)
    # The key is the integration's credential: it acts as api:<name> with the key's roles only.
    caller = api.api_key_actor(demo, key)
    assert caller.email == "api:nesting" and caller.roles == {Role.SALES}
    [row] = table(at)
    assert (row["Name"], row["Roles"], row["Status"], row["Created by"]) == (
        "nesting",
        "sales",
        "active",
        "admin@demo.local",
    )
    assert row["Expires"] == "never" and row["Last used"] == "never", "read before the key was used"
    assert by_label(at.text_input, "Integration name").value == "", "a created key empties the form"
    # Any rerun, and a reload (a new session), no longer shows it anywhere.
    at.run()
    assert not shown_keys(at) and key not in texts(at)
    [row] = table(at)
    assert row["Last used"] != "never"
    again = keys_page()
    assert not shown_keys(again) and key not in texts(again)
    trail = api.search_audit(demo, actor=api.CLI_OPERATOR, user="admin@demo.local").items
    assert "API_KEY_CREATED" in [a.action for a in trail]
    assert not [a for a in trail if key.split("_", 2)[2] in (a.after_summary or "")], "never the secret"


def test_a_key_with_an_expiry_day(demo: api.Ledger) -> None:
    at = keys_page()
    expiry = by_label(at.date_input, "Expires on (optional)")
    assert expiry.value is None, "no expiry unless one is chosen"
    expiry.set_value(TODAY + timedelta(days=30))
    create(at, "carrier feed", [Role.STORES, Role.SALES])
    assert any(
        f"roles sales, stores; expires {TODAY + timedelta(days=30)}" in unescape(s.value) for s in at.success
    )
    [row] = table(at)
    assert row["Expires"] == (TODAY + timedelta(days=30)).isoformat() and row["Status"] == "active"


def test_the_engines_refusals_keep_what_was_typed(demo: api.Ledger) -> None:
    at = create(keys_page(), "nesting/../x", [Role.SALES])
    assert any("Name the integration with letters" in unescape(w.value) for w in at.warning)
    assert by_label(at.text_input, "Integration name").value == "nesting/../x"
    by_label(at.text_input, "Integration name").input("nesting")
    by_label(at.multiselect, "Roles").set_value([])
    by_label(at.button, "Create key").click().run()
    assert any("at least one role" in unescape(w.value) for w in at.warning)
    assert not shown_keys(at) and api.list_api_keys(demo, actor=api.CLI_OPERATOR) == []
    assert "No API keys yet" in texts(at)


def test_revoking_a_key_stops_it_at_once(demo: api.Ledger) -> None:
    nesting = api.create_api_key(demo, name="nesting", roles=["sales"], actor=api.CLI_OPERATOR)
    erp = api.create_api_key(demo, name="erp", roles=["stores"], actor=api.CLI_OPERATOR)
    at = keys_page()
    revoke = by_label(at.button, "Revoke")
    assert revoke.proto.disabled, "nothing is revoked before it is confirmed"
    picker = by_label(at.selectbox, "Key")
    assert sorted(picker.options) == sorted(
        [f"nesting · sales · {nesting.key_id}", f"erp · stores · {erp.key_id}"]
    )
    picker.set_value(nesting.key_id)
    by_label(at.checkbox, "Its integration stops working at once").check().run()
    by_label(at.button, "Revoke").click().run()
    assert not at.exception, at.exception
    assert any(f"Revoked nesting ({nesting.key_id})" in unescape(s.value) for s in at.success)
    with pytest.raises(AuthenticationFailed, match="was revoked"):
        api.api_key_actor(demo, nesting.key)
    assert api.api_key_actor(demo, erp.key).email == "api:erp", "the other key still works"
    rows = {row["Name"]: row for row in table(at)}
    assert rows["nesting"]["Status"] == "revoked" and rows["nesting"]["Revoked"].endswith(
        " by admin@demo.local"
    )
    assert rows["erp"]["Status"] == "active" and rows["erp"]["Revoked"] == ""
    assert by_label(at.selectbox, "Key").options == [f"erp · stores · {erp.key_id}"], "only live keys"
    assert by_label(at.checkbox, "Its integration stops working at once").value is False
    assert by_label(at.button, "Revoke").proto.disabled, "the next revoke is confirmed afresh"


def test_an_expired_key_shows_as_expired_and_is_refused(
    demo: api.Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = api.create_api_key(
        demo, name="nesting", roles=["sales"], expires=TODAY + timedelta(days=1), actor=api.CLI_OPERATOR
    )
    monkeypatch.setenv(clock.TEST_CLOCK_VARIABLE, clock.pinned(PINNED_AT + timedelta(days=1)))
    at = keys_page()  # signed in on the day the key stops working
    [row] = table(at)
    assert row["Status"] == "expired"
    with pytest.raises(AuthenticationFailed, match="expired"):
        api.api_key_actor(demo, key.key)
    assert "No key is active." in texts(at) and not [b for b in at.button if b.label == "Revoke"]


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_admins_open_the_page(demo: api.Ledger, role: Role) -> None:
    at = as_role(role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    person = api.actor_for(demo, f"{role.value}@demo.local", source=api.Source.CONSOLE)
    with pytest.raises(api.Forbidden):  # and the engine refuses the calls the page makes
        api.list_api_keys(demo, actor=person)
    with pytest.raises(api.Forbidden):
        api.create_api_key(demo, name="sneaky", roles=["admin"], actor=person)


def test_operations_links_the_api_reference(demo: api.Ledger) -> None:
    at = as_role(Role.ADMIN)
    at.switch_page("../pages/operations.py").run()
    assert not at.exception, at.exception
    said = "\n".join(str(m.value) for m in at.markdown)
    assert "[API reference](/api/v1/reference)" in said and "/api/v1/openapi.json" in said
    assert "`Authorization: Bearer olk_…`" in said
    assert "Create or revoke API keys" in [str(getattr(link, "label", "")) for link in at.get("page_link")]
