"""Integration API benchmark (issue "Integration API", §5): ``POST /api/v1/tags/ingest`` of a
500-line sheet over real HTTP to a running console on a DuckDB store, against ``api.ingest_tag``
called in-process on the same sheets, in the same run. Target: HTTP adds ≤ 10 ms at p50.

Both sides start from the same state: a fresh DuckDB store each, one LPO with room for every
upload, the same generated sheets in the same order, two warm-up uploads not counted. The HTTP
client keeps its connection (as a retrying caller does) and its JSON bodies (base64 of the sheet)
are built before the timing starts; the console runs with its jobs off. DuckDB has one owner per
file, so each side has its own store, and their uploads alternate.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from engine import api
from engine.api import CLI_OPERATOR, Actor
from engine.clock import business_day
from engine.config import load_settings
from engine.demo.builder import cut_export_lines, lpo_csv_bytes, xlsx_bytes
from engine.vocab import Role, Source
from tests.benchmarks.timing import Sample
from tests.conftest import ZONE, production_day_after

LINES, WARM_UP = 500, 2
FULL, QUICK = 40, 8  # timed uploads per side
LPO = "LPO-BENCH-API"
TARGET_MS = 10.0
ROOT = Path(__file__).resolve().parents[2]


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class ApiResults:
    uploads: int = 0
    in_process: Sample = field(default_factory=lambda: Sample("api.ingest_tag in-process"))
    http: Sample = field(default_factory=lambda: Sample("POST /api/v1/tags/ingest over HTTP"))
    sheet_bytes: int = 0

    @property
    def added_p50(self) -> float:
        return self.http.p50 - self.in_process.p50

    @property
    def added_p95(self) -> float:
        return self.http.p95 - self.in_process.p95


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLEDGER_")}
    env.update(
        OPSLEDGER_DATA_DIR=str(data_dir),
        OPSLEDGER_SECRETS_FILE=str(data_dir / "no-secrets.toml"),
        OPSLEDGER_DEMO_DATA="false",
        OPSLEDGER_JOBS_ENABLED="false",
        OPSLEDGER_API_RATE_PER_MINUTE="100000",
        OPSLEDGER_LOG_LEVEL="WARNING",
    )
    return env


def _store(data_dir: Path) -> api.Ledger:
    ledger = api.open_ledger(load_settings(data_dir=data_dir, demo_data=False, jobs_enabled=False))
    lpo = {"lpo_id": LPO, "customer": "Bench LLC", "po_quantity_m2": "99999999", "status": "ACTIVE"}
    api.import_lpos(ledger, lpo_csv_bytes([{**lpo, "delivered_quantity_m2": "0"}]), actor=CLI_OPERATOR)
    return ledger


def _fields(index: int, content: bytes) -> dict[str, Any]:
    return {
        "client_request_id": str(uuid.uuid4()),
        "lpo_id": LPO,
        "required_area_m2": "10",
        "requested_delivery_date": production_day_after(business_day(ZONE)).isoformat(),
        "original_file_name": f"bench-{index:03d}.xlsx",
        "file_content_base64": base64.b64encode(content).decode(),
    }


def _console(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "console/app.py", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    log = (data_dir / "console.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=_env(data_dir), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.25)
    process.kill()
    raise RuntimeError(f"the console did not answer on {url}; see {data_dir / 'console.log'}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(index: int, content: bytes) -> api.IngestRequest:
    fields = {k: v for k, v in _fields(index, content).items() if k != "file_content_base64"}
    fields["required_area_m2"] = Decimal(fields["required_area_m2"])
    return api.build(api.IngestRequest, **fields, content=content)


def _measure(sheets: list[bytes], results: ApiResults, root: Path) -> None:
    """Both sides at once, on two stores: the in-process store in this process, the other owned by
    the console. Uploads alternate (in-process first on even sheets, HTTP first on odd ones), so a
    change in the machine's load during the run weighs on both sides alike."""
    served = _store(root / "http")
    try:
        key = api.create_api_key(served, name="bench", roles=["sales"], actor=CLI_OPERATOR).key
    finally:
        served.close()
    process, url = _console(root / "http")
    local = _store(root / "in-process")
    actor = Actor(email="bench@test.local", roles=frozenset({Role.SALES}), source=Source.API)
    try:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {key}"
            for index, content in enumerate(sheets):
                request, body = _request(index, content), _fields(index, content)
                in_process = lambda r=request: api.ingest_tag(local, r, actor=actor)  # noqa: E731
                over_http = lambda b=body: session.post(f"{url}/tags/ingest", json=b, timeout=60)  # noqa: E731
                timed = index >= WARM_UP
                for side in ("local", "http") if index % 2 == 0 else ("http", "local"):
                    if side == "local":
                        result = results.in_process.time(in_process) if timed else in_process()
                        assert result.status == api.IngestStatus.UPLOADED, result.message
                    else:
                        answer = results.http.time(over_http) if timed else over_http()
                        assert answer.status_code == 200, answer.text
    finally:
        local.close()
        process.terminate()
        process.wait(timeout=15)


def run(*, quick: bool = False) -> ApiResults:
    count = (QUICK if quick else FULL) + WARM_UP
    results = ApiResults(uploads=count - WARM_UP)
    sheets = [xlsx_bytes(cut_export_lines(LINES, seed=50_000 + n)) for n in range(count)]
    results.sheet_bytes = len(sheets[0])
    with tempfile.TemporaryDirectory(prefix="opsledger-bench-api-") as tmp:
        _log(f"{count} uploads of {LINES}-line sheets, in-process and over HTTP, alternating")
        _measure(sheets, results, Path(tmp))
    return results


def _row(label: str, sample: Sample) -> str:
    return f"| {label} | {sample.n} | {sample.p50:.1f} ms | {sample.p95:.1f} ms | {sample.max:.1f} ms |"


def render(results: ApiResults) -> str:
    verdict = "PASS" if results.added_p50 <= TARGET_MS else "MISS"
    size = results.sheet_bytes // 1024
    return "\n".join(
        [
            "## Integration API: tag ingest over HTTP against in-process",
            "",
            f"{results.uploads} timed uploads per side of {LINES}-line xlsx sheets (~{size} KB), after "
            f"{WARM_UP} warm-up uploads; DuckDB stores; the same sheets on both sides, alternating.",
            "",
            "| Figure | n | p50 | p95 | max |",
            "| --- | ---: | ---: | ---: | ---: |",
            _row("`api.ingest_tag` in-process", results.in_process),
            _row("`POST /api/v1/tags/ingest` over HTTP", results.http),
            f"| HTTP adds | | {results.added_p50:+.1f} ms | {results.added_p95:+.1f} ms | |",
            "",
            "| Target | Measured | Limit | Verdict |",
            "| --- | ---: | ---: | --- |",
            f"| HTTP adds at p50 | {results.added_p50:+.1f} ms | ≤ {TARGET_MS:.0f} ms | **{verdict}** |",
            "",
        ]
    )
