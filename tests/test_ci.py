"""CI runs what it can: ``.ci/run`` runs ``make test`` with ``OPSLEDGER_REQUIRE_PG=1``, under which an
unreachable PostgreSQL server fails the run instead of skipping the PostgreSQL variants."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PROBE = "tests/test_ci.py::test_the_postgres_variants_get_a_database_of_the_suites_own"


def test_ci_runs_make_test_and_requires_postgres() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^export OPSLEDGER_REQUIRE_PG=1$", script, re.MULTILINE)
    assert script.rstrip().splitlines()[-1] == "exec make test", "CI runs everything a developer runs"


@pytest.mark.postgres
def test_the_postgres_variants_get_a_database_of_the_suites_own(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert name.startswith("opsledger_test_") and pg_url.endswith(f"/{name}")


@pytest.mark.parametrize("required", [False, True], ids=["developer", "ci"])
def test_an_unreachable_server_skips_or_fails_the_run(required: bool, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))  # bound and never listening: every connection is refused
        port = closed.getsockname()[1]
        env = {key: value for key, value in os.environ.items() if key != "OPSLEDGER_REQUIRE_PG"}
        env["OPSLEDGER_TEST_PG"] = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        if required:
            env["OPSLEDGER_REQUIRE_PG"] = "1"
        done = subprocess.run(
            [sys.executable, "-m", "pytest", PROBE, f"--basetemp={tmp_path / 'run'}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = done.stdout + done.stderr
    assert f"no PostgreSQL server reachable at postgresql+psycopg://postgres@127.0.0.1:{port}" in output
    summary = output.strip().splitlines()[-1]
    if required:
        assert done.returncode == 1 and re.search(r"=+ 1 error in ", summary), output
        assert "OPSLEDGER_REQUIRE_PG is set: the PostgreSQL tests must run" in output
    else:
        assert done.returncode == 0 and re.search(r"=+ 1 skipped in ", summary), output
