"""Uploads racing for one LPO never overcommit the PO and never share a tag id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from engine import api
from engine.demo.builder import DATA_DIR, csv_bytes
from engine.vocab import IngestStatus
from tests.conftest import DELIVERY, World

# LPO-2025-0412: PO 1500.00, delivered 1180.50 → 319.50 m2 left; 16 uploads of 25.00 m2: 12 fit.
UPLOADS, AREA, FITTING = 16, "25.00", 12


def sheet(index: int) -> bytes:
    return csv_bytes(
        [
            {
                "line": 1,
                "part_no": f"P-{index:03d}",
                "nesting_description": "Phenolic panel 20mm 80/80 micron",
                "qty": str(20 + index),
                "unit": "m2",
            }
        ]
    )


def consecutive(tag_ids: list[str]) -> bool:
    numbers = sorted(int(t.rsplit("-", 1)[1]) for t in tag_ids)
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_sixteen_threads_on_duckdb(duck_world: World) -> None:
    def upload(index: int) -> api.IngestResult:
        return duck_world.ingest(content=sheet(index), name=f"sheet_{index}.csv", area=AREA)

    with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
        results = list(pool.map(upload, range(UPLOADS)))
    statuses = [r.status for r in results]
    assert statuses.count(IngestStatus.UPLOADED) == FITTING
    assert statuses.count(IngestStatus.BLOCKED) == UPLOADS - FITTING
    tag_ids = [r.tag_id for r in results if r.tag_id]
    assert len(tag_ids) == UPLOADS == len(set(tag_ids)), "blocked tags are stored too, each with its own id"
    assert consecutive(tag_ids)
    balance = next(
        b for b in api.list_lpos(duck_world.ledger, actor=duck_world.sales) if b.lpo_id == "LPO-2025-0412"
    )
    assert balance.committed_m2 <= balance.po_quantity_m2
    assert balance.committed_m2 == Decimal("1180.50") + FITTING * Decimal(AREA)


def test_two_that_fit_alone_but_not_together(duck_world: World) -> None:
    def upload(index: int) -> api.IngestResult:
        return duck_world.ingest(content=sheet(index), name=f"pair_{index}.csv", area="200")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(upload, range(2)))
    assert sorted(r.status for r in results) == [IngestStatus.BLOCKED, IngestStatus.UPLOADED]


@pytest.mark.postgres
def test_sixteen_cli_processes_on_postgres(pg_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OPSLEDGER_DATABASE_URL": pg_url,
        "OPSLEDGER_DATA_DIR": str(tmp_path / "data"),
        "OPSLEDGER_DEMO_DATA": "false",
    }

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "engine", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    assert cli("db", "upgrade").returncode == 0
    assert cli("lpo", "import", str(DATA_DIR / "lpo_master.csv")).returncode == 0
    assert cli("users", "add", "--email", "sales@test.local", "--role", "sales").returncode == 0
    paths = []
    for index in range(UPLOADS):
        path = tmp_path / f"sheet_{index}.csv"
        path.write_bytes(sheet(index))
        paths.append(path)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine",
                "tags",
                "ingest",
                "--file",
                str(path),
                "--lpo",
                "LPO-2025-0412",
                "--area",
                AREA,
                "--delivery-date",
                DELIVERY.isoformat(),
                "--user",
                "sales@test.local",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in paths
    ]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        outputs.append(json.loads(out))
    statuses = [o["status"] for o in outputs]
    assert statuses.count("UPLOADED") == FITTING and statuses.count("BLOCKED") == UPLOADS - FITTING
    tag_ids = [o["tag_id"] for o in outputs]
    assert len(set(tag_ids)) == UPLOADS and consecutive(tag_ids)
    listed = json.loads(cli("lpo", "list").stdout)
    lpo = next(item for item in listed if item["lpo_id"] == "LPO-2025-0412")
    assert Decimal(lpo["committed_m2"]) <= Decimal(lpo["po_quantity_m2"])
    assert Decimal(lpo["remaining_m2"]) == Decimal("19.50")
