"""Fixtures of the integration API tests: real consoles (``streamlit run console/app.py``) answering
real HTTP, each on a free port with a data dir of its own and keys created before it starts (the
console then owns its DuckDB file).

- ``api_console``: the embedded default (DuckDB, demo data), a generous rate limit; the contracts.
- ``tight_console``: PostgreSQL (a database of its own, so the tests can read the audit trail while
  it runs), a rate limit of a few calls a minute and a small upload limit; the limits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis

from engine import api
from engine.clock import TEST_CLOCK_VARIABLE, pinned
from engine.config import load_settings
from tests.conftest import DATA_DIR, PG_SERVER, PINNED_AT, TODAY, _pg_admin
from tests.e2e.browser import ROOT, START_TIMEOUT_S, free_port, get, tail

GRAPH_STATE = "graph-client-state-for-tests"
TIGHT_RATE = 4  # calls a minute: the fifth call of a burst is refused
TIGHT_UPLOAD_MB = 0.05  # 52 KB files: request bodies over ~134 KB are refused


@dataclass(frozen=True)
class ApiConsole:
    url: str
    data_dir: Path
    log: Path
    keys: dict[str, str] = field(default_factory=dict)
    database_url: str | None = None

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[key]}"}


def _env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPSLEDGER_")}
    if TEST_CLOCK_VARIABLE in os.environ:
        env[TEST_CLOCK_VARIABLE] = os.environ[TEST_CLOCK_VARIABLE]
    env.update(
        OPSLEDGER_DATA_DIR=str(data_dir),
        OPSLEDGER_SECRETS_FILE=str(data_dir / "no-secrets.toml"),
        OPSLEDGER_JOBS_ENABLED="false",
        PYTHONUNBUFFERED="1",
        **{f"OPSLEDGER_{name.upper()}": value for name, value in settings.items()},
    )
    return env


def _keys(ledger: api.Ledger, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """One key per caller the tests play: each upload role, a role without the upload permission,
    a revoked key and a key that expires today (created three days ago)."""
    admin = api.CLI_OPERATOR
    keys = {
        name: api.create_api_key(ledger, name=name, roles=roles, actor=admin).key
        for name, roles in {
            "nesting": ["sales"],
            "stores-flow": ["stores"],
            "ops": ["admin"],
            "finance-flow": ["finance"],
            "revoked": ["sales"],
        }.items()
    }
    api.revoke_api_key(ledger, keys["revoked"].split("_")[1], actor=admin)
    with monkeypatch.context() as past:
        past.setenv(TEST_CLOCK_VARIABLE, pinned(PINNED_AT - timedelta(days=3)))
        keys["expired"] = api.create_api_key(
            ledger, name="expired", roles=["sales"], expires=TODAY, actor=admin
        ).key
    return keys


def _serve(env: dict[str, str], data_dir: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    log_path = data_dir / "console.log"
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "console/app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while '"status":"ok"' not in (get(f"{url}/api/v1/health") or ""):
        if process.poll() is not None:
            pytest.fail(f"the console exited with {process.returncode}:\n{tail(log_path)}")
        if time.monotonic() > deadline:
            _stop(process)
            pytest.fail(f"no /api/v1/health on {url} within {START_TIMEOUT_S}s:\n{tail(log_path)}")
        time.sleep(0.25)
    return process, url, log_path


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _no_tracebacks(log_path: Path) -> None:
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text, f"the console logged a traceback ({log_path}):\n{text[-4000:]}"


def _demo_console(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[ApiConsole]:
    data_dir = tmp_path_factory.mktemp(name) / "data"
    # Loopback is listed so that the tests see it refused as a non-public address, not as unlisted.
    env = _env(
        data_dir,
        demo_data="true",
        api_rate_per_minute="100000",
        file_url_hosts="127.0.0.1,localhost",
        graph_client_state=GRAPH_STATE,
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ledger = api.open_ledger(load_settings())
        try:
            assert api.load_demo(ledger, actor=api.CLI_OPERATOR).loaded
            keys = _keys(ledger, monkeypatch)
        finally:
            ledger.close()
    process, url, log_path = _serve(env, data_dir)
    try:
        yield ApiConsole(url=url, data_dir=data_dir, log=log_path, keys=keys)
    finally:
        _stop(process)
    _no_tracebacks(log_path)


@pytest.fixture(scope="session")
def api_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiConsole]:
    yield from _demo_console(tmp_path_factory, "opsledger-api")


@pytest.fixture(scope="session")
def fuzz_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiConsole]:
    """A console of its own for schemathesis: what it generates (master rows, allocations) stays
    out of the contract tests' store."""
    yield from _demo_console(tmp_path_factory, "opsledger-api-fuzz")


@pytest.fixture(scope="session")
def fuzz_schema(fuzz_console: ApiConsole) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzz_console.api}/openapi.json")


@pytest.fixture(scope="session")
def tight_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiConsole]:
    name = f"opsledger_api_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as error:  # the PostgreSQL tests skip (or fail under OPSLEDGER_REQUIRE_PG) alike
        if os.environ.get("OPSLEDGER_REQUIRE_PG"):
            pytest.fail(f"no PostgreSQL server at {PG_SERVER}: {error}", pytrace=False)
        pytest.skip(f"no PostgreSQL server at {PG_SERVER}: {error}")
    database_url = f"{PG_SERVER}/{name}"
    data_dir = tmp_path_factory.mktemp("opsledger-api-tight") / "data"
    env = _env(
        data_dir,
        database_url=database_url,
        demo_data="false",
        api_rate_per_minute=str(TIGHT_RATE),
        max_upload_mb=str(TIGHT_UPLOAD_MB),
    )
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            for key, value in env.items():
                monkeypatch.setenv(key, value)
            ledger = api.open_ledger(load_settings())
            try:
                api.import_lpos(ledger, (DATA_DIR / "lpo_master.csv").read_bytes(), actor=api.CLI_OPERATOR)
                keys = _keys(ledger, monkeypatch)
            finally:
                ledger.close()
        process, url, log_path = _serve(env, data_dir)
        try:
            yield ApiConsole(url=url, data_dir=data_dir, log=log_path, keys=keys, database_url=database_url)
        finally:
            _stop(process)
        _no_tracebacks(log_path)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``pytest -n`` every API test runs on one worker, so each console starts once."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("api"))
