"""What the operations page shows about the deployment: store, schema, data directory, and demo
accounts left active in a store whose demo data is off (their passwords are published)."""

from __future__ import annotations

import shutil
import tempfile
import time

from pydantic import BaseModel, ConfigDict

from engine import clock
from engine.demo.loader import active_demo_accounts
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
    # Active demo accounts while OPSLEDGER_DEMO_DATA is off: anyone who read the README can sign in.
    exposed_demo_accounts: list[str] = []

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
    checks.append(_clock_check())
    exposed = exposed_demo_accounts(ledger)
    checks.append(
        Check(
            name="demo accounts",
            ok=not exposed,
            detail=f"active with demo data off: {', '.join(exposed)}" if exposed else "none exposed",
        )
    )
    return HealthReport(
        database=ledger.db.describe(),
        dialect=ledger.db.dialect_name,
        schema_version=version,
        latest_schema_version=latest,
        data_dir=str(data_dir),
        checks=checks,
        exposed_demo_accounts=exposed,
    )


def _clock_check() -> Check:
    if clock.moved():
        return Check(
            name="clock",
            ok=False,
            detail=f"moved by {clock.TEST_CLOCK_VARIABLE} to {clock.utcnow():%Y-%m-%d %H:%M} UTC: "
            "a test setting; unset it so business days follow the real date",
        )
    return Check(name="clock", ok=True, detail=f"system clock, {clock.utcnow():%Y-%m-%d %H:%M} UTC")


def exposed_demo_accounts(ledger: Ledger) -> list[str]:
    """Demo accounts still active in a store whose demo data is off (none while it is on)."""
    return [] if ledger.settings.demo_data else active_demo_accounts(ledger)
