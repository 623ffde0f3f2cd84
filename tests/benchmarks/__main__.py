"""``python -m tests.benchmarks [--quick] [--profile]``: run the benchmarks, print the markdown
report and write it to ``bench-results/latest.md`` (git-ignored)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.benchmarks import (
    bench_api,
    bench_carriers,
    bench_dashboard,
    bench_ingest,
    bench_invoices,
    bench_reconciliation,
    bench_stores,
    machine,
    report,
)

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run, ~30 s)")
    parser.add_argument("--profile", action="store_true", help="append a cProfile of 9 uploads")
    parser.add_argument(
        "--output", type=Path, default=REPO / "bench-results" / "latest.md", help="where to write the report"
    )
    parser.add_argument(
        "--only",
        choices=["ingest", "stores", "api", "invoices", "carriers", "reconciliation", "dashboard"],
        help="run one part only",
    )
    args = parser.parse_args(argv)

    plan = bench_ingest.QUICK if args.quick else bench_ingest.FULL
    source = machine.source_state(REPO)  # before the run: the engine modules are imported now
    parts = []
    if args.only in (None, "ingest"):
        results = bench_ingest.run(plan, profile=args.profile)
        results.source = source
        parts.append(report.render(results, machine.describe()))
    if args.only in (None, "stores"):
        parts.append(bench_stores.render(bench_stores.run(quick=args.quick)))
    if args.only in (None, "api"):
        parts.append(bench_api.render(bench_api.run(quick=args.quick)))
    if args.only in (None, "invoices"):
        parts.append(bench_invoices.render(bench_invoices.run(quick=args.quick)))
    if args.only in (None, "carriers"):
        parts.append(bench_carriers.render(bench_carriers.run(quick=args.quick)))
    if args.only in (None, "reconciliation"):
        parts.append(bench_reconciliation.render(bench_reconciliation.run(quick=args.quick)))
    if args.only in (None, "dashboard"):
        parts.append(bench_dashboard.render(bench_dashboard.run(quick=args.quick)))
    text = "\n".join(parts)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"[bench] report written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
