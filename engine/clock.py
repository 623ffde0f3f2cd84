"""Time in one place: UTC for timestamps, the configured zone for business days."""

from __future__ import annotations

from datetime import UTC, date, datetime
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
