"""Managers' desk benchmark (issue "Managers' desk", §7): a generated FedEx bill (the 210-column
reference layout) through the whole ingestion (contract → unified layer → invoice totals) on a DuckDB
store, against DuckDB's bare ``CREATE TABLE AS SELECT * FROM read_csv(...)`` of the same file and
pandas ``read_csv``, in one run; a re-ingest of the same file (skipped); each step's peak RSS.

Each step runs in a process of its own, so that its peak RSS (``ru_maxrss``) is its own. The row count
is ``OPSLEDGER_BENCH_CARRIER_ROWS`` (the issue's figure is 1,000,000 rows, ~380 MB); see BENCHMARKS.md
for the size measured and why.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FULL, QUICK = 1_000_000, 20_000
TARGET_RATIO, TARGET_RSS_MB, TARGET_REINGEST_S = 2.0, 1536, 1.0
PG_SERVER = os.environ.get("OPSLEDGER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_DATABASE = "opsledger_bench_carriers"
INVOICES = 50
# Filled on every row besides the bill's own numbers, so a row weighs what a real export's does.
FILLED = {
    "Service Type": "Ground",
    "Shipment Date": "20261102",
    "Actual Weight Amount": "5",
    "Actual Weight Units": "lbs",
    "Rated Weight Amount": "5",
    "Rated Weight Units": "lbs",
    "Dim Length": "10",
    "Dim Width": "8",
    "Dim Height": "6",
    "Dim Divisor": "139",
    "Dim Unit": "I",
    "Recipient Name": "Jane Doe",
    "Recipient Company": "Acme Fabrication LLC",
    "Recipient City": "Houston",
    "Recipient State": "TX",
    "Recipient Zip Code": "77001",
    "Recipient Country/Territory": "US",
    "Shipper Name": "Shipping Dept",
    "Shipper City": "Dallas",
    "Shipper State": "TX",
    "Shipper Zip Code": "75201",
    "Shipper Country/Territory": "US",
    "Zone Code": "05",
}
CHARGES = (("Fuel Surcharge", 150), ("Residential", 425), ("Earned Discount", -75))


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def write_bill(path: Path, rows: int) -> int:
    """A FedEx bill of ``rows`` shipments over 50 invoices, written row by row (the 210-column reference
    header; each row freight + three charges in slots 1, 4 and 7, the invoice's amount due on every row)."""
    from engine.carriers import layout as L

    header = list(L.fedex_layout().header)
    first: dict[str, int] = {}
    for at, name in enumerate(header):
        first.setdefault(name, at)
    pairs = [at for at, name in enumerate(header) if name == L.fedex_layout().pair_description]
    template = [""] * len(header)
    template[first[L.ACCOUNT]], template[first[L.INVOICE_DATE]] = "123456789", "20261109"
    for name, value in FILLED.items():
        template[first[name]] = value
    for slot, (name, cents) in zip(pairs[::3], CHARGES, strict=False):
        template[slot], template[slot + 1] = name, _money(cents)
    extra = sum(cents for _, cents in CHARGES)
    per_invoice = max(1, rows // INVOICES)
    due: dict[int, int] = {}
    for n in range(rows):
        due[n // per_invoice] = due.get(n // per_invoice, 0) + 1000 + n % 9000 + extra
    at = [first[name] for name in (L.INVOICE_NUMBER, L.TRACKING, L.FREIGHT, L.NET, L.AMOUNT_DUE)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for n in range(rows):
            cells, invoice, freight = template[:], n // per_invoice, 1000 + n % 9000
            values = (f"9{invoice:08d}", f"7{n:011d}", _money(freight), _money(freight + extra))
            for position, value in zip(at, (*values, _money(due[invoice])), strict=True):
                cells[position] = value
            writer.writerow(cells)
    return path.stat().st_size


def _step(step: str, bill: Path, store: Path) -> dict[str, float]:
    started = time.perf_counter()
    if step == "ctas":
        import duckdb

        with duckdb.connect(str(store / "ctas.duckdb")) as con:
            con.execute(f"CREATE TABLE bill AS SELECT * FROM read_csv('{bill}', all_varchar = true)")
    elif step == "pandas":
        import pandas as pd

        pd.read_csv(bill, dtype=str)
    else:
        from engine import api
        from engine.config import load_settings

        settings = load_settings(data_dir=store, demo_data=False, jobs_enabled=False)
        if step == "postgres":
            settings = load_settings(
                data_dir=store, demo_data=False, jobs_enabled=False, database_url=f"{PG_SERVER}/{PG_DATABASE}"
            )
        ledger = api.open_ledger(settings)
        try:
            started = time.perf_counter()  # the store's set-up is not the ingestion
            result = api.ingest_carrier_file(
                ledger,
                bill,
                bill.name,
                carrier="fedex",
                account="123456789",
                actor=api.CLI_OPERATOR,
            )
            assert str(result.status) == ("skipped" if step == "reingest" else "loaded"), result.message
        finally:
            ledger.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _in_process(step: str, bill: Path, store: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_carriers", step, str(bill), str(store)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@dataclass
class CarrierResults:
    rows: int = 0
    file_mb: float = 0
    steps: dict[str, dict[str, float]] = field(default_factory=dict)


def run(*, quick: bool = False) -> CarrierResults:
    rows = int(os.environ.get("OPSLEDGER_BENCH_CARRIER_ROWS", QUICK if quick else FULL))
    results = CarrierResults(rows=rows)
    with tempfile.TemporaryDirectory(prefix="opsledger-bench-carriers-") as tmp:
        bill, store = Path(tmp) / "fedex_bill.csv", Path(tmp) / "store"
        store.mkdir()
        _log(f"writing a FedEx bill of {rows:,} rows")
        results.file_mb = write_bill(bill, rows) / 2**20
        for step in ("ctas", "pandas", "pipeline", "reingest"):
            _log(f"carriers: {step}")
            results.steps[step] = _in_process(step, bill, store)
        if _fresh_pg_database():
            _log("carriers: the same bill on a PostgreSQL store")
            (Path(tmp) / "pg").mkdir()
            results.steps["postgres"] = _in_process("postgres", bill, Path(tmp) / "pg")
    return results


def _fresh_pg_database() -> bool:
    """An empty database for the PostgreSQL step, when a server is reachable (else the step is left out)."""
    import sqlalchemy as sa

    try:
        server = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
            conn.execute(sa.text(f"CREATE DATABASE {PG_DATABASE}"))
        server.dispose()
    except sa.exc.OperationalError as exc:
        _log(f"carriers: no PostgreSQL at {PG_SERVER} ({exc.orig}); its step is left out")
        return False
    return True


def render(results: CarrierResults) -> str:
    s = results.steps
    ratio = s["pipeline"]["seconds"] / s["ctas"]["seconds"]

    def line(label: str, step: str) -> str:
        return f"| {label} | {s[step]['seconds']:.2f} | {s[step]['rss_mb']:.0f} MB |"

    rows = [
        "## Managers' desk: a FedEx bill through the ingestion",
        "",
        f"{results.rows:,} shipment rows (210 columns, {results.file_mb:.1f} MB), 50 invoices; DuckDB store; "
        "each step in a process of its own.",
        "",
        "| Step | seconds | peak RSS |",
        "| --- | ---: | ---: |",
        line("DuckDB `CREATE TABLE AS SELECT * FROM read_csv` (floor)", "ctas"),
        line("pandas `read_csv(dtype=str)`", "pandas"),
        line("`ingest_carrier_file` (contract → unified layer → invoice totals)", "pipeline"),
        line("the same file again (skipped)", "reingest"),
        *(
            [line("`ingest_carrier_file` on a PostgreSQL store (COPY)", "postgres")]
            if "postgres" in s
            else []
        ),
        "",
        "| Target | Measured | Limit | Verdict |",
        "| --- | ---: | ---: | --- |",
        f"| pipeline against the CTAS floor | {ratio:.1f}× | ≤ {TARGET_RATIO:.0f}× | "
        f"**{'PASS' if ratio <= TARGET_RATIO else 'MISS'}** |",
        f"| peak RSS of the pipeline | {s['pipeline']['rss_mb']:.0f} MB | ≤ {TARGET_RSS_MB} MB | "
        f"**{'PASS' if s['pipeline']['rss_mb'] <= TARGET_RSS_MB else 'MISS'}** |",
        f"| re-ingest | {s['reingest']['seconds']:.2f} s | ≤ {TARGET_REINGEST_S:.0f} s | "
        f"**{'PASS' if s['reingest']['seconds'] <= TARGET_REINGEST_S else 'MISS'}** |",
        "",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    print(json.dumps(_step(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))))
