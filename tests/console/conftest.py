"""Fixtures of the console tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import handle
from engine import api


def _use_data_dir(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "true")
    monkeypatch.setenv("OPSLEDGER_JOBS_ENABLED", "false")
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store loaded once per test session, through the console's own handle, and closed: a
    data directory (the DuckDB file and the file store) that each test copies."""
    data_dir = tmp_path_factory.mktemp("demo-template") / "data"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _use_data_dir(monkeypatch, data_dir)
        try:
            assert api.load_demo(handle.get_ledger(), actor=api.CLI_OPERATOR).loaded
        finally:
            handle.close_all()
    return data_dir


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_template: Path) -> Iterator[api.Ledger]:
    """The console's own engine handle on a fresh store with the demo data (a copy of the session's
    demo store: every test starts from the same state and changes only its own copy)."""
    data_dir = tmp_path / "data"
    shutil.copytree(demo_template, data_dir)
    _use_data_dir(monkeypatch, data_dir)
    ledger = handle.get_ledger()
    yield ledger
    handle.close_all()
