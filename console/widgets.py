"""What every page shares: set-up with the role check, the one place engine errors become messages,
progress rendering, and safe rendering of user text."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

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
    Role,
    StoreUnavailable,
    ValidationError,
)
from engine.auth.roles import PERMISSIONS
from engine.clock import as_utc
from engine.logs import get_logger

T = TypeVar("T")
log = get_logger("console")


@dataclass(frozen=True)
class PageContext:
    ledger: Ledger
    actor: Actor

    def when(self, value: datetime | None) -> str:
        """A moment as people here read it: the business time zone, to the minute."""
        return local_time(value, self.ledger.settings.zone)

    @property
    def zone_name(self) -> str:
        return self.ledger.settings.timezone

    @property
    def upload_mb(self) -> int:
        """The uploaders' limit (the server's own, config.toml, is the carrier bill's, the largest)."""
        return max(1, math.ceil(self.ledger.settings.max_upload_mb))

    @property
    def carrier_upload_mb(self) -> int:
        return max(1, math.ceil(self.ledger.settings.max_carrier_upload_mb))


def page_setup(title: str, permission: Permission, *, caption: str | None = None) -> PageContext:
    """Every page starts here: the signed-in actor must hold the page's permission (the router
    hides the page already; this refuses a direct visit, and the engine checks again)."""
    actor = signin.page_actor()
    if actor is None:
        st.warning("Your session ended. Sign in again.")
        st.stop()
    assert actor is not None
    if not actor.can(permission):
        roles = [role.value for role in Role if role in PERMISSIONS[permission]]
        needed = " or ".join([", ".join(roles[:-1]), roles[-1]] if len(roles) > 1 else roles)
        st.error(
            f"{title} needs the {needed} role; you (`{actor.email.replace('`', '')}`) may not open it. "
            "Ask an admin for the role.",
            icon=":material/block:",
        )
        st.stop()
    st.title(title)
    if caption:
        st.caption(caption)
    return PageContext(get_ledger(), actor)


def local_time(value: datetime | None, zone: ZoneInfo) -> str:
    """``YYYY-MM-DD HH:MM`` in ``zone`` (empty for no value): every time a page shows."""
    return "" if value is None else f"{as_utc(value).astimezone(zone):%Y-%m-%d %H:%M}"


def show_error(error: EngineError) -> None:
    """An engine error as the message people see: the one place that decides how it looks. A
    refusal, something missing or in the way (no such tag, a BLOCKED tag, a stale view), a broken
    store or a fault is an error; input to fix in the form itself (a field) is a warning."""
    if isinstance(error, Forbidden):
        st.error(plain(error.message), icon=":material/block:")
    elif isinstance(error, ValidationError):
        st.warning(plain(error.message), icon=":material/warning:")
    elif isinstance(error, (NotFound, Conflict)):
        st.error(plain(error.message), icon=":material/error:")
    elif isinstance(error, StoreUnavailable):
        st.error(plain(error.message), icon=":material/database:")
    else:
        st.error(plain(error.message), icon=":material/error:")


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one engine call; an engine error becomes a specific message on the page. Returns None
    when the call failed."""
    try:
        return fn(*args, **kwargs)
    except EngineError as error:
        show_error(error)
    return None


def call_with_progress(label: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``call`` for long work that reports progress (``progress=`` is passed to ``fn``): a status box
    with a progress bar while it runs, gone once it finished; the result or the error is then shown by
    the caller or ``show_error``, on the page itself, never inside a collapsed box."""
    holder = st.empty()
    failed: EngineError | None = None
    result: T | None = None
    with holder.status(label, expanded=True) as box:
        bar = st.progress(0.0)

        def report(step: str, done: int, total: int) -> None:
            bar.progress(min(done / total, 1.0) if total else 1.0, text=step)
            box.update(label=f"{label}: {step}")

        try:
            result = fn(*args, progress=report, **kwargs)
        except EngineError as error:
            failed = error
    holder.empty()
    if failed is not None:
        show_error(failed)
    return result


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
