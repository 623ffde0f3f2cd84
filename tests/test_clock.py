"""The suite passes on every day: "now" comes from ``engine.clock`` only, tests pin it (conftest), every
process of a run shares the pin, and the date-sensitive tests (``-m clock``) pass on each weekday under
Debian's ``faketime`` (``make faketime`` installs it; ``make test`` does so by itself)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine import api, clock
from engine.api import CLI_OPERATOR
from engine.config import load_settings
from engine.errors import ConfigurationError
from tests.conftest import (
    DELIVERY,
    FOLLOW_SYSTEM_CLOCK,
    PINNED_AT,
    STOCK_DATE,
    TODAY,
    WORKING_WEEKDAYS,
    ZONE,
    World,
)

ROOT = Path(__file__).resolve().parents[1]
# Friday 1 to Thursday 7 January 2027: every weekday once, the day off and a new year's day included.
WEEK = [date(2027, 1, day) for day in range(1, 8)]
DAY_TIMEOUT_S = 600
# Time readers other than engine.clock: Python's, and SQL's (a server's clock is not the pinned one).
PYTHON_NOW = re.compile(r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.time)\(")
SQL_NOW = re.compile(
    r"\b(?:now\(\)|current_date|current_time|current_timestamp|localtime|localtimestamp)\b", re.I
)
TEST_NOW = re.compile(r"date\.today\(\)|datetime\.now\(|datetime\.utcnow\(")


def _sources(*folders: str, pattern: str = "*.py") -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob(pattern))]


def _hits(paths: list[Path], regex: re.Pattern[str], *, allow_marked: bool = False) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if regex.search(line) and not (allow_marked and "# clock-ok" in line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_time_is_read_through_engine_clock_only() -> None:
    code = [
        path for path in _sources("engine", "console", "pages", "jobs") if path != ROOT / "engine/clock.py"
    ]
    assert _hits(code, PYTHON_NOW) == [], "read time through engine.clock (utcnow, business_day)"
    assert _hits(_sources("sql", pattern="*.sql"), SQL_NOW) == [], (
        "pass the time from engine.clock as a parameter: the database's clock is another one"
    )
    assert _hits(_sources("tests"), TEST_NOW, allow_marked=True) == [], (
        "tests take dates from tests.conftest (TODAY, DELIVERY, ...); mark a real need with # clock-ok"
    )


def test_a_pin_is_read_as_an_instant_that_keeps_running(monkeypatch: pytest.MonkeyPatch) -> None:
    at = datetime(2030, 6, 15, 1, 30, tzinfo=ZONE)  # still 14 June in UTC
    monkeypatch.setenv(clock.TEST_CLOCK_VARIABLE, clock.pinned(at, real=time.time() - 10))
    assert timedelta(seconds=10) <= clock.utcnow() - at < timedelta(seconds=70), "pinned ten seconds ago"
    assert clock.business_day(ZONE) == date(2030, 6, 15) and clock.business_day(ZoneInfo("UTC")) == date(
        2030, 6, 14
    )
    for bad in ("2030-06-14", "2030-06-14T10:00:00@1", "2030-06-14T10:00:00+00:00@soon"):
        monkeypatch.setenv(clock.TEST_CLOCK_VARIABLE, bad)
        with pytest.raises(ConfigurationError, match=clock.TEST_CLOCK_VARIABLE):
            clock.utcnow()
    with pytest.raises(ValueError, match="aware"):
        clock.pinned(datetime(2030, 6, 14))


@pytest.mark.clock
def test_the_engine_runs_on_the_suites_clock(duck_world: World) -> None:
    assert PINNED_AT <= clock.utcnow() < PINNED_AT + timedelta(hours=2)
    assert clock.business_day(ZONE) == TODAY == api.business_today(duck_world.ledger)
    tag = duck_world.ingest().tag_id or ""
    assert tag.startswith(f"TAG-{TODAY:%Y%m%d}-"), "tag ids carry the business day"
    assert DELIVERY.weekday() in WORKING_WEEKDAYS and timedelta(days=20) <= DELIVERY - TODAY
    assert DELIVERY - timedelta(days=1) == STOCK_DATE


@pytest.mark.clock
def test_a_subprocess_shares_the_clock() -> None:
    before = clock.utcnow()
    done = subprocess.run(
        [sys.executable, "-c", "from engine.clock import utcnow; print(utcnow().isoformat())"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert before <= datetime.fromisoformat(done.stdout.strip()) <= clock.utcnow(), (
        "a CLI, the worker or the console started by a test runs on the same timeline"
    )


@pytest.mark.clock
def test_demo_data_is_dated_from_the_business_day(tmp_path: Path) -> None:
    ledger = api.open_ledger(load_settings(data_dir=tmp_path / "data", demo_data=True, jobs_enabled=False))
    try:
        _check_demo_dates(ledger)
    finally:
        ledger.close()


def _check_demo_dates(ledger: api.Ledger) -> None:
    api.load_demo(ledger, actor=CLI_OPERATOR)
    status = api.stock_status(ledger, actor=CLI_OPERATOR)
    assert status.latest is not None and status.latest.snapshot_date == TODAY
    production = clock.next_working_day(TODAY, WORKING_WEEKDAYS)
    assert status.for_date == production and not status.stale
    assert api.current_allocation(ledger, production, actor=CLI_OPERATOR), "the next working day's run"
    due = {tag.requested_delivery_date for tag in api.list_tags(ledger, actor=CLI_OPERATOR).items}
    assert due and all(day > TODAY and day.weekday() in WORKING_WEEKDAYS for day in due)


def _clock_modules() -> list[str]:
    """The modules with date-sensitive tests: collecting only these keeps each day's run short."""
    marked = re.compile(r"\bmark\.clock\b")
    return [
        str(p.relative_to(ROOT)) for p in _sources("tests") if marked.search(p.read_text(encoding="utf-8"))
    ]


