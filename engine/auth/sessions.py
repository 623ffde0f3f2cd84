"""Console sessions behind a signed, HttpOnly, SameSite cookie.

The cookie carries a signed session id; the session row decides whether it is still good (not
signed out, not idle longer than the timeout). Signing out ends the row, so every tab and every
copy of the cookie stops working at once. A browser gets the cookie from a console route that
redeems a one-time sign-in code (valid for a minute, usable once, stored as a SHA-256 digest).
Without the cookie secret a session id alone cannot be turned into a cookie.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.auth.users import roles_of
from engine.clock import as_utc, utcnow
from engine.config import Settings
from engine.store.schema import app_user, sign_in_code, user_session
from engine.vocab import Source

COOKIE_NAME = "opsledger_session"
SIGN_IN_CODE_SECONDS = 60
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


def start_session(conn: Connection, email: str, *, method: str) -> str:
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        user_session.insert().values(
            session_id=session_id, email=email, method=method, created_at=now, last_seen_at=now
        )
    )
    return session_id


def issue_sign_in_code(conn: Connection, session_id: str) -> str:
    code = secrets.token_urlsafe(24)
    conn.execute(
        sign_in_code.insert().values(
            code_hash=_digest(code),
            session_id=session_id,
            expires_at=utcnow() + timedelta(seconds=SIGN_IN_CODE_SECONDS),
        )
    )
    return code


def redeem_sign_in_code(conn: Connection, code: str) -> str | None:
    key = _digest(code or "")
    row = conn.execute(
        sa.update(sign_in_code)
        .where(
            sign_in_code.c.code_hash == key,
            sign_in_code.c.used_at.is_(None),
            sign_in_code.c.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
        .returning(sign_in_code.c.session_id)
    ).first()
    return None if row is None else str(row[0])


def resolve_session(conn: Connection, session_id: str | None, *, idle_minutes: int) -> Actor | None:
    """The signed-in actor for a session id, or None when it ended, idled out or the user is gone."""
    if not session_id:
        return None
    key = session_id
    row = conn.execute(
        sa.select(user_session, app_user.c.active)
        .join(app_user, app_user.c.email == user_session.c.email)
        .where(user_session.c.session_id == key)
    ).first()
    if row is None or row._mapping["ended_at"] is not None or not row._mapping["active"]:
        return None
    now = utcnow()
    last_seen = as_utc(row._mapping["last_seen_at"])
    if now - last_seen > timedelta(minutes=idle_minutes):
        conn.execute(sa.update(user_session).where(user_session.c.session_id == key).values(ended_at=now))
        return None
    if now - last_seen > TOUCH_INTERVAL:
        conn.execute(sa.update(user_session).where(user_session.c.session_id == key).values(last_seen_at=now))
    email = row._mapping["email"]
    roles = roles_of(conn, email)
    if not roles:
        return None
    return Actor(email=email, roles=roles, source=Source.CONSOLE)


def end_session(conn: Connection, session_id: str) -> bool:
    row = conn.execute(
        sa.update(user_session)
        .where(user_session.c.session_id == session_id, user_session.c.ended_at.is_(None))
        .values(ended_at=utcnow())
        .returning(user_session.c.email)
    ).first()
    return row is not None
