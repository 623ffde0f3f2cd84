"""Single sign-on: the account is bound to the identity provider's stable subject, the provider's
sign-in counts only while it is fresh, and unverified addresses are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import CLI_OPERATOR, Ledger
from engine.clock import utcnow
from engine.errors import AuthenticationFailed, SignInAgain
from engine.store.schema import user_identity
from tests.conftest import World

ENTRA = "https://login.microsoftonline.com/tenant-1/v2.0"


def claims(email: str = "sales@test.local", *, minutes_ago: float = 0, **extra: object) -> dict[str, object]:
    """ID-token claims as ``st.user`` holds them (issued ``minutes_ago``)."""
    issued = int((utcnow() - timedelta(minutes=minutes_ago)).timestamp())
    return {"iss": ENTRA, "sub": "app-specific-sub", "oid": "oid-1", "email": email, "iat": issued, **extra}


def sign_in(ledger: Ledger, **kwargs: object) -> api.SignIn:
    return api.sign_in_oidc(ledger, claims=claims(**kwargs))  # type: ignore[arg-type]


def bindings(ledger: Ledger) -> list[tuple[str, str, str]]:
    with ledger.db.read() as conn:
        rows = conn.execute(sa.select(user_identity.c.issuer, user_identity.c.subject, user_identity.c.email))
        return sorted((r.issuer, r.subject, r.email) for r in rows)


def test_the_first_sign_in_binds_the_account_to_the_subject(world: World) -> None:
    opened = sign_in(world.ledger)
    assert opened.email == "sales@test.local" and api.resolve_session(world.ledger, opened.session_id)
    # Entra ID's oid, not its per-application sub; with the issuer.
    assert bindings(world.ledger) == [(ENTRA, "oid-1", "sales@test.local")]
    trail = api.search_audit(world.ledger, actor=CLI_OPERATOR, entity_id="sales@test.local").items
    assert [a.action for a in trail] == ["SIGN_IN", "USER_IDENTITY_BOUND", "USER_ADDED"]

    # The address changes at the provider: the subject still opens the same account.
    moved = sign_in(world.ledger, email="s.ales@renamed.example")
    assert moved.email == "sales@test.local"
    assert bindings(world.ledger) == [(ENTRA, "oid-1", "sales@test.local")]


def test_an_address_bound_to_another_subject_is_refused(world: World) -> None:
    sign_in(world.ledger)
    with pytest.raises(AuthenticationFailed, match="belongs to another organisation identity"):
        sign_in(world.ledger, oid="oid-2")
    with pytest.raises(AuthenticationFailed, match="belongs to another organisation identity"):
        api.sign_in_oidc(
            world.ledger, claims={**claims(), "iss": "https://other-idp.example", "oid": "oid-1"}
        )
    assert bindings(world.ledger) == [(ENTRA, "oid-1", "sales@test.local")]


def test_without_oid_the_sub_is_the_subject(duck_world: World) -> None:
    plain_oidc = {k: v for k, v in claims("stores@test.local").items() if k != "oid"}
    assert api.sign_in_oidc(duck_world.ledger, claims=plain_oidc).email == "stores@test.local"
    assert bindings(duck_world.ledger) == [(ENTRA, "app-specific-sub", "stores@test.local")]


def test_unverified_addresses_and_strangers_are_refused(duck_world: World) -> None:
    with pytest.raises(AuthenticationFailed, match=r"has not verified sales@test\.local"):
        sign_in(duck_world.ledger, email_verified=False)
    assert sign_in(duck_world.ledger, email_verified=True).email == "sales@test.local"
    with pytest.raises(AuthenticationFailed, match=r"stranger@test\.local has no OpsLedger account yet"):
        sign_in(duck_world.ledger, email="stranger@test.local", oid="oid-9")
    with pytest.raises(AuthenticationFailed, match="lacks the issuer, subject, e-mail or issue time"):
        api.sign_in_oidc(duck_world.ledger, claims={"email": "sales@test.local", "is_logged_in": True})
    api.set_user_active(duck_world.ledger, email="sales@test.local", active=False, actor=duck_world.admin)
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        sign_in(duck_world.ledger)
    assert bindings(duck_world.ledger) == [(ENTRA, "oid-1", "sales@test.local")]


def test_an_old_sign_in_at_the_provider_does_not_open_a_session(world: World) -> None:
    idle = world.ledger.settings.session_idle_minutes
    with pytest.raises(SignInAgain, match="sign in with your organisation account again"):
        sign_in(world.ledger, minutes_ago=idle + 1)
    assert bindings(world.ledger) == [], "a stale sign-in binds nothing"
    assert sign_in(world.ledger, minutes_ago=idle - 1)
    assert sign_in(world.ledger, minutes_ago=-2), "a provider clock a little ahead"
    with pytest.raises(SignInAgain):
        sign_in(world.ledger, minutes_ago=-30)


def test_after_sign_out_the_same_provider_sign_in_is_not_enough(world: World) -> None:
    token = claims(minutes_ago=1)
    opened = api.sign_in_oidc(world.ledger, claims=token)
    actor = api.resolve_session(world.ledger, opened.session_id)
    assert actor is not None
    # Another browser still holds the provider's cookie with the same token.
    assert api.sign_in_oidc(world.ledger, claims=token)
    api.sign_out(world.ledger, actor=actor)
    with pytest.raises(SignInAgain):
        api.sign_in_oidc(world.ledger, claims=token)
    # A role change ends sessions the same way (a token issued a second later than the sign-out: the
    # provider's issue times are whole seconds).
    assert sign_in(world.ledger, minutes_ago=-1 / 60)
    api.set_user_roles(world.ledger, email="sales@test.local", roles=["sales", "manager"], actor=world.admin)
    with pytest.raises(SignInAgain):
        api.sign_in_oidc(world.ledger, claims=token)
    # A new sign-in at the provider (issued after the sessions ended) opens one again.
    later = {**token, "iat": int((utcnow() + timedelta(seconds=2)).timestamp())}
    assert api.sign_in_oidc(world.ledger, claims=later).roles == [api.Role.MANAGER, api.Role.SALES]
