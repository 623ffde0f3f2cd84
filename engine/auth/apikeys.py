"""API keys of the integration API: one per integration, bound to roles of the permission table.

A key reads ``olk_<key id>_<secret>``: the key id finds the row, and the secret (256 random bits)
is compared with the stored SHA-256 digest in constant time. Only the digest is kept; the key is
shown once, when it is created. A key acts as ``api:<name>``, with its own roles and source ``api``,
so its calls are audited like anyone's and refused like anyone's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.auth.users import parse_roles
from engine.clock import utcnow
from engine.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from engine.ids import new_ulid
from engine.ledger.audit import record_action
from engine.store.schema import api_key
from engine.vocab import Role, Source

PREFIX = "olk"
_KEY = re.compile(rf"^{PREFIX}_([0-9A-HJKMNP-TV-Z]{{26}})_([A-Za-z0-9_-]{{43}})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")
# Writing last use on every request would make each call a write; to the minute is what an admin
# reading "last used" needs.
TOUCH_INTERVAL = timedelta(seconds=60)


class KeyState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


def state_of(revoked_at: datetime | None, expires: date | None, today: date) -> KeyState:
    """A revoked key is refused; so is one on or after its expiry day (business time zone)."""
    if revoked_at is not None:
        return KeyState.REVOKED
    if expires is not None and expires <= today:
        return KeyState.EXPIRED
    return KeyState.ACTIVE


class ApiKeyView(BaseModel):
    """A key as admins see it (never its secret), with its state on the day it was read."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    name: str
    roles: list[Role]
    created_by: str
    created_at: datetime
    expires: date | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    state: KeyState


class NewApiKey(BaseModel):
    """The answer to creating a key: the only time ``key`` is shown."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    key: str
    name: str
    roles: list[Role]
    expires: date | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def actor_name(name: str) -> str:
    return f"api:{name}"


def create_key(
    conn: Connection,
    actor: Actor,
    *,
    name: str,
    roles: list[str],
    expires: date | None,
    today: date,
    trace_id: str,
) -> NewApiKey:
    name = name.strip()
    if not _NAME.match(name):
        raise ValidationError(
            "Name the integration with letters, digits, spaces, dots, dashes or underscores "
            "(up to 100 characters), e.g. 'nesting'.",
            field="name",
        )
    # parse_roles would refuse an empty list too, but in words meant for a user account.
    if not any(part.strip() for value in roles for part in str(value).split(",")):
        raise ValidationError("Give the key at least one role.", field="role")
    parsed = parse_roles(roles)
    if expires is not None and expires <= today:
        raise ValidationError(f"The expiry {expires.isoformat()} is not after today.", field="expires")
    key_id, secret = new_ulid(), secrets.token_urlsafe(32)
    ordered = sorted(parsed)
    conn.execute(
        api_key.insert().values(
            key_id=key_id,
            name=name,
            secret_hash=_digest(secret),
            roles=",".join(ordered),
            created_by=actor.email,
            created_at=utcnow(),
            expires_on=expires,
        )
    )
    record_action(
        conn,
        actor,
        "API_KEY_CREATED",
        entity_type="api_key",
        entity_id=key_id,
        trace_id=trace_id,
        after={"name": name, "roles": list(ordered), "expires": expires.isoformat() if expires else None},
    )
    return NewApiKey(
        key_id=key_id, key=f"{PREFIX}_{key_id}_{secret}", name=name, roles=list(ordered), expires=expires
    )


def _view(row: sa.Row, today: date) -> ApiKeyView:
    return ApiKeyView(
        state=state_of(row.revoked_at, row.expires_on, today),
        key_id=row.key_id,
        name=row.name,
        roles=[Role(r) for r in row.roles.split(",") if r],
        created_by=row.created_by,
        created_at=row.created_at,
        expires=row.expires_on,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


def list_keys(conn: Connection, *, today: date) -> list[ApiKeyView]:
    rows = conn.execute(sa.select(api_key).order_by(api_key.c.created_at.desc(), api_key.c.key_id))
    return [_view(row, today) for row in rows]


def revoke_key(conn: Connection, actor: Actor, key_id: str, *, today: date, trace_id: str) -> ApiKeyView:
    key_id = key_id.strip().upper()
    row = conn.execute(sa.select(api_key).where(api_key.c.key_id == key_id)).first()
    if row is None:
        raise NotFound(f"No API key {key_id}.", key_id=key_id)
    if row.revoked_at is not None:
        raise Conflict(f"API key {key_id} ({row.name}) is already revoked.", key_id=key_id)
    changed = conn.execute(
        api_key.update()
        .where(api_key.c.key_id == key_id, api_key.c.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=actor.email)
    ).rowcount
    if changed == 0:  # another admin revoked it between the read and this write
        raise Conflict(f"API key {key_id} ({row.name}) is already revoked.", key_id=key_id)
    record_action(
        conn,
        actor,
        "API_KEY_REVOKED",
        entity_type="api_key",
        entity_id=key_id,
        trace_id=trace_id,
        before={"name": row.name, "roles": row.roles.split(",")},
    )
    return _view(conn.execute(sa.select(api_key).where(api_key.c.key_id == key_id)).one(), today)


def find_key(conn: Connection, presented: str, *, today: date) -> ApiKeyView:
    """The live key a caller presented, or ``AuthenticationFailed`` saying why not."""
    match = _KEY.match(presented.strip())
    if match is None:
        raise AuthenticationFailed("That is not an OpsLedger API key (olk_…); ask an admin for one.")
    row = conn.execute(sa.select(api_key).where(api_key.c.key_id == match[1])).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(match[2])):
        raise AuthenticationFailed("The API key is not known; ask an admin for a new one.")
    view = _view(row, today)
    if view.state is KeyState.REVOKED:
        raise AuthenticationFailed(
            f"The API key {row.key_id} ({row.name}) was revoked; ask an admin for a new one."
        )
    if view.state is KeyState.EXPIRED:
        raise AuthenticationFailed(
            f"The API key {row.key_id} ({row.name}) expired on {row.expires_on.isoformat()}; "
            "ask an admin for a new one."
        )
    return view


def needs_touch(view: ApiKeyView, now: datetime) -> bool:
    return view.last_used_at is None or now - view.last_used_at >= TOUCH_INTERVAL


def touch(conn: Connection, key_id: str, now: datetime) -> None:
    conn.execute(api_key.update().where(api_key.c.key_id == key_id).values(last_used_at=now))


def key_actor(view: ApiKeyView) -> Actor:
    return Actor(email=actor_name(view.name), roles=frozenset(view.roles), source=Source.API)
