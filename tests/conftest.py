"""Shared fixtures: real DuckDB files in a temporary data dir, and a real PostgreSQL database of the
suite's own (created and dropped here) when a server answers; otherwise the PostgreSQL variants skip
with the reason, or fail the run under ``OPSLEDGER_REQUIRE_PG=1`` (CI sets it).

The clock: a test session starts at one pinned instant, ``PINNED_AT`` (a Monday morning in the business
time zone), and runs on in real time; the suite's dates (``TODAY``, ``DELIVERY``, ``STOCK_DATE``) derive
from it, never from the machine's date. Subprocesses (CLI, worker, console) inherit the pin through
``engine.clock``'s variable, so every process of a run shares one timeline. Under
``OPSLEDGER_TEST_FOLLOW_SYSTEM_CLOCK=1`` the session follows the system clock instead: tests/test_clock.py
runs the date-sensitive tests (``-m clock``) that way under ``faketime``, once for every weekday."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from engine import api, clock
from engine.api import CLI_OPERATOR, Actor, Ledger
from engine.config import Settings, load_settings
from engine.demo.builder import DATA_DIR, sample_bytes
from engine.tags.models import IngestRequest
from engine.vocab import Role, Source

PG_SERVER = os.environ.get("OPSLEDGER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REQUIRE_PG = os.environ.get("OPSLEDGER_REQUIRE_PG", "").strip().lower() in {"1", "true", "yes"}
PASSWORD = "Test-password-1"

_DEFAULTS = Settings.model_construct()  # the default zone and working days; reads no environment
ZONE, WORKING_WEEKDAYS = _DEFAULTS.zone, _DEFAULTS.working_weekdays
FOLLOW_SYSTEM_CLOCK = os.environ.get("OPSLEDGER_TEST_FOLLOW_SYSTEM_CLOCK") == "1"
# A Monday, a working day (Friday is the day off), well inside a year: no day or year boundary nearby.
PINNED_AT = datetime(2027, 1, 4, 10, 0, tzinfo=ZONE)
if FOLLOW_SYSTEM_CLOCK:
    PINNED_AT = datetime.now(UTC).astimezone(ZONE)  # clock-ok: the faketime runs pin the system clock
TODAY = PINNED_AT.date()


def production_day_after(today: date) -> date:
    """Tags are due on production days: the first working day at least 20 days ahead (room for reruns)."""
    return clock.next_working_day(today + timedelta(days=19), WORKING_WEEKDAYS)


DELIVERY = production_day_after(TODAY)
STOCK_DATE = DELIVERY - timedelta(days=1)  # the T-1 snapshot


@pytest.fixture(scope="session", autouse=True)
def pinned_clock() -> Iterator[datetime]:
    """The clock reads ``PINNED_AT`` as the session starts, in this process and every one it starts."""
    saved = os.environ.pop(clock.TEST_CLOCK_VARIABLE, None)
    if not FOLLOW_SYSTEM_CLOCK:
        os.environ[clock.TEST_CLOCK_VARIABLE] = clock.pinned(PINNED_AT)
    try:
        yield PINNED_AT
    finally:
        os.environ.pop(clock.TEST_CLOCK_VARIABLE, None)
        if saved is not None:
            os.environ[clock.TEST_CLOCK_VARIABLE] = saved


def pytest_report_header() -> str:
    mode = "the system clock" if FOLLOW_SYSTEM_CLOCK else "pinned"
    return f"business clock: {TODAY.isoformat()} ({TODAY:%A}), {PINNED_AT:%H:%M} {ZONE.key}, {mode}"


def _pg_admin(sql: str) -> None:
    import psycopg

    url = PG_SERVER.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A database of this test session's own on the PostgreSQL server; dropped at the end."""
    name = f"opsledger_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as error:  # any failure to reach the server means: skip (or fail), and say why
        reason = f"no PostgreSQL server reachable at {PG_SERVER}: {type(error).__name__}: {error}"
        if REQUIRE_PG:
            pytest.fail(
                f"{reason} (OPSLEDGER_REQUIRE_PG is set: the PostgreSQL tests must run)", pytrace=False
            )
        pytest.skip(reason)
    try:
        yield name
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """An empty schema for one test: drop everything the previous test created."""
    import psycopg

    url = PG_SERVER.replace("postgresql+psycopg", "postgresql") + f"/{pg_server}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    yield f"{PG_SERVER}/{pg_server}"


