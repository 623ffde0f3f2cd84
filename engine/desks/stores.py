"""The stores desk's morning: the next T-1 cut-off and what it will allocate, the mapping review
queue and its oldest item, the stock snapshot's age, open shortages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import as_utc, next_working_day
from engine.config import Settings
from engine.ledger.exceptions import ExceptionView, list_exceptions
from engine.models import Page
from engine.stock import freshness, snapshot
from engine.stock.freshness import StockRule, StockStatus
from engine.store.sqlfiles import load_sql
from engine.vocab import Desk, ExceptionKind

SHORTAGES_SHOWN = 5  # the home lists the first few; the exception queue has them all


class NextCutoff(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    minutes_left: int
    run_date: date  # the delivery date the run allocates for
    tags: int
    lines: int
    waiting_lines: int  # lines still waiting on a mapping: they will not draw stock


class ReviewWaiting(BaseModel):
    model_config = ConfigDict(frozen=True)

    descriptions: int
    lines: int
    oldest_description: str | None
    oldest_since: datetime | None
    oldest_exception_id: str | None


class StoresDesk(BaseModel):
    model_config = ConfigDict(frozen=True)

    now: datetime
    cutoff: NextCutoff
    review: ReviewWaiting
    stock: StockStatus
    snapshot_age_days: int | None  # days since the date of the latest snapshot up to today
    shortages: Page[ExceptionView]


def next_cutoff_at(settings: Settings, now: datetime) -> datetime:
    """The next moment the T-1 allocation runs: today's cut-off in the business zone, else tomorrow's
    (the job's schedule, ``jobs/schedule.py``, runs it every day at ``allocation_cutoff``)."""
    hours, minutes = (int(part) for part in settings.allocation_cutoff.split(":"))
    local = as_utc(now).astimezone(settings.zone)
    at = datetime.combine(local.date(), time(hours, minutes), tzinfo=settings.zone)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), time(hours, minutes), tzinfo=settings.zone)
    return at


def stores_desk(conn: Connection, actor: Actor, *, settings: Settings, now: datetime) -> StoresDesk:
    at = next_cutoff_at(settings, now)
    run_date = next_working_day(at.date(), settings.working_weekdays)  # as the job computes it
    due = conn.execute(load_sql("desks/due_for_allocation"), {"run_date": run_date}).one()
    latest = snapshot.latest_snapshot(conn, on_or_before=run_date)
    today = as_utc(now).astimezone(settings.zone).date()
    taken = snapshot.latest_snapshot(conn, on_or_before=today)  # the stock as SAP last reported it
    return StoresDesk(
        now=now,
        cutoff=NextCutoff(
            at=at,
            minutes_left=int((at - as_utc(now)).total_seconds() // 60),
            run_date=run_date,
            tags=due.tags,
            lines=due.lines,
            waiting_lines=due.waiting or 0,
        ),
        review=review_waiting(conn),
        stock=freshness.stock_status(latest, run_date, StockRule.from_settings(settings)),
        snapshot_age_days=None if taken is None else (today - taken.snapshot_date).days,
        shortages=list_exceptions(
            conn,
            actor,
            kind=ExceptionKind.INSUFFICIENT_STOCK,
            open_only=True,
            desk=Desk.STORES,
            limit=SHORTAGES_SHOWN,
        ),
    )


def review_waiting(conn: Connection) -> ReviewWaiting:
    rows = conn.execute(load_sql("desks/review_waiting")).all()
    oldest = rows[0] if rows else None
    return ReviewWaiting(
        descriptions=len(rows),
        lines=sum(row.lines for row in rows),
        oldest_description=oldest.description_norm if oldest else None,
        oldest_since=oldest.waiting_since if oldest else None,
        oldest_exception_id=oldest.exception_id if oldest else None,
    )
