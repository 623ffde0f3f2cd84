"""The markdown report of a benchmark run."""

from __future__ import annotations

import statistics

from tests.benchmarks.bench_ingest import (
    EXTRA_STAGES,
    LINES,
    STAGES,
    TARGET_FLOOR_FACTOR,
    TARGET_P95_MS,
    UPLOADERS,
    IngestResults,
)
from tests.benchmarks.timing import Sample, quantile


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _row(figure: str, sample: Sample, note: str = "") -> str:
    cpu = _ms(sample.cpu_p50) if sample.cpu_ms else ""
    return (
        f"| {figure} | {sample.n} | {_ms(sample.p50)} | {_ms(sample.p95)} | {_ms(sample.max)} | {cpu} "
        f"| {note} |"
    )


def render(results: IngestResults, machine: list[tuple[str, str]]) -> str:
    plan = results.plan
    read_reader, read = results.read_floor
    insert = results.insert_floor
    e2e = results.e2e
    floors = read.p50 + insert.p50
    lines = [
        f"# OpsLedger benchmark: ingest of a {LINES}-line .xlsx tag sheet on DuckDB",
        "",
        f"Run {results.started:%Y-%m-%d %H:%M} UTC, plan `{plan.name}`, {results.duration_s:.0f} s in all. "
        f"Load average (1/5/15 min) before: {results.load_before}; after: {results.load_after}.",
        "",
        f"Code measured: {results.source or 'unknown'}.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {label} | {value} |" for label, value in machine],
        "",
        "## Results",
        "",
        "Milliseconds of wall time (`time.perf_counter`); p50/p95 interpolated (`statistics.quantiles`, "
        "inclusive). *CPU p50* is the process CPU time (`time.process_time`, all threads) of the same "
        "calls: well below the wall p50 means the run waited for a core that other work had. "
        f"Warm-up: {plan.warmup} uploads and floor iterations, not timed. The floors and the end-to-end "
        f"upload ran interleaved over {plan.rounds} rounds on the same workbooks.",
        "",
        "| Figure | n | p50 | p95 | max | CPU p50 | What |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        _row(
            "**Read floor**",
            read,
            f"{read_reader.label}: bytes → Python rows ({LINES + 1} rows); fastest reader measured",
        ),
    ]
    for reader, sample in results.readers:
        if reader is read_reader:
            continue
        lines.append(_row(f"↳ reader: {reader.label}", sample, "extra row, not the floor"))
    lines += [
        _row(
            "**Insert floor**",
            insert,
            f"`Database.bulk_insert` (Arrow → `INSERT … SELECT`, the engine's method), {LINES} prepared "
            "rows, BEGIN … COMMIT",
        ),
        *[_row(f"↳ {label}", sample, "informational") for label, sample in results.raw_inserts],
        f"| Read floor + insert floor (p50) | | {_ms(floors)} | | | | sum of the two floors |",
        _row(
            "**End to end**",
            e2e,
            f"`api.ingest_tag`, a different {LINES}-line .xlsx each time; store as the issue sets it up "
            f"(one LPO, no material master); lines mapped: {results.e2e_mapping or 'n/a'}",
        ),
    ]
    if results.e2e_master is not None and results.e2e_master.n:
        lines.append(
            _row(
                "↳ end to end, demo material master loaded",
                results.e2e_master,
                f"informational, not in the verdicts; lines mapped: {results.e2e_master_note}",
            )
        )
    elif results.e2e_master_note:
        lines.append(f"| ↳ end to end, demo material master loaded | | | | | | {results.e2e_master_note} |")
    conc = results.concurrency
    if conc is not None:
        lines.append(
            _row(
                f"**{UPLOADERS} concurrent uploaders**",
                conc.latency,
                f"per-upload latency; {conc.uploads} uploads in {conc.wall_s:.2f} s = "
                f"**{conc.throughput:.2f} uploads/s** (one ledger, writes serialised)",
            )
        )
        lines.append(
            f"| Serial throughput for comparison | | | | | | 1000 / end-to-end mean = "
            f"{1000 / e2e.mean:.2f} uploads/s |"
        )
    if results.missing_readers:
        lines += ["", "Readers not measured: " + "; ".join(results.missing_readers) + "."]

    lines += [
        "",
        "## Verdicts",
        "",
        "| Target | Measured | Limit | Verdict |",
        "| --- | ---: | ---: | --- |",
    ]
    for verdict in results.verdicts():
        lines.append(
            f"| {verdict.target} | {_ms(verdict.measured_ms)} ms | {_ms(verdict.limit_ms)} ms "
            f"({verdict.detail}) | **{verdict.margin}** |"
        )
    floors_text = (
        f"End-to-end p50 is {e2e.p50 / floors:.2f}× the sum of the floors "
        f"(target ≤ {TARGET_FLOOR_FACTOR:g}×); "
        f"the insert floor alone is {insert.p50 / TARGET_P95_MS:.2f}× the {TARGET_P95_MS:g} ms p95 budget."
    )
    if results.raw_inserts:
        label, fastest = min(results.raw_inserts, key=lambda pair: pair[1].p50)
        floors_text += (
            f" For comparison only: with the fastest insert measured ({label}, p50 {_ms(fastest.p50)} ms) "
            f"the floors would sum to {_ms(read.p50 + fastest.p50)} ms."
        )
    if e2e.cpu_p95 > TARGET_P95_MS:
        cpu_text = f"the process's own work is over the {TARGET_P95_MS:g} ms p95 target, whatever the load"
    elif e2e.p95 > TARGET_P95_MS:
        cpu_text = "the process's own work is within the target: the miss is time spent waiting for a core"
    else:
        cpu_text = "within the target"
    lines += [
        "",
        floors_text,
        "",
        f"Process CPU time of the end-to-end uploads: p50 {_ms(e2e.cpu_p50)} ms, p95 {_ms(e2e.cpu_p95)} ms "
        f"({cpu_text}).",
    ]
    lines += _breakdown(results)
    if results.profile_text:
        lines += [
            "",
            "## cProfile, 9 uploads (top 25 by own time)",
            "",
            "```",
            results.profile_text.strip(),
            "```",
        ]
    return "\n".join(lines) + "\n"


