"""Local accounts, lockout, sessions and the signed session cookie."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import CLI_OPERATOR, Ledger
from engine.auth.sessions import cookie_secret, sign_session, unsign_session
from engine.errors import AuthenticationFailed, Conflict, Forbidden, ValidationError
from engine.store.schema import app_user, sign_in_code, user_session
from engine.vocab import Role
from tests.conftest import PASSWORD, World, make_settings


def add(ledger: Ledger, email: str = "pat@test.local", roles: tuple[str, ...] = ("sales",)) -> None:
    api.add_user(ledger, email=email, roles=list(roles), password=PASSWORD, actor=CLI_OPERATOR)


def test_passwords_are_argon2_hashes(duck_ledger: Ledger) -> None:
    add(duck_ledger)
    with duck_ledger.db.read() as conn:
        stored = conn.execute(sa.select(app_user.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_user_validation(duck_ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="not an e-mail"):
        api.add_user(duck_ledger, email="nobody", roles=["sales"], password=None, actor=CLI_OPERATOR)
    with pytest.raises(ValidationError, match="Unknown role 'boss'"):
        api.add_user(duck_ledger, email="a@test.local", roles=["boss"], password=None, actor=CLI_OPERATOR)
    with pytest.raises(ValidationError, match="at least 10 characters"):
        api.add_user(duck_ledger, email="a@test.local", roles=["sales"], password="short", actor=CLI_OPERATOR)
    add(duck_ledger)
    with pytest.raises(Conflict, match="exists already"):
        add(duck_ledger, email="PAT@test.local")


def test_only_admins_manage_users(duck_world: World) -> None:
    with pytest.raises(Forbidden):
        api.add_user(
            duck_world.ledger, email="x@test.local", roles=["admin"], password=None, actor=duck_world.sales
        )
    with pytest.raises(Forbidden):
        api.list_users(duck_world.ledger, actor=duck_world.manager)
    updated = api.set_user_roles(
        duck_world.ledger, email=duck_world.sales.email, roles=["sales", "stores"], actor=duck_world.admin
    )
    assert updated.roles == [Role.SALES, Role.STORES]
    with pytest.raises(ValidationError, match="your own admin role"):
        api.set_user_roles(
            duck_world.ledger, email=duck_world.admin.email, roles=["sales"], actor=duck_world.admin
        )


def test_sign_in_and_lockout(tmp_path: Path) -> None:
    ledger = api.open_ledger(make_settings(tmp_path, lockout_attempts=3, lockout_minutes=15))
    try:
        add(ledger)
        assert api.sign_in(ledger, email=" Pat@Test.local ", password=PASSWORD).roles == [Role.SALES]
        for _ in range(2):
            with pytest.raises(AuthenticationFailed, match="E-mail or password is wrong"):
                api.sign_in(ledger, email="pat@test.local", password="wrong-password")
        with pytest.raises(AuthenticationFailed, match="locked for 15 minutes"):
            api.sign_in(ledger, email="pat@test.local", password="wrong-password")
        with pytest.raises(AuthenticationFailed, match="locked until"):
            api.sign_in(ledger, email="pat@test.local", password=PASSWORD)  # even the right one, while locked
        with pytest.raises(AuthenticationFailed, match="E-mail or password is wrong"):
            api.sign_in(ledger, email="ghost@test.local", password=PASSWORD)
        actions = [
            a.action for a in api.search_audit(ledger, actor=CLI_OPERATOR, entity_id="pat@test.local").items
        ]
        assert actions.count("SIGN_IN_FAILED") == 2 and actions.count("SIGN_IN_LOCKED") == 1
        assert actions.count("SIGN_IN") == 1
    finally:
        ledger.close()


def test_sessions_resolve_end_and_idle_out(duck_ledger: Ledger) -> None:
    add(duck_ledger)
    session = api.sign_in(duck_ledger, email="pat@test.local", password=PASSWORD).session_id
    actor = api.resolve_session(duck_ledger, session)
    assert actor is not None and actor.email == "pat@test.local"
    assert api.resolve_session(duck_ledger, "made-up") is None
    stale = utc_minus(duck_ledger.settings.session_idle_minutes + 1)
    duck_ledger.db.write(lambda c: c.execute(sa.update(user_session).values(last_seen_at=stale)))
    assert api.resolve_session(duck_ledger, session) is None, "idle longer than the timeout"
    second = api.sign_in(duck_ledger, email="pat@test.local", password=PASSWORD).session_id
    api.sign_out(duck_ledger, second, actor=actor)
    assert api.resolve_session(duck_ledger, second) is None, "signed out everywhere"


def test_deactivated_users_lose_their_sessions(duck_world: World) -> None:
    add(duck_world.ledger)
    session = api.sign_in(duck_world.ledger, email="pat@test.local", password=PASSWORD).session_id
    api.set_user_active(duck_world.ledger, email="pat@test.local", active=False, actor=duck_world.admin)
    assert api.resolve_session(duck_world.ledger, session) is None


def test_sign_in_codes_are_single_use_and_expire(duck_ledger: Ledger) -> None:
    add(duck_ledger)
    session = api.sign_in(duck_ledger, email="pat@test.local", password=PASSWORD).session_id
    code = api.issue_sign_in_code(duck_ledger, session)
    assert api.redeem_sign_in_code(duck_ledger, code) == session
    assert api.redeem_sign_in_code(duck_ledger, code) is None
    late = api.issue_sign_in_code(duck_ledger, session)
    duck_ledger.db.write(lambda c: c.execute(sa.update(sign_in_code).values(expires_at=utc_minus(1))))
    assert api.redeem_sign_in_code(duck_ledger, late) is None


def test_cookie_is_signed(duck_settings: api.Settings) -> None:
    secret = cookie_secret(duck_settings)
    assert cookie_secret(duck_settings) == secret, "generated once, then reused"
    assert (duck_settings.data_dir / ".cookie_secret").stat().st_mode & 0o077 == 0
    value = sign_session(secret, "session-1")
    assert unsign_session(secret, value) == "session-1"
    assert unsign_session(secret, value[:-2] + "xx") is None
    assert unsign_session("another-secret", value) is None
    assert unsign_session(secret, "session-1") is None


def utc_minus(minutes: int):  # type: ignore[no-untyped-def]
    from engine.clock import utcnow

    return utcnow() - timedelta(minutes=minutes)
