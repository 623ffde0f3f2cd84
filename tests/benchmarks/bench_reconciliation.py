"""Managers' desk benchmark (issue 9 §7): the reconciliation of N billed against N WMS shipments on a
DuckDB store (the issue's figure: 1,000,000 each, ≤ 10 s), a first run and a rerun.

The store is filled straight with set-based SQL (``generate_series``), as the carrier loaders and the
WMS import would leave it: one freight and one surcharge row per billed package, its attributes, and
the WMS shipments. Planted per 100 packages: one billed twice (DUPLICATE_BILLING), one over-billed
(COST_VARIANCE), one billed heavier (WEIGHT_VARIANCE), one billed but missing from WMS inside its
window (BILLED_NOT_SHIPPED), and, beside them, WMS-only shipments past their grace days
(SHIPPED_NOT_BILLED) so that WMS also holds N rows. ``OPSLEDGER_BENCH_RECON_ROWS`` sets N.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

FULL, QUICK = 1_000_000, 50_000
TARGET_S = 10.0
AS_OF = date(2026, 12, 31)  # every WMS ship date is past its 21 grace days

# Package n (0 ≤ n < N) is billed; WMS holds every n but the BILLED_NOT_SHIPPED ones, and N/100
# WMS-only shipments after them. Expected cost 10.00–99.99; freight = expected − 1.50, surcharge 1.50.
# Portable SQL (DuckDB and PostgreSQL), so that both stores are filled alike.
_FILL = [
    """
    INSERT INTO shipment_charges (charge_id, carrier, tracking_number, account, invoice_number,
        invoice_date, file_id, file_row, charge_type, amount, is_freight, rated_weight_lb, dim_divisor)
    SELECT
        'C' || LPAD(CAST(n * 3 + part AS VARCHAR), 25, '0'), 'fedex',
        '7' || LPAD(CAST(n AS VARCHAR), 11, '0'), '123456789',
        '9' || LPAD(CAST(CAST(FLOOR(n / 20000.0) AS INTEGER) + CASE WHEN part = 2 THEN 100 ELSE 0 END
            AS VARCHAR), 8, '0'),
        DATE '2026-11-09' + CAST(CASE WHEN part = 2 THEN 7 ELSE 0 END AS INTEGER),
        '01BENCHFILE00000000000000F', CAST(n AS INTEGER),
        CASE WHEN part = 1 THEN 'Fuel Surcharge' ELSE 'Transportation Charge' END,
        CASE
            WHEN part = 1 THEN 1.50 + CASE WHEN n % 100 = 1 THEN 10 ELSE 0 END
            ELSE 8.50 + (n % 90) + (n % 100) / 100.0
        END,
        part <> 1,
        CASE WHEN part <> 1 THEN CASE WHEN n % 100 = 2 THEN 9.0 ELSE 6.0 END END,
        CASE WHEN part <> 1 THEN 139 END
    FROM generate_series(0, :rows - 1) AS s(n), generate_series(0, 2) AS p(part)
    WHERE part < 2 OR n % 100 = 0
    """,
    """
    INSERT INTO shipment_attributes (carrier, tracking_number, service, ship_date, rated_weight_lb,
        dim_divisor, first_invoice_number, updated_at)
    SELECT 'fedex', '7' || LPAD(CAST(n AS VARCHAR), 11, '0'), 'Ground',
        DATE '2026-11-01' + CAST(n % 28 AS INTEGER), CASE WHEN n % 100 = 2 THEN 9.0 ELSE 6.0 END, 139,
        '9' || LPAD(CAST(CAST(FLOOR(n / 20000.0) AS INTEGER) AS VARCHAR), 8, '0'),
        TIMESTAMPTZ '2026-11-29 00:00:00+00'
    FROM generate_series(0, :rows - 1) AS s(n)
    """,
    """
    INSERT INTO wms_shipment (carrier, tracking_number, ship_date, order_number, service, expected_cost,
        currency, weight_lb, length_in, width_in, height_in, imported_at, trace_id)
    SELECT 'fedex', '7' || LPAD(CAST(n AS VARCHAR), 11, '0'), DATE '2026-11-01' + CAST(n % 28 AS INTEGER),
        'SO-' || CAST(n AS VARCHAR), 'Ground', 10 + (n % 90) + (n % 100) / 100.0, 'USD', 5.2, 10, 8, 6,
        TIMESTAMPTZ '2026-11-29 00:00:00+00', 'bench'
    FROM generate_series(0, :rows - 1) AS s(n)
    WHERE n % 100 <> 3
    """,
    """
    INSERT INTO wms_shipment (carrier, tracking_number, ship_date, order_number, service, expected_cost,
        currency, weight_lb, length_in, width_in, height_in, imported_at, trace_id)
    SELECT 'fedex', '8' || LPAD(CAST(n AS VARCHAR), 11, '0'), DATE '2026-11-01' + CAST(n % 5 AS INTEGER),
        'SO-X' || CAST(n AS VARCHAR), 'Ground', 20.00, 'USD', 5.2, 10, 8, 6,
        TIMESTAMPTZ '2026-11-29 00:00:00+00', 'bench'
    FROM generate_series(0, :unbilled - 1) AS s(n)
    """,
]


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class StoreRun:
    fill_s: float = 0
    charges: int = 0
    wms: int = 0
    runs: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)


@dataclass
class ReconResults:
    rows: int = 0
    stores: dict[str, StoreRun] = field(default_factory=dict)
    rss_mb: float = 0


def _pg_database(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(
        server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True
    ) as c:
        c.execute(sql)


def _measure(url: str | None, data_dir: Path, rows: int) -> StoreRun:
    import sqlalchemy as sa

    from engine import api
    from engine.config import load_settings

    result = StoreRun()
    settings = load_settings(data_dir=data_dir, database_url=url, demo_data=False, jobs_enabled=False)
    ledger = api.open_ledger(settings)
    try:
        started = time.perf_counter()

        def fill(conn: sa.Connection) -> tuple[int, int]:
            for statement in _FILL:
                conn.execute(sa.text(statement), {"rows": rows, "unbilled": rows // 100})
            if not ledger.db.is_duckdb:
                conn.execute(sa.text("ANALYZE"))  # what autovacuum would have done by the next run
            charges = conn.execute(sa.text("SELECT COUNT(*) FROM shipment_charges")).scalar_one()
            wms = conn.execute(sa.text("SELECT COUNT(*) FROM wms_shipment")).scalar_one()
            return int(charges), int(wms)

        result.charges, result.wms = ledger.db.write(fill)
        result.fill_s = time.perf_counter() - started
        for label in ("first run", "rerun"):
            _log(f"reconciliation: {label}")
            started = time.perf_counter()
            outcome = api.run_reconciliation(ledger, as_of=AS_OF, actor=api.CLI_OPERATOR)
            result.runs[label] = time.perf_counter() - started
            result.opened[label] = outcome.exceptions_opened
            result.counts = {k: v for k, v in outcome.counts.items() if v}
    finally:
        ledger.close()
    return result


def run(*, quick: bool = False) -> ReconResults:
    """DuckDB always; PostgreSQL too when ``OPSLEDGER_BENCH_RECON_PG`` names a server
    (``postgresql+psycopg://user@host:5432``): a database of its own is created and dropped."""
    rows = int(os.environ.get("OPSLEDGER_BENCH_RECON_ROWS", QUICK if quick else FULL))
    results = ReconResults(rows=rows)
    with tempfile.TemporaryDirectory(prefix="opsledger-bench-recon-") as tmp:
        _log(f"reconciliation (duckdb): {rows:,} billed and {rows:,} WMS shipments")
        results.stores["DuckDB"] = _measure(None, Path(tmp) / "duck", rows)
        server = os.environ.get("OPSLEDGER_BENCH_RECON_PG")
        if server:
            name = f"opsledger_bench_recon_{os.getpid()}"
            _pg_database(server, f'CREATE DATABASE "{name}"')
            try:
                _log(f"reconciliation (postgresql): {rows:,} billed and {rows:,} WMS shipments")
                results.stores["PostgreSQL"] = _measure(f"{server}/{name}", Path(tmp) / "pg", rows)
            finally:
                _pg_database(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    results.rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def render(results: ReconResults) -> str:
    duck = results.stores["DuckDB"]
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(duck.counts.items()))
    lines = [
        "## Managers' desk: reconciliation of billed against WMS shipments",
        "",
        f"{results.rows:,} billed packages ({duck.charges:,} charge rows) against {duck.wms:,} WMS "
        f"shipments, filled with set-based SQL. Statuses: {counts}.",
        "",
        "| Store | Run | seconds | exceptions opened |",
        "| --- | --- | ---: | ---: |",
        *(
            f"| {store} | {label} | {s:.2f} | {run.opened[label]:,} |"
            for store, run in results.stores.items()
            for label, s in run.runs.items()
        ),
        "",
        f"Store fill: {', '.join(f'{k} {v.fill_s:.1f} s' for k, v in results.stores.items())}. "
        f"Peak RSS of the process: {results.rss_mb:.0f} MB.",
        "",
        "| Target (DuckDB store) | Measured | Limit | Verdict |",
        "| --- | ---: | ---: | --- |",
        *(
            f"| {label} | {s:.2f} s | ≤ {TARGET_S:.0f} s | **{'PASS' if s <= TARGET_S else 'MISS'}** |"
            for label, s in duck.runs.items()
        ),
        "",
    ]
    return "\n".join(lines)
