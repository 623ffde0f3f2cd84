"""Local accounts, lockout, sessions, cookie grants and the signed session cookie."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from engine import api
from engine.api import CLI_OPERATOR, Actor, Ledger
from engine.auth.sessions import cookie_secret, sign_session, unsign_session
from engine.clock import utcnow
from engine.errors import AuthenticationFailed, Conflict, Forbidden, ValidationError
from engine.store.schema import app_user, session_grant, user_session
from engine.vocab import Role, Source
from tests.conftest import PASSWORD, World, make_settings

WRONG = "E-mail or password is wrong."
EMAIL = "pat@test.local"


def add(ledger: Ledger, email: str = EMAIL, roles: tuple[str, ...] = ("sales",)) -> None:
    api.add_user(ledger, email=email, roles=list(roles), password=PASSWORD, actor=CLI_OPERATOR)


def session_of(ledger: Ledger, email: str = EMAIL, password: str = PASSWORD) -> str:
    return api.sign_in(ledger, email=email, password=password).session_id


def actions(ledger: Ledger, email: str = EMAIL) -> list[str]:
    return [a.action for a in api.search_audit(ledger, actor=CLI_OPERATOR, entity_id=email).items]


def after_of(ledger: Ledger, action: str, email: str = EMAIL) -> str | None:
    entries = api.search_audit(ledger, actor=CLI_OPERATOR, entity_id=email).items
    return next(a.after_summary for a in entries if a.action == action)


def set_column(ledger: Ledger, table: sa.Table, **values: object) -> None:
    ledger.db.write(lambda conn: conn.execute(sa.update(table).values(**values)))


def ago(**delta: float) -> datetime:
    return utcnow() - timedelta(**delta)


@pytest.fixture
def strict(tmp_path: Path, store_url: str | None) -> Iterator[Ledger]:
    """A store (DuckDB and PostgreSQL) that locks an account after three failures."""
    ledger = api.open_ledger(make_settings(tmp_path, store_url, lockout_attempts=3, lockout_minutes=15))
    yield ledger
    ledger.close()


# ---------------------------------------------------------------- accounts


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
    with pytest.raises(Forbidden):
        api.reset_password(
            duck_world.ledger, email=duck_world.admin.email, password="Taken-over-1", actor=duck_world.sales
        )
    updated = api.set_user_roles(
        duck_world.ledger, email=duck_world.sales.email, roles=["sales", "stores"], actor=duck_world.admin
    )
    assert updated.roles == [Role.SALES, Role.STORES]
    with pytest.raises(ValidationError, match="your own admin role"):
        api.set_user_roles(
            duck_world.ledger, email=duck_world.admin.email, roles=["sales"], actor=duck_world.admin
        )


# ---------------------------------------------------------------- lockout


def test_unknown_locked_and_wrong_get_the_same_answer(strict: Ledger) -> None:
    add(strict)
    assert api.sign_in(strict, email=" Pat@Test.local ", password=PASSWORD).roles == [Role.SALES]
    answers = []
    for _ in range(3):  # the third failure locks the account
        with pytest.raises(AuthenticationFailed) as wrong:
            api.sign_in(strict, email=EMAIL, password="wrong-password")
        answers.append(wrong.value.message)
    for email, password in (
        (EMAIL, PASSWORD),
        (EMAIL, "wrong-again"),
        ("ghost@test.local", PASSWORD),
        ("x", "y"),
    ):
        with pytest.raises(AuthenticationFailed) as refused:  # locked: even the right password
            api.sign_in(strict, email=email, password=password)
        answers.append(refused.value.message)
    assert set(answers) == {WRONG}, "nothing tells a locked account from an unknown one"
    assert actions(strict).count("SIGN_IN_FAILED") == 2
    assert actions(strict).count("SIGN_IN_LOCKED") == 1
    assert actions(strict).count("SIGN_IN_WHILE_LOCKED") == 2
    assert actions(strict).count("SIGN_IN") == 1

    # Once the lock has run out, the right password lets the user in and clears the counter.
    set_column(strict, app_user, locked_until=ago(seconds=1))
    assert session_of(strict)
    with strict.db.read() as conn:
        row = conn.execute(sa.select(app_user.c.failed_attempts, app_user.c.locked_until)).one()
    assert (row.failed_attempts, row.locked_until) == (0, None)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification made (the library's own method, counted and passed through)."""
    calls: list[str] = []
    real = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str, password: str | bytes) -> bool:
        calls.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


