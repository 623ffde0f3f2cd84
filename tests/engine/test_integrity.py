"""Integrity on a server database (issue 6, section 4): allocation runs are serialised, and "exactly
one" is a constraint — one open exception per kind and dedupe key, one decision per looked-up line.
The races run on PostgreSQL with threads released together by a barrier."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import Ledger
from engine.auth.roles import SYSTEM_JOB
from engine.clock import utcnow
from engine.ledger.exceptions import NewException, raise_exceptions
from engine.mapping.requests import LookupRequest
from engine.store import migrate
from engine.store.gateway import Database
from engine.store.schema import exception_log, line_decision, mapping_history
from engine.vocab import ExceptionAction, ExceptionKind, ExceptionStatus
from tests.conftest import World, make_settings, seed_world
from tests.engine.stock_helpers import (
    RIVET,
    exceptions_of,
    live_by_sku,
    load_snapshot,
    next_day,
    seed_materials,
    sheet,
    today,
    upload,
)

# Date-sensitive (dates come from the pinned today): also run on every weekday (tests/test_clock.py).
pytestmark = pytest.mark.clock


T = TypeVar("T")


def together(*calls: Callable[[], T]) -> list[T]:
    """Run the calls in threads released at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def queued(pg_url: str, table: str, *calls: Callable[[], T]) -> list[T]:
    """Run the calls in threads while another session holds ``table`` in EXCLUSIVE mode (reads pass,
    writes wait), and release it once both writers wait: each has read "nothing there yet" before
    either writes, which is the race the constraint must settle."""
    import psycopg

    url = pg_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url) as holder, ThreadPoolExecutor(max_workers=len(calls)) as pool:
        holder.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        futures = [pool.submit(call) for call in calls]
        deadline = time.monotonic() + 30
        while _waiting(url) < len(calls) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting(url) == len(calls), "both writers should be waiting for the table"
        holder.commit()
        return [future.result(timeout=60) for future in futures]


