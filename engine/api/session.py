"""Signing in and out: local accounts, single sign-on, console sessions and their cookie."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.api.access import Gate, requires
from engine.auth import sessions, users
from engine.auth.roles import Actor
from engine.errors import AuthenticationFailed, NotFound
from engine.handle import Ledger
from engine.ledger.audit import record_action
from engine.logs import traced
from engine.vocab import Role, Source


class SignIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    email: str
    roles: list[Role]


@requires(Gate.OPEN)
def actor_for(ledger: Ledger, email: str, *, source: Source) -> Actor:
    """The stored user acting through the CLI or a script (``--user``); deactivated users may not."""
    with ledger.db.read() as conn:
        return users.actor_for(conn, email, source)


@requires(Gate.OPEN)
def sign_in(ledger: Ledger, *, email: str, password: str) -> SignIn:
    """Local account sign-in; raises ``AuthenticationFailed`` with the reason to show."""
    settings = ledger.settings
    with traced() as trace_id:

        def work(conn: Connection) -> tuple[users.SignInOutcome, str | None, frozenset[Role]]:
            outcome = users.check_credentials(
                conn,
                email,
                password,
                lockout_attempts=settings.lockout_attempts,
                lockout_minutes=settings.lockout_minutes,
                trace_id=trace_id,
            )
            if not outcome.ok:
                return outcome, None, frozenset()
            roles = users.roles_of(conn, outcome.email)
            if not roles:
                return (
                    users.SignInOutcome(
                        outcome.email, False, message="Your account has no roles yet; ask an admin."
                    ),
                    None,
                    roles,
                )
            session_id = sessions.start_session(conn, outcome.email, method="password")
            actor = Actor(email=outcome.email, roles=roles, source=Source.CONSOLE)
            record_action(
                conn,
                actor,
                "SIGN_IN",
                entity_type="user",
                entity_id=outcome.email,
                trace_id=trace_id,
                after={"method": "password"},
            )
            return outcome, session_id, roles

        outcome, session_id, roles = ledger.db.write(work)
    if session_id is None:
        raise AuthenticationFailed(outcome.message, email=outcome.email)
    return SignIn(session_id=session_id, email=outcome.email, roles=sorted(roles))


@requires(Gate.OPEN)
def sign_in_oidc(ledger: Ledger, *, email: str) -> SignIn:
    """After the identity provider vouched for ``email`` (``st.login``): a session for the stored user."""
    with traced() as trace_id:

        def work(conn: Connection) -> SignIn:
            try:
                actor = users.actor_for(conn, email, Source.CONSOLE)
            except NotFound as missing:
                raise AuthenticationFailed(f"{email} has no OpsLedger account yet.") from missing
            if not actor.roles:
                raise AuthenticationFailed(f"{actor.email} has no OpsLedger roles yet; ask an admin.")
            session_id = sessions.start_session(conn, actor.email, method="oidc")
            record_action(
                conn,
                actor,
                "SIGN_IN",
                entity_type="user",
                entity_id=actor.email,
                trace_id=trace_id,
                after={"method": "oidc"},
            )
            return SignIn(session_id=session_id, email=actor.email, roles=sorted(actor.roles))

        return ledger.db.write(work)


@requires(Gate.OPEN)
def issue_sign_in_code(ledger: Ledger, session_id: str) -> str:
    return ledger.db.write(lambda conn: sessions.issue_sign_in_code(conn, session_id))


@requires(Gate.OPEN)
def redeem_sign_in_code(ledger: Ledger, code: str) -> str | None:
    return ledger.db.write(lambda conn: sessions.redeem_sign_in_code(conn, code))


@requires(Gate.OPEN)
def resolve_session(ledger: Ledger, session_id: str | None) -> Actor | None:
    if not session_id:
        return None
    idle = ledger.settings.session_idle_minutes
    return ledger.db.write(lambda conn: sessions.resolve_session(conn, session_id, idle_minutes=idle))


@requires(Gate.SIGNED_IN)
def sign_out(ledger: Ledger, session_id: str, *, actor: Actor) -> None:
    with traced() as trace_id:

        def work(conn: Connection) -> None:
            if sessions.end_session(conn, session_id):
                record_action(
                    conn, actor, "SIGN_OUT", entity_type="user", entity_id=actor.email, trace_id=trace_id
                )

        ledger.db.write(work)


@requires(Gate.OPEN)
def cookie_secret(ledger: Ledger) -> str:
    return sessions.cookie_secret(ledger.settings)


__all__ = [
    "SignIn",
    "actor_for",
    "cookie_secret",
    "issue_sign_in_code",
    "redeem_sign_in_code",
    "resolve_session",
    "sign_in",
    "sign_in_oidc",
    "sign_out",
]