def test_every_attempt_costs_exactly_one_verification(tmp_path: Path, verifications: list[str]) -> None:
    ledger = api.open_ledger(make_settings(tmp_path, lockout_attempts=2))
    try:
        add(ledger)
        add(ledger, email="gone@test.local")
        api.set_user_active(ledger, email="gone@test.local", active=False, actor=CLI_OPERATOR)
        api.add_user(ledger, email="sso@test.local", roles=["sales"], password=None, actor=CLI_OPERATOR)
        attempts: list[tuple[str, str, str]] = [
            ("right password", EMAIL, PASSWORD),
            ("unknown address", "ghost@test.local", PASSWORD),
            ("not an address", "not-an-address", PASSWORD),
            ("single sign-on account without a password", "sso@test.local", PASSWORD),
            ("deactivated", "gone@test.local", PASSWORD),
            ("wrong password", EMAIL, "wrong-password"),
            ("wrong password that locks", EMAIL, "wrong-password"),
            ("locked, right password", EMAIL, PASSWORD),
            ("locked, wrong password", EMAIL, "wrong-password"),
        ]
        for what, email, password in attempts:
            verifications.clear()
            try:
                api.sign_in(ledger, email=email, password=password)
            except AuthenticationFailed as refused:
                assert refused.message == WRONG, what
            assert len(verifications) == 1, f"{what}: {len(verifications)} verifications"
    finally:
        ledger.close()


def _in_parallel(count: int, attempt: Callable[[], None]) -> None:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            attempt()
        except AuthenticationFailed:
            pass
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


@pytest.mark.parametrize(("limit", "guesses"), [(100, 8), (5, 8)])
def test_parallel_guesses_are_all_counted(
    tmp_path: Path, store_url: str | None, limit: int, guesses: int
) -> None:
    ledger = api.open_ledger(make_settings(tmp_path, store_url, lockout_attempts=limit))
    try:
        add(ledger)

        def guess() -> None:
            api.sign_in(ledger, email=EMAIL, password="wrong-password")

        _in_parallel(guesses, guess)
        with ledger.db.read() as conn:
            row = conn.execute(sa.select(app_user.c.failed_attempts, app_user.c.locked_until)).one()
        trail = actions(ledger)
        if limit > guesses:
            assert row.failed_attempts == guesses, "no increment lost"
            assert row.locked_until is None and trail.count("SIGN_IN_FAILED") == guesses
        else:  # exactly one guess locks; the guesses after it meet the lock
            assert row.locked_until is not None and row.failed_attempts == 0
            assert trail.count("SIGN_IN_LOCKED") == 1
            assert trail.count("SIGN_IN_FAILED") == limit - 1
            assert trail.count("SIGN_IN_WHILE_LOCKED") == guesses - limit
    finally:
        ledger.close()


# ---------------------------------------------------------------- sessions


def test_sessions_resolve_and_idle_out(duck_ledger: Ledger) -> None:
    add(duck_ledger)
    session = session_of(duck_ledger)
    actor = api.resolve_session(duck_ledger, session)
    assert actor is not None and actor.email == EMAIL and actor.roles == {Role.SALES}
    assert api.resolve_session(duck_ledger, "made-up") is None
    set_column(
        duck_ledger, user_session, last_seen_at=ago(minutes=duck_ledger.settings.session_idle_minutes + 1)
    )
    assert api.resolve_session(duck_ledger, session) is None, "idle longer than the timeout"
    set_column(duck_ledger, user_session, last_seen_at=utcnow())
    assert api.resolve_session(duck_ledger, session) is None, "an idled-out session stays ended"


def test_sessions_end_after_their_absolute_lifetime_however_active(tmp_path: Path) -> None:
    ledger = api.open_ledger(make_settings(tmp_path, session_max_hours=12))
    try:
        add(ledger)
        session = session_of(ledger)
        set_column(ledger, user_session, created_at=ago(hours=11, minutes=59), last_seen_at=ago(minutes=1))
        assert api.resolve_session(ledger, session) is not None
        set_column(ledger, user_session, created_at=ago(hours=12, minutes=1), last_seen_at=ago(minutes=1))
        assert api.resolve_session(ledger, session) is None, "active, but older than 12 hours"
        with ledger.db.read() as conn:
            assert conn.execute(sa.select(user_session.c.ended_at)).scalar_one() is not None
    finally:
        ledger.close()
    assert api.Settings.model_fields["session_max_hours"].default == 12, "the default lifetime"


def test_sign_out_ends_every_session_of_the_user_and_only_theirs(ledger: Ledger) -> None:
    add(ledger)
    add(ledger, email="other@test.local")
    first, second, third = session_of(ledger), session_of(ledger), session_of(ledger)
    others = session_of(ledger, email="other@test.local")
    actor = api.resolve_session(ledger, second)
    assert actor is not None
    assert api.sign_out(ledger, actor=actor) == 3
    for session in (first, second, third):
        assert api.resolve_session(ledger, session) is None, "signed out everywhere"
    assert api.resolve_session(ledger, others) is not None, "another user's session lives on"
    assert after_of(ledger, "SIGN_OUT") == '{"sessions_ended": 3}'


