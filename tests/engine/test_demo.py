"""Demo accounts (published passwords) exist only while demo data is on: ``demo load`` honours
``OPSLEDGER_DEMO_DATA``, ``--force`` never mixes them into real data, and Operations warns about
demo accounts left active in a store whose demo data is off."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from engine import api
from engine.api import CLI_OPERATOR
from engine.cli import main
from engine.demo.loader import DEMO_ACCOUNTS
from tests.conftest import PASSWORD, make_settings

Cli = Callable[..., tuple[int, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``python -m engine`` on a store in ``tmp_path``; ``demo`` sets OPSLEDGER_DEMO_DATA."""
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)

    def run(*args: str, demo: bool, stdin: str = "") -> tuple[int, str]:
        monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "true" if demo else "false")
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        return code, capsys.readouterr().out

    return run


def users_in(tmp_path: Path) -> list[str]:
    ledger = api.open_ledger(make_settings(tmp_path))
    try:
        return [u.email for u in api.list_users(ledger, actor=CLI_OPERATOR)]
    finally:
        ledger.close()


def test_with_demo_data_off_no_demo_account_is_ever_created(cli: Cli, tmp_path: Path) -> None:
    code, out = cli("demo", "load", demo=False)
    assert code == 0, "make run goes on"
    assert json.loads(out) == {
        "loaded": False,
        "reason": "demo data is off (OPSLEDGER_DEMO_DATA=false)",
        "accounts": [],
        "uploads": [],
        "allocation_run": None,
    }
    code, out = cli("demo", "load", "--force", demo=False)
    assert code == 1 and json.loads(out)["error"] == "CONFLICT"
    assert "OPSLEDGER_DEMO_DATA=false" in json.loads(out)["message"]
    assert users_in(tmp_path) == []
    code, out = cli("demo", "accounts", "--banner", demo=False)
    assert code == 0 and out.startswith("OpsLedger console: ") and len(out.splitlines()) == 1


def test_force_refuses_a_store_with_real_data(cli: Cli, tmp_path: Path) -> None:
    assert cli("users", "add", "--email", "ops@company.example", "--role", "admin", demo=True)[0] == 0
    code, out = cli("demo", "load", demo=True)
    assert code == 0 and json.loads(out)["reason"] == "the store already holds users or LPOs"
    code, out = cli("demo", "load", "--force", demo=True)
    assert code == 1 and json.loads(out)["error"] == "CONFLICT"
    assert "holds data beyond the demo set (1 user(s))" in json.loads(out)["message"]
    assert users_in(tmp_path) == ["ops@company.example"]


def test_demo_accounts_left_active_with_demo_data_off_are_flagged(cli: Cli, tmp_path: Path) -> None:
    assert json.loads(cli("demo", "load", demo=True)[1])["loaded"] is True
    code, out = cli("demo", "load", "--force", demo=True)
    assert code == 0 and json.loads(out)["loaded"] is True, "a store of demo data only may be reloaded"
    code, out = cli("demo", "accounts", "--banner", demo=True)
    assert "admin@demo.local       password admin-demo-2026" in out

    # The same store, now run with demo data off: the accounts are still there, and flagged.
    ledger = api.open_ledger(make_settings(tmp_path))
    try:
        report = api.health(ledger, actor=CLI_OPERATOR)
        assert report.exposed_demo_accounts == sorted(DEMO_ACCOUNTS)
        assert not report.ok
        check = next(c for c in report.checks if c.name == "demo accounts")
        assert not check.ok and "admin@demo.local" in check.detail
        assert all(a.password is None for a in api.demo_accounts(ledger, actor=CLI_OPERATOR))
    finally:
        ledger.close()
    code, out = cli("demo", "accounts", "--banner", demo=False)
    assert "WARNING: demo accounts with published passwords are active while demo data is off" in out
    assert "admin-demo-2026" not in out

    ledger = api.open_ledger(make_settings(tmp_path))
    try:
        admin = api.actor_for(ledger, "admin@demo.local", source=api.Source.CLI)
        api.add_user(ledger, email="ops@company.example", roles=["admin"], password=PASSWORD, actor=admin)
        for email in DEMO_ACCOUNTS:
            api.set_user_active(ledger, email=email, active=False, actor=CLI_OPERATOR)
        report = api.health(ledger, actor=CLI_OPERATOR)
        assert report.exposed_demo_accounts == []
        assert next(c for c in report.checks if c.name == "demo accounts").ok
    finally:
        ledger.close()
    code, out = cli("demo", "load", "--force", demo=True)
    assert code == 1 and "1 user(s)" in json.loads(out)["message"], "real data arrived meanwhile"
