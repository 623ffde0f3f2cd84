"""The finance desk's CLI (issue 8 §5): `vendors import/list` and `invoices process/poll/list/show/
reprocess`, JSON on stdout, errors as JSON with exit status 1."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.demo.invoices import DEMO_VENDORS_CSV, demo_mails
from tests.conftest import TODAY, ZONE
from tests.engine.invoice_mails import mail

Cli = Callable[..., tuple[int, Any]]
USER = "finance@demo.local"
INVOICE_OBJECT = {
    "invoice_id",
    "status",
    "vendor_name",
    "vendor_source",
    "invoice_number",
    "invoice_date",
    "due_date",
    "total_amount",
    "currency",
    "gl_code",
    "field_sources",
    "exception_id",
    "routed_to",
    "trace_id",
}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "false")
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)

    def run(*args: str) -> tuple[int, Any]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        code = main(list(args))
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else None

    assert run("db", "upgrade")[0] == 0
    assert run("users", "add", "--email", USER, "--role", "finance")[0] == 0
    return run


def _file(tmp_path: Path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def test_vendors_import_and_list(cli: Cli, tmp_path: Path) -> None:
    code, summary = cli("vendors", "import", _file(tmp_path, "vendors.csv", DEMO_VENDORS_CSV), "--user", USER)
    assert code == 0
    assert {k: summary[k] for k in ("rows", "created", "updated", "unchanged")} == {
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert summary["trace_id"]
    code, vendors = cli("vendors", "list")
    assert code == 0
    gulf = next(v for v in vendors if v["vendor_name"] == "Gulf Office Supplies")
    assert gulf["sender_domains"] == ["gulfoffice.example"] and gulf["aliases"] == [
        "Gulf Office",
        "GOS Trading",
    ]
    assert (gulf["gl_code"], gulf["product_category"]) == ("6200", "Direct")
    assert next(v for v in vendors if v["gl_code"] == "6300")["product_category"] == "Reseller"
    code, again = cli("vendors", "import", _file(tmp_path, "vendors.csv", DEMO_VENDORS_CSV), "--user", USER)
    assert code == 0 and again["unchanged"] == 3


def test_a_bad_vendor_file_is_a_json_error(cli: Cli, tmp_path: Path) -> None:
    bad = DEMO_VENDORS_CSV + "Broken Co,not a domain,,6900,OPS,1,Direct\n"
    code, error = cli("vendors", "import", _file(tmp_path, "bad.csv", bad), "--user", USER)
    assert code == 1 and error["error"] == "VALIDATION_ERROR" and "row 5" in error["message"]
    assert cli("vendors", "list")[1] == []
    code, error = cli(
        "vendors", "import", _file(tmp_path, "v.csv", DEMO_VENDORS_CSV), "--user", "who@x.example"
    )
    assert code == 1 and error["error"] == "NOT_FOUND"


def test_invoices_process_show_list_and_reprocess(cli: Cli, tmp_path: Path) -> None:
    cli("vendors", "import", _file(tmp_path, "vendors.csv", DEMO_VENDORS_CSV), "--user", USER)
    known = _file(tmp_path, "known.eml", mail())
    code, first = cli("invoices", "process", known, "--user", USER)
    assert code == 0 and set(first) >= INVOICE_OBJECT
    assert (first["status"], first["vendor_name"], first["vendor_source"], first["gl_code"]) == (
        "processed",
        "ACME Tools LLC",
        "domain",
        "6100",
    )
    assert first["invoice_number"] == "INV-2026-1142" and first["currency"] == "AED"
    assert first["invoice_date"] == (TODAY - timedelta(days=1)).isoformat()
    assert isinstance(first["total_amount"], str) and Decimal(first["total_amount"]) == Decimal("315")
    assert first["field_sources"]["invoice_number"] == "generic" and first["exception_id"] is None
    assert first["routed_to"] and "ap@opsledger.example" in first["routed_to"]

    code, again = cli("invoices", "process", known, "--user", USER)
    assert code == 0 and again["status"] == "skipped" and again["invoice_id"] == first["invoice_id"]
    assert again["reason"].startswith("already processed")

    unknown = dict(demo_mails(TODAY, ZONE))["desert-rain-204.eml"]
    code, waiting = cli("invoices", "process", _file(tmp_path, "unknown.eml", unknown), "--user", USER)
    assert code == 0 and waiting["status"] == "unknown" and waiting["exception_id"]
    assert waiting["vendor_name"] is None and waiting["vendor_source"] is None

    code, shown = cli("invoices", "show", first["invoice_id"])
    assert code == 0 and shown["invoice_id"] == first["invoice_id"] and shown["gl_code"] == "6100"
    code, page = cli("invoices", "list", "--status", "unknown")
    assert (
        code == 0
        and page["total"] == 1
        and [i["invoice_id"] for i in page["items"]] == [waiting["invoice_id"]]
    )
    code, page = cli("invoices", "list")
    assert page["total"] == 2

    desert = "vendor_name,sender_domains,aliases,gl_code,expense_dept,allocation_schedule,product_category\n"
    desert += "Desert Rain Catering,desertrain.example,,6500,HR,1,Direct\n"
    cli("vendors", "import", _file(tmp_path, "desert.csv", desert), "--user", USER)
    code, done = cli("invoices", "reprocess", "--vendor", "Desert Rain Catering", "--user", USER)
    assert code == 0
    assert [(d["invoice_id"], d["status"], d["gl_code"]) for d in done] == [
        (waiting["invoice_id"], "processed", "6500")
    ]
    code, one = cli("invoices", "reprocess", first["invoice_id"], "--user", USER)
    assert code == 0 and [(d["invoice_id"], d["status"]) for d in one] == [(first["invoice_id"], "processed")]


def test_invoices_poll_reads_the_folder(cli: Cli, tmp_path: Path) -> None:
    cli("vendors", "import", _file(tmp_path, "vendors.csv", DEMO_VENDORS_CSV), "--user", USER)
    inbox = tmp_path / "data" / "inbox" / "mail"
    inbox.mkdir(parents=True)
    for name, raw in demo_mails(TODAY, ZONE):
        (inbox / name).write_bytes(raw)
    code, result = cli("invoices", "poll", "--user", USER)
    assert code == 0
    assert set(result) >= {"messages", "invoices", "skipped", "errors", "trace_id"}
    assert (result["messages"], result["invoices"], result["skipped"], result["errors"]) == (5, 4, 1, 0)
    assert sorted(p.name for p in (inbox / "done").iterdir()) == sorted(n for n, _ in demo_mails(TODAY, ZONE))
    code, again = cli("invoices", "poll", "--user", USER)
    assert code == 0 and again["messages"] == 0 and again["invoices"] == 0
    code, error = cli("invoices", "poll", "--source", "graph", "--user", USER)
    assert code == 1 and "folder" in error["message"]


def test_invoice_errors_are_json(cli: Cli) -> None:
    code, error = cli("invoices", "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert code == 1 and error["error"] == "NOT_FOUND"
    code, error = cli("invoices", "list", "--status", "paid")
    assert code == 1 and "paid" in error["message"]
    code, error = cli("invoices", "reprocess", "--vendor", "Nobody Ltd", "--user", USER)
    assert code == 1 and error["error"] == "NOT_FOUND"