def test_role_changes_and_deactivation_end_the_users_sessions(world: World) -> None:
    add(world.ledger)
    kept = session_of(world.ledger)
    api.set_user_roles(world.ledger, email=EMAIL, roles=["sales"], actor=world.admin)
    assert api.resolve_session(world.ledger, kept) is not None, "the same roles again change nothing"
    api.set_user_roles(world.ledger, email=EMAIL, roles=["sales", "stores"], actor=world.admin)
    assert api.resolve_session(world.ledger, kept) is None, "opened under the old roles"
    assert '"sessions_ended": 1' in (after_of(world.ledger, "USER_ROLES_SET") or "")

    fresh = session_of(world.ledger)
    resolved = api.resolve_session(world.ledger, fresh)
    assert resolved is not None and resolved.roles == {Role.SALES, Role.STORES}
    api.set_user_active(world.ledger, email=EMAIL, active=False, actor=world.admin)
    assert api.resolve_session(world.ledger, fresh) is None
    assert '"sessions_ended": 1' in (after_of(world.ledger, "USER_DEACTIVATED") or "")
    api.set_user_active(world.ledger, email=EMAIL, active=True, actor=world.admin)
    assert api.resolve_session(world.ledger, fresh) is None, "reactivating does not revive a session"


# ---------------------------------------------------------------- passwords


def test_changing_the_password_ends_every_session_and_opens_one(ledger: Ledger) -> None:
    add(ledger)
    old_tab, other_browser = session_of(ledger), session_of(ledger)
    me = api.resolve_session(ledger, old_tab)
    assert me is not None
    with pytest.raises(ValidationError, match="differs from the current one"):
        api.change_password(ledger, current_password=PASSWORD, new_password=PASSWORD, actor=me)
    with pytest.raises(ValidationError, match="at least 10"):
        api.change_password(ledger, current_password=PASSWORD, new_password="short", actor=me)
    with pytest.raises(AuthenticationFailed, match="current password is wrong"):
        api.change_password(
            ledger, current_password="not-my-password", new_password="New-password-1", actor=me
        )
    assert actions(ledger).count("SIGN_IN_FAILED") == 1, "a wrong current password counts towards the lockout"
    assert api.resolve_session(ledger, old_tab) is not None

    changed = api.change_password(
        ledger, current_password=PASSWORD, new_password="New-password-1", actor=me, request_id="change-0001"
    )
    assert api.resolve_session(ledger, old_tab) is None and api.resolve_session(ledger, other_browser) is None
    assert api.resolve_session(ledger, changed.session_id) is not None, "the tab that changed it goes on"
    again = api.change_password(
        ledger, current_password=PASSWORD, new_password="New-password-1", actor=me, request_id="change-0001"
    )
    assert again == changed, "a double click returns the first answer"
    with pytest.raises(AuthenticationFailed):
        api.sign_in(ledger, email=EMAIL, password=PASSWORD)
    assert session_of(ledger, password="New-password-1")
    assert after_of(ledger, "PASSWORD_CHANGED") == '{"sessions_ended": 2}'


def test_single_sign_on_accounts_have_no_password_to_change(duck_world: World) -> None:
    with pytest.raises(ValidationError, match="organisation account"):
        api.change_password(
            duck_world.ledger,
            current_password="Anything-at-all",
            new_password="New-password-1",
            actor=duck_world.sales,
        )


def test_an_admin_resets_a_password(duck_world: World) -> None:
    ledger = duck_world.ledger
    add(ledger)
    session = session_of(ledger)
    for _ in range(ledger.settings.lockout_attempts):
        with pytest.raises(AuthenticationFailed):
            api.sign_in(ledger, email=EMAIL, password="wrong-password")
    view = api.reset_password(ledger, email=EMAIL, password="Handed-over-1", actor=duck_world.admin)
    assert view.locked_until is None and view.has_password
    assert api.resolve_session(ledger, session) is None
    assert session_of(ledger, password="Handed-over-1"), "the lockout is lifted"
    assert after_of(ledger, "PASSWORD_RESET") == '{"sessions_ended": 1}'
    with pytest.raises(ValidationError, match="at least 10"):
        api.reset_password(ledger, email=EMAIL, password="short", actor=duck_world.admin)


