"""Idempotency keys on the managers' state-changing forms (issue 9 §4): a WMS import and a dispute
step sent twice with the same request id act once and answer the same; on DuckDB and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import api
from engine.errors import Conflict, ValidationError
from engine.store.schema import user_action_history, wms_shipment
from tests.engine.test_reconciliation import MANAGER, Bills, reconcile, wms_csv, wms_row


def audits(ledger: api.Ledger, action: str) -> int:
    with ledger.db.read() as conn:
        query = sa.select(sa.func.count()).select_from(user_action_history)
        return int(conn.execute(query.where(user_action_history.c.action == action)).scalar_one())


def test_a_wms_import_sent_twice_imports_once(ledger: api.Ledger) -> None:
    content = wms_csv(wms_row("700000000001"), wms_row("700000000002"))

    def send(request_id: str, data: bytes = content) -> api.WmsImport:
        return api.import_wms(ledger, data, "wms.csv", actor=MANAGER, request_id=request_id)

    first = send("wms-form-0001")
    again = send("wms-form-0001")
    assert again == first and (first.inserted, first.replaced) == (2, 0)
    assert audits(ledger, "WMS_IMPORTED") == 1
    other = send("wms-form-0002")  # a new submission of the same file: a real second import
    assert (other.inserted, other.replaced) == (0, 2) and other.trace_id != first.trace_id
    with pytest.raises(Conflict, match="already used for a different request"):
        send("wms-form-0001", wms_csv(wms_row("700000000003")))
    with ledger.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(wms_shipment)).scalar_one() == 2
    with pytest.raises(ValidationError, match="request id"):
        send("short")


def test_a_dispute_step_sent_twice_acts_once(ledger: api.Ledger) -> None:
    Bills(ledger).add("700000000010", "40.00")
    api.import_wms(ledger, wms_csv(wms_row("700000000010", "30.00")), "wms.csv", actor=MANAGER)
    reconcile(ledger)

    def flag(request_id: str | None) -> api.LedgerRow:
        return api.act_on_dispute(
            ledger,
            carrier="FedEx",
            tracking="700000000010",
            action="flag",
            actor=MANAGER,
            request_id=request_id,
        )

    first = flag("dispute-form-0001")
    assert flag("dispute-form-0001") == first  # the double click: the stored answer, no refusal
    assert str(first.dispute_status) == "FLAGGED"
    assert audits(ledger, "DISPUTE_FLAG") == 1
    with pytest.raises(Conflict, match="cannot be flagged"):
        flag(None)  # without a key the second step is a new one, and out of order
