"""The managers' desk's demo month: the FedEx and UPS bills load whole, the WMS export matches them,
and one reconciliation run finds exactly the planted variances of each carrier."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from engine import api
from engine.demo import logistics as demo
from engine.demo.loader import _load_logistics
from engine.vocab import CarrierFileStatus
from tests.conftest import TODAY


def test_the_demo_month_loads_with_its_planted_findings(ledger: api.Ledger) -> None:
    counts = _load_logistics(ledger, TODAY)
    assert counts == {"MATCHED": 48, "COST_VARIANCE": 2, "WEIGHT_VARIANCE": 1, "DUPLICATE_BILLING": 1,
                      "SHIPPED_NOT_BILLED": 3}  # fmt: skip
    invoices = api.list_carrier_invoices(ledger, actor=api.CLI_OPERATOR)
    assert Counter(i.carrier for i in invoices) == {"fedex": demo.INVOICES, "ups": demo.UPS_INVOICES}
    assert {i.status for i in invoices} == {"loaded"}
    fedex = [i for i in invoices if i.carrier == "fedex"]
    ups = [i for i in invoices if i.carrier == "ups"]
    assert sum(i.packages for i in fedex) == demo.INVOICES * demo.PER_INVOICE + 1  # + the duplicate
    # the UPS correction is a charge of its package on the next invoice: one more package there
    assert sum(i.packages for i in ups) == demo.UPS_INVOICES * demo.UPS_PER_INVOICE + 1
    assert [i.invoice_level_total for i in fedex if i.invoice_level_total] == [Decimal("16.00")]
    assert [i.invoice_level_total for i in ups if i.invoice_level_total] == [demo.UPS_SERVICE_CHARGE]
    assert all(i.net_total == i.amount_due for i in invoices)  # every control total holds
    rows = {
        (r.carrier, r.tracking_number): r for r in api.list_reconciliation(ledger, actor=api.CLI_OPERATOR)
    }
    by_carrier = Counter((carrier, str(r.status)) for (carrier, _), r in rows.items())
    assert by_carrier == {
        ("fedex", "MATCHED"): 29,
        ("fedex", "COST_VARIANCE"): 1,
        ("fedex", "WEIGHT_VARIANCE"): 1,
        ("fedex", "DUPLICATE_BILLING"): 1,
        ("fedex", "SHIPPED_NOT_BILLED"): 2,
        ("ups", "MATCHED"): demo.UPS_INVOICES * demo.UPS_PER_INVOICE - 1,
        ("ups", "COST_VARIANCE"): 1,
        ("ups", "SHIPPED_NOT_BILLED"): 1,
    }
    assert rows["fedex", demo.COST_TRACKING].variance == Decimal("6.50")
    assert rows["fedex", demo.WEIGHT_TRACKING].billed_weight_lb == Decimal("12")
    assert all(rows["fedex", t].billed_cost is None for t in demo.UNBILLED_TRACKINGS)
    planted = rows["ups", demo.UPS_COST_TRACKING]
    assert (planted.status, planted.variance) == ("COST_VARIANCE", demo.UPS_CORRECTION)
    assert rows["ups", demo.UPS_UNBILLED_TRACKING].status == "SHIPPED_NOT_BILLED"
    assert rows["ups", demo.UPS_UNBILLED_TRACKING].billed_cost is None
    corrected = api.shipment(ledger, carrier="ups", tracking=demo.UPS_COST_TRACKING, actor=api.CLI_OPERATOR)
    assert [(c.charge_type, c.is_freight) for c in corrected.charges] == [
        ("Ground", True),
        ("Fuel Surcharge", False),
        ("Shipping Charge Correction", False),
    ]
    assert len({c.invoice_number for c in corrected.charges}) == 2
    for bill in demo.demo_bills(TODAY):
        again = api.ingest_carrier_file(
            ledger, bill.content, f"again-{bill.file_name}", carrier=bill.carrier, account=bill.account,
            actor=api.CLI_OPERATOR,
        )  # fmt: skip
        assert again.status is CarrierFileStatus.SKIPPED  # the same month, byte for byte
