"""Time in one place: UTC for timestamps, the configured zone for business days.

Every reader of "now" in the engine, the console, the pages and the jobs goes through ``utcnow`` or
``business_day``, so one switch moves all of them. That switch is the test-only environment variable
``OPSLEDGER_TEST_CLOCK``: ``<ISO instant>@<unix seconds>`` reads "the clock showed the instant at that
real moment". Every process that inherits it (the CLI, the worker, the console) computes the same
offset from the system clock, so they share one timeline that ticks in real time. Unset (production),
"now" is the system clock.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from engine.errors import ConfigurationError

TEST_CLOCK_VARIABLE = "OPSLEDGER_TEST_CLOCK"
_NO_OFFSET = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset(os.environ.get(TEST_CLOCK_VARIABLE, ""))


def moved() -> bool:
    """Whether the test clock variable moves "now" in this process (never meant for production)."""
    return bool(os.environ.get(TEST_CLOCK_VARIABLE))


def as_utc(value: datetime) -> datetime:
    """Stores hand back aware datetimes in their own zone class; compare them in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def business_day(zone: ZoneInfo, at: datetime | None = None) -> date:
    return (at or utcnow()).astimezone(zone).date()


def pinned(at: datetime, *, real: float | None = None) -> str:
    """The value of ``TEST_CLOCK_VARIABLE`` under which "now" reads ``at`` at the real moment ``real``
    (unix seconds; default: this moment) and runs on from there."""
    if at.tzinfo is None:
        raise ValueError("pin the clock to an aware datetime, not a naive one")
    return f"{as_utc(at).isoformat()}@{time.time() if real is None else real!r}"


@lru_cache(maxsize=8)
def _offset(value: str) -> timedelta:
    if not value:
        return _NO_OFFSET
    instant, _, real = value.rpartition("@")
    try:
        shown = datetime.fromisoformat(instant)
        if shown.tzinfo is None:
            raise ValueError("the instant has no UTC offset")
        return shown - datetime.fromtimestamp(float(real), UTC)
    except ValueError as error:
        raise ConfigurationError(
            f"{TEST_CLOCK_VARIABLE}={value!r} is not '<ISO instant with offset>@<unix seconds>' ({error}); "
            "unset it to use the system clock."
        ) from None


def next_working_day(day: date, working_weekdays: frozenset[int]) -> date:
    """The first working day after ``day`` (weekday numbers: Monday is 0)."""
    candidate = day + timedelta(days=1)
    for _ in range(7):
        if candidate.weekday() in working_weekdays:
            return candidate
        candidate += timedelta(days=1)
    raise ValueError("no working day in the week")


def previous_working_day(day: date, working_weekdays: frozenset[int]) -> date:
    candidate = day - timedelta(days=1)
    for _ in range(7):
        if candidate.weekday() in working_weekdays:
            return candidate
        candidate -= timedelta(days=1)
    raise ValueError("no working day in the week")
