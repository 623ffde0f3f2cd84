"""API keys of the integration API: shown once, stored as a digest, bound to roles, refused with the
reason when wrong, revoked or expired, audited, and their last use kept."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import CLI_OPERATOR, Actor, KeyState, Ledger
from engine.clock import as_utc, utcnow
from engine.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from engine.store.schema import api_key
from engine.vocab import Role, Source
from tests.conftest import TODAY

ADMIN = Actor(email="admin@test.local", roles=frozenset({Role.ADMIN}))


def create(
    ledger: Ledger, name: str = "nesting", roles: tuple[str, ...] = ("sales",), **kw: object
) -> api.NewApiKey:
    return api.create_api_key(ledger, name=name, roles=list(roles), actor=ADMIN, **kw)  # type: ignore[arg-type]


def row_of(ledger: Ledger, key_id: str) -> sa.Row:
    with ledger.db.read() as conn:
        return conn.execute(sa.select(api_key).where(api_key.c.key_id == key_id)).one()


def set_row(ledger: Ledger, key_id: str, **values: object) -> None:
    ledger.db.write(
        lambda conn: conn.execute(api_key.update().where(api_key.c.key_id == key_id).values(**values))
    )


def secret_of(key: str) -> str:
    return key.split("_", 2)[2]


# ---------------------------------------------------------------- creating and listing


def test_a_key_is_shown_once_and_only_its_digest_is_kept(ledger: Ledger) -> None:
    new = create(ledger, roles=("stores", "sales"), expires=TODAY + timedelta(days=30))
    prefix, key_id, secret = new.key.split("_", 2)
    assert (prefix, key_id) == ("olk", new.key_id) and len(key_id) == 26 and len(secret) == 43
    assert new.name == "nesting" and new.roles == [Role.SALES, Role.STORES]
    assert new.expires == TODAY + timedelta(days=30)
    stored = row_of(ledger, new.key_id)
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored.secret_hash and stored.roles == "sales,stores"

    listed = api.list_api_keys(ledger, actor=ADMIN)
    assert [k.key_id for k in listed] == [new.key_id]
    view = listed[0]
    assert view.roles == [Role.SALES, Role.STORES] and view.created_by == ADMIN.email
    assert view.state is KeyState.ACTIVE and view.last_used_at is None and view.revoked_at is None
    dumped = view.model_dump_json()
    assert secret not in dumped and stored.secret_hash not in dumped
    assert "secret" not in view.model_dump() and "key" not in view.model_dump()


def test_two_keys_are_listed_newest_first_with_different_secrets(ledger: Ledger) -> None:
    first, second = create(ledger, "nesting"), create(ledger, "power-automate", roles=("finance",))
    assert secret_of(first.key) != secret_of(second.key)
    assert [k.name for k in api.list_api_keys(ledger, actor=ADMIN)] == ["power-automate", "nesting"]


def test_roles_may_be_repeated_or_comma_separated(duck_ledger: Ledger) -> None:
    new = create(duck_ledger, roles=("Sales, stores", "sales"))
    assert new.roles == [Role.SALES, Role.STORES]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"roles": ("boss",)}, "role", "Unknown role 'boss'"),
        ({"roles": ()}, "role", "Give the key at least one role"),
        ({"roles": (" , ",)}, "role", "Give the key at least one role"),
        ({"name": ""}, "name", "Name the integration"),
        ({"name": "-leading-dash"}, "name", "Name the integration"),
        ({"name": "semi;colon"}, "name", "Name the integration"),
        ({"name": "x" * 101}, "name", "Name the integration"),
        ({"expires": TODAY}, "expires", f"{TODAY.isoformat()} is not after today"),
        ({"expires": TODAY - timedelta(days=1)}, "expires", "is not after today"),
    ],
    ids=["unknown-role", "no-role", "blank-role", "no-name", "dash", "semicolon", "long", "today", "past"],
)
def test_bad_requests_name_the_field(
    duck_ledger: Ledger, kwargs: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        create(duck_ledger, **kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert api.list_api_keys(duck_ledger, actor=ADMIN) == []


def test_a_name_of_100_characters_is_accepted_and_trimmed(duck_ledger: Ledger) -> None:
    assert create(duck_ledger, name=f"  {'n' * 100}  ").name == "n" * 100


# ---------------------------------------------------------------- using a key


def test_the_key_acts_as_its_integration_with_its_roles(ledger: Ledger) -> None:
    new = create(ledger, roles=("stores", "sales"))
    actor = api.api_key_actor(ledger, f"  {new.key}\n")
    assert actor == Actor(email="api:nesting", roles=frozenset({Role.SALES, Role.STORES}), source=Source.API)
    assert actor.can(api.Permission.WORK_STORES) and not actor.can(api.Permission.ADMINISTER)


def test_a_key_works_until_the_day_before_it_expires(duck_ledger: Ledger) -> None:
    new = create(duck_ledger, expires=TODAY + timedelta(days=1))
    assert api.api_key_actor(duck_ledger, new.key).email == "api:nesting"


@pytest.mark.parametrize(
    ("presented", "message"),
    [
        ("", "not an OpsLedger API key"),
        ("Bearer something", "not an OpsLedger API key"),
        ("olk_short_secret", "not an OpsLedger API key"),
        ("olk_01ARZ3NDEKTSV4RRFFQ69G5FAV_" + "a" * 42, "not an OpsLedger API key"),
        ("olk_01ARZ3NDEKTSV4RRFFQ69G5FAV_" + "a" * 43, "not known"),
    ],
    ids=["empty", "not-a-key", "short", "secret-too-short", "unknown-id"],
)
def test_malformed_and_unknown_keys_are_refused(duck_ledger: Ledger, presented: str, message: str) -> None:
    create(duck_ledger)
    with pytest.raises(AuthenticationFailed, match=message):
        api.api_key_actor(duck_ledger, presented)


def test_a_wrong_secret_is_refused_as_unknown(ledger: Ledger) -> None:
    new = create(ledger)
    secret = secret_of(new.key)
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    with pytest.raises(AuthenticationFailed, match="not known"):
        api.api_key_actor(ledger, f"olk_{new.key_id}_{wrong}")
    with pytest.raises(AuthenticationFailed, match="not known"):  # the key id of another key
        api.api_key_actor(ledger, f"olk_{create(ledger, 'other').key_id}_{secret}")
    assert row_of(ledger, new.key_id).last_used_at is None


def test_a_revoked_key_is_refused_at_once_and_says_so(ledger: Ledger) -> None:
    new = create(ledger)
    assert api.api_key_actor(ledger, new.key)
    revoked = api.revoke_api_key(ledger, new.key_id.lower(), actor=ADMIN)
    assert revoked.key_id == new.key_id and revoked.state is KeyState.REVOKED
    assert revoked.revoked_by == ADMIN.email and revoked.revoked_at is not None
    with pytest.raises(AuthenticationFailed, match=f"{new.key_id} \\(nesting\\) was revoked"):
        api.api_key_actor(ledger, new.key)
    assert api.list_api_keys(ledger, actor=ADMIN)[0].revoked_by == ADMIN.email


def test_a_key_stops_working_on_its_expiry_day(ledger: Ledger) -> None:
    new = create(ledger, expires=TODAY + timedelta(days=1))
    set_row(ledger, new.key_id, expires_on=TODAY)  # the day has come
    with pytest.raises(AuthenticationFailed, match=f"expired on {TODAY.isoformat()}"):
        api.api_key_actor(ledger, new.key)
    set_row(ledger, new.key_id, expires_on=TODAY - timedelta(days=3))
    with pytest.raises(AuthenticationFailed, match="expired on"):
        api.api_key_actor(ledger, new.key)


def test_revoking_twice_conflicts_and_an_unknown_key_is_not_found(ledger: Ledger) -> None:
    new = create(ledger)
    api.revoke_api_key(ledger, new.key_id, actor=ADMIN)
    first = row_of(ledger, new.key_id).revoked_at
    with pytest.raises(Conflict, match="already revoked") as again:
        api.revoke_api_key(ledger, new.key_id, actor=ADMIN)
    assert again.value.ids == {"key_id": new.key_id}
    assert row_of(ledger, new.key_id).revoked_at == first, "the first revocation stands"
    with pytest.raises(NotFound, match="No API key 01ARZ3NDEKTSV4RRFFQ69G5FAV") as missing:
        api.revoke_api_key(ledger, "01ARZ3NDEKTSV4RRFFQ69G5FAV", actor=ADMIN)
    assert missing.value.ids == {"key_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}


# ---------------------------------------------------------------- audit and last use


def test_creating_and_revoking_are_audited_without_the_secret(ledger: Ledger) -> None:
    new = create(ledger, roles=("finance",), expires=TODAY + timedelta(days=7))
    api.revoke_api_key(ledger, new.key_id, actor=ADMIN)
    trail = api.search_audit(ledger, actor=CLI_OPERATOR, entity_id=new.key_id).items
    assert sorted((a.action, a.actor, a.entity_type) for a in trail) == [
        ("API_KEY_CREATED", ADMIN.email, "api_key"),
        ("API_KEY_REVOKED", ADMIN.email, "api_key"),
    ]
    created = next(a for a in trail if a.action == "API_KEY_CREATED")
    assert created.after_summary and "nesting" in created.after_summary and "finance" in created.after_summary
    assert (TODAY + timedelta(days=7)).isoformat() in created.after_summary
    revoked = next(a for a in trail if a.action == "API_KEY_REVOKED")
    assert revoked.before_summary and "nesting" in revoked.before_summary
    digest = row_of(ledger, new.key_id).secret_hash
    for entry in trail:
        text = entry.model_dump_json()
        assert secret_of(new.key) not in text and digest not in text and new.key not in text


def test_first_use_sets_last_used_and_later_uses_touch_it_at_most_once_a_minute(ledger: Ledger) -> None:
    new = create(ledger)
    before = utcnow()
    api.api_key_actor(ledger, new.key)
    first = row_of(ledger, new.key_id).last_used_at
    assert first is not None and abs(as_utc(first) - before) < timedelta(seconds=30)
    api.api_key_actor(ledger, new.key)
    assert row_of(ledger, new.key_id).last_used_at == first, "a second use within the minute writes nothing"
    long_ago = utcnow() - timedelta(minutes=5)
    set_row(ledger, new.key_id, last_used_at=long_ago)
    api.api_key_actor(ledger, new.key)
    assert as_utc(row_of(ledger, new.key_id).last_used_at) > long_ago + timedelta(minutes=4)
    assert api.list_api_keys(ledger, actor=ADMIN)[0].last_used_at is not None
