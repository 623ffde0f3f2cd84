"""Sign-in and account flows of the real console under AppTest: changing one's password, the
lockout rule told on a failed sign-in, single sign-on that must go through the provider again, and
the Operations warning about demo accounts left active with demo data off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from console import handle
from engine import api
from engine.clock import utcnow
from tests.conftest import PASSWORD
from tests.console.test_pages import APP, SSO, as_role, by_label, id_token, sign_in, texts, unescape

NEW_PASSWORD = "Brand-new-password-1"


def change_password(at: AppTest, current: str, new: str, repeat: str | None = None) -> AppTest:
    by_label(at.text_input, "Current password").input(current)
    by_label(at.text_input, "New password").input(new)
    by_label(at.text_input, "New password again").input(new if repeat is None else repeat)
    by_label(at.button, "Change password").click().run()
    assert not at.exception, at.exception
    return at


def test_a_user_changes_their_password_and_other_sessions_end(demo: api.Ledger) -> None:
    elsewhere = api.sign_in(demo, email="sales@demo.local", password="sales-demo-2026").session_id
    at = as_role(api.Role.SALES)
    at.switch_page("../pages/account.py").run()
    assert [t.value for t in at.title] == ["Your account"]

    change_password(at, "sales-demo-2026", NEW_PASSWORD, "Something-else-1")
    assert any("differ" in str(w.value) for w in at.warning)
    change_password(at, "not-the-password", NEW_PASSWORD)
    assert "The current password is wrong." in texts(at)
    assert api.resolve_session(demo, elsewhere) is not None

    change_password(at, "sales-demo-2026", NEW_PASSWORD)
    assert "Password changed. Every other tab and browser signed in as you is signed out." in texts(at)
    assert api.resolve_session(demo, elsewhere) is None, "the other browser is signed out"
    at.switch_page("../pages/home.py").run()
    assert [t.value for t in at.title] == ["Home"], "this tab goes on with its new session"
    with pytest.raises(api.AuthenticationFailed):
        api.sign_in(demo, email="sales@demo.local", password="sales-demo-2026")
    assert api.sign_in(demo, email="sales@demo.local", password=NEW_PASSWORD)


def test_single_sign_on_accounts_are_sent_to_their_provider(demo: api.Ledger) -> None:
    api.add_user(demo, email="sso@demo.local", roles=["sales"], password=None, actor=api.CLI_OPERATOR)
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = SSO
    at.user = {"is_logged_in": True, **id_token("sso@demo.local")}
    at.run()
    at.switch_page("../pages/account.py").run()
    assert not at.exception
    assert any("organisation account" in str(i.value) for i in at.info)
    assert not [t for t in at.text_input if t.label == "Current password"]


def test_a_failed_sign_in_tells_the_lockout_rule(demo: api.Ledger) -> None:
    at = sign_in("nobody@demo.local", PASSWORD)
    assert [e.value for e in at.error] == ["E-mail or password is wrong."]
    settings = demo.settings
    assert (
        f"After {settings.lockout_attempts} failed sign-ins in a row an account is locked for "
        f"{settings.lockout_minutes} minutes."
    ) in texts(at)


def test_an_old_provider_sign_in_asks_for_the_provider_again(demo: api.Ledger) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = SSO
    stale = utcnow() - timedelta(minutes=demo.settings.session_idle_minutes + 5)
    at.user = {"is_logged_in": True, **id_token("stores@demo.local", issued=stale)}
    at.run()
    assert not at.exception and [t.value for t in at.title] == ["Sign in to OpsLedger"]
    assert any("sign in with your organisation account again" in str(i.value) for i in at.info)
    assert by_label(at.button, "Sign in with your organisation account")
    assert not api.search_audit(demo, actor=api.CLI_OPERATOR, user="stores@demo.local").items

    # Signed in freshly, then signed out: the provider's cookie (the same token) is not let back in.
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.secrets["auth"] = SSO
    fresh.user = {
        "is_logged_in": True,
        **id_token("stores@demo.local", issued=utcnow() - timedelta(seconds=2)),
    }
    fresh.run()
    assert [t.value for t in fresh.title] == ["Home"]
    actor = api.resolve_session(demo, fresh.session_state["_opsledger_session_id"])
    assert actor is not None
    api.sign_out(demo, actor=actor)  # from another tab
    fresh.switch_page("../pages/home.py").run()
    assert [t.value for t in fresh.title] == ["Sign in to OpsLedger"]
    assert any("again" in str(i.value) for i in fresh.info)


def test_operations_warns_about_demo_accounts_with_demo_data_off(
    demo: api.Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = as_role(api.Role.ADMIN)
    at.switch_page("../pages/operations.py").run()
    assert not [e for e in at.error if "Demo accounts" in str(e.value)], "demo data is on: no warning"

    handle.close_all()  # the console's handle reads its settings when it opens
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "false")
    at = as_role(api.Role.ADMIN)
    at.switch_page("../pages/operations.py").run()
    warning = [unescape(e.value) for e in at.error if "Demo accounts" in str(e.value)]
    assert len(warning) == 1 and "admin@demo" in warning[0] and "Deactivate them" in warning[0]