def _breakdown(results: IngestResults) -> list[str]:
    stages = results.stages
    if results.breakdown_error:
        return ["", "## Where the time goes", "", f"The stage breakdown failed: `{results.breakdown_error}`."]
    if not stages.get("total"):
        return []
    total_mean = statistics.fmean(stages["total"])
    lines = [
        "",
        f"## Where the time goes: stage breakdown ({len(stages['total'])} instrumented uploads)",
        "",
        "Engine functions wrapped with timers at run time on a ledger of its own (the engine code is "
        "unchanged; the wrappers add a few microseconds). Means add up; p50s of parts need not.",
        "",
        "| Stage | p50 ms | mean ms | share of mean |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key, depth, label in STAGES:
        indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth
        name = f"**{label}**" if depth == 0 else label
        values = stages.get(key)
        if not values:
            lines.append(f"| {indent}{name} | — | — | not measured (not found in this engine) |")
            continue
        mean = statistics.fmean(values)
        lines.append(
            f"| {indent}{name} | {_ms(quantile(values, 0.5))} | {_ms(mean)} | {mean / total_mean:.0%} |"
        )
    for key, label in EXTRA_STAGES:
        values = stages.get(key)
        if not values:
            lines.append(f"| {label} | — | — | not measured |")
        elif key == "statements":
            lines.append(f"| {label} | {quantile(values, 0.5):.0f} | {statistics.fmean(values):.1f} | |")
        else:
            mean = statistics.fmean(values)
            lines.append(
                f"| {label} | {_ms(quantile(values, 0.5))} | {_ms(mean)} | {mean / total_mean:.0%} |"
            )
    return lines
