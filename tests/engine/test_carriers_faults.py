"""A carrier bill load killed mid-way (SIGKILL of `python -m engine carriers ingest`) leaves no
partial invoice, and a rerun loads the file once: its totals equal a clean load's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from engine import api
from engine.demo.carriers import ACCOUNT, FedexRow, fedex_csv
from engine.store.schema import carrier_bill, shipment_charges
from tests.conftest import make_settings

ROWS = 12_000  # a load of seconds on the test machine: long enough to be killed inside it


def _bill() -> bytes:
    return fedex_csv(
        [
            FedexRow(
                invoice=f"9{n // 600:08d}",
                date="20261109",
                tracking=f"7{n:011d}",
                freight="12.00",
                charges=(("Fuel Surcharge", "1.50"),),
            )
            for n in range(ROWS)
        ]
    )


def _totals(ledger: api.Ledger) -> tuple[int, int, object]:
    with ledger.db.read() as conn:
        bills = conn.execute(sa.select(sa.func.count()).select_from(carrier_bill)).scalar_one()
        charges = conn.execute(sa.select(sa.func.count()).select_from(shipment_charges)).scalar_one()
        net = conn.execute(sa.select(sa.func.sum(carrier_bill.c.net_total))).scalar_one()
    return bills, charges, net


def test_a_killed_load_leaves_nothing_half_written_and_a_rerun_loads_it_once(tmp_path: Path) -> None:
    bill = tmp_path / "bill.csv"
    bill.write_bytes(_bill())
    settings = make_settings(tmp_path)
    setup = api.open_ledger(settings)  # the store exists, migrated, with the user, before the load starts
    api.add_user(setup, email="manager@test.local", roles=["manager"], password=None, actor=api.CLI_OPERATOR)
    setup.close()
    env = {
        **os.environ,
        "OPSLEDGER_DATA_DIR": str(settings.data_dir),
        "OPSLEDGER_DEMO_DATA": "false",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    env.pop("OPSLEDGER_DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "engine",
        "carriers",
        "ingest",
        str(bill),
        "--carrier",
        "fedex",
        "--account",
        ACCOUNT,
        "--user",
        "manager@test.local",
    ]
    clean = api.open_ledger(make_settings(tmp_path / "clean"))
    try:
        expected = api.ingest_carrier_file(
            clean, bill.read_bytes(), "bill.csv", carrier="fedex", account=ACCOUNT, actor=api.CLI_OPERATOR
        )
        assert str(expected.status) == "loaded"
        clean_totals = _totals(clean)
    finally:
        clean.close()
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Kill inside the one transaction: as soon as DuckDB's write-ahead log has appeared.
    wal = settings.data_dir / "opsledger.duckdb.wal"
    deadline = time.monotonic() + 60
    while worker.poll() is None and not wal.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    assert worker.poll() is None, "the load ended before it could be killed"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    ledger = api.open_ledger(settings)
    try:
        assert _totals(ledger)[0] in (0, clean_totals[0]) and _totals(ledger)[1] in (0, clean_totals[1])
        rerun = api.ingest_carrier_file(
            ledger, bill.read_bytes(), "bill.csv", carrier="fedex", account=ACCOUNT, actor=api.CLI_OPERATOR
        )
        assert str(rerun.status) in ("loaded", "skipped")
        assert _totals(ledger) == clean_totals
    finally:
        ledger.close()
