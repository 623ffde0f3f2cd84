"""Local accounts: argon2 password hashes, roles per user, lockout after repeated failures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import as_utc, utcnow
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


def roles_of(conn: Connection, email: str) -> frozenset[Role]:
    rows = conn.execute(sa.select(user_role.c.role).where(user_role.c.email == email)).scalars()
    return frozenset(Role(r) for r in rows)


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


def user_exists(conn: Connection, email: str) -> bool:
    try:
        get_user(conn, email)
    except NotFound:
        return False
    return True


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
    record_action(
        conn,
        actor,
        "USER_ROLES_SET",
        entity_type="user",
        entity_id=before.email,
        trace_id=trace_id,
        before={"roles": sorted(before.roles)},
        after={"roles": sorted(roles)},
    )
    return get_user(conn, before.email)


def set_active(conn: Connection, actor: Actor, *, email: str, active: bool, trace_id: str) -> UserView:
    before = get_user(conn, email)
    if before.email == actor.email and not active:
        raise ValidationError("You cannot deactivate yourself.", field="email")
    conn.execute(
        sa.update(app_user).where(app_user.c.email == before.email).values(active=active, updated_at=utcnow())
    )
    record_action(
        conn,
        actor,
        "USER_ACTIVATED" if active else "USER_DEACTIVATED",
        entity_type="user",
        entity_id=before.email,
        trace_id=trace_id,
        before={"active": before.active},
        after={"active": active},
    )
    return get_user(conn, before.email)


@dataclass(frozen=True)
class SignInOutcome:
    email: str
    ok: bool
    locked_until: datetime | None = None
    message: str = ""


def check_credentials(
    conn: Connection,
    email: str,
    password: str,
    *,
    lockout_attempts: int,
    lockout_minutes: int,
    trace_id: str,
) -> SignInOutcome:
    """Verify a password and record the attempt. Failures are returned (and committed), not raised,
    so the failed-attempt counter survives; the caller raises ``AuthenticationFailed`` afterwards."""
    try:
        key = normalise_email(email)
    except ValidationError:
        return SignInOutcome(email=email, ok=False, message="E-mail or password is wrong.")
    row = conn.execute(sa.select(app_user).where(app_user.c.email == key)).first()
    now = utcnow()
    if row is None or row._mapping["password_hash"] is None or not row._mapping["active"]:
        _verify(_DUMMY_HASH, password)
        return SignInOutcome(email=key, ok=False, message="E-mail or password is wrong.")
    m = row._mapping
    system = Actor(email=key, roles=roles_of(conn, key), source=Source.CONSOLE)
    if m["locked_until"] is not None and as_utc(m["locked_until"]) > now:
        return SignInOutcome(
            email=key,
            ok=False,
            locked_until=m["locked_until"],
            message="Too many failed sign-ins: the account is locked until "
            f"{as_utc(m['locked_until']):%H:%M} UTC.",
        )
    if _verify(m["password_hash"], password):
        conn.execute(
            sa.update(app_user).where(app_user.c.email == key).values(failed_attempts=0, locked_until=None)
        )
        if _hasher.check_needs_rehash(m["password_hash"]):
            conn.execute(
                sa.update(app_user)
                .where(app_user.c.email == key)
                .values(password_hash=_hasher.hash(password))
            )
        return SignInOutcome(email=key, ok=True)
    attempts = int(m["failed_attempts"]) + 1
    locked_until = now + timedelta(minutes=lockout_minutes) if attempts >= lockout_attempts else None
    conn.execute(
        sa.update(app_user)
        .where(app_user.c.email == key)
        .values(failed_attempts=0 if locked_until else attempts, locked_until=locked_until)
    )
    record_action(
        conn,
        system,
        "SIGN_IN_LOCKED" if locked_until else "SIGN_IN_FAILED",
        entity_type="user",
        entity_id=key,
        trace_id=trace_id,
        after={"failed_attempts": attempts},
    )
    if locked_until:
        return SignInOutcome(
            email=key,
            ok=False,
            locked_until=locked_until,
            message=f"Too many failed sign-ins: the account is locked for {lockout_minutes} minutes.",
        )
    return SignInOutcome(email=key, ok=False, message="E-mail or password is wrong.")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
