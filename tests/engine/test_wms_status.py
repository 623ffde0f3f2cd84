"""The WMS shipments' status (issue 9 §4): the last import (when, who, rows, file or pull) and each
carrier's coverage window, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date

from engine import api
from engine.api import Actor, Role
from engine.wms import importer as wms
from tests.engine.test_reconciliation import MANAGER, import_wms, wms_csv, wms_row

FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}))
ADMIN = Actor(email="admin@test.local", roles=frozenset({Role.ADMIN}))


def test_nothing_imported_yet(ledger: api.Ledger) -> None:
    status = api.wms_status(ledger, actor=FINANCE)
    assert status.last_import is None and status.coverage == [] and status.shipments == 0


def test_the_last_import_and_the_window_per_carrier(ledger: api.Ledger) -> None:
    import_wms(ledger, wms_csv(wms_row("700000000001", ship="2026-11-02")), name="week-45.csv")
    second = api.import_wms(
        ledger,
        wms_csv(
            wms_row("700000000001", ship="2026-11-03"),
            wms_row("700000000002", ship="2026-11-20"),
            wms_row("1Z0000000000000001", carrier="UPS", ship="2026-11-05"),
        ),
        "week-46.csv",
        actor=ADMIN,
    )
    status = api.wms_status(ledger, actor=FINANCE)
    last = status.last_import
    assert last is not None
    assert (last.by, last.source, last.rows, last.inserted, last.replaced) == (
        ADMIN.email, "week-46.csv", 3, 2, 1
    )  # fmt: skip
    assert last.trace_id == second.trace_id and last.at.tzinfo is not None
    assert [(c.carrier, c.first_day, c.last_day, c.shipments) for c in status.coverage] == [
        ("fedex", date(2026, 11, 3), date(2026, 11, 20), 2),
        ("ups", date(2026, 11, 5), date(2026, 11, 5), 1),
    ]
    assert status.shipments == 3


def test_a_pull_is_named_as_such(ledger: api.Ledger) -> None:
    records = wms.validate(wms.read_wms_file(wms_csv(wms_row("700000000009")), "pulled.csv"))
    ledger.db.write(
        lambda conn: wms.save_shipments(ledger.db, conn, records, actor=MANAGER, trace_id="t-pull")
    )
    last = api.wms_status(ledger, actor=FINANCE).last_import
    assert last is not None and last.source == wms.PULL_SOURCE and last.by == MANAGER.email
