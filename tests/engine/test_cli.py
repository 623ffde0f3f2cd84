"""``python -m engine``: JSON on stdout, structured errors, exit status only on errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from engine.cli import main
from engine.demo.builder import DATA_DIR
from tests.conftest import DELIVERY, STOCK_DATE, TODAY

SHEET = str(DATA_DIR / "TAG-20250615-0007_cutexport_v1.xlsx")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "false")
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)

    def run(*args: str, stdin: str = "") -> tuple[int, object]:
        monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(stdin))
        code = main(list(args))
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else None

    return run


@pytest.mark.clock
def test_tag_flow_through_the_cli(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("db", "upgrade")[0] == 0
    code, summary = cli("lpo", "import", str(DATA_DIR / "lpo_master.csv"))
    assert code == 0 and summary["created"] == 3
    code, user = cli(
        "users",
        "add",
        "--email",
        "sales@demo.local",
        "--role",
        "sales",
        "--password-stdin",
        stdin="Long-enough-pw\n",
    )
    assert code == 0 and user["roles"] == ["sales"] and user["has_password"] is True
    args = (
        "tags",
        "ingest",
        "--file",
        SHEET,
        "--lpo",
        "LPO-2025-0412",
        "--area",
        "32.77",
        "--delivery-date",
        DELIVERY.isoformat(),
        "--user",
        "sales@demo.local",
        "--request-id",
        "aaaaaaaa-1111-4111-8111-111111111111",
    )
    code, first = cli(*args)
    assert code == 0 and first["status"] == "UPLOADED" and first["http_status"] == 200
    assert set(first) >= {
        "status",
        "http_status",
        "tag_id",
        "file_hash",
        "exception_id",
        "existing_tag_id",
        "message",
        "trace_id",
    }
    assert cli(*args)[1] == first
    code, dup = cli(*args[:-2], "--request-id", "bbbbbbbb-2222-4222-8222-222222222222")
    assert code == 0 and dup["status"] == "DUPLICATE" and dup["existing_tag_id"] == first["tag_id"]
    code, shown = cli("tags", "show", first["tag_id"])
    assert code == 0 and len(shown["lines"]) == 16
    code, listed = cli("exceptions", "list", "--kind", "DUPLICATE_UPLOAD")
    assert code == 0 and [e["exception_id"] for e in listed["items"]] == [dup["exception_id"]]
    code, acted = cli(
        "exceptions",
        "act",
        dup["exception_id"],
        "--action",
        "dismiss",
        "--user",
        "sales@demo.local",
        "--notes",
        "uploaded twice by mistake",
    )
    assert code == 0 and acted["status"] == "DISMISSED"
    code, found = cli("audit", "--trace", first["trace_id"])
    trail = found["items"]
    assert code == 0 and first["tag_id"] in {entry["entity_id"] for entry in trail}
    # This store has no material master yet: the upload's lines wait for review, raised in the same trace.
    assert {entry["action"] for entry in trail} == {"TAG_UPLOAD", "EXCEPTION_RAISED"}
    code, users = cli("users", "list")
    assert code == 0 and [u["email"] for u in users] == ["sales@demo.local"]


def test_errors_are_structured(cli) -> None:  # type: ignore[no-untyped-def]
    cli("db", "upgrade")
    code, error = cli("tags", "show", "TAG-20990101-0001")
    assert code == 1 and error == {
        "error": "NOT_FOUND",
        "message": "No tag TAG-20990101-0001.",
        "tag_id": "TAG-20990101-0001",
    }
    code, error = cli(
        "tags",
        "ingest",
        "--file",
        SHEET,
        "--lpo",
        "X",
        "--area",
        "0",
        "--delivery-date",
        DELIVERY.isoformat(),
        "--user",
        "nobody@demo.local",
    )
    assert code == 1 and error["error"] == "VALIDATION_ERROR" and error["field"] == "required_area_m2"
    code, error = cli(
        "tags",
        "ingest",
        "--file",
        "/no/such/file.xlsx",
        "--lpo",
        "X",
        "--area",
        "1",
        "--delivery-date",
        DELIVERY.isoformat(),
        "--user",
        "nobody@demo.local",
    )
    assert code == 1 and "Cannot read /no/such/file.xlsx" in error["message"]
    code, error = cli("exceptions", "list", "--status", "WHATEVER")
    assert code == 1 and "not one of" in error["message"]
    code, error = cli(
        "tags",
        "ingest",
        "--file",
        SHEET,
        "--lpo",
        "X",
        "--area",
        "1",
        "--delivery-date",
        DELIVERY.isoformat(),
        "--user",
        "nobody@demo.local",
    )
    assert code == 1 and error["error"] == "NOT_FOUND" and "users add" in error["message"]


def test_db_flag_and_lock_message(tmp_path: Path) -> None:
    """--db picks the store; a store held by another process is a clear error, exit status 1."""
    url = f"duckdb:///{tmp_path / 'other.duckdb'}"
    env = {**os.environ, "OPSLEDGER_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "engine", "--db", url, "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and json.loads(done.stdout)["database"] == url
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(tmp_path / 'other.duckdb')!r}); "
            "print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        blocked = subprocess.run(
            [sys.executable, "-m", "engine", "--db", url, "lpo", "list"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
    assert blocked.returncode == 1
    error = json.loads(blocked.stdout)
    assert error["error"] == "STORE_UNAVAILABLE" and f"process {holder.pid}" in error["message"]
    assert "Traceback" not in blocked.stderr and blocked.stderr.startswith("error: The database file")


@pytest.mark.clock
def test_stores_flow_through_the_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("db", "upgrade")
    cli("lpo", "import", str(DATA_DIR / "lpo_master.csv"))
    cli("users", "add", "--email", "sales@demo.local", "--role", "sales")
    cli("users", "add", "--email", "stores@demo.local", "--role", "stores")
    for kind, name in (
        ("skus", "sap_material.csv"),
        ("master", "material_master.csv"),
        ("brandmap", "lpo_material_brand_map.csv"),
        ("units", "material_uom_conversion.csv"),
    ):
        code, result = cli("materials", "import", kind, str(DATA_DIR / name))
        assert code == 0 and result["created"] > 0, result
    snapshot = tmp_path / "snap.csv"
    snapshot.write_text((DATA_DIR / "sap_snapshot.csv").read_text().replace("2025-06-14,", f"{STOCK_DATE},"))
    code, loaded = cli("stock", "import", str(snapshot))
    assert code == 0 and loaded["skus"] == 28
    code, tag = cli(
        "tags",
        "ingest",
        "--file",
        SHEET,
        "--lpo",
        "LPO-2025-0412",
        "--area",
        "32.77",
        "--delivery-date",
        DELIVERY.isoformat(),
        "--user",
        "sales@demo.local",
    )
    assert code == 0 and tag["status"] == "UPLOADED"
    code, queue = cli("map", "review", "list")
    assert code == 0 and sorted(item["description"] for item in queue) == [
        "aluminum tape",
        "corner",
        "misc hardware",
    ]
    code, found = cli(
        "map",
        "lookup",
        "--description",
        "  PHENOLIC   20MM 80/80 ",
        "--lpo",
        "LPO-2025-0412",
        "--qty",
        "28.8",
        "--uom",
        "m2",
    )
    assert code == 0 and (found["decision"], found["canonical_code"]) == ("AUTO", "PNL-PHE-20-8080")
    tape = next(item for item in queue if item["description"] == "aluminum tape")
    code, resolved = cli(
        "map",
        "resolve",
        tape["exception_id"],
        "--canonical",
        "TAPE-AL-75",
        "--scope",
        "LPO",
        "--user",
        "stores@demo.local",
    )
    assert code == 0 and resolved["scope_value"] == "LPO-2025-0412" and resolved["lines_mapped"] == 1
    code, run = cli("allocate", "--date", DELIVERY.isoformat())
    assert code == 0 and run["lines_allocated"] == 12, run  # the resolved tape line is allocated now
    out = tmp_path / "pick.pdf"
    code, written = cli("picklist", "--date", DELIVERY.isoformat(), "--format", "pdf", "--out", str(out))
    assert code == 0 and out.read_bytes().startswith(b"%PDF") and written["skus"] >= 10
    exported = tmp_path / "master.xlsx"
    code, done = cli("materials", "export", "master", str(exported))
    assert code == 0 and done["format"] == "xlsx" and exported.read_bytes().startswith(b"PK")
    code, error = cli("materials", "import", "gizmos", str(exported))
    assert code == 1 and "not one of" in error["message"]


def test_api_keys_through_the_cli(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("db", "upgrade")[0] == 0
    expires = (TODAY + timedelta(days=90)).isoformat()
    code, created = cli(
        "apikeys", "create", "--name", "nesting", "--role", "stores", "--role", "sales", "--expires", expires
    )
    assert code == 0 and set(created) == {"key_id", "key", "name", "roles", "expires"}
    assert created["key"].startswith(f"olk_{created['key_id']}_")
    assert (created["name"], created["roles"], created["expires"]) == (
        "nesting",
        ["sales", "stores"],
        expires,
    )
    code, listed = cli("apikeys", "list")
    assert code == 0 and [k["key_id"] for k in listed] == [created["key_id"]]
    assert listed[0]["created_by"] == "system:cli" and listed[0]["revoked_at"] is None
    secret = created["key"].split("_", 2)[2]
    assert "key" not in listed[0] and "secret_hash" not in listed[0] and secret not in json.dumps(listed)
    code, revoked = cli("apikeys", "revoke", created["key_id"])
    assert code == 0 and revoked["key_id"] == created["key_id"]
    assert revoked["revoked_by"] == "system:cli" and revoked["revoked_at"]
    code, again = cli("apikeys", "revoke", created["key_id"])
    assert code == 1 and again["error"] == "CONFLICT" and again["key_id"] == created["key_id"]
    code, error = cli("apikeys", "create", "--name", "nesting", "--role", "boss")
    assert code == 1 and error["error"] == "VALIDATION_ERROR" and error["field"] == "role"
    assert "Unknown role 'boss'" in error["message"]
    code, error = cli(
        "apikeys", "create", "--name", "nesting", "--role", "sales", "--expires", TODAY.isoformat()
    )
    assert code == 1 and error["error"] == "VALIDATION_ERROR" and error["field"] == "expires"
    code, error = cli("apikeys", "revoke", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert code == 1 and error["error"] == "NOT_FOUND"
    assert [k["key_id"] for k in cli("apikeys", "list")[1]] == [created["key_id"]], "refusals add no keys"
