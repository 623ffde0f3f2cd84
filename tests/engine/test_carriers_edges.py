"""Edges of a carrier bill's load, on DuckDB and PostgreSQL: an account spelt with or without its
leading zeros is one account, a line wider than the layout breaks the contract, a file none of whose
invoices loads is rejected, a corrected invoice settles its totals exception, and a value the ledger
cannot hold is a clear error."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import api
from engine.auth.roles import CLI_OPERATOR
from engine.demo.carriers import UPS_ACCOUNT, FedexRow, UpsRow, fedex_csv, ups_csv
from engine.errors import ValidationError
from engine.handle import Ledger
from engine.store.schema import carrier_tracker, shipment_charges
from tests.engine.test_carriers_fedex import ACCOUNT, counts, ingest

SHORT = UPS_ACCOUNT.lstrip("0")


def charges(ledger: Ledger) -> int:
    with ledger.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(shipment_charges)).scalar_one())


def test_an_invoice_is_the_same_whatever_the_spelling_of_its_account(ledger: Ledger) -> None:
    rows = [UpsRow("000000A1B2C31", "2026-11-14", "1Z0A1B2C0300000001", "12.00")]
    first = api.ingest_carrier_file(
        ledger, ups_csv(rows), "a.csv", carrier="ups", account=SHORT, actor=CLI_OPERATOR
    )
    assert first.status == "loaded" and charges(ledger) == 1
    again = api.ingest_carrier_file(  # other bytes, the file's own spelling of the account
        ledger, ups_csv(rows) + b"\n", "b.csv", carrier="ups", account=UPS_ACCOUNT, actor=CLI_OPERATOR
    )
    assert again.status == "rejected" and again.invoices[0].status == "rejected"
    assert "was already loaded" in (again.message or "") and charges(ledger) == 1


def test_a_line_wider_than_the_layout_is_refused(ledger: Ledger) -> None:
    before = counts(ledger)
    wide = fedex_csv([FedexRow("900000001", "20261109", "700000000001", "10.00")]).decode()
    lines = wide.splitlines()
    with pytest.raises(ValidationError, match=r"Row 2 has 211 columns, the header has 210"):
        ingest(ledger, (lines[0] + "\n" + lines[1] + ",extra\n").encode())
    assert counts(ledger) == before
    ups = ups_csv([UpsRow("000000A1B2C31", "2026-11-14", "1Z0A1B2C0300000001", "12.00")]).decode()
    refused = api.ingest_carrier_file(
        ledger, (ups.rstrip("\n") + ",extra\n").encode(), "u.csv", carrier="ups", actor=CLI_OPERATOR
    )
    assert refused.status == "rejected" and "row 1 has 251 columns" in (refused.message or "")


def test_a_file_none_of_whose_invoices_loads_is_rejected_and_the_tracker_stays(ledger: Ledger) -> None:
    bad = [FedexRow("900000001", "20261109", "700000000001", "10.00", net="12.00")]
    result = ingest(ledger, fedex_csv(bad))
    assert result.status is api.CarrierFileStatus.REJECTED and result.exception_id
    assert result.invoices[0].status == "rejected" and "does not add up" in (result.message or "")
    with ledger.db.read() as conn:
        assert conn.execute(sa.select(carrier_tracker)).first() is None
    assert charges(ledger) == 0


def test_a_corrected_invoice_settles_its_totals_exception(ledger: Ledger) -> None:
    bad = ingest(ledger, fedex_csv([FedexRow("900000001", "20261109", "700000000001", "10.00", net="12.00")]))
    raised = bad.invoices[0].exception_id
    assert raised and api.get_exception(ledger, raised, actor=CLI_OPERATOR).status == "OPEN"
    fixed = ingest(ledger, fedex_csv([FedexRow("900000001", "20261109", "700000000001", "10.00")]))
    assert fixed.status == "loaded"
    settled = api.get_exception(ledger, raised, actor=CLI_OPERATOR)
    assert settled.status == "RESOLVED" and fixed.file_id in (settled.resolver_notes or "")


@pytest.mark.parametrize(
    ("cells", "says"),
    [
        ({"rated": "99999999999999"}, r"Row 2: Rated Weight Amount '99999999999999' is not a number"),
        ({"divisor": "99999999999"}, r"Row 2: Dim Divisor '99999999999' is not a number"),
        ({"net": "12345678901234567.00"}, r"Row 2: Net Charge Amount '12345678901234567.00' is not a number"),
        ({"tracking": "7" * 41}, r"Row 2: Express or Ground Tracking ID .* is longer than 40"),
    ],
    ids=["weight", "divisor", "net", "tracking"],
)
def test_a_value_the_ledger_cannot_hold_is_a_clear_error(
    ledger: Ledger, cells: dict[str, str], says: str
) -> None:
    given = dict(cells)  # the parameters are shared by both stores' runs
    tracking = given.pop("tracking", "700000000001")
    row = FedexRow("900000001", "20261109", tracking, "10.00", account=ACCOUNT, **given)
    before = counts(ledger)
    with pytest.raises(ValidationError, match=says):
        ingest(ledger, fedex_csv([row]))
    assert counts(ledger) == before


def test_freight_on_a_row_without_a_tracking_number_is_a_charge_of_the_invoice(ledger: Ledger) -> None:
    from engine.store.schema import invoice_charges

    rows = [
        UpsRow("000000A1B2C31", "2026-11-14", "1Z0A1B2C0300000001", "12.00"),
        UpsRow("000000A1B2C31", "2026-11-14", "", "7.50", description="Ground"),  # SHP/FRT, no tracking
    ]
    result = api.ingest_carrier_file(ledger, ups_csv(rows), "u.csv", carrier="ups", actor=CLI_OPERATOR)
    assert result.status == "loaded" and str(result.invoices[0].net_total) == "19.50"
    with ledger.db.read() as conn:
        levels = conn.execute(sa.select(invoice_charges.c.charge_type, invoice_charges.c.amount)).all()
    assert [(name, str(amount)) for name, amount in levels] == [("Ground", "7.50")]
    assert charges(ledger) == 1  # the shipment's own freight


def test_a_bill_that_loads_asks_for_the_reconciliation(ledger: Ledger) -> None:
    from engine.operations.jobs import on_bill_loaded

    asked: list[int] = []
    on_bill_loaded(lambda: bool(asked.append(1)) or True)
    try:
        content = fedex_csv([FedexRow("900000001", "20261109", "700000000001", "10.00")])
        assert ingest(ledger, content).status == "loaded" and len(asked) == 1
        assert ingest(ledger, content).status == "skipped" and len(asked) == 1
        other = fedex_csv([FedexRow("900000002", "20261109", "700000000002", "10.00")])
        quiet = api.ingest_carrier_file(  # the drop folder's job reconciles once after all its files
            ledger, other, "o.csv", carrier="fedex", account=ACCOUNT, actor=CLI_OPERATOR, reconcile=False
        )
        assert quiet.status == "loaded" and len(asked) == 1
        refused = ingest(ledger, content + b"\n", account="42")
        assert refused.status == "rejected" and len(asked) == 1
    finally:
        on_bill_loaded(None)
