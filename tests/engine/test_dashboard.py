"""The managers' dashboard (issue 9 §4): the weekly spend, the status and dispute sums, the variance
histogram and the capped package lists, computed by the store, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import Actor, Role
from engine.ids import new_ulid
from engine.reconciliation import dashboard as board
from engine.store.schema import carrier_bill, invoice_charges, shipment_charges
from engine.vocab import ReconStatus
from tests.engine.test_reconciliation import (
    MANAGER,
    Bills,
    import_wms,
    reconcile,
    wms_csv,
    wms_row,
)

FINANCE = Actor(email="finance@test.local", roles=frozenset({Role.FINANCE}))
OTHER_ACCOUNT = "555000111"


@pytest.fixture
def bills(ledger: api.Ledger) -> Bills:
    return Bills(ledger)


def _bill_row(ledger: api.Ledger, carrier: str, account: str, invoice: str, day: date) -> None:
    ledger.db.write(
        lambda conn: conn.execute(
            carrier_bill.insert().values(
                carrier=carrier,
                account=account,
                invoice_number=invoice,
                invoice_date=day,
                file_id="01FILE0000000000000000000F",
                rows=1,
                net_total=Decimal("0"),
                packages=1,
                invoice_level_total=Decimal("0"),
                status="loaded",
                loaded_at=sa.func.current_timestamp(),
            )
        )
    )


def month(ledger: api.Ledger, bills: Bills) -> None:
    """Weeks of 2026-11-02 and 11-09: one of each finding, a second account and an invoice-level row."""
    bills.add("700000000001", "10.00", "1.50")  # MATCHED (11.50)
    bills.add("700000000002", "20.00", "2.50", "4.25")  # COST_VARIANCE +7.75
    bills.add("700000000003", "30.00")  # billed twice: DUPLICATE_BILLING +30.00
    bills.add("700000000003", "30.00", invoice="900000002", day=date(2026, 11, 16))
    bills.add("700000000004", "12.00", ship=date(2026, 11, 10))  # BILLED_NOT_SHIPPED
    bills.add("700000000006", "50.00", ship=date(2026, 11, 9))  # COST_VARIANCE −10.00, other account
    bills.add("700000000007", "8.00", "0.40", ship=date(2026, 11, 9))  # MATCHED
    ledger.db.write(
        lambda conn: conn.execute(
            sa.update(shipment_charges)
            .where(shipment_charges.c.tracking_number == "700000000006")
            .values(account=OTHER_ACCOUNT)
        )
    )
    _bill_row(ledger, "fedex", "123456789", "900000001", date(2026, 11, 9))
    _bill_row(ledger, "fedex", "123456789", "900000002", date(2026, 11, 16))
    _bill_row(ledger, "fedex", OTHER_ACCOUNT, "900000001", date(2026, 11, 9))
    ledger.db.write(
        lambda conn: conn.execute(
            invoice_charges.insert().values(
                charge_id=new_ulid(),
                carrier="fedex",
                account="123456789",
                invoice_number="900000002",
                file_id="01FILE0000000000000000000F",
                file_row=99,
                charge_type="Weekly Service Charge",
                amount=Decimal("16.00"),
            )
        )
    )
    import_wms(
        ledger,
        wms_csv(
            wms_row("700000000001", "11.50"),
            wms_row("700000000002", "19.00"),
            wms_row("700000000003", "30.00"),
            wms_row("700000000005", "9.00", ship="2026-11-03"),  # SHIPPED_NOT_BILLED
            wms_row("700000000006", "60.00", ship="2026-11-09"),
            wms_row("700000000007", "8.40", ship="2026-11-09"),
            wms_row("700000000008", "7.00", ship="2026-11-11"),  # SHIPPED_NOT_BILLED
        ),
    )
    reconcile(ledger)


def view(ledger: api.Ledger, **kwargs: object) -> api.Dashboard:
    return api.reconciliation_dashboard(ledger, actor=FINANCE, **kwargs)  # type: ignore[arg-type]


def spend(points: list[board.WeeklySpend]) -> dict[tuple[str, str], Decimal]:
    return {(p.week.isoformat(), p.name): p.amount for p in points}


def test_the_dashboard_of_a_month(ledger: api.Ledger, bills: Bills) -> None:
    month(ledger, bills)
    seen = view(ledger)
    counts = {str(s.status): s.packages for s in seen.statuses if s.packages}
    assert counts == {
        "MATCHED": 2,
        "COST_VARIANCE": 2,
        "DUPLICATE_BILLING": 1,
        "BILLED_NOT_SHIPPED": 1,
        "SHIPPED_NOT_BILLED": 2,
    }
    assert [s.status for s in seen.statuses] == list(ReconStatus)  # every status, zeros too
    assert seen.packages == 8 and seen.exceptions == 6
    # Spend by ship week: the duplicate's second freight stays in its ship week; the invoice-level
    # row falls in its invoice's week.
    assert spend(seen.spend_by_carrier) == {
        ("2026-11-02", "fedex"): Decimal("98.25"),  # 11.50 + 26.75 + 60.00
        ("2026-11-09", "fedex"): Decimal("70.40"),  # 12.00 + 50.00 + 8.40
        ("2026-11-16", "fedex"): Decimal("16.00"),
    }
    assert spend(seen.spend_by_service)[("2026-11-16", "(invoice level)")] == Decimal("16.00")
    by_type = spend(seen.spend_by_charge_type)
    assert by_type[("2026-11-02", "Transportation Charge")] == Decimal("90.00")
    assert by_type[("2026-11-02", "Surcharge 1")] == Decimal("4.00")
    assert by_type[("2026-11-16", "Weekly Service Charge")] == Decimal("16.00")
    assert sum(p.amount for p in seen.spend_by_charge_type) == sum(p.amount for p in seen.spend_by_carrier)
    cost = {(c.week.isoformat(), c.carrier): (c.packages, c.billed, c.per_package) for c in seen.package_cost}
    assert cost == {
        ("2026-11-02", "fedex"): (3, Decimal("98.25"), Decimal("32.75")),
        ("2026-11-09", "fedex"): (3, Decimal("70.40"), Decimal("23.47")),
    }
    # The lists: largest amount first, their totals from the sums.
    assert [r.tracking_number for r in seen.top_variances.rows] == ["700000000006", "700000000002"]
    assert (seen.top_variances.total, seen.top_variances.amount) == (2, Decimal("-2.25"))
    assert [r.tracking_number for r in seen.duplicates.rows] == ["700000000003"]
    assert [r.tracking_number for r in seen.billed_not_shipped.rows] == ["700000000004"]
    assert seen.billed_not_shipped.amount == Decimal("12.00")
    assert [r.tracking_number for r in seen.shipped_not_billed.rows] == ["700000000005", "700000000008"]
    assert not seen.shipped_not_billed.capped
    assert sum(b.packages for b in seen.variance_bins) == 6  # the packages whose variance is not 0
    assert seen.accounts == {"fedex": ["123456789", OTHER_ACCOUNT]}
    assert seen.disputes == []


def test_filters_narrow_every_figure(ledger: api.Ledger, bills: Bills) -> None:
    month(ledger, bills)
    one_week = view(ledger, since=date(2026, 11, 9), until=date(2026, 11, 15))
    assert {str(s.status): s.packages for s in one_week.statuses if s.packages} == {
        "MATCHED": 1,
        "COST_VARIANCE": 1,
        "BILLED_NOT_SHIPPED": 1,
        "SHIPPED_NOT_BILLED": 1,
    }
    assert spend(one_week.spend_by_carrier) == {("2026-11-09", "fedex"): Decimal("70.40")}
    other = view(ledger, account="000" + OTHER_ACCOUNT)  # leading zeros as the bills may print them
    assert other.filter.account == OTHER_ACCOUNT
    assert [(str(s.status), s.packages) for s in other.statuses if s.packages] == [("COST_VARIANCE", 1)]
    assert spend(other.spend_by_carrier) == {("2026-11-09", "fedex"): Decimal("50.00")}
    ups = view(ledger, carrier="UPS")
    assert ups.packages == 0 and ups.spend_by_carrier == [] and ups.variance_bins == []
    assert ups.top_variances.rows == [] and ups.top_variances.total == 0
    with pytest.raises(api.ValidationError, match="starts"):
        view(ledger, since=date(2026, 11, 9), until=date(2026, 11, 1))


def test_disputes_sum_claimed_and_recovered(ledger: api.Ledger, bills: Bills) -> None:
    month(ledger, bills)
    for action, kwargs in (
        ("flag", {}),
        ("dispute", {"amount": "7.75", "reference": "FDX-1"}),
        ("accept", {"amount": "5.00"}),
    ):
        api.act_on_dispute(
            ledger, carrier="fedex", tracking="700000000002", action=action, actor=MANAGER, **kwargs
        )
    api.act_on_dispute(ledger, carrier="fedex", tracking="700000000004", action="flag", actor=MANAGER)
    seen = view(ledger)
    assert [(d.dispute_status, d.packages, d.claimed, d.recovered) for d in seen.disputes] == [
        ("ACCEPTED", 1, Decimal("7.75"), Decimal("5.00")),
        ("FLAGGED", 1, Decimal("0"), Decimal("0")),
    ]


def test_lists_are_capped_with_their_total(
    ledger: api.Ledger, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    month(ledger, bills)
    monkeypatch.setattr(board, "LIST_CAP", 1)
    seen = view(ledger)
    assert [r.tracking_number for r in seen.shipped_not_billed.rows] == ["700000000005"]  # 9.00 before 7.00
    assert seen.shipped_not_billed.total == 2 and seen.shipped_not_billed.capped


def test_the_histogram_keeps_the_tails_in_its_edge_bins(ledger: api.Ledger, bills: Bills) -> None:
    rows = [wms_row(f"7000000001{i:02d}", "10.00") for i in range(40)]
    for i in range(40):
        bills.add(f"7000000001{i:02d}", f"{10 + i * 0.25 + (500 if i == 39 else 0):.2f}")
    import_wms(ledger, wms_csv(*rows))
    reconcile(ledger)
    bins = view(ledger).variance_bins
    assert len(bins) == board.HISTOGRAM_BINS and sum(b.packages for b in bins) == 39  # one is exact
    assert bins[0].open_below and bins[-1].open_above and bins[-1].packages >= 1
    assert bins[0].low < bins[1].low and bins[-1].high < Decimal("500")  # the outlier is no edge


def test_the_dispute_worklist_counts_all_and_lists_the_largest(
    ledger: api.Ledger, bills: Bills, monkeypatch: pytest.MonkeyPatch
) -> None:
    month(ledger, bills)
    work = api.dispute_worklist(ledger, actor=FINANCE)
    assert work.total == 6 and not work.capped  # the six exceptions; nothing matched
    assert [r.tracking_number for r in work.rows][:2] == ["700000000003", "700000000004"]  # 30.00, 12.00
    for action, kwargs in (("flag", {}), ("dispute", {"amount": "7.75", "reference": "F-1"})):
        api.act_on_dispute(
            ledger, carrier="fedex", tracking="700000000002", action=action, actor=MANAGER, **kwargs
        )
    api.act_on_dispute(ledger, carrier="fedex", tracking="700000000002", action="reject", actor=MANAGER)
    api.act_on_dispute(ledger, carrier="fedex", tracking="700000000002", action="close", actor=MANAGER)
    assert api.dispute_worklist(ledger, actor=FINANCE).total == 5  # the closed one is done
    every = api.dispute_worklist(ledger, open_only=False, actor=FINANCE)
    assert (every.total, every.claimed, every.recovered) == (6, Decimal("7.75"), Decimal("0"))
    found = api.dispute_worklist(ledger, tracking=" 0000000008", actor=FINANCE)
    assert [r.tracking_number for r in found.rows] == ["700000000008"]
    assert api.dispute_worklist(ledger, tracking="%", actor=FINANCE).rows == []  # no wildcard
    monkeypatch.setattr("engine.reconciliation.worklist.WORKLIST_CAP", 2)
    capped = api.dispute_worklist(ledger, actor=FINANCE)
    assert capped.capped and len(capped.rows) == 2 and capped.total == 5


def test_an_account_stored_with_its_leading_zeros_is_found_either_way(ledger: api.Ledger) -> None:
    from engine.demo.carriers import UPS_ACCOUNT, UpsRow, ups_csv

    bill = ups_csv([UpsRow("000000A1B2C39", "2026-11-14", "1Z0A1B2C0300000099", "12.00")])
    loaded = api.ingest_carrier_file(ledger, bill, "ups.csv", carrier="ups", actor=api.CLI_OPERATOR)
    assert (loaded.status, loaded.account) == ("loaded", UPS_ACCOUNT)  # as the file prints it
    api.run_reconciliation(ledger, as_of=date(2026, 12, 31), actor=api.CLI_OPERATOR)
    for spelling in (UPS_ACCOUNT, UPS_ACCOUNT.lstrip("0")):
        shown = view(ledger, account=spelling)
        assert shown.packages == 1 and spend(shown.spend_by_carrier), spelling
        invoices = api.list_carrier_invoices(ledger, account=spelling, actor=api.CLI_OPERATOR)
        assert [i.invoice_number for i in invoices] == ["000000A1B2C39"], spelling
