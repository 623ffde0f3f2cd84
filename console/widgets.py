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
from engine.api import (
    Actor,
    Conflict,
    EngineError,
    Forbidden,
    Ledger,
    NotFound,
    Page,
    Permission,
    Progress,
    StoreUnavailable,
    ValidationError,
)
from engine.logs import get_logger

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
    again in the uploader, make a new key; so does ``form_done`` once a result was shown."""
    ids: dict[str, str] = st.session_state.setdefault(f"_request_ids_{form_key}", {})
    fingerprint = "|".join(str(part) for part in inputs)
    if fingerprint not in ids:
        ids[fingerprint] = str(uuid.uuid4())
    return ids[fingerprint]


def form_done(form_key: str) -> None:
    """The result of a submission was shown in full: a later press of the same button with the same
    inputs is a new request (a rerun the user asked for), not a retry. Call it after the result is
    rendered: a double click interrupts that first run before it gets here, so its twin replays."""
    st.session_state.pop(f"_request_ids_{form_key}", None)


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


def pager(key: str, *, page_size: int) -> int:
    """The offset of the page of a long list the user is on (paging itself is the engine's)."""
    number = int(st.session_state.get(f"_page_{key}", 1))
    return (max(number, 1) - 1) * page_size


def page_footer(key: str, page: Page[Any], *, noun: str = "rows") -> None:
    """'Rows 1–100 of 1,234' under a list, and the page picker when there is more than one page."""
    if page.total == 0:
        return
    pages = (page.total + page.limit - 1) // page.limit
    state = f"_page_{key}"
    if int(st.session_state.get(state, 1)) > pages:  # the list shrank under the page the user was on
        st.session_state[state] = pages
    st.caption(f"{noun.capitalize()} {page.first:,}–{page.last:,} of {page.total:,}")
    if pages > 1:
        st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=state, width=160)


def next_job_runs() -> dict[str, Any] | None:
    """When each job runs next in this process's scheduler; None when no scheduler runs here."""
    from jobs.scheduler import running_scheduler

    scheduler = running_scheduler()
    return {job.id: job.next_run_time for job in scheduler.get_jobs()} if scheduler else None


def money(value: object) -> str:
    return f"{value:,.2f}" if value is not None else "—"
