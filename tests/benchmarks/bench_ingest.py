"""Ingest of a 500-line .xlsx tag sheet on DuckDB, against two floors measured in the same run.

* read floor: the same workbook bytes read into Python rows by the fastest reader available;
* insert floor: the same 500 tag lines (row dicts built beforehand, the columns and values the engine
  writes) inserted into ``tag_line`` in one transaction with ``Database.bulk_insert`` (one Arrow
  table, one ``INSERT … SELECT``), the method the engine uses and the fastest insert measured, on a
  DuckDB store created by the engine; SQLAlchemy Core executemany is reported beside it;
* end to end: ``api.ingest_tag`` of a different 500-line workbook each time;
  (extra row: the same on a store holding the demo material master, so every line maps);
* 8 concurrent uploaders on one ledger: throughput and per-upload latency;
* a stage breakdown of ``api.ingest_tag`` (engine functions wrapped with timers at run time; the
  engine code is not changed).

The floors and the end-to-end upload run interleaved, round by round, so that load from other work
on the machine falls on all of them alike. Every workbook is generated before any timing starts.
"""

from __future__ import annotations

import cProfile
import importlib.util
import io
import itertools
import pstats
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa

from engine import api
from engine.api import CLI_OPERATOR, Actor, Ledger
from engine.clock import business_day, utcnow
from engine.config import load_settings
from engine.demo.builder import cut_export_lines, lpo_csv_bytes, xlsx_bytes
from engine.ids import new_trace_id
from engine.ledger import requests
from engine.store.schema import tag_line
from engine.tags import ingest, parse, pipeline, xlsx_guard
from engine.tags.models import IngestRequest
from engine.tags.parse import ParsedLine, parse_cut_export
from engine.vocab import IngestStatus, Role, Source
from tests.benchmarks.timing import Sample
from tests.conftest import ZONE, production_day_after

# Benchmarks run on the real clock (their report says when): a production day ahead of today.
DELIVERY = production_day_after(business_day(ZONE))

LINES = 500
LPO_ID = "LPO-BENCH"
SALES_EMAIL = "sales@bench.local"
UPLOADERS = 8
TARGET_P95_MS = 100.0
TARGET_FLOOR_FACTOR = 2.0


@dataclass(frozen=True)
class Plan:
    """How many times each thing is measured."""

    name: str
    rounds: int  # the floors and the end-to-end upload are interleaved over this many rounds
    warmup: int  # uploads (and floor iterations) before timing, per ledger
    e2e: int  # timed api.ingest_tag calls
    e2e_master: int  # timed api.ingest_tag calls on a store with the demo material master (extra row)
    read: int  # timed reads per fast reader
    slow_read: int  # timed reads with openpyxl (about 10x slower than calamine)
    insert: int  # timed floor inserts (SQLAlchemy Core)
    raw_insert: int  # timed raw-driver inserts (multi-row VALUES, Arrow)
    raw_executemany: int  # timed raw duckdb executemany inserts (close to a second each)
    breakdown: int  # instrumented uploads for the stage breakdown
    per_uploader: int  # uploads per thread in the concurrency run


FULL = Plan("full", rounds=5, warmup=5, e2e=100, e2e_master=40, read=100, slow_read=25,
            insert=50, raw_insert=25, raw_executemany=3, breakdown=25, per_uploader=6)  # fmt: skip
QUICK = Plan("quick", rounds=5, warmup=3, e2e=25, e2e_master=10, read=25, slow_read=5,
             insert=15, raw_insert=10, raw_executemany=1, breakdown=10, per_uploader=2)  # fmt: skip


# ---------------------------------------------------------------- workbooks and stores


class Workbooks:
    """500-line cut exports, each from its own seed so no two uploads have the same bytes."""

    def __init__(self) -> None:
        self._seeds = itertools.count(1)

    def make(self, count: int) -> list[bytes]:
        return [xlsx_bytes(cut_export_lines(LINES, seed=next(self._seeds))) for _ in range(count)]


