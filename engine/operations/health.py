"""What the operations page shows about the deployment: store, schema, data directory."""

from __future__ import annotations

import shutil
import tempfile
import time

from pydantic import BaseModel, ConfigDict

from engine.errors import EngineError
from engine.handle import Ledger
from engine.store import migrate


class Check(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool
    detail: str


class HealthReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    database: str
    dialect: str
    schema_version: int
    latest_schema_version: int
    data_dir: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def health(ledger: Ledger) -> HealthReport:
    checks: list[Check] = []
    started = time.perf_counter()
    try:
        ledger.db.check()
        checks.append(
            Check(
                name="database", ok=True, detail=f"answers in {(time.perf_counter() - started) * 1000:.1f} ms"
            )
        )
    except EngineError as error:
        checks.append(Check(name="database", ok=False, detail=error.message))
    version = migrate.current_version(ledger.db)
    latest = migrate.latest_version(ledger.db.dialect_name)
    checks.append(Check(name="schema", ok=version == latest, detail=f"version {version} of {latest}"))
    data_dir = ledger.settings.data_dir.resolve()
    try:
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".health-"):
            pass
        free = shutil.disk_usage(data_dir).free / 1_073_741_824
        # Below 1 GB a day of uploads and the DuckDB WAL can fill the disk.
        checks.append(Check(name="data directory", ok=free > 1, detail=f"writable, {free:,.1f} GB free"))
    except OSError as error:
        checks.append(Check(name="data directory", ok=False, detail=f"not writable: {error}"))
    return HealthReport(
        database=ledger.db.describe(),
        dialect=ledger.db.dialect_name,
        schema_version=version,
        latest_schema_version=latest,
        data_dir=str(data_dir),
        checks=checks,
    )
