"""WMS import, reconciliation runs and disputes (issue 9 §2, §3) on DuckDB and PostgreSQL.

Bills are written straight into ``shipment_charges`` / ``shipment_attributes`` (what the carrier
loaders produce), so these tests hold whatever loads them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import Actor, Role
from engine.errors import Conflict, NotFound, ValidationError
from engine.ids import new_ulid
from engine.reconciliation.rules import BillRow, Rules, Wms, cost_tolerance, decide
from engine.store.schema import (
    carrier_cost_ledger,
    exception_log,
    reconciliation_run,
    shipment_attributes,
    shipment_charges,
    user_action_history,
    wms_shipment,
)
from engine.vocab import ExceptionStatus, ReconStatus

MANAGER = Actor(email="manager@test.local", roles=frozenset({Role.MANAGER}))
AS_OF = date(2026, 12, 31)
HEADER = [
    "carrier",
    "tracking_number",
    "ship_date",
    "order_number",
    "service",
    "expected_cost",
    "currency",
    "weight",
    "weight_unit",
    "length",
    "width",
    "height",
    "dim_unit",
]
RULES = Rules(dim_divisor=139, weight_tolerance_lb=Decimal("1"), grace_days=21)


def wms_csv(*rows: list[str], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def wms_row(
    tracking: str,
    cost: str = "10.00",
    *,
    carrier: str = "FedEx",
    ship: str = "2026-11-02",
    weight: str = "5",
    unit: str = "lb",
    dims: tuple[str, str, str] = ("10", "8", "6"),
    dim_unit: str = "in",
) -> list[str]:
    return [
        carrier,
        tracking,
        ship,
        "SO-" + tracking[-3:],
        "Ground",
        cost,
        "USD",
        weight,
        unit,
        *dims,
        dim_unit,
    ]


@dataclass
class Bills:
    """Writes bill rows as the carrier loaders do: one charge row each, grouped by file row."""

    ledger: api.Ledger
    row: int = 0

    def add(
        self,
        tracking: str,
        freight: str | None,
        *others: str,
        carrier: str = "fedex",
        invoice: str = "900000001",
        day: date = date(2026, 11, 9),
        rated: str | None = "5",
        divisor: int | None = 139,
        ship: date | None = date(2026, 11, 2),
    ) -> None:
        self.row += 1
        charges = ([("Transportation Charge", freight, True)] if freight is not None else []) + [
            (f"Surcharge {i}", amount, False) for i, amount in enumerate(others, 1)
        ]
        base = {
            "carrier": carrier,
            "tracking_number": tracking,
            "account": "123456789",
            "invoice_number": invoice,
            "invoice_date": day,
            "file_id": "01FILE0000000000000000000" + carrier[0].upper(),
            "file_row": self.row,
        }
        self.ledger.db.write(lambda conn: self._write(conn, base, charges, rated, divisor, ship))

    @staticmethod
    def _write(
        conn: sa.Connection,
        base: dict[str, Any],
        charges: list[tuple[str, str, bool]],
        rated: str | None,
        divisor: int | None,
        ship: date | None,
    ) -> None:
        for name, amount, freight in charges:
            conn.execute(
                shipment_charges.insert().values(
                    charge_id=new_ulid(),
                    charge_type=name,
                    amount=Decimal(amount),
                    is_freight=freight,
                    rated_weight_lb=Decimal(rated) if freight and rated else None,
                    dim_divisor=divisor if freight else None,
                    **base,
                )
            )
        key = (shipment_attributes.c.carrier == base["carrier"]) & (
            shipment_attributes.c.tracking_number == base["tracking_number"]
        )
        if conn.execute(sa.select(sa.func.count()).select_from(shipment_attributes).where(key)).scalar_one():
            return
        conn.execute(
            shipment_attributes.insert().values(
                carrier=base["carrier"],
                tracking_number=base["tracking_number"],
                ship_date=ship,
                rated_weight_lb=Decimal(rated) if rated else None,
                dim_divisor=divisor,
                first_invoice_number=base["invoice_number"],
                updated_at=sa.func.current_timestamp(),
            )
        )


@pytest.fixture
def bills(ledger: api.Ledger) -> Iterator[Bills]:
    yield Bills(ledger)


def reconcile(ledger: api.Ledger, as_of: date = AS_OF, **kwargs: Any) -> api.ReconRun:
    return api.run_reconciliation(ledger, as_of=as_of, actor=MANAGER, **kwargs)


def rows(ledger: api.Ledger, **kwargs: Any) -> dict[str, api.LedgerRow]:
    return {r.tracking_number: r for r in api.list_reconciliation(ledger, actor=MANAGER, **kwargs)}


def import_wms(ledger: api.Ledger, content: bytes, name: str = "wms.csv") -> api.WmsImport:
    return api.import_wms(ledger, content, name, actor=MANAGER)


def exceptions_of(ledger: api.Ledger, tracking: str) -> list[Any]:
    with ledger.db.read() as conn:
        return list(
            conn.execute(
                sa.select(exception_log).where(exception_log.c.shipment_id == f"fedex:{tracking}")
            ).all()
        )


# ---------------------------------------------------------------- the contract check's case


def test_the_contract_case_gives_one_of_each_status(ledger: api.Ledger, bills: Bills) -> None:
    bills.add("700000000001", "10.00", "1.50")
    bills.add("700000000002", "20.00", "2.50", "4.25")
    bills.add("700000000003", "30.00", "-3.00", invoice="900000002", day=date(2026, 11, 16), rated="9")
    result = import_wms(
        ledger,
        wms_csv(
            wms_row("700000000001", "11.50"),
            wms_row("700000000002", "19.00"),
            wms_row("700000000003", "27.00"),
            wms_row("700000000009", "9.00", weight="2", dims=("", "", "")),
        ),
    )
    assert (result.rows, result.inserted, result.replaced) == (4, 4, 0)
    run = reconcile(ledger)
    assert {k: v for k, v in run.counts.items() if v} == {
        "MATCHED": 1,
        "COST_VARIANCE": 1,
        "WEIGHT_VARIANCE": 1,
        "SHIPPED_NOT_BILLED": 1,
    }
    assert run.exceptions_opened == 3 and run.exceptions_resolved == 0
    listed = rows(ledger)
    assert listed["700000000002"].billed_cost == Decimal("26.75")
    assert listed["700000000002"].variance == Decimal("7.75")
    assert listed["700000000003"].billed_weight_lb == Decimal("9.0")
    assert listed["700000000003"].expected_weight_lb == Decimal("5")
    assert listed["700000000009"].billed_cost is None
    assert listed["700000000009"].variance == Decimal("-9.00")
    assert list(rows(ledger, status="COST_VARIANCE")) == ["700000000002"]
    with ledger.db.read() as conn:
        stored = conn.execute(sa.select(reconciliation_run)).one()
    assert json.loads(stored.settings)["carrier_dim_divisor"] == 139
    assert json.loads(stored.counts)["MATCHED"] == 1
    for tracking, kind in (
        ("700000000002", "COST_VARIANCE"),
        ("700000000003", "WEIGHT_VARIANCE"),
        ("700000000009", "SHIPPED_NOT_BILLED"),
    ):
        (raised,) = exceptions_of(ledger, tracking)
        assert raised.kind == kind and raised.desk == "logistics"
        assert listed[tracking].exception_id == raised.exception_id


# ---------------------------------------------------------------- the rules, Decimal-exact


@pytest.mark.parametrize(
    ("expected", "billed", "status"),
    [
        ("24.99", "25.99", ReconStatus.MATCHED),  # < 25: 1.00 absolute, exactly at it is no variance
        ("24.99", "26.00", ReconStatus.COST_VARIANCE),
        ("25.00", "26.00", ReconStatus.MATCHED),  # 4 % of 25 = 1.00
        ("25.00", "23.99", ReconStatus.COST_VARIANCE),  # under-billed counts too (|billed − expected|)
        ("249.99", "259.98", ReconStatus.MATCHED),  # 4 % = 9.9996
        ("249.99", "259.99", ReconStatus.COST_VARIANCE),
        ("250.00", "257.50", ReconStatus.MATCHED),  # ≥ 250: 3 % = 7.50
        ("250.00", "257.51", ReconStatus.COST_VARIANCE),
    ],
)
def test_cost_bands_at_their_edges(expected: str, billed: str, status: ReconStatus) -> None:
    wms = Wms(date(2026, 11, 2), Decimal(expected), Decimal("5"), None, None, None)
    bill = [BillRow(Decimal(billed), True, Decimal("5"), 139)]
    outcome = decide(bill, wms, billed_ship_date=None, window=None, as_of=AS_OF, rules=RULES)
    assert outcome.status is status
    assert outcome.variance == Decimal(billed) - Decimal(expected)


def test_tolerance_bands() -> None:
    assert cost_tolerance(Decimal("24.99")) == Decimal("1.00")
    assert cost_tolerance(Decimal("25")) == Decimal("1.00")
    assert cost_tolerance(Decimal("249.99")) == Decimal("9.9996")
    assert cost_tolerance(Decimal("250")) == Decimal("7.50")


@pytest.mark.parametrize(
    ("rated", "status"), [("6.0", ReconStatus.MATCHED), ("6.1", ReconStatus.WEIGHT_VARIANCE)]
)
def test_weight_exactly_at_the_tolerance_is_no_variance(rated: str, status: ReconStatus) -> None:
    wms = Wms(date(2026, 11, 2), Decimal("10"), Decimal("4.2"), None, None, None)  # ⌈4.2⌉ = 5 lb
    bill = [BillRow(Decimal("10"), True, Decimal(rated), 139)]
    assert decide(bill, wms, billed_ship_date=None, window=None, as_of=AS_OF, rules=RULES).status is status


# ---------------------------------------------------------------- through the store


def test_a_duplicate_that_is_also_a_weight_variance_is_duplicate_billing(
    ledger: api.Ledger, bills: Bills
) -> None:
    bills.add("700000000010", "10.00", "1.00", rated="20")
    bills.add("700000000010", "10.00", "2.00", invoice="900000002", day=date(2026, 11, 16), rated="20")
    import_wms(ledger, wms_csv(wms_row("700000000010", "11.00")))
    run = reconcile(ledger)
    row = rows(ledger)["700000000010"]
    assert row.status is ReconStatus.DUPLICATE_BILLING
    assert row.billed_cost == Decimal("23.00")
    assert row.variance == Decimal("12.00")  # every freight row after the first, with its surcharges
    assert run.counts["WEIGHT_VARIANCE"] == 0
    assert [e.kind for e in exceptions_of(ledger, "700000000010")] == ["DUPLICATE_BILLING"]


def test_dim_weight_uses_the_bill_rows_divisor_else_the_setting(ledger: api.Ledger, bills: Bills) -> None:
    # 20 × 20 × 20 in = 8000 in³: ⌈8000 / 166⌉ = 49 lb, ⌈8000 / 139⌉ = 58 lb; actual 10 lb.
    bills.add("700000000020", "50.00", rated="49", divisor=166)
    bills.add("700000000021", "50.00", rated="58", divisor=None)
    dims = ("20", "20", "20")
    import_wms(
        ledger,
        wms_csv(
            wms_row("700000000020", "50.00", weight="10", dims=dims),
            wms_row("700000000021", "50.00", weight="10", dims=dims),
            wms_row("700000000022", "50.00", weight="10", dims=("", "", "")),
        ),
    )
    reconcile(ledger)
    listed = rows(ledger)
    assert listed["700000000020"].expected_weight_lb == Decimal("49")
    assert listed["700000000021"].expected_weight_lb == Decimal("58")
    assert listed["700000000022"].expected_weight_lb == Decimal("10")  # no dimensions: ⌈weight⌉ alone
    assert listed["700000000020"].status is ReconStatus.MATCHED
    assert listed["700000000021"].status is ReconStatus.MATCHED


def test_kg_and_cm_are_stored_as_lb_and_inches(ledger: api.Ledger, bills: Bills) -> None:
    import_wms(
        ledger,
        wms_csv(wms_row("700000000030", weight="10", unit="kg", dims=("50.8", "25.4", "30"), dim_unit="cm")),
    )
    with ledger.db.read() as conn:
        stored = conn.execute(sa.select(wms_shipment)).one()
    assert stored.weight_lb == Decimal("22.05")  # 22.0462 rounded up: ⌈lb⌉ stays exact
    assert (stored.length_in, stored.width_in, stored.height_in) == (
        Decimal("20.00"),
        Decimal("10.00"),
        Decimal("11.81"),
    )
    bills.add("700000000030", "10.00", rated="23")
    reconcile(ledger)
    # max(⌈22.05⌉, ⌈20 × 10 × 11.81 / 139⌉ = ⌈16.99⌉) = 23
    assert rows(ledger)["700000000030"].expected_weight_lb == Decimal("23")


def test_billed_not_shipped_inside_the_wms_window_only(ledger: api.Ledger, bills: Bills) -> None:
    import_wms(
        ledger,
        wms_csv(wms_row("700000000040", ship="2026-11-02"), wms_row("700000000041", ship="2026-11-10")),
    )
    for tracking in ("700000000040", "700000000041"):
        bills.add(tracking, "10.00")
    for tracking, ship in (
        ("700000000042", date(2026, 11, 2)),
        ("700000000043", date(2026, 11, 10)),
        ("700000000044", date(2026, 11, 1)),
        ("700000000045", date(2026, 11, 11)),
    ):
        bills.add(tracking, "10.00", ship=ship)
    bills.add("1Z0000000000000001", "10.00", carrier="ups")  # no UPS shipments in WMS at all
    run = reconcile(ledger)
    listed = rows(ledger)
    assert listed["700000000042"].status is ReconStatus.BILLED_NOT_SHIPPED
    assert listed["700000000043"].status is ReconStatus.BILLED_NOT_SHIPPED
    assert listed["700000000044"].status is ReconStatus.NOT_IN_WMS_WINDOW
    assert listed["700000000045"].status is ReconStatus.NOT_IN_WMS_WINDOW
    assert listed["1Z0000000000000001"].status is ReconStatus.NOT_IN_WMS_WINDOW
    assert listed["700000000042"].variance == Decimal("10.00")
    assert run.exceptions_opened == 2  # NOT_IN_WMS_WINDOW is counted, not an exception
    assert listed["700000000044"].exception_id is None
    only_ups = reconcile(ledger, carrier="UPS")
    assert sum(only_ups.counts.values()) == 1 and only_ups.carrier == "ups"


@pytest.mark.parametrize(
    ("as_of", "status"),
    [(date(2026, 11, 23), ReconStatus.SHIPPED_NOT_BILLED), (date(2026, 11, 22), ReconStatus.AWAITING_BILL)],
)
def test_shipped_not_billed_after_the_grace_days(
    ledger: api.Ledger, as_of: date, status: ReconStatus
) -> None:
    import_wms(ledger, wms_csv(wms_row("700000000050", ship="2026-11-02")))  # + 21 days = 2026-11-23
    run = reconcile(ledger, as_of=as_of)
    assert rows(ledger)["700000000050"].status is status
    assert run.exceptions_opened == (1 if status is ReconStatus.SHIPPED_NOT_BILLED else 0)


def test_one_exception_per_shipment_and_status_and_a_rerun_that_clears_resolves_it(
    ledger: api.Ledger, bills: Bills
) -> None:
    bills.add("700000000060", "20.00")
    import_wms(ledger, wms_csv(wms_row("700000000060", "15.00")))
    first = reconcile(ledger)
    again = reconcile(ledger)
    assert (first.exceptions_opened, again.exceptions_opened, again.exceptions_resolved) == (1, 0, 0)
    (raised,) = exceptions_of(ledger, "700000000060")
    assert rows(ledger)["700000000060"].exception_id == raised.exception_id
    fixed = import_wms(ledger, wms_csv(wms_row("700000000060", "20.00")))
    assert (fixed.inserted, fixed.replaced) == (0, 1)
    cleared = reconcile(ledger)
    assert (cleared.exceptions_opened, cleared.exceptions_resolved) == (0, 1)
    (closed,) = exceptions_of(ledger, "700000000060")
    assert closed.status == ExceptionStatus.RESOLVED
    assert cleared.run_id in closed.resolver_notes and "MATCHED" in closed.resolver_notes
    row = rows(ledger)["700000000060"]
    assert row.status is ReconStatus.MATCHED and row.exception_id is None


def test_a_changed_finding_resolves_the_old_kind_and_opens_the_new(ledger: api.Ledger, bills: Bills) -> None:
    import_wms(ledger, wms_csv(wms_row("700000000070", "10.00")))
    assert reconcile(ledger).counts["SHIPPED_NOT_BILLED"] == 1
    bills.add("700000000070", "30.00")
    run = reconcile(ledger)
    assert (run.exceptions_opened, run.exceptions_resolved) == (1, 1)
    kinds = {e.kind: e.status for e in exceptions_of(ledger, "700000000070")}
    assert kinds == {"SHIPPED_NOT_BILLED": "RESOLVED", "COST_VARIANCE": "OPEN"}


# ---------------------------------------------------------------- disputes


def dispute(ledger: api.Ledger, tracking: str, action: str, **kwargs: Any) -> api.LedgerRow:
    return api.act_on_dispute(
        ledger, carrier="FedEx", tracking=tracking, action=action, actor=MANAGER, **kwargs
    )


def test_a_dispute_runs_its_course_and_survives_reruns(ledger: api.Ledger, bills: Bills) -> None:
    bills.add("700000000080", "40.00")
    bills.add("700000000081", "40.00")
    import_wms(ledger, wms_csv(wms_row("700000000080", "30.00"), wms_row("700000000081", "30.00")))
    reconcile(ledger)
    assert dispute(ledger, "700000000080", "flag").dispute_status == "FLAGGED"
    with pytest.raises(ValidationError, match="reference"):
        dispute(ledger, "700000000080", "dispute", amount="10.00")
    with pytest.raises(ValidationError, match="claim amount"):
        dispute(ledger, "700000000080", "dispute", reference="FX-1")
    disputed = dispute(ledger, "700000000080", "dispute", amount="10.00", reference="FX-1")
    assert (disputed.dispute_status, disputed.claim_amount, disputed.carrier_reference) == (
        "DISPUTED",
        Decimal("10.00"),
        "FX-1",
    )
    reconcile(ledger)  # a rerun keeps the dispute
    assert rows(ledger)["700000000080"].dispute_status == "DISPUTED"
    with pytest.raises(ValidationError, match="more than the claim"):
        dispute(ledger, "700000000080", "accept", amount="10.01")
    accepted = dispute(ledger, "700000000080", "accept", amount="10.00")
    assert (accepted.dispute_status, accepted.recovered_amount) == ("ACCEPTED", Decimal("10.00"))
    assert dispute(ledger, "700000000080", "close").dispute_status == "CLOSED"
    with pytest.raises(Conflict, match="CLOSED"):
        dispute(ledger, "700000000080", "flag")
    dispute(ledger, "700000000081", "flag")
    with pytest.raises(Conflict, match="FLAGGED"):
        dispute(ledger, "700000000081", "close")
    with pytest.raises(Conflict):
        dispute(ledger, "700000000081", "accept", amount="1.00")
    dispute(ledger, "700000000081", "dispute", amount="10.00", reference="FX-2")
    with pytest.raises(Conflict, match="DISPUTED"):
        dispute(ledger, "700000000081", "close")
    assert dispute(ledger, "700000000081", "reject").dispute_status == "REJECTED"
    assert dispute(ledger, "700000000081", "close").dispute_status == "CLOSED"
    with ledger.db.read() as conn:
        steps = conn.execute(
            sa.select(user_action_history.c.action)
            .where(user_action_history.c.entity_id == "fedex:700000000080")
            .order_by(user_action_history.c.created_at, user_action_history.c.action_id)
        ).scalars()
        assert set(steps) == {"DISPUTE_FLAG", "DISPUTE_DISPUTE", "DISPUTE_ACCEPT", "DISPUTE_CLOSE"}


def test_only_a_variance_can_be_flagged(ledger: api.Ledger, bills: Bills) -> None:
    bills.add("700000000090", "10.00")
    import_wms(ledger, wms_csv(wms_row("700000000090", "10.00")))
    reconcile(ledger)
    with pytest.raises(Conflict, match="MATCHED"):
        dispute(ledger, "700000000090", "flag")
    with pytest.raises(NotFound):
        dispute(ledger, "700000000099", "flag")
    with pytest.raises(ValidationError, match="dispute action"):
        dispute(ledger, "700000000090", "forgive")


# ---------------------------------------------------------------- the WMS import


def test_wms_import_refuses_bad_rows_with_their_numbers_and_changes_nothing(ledger: api.Ledger) -> None:
    content = wms_csv(
        wms_row("700000000100"),
        wms_row("700000000101", carrier="DHL"),
        wms_row("700000000102", unit="stone"),
        wms_row("700000000103", dims=("10", "", "5")),
        wms_row("700000000104", cost="abc"),
        [*wms_row("700000000105")[:2], "02/11/2026", *wms_row("700000000105")[3:]],
    )
    with pytest.raises(ValidationError) as refused:
        import_wms(ledger, content)
    message = refused.value.message
    assert "5 problem(s)" in message
    for number, words in (
        (3, "DHL"),
        (4, "stone"),
        (5, "length, width and height"),
        (6, "number"),
        (7, "date"),
    ):
        assert f"row {number}:" in message and words in message
    assert "row 2:" not in message
    with ledger.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(wms_shipment)).scalar_one() == 0


def test_wms_import_refuses_a_file_without_the_columns(ledger: api.Ledger) -> None:
    with pytest.raises(ValidationError, match="missing tracking_number"):
        import_wms(ledger, wms_csv(["FedEx", "2026-11-02"], header=["carrier", "ship_date"]))


def test_wms_headers_by_alias_and_a_later_row_replaces(ledger: api.Ledger) -> None:
    header = ["Carrier", "Tracking ID", "Ship Date", "Order Number", "Service", "Cost", "Currency", "Weight",
              "Weight Unit", "Length", "Width", "Height", "Dim Unit"]  # fmt: skip
    first = import_wms(
        ledger,
        wms_csv(wms_row("700000000110", "10.00"), wms_row("700000000110", "12.00"), header=header),
        name="wms.xlsx.csv",
    )
    assert (first.rows, first.inserted, first.replaced) == (2, 1, 1)
    second = import_wms(
        ledger, wms_csv(wms_row("700000000110", "13.00", carrier="FEDEX"), wms_row("1Z9", carrier="ups"))
    )
    assert (second.rows, second.inserted, second.replaced) == (2, 1, 1)
    with ledger.db.read() as conn:
        stored = {r.tracking_number: r for r in conn.execute(sa.select(wms_shipment))}
        replaced = conn.execute(
            sa.select(user_action_history).where(user_action_history.c.action == "WMS_SHIPMENT_REPLACED")
        ).one()
    assert (
        stored["700000000110"].expected_cost == Decimal("13.00") and stored["700000000110"].carrier == "fedex"
    )
    assert stored["1Z9"].carrier == "ups"
    assert replaced.entity_id == "fedex:700000000110"
    assert json.loads(replaced.before_summary)["expected_cost"] == "12.00"


def test_the_ledger_keeps_one_row_per_package(ledger: api.Ledger, bills: Bills) -> None:
    bills.add("700000000120", "10.00")
    import_wms(ledger, wms_csv(wms_row("700000000120", "10.00")))
    reconcile(ledger)
    reconcile(ledger, as_of=AS_OF + timedelta(days=1))
    with ledger.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(carrier_cost_ledger)).scalar_one() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(reconciliation_run)).scalar_one() == 2
