"""Managers' desk benchmark (issue "Managers' desk", §7): a generated FedEx bill (the 210-column
reference layout) through the whole ingestion (contract → unified layer → invoice totals) on a DuckDB
store, against DuckDB's bare ``CREATE TABLE AS SELECT * FROM read_csv(...)`` of the same file and
pandas ``read_csv``, in one run; a re-ingest of the same file (skipped); each step's peak RSS.

Each step runs in a process of its own, so that its peak RSS (``ru_maxrss``) is its own. The row count
is ``OPSLEDGER_BENCH_CARRIER_ROWS`` (the issue's figure is 1,000,000 rows, ~380 MB); see BENCHMARKS.md
for the size measured and why.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FULL, QUICK = 20_000, 2_000
TARGET_RATIO, TARGET_RSS_MB, TARGET_REINGEST_S = 2.0, 1536, 1.0


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def write_bill(path: Path, rows: int) -> int:
    """A FedEx bill of ``rows`` shipments over 50 invoices, each row with freight and three charges."""
    from engine.demo.carriers import FedexRow, fedex_csv

    per_invoice = max(1, rows // 50)
    batch = [
        FedexRow(
            invoice=f"9{n // per_invoice:08d}",
            date="20261109",
            tracking=f"7{n:011d}",
            freight=f"{10 + n % 90}.{n % 100:02d}",
            charges=(("Fuel Surcharge", "1.50"), ("Residential", "4.25"), ("Earned Discount", "-0.75")),
        )
        for n in range(rows)
    ]
    path.write_bytes(fedex_csv(batch))
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

        ledger = api.open_ledger(load_settings(data_dir=store, demo_data=False, jobs_enabled=False))
        try:
            started = time.perf_counter()  # the store's set-up is not the ingestion
            result = api.ingest_carrier_file(
                ledger,
                bill.read_bytes(),
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
    return results


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
