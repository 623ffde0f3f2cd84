"""The WMS pull over ODBC for real: unixODBC with Debian's PostgreSQL ODBC driver (odbc-postgresql,
installed by the Makefile like chromium) against the local PostgreSQL, standing in for the WMS's
SQL Server; the production code (pyodbc) unchanged."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import api
from engine.api import SYSTEM_JOB
from engine.operations.jobs import run_job
from engine.vocab import JobStatus, JobTrigger
from tests.conftest import PG_SERVER, make_settings


def _driver() -> str | None:
    try:
        listed = subprocess.run(["odbcinst", "-q", "-d"], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return None
    return "PostgreSQL Unicode" if "[PostgreSQL Unicode]" in listed else None


@pytest.fixture
def wms_database(pg_url: str) -> Iterator[str]:
    """A WMS 'shipments' table in this test's PostgreSQL database, and its ODBC connection string."""
    driver = _driver()
    if driver is None:
        pytest.fail("no PostgreSQL ODBC driver: run `make odbc` (unixodbc and odbc-postgresql)")
    import psycopg

    url = pg_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE shipments (carrier text, tracking_no text, shipped_on date, order_ref text,"
            " service text, cost numeric(10,2), currency text, weight numeric(10,2), weight_uom text)"
        )
        conn.execute(
            "INSERT INTO shipments VALUES"
            " ('FedEx','700000000201','2026-11-02','SO-1','Ground',11.50,'USD',5,'lb'),"
            " ('UPS','1Z0000000000000001','2026-11-03','SO-2','Ground',9.00,'USD',2,'kg')"
        )
    host_port, database = pg_url.rsplit("/", 1)[0].rsplit("@", 1)[1], pg_url.rsplit("/", 1)[1]
    host, port = host_port.split(":")
    user = PG_SERVER.split("//", 1)[1].split("@", 1)[0]
    yield f"Driver={{{driver}}};Server={host};Port={port};Database={database};Uid={user};Pwd=;"


def test_the_pull_maps_the_wms_columns_and_loads_the_shipments(tmp_path: Path, wms_database: str) -> None:
    query = (
        "SELECT carrier, tracking_no AS tracking_number, shipped_on AS ship_date, order_ref AS order_number,"
        " service, cost AS expected_cost, currency, weight, weight_uom AS weight_unit FROM shipments"
    )
    ledger = api.open_ledger(make_settings(tmp_path, wms_odbc_connection=wms_database, wms_odbc_query=query))
    try:
        pulled = api.pull_wms(ledger, actor=SYSTEM_JOB)
        assert (pulled.rows, pulled.inserted, pulled.replaced) == (2, 2, 0)
        again = run_job(ledger, "wms_pull", trigger=JobTrigger.MANUAL, actor=SYSTEM_JOB)
        assert again.status is JobStatus.SUCCEEDED and again.counts["rows"] == 2
    finally:
        ledger.close()


def test_a_wrong_query_or_connection_says_so(tmp_path: Path, wms_database: str) -> None:
    ledger = api.open_ledger(
        make_settings(tmp_path, wms_odbc_connection=wms_database, wms_odbc_query="SELECT nope FROM nowhere")
    )
    try:
        with pytest.raises(api.EngineError, match="The WMS query failed"):
            api.pull_wms(ledger, actor=SYSTEM_JOB)
    finally:
        ledger.close()
    secret = wms_database.replace("Pwd=;", "Pwd=hunter2;").replace("Port=5432", "Port=1")
    ledger = api.open_ledger(make_settings(tmp_path / "b", wms_odbc_connection=secret))
    try:
        with pytest.raises(api.EngineError) as refused:
            api.pull_wms(ledger, actor=SYSTEM_JOB)
        assert (
            "cannot be reached over ODBC" in refused.value.message and "hunter2" not in refused.value.message
        )
    finally:
        ledger.close()
