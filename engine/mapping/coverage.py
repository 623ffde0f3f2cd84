"""Coverage of the stores desk: auto-map rate, the review queue, overrides in use, allocation success
(the seed's metrics: auto_map_rate, exception_rate, override_count, allocation_success_rate)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.clock import as_utc, utcnow
from engine.store.schema import mapping_override
from engine.store.sqlfiles import load_sql


class AllocationDay(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_date: date
    allocated: int
    partial: int
    unallocated: int
    skipped: int

    @property
    def success_rate(self) -> float | None:
        attempted = self.allocated + self.partial + self.unallocated
        return self.allocated / attempted if attempted else None


class CoverageReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    lines: int
    auto: int
    override: int
    manual: int
    waiting_review: int
    waiting_conversion: int
    not_tracked: int
    queue_descriptions: int
    oldest_waiting: datetime | None
    overrides_in_use: int
    overrides_active: int
    allocation_days: list[AllocationDay]

    @property
    def auto_map_rate(self) -> float | None:
        """Lines the rules mapped without a person (master rows and overrides), of all lines."""
        return (self.auto + self.override) / self.lines if self.lines else None

    @property
    def oldest_waiting_hours(self) -> float | None:
        if self.oldest_waiting is None:
            return None
        return (utcnow() - as_utc(self.oldest_waiting)).total_seconds() / 3600

    @property
    def allocation_success_rate(self) -> float | None:
        allocated = sum(d.allocated for d in self.allocation_days)
        attempted = sum(d.allocated + d.partial + d.unallocated for d in self.allocation_days)
        return allocated / attempted if attempted else None


def coverage_report(conn: Connection) -> CoverageReport:
    row = conn.execute(load_sql("mapping/coverage")).one()._mapping
    active = conn.execute(
        sa.select(sa.func.count()).select_from(mapping_override).where(mapping_override.c.active.is_(True))
    ).scalar_one()
    days = [
        AllocationDay.model_validate(r._mapping) for r in conn.execute(load_sql("allocation/success_by_date"))
    ]
    return CoverageReport(**dict(row), overrides_active=active, allocation_days=days)
