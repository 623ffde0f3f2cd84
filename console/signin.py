"""Sign-in: OIDC through ``st.login`` when ``[auth]`` is configured, local accounts otherwise.

The session lives in the engine (``user_session``). This tab remembers its session id in
``st.session_state``; reloads and new tabs find it in the signed, HttpOnly, SameSite cookie that the
console's own route ``/api/session/start`` sets. The route hands the cookie only to the browser that
signed in: the engine's grant is bound to the browser's binding cookie, which this script reads from
its connection's cookies. Signing out ends every session of the user, so every tab and browser
holding the cookie is signed out with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import streamlit as st

from console.handle import get_ledger
from console.text import plain
from engine import api
from engine.api import Actor
from engine.auth.sessions import BINDING_COOKIE_NAME, COOKIE_NAME, unsign_session
from engine.errors import AuthenticationFailed, EngineError, SignInAgain

SESSION_KEY = "_opsledger_session_id"
_PENDING_COOKIE = "_opsledger_cookie_grant"
_CLEAR_COOKIE = "_opsledger_clear_cookie"
# The cookie this tab's connection came with is fixed for the life of the connection (Streamlit reads
# it once); after it has been cleared it must not be cleared (nor resolved) again: the browser may
# hold a newer session's cookie by then.
_CLEARED_COOKIE = "_opsledger_cleared_cookie"
_OIDC_REFUSED = "_opsledger_oidc_refused"
_OIDC_AGAIN = "_opsledger_oidc_again"


def oidc_provider() -> str | None:
    """The configured ``[auth]`` provider: a named sub-table (``[auth.microsoft]``) or the default."""
    try:
        auth = st.secrets.get("auth")
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return None
    if not auth:
        return None
    named = [key for key, value in auth.items() if hasattr(value, "items")]
    return named[0] if named else "default"


def _cookie(name: str) -> str | None:
    """A cookie of this tab's connection (a str, or None; test harnesses may hand back stand-ins)."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) and value else None


def _cookie_session_id() -> str | None:
    raw = _cookie(COOKIE_NAME)
    if not raw or raw == st.session_state.get(_CLEARED_COOKIE):
        return None
    return unsign_session(api.cookie_secret(get_ledger()), raw)


# The actor the router resolved for the page script it is running: the page's set-up takes it
# instead of resolving the session a second time in the same run (each resolution is a database
# write: it keeps the session alive). Outside a routed run (a page run on its own) it is unset.
_routed: ContextVar[Actor | None] = ContextVar("opsledger_routed_actor", default=None)


@contextmanager
def routed(actor: Actor) -> Iterator[None]:
    """Run the page with ``actor`` already resolved for this run."""
    token = _routed.set(actor)
    try:
        yield
    finally:
        _routed.reset(token)


def page_actor() -> Actor | None:
    """The actor of the page being run: the one the router resolved in this run, or resolved now."""
    return _routed.get() or current_actor()


def current_actor() -> Actor | None:
    """The signed-in actor of this browser session, or None (and the stale session forgotten)."""
    ledger = get_ledger()
    session_id = st.session_state.get(SESSION_KEY) or _cookie_session_id()
    actor = api.resolve_session(ledger, session_id) if session_id else None
    if actor is None and oidc_provider() and st.user.is_logged_in:
        opened = _sign_in_oidc()
        if opened is not None:
            session_id = opened
            actor = api.resolve_session(ledger, session_id)
    if actor is None:
        # This tab's session ended (signed out elsewhere, idled out), or its connection came with a
        # cookie that is no good (ended, bad signature): ask the browser to drop it, once.
        raw = _cookie(COOKIE_NAME)
        if session_id or (raw and raw != st.session_state.get(_CLEARED_COOKIE)):
            st.session_state[_CLEAR_COOKIE] = True
        st.session_state.pop(SESSION_KEY, None)
        return None
    st.session_state[SESSION_KEY] = session_id
    return actor