@dataclass
class BenchLedger:
    ledger: Ledger
    actor: Actor

    def request(self, content: bytes) -> IngestRequest:
        return IngestRequest(
            lpo_id=LPO_ID,
            required_area_m2=Decimal("1"),
            requested_delivery_date=DELIVERY,
            original_file_name="nest.xlsx",
            content=content,
        )

    def ingest(self, request: IngestRequest) -> None:
        result = api.ingest_tag(self.ledger, request, actor=self.actor)
        if result.status != IngestStatus.UPLOADED or result.line_count != LINES:
            raise RuntimeError(f"benchmark upload was not a full ingest: {result.status} {result.message}")

    def close(self) -> None:
        self.ledger.close()


def open_bench_ledger(data_dir: Path) -> BenchLedger:
    settings = load_settings(data_dir=data_dir, demo_data=False, jobs_enabled=False)
    ledger = api.open_ledger(settings)
    lpo = {
        "lpo_id": LPO_ID,
        "customer": "Bench LLC",
        "po_quantity_m2": "99999999",
        "delivered_quantity_m2": "0",
        "status": "ACTIVE",
    }
    api.import_lpos(ledger, lpo_csv_bytes([lpo]), actor=CLI_OPERATOR)
    api.add_user(ledger, email=SALES_EMAIL, roles=["sales"], password="Bench-pass-123", actor=CLI_OPERATOR)
    actor = Actor(email=SALES_EMAIL, roles=frozenset({Role.SALES}), source=Source.CLI)
    return BenchLedger(ledger, actor)


def load_material_master(bench: BenchLedger) -> None:
    """The demo material master (SKUs, canonical materials, master rows, unit conversions), so that
    mapping at ingestion finds the material of every generated line. The demo brand maps are left
    out: they name the demo LPOs, which this store does not have."""
    from engine.demo.builder import DATA_DIR
    from engine.demo.loader import MASTER_FILES

    for kind, name in MASTER_FILES:
        if "brand" not in name:
            api.import_materials(bench.ledger, kind, (DATA_DIR / name).read_bytes(), name, actor=CLI_OPERATOR)


def mapping_outcome(bench: BenchLedger) -> str:
    """How the stored lines were mapped at ingestion (``line_mapping`` status counts)."""
    from engine.store import schema

    table = getattr(schema, "line_mapping", None)
    if table is None:
        return "no mapping at ingestion in this engine"
    with bench.ledger.db.read() as conn:
        counts = conn.execute(sa.select(table.c.status, sa.func.count()).group_by(table.c.status)).all()
    total = sum(count for _, count in counts)
    return ", ".join(f"{count / total:.0%} {status}" for status, count in counts) if total else "no lines"


# ---------------------------------------------------------------- read floor: workbook readers


