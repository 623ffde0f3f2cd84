"""How old a stock snapshot may be for an allocation date, and since when allocations count against
it. One rule for every caller: the allocation (console, CLI, T-1 job) refuses a stale snapshot unless
the caller accepts it explicitly, and the stock page warns with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from engine.clock import previous_working_day
from engine.config import Settings
from engine.errors import ValidationError
from engine.stock.snapshot import SnapshotSummary


@dataclass(frozen=True)
class StockRule:
    zone: ZoneInfo
    max_age_days: int
    working_weekdays: frozenset[int]

    @classmethod
    def from_settings(cls, settings: Settings) -> StockRule:
        return cls(settings.zone, settings.snapshot_max_age_days, settings.working_weekdays)

    def oldest_acceptable(self, run_date: date) -> date:
        """SAP's T-1 snapshot is taken on working days: ``max_age_days`` counts back from the working
        day before the run date, so with the default of 1 a Saturday run (Friday off) takes
        Thursday's snapshot, and a Monday run Sunday's."""
        return previous_working_day(run_date, self.working_weekdays) - timedelta(days=self.max_age_days - 1)

    def counted_since(self, snapshot_date: date) -> datetime:
        """Allocations made from the start of the snapshot's day (business time zone) on are not in
        the snapshot yet, so availability subtracts them; earlier ones are."""
        return datetime.combine(snapshot_date, time.min, tzinfo=self.zone).astimezone(UTC)


class StockStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    latest: SnapshotSummary | None
    for_date: date
    oldest_acceptable: date
    stale: bool
    message: str


def stock_status(latest: SnapshotSummary | None, run_date: date, rule: StockRule) -> StockStatus:
    """Whether ``latest`` (the newest snapshot dated on or before ``run_date``) may be allocated from."""
    oldest = rule.oldest_acceptable(run_date)
    if latest is None:
        message = f"No stock snapshot dated on or before {run_date}: load the SAP snapshot first."
        return StockStatus(
            latest=None, for_date=run_date, oldest_acceptable=oldest, stale=True, message=message
        )
    stale = latest.snapshot_date < oldest
    message = (
        f"The latest snapshot is from {latest.snapshot_date}; allocating for {run_date} needs one from "
        f"{oldest} or later."
        if stale
        else f"Snapshot of {latest.snapshot_date} is current for {run_date}."
    )
    return StockStatus(
        latest=latest, for_date=run_date, oldest_acceptable=oldest, stale=stale, message=message
    )


class StaleSnapshot(ValidationError):
    """No snapshot recent enough for the run date (or none at all): the allocation is refused."""

    code = "STALE_SNAPSHOT"

    def __init__(self, status: StockStatus) -> None:
        advice = (
            " Load a newer snapshot, or accept this one explicitly (the checkbox on the Allocation "
            "page, --accept-stale in the CLI)."
            if status.latest is not None
            else ""
        )
        super().__init__(status.message + advice, field="snapshot")
        self.status = status


def check_fresh(status: StockStatus, *, accept_stale: bool) -> SnapshotSummary:
    """The snapshot to allocate from; a stale one only when the caller accepts it, none never."""
    if status.latest is None or (status.stale and not accept_stale):
        raise StaleSnapshot(status)
    return status.latest