def _sign_in_oidc() -> str | None:
    """A session for the identity the provider vouched for, or None with the reason kept to show."""
    try:
        result = api.sign_in_oidc(get_ledger(), claims=st.user.to_dict())
    except SignInAgain as stale:  # an old sign-in at the provider: go through it again
        st.session_state[_OIDC_AGAIN] = stale.message
        return None
    except EngineError as error:  # signed in at the identity provider, but not let in here
        st.session_state[_OIDC_REFUSED] = error.message
        return None
    remember_session(result.session_id)
    return result.session_id


def remember_session(session_id: str) -> None:
    """This tab's new session; the browser is granted its cookie when it holds a binding cookie
    (without one the session works in this tab and is not remembered across reloads)."""
    # A clean-up still owed to an earlier session must not reach the cookie of this one.
    st.session_state.pop(_CLEAR_COOKIE, None)
    st.session_state[SESSION_KEY] = session_id
    binding = _cookie(BINDING_COOKIE_NAME)
    if binding:
        api.grant_session_cookie(get_ledger(), session_id, binding=binding)
        st.session_state[_PENDING_COOKIE] = True


def emit_cookie_updates() -> None:
    """Let the browser fetch the cookie route once (an invisible image: no script, same origin, and
    nothing secret in its URL: the route recognises the browser by its binding cookie)."""
    if st.session_state.pop(_PENDING_COOKIE, False):
        st.html('<img src="/api/session/start" alt="" width="1" height="1">')
    elif st.session_state.pop(_CLEAR_COOKIE, False):
        st.session_state[_CLEARED_COOKIE] = _cookie(COOKIE_NAME)
        st.html('<img src="/api/session/end" alt="" width="1" height="1">')


def render_sign_in() -> None:
    """The sign-in form as a narrow card in the middle of the page (the console is laid out wide)."""
    _, card, _ = st.columns([1, 1, 1])
    with card:
        _sign_in_card()


def _sign_in_card() -> None:
    st.title("Sign in to OpsLedger")
    provider = oidc_provider()
    again = st.session_state.pop(_OIDC_AGAIN, None)
    refused = st.session_state.pop(_OIDC_REFUSED, None)
    if again:
        st.info(plain(again))
    if refused:
        st.error(f"{plain(refused)} Sign out of your organisation account below, or ask an admin to add you.")
        if st.button("Sign out of the organisation account"):
            st.logout()
    if provider:
        if st.button("Sign in with your organisation account", type="primary"):
            st.login(None if provider == "default" else provider)
        st.caption("Or with a local OpsLedger account:")
    _local_sign_in_form(primary=not provider)


def _local_sign_in_form(*, primary: bool) -> None:
    with st.form("sign-in"):
        email = st.text_input("E-mail", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary" if primary else "secondary")
    if not submitted:
        return
    if not email or not password:
        st.warning("Enter your e-mail and password.")
        return
    try:
        result = api.sign_in(get_ledger(), email=email, password=password)
    except AuthenticationFailed as error:
        st.error(error.message)
        settings = get_ledger().settings
        # The engine's answer is the same for unknown, locked and wrong: the rule is told to all.
        st.caption(
            f"After {settings.lockout_attempts} failed sign-ins in a row an account is locked for "
            f"{settings.lockout_minutes} minutes."
        )
        return
    remember_session(result.session_id)
    st.rerun()


def sign_out(actor: Actor) -> None:
    """End every session of this user (all tabs and browsers), then forget this tab's."""
    st.session_state.pop(SESSION_KEY, None)
    api.sign_out(get_ledger(), actor=actor)
    st.session_state[_CLEAR_COOKIE] = True
    for key in [k for k in st.session_state if not str(k).startswith("_opsledger")]:
        del st.session_state[key]
    if oidc_provider() and st.user.is_logged_in:
        st.logout()


def render_account(actor: Actor) -> None:
    with st.sidebar:
        st.caption(  # the address in a code span: shown as typed, never turned into a mailto link
            f"Signed in as `{actor.email.replace('`', '')}`  \nRoles: {', '.join(sorted(actor.roles))}"
        )
        if st.button("Sign out", key="sign-out", icon=":material/logout:"):
            sign_out(actor)
            st.rerun()
