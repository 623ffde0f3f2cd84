"""Console sessions behind a signed, HttpOnly, SameSite cookie.

The cookie carries a signed session id; the session row decides whether it is still good (not
ended, not idle longer than the idle timeout, not older than the absolute lifetime). Signing out
ends every session of the user, so every tab, browser and copy of the cookie stops working at once;
so do role changes, deactivation and password changes.

A browser gets the cookie from a console route that redeems a grant: stored after sign-in, valid
for a minute, usable once, and bound to the browser's binding cookie (random, HttpOnly,
SameSite=Strict, set by the console on its pages). Only the browser that signed in holds that
cookie, so a grant cannot be planted in another browser (login CSRF), and nothing secret travels
in a URL. Without the cookie secret a session id alone cannot be turned into a cookie.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import as_utc, utcnow
from engine.config import Settings
from engine.ids import new_ulid
from engine.store.schema import app_user, session_grant, user_role, user_session
from engine.vocab import Role, Source

COOKIE_NAME = "opsledger_session"
BINDING_COOKIE_NAME = "opsledger_binding"
GRANT_SECONDS = 60
# Writing last_seen on every rerun would turn each click into a write; a minute of slack on an
# idle timeout of an hour or more is invisible to users.
TOUCH_INTERVAL = timedelta(seconds=60)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def cookie_secret(settings: Settings) -> str:
    """From settings; else generated once into the data directory (readable by its owner only)."""
    if settings.cookie_secret is not None:
        return settings.cookie_secret.get_secret_value()
    path = settings.data_dir / ".cookie_secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return Path(path).read_text(encoding="utf-8").strip()


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="opsledger-session")


def sign_session(secret: str, session_id: str) -> str:
    return _serializer(secret).dumps(session_id)


def unsign_session(secret: str, cookie_value: str | None) -> str | None:
    if not cookie_value:
        return None
    try:
        value = _serializer(secret).loads(cookie_value)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def new_binding() -> str:
    return secrets.token_urlsafe(32)


def secure_cookies(settings: Settings, *, scheme: str, peer: str | None, forwarded_proto: str | None) -> bool:
    """Whether the browser reached the console over https, so cookies must be ``Secure``: always
    when configured so; when the request itself came over https; or when a trusted proxy (and only
    a trusted one: anyone can send the header) says it terminated TLS."""
    if settings.cookie_secure or scheme == "https":
        return True
    if not forwarded_proto or not peer:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    trusted = any(address in network for network in settings.trusted_proxy_networks)
    # A chain of proxies appends; the first value is what the browser used.
    return trusted and forwarded_proto.split(",")[0].strip().lower() == "https"


def start_session(conn: Connection, email: str, *, method: str) -> str:
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        user_session.insert().values(
            session_id=session_id, email=email, method=method, created_at=now, last_seen_at=now
        )
    )
    return session_id


def grant_cookie(conn: Connection, session_id: str, binding: str) -> None:
    now = utcnow()
    conn.execute(
        session_grant.insert().values(
            grant_id=new_ulid(),
            binding_hash=_digest(binding),
            session_id=session_id,
            created_at=now,
            expires_at=now + timedelta(seconds=GRANT_SECONDS),
        )
    )


def redeem_grant(conn: Connection, binding: str) -> str | None:
    """The live session granted to this browser most recently; every pending grant of the browser
    is used up with it (an older one would only hand back an older session)."""
    if not binding:
        return None
    now = utcnow()
    rows = conn.execute(
        sa.update(session_grant)
        .where(
            session_grant.c.binding_hash == _digest(binding),
            session_grant.c.used_at.is_(None),
            session_grant.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(session_grant.c.session_id, session_grant.c.created_at)
    ).all()
    if not rows:
        return None
    newest = max(rows, key=lambda row: as_utc(row.created_at)).session_id
    live = conn.execute(
        sa.select(user_session.c.session_id).where(
            user_session.c.session_id == newest, user_session.c.ended_at.is_(None)
        )
    ).first()
    return None if live is None else str(newest)


def roles_of(conn: Connection, email: str) -> frozenset[Role]:
    rows = conn.execute(sa.select(user_role.c.role).where(user_role.c.email == email)).scalars()
    return frozenset(Role(r) for r in rows)


def resolve_session(
    conn: Connection, session_id: str | None, *, idle_minutes: int, max_hours: float
) -> Actor | None:
    """The signed-in actor for a session id, or None when it ended, idled out, outlived its
    absolute lifetime, or the user is gone."""
    if not session_id:
        return None
    row = conn.execute(
        sa.select(user_session, app_user.c.active)
        .join(app_user, app_user.c.email == user_session.c.email)
        .where(user_session.c.session_id == session_id)
    ).first()
    if row is None or row.ended_at is not None or not row.active:
        return None
    now = utcnow()
    last_seen = as_utc(row.last_seen_at)
    idle = now - last_seen > timedelta(minutes=idle_minutes)
    if idle or now - as_utc(row.created_at) > timedelta(hours=max_hours):
        _end(conn, user_session.c.session_id == session_id)
        return None
    if now - last_seen > TOUCH_INTERVAL:
        conn.execute(
            sa.update(user_session).where(user_session.c.session_id == session_id).values(last_seen_at=now)
        )
    roles = roles_of(conn, row.email)
    return Actor(email=row.email, roles=roles, source=Source.CONSOLE) if roles else None


def _end(conn: Connection, which: sa.ColumnElement[bool]) -> int:
    ended = conn.execute(
        sa.update(user_session)
        .where(which, user_session.c.ended_at.is_(None))
        .values(ended_at=utcnow())
        .returning(user_session.c.session_id)
    ).all()
    return len(ended)


def end_user_sessions(conn: Connection, email: str) -> int:
    """End every open session of the user (sign-out "everywhere", role or password changes)."""
    return _end(conn, user_session.c.email == email)


def latest_session_end(conn: Connection, email: str) -> datetime | None:
    value = conn.execute(
        sa.select(sa.func.max(user_session.c.ended_at)).where(user_session.c.email == email)
    ).scalar_one()
    return None if value is None else as_utc(value)
