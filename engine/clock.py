"""Time in one place: UTC for timestamps, the configured zone for business days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Stores hand back aware datetimes in their own zone class; compare them in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def business_day(zone: ZoneInfo, at: datetime | None = None) -> date:
    return (at or utcnow()).astimezone(zone).date()


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
