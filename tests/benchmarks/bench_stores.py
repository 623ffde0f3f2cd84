"""Stores desk benchmarks (issue "Stores desk", §7), on DuckDB stores built through the engine.

* mapping: ``lookup_batch`` of 100,000 lines against a 5,000-row material master with 1,000
  overrides (target ≤ 2 s); a single ``lookup_material`` with a warm cache (target p99 ≤ 1 ms) side
  by side with a plain dictionary lookup of the same keys (the floor);
* allocation: 20,000 tag lines over 2,000 SKUs with 3 candidates each (target ≤ 10 s), and 2,000
  lines on the same master data, to show whether the time per line stays flat.

Every input is generated and stored before any timing starts; timing is ``time.perf_counter``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from engine import api
from engine.api import CLI_OPERATOR, Actor
from engine.clock import business_day
from engine.config import load_settings
from engine.demo.builder import csv_bytes, lpo_csv_bytes, xlsx_bytes
from engine.mapping.lookup import LineInput
from engine.mapping.normalise import normalise_description
from engine.mapping.requests import LookupRequest
from engine.materials.kinds import SPECS, Kind
from engine.vocab import Role, Source
from tests.benchmarks.timing import Sample, quantile
from tests.conftest import ZONE, production_day_after

MASTER_ROWS, OVERRIDES, BATCH_LINES, SINGLE_LOOKUPS = 5_000, 1_000, 100_000, 20_000
SKUS, CANDIDATES, LINES_PER_TAG = 2_000, 3, 500
# Benchmarks run on the real clock (their report says when): a production day ahead of today.
RUN_DATE = production_day_after(business_day(ZONE))
SNAPSHOT = (RUN_DATE - timedelta(days=1)).isoformat()
LPO = "LPO-BENCH"
SCOPES = (("LPO", LPO), ("PROJECT", "Bench tower"), ("PLANT", "AE01"), ("CUSTOMER", "Bench LLC"))


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _ledger(root: Path) -> api.Ledger:
    ledger = api.open_ledger(load_settings(data_dir=root, demo_data=False, jobs_enabled=False))
    api.import_lpos(
        ledger,
        lpo_csv_bytes(
            [
                {
                    "lpo_id": LPO,
                    "customer": "Bench LLC",
                    "project_id": "Bench tower",
                    "plant_id": "AE01",
                    "po_quantity_m2": "99999999",
                    "delivered_quantity_m2": "0",
                    "status": "ACTIVE",
                }
            ]
        ),
        actor=CLI_OPERATOR,
    )
    return ledger


def _import(ledger: api.Ledger, kind: Kind, rows: list[dict[str, object]]) -> None:
    content = csv_bytes(rows, columns=SPECS[kind].columns)
    api.import_materials(ledger, kind, content, f"{kind}.csv", actor=CLI_OPERATOR)


# ---------------------------------------------------------------- mapping


@dataclass
class MappingResults:
    batch: Sample = field(default_factory=lambda: Sample("lookup_batch of 100,000 lines"))
    batch_mix: dict[str, int] = field(default_factory=dict)
    single: Sample = field(default_factory=lambda: Sample("single lookup, warm cache"))
    floor: Sample = field(default_factory=lambda: Sample("dictionary lookup of the same keys"))


def _descriptions(count: int) -> list[str]:
    """Realistic-looking distinct nesting descriptions (material, thickness, finish, size)."""
    materials = (
        "phenolic panel",
        "pir panel",
        "alu tape",
        "flange profile",
        "u profile",
        "tie rod",
        "rivet",
        "gasket tape",
        "corner",
        "bayonet",
        "disc",
        "silicone",
        "adhesive",
        "h profile",
        "f profile",
    )
    out: list[str] = []
    for index in range(count):
        material = materials[index % len(materials)]
        out.append(f"{material} {10 + index % 40}mm {('80/80', '80/200', 'alu/alu')[index % 3]} v{index}")
    return out


def build_mapping_store(root: Path) -> tuple[api.Ledger, list[str], list[tuple[str, str]]]:
    ledger = _ledger(root)
    codes = [f"CAN-{index:04d}" for index in range(500)]
    _import(
        ledger,
        Kind.CANONICAL,
        [
            {"canonical_code": code, "canonical_uom": ("m", "m2", "pcs", "kg")[i % 4]}
            for i, code in enumerate(codes)
        ],
    )
    descriptions = _descriptions(MASTER_ROWS)
    units = {code: ("m", "m2", "pcs", "kg")[i % 4] for i, code in enumerate(codes)}
    _import(
        ledger,
        Kind.MASTER,
        [
            {
                "nesting_description": text,
                "canonical_code": codes[i % len(codes)],
                "uom": units[codes[i % len(codes)]],
            }
            for i, text in enumerate(descriptions)
        ],
    )
    rng = random.Random(7)
    overridden = []
    for index in range(OVERRIDES):
        scope, _value = SCOPES[index % len(SCOPES)]
        text = descriptions[rng.randrange(len(descriptions))]
        overridden.append((text, scope))
    _import(
        ledger,
        Kind.OVERRIDES,
        [
            {
                "scope_type": scope,
                "scope_value": dict(SCOPES)[scope],
                "nesting_description": text,
                "canonical_code": codes[(i * 7) % len(codes)],
                "effective_from": f"2026-{1 + i % 12:02d}-01",
            }
            for i, (text, scope) in enumerate(dict.fromkeys(overridden))
        ],
    )
    return ledger, descriptions, list(dict.fromkeys(overridden))


def run_mapping(root: Path, *, quick: bool) -> MappingResults:
    results = MappingResults()
    ledger, descriptions, overridden = build_mapping_store(root)
    try:
        master = api.mapping_master(ledger, actor=api.CLI_OPERATOR)
        units = dict(master.canonical_uom.items())
        rng = random.Random(11)
        lines = []
        for index in range(BATCH_LINES):
            roll = rng.random()
            if roll < 0.10:
                text = f"unknown part {index % 900}"  # goes to review
            elif roll < 0.25:
                text = overridden[rng.randrange(len(overridden))][0].upper()  # an override applies
            else:
                text = "  " + descriptions[rng.randrange(len(descriptions))].title() + " "
            row = master.master.get(normalise_description(text))
            uom = units.get(row.canonical_code, "m") if row else "m"
            lines.append(
                LineInput(
                    description=text,
                    qty=Decimal(rng.randint(1, 400)) / 4,
                    uom=uom,
                    lpo_id=LPO,
                    project_id="Bench tower",
                    plant_id="AE01",
                    customer="Bench LLC",
                    on_date=RUN_DATE,
                )
            )
        api.lookup_batch(ledger, lines[:1000], actor=api.CLI_OPERATOR)  # warm
        for _ in range(2 if quick else 5):
            outcomes = results.batch.time(lambda: api.lookup_batch(ledger, lines, actor=api.CLI_OPERATOR))
        for outcome in outcomes:
            key = str(outcome.decision.decision)
            results.batch_mix[key] = results.batch_mix.get(key, 0) + 1

        actor = Actor(email="system:bench", roles=frozenset({Role.STORES}), source=Source.CLI)
        requests = [
            LookupRequest(
                description=line.description, qty=line.qty, uom=line.uom, lpo_id=LPO, on_date=RUN_DATE
            )
            for line in lines[:SINGLE_LOOKUPS]
        ]
        table = {normalise_description(line.description): line for line in lines[:SINGLE_LOOKUPS]}
        keys = [normalise_description(line.description) for line in lines[:SINGLE_LOOKUPS]]
        for request in requests[:500]:  # warm: the cache is loaded, nothing is read from the store after this
            api.lookup_material(ledger, request, actor=actor)
        count = 5_000 if quick else SINGLE_LOOKUPS
        for request, key in zip(requests[:count], keys[:count], strict=True):
            started = time.perf_counter_ns()
            api.lookup_material(ledger, request, actor=actor)
            results.single.add((time.perf_counter_ns() - started) / 1e6)
            started = time.perf_counter_ns()
            table.get(key)
            results.floor.add((time.perf_counter_ns() - started) / 1e6)
    finally:
        ledger.close()
    return results


# ---------------------------------------------------------------- allocation


@dataclass
class AllocationRun:
    lines: int
    seconds: float
    allocated: int
    partial: int
    unallocated: int
    exceptions: int

    @property
    def ms_per_line(self) -> float:
        return self.seconds * 1000 / self.lines


def build_allocation_store(root: Path, lines: int, rng_seed: int) -> api.Ledger:
    """2,000 SKUs (3 per canonical material), a brand map of 3 candidates per material for the LPO, a
    snapshot, and ``lines`` mapped tag lines due on RUN_DATE, uploaded as 500-line sheets."""
    ledger = _ledger(root)
    rng = random.Random(rng_seed)
    materials = SKUS // CANDIDATES
    codes = [f"CAN-{index:04d}" for index in range(materials)]
    _import(
        ledger,
        Kind.SKUS,
        [
            {
                "sap_code": f"5{index:07d}",
                "canonical_code": codes[index // CANDIDATES],
                "sap_uom": "pcs",
                "conversion_to_canonical": ("1", "4.8", "50")[index % 3],
                "whole_units": "true" if index % 5 else "false",
            }
            for index in range(materials * CANDIDATES)
        ],
    )
    _import(
        ledger,
        Kind.MASTER,
        [
            {
                "nesting_description": f"bench material {code.lower()}",
                "canonical_code": code,
                "default_sap_code": f"5{i * CANDIDATES:07d}",
                "uom": "pcs",
            }
            for i, code in enumerate(codes)
        ],
    )
    _import(
        ledger,
        Kind.BRANDMAP,
        [
            {
                "lpo_id": LPO,
                "canonical_code": codes[index // CANDIDATES],
                "sap_code": f"5{index:07d}",
                "priority": str(index % CANDIDATES + 1),
            }
            for index in range(materials * CANDIDATES)
        ],
    )
    header = (
        "snapshot_date,plant,storage_location,sap_code,unrestricted_qty,quality_inspection_qty,blocked_qty\n"
    )
    stock = "".join(
        f"{SNAPSHOT},AE01,FG01,5{index:07d},{rng.randint(0, 60)},0,0\n"
        for index in range(materials * CANDIDATES)
    )
    api.import_stock(ledger, (header + stock).encode(), "snapshot.csv", actor=CLI_OPERATOR)
    api.add_user(ledger, email="sales@bench.local", roles=["sales"], password=None, actor=CLI_OPERATOR)
    sales = Actor(email="sales@bench.local", roles=frozenset({Role.SALES}), source=Source.CLI)
    for sheet in range(lines // LINES_PER_TAG):
        rows = [
            {
                "line": n,
                "nesting_description": f"bench material {codes[rng.randrange(materials)].lower()}",
                "qty": str(rng.randint(1, 120)),
                "unit": "pcs",
            }
            for n in range(1, LINES_PER_TAG + 1)
        ]
        content = xlsx_bytes(rows, columns=("line", "nesting_description", "qty", "unit"))
        request = api.IngestRequest(
            lpo_id=LPO,
            required_area_m2=Decimal(1),
            requested_delivery_date=RUN_DATE,
            original_file_name=f"sheet_{sheet}.xlsx",
            content=content,
        )
        result = api.ingest_tag(ledger, request, actor=sales)
        if result.status != "UPLOADED":
            raise RuntimeError(f"benchmark sheet {sheet} was not uploaded: {result.message}")
    return ledger


def run_allocation(root: Path, lines: int) -> AllocationRun:
    ledger = build_allocation_store(root / f"alloc-{lines}", lines, rng_seed=lines)
    try:
        started = time.perf_counter()
        result = api.allocate(ledger, run_date=RUN_DATE, actor=CLI_OPERATOR)
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    if result.lines_total != lines:
        raise RuntimeError(f"allocated {result.lines_total} lines, expected {lines}")
    return AllocationRun(
        lines,
        seconds,
        result.lines_allocated,
        result.lines_partial,
        result.lines_unallocated,
        len(result.exceptions),
    )


@dataclass
class StoresResults:
    mapping: MappingResults
    allocations: list[AllocationRun]

    def verdicts(self) -> list[tuple[str, str, str, bool]]:
        batch = self.mapping.batch.p50 / 1000
        single = quantile(self.mapping.single.values_ms, 0.99)
        big = max(self.allocations, key=lambda run: run.lines)
        small = min(self.allocations, key=lambda run: run.lines)
        ratio = big.ms_per_line / small.ms_per_line
        return [
            (
                "lookup_batch of 100,000 lines ≤ 2 s",
                f"{batch:.2f} s (p50 of {self.mapping.batch.n})",
                "2 s",
                batch <= 2,
            ),
            ("single lookup p99 ≤ 1 ms, warm cache", f"{single:.3f} ms", "1 ms", single <= 1),
            ("allocation of 20,000 lines ≤ 10 s", f"{big.seconds:.2f} s", "10 s", big.seconds <= 10),
            (
                "time per line flat from 2,000 to 20,000 lines",
                f"{small.ms_per_line:.3f} → {big.ms_per_line:.3f} ms/line ({ratio:.2f}×)",
                "≤ 1.5× (flat within noise)",
                ratio <= 1.5,
            ),
        ]


def run(*, quick: bool = False) -> StoresResults:
    with tempfile.TemporaryDirectory(prefix="opsledger-bench-stores-") as tmp:
        root = Path(tmp)
        _log("stores: building the mapping store (5,000 master rows, 1,000 overrides)")
        mapping = run_mapping(root / "mapping", quick=quick)
        allocations = []
        for lines in (2_000, 20_000):
            _log(f"stores: building the allocation store for {lines:,} lines (2,000 SKUs, 3 candidates each)")
            allocations.append(run_allocation(root, lines))
    return StoresResults(mapping, allocations)


def _us(value_ms: float, places: int = 1) -> str:
    return f"{value_ms * 1000:.{places}f} µs"


def render(results: StoresResults) -> str:
    mapping = results.mapping
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(mapping.batch_mix.items()))
    single, floor = mapping.single, mapping.floor
    rows = [
        "## Stores desk: mapping and allocation",
        "",
        "| Figure | n | p50 | p99 | max | What |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| **`lookup_batch`, 100,000 lines** | {mapping.batch.n} | {mapping.batch.p50:.0f} ms | | "
        f"{mapping.batch.max:.0f} ms | 5,000 master rows, 1,000 overrides; decisions: {mix} |",
        f"| **single `lookup_material`, warm cache** | {single.n:,} | {_us(single.p50)} | "
        f"{_us(quantile(single.values_ms, 0.99))} | {_us(single.max, 0)} | request model in, result model "
        "out, nothing written |",
        f"| ↳ floor: `dict.get` of the same keys | {floor.n:,} | {_us(floor.p50, 2)} | "
        f"{_us(quantile(floor.values_ms, 0.99), 2)} | {_us(floor.max, 0)} | |",
    ]
    for run in results.allocations:
        counts = (
            f"{run.allocated:,} allocated, {run.partial:,} partial, {run.unallocated:,} unallocated, "
            f"{run.exceptions:,} shortage exceptions"
        )
        rows.append(
            f"| **allocation, {run.lines:,} lines** | 1 | {run.seconds:.2f} s | | | "
            f"{run.ms_per_line:.3f} ms per line; {counts} |"
        )
    rows += ["", "| Target | Measured | Limit | Verdict |", "| --- | ---: | ---: | --- |"]
    for target, measured, limit, passed in results.verdicts():
        rows.append(f"| {target} | {measured} | {limit} | **{'PASS' if passed else 'MISS'}** |")
    return "\n".join(rows) + "\n"
