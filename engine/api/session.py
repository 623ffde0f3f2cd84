"""Signing in and out: local accounts, single sign-on, console sessions and their cookie."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.api.access import Gate, requires
from engine.auth import identity, sessions, users
from engine.auth.roles import Actor
from engine.errors import AuthenticationFailed, ValidationError
from engine.handle import Ledger
from engine.ledger.audit import record_action
from engine.ledger.requests import check_request_id, fingerprint, remember, stored
from engine.logs import traced
from engine.vocab import Role, Source

UserView = users.UserView


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


def _open_session(conn: Connection, email: str, *, method: str, trace_id: str) -> SignIn | None:
    roles = users.roles_of(conn, email)
    if not roles:
        return None
    session_id = sessions.start_session(conn, email, method=method)
    actor = Actor(email=email, roles=roles, source=Source.CONSOLE)
    record_action(
        conn,
        actor,
        "SIGN_IN",
        entity_type="user",
        entity_id=email,
        trace_id=trace_id,
        after={"method": method},
    )
    return SignIn(session_id=session_id, email=email, roles=sorted(roles))


def _attempt(ledger: Ledger, email: str, password: str) -> tuple[users.Credentials, bool]:
    """Read the stored hash and verify the password: outside any transaction, as it is the slow
    part (one argon2 verification, whatever the account)."""
    with ledger.db.read() as conn:
        credentials = users.read_credentials(conn, email)
    return credentials, users.verify(credentials, password)


def _record(
    conn: Connection, ledger: Ledger, attempt: tuple[users.Credentials, bool], password: str, trace_id: str
) -> users.SignInOutcome:
    credentials, verified = attempt
    return users.record_attempt(
        conn,
        credentials,
        verified=verified,
        password=password,
        lockout_attempts=ledger.settings.lockout_attempts,
        lockout_minutes=ledger.settings.lockout_minutes,
        trace_id=trace_id,
    )


@requires(Gate.OPEN)
def sign_in(ledger: Ledger, *, email: str, password: str) -> SignIn:
    """Local account sign-in; raises ``AuthenticationFailed`` with the reason to show. Unknown,
    locked and wrong-password attempts get the same answer after the same work."""
    with traced() as trace_id:
        attempt = _attempt(ledger, email, password)

        def work(conn: Connection) -> users.SignInOutcome | SignIn:
            outcome = _record(conn, ledger, attempt, password, trace_id)
            if not outcome.ok:
                return outcome
            opened = _open_session(conn, outcome.email, method="password", trace_id=trace_id)
            return opened or users.SignInOutcome(
                outcome.email, False, message="Your account has no roles yet; ask an admin."
            )

        result = ledger.db.write(work)
    if isinstance(result, users.SignInOutcome):
        raise AuthenticationFailed(result.message)
    return result


@requires(Gate.OPEN)
def sign_in_oidc(ledger: Ledger, *, claims: Mapping[str, object]) -> SignIn:
    """After the identity provider vouched for a user (``st.login``; ``claims`` are the ID token's):
    a session for the account bound to that identity. Raises ``SignInAgain`` when the provider's
    sign-in is too old to count, ``AuthenticationFailed`` when the identity may not come in."""
    vouched = identity.Identity.from_claims(claims)
    idle = ledger.settings.session_idle_minutes
    with traced() as trace_id:

        def work(conn: Connection) -> SignIn:
            actor = identity.sign_in_actor(conn, vouched, idle_minutes=idle, trace_id=trace_id)
            opened = _open_session(conn, actor.email, method="oidc", trace_id=trace_id)
            assert opened is not None  # sign_in_actor refuses accounts without roles
            return opened

        return ledger.db.write(work)


@requires(Gate.OPEN)
def grant_session_cookie(ledger: Ledger, session_id: str, *, binding: str) -> None:
    """Let the browser holding the binding cookie ``binding`` fetch the cookie of ``session_id``
    once, within a minute (the console's ``/api/session/start`` route redeems it)."""
    if not binding:
        raise ValidationError("The browser has no binding cookie; the session is kept in this tab only.")
    ledger.db.write(lambda conn: sessions.grant_cookie(conn, session_id, binding))


@requires(Gate.OPEN)
def redeem_session_grant(ledger: Ledger, *, binding: str | None) -> str | None:
    """The session granted to the browser with this binding cookie, once; None without a grant."""
    if not binding:
        return None
    return ledger.db.write(lambda conn: sessions.redeem_grant(conn, binding))


@requires(Gate.OPEN)
def resolve_session(ledger: Ledger, session_id: str | None) -> Actor | None:
    if not session_id:
        return None
    idle, lifetime = ledger.settings.session_idle_minutes, ledger.settings.session_max_hours
    return ledger.db.write(
        lambda conn: sessions.resolve_session(conn, session_id, idle_minutes=idle, max_hours=lifetime)
    )


@requires(Gate.SIGNED_IN)
def sign_out(ledger: Ledger, *, actor: Actor) -> int:
    """End every session of the signed-in user, in every tab and browser; returns how many."""
    with traced() as trace_id:

        def work(conn: Connection) -> int:
            ended = sessions.end_user_sessions(conn, actor.email)
            record_action(
                conn,
                actor,
                "SIGN_OUT",
                entity_type="user",
                entity_id=actor.email,
                trace_id=trace_id,
                after={"sessions_ended": ended},
            )
            return ended

        return ledger.db.write(work)


@requires(Gate.SIGNED_IN)
def my_account(ledger: Ledger, *, actor: Actor) -> UserView:
    with ledger.db.read() as conn:
        return users.get_user(conn, actor.email)


@requires(Gate.SIGNED_IN)
def change_password(
    ledger: Ledger,
    *,
    current_password: str,
    new_password: str,
    actor: Actor,
    request_id: str | None = None,
) -> SignIn:
    """The signed-in user's own password (local accounts). Every session of the user ends with the
    old password; the caller gets a new session. A wrong current password counts towards the
    lockout like a wrong sign-in."""
    users.check_password(new_password)
    if new_password == current_password:
        raise ValidationError("Choose a new password that differs from the current one.", field="password")
    key = check_request_id(request_id) if request_id else None
    # Never the passwords: the fingerprint is a fast hash kept in the request log.
    print_ = fingerprint("users.password", actor.email)
    with traced() as trace_id:
        attempt = _attempt(ledger, actor.email, current_password)
        if attempt[0].exists and not attempt[0].usable:
            raise ValidationError(
                "This account signs in through the organisation account; change the password there.",
                field="password",
            )

        def work(conn: Connection) -> SignIn | None:
            earlier = stored(conn, key, "users.password", print_, SignIn) if key else None
            if earlier is not None:
                return earlier
            if not _record(conn, ledger, attempt, current_password, trace_id).ok:
                return None
            opened = _replace_password(conn, actor, new_password, trace_id=trace_id)
            if key:
                remember(conn, key, "users.password", print_, opened, actor=actor, trace_id=trace_id)
            return opened

        result = ledger.db.write(work, retry_integrity=key is not None)
    if result is None:
        raise AuthenticationFailed("The current password is wrong.")
    return result


def _replace_password(conn: Connection, actor: Actor, password: str, *, trace_id: str) -> SignIn:
    users.set_password(
        conn, actor, email=actor.email, password=password, action="PASSWORD_CHANGED", trace_id=trace_id
    )
    opened = _open_session(conn, actor.email, method="password", trace_id=trace_id)
    if opened is None:
        raise AuthenticationFailed("Your account has no roles any more; ask an admin.")
    return opened


@requires(Gate.OPEN)
def cookie_secret(ledger: Ledger) -> str:
    return sessions.cookie_secret(ledger.settings)


@requires(Gate.OPEN)
def secure_cookies(ledger: Ledger, *, scheme: str, peer: str | None, forwarded_proto: str | None) -> bool:
    """Whether cookies set for this request must be ``Secure`` (https, directly or per a trusted proxy)."""
    return sessions.secure_cookies(ledger.settings, scheme=scheme, peer=peer, forwarded_proto=forwarded_proto)


__all__ = [
    "SignIn",
    "actor_for",
    "change_password",
    "cookie_secret",
    "grant_session_cookie",
    "my_account",
    "redeem_session_grant",
    "resolve_session",
    "secure_cookies",
    "sign_in",
    "sign_in_oidc",
    "sign_out",
]
