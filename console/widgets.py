"""What every page shares: set-up with the role check, the one place engine errors become messages,
progress rendering, and safe rendering of user text."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from console import signin
from console.handle import get_ledger
from console.text import plain
from engine.api import Actor, Ledger
from engine.auth.roles import Permission
from engine.errors import Conflict, EngineError, Forbidden, NotFound, StoreUnavailable, ValidationError
from engine.logs import get_logger
from engine.progress import Progress

T = TypeVar("T")
log = get_logger("console")


@dataclass(frozen=True)
class PageContext:
    ledger: Ledger
    actor: Actor


def page_setup(title: str, permission: Permission, *, caption: str | None = None) -> PageContext:
    """Every page starts here: the signed-in actor must hold the page's permission (the router
    hides the page already; this refuses a direct visit, and the engine checks again)."""
    actor = signin.current_actor()
    if actor is None:
        st.warning("Your session ended. Sign in again.")
        st.stop()
    assert actor is not None
    if not actor.can(permission):
        st.error(f"{plain(actor.email)} may not open {title}: it needs a role that can {permission.value}.")
        st.stop()
    st.title(title)
    if caption:
        st.caption(caption)
    return PageContext(get_ledger(), actor)


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one engine call; an engine error becomes a specific message on the page (the one place
    that does this). Returns None when the call failed."""
    try:
        return fn(*args, **kwargs)
    except Forbidden as error:
        st.error(plain(error.message), icon=":material/block:")
    except (ValidationError, NotFound, Conflict) as error:
        st.warning(plain(error.message), icon=":material/warning:")
    except StoreUnavailable as error:
        st.error(plain(error.message), icon=":material/database:")
    except EngineError as error:
        st.error(plain(error.message))
    return None


def form_request_id(form_key: str, *inputs: object) -> str:
    """The idempotency key of one form submission (DOMAIN "client_request_id"): the same inputs
    submitted again (a double click, a retry after a dropped connection) carry the same key, so the
    engine answers with the stored result instead of acting twice. New inputs, or a file chosen
    again in the uploader, make a new key."""
    ids: dict[str, str] = st.session_state.setdefault(f"_request_ids_{form_key}", {})
    fingerprint = "|".join(str(part) for part in inputs)
    if fingerprint not in ids:
        ids[fingerprint] = str(uuid.uuid4())
    return ids[fingerprint]


@contextmanager
def status_progress(label: str) -> Iterator[Progress]:
    """A ``Progress`` callback drawn as an ``st.status`` box with a progress bar."""
    with st.status(label, expanded=False) as box:
        bar = st.progress(0.0)

        def report(step: str, done: int, total: int) -> None:
            bar.progress(min(done / total, 1.0) if total else 1.0, text=step)
            box.update(label=f"{label}: {step}")

        yield report
        box.update(label=f"{label}: finished", state="complete")


def money(value: object) -> str:
    return f"{value:,.2f}" if value is not None else "—"
