"""DB-backed counters for readable ids. The increment is part of the caller's transaction, so an id
is taken only when the row that uses it commits, and concurrent writers queue on the counter row."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import Conflict
from engine.ids import MAX_EXCEPTIONS_PER_YEAR, MAX_TAGS_PER_DAY, format_exception_id, format_tag_id
from engine.store.schema import id_sequence, tag_sheet


def next_value(conn: Connection, name: str, period: str) -> int:
    return next_values(conn, name, period, 1)[0]


def next_values(conn: Connection, name: str, period: str, count: int) -> list[int]:
    """``count`` consecutive numbers in one statement."""
    seq = id_sequence
    row = conn.execute(
        sa.update(seq)
        .where(seq.c.name == name, seq.c.period == period)
        .values(last_value=seq.c.last_value + count)
        .returning(seq.c.last_value)
    ).first()
    if row is not None:
        last = int(row[0])
        return list(range(last - count + 1, last + 1))
    # First id of the period. On a server database a concurrent first insert fails on the
    # primary key; the gateway re-runs the whole unit of work, which then takes the UPDATE path.
    conn.execute(sa.insert(seq).values(name=name, period=period, last_value=count))
    return list(range(1, count + 1))


def next_tag_id(conn: Connection, day: date) -> str:
    """``TAG-YYYYMMDD-NNNN``; skips numbers already taken by tag ids a caller supplied."""
    while True:
        number = next_value(conn, "tag", f"{day:%Y%m%d}")
        if number > MAX_TAGS_PER_DAY:
            raise Conflict(f"All {MAX_TAGS_PER_DAY} tag ids of {day:%Y-%m-%d} are used.")
        tag_id = format_tag_id(day, number)
        taken = conn.execute(sa.select(tag_sheet.c.tag_id).where(tag_sheet.c.tag_id == tag_id)).first()
        if taken is None:
            return tag_id


def next_exception_id(conn: Connection, year: int) -> str:
    return next_exception_ids(conn, year, 1)[0]


def next_exception_ids(conn: Connection, year: int, count: int) -> list[str]:
    numbers = next_values(conn, "exception", f"{year:04d}", count)
    if numbers[-1] > MAX_EXCEPTIONS_PER_YEAR:
        raise Conflict(f"The exception counter of {year} is exhausted.")
    return [format_exception_id(year, number) for number in numbers]