def _run_on(day: date, basetemp: Path) -> subprocess.CompletedProcess[str]:
    """The date-sensitive tests in a pytest of their own under faketime, the clock following it.
    DuckDB only: no SQL reads the clock (see above), so a weekday changes nothing the PostgreSQL
    variants would see differently, and those run in the main session on the pinned day."""
    env = {key: value for key, value in os.environ.items() if key != clock.TEST_CLOCK_VARIABLE}
    # TZ: 10:00 UTC is the same date in the business zone. DONT_RESET: subprocesses go on from the
    # parent's faked time instead of starting over at 10:00 (which would put them in its past).
    env.update(OPSLEDGER_TEST_FOLLOW_SYSTEM_CLOCK="1", FAKETIME_DONT_RESET="1", TZ="UTC")
    command = [
        "faketime", "-f", f"@{day.isoformat()} 10:00:00",
        sys.executable, "-m", "pytest", "-m", "clock and not postgres and not browser",
        f"--basetemp={basetemp}", *_clock_modules(),
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=DAY_TIMEOUT_S)


@pytest.mark.slow
def test_the_date_sensitive_tests_pass_on_every_weekday(tmp_path: Path) -> None:
    if FOLLOW_SYSTEM_CLOCK:
        pytest.fail("this test starts the faketime runs; it never runs inside one")
    if shutil.which("faketime") is None:
        pytest.fail("Debian's faketime is missing: `make faketime` installs it (`make test` does)")
    # Two at a time: the suite's machines have two cores, and each run is mostly one busy process.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda day: _run_on(day, tmp_path / f"{day}"), WEEK))
    passed = []
    for day, run in zip(WEEK, runs, strict=True):
        output = run.stdout + run.stderr
        assert run.returncode == 0, f"{day:%A %Y-%m-%d}: the date-sensitive tests failed:\n{output[-6000:]}"
        assert f"business clock: {day.isoformat()} ({day:%A})" in output and "the system clock" in output, (
            f"{day}: the run did not follow the faked clock:\n{output[-2000:]}"
        )
        counts = re.search(r"(\d+) passed", output)
        passed.append(int(counts[1]) if counts else 0)
    assert min(passed) == max(passed) >= 15, f"the same date-sensitive tests pass every day: {passed}"


def test_operations_flags_a_moved_clock(duck_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test clock is one environment variable: a deployment that inherited it would date tags and
    allocations wrongly, so the health report says so (and is happy once it is gone)."""
    check = next(c for c in api.health(duck_world.ledger, actor=CLI_OPERATOR).checks if c.name == "clock")
    assert not check.ok and clock.TEST_CLOCK_VARIABLE in check.detail and TODAY.isoformat() in check.detail
    monkeypatch.delenv(clock.TEST_CLOCK_VARIABLE)
    check = next(c for c in api.health(duck_world.ledger, actor=CLI_OPERATOR).checks if c.name == "clock")
    assert check.ok and check.detail.startswith("system clock")