def make_settings(tmp_path: Path, url: str | None = None, **overrides: object) -> Settings:
    data_dir = tmp_path / "data"
    return load_settings(
        data_dir=data_dir, database_url=url, demo_data=False, jobs_enabled=False, **overrides
    )


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Run the test on a DuckDB file and on PostgreSQL."""
    if request.param == "duckdb":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def settings(tmp_path: Path, store_url: str | None) -> Settings:
    return make_settings(tmp_path, store_url)


@pytest.fixture
def duck_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    handle = api.open_ledger(settings)
    yield handle
    handle.close()


@pytest.fixture
def duck_ledger(duck_settings: Settings) -> Iterator[Ledger]:
    handle = api.open_ledger(duck_settings)
    yield handle
    handle.close()


@dataclass
class World:
    """A store with the sample LPOs and one user per role."""

    ledger: Ledger
    sales: Actor
    stores: Actor
    manager: Actor
    admin: Actor
    finance: Actor

    def request(
        self,
        sheet: str = "TAG-20250615-0007_cutexport_v1.xlsx",
        *,
        lpo: str = "LPO-2025-0412",
        area: str = "32.77",
        content: bytes | None = None,
        **fields: object,
    ) -> IngestRequest:
        return IngestRequest(
            lpo_id=lpo,
            required_area_m2=Decimal(area),
            requested_delivery_date=fields.pop("delivery", DELIVERY),
            original_file_name=str(fields.pop("name", sheet)),
            content=content if content is not None else sample_bytes(sheet),
            **fields,
        )

    def ingest(self, *args: object, actor: Actor | None = None, **kwargs: object) -> api.IngestResult:
        return api.ingest_tag(self.ledger, self.request(*args, **kwargs), actor=actor or self.sales)  # type: ignore[arg-type]


def seed_world(ledger: Ledger) -> World:
    api.import_lpos(ledger, (DATA_DIR / "lpo_master.csv").read_bytes(), actor=CLI_OPERATOR)
    actors = {}
    for role in Role:
        email = f"{role.value}@test.local"
        # No password: hashing five argon2 passwords per test costs a second; sign-in tests add their own.
        api.add_user(ledger, email=email, roles=[role.value], password=None, actor=CLI_OPERATOR)
        actors[role.value] = Actor(email=email, roles=frozenset({role}), source=Source.CONSOLE)
    return World(ledger=ledger, **actors)


@pytest.fixture
def world(ledger: Ledger) -> World:
    return seed_world(ledger)


@pytest.fixture
def duck_world(duck_ledger: Ledger) -> World:
    return seed_world(duck_ledger)


STORES_FILES = (
    ("skus", "sap_material.csv"),
    ("canonical", "canonical_materials.csv"),
    ("master", "material_master.csv"),
    ("brandmap", "lpo_material_brand_map.csv"),
    ("units", "material_uom_conversion.csv"),
)


def snapshot_csv(day: date, overrides: dict[str, str] | None = None) -> bytes:
    """The sample SAP snapshot re-dated to ``day``; ``overrides`` sets unrestricted stock per SKU."""
    lines = (DATA_DIR / "sap_snapshot.csv").read_text().strip().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        parts = line.split(",")
        parts[0] = day.isoformat()
        if overrides and parts[3] in overrides:
            parts[4] = overrides[parts[3]]
        out.append(",".join(parts))
    return ("\n".join(out) + "\n").encode()


def seed_stores(world: World, *, stock: dict[str, str] | None = None) -> World:
    from engine.materials.kinds import Kind

    for kind, name in STORES_FILES:
        api.import_materials(
            world.ledger, Kind(kind), (DATA_DIR / name).read_bytes(), name, actor=world.stores
        )
    api.import_stock(world.ledger, snapshot_csv(STOCK_DATE, stock), "sap_snapshot.csv", actor=world.stores)
    return world


@pytest.fixture
def stores_world(world: World) -> World:
    return seed_stores(world)


@pytest.fixture
def duck_stores(duck_world: World) -> World:
    return seed_stores(duck_world)
