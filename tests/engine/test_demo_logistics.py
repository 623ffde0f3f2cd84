"""The managers' desk's demo month: the FedEx bill loads whole, the WMS export matches it, and one
reconciliation run finds exactly the planted variances."""

from __future__ import annotations

from decimal import Decimal

from engine import api
from engine.demo import logistics as demo
from engine.demo.loader import _load_logistics
from engine.vocab import CarrierFileStatus
from tests.conftest import TODAY


def test_the_demo_month_loads_with_its_planted_findings(ledger: api.Ledger) -> None:
    counts = _load_logistics(ledger, TODAY)
    assert counts == {"MATCHED": 29, "COST_VARIANCE": 1, "WEIGHT_VARIANCE": 1, "DUPLICATE_BILLING": 1,
                      "SHIPPED_NOT_BILLED": 2}  # fmt: skip
    invoices = api.list_carrier_invoices(ledger, actor=api.CLI_OPERATOR)
    assert len(invoices) == demo.INVOICES
    assert {i.status for i in invoices} == {"loaded"}
    assert sum(i.packages for i in invoices) == demo.INVOICES * demo.PER_INVOICE + 1  # + the duplicate
    assert [i.invoice_level_total for i in invoices if i.invoice_level_total] == [Decimal("16.00")]
    rows = {r.tracking_number: r for r in api.list_reconciliation(ledger, actor=api.CLI_OPERATOR)}
    assert rows[demo.COST_TRACKING].variance == Decimal("6.50")
    assert rows[demo.WEIGHT_TRACKING].billed_weight_lb == Decimal("12")
    assert all(rows[t].billed_cost is None for t in demo.UNBILLED_TRACKINGS)
    again = api.ingest_carrier_file(
        ledger, demo.demo_bill(TODAY), "again.csv", carrier="fedex", account=demo.ACCOUNT,
        actor=api.CLI_OPERATOR,
    )  # fmt: skip
    assert again.status is CarrierFileStatus.SKIPPED  # the same month, byte for byte
