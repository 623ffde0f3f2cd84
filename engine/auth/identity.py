"""Single sign-on: which account an identity provider's sign-in opens, and whether it may.

``st.login`` (OIDC) hands the console the ID token's claims. The account is found by the
provider's stable subject (``oid`` for Microsoft Entra ID, else ``sub``, with the issuer) once it is
bound; the first sign-in finds it by e-mail and binds it. An e-mail changed at the provider keeps
the account; an e-mail that now names another account's bound identity is refused, as is an
address the provider says it has not verified.

Streamlit keeps the claims in its own cookie for 30 days, so a sign-in at the provider is taken as
proof only while it is fresh: issued within the idle timeout, and after the user's latest session
ended (signed out everywhere, roles or password changed, idled out). Otherwise the user is sent
back to the provider (``SignInAgain``) instead of being let in on an old sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth import sessions, users
from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import AuthenticationFailed, NotFound, SignInAgain, ValidationError
from engine.ledger.audit import record_action
from engine.store.schema import user_identity
from engine.vocab import Source

# The provider's clock may run a little ahead of ours; a token "issued" within this much of the
# future is taken as issued now.
CLOCK_SKEW = timedelta(minutes=5)


class Identity(BaseModel):
    """What an identity provider vouched for, read from the ID token's claims."""

    model_config = ConfigDict(frozen=True)

    issuer: str
    subject: str
    email: str
    email_verified: bool | None
    issued_at: datetime

    @classmethod
    def from_claims(cls, claims: Mapping[str, object]) -> Identity:
        issuer, email = claims.get("iss"), claims.get("email")
        # Entra ID's `sub` differs per application; its `oid` is the user's one id in the tenant.
        subject = claims.get("oid") or claims.get("sub")
        # `iat`, not `auth_time`: a provider that re-issues a token from its own sign-in session
        # keeps the old auth_time, and the user could never get past the freshness rule.
        issued = claims.get("iat") or claims.get("auth_time")
        if not (issuer and subject and email and isinstance(issued, int | float)):
            raise AuthenticationFailed(
                "The identity provider's sign-in lacks the issuer, subject, e-mail or issue time "
                "OpsLedger needs; ask an admin to check the [auth] settings."
            )
        verified = claims.get("email_verified")
        return cls(
            issuer=str(issuer),
            subject=str(subject),
            email=str(email),
            email_verified=None if verified is None else verified in (True, "true", "True"),
            issued_at=datetime.fromtimestamp(issued, UTC),
        )


def sign_in_actor(conn: Connection, identity: Identity, *, idle_minutes: int, trace_id: str) -> Actor:
    """The account this identity opens a session for (bound to it on first use), or a refusal."""
    if identity.email_verified is False:
        raise AuthenticationFailed(
            f"The identity provider has not verified {identity.email}; verify the address there first."
        )
    bound = _bound_email(conn, identity)
    email = bound or _unbound_account(conn, identity)
    actor = _active_actor(conn, email, shown=identity.email)
    _require_fresh(conn, identity, actor.email, idle_minutes=idle_minutes)
    if bound is None:
        _bind(conn, identity, actor, trace_id=trace_id)
    return actor


def _bound_email(conn: Connection, identity: Identity) -> str | None:
    value = conn.execute(
        sa.select(user_identity.c.email).where(
            user_identity.c.issuer == identity.issuer, user_identity.c.subject == identity.subject
        )
    ).scalar_one_or_none()
    return None if value is None else str(value)


def _unbound_account(conn: Connection, identity: Identity) -> str:
    try:
        email = users.normalise_email(identity.email)
    except ValidationError as bad:
        raise AuthenticationFailed(f"{identity.email!r} is not an e-mail address OpsLedger can use.") from bad
    taken = conn.execute(sa.select(user_identity.c.email).where(user_identity.c.email == email)).first()
    if taken is not None:
        raise AuthenticationFailed(
            f"The OpsLedger account {email} belongs to another organisation identity; ask an admin."
        )
    return email


def _active_actor(conn: Connection, email: str, *, shown: str) -> Actor:
    try:
        actor = users.actor_for(conn, email, Source.CONSOLE)
    except NotFound as missing:
        raise AuthenticationFailed(f"{shown} has no OpsLedger account yet.") from missing
    if not actor.roles:
        raise AuthenticationFailed(f"{actor.email} has no OpsLedger roles yet; ask an admin.")
    return actor


def _require_fresh(conn: Connection, identity: Identity, email: str, *, idle_minutes: int) -> None:
    now = utcnow()
    issued = min(identity.issued_at, now) if identity.issued_at <= now + CLOCK_SKEW else None
    ended = sessions.latest_session_end(conn, email)
    if issued is None or now - issued > timedelta(minutes=idle_minutes) or (ended and issued <= ended):
        raise SignInAgain(
            "Your OpsLedger session has ended; sign in with your organisation account again.",
            email=email,
        )


def _bind(conn: Connection, identity: Identity, actor: Actor, *, trace_id: str) -> None:
    conn.execute(
        user_identity.insert().values(
            issuer=identity.issuer, subject=identity.subject, email=actor.email, bound_at=utcnow()
        )
    )
    record_action(
        conn,
        actor,
        "USER_IDENTITY_BOUND",
        entity_type="user",
        entity_id=actor.email,
        trace_id=trace_id,
        after={"issuer": identity.issuer, "subject": identity.subject},
    )