def read_calamine(content: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    return sheet.to_python()  # type: ignore[no-any-return]


def read_openpyxl(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_fastexcel_rows(content: bytes) -> list[tuple[Any, ...]]:
    import fastexcel

    batch = fastexcel.read_excel(content).load_sheet(0, header_row=None).to_arrow()
    return list(zip(*(column.to_pylist() for column in batch.columns), strict=True))


def read_fastexcel_arrow(content: bytes) -> Any:
    import fastexcel

    return fastexcel.read_excel(content).load_sheet(0, header_row=None).to_arrow()


@dataclass(frozen=True)
class Reader:
    label: str
    fn: Callable[[bytes], Any]
    python_rows: bool  # only readers that hand back Python rows can be the floor
    slow: bool = False


def available_readers() -> tuple[list[Reader], list[str]]:
    """The readers importable here, and a note for each known reader that is not."""
    readers = [Reader("python-calamine `to_python()`", read_calamine, python_rows=True)]
    missing = []
    if importlib.util.find_spec("fastexcel"):
        readers.append(Reader("fastexcel → Arrow → Python rows", read_fastexcel_rows, python_rows=True))
        readers.append(Reader("fastexcel → Arrow only (no Python rows)", read_fastexcel_arrow, False))
    else:
        missing.append("fastexcel: not installed in this environment")
    readers.append(Reader("openpyxl read-only, values only", read_openpyxl, python_rows=True, slow=True))
    missing.append("DuckDB `read_xlsx` (excel extension): not installed, and extensions cannot be downloaded")
    return readers, missing


# ---------------------------------------------------------------- insert floor: tag_line rows


def tag_line_rows(
    lines: list[ParsedLine], tag_id: str, *, trace_id: str, at: datetime
) -> list[dict[str, Any]]:
    """The row dicts ``engine.tags.ingest.insert_lines`` inserts (built by the same function)."""
    rows: list[dict[str, Any]] = ingest.line_rows(tag_id, 1, lines, trace_id=trace_id, at=at)
    if set(rows[0]) != set(tag_line.c.keys()):
        raise RuntimeError("the benchmark's tag_line rows no longer match the table's columns")
    return rows


class InsertFloor:
    """Bare inserts of prepared tag_line rows on a DuckDB store of its own (created by the engine)."""

    def __init__(self, store: BenchLedger, parsed: list[list[ParsedLine]]) -> None:
        self.store = store
        self.parsed = parsed
        self.conn = store.ledger.db.engine.connect()
        self._tags = itertools.count(1)
        self.columns = [column.name for column in tag_line.columns]

    def rows(self, count: int) -> list[list[dict[str, Any]]]:
        """Fresh rows (new primary keys) for ``count`` inserts, cycling over the parsed workbooks."""
        batches = []
        for index in range(count):
            lines = self.parsed[index % len(self.parsed)]
            tag_id = f"TAG-20990101-{next(self._tags):04d}"
            batches.append(tag_line_rows(lines, tag_id, trace_id=new_trace_id(), at=utcnow()))
        return batches

    def engine_bulk(self, rows: list[dict[str, Any]]) -> None:
        """The floor: what ``insert_lines`` does, in one transaction, and nothing else."""
        with self.conn.begin():
            self.store.ledger.db.bulk_insert(self.conn, tag_line, rows)

    def sqlalchemy_core(self, rows: list[dict[str, Any]]) -> None:
        """SQLAlchemy Core executemany of the same rows (informational)."""
        with self.conn.begin():
            self.conn.execute(tag_line.insert(), rows)

    def _raw(self) -> Any:
        return self.conn.connection.driver_connection

    def raw_executemany(self, rows: list[dict[str, Any]]) -> None:
        raw = self._raw()
        marks = ", ".join("?" * len(self.columns))
        statement = f"INSERT INTO tag_line ({', '.join(self.columns)}) VALUES ({marks})"
        values = [tuple(row[name] for name in self.columns) for row in rows]
        raw.begin()
        raw.executemany(statement, values)
        raw.commit()

    def raw_values(self, rows: list[dict[str, Any]]) -> None:
        raw = self._raw()
        group = "(" + ", ".join("?" * len(self.columns)) + ")"
        statement = f"INSERT INTO tag_line ({', '.join(self.columns)}) VALUES " + ", ".join(
            [group] * len(rows)
        )
        values = [row[name] for row in rows for name in self.columns]
        raw.begin()
        raw.execute(statement, values)
        raw.commit()

    def raw_arrow(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        raw = self._raw()
        names = ", ".join(self.columns)
        table = pa.Table.from_pylist(rows)  # converting the dicts is part of the cost
        raw.begin()
        raw.register("bench_incoming_lines", table)
        raw.execute(f"INSERT INTO tag_line ({names}) SELECT {names} FROM bench_incoming_lines")
        raw.unregister("bench_incoming_lines")
        raw.commit()

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------- stage breakdown


# (key, depth, label). Derived keys are computed in ``StageClock.derive``; a stage whose engine
# function is not found (the engine changed) is reported as not measured instead of failing the run.
STAGES: tuple[tuple[str, int, str], ...] = (
    ("total", 0, "`api.ingest_tag`, end to end"),
    ("preflight", 1, "preflight: role, file name/size/kind, SHA-256, fingerprint"),
    ("replay_read", 1, "idempotency look-up before parsing (read connection)"),
    ("parse", 1, "parse (`parse_cut_export`)"),
    ("guard", 2, "xlsx container guard (`xlsx_guard.check`)"),
    ("calamine", 2, "workbook read (python-calamine)"),
    ("rows", 2, "rest of the parse: header search, checks, 500 lines → `ParsedLine`"),
    ("write", 1, "DB write transaction (`Database.write`)"),
    ("lock_lpo", 2, "lock the LPO row"),
    ("replay", 2, "idempotency re-check inside the transaction"),
    ("duplicate", 2, "duplicate-file check"),
    ("checks", 2, "unknown LPO / on hold / PO balance / unusable sheet"),
    ("store_tag", 2, "store the tag (`store_tag`)"),
    ("tag_id", 3, "next tag id (counter row)"),
    ("file_store", 3, "file store: blob file + `file_store` row"),
    ("tag_sheet", 3, "`tag_sheet` + `tag_sheet_version` rows"),
    ("insert_lines", 3, "500 `tag_line` rows (`insert_lines`: row dicts, one Arrow insert)"),
    ("mapping", 3, "material mapping of the 500 lines (`map_lines`: decisions, history, line mapping)"),
    ("store_rest", 3, "rest of `store_tag`"),
    ("remember", 2, "stored response + audit row"),
    ("commit", 2, "COMMIT"),
    ("write_rest", 2, "rest: write lock, connection, BEGIN, retry wrapper"),
    ("other", 1, "other (logging, trace id, result model)"),
)
EXTRA_STAGES: tuple[tuple[str, str], ...] = (
    ("duckdb_all", "DuckDB time of all statements sent through SQLAlchemy"),
    ("bulk_insert", "`Database.bulk_insert` calls (Arrow, raw driver), where the engine has it"),
    ("statements", "statements sent through SQLAlchemy per upload"),
)
_DERIVED: dict[str, tuple[str, tuple[str, ...]]] = {  # key: (whole, parts subtracted from it)
    "calamine": ("xlsx_sheets", ("guard",)),
    "rows": ("parse", ("xlsx_sheets",)),
    "tag_sheet": ("insert_tag", ()),
    "store_rest": ("store_tag", ("tag_id", "file_store", "insert_tag", "insert_lines", "mapping")),
    "write_rest": ("write", ("lock_lpo", "replay", "duplicate", "checks", "store_tag", "remember", "commit")),
    "other": ("total", ("preflight", "replay_read", "parse", "write")),
}


class StageClock:
    """Wraps engine functions with timers for the duration of a ``with`` block (nothing is edited)."""

    def __init__(self, bench: BenchLedger) -> None:
        self.bench = bench
        self.current: dict[str, float] = defaultdict(float)
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.measured: set[str] = {"total", "duckdb_all", "statements"}
        self._cursor_started = 0.0

    def _timed(self, key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.measured.add(key)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.current[key] += (time.perf_counter() - started) * 1000

        return timed

    def _before_cursor(self, *_: Any) -> None:
        self._cursor_started = time.perf_counter()

    def _after_cursor(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        elapsed = (time.perf_counter() - self._cursor_started) * 1000
        self.current["duckdb_all"] += elapsed
        self.current["statements"] += 1

    @contextmanager
    def installed(self) -> Iterator[None]:
        db = self.bench.ledger.db
        timed = self._timed
        original_read = db.read

        @contextmanager
        def timed_read() -> Iterator[Any]:
            started = time.perf_counter()
            with original_read() as conn:
                yield conn
            self.current["replay_read"] += (time.perf_counter() - started) * 1000

        self.measured.add("replay_read")
        replay = timed("replay", ingest.replay)
        ledger_stages = {
            ingest.lock_the_lpo: timed("lock_lpo", ingest.lock_the_lpo),
            ingest.replay: replay,
            ingest.reject_duplicate: timed("duplicate", ingest.reject_duplicate),
        }
        stages = tuple(ledger_stages.get(stage, timed("checks", stage)) for stage in ingest.LEDGER)
        patches: list[tuple[Any, str, Any]] = [
            (ingest, "PREFLIGHT", tuple(timed("preflight", check) for check in ingest.PREFLIGHT)),
            (ingest, "LEDGER", stages),
            (ingest, "replay", replay),  # the runner tells a replay by identity
            (db, "read", timed_read),
        ]
        optional = [  # (object, attribute, key): wrapped when the engine has it
            (pipeline, "parse_cut_export", "parse"),
            (parse, "_xlsx_sheets", "xlsx_sheets"),
            (xlsx_guard, "check", "guard"),
            (ingest, "store_tag", "store_tag"),
            (ingest, "_take_tag_id", "tag_id"),
            (ingest, "store_file", "file_store"),
            (ingest, "_insert_tag", "insert_tag"),
            (pipeline, "insert_lines", "insert_lines"),
            (pipeline, "map_lines", "mapping"),
            (requests, "remember", "remember"),
            (ingest, "record_upload", "remember"),
            (db, "write", "write"),
            (db, "bulk_insert", "bulk_insert"),
            (db.engine.dialect, "do_commit", "commit"),
        ]
        for target, name, key in optional:
            if hasattr(target, name):
                patches.append((target, name, timed(key, getattr(target, name))))
        with ExitStack() as stack:
            for target, name, replacement in patches:
                stack.enter_context(mock.patch.object(target, name, replacement))
            sa.event.listen(db.engine, "before_cursor_execute", self._before_cursor)
            sa.event.listen(db.engine, "after_cursor_execute", self._after_cursor)
            stack.callback(sa.event.remove, db.engine, "before_cursor_execute", self._before_cursor)
            stack.callback(sa.event.remove, db.engine, "after_cursor_execute", self._after_cursor)
            yield

    def upload(self, request: IngestRequest, *, keep: bool) -> None:
        self.current = defaultdict(float)
        started = time.perf_counter()
        self.bench.ingest(request)
        self.current["total"] = (time.perf_counter() - started) * 1000
        if keep:
            for key, value in self.derive(self.current).items():
                self.samples[key].append(value)

    def derive(self, raw: dict[str, float]) -> dict[str, float]:
        out = {key: raw.get(key, 0.0) for key in self.measured}
        for key, (whole, parts) in _DERIVED.items():
            if whole in self.measured:
                out[key] = raw.get(whole, 0.0) - sum(raw.get(part, 0.0) for part in parts)
        return out


# ---------------------------------------------------------------- concurrency


@dataclass
class ConcurrencyResult:
    uploaders: int
    uploads: int
    wall_s: float
    latency: Sample

    @property
    def throughput(self) -> float:
        return self.uploads / self.wall_s


def run_concurrent(bench: BenchLedger, sheets: list[list[bytes]]) -> ConcurrencyResult:
    """Each thread uploads its own sheets back to back; all start together at a barrier."""
    barrier = threading.Barrier(len(sheets) + 1)
    latencies: list[list[float]] = [[] for _ in sheets]
    errors: list[BaseException] = []

    def uploader(index: int) -> None:
        requests = [bench.request(content) for content in sheets[index]]
        barrier.wait()
        try:
            for request in requests:
                started = time.perf_counter()
                bench.ingest(request)
                latencies[index].append((time.perf_counter() - started) * 1000)
        except BaseException as error:  # reported after the run; a failed upload invalidates it
            errors.append(error)

    threads = [threading.Thread(target=uploader, args=(i,), name=f"uploader-{i}") for i in range(len(sheets))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} concurrent upload(s) failed") from errors[0]
    latency = Sample("concurrent upload", [ms for per_thread in latencies for ms in per_thread])
    return ConcurrencyResult(len(sheets), latency.n, wall, latency)


# ---------------------------------------------------------------- the run


@dataclass
class Verdict:
    target: str
    measured_ms: float
    limit_ms: float
    detail: str

    @property
    def passed(self) -> bool:
        return self.measured_ms <= self.limit_ms

    @property
    def margin(self) -> str:
        gap = self.limit_ms - self.measured_ms
        if self.passed:
            return f"PASS, {gap:.1f} ms ({gap / self.limit_ms:.0%}) under the limit"
        return f"MISS, over by {-gap:.1f} ms ({self.measured_ms / self.limit_ms:.2f}× the limit)"


@dataclass
class IngestResults:
    plan: Plan
    started: datetime
    duration_s: float = 0.0
    load_before: str = ""
    load_after: str = ""
    source: str = ""
    readers: list[tuple[Reader, Sample]] = field(default_factory=list)
    missing_readers: list[str] = field(default_factory=list)
    insert_floor: Sample = field(default_factory=lambda: Sample("insert floor"))
    raw_inserts: list[tuple[str, Sample]] = field(default_factory=list)
    e2e: Sample = field(default_factory=lambda: Sample("end to end"))
    e2e_mapping: str = ""
    e2e_master: Sample | None = None
    e2e_master_note: str = ""
    concurrency: ConcurrencyResult | None = None
    stages: dict[str, list[float]] = field(default_factory=dict)
    breakdown_error: str | None = None
    profile_text: str | None = None

    @property
    def read_floor(self) -> tuple[Reader, Sample]:
        eligible = [(reader, sample) for reader, sample in self.readers if reader.python_rows]
        return min(eligible, key=lambda pair: pair[1].p50)

    def verdicts(self) -> list[Verdict]:
        read = self.read_floor[1].p50
        insert = self.insert_floor.p50
        floors = TARGET_FLOOR_FACTOR * (read + insert)
        return [
            Verdict("end-to-end p95 ≤ 100 ms", self.e2e.p95, TARGET_P95_MS, "p95 of `api.ingest_tag`"),
            Verdict(
                "end-to-end p50 ≤ 2 × (read floor p50 + insert floor p50)",
                self.e2e.p50,
                floors,
                f"2 × ({read:.1f} + {insert:.1f}) ms",
            ),
        ]


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(plan: Plan, *, profile: bool = False) -> IngestResults:
    from tests.benchmarks.machine import load_average

    results = IngestResults(plan=plan, started=utcnow(), load_before=load_average())
    clock_started = time.perf_counter()
    books = Workbooks()
    readers, results.missing_readers = available_readers()
    with tempfile.TemporaryDirectory(prefix="opsledger-bench-") as tmp:
        root = Path(tmp)
        _log(f"plan {plan.name}: generating workbooks (not timed)")
        warm = books.make(plan.warmup)
        e2e_books = books.make(plan.e2e)
        master_books = books.make(plan.warmup + plan.e2e_master)
        breakdown_books = books.make(plan.warmup + plan.breakdown)
        concurrent_books = [books.make(plan.per_uploader) for _ in range(UPLOADERS)]
        concurrent_warm = books.make(2)
        profile_books = books.make(10) if profile else []

        # The floors work on the very workbooks the end-to-end run ingests.
        for content in e2e_books[:3]:
            for reader in readers:
                rows = reader.fn(content)
                if reader.python_rows and len(rows) != LINES + 1:
                    raise RuntimeError(f"{reader.label} read {len(rows)} rows, expected {LINES + 1}")
        parsed = [parse_cut_export(content, kind="xlsx").lines for content in e2e_books[:10]]
        if any(len(lines) != LINES for lines in parsed):
            raise RuntimeError("a generated workbook did not parse into 500 lines")

        main = open_bench_ledger(root / "e2e")
        floor_store = open_bench_ledger(root / "insert-floor")
        floor = InsertFloor(floor_store, parsed)
        with_master: BenchLedger | None = open_bench_ledger(root / "e2e-master")
        try:
            # ---- warm-up (not timed): first-call costs of imports, statement caches, the files
            for content in warm:
                main.ingest(main.request(content))
                for reader in readers:
                    reader.fn(content)
            for rows in floor.rows(plan.warmup):
                floor.engine_bulk(rows)
            master_requests = []
            try:  # the extra row needs the engine's material master; its absence must not sink the run
                assert with_master is not None
                load_material_master(with_master)
                for content in master_books[: plan.warmup]:
                    with_master.ingest(with_master.request(content))
                master_requests = [with_master.request(content) for content in master_books[plan.warmup :]]
                results.e2e_master = Sample("end to end, material master loaded")
            except Exception as error:
                results.e2e_master_note = f"not measured: {type(error).__name__}: {str(error)[:200]}"
                _log(f"end to end with the material master: {results.e2e_master_note}")

            # ---- floors and end to end, interleaved round by round
            samples = {reader.label: Sample(reader.label) for reader in readers}
            insert_rows = floor.rows(plan.insert)
            requests = [main.request(content) for content in e2e_books]
            for round_no in range(plan.rounds):
                _log(f"round {round_no + 1}/{plan.rounds}: read floor, insert floor, end to end")
                for reader in readers:
                    count = plan.slow_read if reader.slow else plan.read
                    for index in _slice(count, plan.rounds, round_no):
                        content = e2e_books[index % len(e2e_books)]
                        samples[reader.label].time(lambda f=reader.fn, c=content: f(c))
                for index in _slice(plan.insert, plan.rounds, round_no):
                    results.insert_floor.time(lambda rows=insert_rows[index]: floor.engine_bulk(rows))
                for index in _slice(plan.e2e, plan.rounds, round_no):
                    results.e2e.time(lambda r=requests[index]: main.ingest(r))
                if results.e2e_master is not None and with_master is not None:
                    for index in _slice(len(master_requests), plan.rounds, round_no):
                        results.e2e_master.time(lambda r=master_requests[index], b=with_master: b.ingest(r))
            results.readers = [(reader, samples[reader.label]) for reader in readers]
            results.e2e_mapping = mapping_outcome(main)
            if results.e2e_master is not None and with_master is not None:
                results.e2e_master_note = mapping_outcome(with_master)

            # ---- informational: the same rows through the raw duckdb driver
            _log("raw duckdb driver inserts (informational)")
            raw_ways: list[tuple[str, Callable[[list[dict[str, Any]]], None], int]] = [
                (
                    "SQLAlchemy Core `conn.execute(tag_line.insert(), rows)`",
                    floor.sqlalchemy_core,
                    plan.raw_insert,
                ),
                ("raw duckdb, one multi-row `VALUES` statement", floor.raw_values, plan.raw_insert),
                (
                    "raw duckdb `executemany` (one statement per row)",
                    floor.raw_executemany,
                    plan.raw_executemany,
                ),
            ]
            if importlib.util.find_spec("pyarrow"):
                raw_ways.append(
                    ("raw duckdb, Arrow table → `INSERT … SELECT`", floor.raw_arrow, plan.raw_insert)
                )
            for label, way, count in raw_ways:
                sample = Sample(label)
                way(floor.rows(1)[0])  # warm
                for rows in floor.rows(count):
                    sample.time(lambda w=way, r=rows: w(r))
                results.raw_inserts.append((label, sample))
        finally:
            floor.close()
            floor_store.close()
            main.close()
            if with_master is not None:
                with_master.close()

        # ---- stage breakdown on a ledger of its own
        _log("stage breakdown (instrumented uploads)")
        staged = open_bench_ledger(root / "breakdown")
        try:
            clock = StageClock(staged)
            with clock.installed():
                for index, content in enumerate(breakdown_books):
                    clock.upload(staged.request(content), keep=index >= plan.warmup)
            results.stages = dict(clock.samples)
        except Exception as error:  # the wrappers name engine internals; a refactor must not sink the run
            results.breakdown_error = f"{type(error).__name__}: {error}"
            _log(f"stage breakdown failed: {results.breakdown_error}")
        finally:
            staged.close()

        # ---- 8 concurrent uploaders on one ledger
        _log(f"{UPLOADERS} concurrent uploaders × {plan.per_uploader} uploads")
        shared = open_bench_ledger(root / "concurrent")
        try:
            for content in concurrent_warm:
                shared.ingest(shared.request(content))
            results.concurrency = run_concurrent(shared, concurrent_books)
        finally:
            shared.close()

        if profile:
            _log("cProfile of 10 uploads")
            results.profile_text = _profile(open_bench_ledger(root / "profile"), profile_books)

    results.duration_s = time.perf_counter() - clock_started
    results.load_after = load_average()
    return results


def _slice(total: int, rounds: int, round_no: int) -> range:
    """The indexes of round ``round_no`` when ``total`` iterations are spread over ``rounds``."""
    return range(total * round_no // rounds, total * (round_no + 1) // rounds)


def _profile(bench: BenchLedger, books: list[bytes]) -> str:
    try:
        bench.ingest(bench.request(books[0]))
        requests = [bench.request(content) for content in books[1:]]
        profiler = cProfile.Profile()
        profiler.enable()
        for request in requests:
            bench.ingest(request)
        profiler.disable()
    finally:
        bench.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()
