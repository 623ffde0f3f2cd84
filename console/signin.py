"""Sign-in: OIDC through ``st.login`` when ``[auth]`` is configured, local accounts otherwise.

The session lives in the engine (``user_session``). This tab remembers its session id in
``st.session_state``; reloads and new tabs find it in the signed, HttpOnly, SameSite cookie that the
console's own route ``/api/session/start`` sets after redeeming a one-time code. Signing out ends
the session row, so every tab holding the cookie is signed out with it.
"""

from __future__ import annotations

import streamlit as st

from console.handle import get_ledger
from console.text import plain
from engine import api
from engine.api import Actor
from engine.auth.sessions import COOKIE_NAME, unsign_session
from engine.errors import AuthenticationFailed, EngineError

SESSION_KEY = "_opsledger_session_id"
_PENDING_COOKIE = "_opsledger_cookie_code"
_CLEAR_COOKIE = "_opsledger_clear_cookie"


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


def _cookie_session_id() -> str | None:
    raw = st.context.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    return unsign_session(api.cookie_secret(get_ledger()), raw)


def current_actor() -> Actor | None:
    """The signed-in actor of this browser session, or None (and the stale session forgotten)."""
    ledger = get_ledger()
    session_id = st.session_state.get(SESSION_KEY) or _cookie_session_id()
    actor = api.resolve_session(ledger, session_id) if session_id else None
    if actor is None and oidc_provider() and st.user.is_logged_in and st.user.get("email"):
        try:
            result = api.sign_in_oidc(ledger, email=str(st.user.get("email")))
        except EngineError:
            return None
        _remember(result.session_id)
        session_id = result.session_id
        actor = api.resolve_session(ledger, session_id)
    if actor is None:
        st.session_state.pop(SESSION_KEY, None)
        if st.context.cookies.get(COOKIE_NAME):
            st.session_state[_CLEAR_COOKIE] = True
        return None
    st.session_state[SESSION_KEY] = session_id
    return actor


def _remember(session_id: str) -> None:
    st.session_state[SESSION_KEY] = session_id
    st.session_state[_PENDING_COOKIE] = api.issue_sign_in_code(get_ledger(), session_id)


def emit_cookie_updates() -> None:
    """Let the browser fetch the cookie route once (an invisible image: no script, same origin)."""
    code = st.session_state.pop(_PENDING_COOKIE, None)
    if code:
        st.html(f'<img src="/api/session/start?code={code}" alt="" width="1" height="1">')
    elif st.session_state.pop(_CLEAR_COOKIE, False):
        st.html('<img src="/api/session/end" alt="" width="1" height="1">')


def render_sign_in() -> None:
    st.title("Sign in to OpsLedger")
    provider = oidc_provider()
    if provider:
        if st.button("Sign in with your organisation account", type="primary"):
            st.login(None if provider == "default" else provider)
        st.caption("Or with a local OpsLedger account:")
    with st.form("sign-in"):
        email = st.text_input("E-mail", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary" if not provider else "secondary")
    if not submitted:
        return
    if not email or not password:
        st.warning("Enter your e-mail and password.")
        return
    try:
        result = api.sign_in(get_ledger(), email=email, password=password)
    except AuthenticationFailed as error:
        st.error(error.message)
        return
    _remember(result.session_id)
    st.rerun()


def sign_out(actor: Actor) -> None:
    session_id = st.session_state.pop(SESSION_KEY, None) or _cookie_session_id()
    if session_id:
        api.sign_out(get_ledger(), session_id, actor=actor)
    st.session_state[_CLEAR_COOKIE] = True
    for key in [k for k in st.session_state if not str(k).startswith("_opsledger")]:
        del st.session_state[key]
    if oidc_provider() and st.user.is_logged_in:
        st.logout()


def render_account(actor: Actor) -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{plain(actor.email)}**  \nRoles: {', '.join(sorted(actor.roles))}")
        if st.button("Sign out", key="sign-out", icon=":material/logout:"):
            sign_out(actor)
            st.rerun()