def _waiting(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def pg_world(pg_url: str, tmp_path: Path) -> Iterator[World]:
    ledger = api.open_ledger(make_settings(tmp_path, pg_url))
    yield seed_materials(seed_world(ledger))
    ledger.close()


# ---------------------------------------------------------------- allocation runs


def _rivet_demand(world: World, *dates: date) -> None:
    """Three boxes of rivets in stock; five or more boxes wanted on each date."""
    load_snapshot(world, today(world.ledger), {"40004050": "3"})
    for index, day in enumerate(dates):
        upload(world, sheet((RIVET, str(1500 + index), "pcs")), delivery=day, name=f"big_{index}.csv")
        upload(world, sheet((RIVET, str(1000 + index), "pcs")), delivery=day, name=f"small_{index}.csv")


@pytest.mark.postgres
def test_two_concurrent_runs_of_one_date_give_what_one_run_gives(pg_world: World) -> None:
    run_date = next_day(pg_world.ledger)
    _rivet_demand(pg_world, run_date)
    allocate = lambda: api.allocate(pg_world.ledger, run_date=run_date, actor=pg_world.stores)  # noqa: E731
    together(allocate, allocate)
    live = live_by_sku(pg_world.ledger)
    assert live == {"40004050": Decimal(3)}, "never more boxes than the snapshot holds"
    allocate()
    assert live_by_sku(pg_world.ledger) == live, "a single run gives the same"


@pytest.mark.postgres
def test_concurrent_runs_of_two_dates_share_the_stock(pg_world: World) -> None:
    first = next_day(pg_world.ledger)
    second = next_day_after(pg_world.ledger, first)
    _rivet_demand(pg_world, first, second)
    # The second date is a day beyond what today's snapshot is fresh for: accepted, it is not the point.
    together(
        lambda: api.allocate(pg_world.ledger, run_date=first, accept_stale=True, actor=pg_world.stores),
        lambda: api.allocate(pg_world.ledger, run_date=second, accept_stale=True, actor=pg_world.stores),
    )
    assert live_by_sku(pg_world.ledger) == {"40004050": Decimal(3)}, "stock is shared across dates"


def next_day_after(ledger: Ledger, day: date) -> date:
    from engine.clock import next_working_day

    return next_working_day(day, ledger.settings.working_weekdays)


def test_every_run_takes_the_allocation_lock_first(duck_world: World) -> None:
    from engine.store.schema import app_state

    def counter() -> int:
        with duck_world.ledger.db.read() as conn:
            return int(
                conn.execute(
                    sa.select(app_state.c.counter).where(app_state.c.name == "allocation")
                ).scalar_one()
            )

    world = seed_materials(duck_world)
    load_snapshot(world, today(world.ledger))
    before = counter()
    api.allocate(world.ledger, run_date=next_day(world.ledger), actor=world.stores)
    assert counter() == before + 1


# ---------------------------------------------------------------- one open exception per kind and key


def _raise(ledger: Ledger, *news: NewException) -> list[str]:
    return ledger.db.write(
        lambda conn: raise_exceptions(
            conn, list(news), actor=SYSTEM_JOB, trace_id="t-integrity", db=ledger.db
        )
    )


def _review(description: str) -> NewException:
    return NewException(
        kind=ExceptionKind.MAPPING_REVIEW, message=f"No mapping for {description}", dedupe_key=description
    )


def _counter_in_use(ledger: Ledger) -> None:
    """The year's exception counter exists, as in any store in use (its very first row is a race
    of its own, settled by its key)."""
    _raise(ledger, NewException(kind=ExceptionKind.PARSE_ERROR, message="an earlier problem"))


def _no_sku(code: str) -> NewException:
    return NewException(kind=ExceptionKind.NO_SKU, message=f"{code} has no SKU", dedupe_key=code)


def test_one_open_exception_per_kind_and_key_and_a_closed_one_frees_it(world: World) -> None:
    ledger = world.ledger
    (first,) = _raise(ledger, _review("blue board"))
    again, other, twin = _raise(ledger, _review("blue board"), _review("red board"), _review("red board"))
    assert again == first and other == twin != first, "the open one is returned; a batch raises a key once"
    stock = NewException(kind=ExceptionKind.INSUFFICIENT_STOCK, message="short", dedupe_key="blue board")
    assert _raise(ledger, stock)[0] not in (first, other), "another kind with the same key is its own"
    (material,) = _raise(ledger, _no_sku("PNL-X"))
    for action in (ExceptionAction.ACKNOWLEDGE, ExceptionAction.RESOLVE, ExceptionAction.DISMISS):
        api.act_on_exception(ledger, material, action, actor=world.stores, notes="named a default SKU")
        (now_open,) = _raise(ledger, _no_sku("PNL-X"))
        if action is ExceptionAction.ACKNOWLEDGE:
            assert now_open == material, "an acknowledged exception is still the open one"
        else:
            assert now_open != material, f"once {action.value}d, the next one is raised"
            material = now_open
    unkeyed = NewException(kind=ExceptionKind.PARSE_ERROR, message="unreadable")
    assert len(set(_raise(ledger, unkeyed, unkeyed))) == 2, "without a dedupe key every raise is its own"
    with ledger.db.read() as conn:
        opened = conn.execute(
            sa.select(exception_log.c.open_key).where(
                exception_log.c.status.in_([str(ExceptionStatus.OPEN), str(ExceptionStatus.ACKNOWLEDGED)])
            )
        ).scalars()
        keys = sorted(key for key in opened if key)
    assert keys == [
        "INSUFFICIENT_STOCK|blue board",
        "MAPPING_REVIEW|blue board",
        "MAPPING_REVIEW|red board",
        "NO_SKU|PNL-X",
    ]


def test_the_key_is_a_constraint_not_only_a_check(world: World) -> None:
    """A writer that skipped the check (as a concurrent one effectively does) fails on the key."""
    (first,) = _raise(world.ledger, _review("green board"))

    def insert_twin(conn: sa.Connection) -> None:
        row = (
            conn.execute(sa.select(exception_log).where(exception_log.c.exception_id == first)).one()._mapping
        )
        conn.execute(exception_log.insert().values({**row, "exception_id": "EX-2099-000001"}))

    with pytest.raises(sa.exc.IntegrityError):
        world.ledger.db.write(insert_twin)


@pytest.mark.postgres
def test_two_concurrent_uploads_with_one_new_description_make_one_review(
    pg_world: World, pg_url: str
) -> None:
    day = next_day(pg_world.ledger)

    def ingest(index: int, lpo: str) -> Callable[[], api.IngestResult]:
        # Given tag ids skip the shared per-day tag counter, so the two transactions overlap fully.
        content = sheet(
            (f"Blue acoustic board {index}", "2", "pcs"), ("Unseen gasket 12x4", str(index + 1), "m")
        )
        return lambda: pg_world.ingest(
            content=content,
            name=f"race_{index}.csv",
            area="1",
            delivery=day,
            lpo=lpo,
            tag_id=f"TAG-20270101-900{index}",
        )

    _counter_in_use(pg_world.ledger)
    results = queued(pg_url, "exception_log", ingest(1, "LPO-2025-0412"), ingest(2, "LPO-2025-0377"))
    assert [r.status for r in results] == ["UPLOADED", "UPLOADED"]
    reviews = [
        r
        for r in exceptions_of(pg_world.ledger, ExceptionKind.MAPPING_REVIEW)
        if r.dedupe_key == "unseen gasket 12x4"
    ]
    assert len(reviews) == 1, "one open review per description"
    queue = {item.description: item for item in api.review_queue(pg_world.ledger, actor=pg_world.stores)}
    assert queue["unseen gasket 12x4"].exception_id == reviews[0].exception_id
    assert queue["unseen gasket 12x4"].lines == 2, "both sheets' lines wait on it"


# ---------------------------------------------------------------- one decision per looked-up line


def _lookup(line_id: str, description: str = "phenolic 20mm 80/80") -> LookupRequest:
    return LookupRequest(
        description=description, qty=Decimal("2"), uom="m2", lpo_id="LPO-2025-0412", line_id=line_id
    )


def _decisions(ledger: Ledger, line_id: str) -> tuple[int, int]:
    with ledger.db.read() as conn:
        history = conn.execute(
            sa.select(sa.func.count())
            .select_from(mapping_history)
            .where(mapping_history.c.ingest_line_id == line_id)
        ).scalar_one()
        decided = conn.execute(
            sa.select(sa.func.count())
            .select_from(line_decision)
            .where(line_decision.c.ingest_line_id == line_id)
        ).scalar_one()
    return history, decided


@pytest.mark.postgres
@pytest.mark.parametrize("description", ["phenolic 20mm 80/80", "never seen board"], ids=["known", "new"])
def test_two_concurrent_lookups_of_one_line_record_one_decision(
    pg_world: World, pg_url: str, description: str
) -> None:
    def record() -> api.LookupResult:
        return api.record_lookup(
            pg_world.ledger, _lookup("LINE-RACE-0001", description), actor=pg_world.stores
        )

    # The first decision of a new description raises its review first: the race is on that row.
    table = "line_decision" if description == "phenolic 20mm 80/80" else "exception_log"
    _counter_in_use(pg_world.ledger)
    first, second = queued(pg_url, table, record, record)
    assert first == second, "both callers get the one decision"
    assert _decisions(pg_world.ledger, "LINE-RACE-0001") == (1, 1)
    if description == "never seen board":
        assert len(exceptions_of(pg_world.ledger, ExceptionKind.MAPPING_REVIEW)) == 1


def test_a_line_decision_is_kept_in_its_own_keyed_row(world: World) -> None:
    recorded = api.record_lookup(world.ledger, _lookup("LINE-KEYED-001"), actor=world.stores)
    assert api.record_lookup(world.ledger, _lookup("LINE-KEYED-001"), actor=world.stores) == recorded
    with world.ledger.db.read() as conn:
        kept = conn.execute(
            sa.select(line_decision).where(line_decision.c.ingest_line_id == "LINE-KEYED-001")
        ).one()
    assert kept.history_id == recorded.history_id and _decisions(world.ledger, "LINE-KEYED-001") == (1, 1)


# ---------------------------------------------------------------- migration of an existing store


def test_the_migration_keeps_the_oldest_of_open_twins_and_the_first_lookup_decision(
    tmp_path: Path, store_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in sorted(migrate.MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 4:
            shutil.copy(path, folder / path.name)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)
    db = Database(make_settings(tmp_path, store_url).url)
    try:
        migrate.upgrade(db)
        db.write(_twins_and_lookups)
        for path in sorted((migrate.SQL_DIR / "migrations").glob("*.sql")):
            if int(path.name[:4]) >= 4:
                shutil.copy(path, folder / path.name)
        assert 4 in migrate.upgrade(db)
        with db.read() as conn:
            keys = dict(conn.execute(sa.select(exception_log.c.exception_id, exception_log.c.open_key)).all())
            decided = conn.execute(
                sa.select(line_decision.c.ingest_line_id, line_decision.c.history_id)
            ).all()
    finally:
        db.dispose()
    assert keys == {
        "EX-2026-000001": "MAPPING_REVIEW|blue board",
        "EX-2026-000002": None,  # the younger open twin keeps its status, without the key
        "EX-2026-000003": None,  # resolved
    }
    assert decided == [("LINE-OLD-0001", "01HISTORY0000000000000001")]


def _twins_and_lookups(conn: sa.Connection) -> None:
    now = utcnow()
    base = {
        "kind": "MAPPING_REVIEW",
        "severity": "MEDIUM",
        "desk": "stores",
        "message": "No mapping",
        "dedupe_key": "blue board",
        "sla_due": now,
        "version": 1,
        "created_by": "t",
        "created_at": now,
        "updated_at": now,
        "trace_id": "t",
    }
    table = sa.table("exception_log", *(sa.column(name) for name in ["exception_id", "status", *base]))
    for number, status in ((1, "OPEN"), (2, "ACKNOWLEDGED"), (3, "RESOLVED")):
        conn.execute(table.insert().values(exception_id=f"EX-2026-00000{number}", status=status, **base))
    history = {
        "nesting_description": "x",
        "decision": "AUTO",
        "not_tracked": False,
        "trace_id": "t",
        "created_at": now,
    }
    for history_id, line in (
        ("01HISTORY0000000000000001", "LINE-OLD-0001"),
        ("01HISTORY0000000000000002", "LINE-OLD-0001"),
    ):
        conn.execute(mapping_history.insert().values(history_id=history_id, ingest_line_id=line, **history))
    conn.execute(
        mapping_history.insert().values(
            history_id="01HISTORY0000000000000003", ingest_line_id="L-TAG-1", tag_id="TAG-1", **history
        )
    )


def _stranded(ledger: Ledger) -> int:
    """Live allocation rows of lines a replaced sheet superseded: stock held by lines that are gone."""
    with ledger.db.read() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT COUNT(*) FROM allocation_log g "
                    "JOIN tag_line l ON l.ingest_line_id = g.ingest_line_id "
                    "WHERE g.superseded = FALSE AND l.superseded = TRUE"
                )
            ).scalar_one()
        )


@pytest.mark.postgres
def test_a_replaced_sheet_and_a_concurrent_run_never_leave_stock_on_old_lines(pg_world: World) -> None:
    from engine.tags.models import ReplaceRequest

    run_date = next_day(pg_world.ledger)
    load_snapshot(pg_world, today(pg_world.ledger), {"40004050": "9"})
    tags = [
        upload(pg_world, sheet((RIVET, str(400 + n), "pcs")), delivery=run_date, name=f"r_{n}.csv")
        for n in range(8)
    ]
    replacements = [
        ReplaceRequest(
            tag_id=tag,
            reason="corrected quantities",
            original_file_name=f"r_{n}_v2.csv",
            content=sheet((RIVET, str(900 + n), "pcs")),
        )
        for n, tag in enumerate(tags)
    ]

    def replace_all() -> None:
        for request in replacements:
            api.replace_tag(pg_world.ledger, request, actor=pg_world.sales)

    def allocate_twice() -> None:
        for _ in range(2):
            api.allocate(pg_world.ledger, run_date=run_date, actor=pg_world.stores)

    together(replace_all, allocate_twice)
    assert _stranded(pg_world.ledger) == 0
    assert sum(live_by_sku(pg_world.ledger).values()) <= 9
