"""Managers' dashboard benchmark (issue "Managers' desk", §7): the reconciliation page's first render
with 1,000,000 billed shipments in a DuckDB store (target ≤ 1.5 s), and the engine's dashboard call
alone, unfiltered and with each filter.

The store is filled set-based with ``generate_series`` (the bills' unified layer, the invoices and a
reconciled ledger with every status, variances and disputes), not through the loaders: the ingestion
has its own benchmark, and a million rows through it would take minutes before anything is timed. The
row count is ``OPSLEDGER_BENCH_DASHBOARD_ROWS``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tests.benchmarks import machine

FULL, QUICK = 1_000_000, 50_000
TARGET_S = 1.5
RENDERS = 5  # fresh sessions timed after the first (a page's first render in each)
REPO = Path(__file__).resolve().parents[2]
EMAIL, PASSWORD = "bench-manager@bench.local", "Bench-dashboard-2026!"

# Pseudo-random but repeatable figures from the row number (Knuth's multiplicative hash).
FILL = [
    # One attributes row per shipment: a third UPS, two accounts per carrier, a year of ship dates.
    """
    INSERT INTO shipment_attributes
        (carrier, tracking_number, service, ship_date, actual_weight_lb, rated_weight_lb, dim_divisor,
         mps_role, first_invoice_number, updated_at)
    SELECT
        CASE WHEN i % 3 = 0 THEN 'ups' ELSE 'fedex' END,
        'T' || LPAD(CAST(i AS VARCHAR), 11, '0'),
        ['Ground', 'Home Delivery', 'Express Saver', '2Day', 'Priority Overnight', 'SmartPost'][1 + i % 6],
        DATE '2026-01-05' + CAST(i % 364 AS INTEGER),
        1 + (i * 2654435761) % 400 / 10.0,
        1 + (i * 2654435761) % 400 / 10.0,
        139, 'single', 'INV', now()
    FROM generate_series(0, :n - 1) AS t(i)
    """,
    # Charges: freight, fuel, a residential fee on every fourth, a second freight on the duplicates.
    """
    INSERT INTO shipment_charges
        (charge_id, carrier, tracking_number, account, invoice_number, invoice_date, file_id, file_row,
         charge_type, amount, is_freight, rated_weight_lb, dim_divisor)
    SELECT
        LPAD(CAST(i * 4 + k AS VARCHAR), 26, '0'),
        a.carrier, a.tracking_number,
        CASE WHEN i % 2 = 0 THEN '123456789' ELSE '223456789' END,
        a.carrier || CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END || STRFTIME(a.ship_date, '%G%V')
            || CASE WHEN k = 3 THEN 'R' ELSE '' END,
        CAST(DATE_TRUNC('week', a.ship_date) AS DATE) + CASE WHEN k = 3 THEN 14 ELSE 7 END,
        '01BENCHFILE000000000000000', i,
        ['Transportation Charge', 'Fuel Surcharge', 'Residential', 'Transportation Charge'][k + 1],
        CASE k
            WHEN 1 THEN 0.5 + (i * 2654435761) % 300 / 100.0
            WHEN 2 THEN 4.25
            ELSE 8 + (i * 2654435761) % 4000 / 100.0
        END,
        k IN (0, 3), a.rated_weight_lb, 139
    FROM generate_series(0, :n - 1) AS t(i)
    CROSS JOIN generate_series(0, 3) AS c(k)
    JOIN shipment_attributes AS a ON a.tracking_number = 'T' || LPAD(CAST(i AS VARCHAR), 11, '0')
    WHERE k IN (0, 1) OR (k = 2 AND i % 4 = 0) OR (k = 3 AND i % 1000 BETWEEN 40 AND 44)
    """,
    """
    INSERT INTO carrier_bill
        (carrier, account, invoice_number, invoice_date, file_id, rows, net_total, amount_due, packages,
         invoice_level_total, status, loaded_at)
    SELECT carrier, account, invoice_number, MIN(invoice_date), MIN(file_id), COUNT(*), SUM(amount),
           SUM(amount) + 16, COUNT(DISTINCT tracking_number), 16, 'loaded', now()
    FROM shipment_charges
    GROUP BY carrier, account, invoice_number
    """,
    """
    INSERT INTO invoice_charges
        (charge_id, carrier, account, invoice_number, file_id, file_row, reference, charge_type, amount)
    SELECT 'IC' || LPAD(CAST(ROW_NUMBER() OVER () AS VARCHAR), 24, '0'), carrier, account,
           invoice_number, file_id, 0, NULL, 'Weekly Service Charge', 16
    FROM carrier_bill
    """,
    # The reconciled ledger: every status in a plausible share (per mille of the row number), then
    # the WMS-only packages (shipped, not billed or awaiting their bill).
    """
    INSERT INTO carrier_cost_ledger
        (carrier, tracking_number, status, billed_cost, expected_cost, variance, billed_weight_lb,
         expected_weight_lb, ship_date, run_id, exception_id, dispute_status, claim_amount,
         recovered_amount, updated_at)
    WITH billed AS (
        SELECT a.carrier, a.tracking_number, a.ship_date, a.rated_weight_lb, i % 1000 AS m,
               (SELECT SUM(amount) FROM shipment_charges AS c
                WHERE c.carrier = a.carrier AND c.tracking_number = a.tracking_number) AS cost,
               ((i * 40503) % 6000 - 2000) / 100.0 AS swing
        FROM shipment_attributes AS a
        JOIN generate_series(0, :n - 1) AS t(i)
            ON a.tracking_number = 'T' || LPAD(CAST(i AS VARCHAR), 11, '0')
    ),
    decided AS (
        SELECT *,
            CASE
                WHEN m < 30 THEN 'COST_VARIANCE'
                WHEN m < 40 THEN 'WEIGHT_VARIANCE'
                WHEN m < 45 THEN 'DUPLICATE_BILLING'
                WHEN m < 55 THEN 'BILLED_NOT_SHIPPED'
                WHEN m < 65 THEN 'NOT_IN_WMS_WINDOW'
                ELSE 'MATCHED'
            END AS status
        FROM billed
    )
    SELECT carrier, tracking_number, status, cost,
        CASE WHEN status IN ('BILLED_NOT_SHIPPED', 'NOT_IN_WMS_WINDOW') THEN NULL
             WHEN status = 'COST_VARIANCE' THEN cost - swing
             WHEN status = 'DUPLICATE_BILLING' THEN cost / 2
             ELSE cost - (m % 7 - 3) / 100.0 END,
        CASE WHEN status IN ('BILLED_NOT_SHIPPED', 'NOT_IN_WMS_WINDOW') THEN cost
             WHEN status = 'COST_VARIANCE' THEN swing
             WHEN status = 'DUPLICATE_BILLING' THEN cost / 2
             ELSE (m % 7 - 3) / 100.0 END,
        rated_weight_lb,
        CASE WHEN status = 'WEIGHT_VARIANCE' THEN rated_weight_lb / 2 ELSE rated_weight_lb END,
        ship_date, '01BENCHRUN0000000000000000', NULL,
        CASE WHEN m % 30 = 1 AND status = 'COST_VARIANCE' THEN 'DISPUTED'
             WHEN m % 30 = 2 AND status = 'COST_VARIANCE' THEN 'ACCEPTED' END,
        CASE WHEN m % 30 IN (1, 2) AND status = 'COST_VARIANCE' THEN ABS(swing) END,
        CASE WHEN m % 30 = 2 AND status = 'COST_VARIANCE' THEN ABS(swing) * 0.8 END,
        now()
    FROM decided
    """,
    """
    INSERT INTO carrier_cost_ledger
        (carrier, tracking_number, status, expected_cost, variance, ship_date, run_id, updated_at)
    SELECT CASE WHEN i % 3 = 0 THEN 'ups' ELSE 'fedex' END,
           'W' || LPAD(CAST(i AS VARCHAR), 11, '0'),
           CASE WHEN i % 2 = 0 THEN 'SHIPPED_NOT_BILLED' ELSE 'AWAITING_BILL' END,
           9 + i % 20, -(9 + i % 20), DATE '2026-01-05' + CAST(i % 364 AS INTEGER),
           '01BENCHRUN0000000000000000', now()
    FROM generate_series(0, CAST(:n AS BIGINT) // 50 - 1) AS t(i)
    """,
]


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class DashboardResults:
    rows: int = 0
    ledger_rows: int = 0
    charges: int = 0
    fill_s: float = 0
    engine_ms: dict[str, list[float]] = field(default_factory=dict)
    process_first_ms: float = 0
    renders_ms: list[float] = field(default_factory=list)
    load: list[str] = field(default_factory=list)  # the load average before and after the timing


def fill(data_dir: Path, rows: int) -> tuple[int, int]:
    from engine import api
    from engine.config import load_settings

    ledger = api.open_ledger(load_settings(data_dir=data_dir, demo_data=False, jobs_enabled=False))
    try:
        for sql in FILL:
            ledger.db.write(lambda conn, sql=sql: conn.execute(sa.text(sql), {"n": rows}))
        api.add_user(ledger, email=EMAIL, roles=["manager"], password=PASSWORD, actor=api.CLI_OPERATOR)
        with ledger.db.read() as conn:
            count = "SELECT COUNT(*) FROM {}"
            return (
                conn.execute(sa.text(count.format("carrier_cost_ledger"))).scalar_one(),
                conn.execute(sa.text(count.format("shipment_charges"))).scalar_one(),
            )
    finally:
        ledger.close()


def _time(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def time_engine(results: DashboardResults) -> None:
    from console import handle
    from engine import api

    ledger = handle.get_ledger()
    cases = {
        "no filter (first call)": {},
        "no filter": {},
        "carrier": {"carrier": "ups"},
        "account": {"account": "123456789"},
        "period (one quarter)": {"since": date(2026, 4, 1), "until": date(2026, 6, 30)},
    }
    for name, filters in cases.items():
        times = 1 if "first" in name else 3
        results.engine_ms[name] = [
            _time(lambda f=filters: api.reconciliation_dashboard(ledger, actor=api.CLI_OPERATOR, **f))
            for _ in range(times)
        ]


def time_page(results: DashboardResults) -> None:
    from streamlit.testing.v1 import AppTest

    from console import handle
    from engine import api

    session_key = "_opsledger_session_id"
    page = str(REPO / "pages" / "reconciliation.py")

    def render() -> float:
        session = api.sign_in(handle.get_ledger(), email=EMAIL, password=PASSWORD).session_id
        at = AppTest.from_file(page, default_timeout=120)
        at.session_state[session_key] = session
        took = _time(at.run)
        assert not at.exception, at.exception
        assert len(at.get("plotly_chart")) >= 4, "the dashboard drew no charts"
        return took

    results.process_first_ms = render()  # this process's first: imports of the page's modules too
    results.renders_ms = [render() for _ in range(RENDERS)]


def run(*, quick: bool = False) -> DashboardResults:
    rows = int(os.environ.get("OPSLEDGER_BENCH_DASHBOARD_ROWS", QUICK if quick else FULL))
    results = DashboardResults(rows=rows)
    with tempfile.TemporaryDirectory(prefix="opsledger-bench-dashboard-") as tmp:
        data_dir = Path(tmp) / "data"
        _log(f"dashboard: filling a DuckDB store with {rows:,} billed shipments")
        started = time.perf_counter()
        results.ledger_rows, results.charges = fill(data_dir, rows)
        results.fill_s = time.perf_counter() - started
        os.environ.update(
            OPSLEDGER_DATA_DIR=str(data_dir), OPSLEDGER_DEMO_DATA="false", OPSLEDGER_JOBS_ENABLED="false"
        )
        os.environ.pop("OPSLEDGER_DATABASE_URL", None)
        from console import handle
        from console.server import warm_up

        warm_up()  # the console server does this at start-up (plotly, pandas' Styler)
        results.load.append(machine.load_average())
        try:
            _log("dashboard: the engine call")
            time_engine(results)
            _log("dashboard: the page's first render")
            time_page(results)
            results.load.append(machine.load_average())
        finally:
            handle.close_all()
    return results


def render(results: DashboardResults) -> str:
    median = statistics.median(results.renders_ms) / 1000
    worst = max(results.renders_ms) / 1000
    lines = [
        "## Managers' dashboard: the reconciliation page on a large ledger",
        "",
        f"{results.rows:,} billed shipments ({results.charges:,} charge rows, {results.ledger_rows:,} "
        f"reconciled packages) in a DuckDB store, filled set-based in {results.fill_s:.1f} s. Load average "
        f"(1 / 5 / 15 min) {' before, '.join(results.load)} after the timing.",
        "",
        "| Engine `reconciliation_dashboard` | ms (each call) |",
        "| --- | ---: |",
        *(
            f"| {name} | {' · '.join(f'{v:.0f}' for v in values)} |"
            for name, values in results.engine_ms.items()
        ),
        "",
        "| Page first render (AppTest, a new session each) | seconds |",
        "| --- | ---: |",
        f"| this process's first (imports the page's modules) | {results.process_first_ms / 1000:.2f} |",
        f"| median of {len(results.renders_ms)} new sessions | {median:.2f} |",
        f"| slowest of them | {worst:.2f} |",
        "",
        "| Target | Measured | Limit | Verdict |",
        "| --- | ---: | ---: | --- |",
        f"| first render, median of new sessions | {median:.2f} s | ≤ {TARGET_S} s | "
        f"**{'PASS' if median <= TARGET_S else 'MISS'}** |",
        "",
    ]
    return "\n".join(lines)
