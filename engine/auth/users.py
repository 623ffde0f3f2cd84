"""Local accounts: argon2 password hashes, roles per user, lockout after repeated failures.

Signing in is three steps so that the slow part holds no lock and every answer costs the same:
read the stored hash (``read_credentials``), verify the password once (``verify``: exactly one
argon2 verification for unknown, locked, deactivated and known accounts alike), then record the
attempt in one atomic statement (``record_attempt``). The failed-attempt counter is incremented
in the database (``failed_attempts + 1``), never read and written back, so parallel guesses are all
counted; a locked account answers exactly like a wrong password, so the answer does not tell
whether an account exists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth import sessions
from engine.auth.roles import Actor
from engine.auth.sessions import roles_of
from engine.clock import utcnow
from engine.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from engine.ledger.audit import record_action
from engine.store.schema import app_user, user_role
from engine.vocab import Role, Source

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong address costs the same time as a wrong
# password and response times do not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValidationError(f"{email!r} is not an e-mail address.", field="email")
    return value


def parse_roles(values: list[str] | tuple[str, ...]) -> frozenset[Role]:
    roles: set[Role] = set()
    for value in values:
        for part in str(value).split(","):
            name = part.strip().lower()
            if not name:
                continue
            try:
                roles.add(Role(name))
            except ValueError as exc:
                known = ", ".join(r.value for r in Role)
                raise ValidationError(f"Unknown role {name!r}; roles are {known}.", field="role") from exc
    if not roles:
        raise ValidationError("Give the user at least one role.", field="role")
    return frozenset(roles)


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", field="password")


class UserView(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: str
    display_name: str
    roles: list[Role]
    active: bool
    has_password: bool
    locked_until: datetime | None
    created_at: datetime


def get_user(conn: Connection, email: str) -> UserView:
    key = normalise_email(email)
    row = conn.execute(sa.select(app_user).where(app_user.c.email == key)).first()
    if row is None:
        raise NotFound(f"No user {key}. Create it with: python -m engine users add --email {key} --role ROLE")
    m = row._mapping
    return UserView(
        email=m["email"],
        display_name=m["display_name"],
        roles=sorted(roles_of(conn, key)),
        active=m["active"],
        has_password=m["password_hash"] is not None,
        locked_until=m["locked_until"],
        created_at=m["created_at"],
    )


def list_users(conn: Connection) -> list[UserView]:
    emails = conn.execute(sa.select(app_user.c.email).order_by(app_user.c.email)).scalars().all()
    return [get_user(conn, e) for e in emails]


def actor_for(conn: Connection, email: str, source: Source) -> Actor:
    """The acting user with the roles stored for them; unknown or inactive users may do nothing."""
    user = get_user(conn, email)
    if not user.active:
        raise AuthenticationFailed(f"{user.email} is deactivated. Ask an admin.")
    return Actor(email=user.email, roles=frozenset(user.roles), source=source)


def add_user(
    conn: Connection,
    actor: Actor,
    *,
    email: str,
    roles: frozenset[Role],
    password: str | None,
    display_name: str | None,
    trace_id: str,
) -> UserView:
    key = normalise_email(email)
    if conn.execute(sa.select(app_user.c.email).where(app_user.c.email == key)).first():
        raise Conflict(f"User {key} exists already; change its roles instead.", email=key)
    if password is not None:
        check_password(password)
    now = utcnow()
    conn.execute(
        app_user.insert().values(
            email=key,
            display_name=(display_name or key.split("@")[0]).strip()[:200],
            password_hash=_hasher.hash(password) if password is not None else None,
            active=True,
            failed_attempts=0,
            created_at=now,
            updated_at=now,
        )
    )
    conn.execute(user_role.insert(), [{"email": key, "role": str(r)} for r in sorted(roles)])
    record_action(
        conn,
        actor,
        "USER_ADDED",
        entity_type="user",
        entity_id=key,
        trace_id=trace_id,
        after={"roles": sorted(roles), "password": password is not None},
    )
    return get_user(conn, key)


def set_roles(
    conn: Connection, actor: Actor, *, email: str, roles: frozenset[Role], trace_id: str
) -> UserView:
    before = get_user(conn, email)
    if before.email == actor.email and Role.ADMIN in before.roles and Role.ADMIN not in roles:
        raise ValidationError("You cannot remove your own admin role; ask another admin.", field="role")
    conn.execute(sa.delete(user_role).where(user_role.c.email == before.email))
    conn.execute(user_role.insert(), [{"email": before.email, "role": str(r)} for r in sorted(roles)])
    conn.execute(sa.update(app_user).where(app_user.c.email == before.email).values(updated_at=utcnow()))
    # A changed role takes effect by a fresh sign-in: sessions opened under the old roles end.
    ended = sessions.end_user_sessions(conn, before.email) if roles != frozenset(before.roles) else 0
    record_action(
        conn,
        actor,
        "USER_ROLES_SET",
        entity_type="user",
        entity_id=before.email,
        trace_id=trace_id,
        before={"roles": sorted(before.roles)},
        after={"roles": sorted(roles), "sessions_ended": ended},
    )
    return get_user(conn, before.email)


def set_active(conn: Connection, actor: Actor, *, email: str, active: bool, trace_id: str) -> UserView:
    before = get_user(conn, email)
    if before.email == actor.email and not active:
        raise ValidationError("You cannot deactivate yourself.", field="email")
    conn.execute(
        sa.update(app_user).where(app_user.c.email == before.email).values(active=active, updated_at=utcnow())
    )
    ended = 0 if active else sessions.end_user_sessions(conn, before.email)
    record_action(
        conn,
        actor,
        "USER_ACTIVATED" if active else "USER_DEACTIVATED",
        entity_type="user",
        entity_id=before.email,
        trace_id=trace_id,
        before={"active": before.active},
        after={"active": active, "sessions_ended": ended},
    )
    return get_user(conn, before.email)


def _user_row(conn: Connection, key: str) -> sa.Row[tuple[object, ...]] | None:
    return conn.execute(sa.select(app_user).where(app_user.c.email == key)).first()


def set_password(
    conn: Connection, actor: Actor, *, email: str, password: str, action: str, trace_id: str
) -> UserView:
    """Store a new password (the user's change, or an admin's reset): the lockout is lifted and
    every session of the user ends with the old password."""
    check_password(password)
    user = get_user(conn, email)
    conn.execute(
        sa.update(app_user)
        .where(app_user.c.email == user.email)
        .values(
            password_hash=_hasher.hash(password), failed_attempts=0, locked_until=None, updated_at=utcnow()
        )
    )
    ended = sessions.end_user_sessions(conn, user.email)
    record_action(
        conn,
        actor,
        action,
        entity_type="user",
        entity_id=user.email,
        trace_id=trace_id,
        after={"sessions_ended": ended},
    )
    return get_user(conn, user.email)


# ---------------------------------------------------------------- signing in with a password

FAILED_MESSAGE = "E-mail or password is wrong."


@dataclass(frozen=True)
class Credentials:
    """What a sign-in attempt is checked against. ``password_hash`` is the dummy hash when there is
    no usable account, so that the one verification costs the same either way."""

    email: str
    usable: bool
    password_hash: str
    exists: bool = False


@dataclass(frozen=True)
class SignInOutcome:
    email: str
    ok: bool
    message: str = FAILED_MESSAGE


def read_credentials(conn: Connection, email: str) -> Credentials:
    try:
        key = normalise_email(email)
    except ValidationError:
        return Credentials(email=str(email)[:254], usable=False, password_hash=_DUMMY_HASH)
    row = _user_row(conn, key)
    if row is None:
        return Credentials(email=key, usable=False, password_hash=_DUMMY_HASH)
    usable = row.password_hash is not None and bool(row.active)
    return Credentials(
        email=key, usable=usable, password_hash=row.password_hash if usable else _DUMMY_HASH, exists=True
    )


def verify(credentials: Credentials, password: str) -> bool:
    """The one argon2 verification of an attempt (against the dummy hash for unusable accounts)."""
    try:
        matched = _hasher.verify(credentials.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False
    return matched and credentials.usable


def _open_for_sign_in(credentials: Credentials, now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        app_user.c.email == credentials.email,
        app_user.c.active.is_(True),
        app_user.c.password_hash.is_not(None),
        sa.or_(app_user.c.locked_until.is_(None), app_user.c.locked_until <= now),
    )


def record_attempt(
    conn: Connection,
    credentials: Credentials,
    *,
    verified: bool,
    password: str,
    lockout_attempts: int,
    lockout_minutes: int,
    trace_id: str,
) -> SignInOutcome:
    """Record one attempt atomically. Failures are returned (and committed by the caller), not
    raised, so the counter survives; the caller raises ``AuthenticationFailed`` afterwards."""
    now = utcnow()
    if verified:
        if _accept(conn, credentials, password, now):
            return SignInOutcome(email=credentials.email, ok=True)
        _audit_attempt(conn, credentials, "SIGN_IN_WHILE_LOCKED", {"locked": True}, trace_id)
        return SignInOutcome(email=credentials.email, ok=False)
    counted = _count_failure(conn, credentials, now, limit=lockout_attempts, minutes=lockout_minutes)
    if counted is None:  # unknown, deactivated or without a password (nothing to count), or locked
        if credentials.usable:
            _audit_attempt(conn, credentials, "SIGN_IN_WHILE_LOCKED", {"locked": True}, trace_id)
    elif counted.locked_until is not None:
        _audit_attempt(conn, credentials, "SIGN_IN_LOCKED", {"failed_attempts": lockout_attempts}, trace_id)
    else:
        _audit_attempt(
            conn, credentials, "SIGN_IN_FAILED", {"failed_attempts": counted.failed_attempts}, trace_id
        )
    return SignInOutcome(email=credentials.email, ok=False)


def _count_failure(
    conn: Connection, credentials: Credentials, now: datetime, *, limit: int, minutes: int
) -> sa.Row[tuple[int, datetime | None]] | None:
    """One failure more, counted by the database (no lost increments under parallel guesses); the
    failure that reaches the limit locks the account and starts the count again. None when there was
    nothing to count: no usable account, or one that is locked."""
    locks = sa.literal(1) + app_user.c.failed_attempts >= limit
    return conn.execute(
        sa.update(app_user)
        .where(_open_for_sign_in(credentials, now))
        .values(
            failed_attempts=sa.case((locks, 0), else_=app_user.c.failed_attempts + 1),
            locked_until=sa.case((locks, now + timedelta(minutes=minutes)), else_=None),
        )
        .returning(app_user.c.failed_attempts, app_user.c.locked_until)
    ).first()


def _accept(conn: Connection, credentials: Credentials, password: str, now: datetime) -> bool:
    """Clear the counter unless the account was locked (or its password changed) meanwhile."""
    row = conn.execute(
        sa.update(app_user)
        .where(_open_for_sign_in(credentials, now), app_user.c.password_hash == credentials.password_hash)
        .values(failed_attempts=0, locked_until=None)
        .returning(app_user.c.email)
    ).first()
    if row is None:
        return False
    if _hasher.check_needs_rehash(credentials.password_hash):
        conn.execute(
            sa.update(app_user)
            .where(app_user.c.email == credentials.email)
            .values(password_hash=_hasher.hash(password))
        )
    return True


def _audit_attempt(
    conn: Connection, credentials: Credentials, action: str, after: dict[str, object], trace_id: str
) -> None:
    system = Actor(email=credentials.email, roles=roles_of(conn, credentials.email), source=Source.CONSOLE)
    record_action(
        conn, system, action, entity_type="user", entity_id=credentials.email, trace_id=trace_id, after=after
    )