def test_the_cli_resets_a_password_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import json
    import sys

    from engine.cli import main

    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "false")
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "--email", EMAIL, "--role", "sales", "--password-stdin"]) == 0
    assert main(["users", "password", "--email", EMAIL]) == 1, "never as an argument or a prompt"
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("From-the-cli-1\n"))
    assert main(["users", "password", "--email", EMAIL, "--password-stdin"]) == 0
    assert json.loads(capsys.readouterr().out)["email"] == EMAIL
    ledger = api.open_ledger(make_settings(tmp_path))
    try:
        assert session_of(ledger, password="From-the-cli-1")
        assert "PASSWORD_RESET" in actions(ledger)
    finally:
        ledger.close()


# ---------------------------------------------------------------- cookie grants


def test_a_grant_is_redeemed_once_and_only_by_its_browser(ledger: Ledger) -> None:
    add(ledger)
    session = session_of(ledger)
    api.grant_session_cookie(ledger, session, binding="browser-a")
    assert api.redeem_session_grant(ledger, binding="browser-b") is None, "another browser gets nothing"
    assert api.redeem_session_grant(ledger, binding=None) is None
    assert api.redeem_session_grant(ledger, binding="browser-a") == session
    assert api.redeem_session_grant(ledger, binding="browser-a") is None, "once"
    with ledger.db.read() as conn:
        assert conn.execute(sa.select(session_grant.c.binding_hash)).scalar_one() != "browser-a"

    api.grant_session_cookie(ledger, session, binding="browser-a")
    set_column(ledger, session_grant, expires_at=ago(seconds=1))
    assert api.redeem_session_grant(ledger, binding="browser-a") is None, "expired"

    newer = session_of(ledger)
    api.grant_session_cookie(ledger, session, binding="browser-a")
    api.grant_session_cookie(ledger, newer, binding="browser-a")
    assert api.redeem_session_grant(ledger, binding="browser-a") == newer, "the newest grant wins"
    assert api.redeem_session_grant(ledger, binding="browser-a") is None, "and uses up the older one"

    api.grant_session_cookie(ledger, newer, binding="browser-a")
    actor = api.resolve_session(ledger, newer)
    assert actor is not None
    api.sign_out(ledger, actor=actor)
    assert api.redeem_session_grant(ledger, binding="browser-a") is None, "no cookie for an ended session"
    with pytest.raises(ValidationError, match="binding cookie"):
        api.grant_session_cookie(ledger, newer, binding="")


def test_cookie_is_signed(duck_settings: api.Settings) -> None:
    secret = cookie_secret(duck_settings)
    assert cookie_secret(duck_settings) == secret, "generated once, then reused"
    assert (duck_settings.data_dir / ".cookie_secret").stat().st_mode & 0o077 == 0
    value = sign_session(secret, "session-1")
    assert unsign_session(secret, value) == "session-1"
    assert unsign_session(secret, value[:-2] + "xx") is None
    assert unsign_session("another-secret", value) is None
    assert unsign_session(secret, "session-1") is None


def test_cookies_are_secure_over_https_and_behind_trusted_proxies_only(tmp_path: Path) -> None:
    plain_ = make_settings(tmp_path)
    proxied = make_settings(tmp_path, trusted_proxies="10.0.0.0/8, 192.168.1.5")
    forced = make_settings(tmp_path, cookie_secure=True)
    from engine.auth.sessions import secure_cookies

    assert secure_cookies(plain_, scheme="https", peer="203.0.113.9", forwarded_proto=None)
    assert not secure_cookies(plain_, scheme="http", peer="10.1.2.3", forwarded_proto="https")
    assert secure_cookies(proxied, scheme="http", peer="10.1.2.3", forwarded_proto="https")
    assert secure_cookies(proxied, scheme="http", peer="192.168.1.5", forwarded_proto="https, http")
    assert not secure_cookies(proxied, scheme="http", peer="192.168.1.6", forwarded_proto="https")
    assert not secure_cookies(proxied, scheme="http", peer="10.1.2.3", forwarded_proto="http")
    assert not secure_cookies(proxied, scheme="http", peer=None, forwarded_proto="https")
    assert secure_cookies(forced, scheme="http", peer=None, forwarded_proto=None)
    with pytest.raises(api.EngineError, match="not an address or network"):
        make_settings(tmp_path, trusted_proxies="proxy.internal")


def test_actor_for_refuses_deactivated_users(duck_world: World) -> None:
    api.set_user_active(duck_world.ledger, email=duck_world.sales.email, active=False, actor=duck_world.admin)
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        api.actor_for(duck_world.ledger, duck_world.sales.email, source=Source.CLI)
    assert isinstance(api.actor_for(duck_world.ledger, duck_world.stores.email, source=Source.CLI), Actor)
