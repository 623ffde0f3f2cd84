"""Fixtures of the console tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console import handle
from engine import api


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[api.Ledger]:
    """The console's own engine handle on a fresh store with the demo data."""
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "true")
    monkeypatch.setenv("OPSLEDGER_JOBS_ENABLED", "false")
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)
    ledger = handle.get_ledger()
    assert api.load_demo(ledger, actor=api.CLI_OPERATOR).loaded
    yield ledger
    handle.close_all()
