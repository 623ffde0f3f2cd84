"""The set-based run (sql/reconciliation/stage_outcomes.sql) against its specification, ``rules.decide``,
on a generated mix of packages: every status, the band, weight, grace and window edges, DIM weights
with and without the bill row's divisor, and the precedence cases, under the default settings and
under settings an admin changed; on DuckDB and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from engine import api
from engine.api import Actor, Role
from engine.clock import utcnow
from engine.reconciliation.rules import BillRow, Rules, Wms, decide
from engine.store.schema import shipment_attributes, shipment_charges, wms_shipment
from engine.vocab import ReconStatus

MANAGER = Actor(email="manager@test.local", roles=frozenset({Role.MANAGER}))
ADMIN = Actor(email="admin@test.local", roles=frozenset({Role.ADMIN}))
AS_OF = date(2026, 12, 10)
FIRST, LAST = date(2026, 11, 2), date(2026, 11, 27)  # every carrier's WMS window
D = Decimal


@dataclass
class Case:
    carrier: str
    tracking: str
    bills: list[tuple[date, str, int, BillRow]]  # (invoice date, invoice number, file row, row)
    wms: Wms | None
    ship_date: date | None  # the bill's (shipment_attributes)


# Costs on and around the band edges of both the default and the changed bands.
EXPECTED = [D(v) for v in ("9.99", "24.99", "25.00", "49.99", "50.00", "120.00", "249.99", "250.00")]
EXPECTED += [D(v) for v in ("499.99", "500.00", "1200.00")]
OFFSETS = [D(v) for v in ("0", "0.01", "-0.01", "1.00", "1.01", "-1.01", "2.00", "2.01", "7.50", "7.51")]
OFFSETS += [D(v) for v in ("9.99", "10.00", "25.00", "-30.00")]
# 20 × 20 × 20 and 13.9 × 10 × 10 = 1390 (exactly 10 × 139) sit on DIM edges.
DIMS = [(D("10"), D("8"), D("6")), (D("20"), D("20"), D("20")), (D("13.9"), D("10"), D("10"))]
DIMS += [(D("12.34"), D("11.11"), D("9.87"))]


def generate(rng: random.Random, count: int) -> list[Case]:
    cases = []
    for n in range(count):
        carrier = rng.choice(["fedex", "ups"])
        expected = rng.choice(EXPECTED)
        billed = expected + rng.choice(OFFSETS)
        actual = rng.choice([D("4.20"), D("5.00"), D("5.01"), D("10.00"), D("0.40"), None])
        dims = rng.choice([*DIMS, None])
        # Around as-of − grace days for 21 (11-19) and 15 (11-25) days, and the window's ends.
        wms_day = rng.choice([FIRST, LAST, *(date(2026, 11, d) for d in (18, 19, 20, 24, 25, 26))])
        wms = Wms(
            ship_date=wms_day,
            expected_cost=rng.choice([expected, expected, expected, None]),
            weight_lb=actual,
            length_in=dims[0] if dims else None,
            width_in=dims[1] if dims else None,
            height_in=dims[2] if dims else None,
        )
        shape = rng.choice(
            ["billed", "billed", "billed", "duplicate", "no_freight", "not_billed", "not_in_wms"]
        )
        bills: list[tuple[date, str, int, BillRow]] = []
        if shape != "not_billed":
            freights = 2 if shape == "duplicate" else (0 if shape == "no_freight" else 1)
            file_rows = rng.sample(range(10), 2)  # distinct rows, in either order
            for k in range(max(freights, 1)):
                is_freight = k < freights
                rated = rng.choice(
                    [D("4.0"), D("5.0"), D("6.0"), D("6.1"), D("7.0"), D("49.0"), D("59.0"), None]
                )
                divisor = rng.choice([None, 139, 166, 250])
                amount = billed - (D("1.00") * k)
                bills.append(
                    (
                        rng.choice([date(2026, 11, 9), date(2026, 11, 16)]),
                        rng.choice(["900000001", "900000002"]),
                        n * 10 + file_rows[k],
                        BillRow(
                            amount, is_freight, rated if is_freight else None, divisor if is_freight else None
                        ),
                    )
                )
        ship = rng.choice(
            [None, FIRST - timedelta(days=1), FIRST, date(2026, 11, 15), LAST, LAST + timedelta(days=1)]
        )
        cases.append(
            Case(carrier, f"{carrier[0]}{n:09d}", bills, None if shape == "not_in_wms" else wms, ship)
        )
    return cases


def _anchors() -> list[Case]:
    """WMS rows that pin every carrier's window to FIRST … LAST whatever was generated."""
    return [
        Case(carrier, f"{carrier[0]}W{day:%d}", [], Wms(day, D("10"), D("1"), None, None, None), None)
        for carrier in ("fedex", "ups")
        for day in (FIRST, LAST)
    ]


def _write(ledger: api.Ledger, cases: list[Case]) -> None:
    charges: list[dict[str, Any]] = []
    attributes: list[dict[str, Any]] = []
    shipments: list[dict[str, Any]] = []
    for case in cases:
        base = {"carrier": case.carrier, "tracking_number": case.tracking, "account": "123456789"}
        for invoice_date, invoice, file_row, row in case.bills:
            # The row's amount split into its freight and a surcharge: the run sums a file row's charges.
            parts = [(row.amount - D("1.25"), row.is_freight), (D("1.25"), False)]
            for number, (amount, freight) in enumerate(parts):
                charges.append(
                    base
                    | {
                        "charge_id": f"C{case.tracking}{file_row:06d}{invoice[-1]}{number}",
                        "invoice_number": invoice,
                        "invoice_date": invoice_date,
                        "file_id": "01FILE0000000000000000000X",
                        "file_row": file_row,
                        "charge_type": "Transportation Charge" if freight else "Fuel Surcharge",
                        "amount": amount,
                        "is_freight": freight,
                        "rated_weight_lb": row.rated_weight_lb if freight else None,
                        "dim_divisor": row.dim_divisor if freight else None,
                    }
                )
        if case.bills:
            attributes.append(
                {
                    "carrier": case.carrier,
                    "tracking_number": case.tracking,
                    "ship_date": case.ship_date,
                    "updated_at": utcnow(),
                }
            )
        if case.wms is not None:
            w = case.wms
            shipments.append(
                {
                    "carrier": case.carrier,
                    "tracking_number": case.tracking,
                    "ship_date": w.ship_date,
                    "expected_cost": w.expected_cost,
                    "weight_lb": w.weight_lb,
                    "length_in": w.length_in,
                    "width_in": w.width_in,
                    "height_in": w.height_in,
                    "imported_at": utcnow(),
                    "trace_id": "test",
                }
            )

    def write(conn: Any) -> None:
        ledger.db.bulk_insert(conn, shipment_charges, charges)
        ledger.db.bulk_insert(conn, shipment_attributes, attributes)
        ledger.db.bulk_insert(conn, wms_shipment, shipments)

    ledger.db.write(write)


def _decide(case: Case, rules: Rules) -> Any:
    ordered = [row for *_, row in sorted(case.bills, key=lambda b: (b[0], b[1], b[2]))]
    return decide(
        ordered,
        case.wms,
        billed_ship_date=case.ship_date if case.bills else None,
        window=(FIRST, LAST),
        as_of=AS_OF,
        rules=rules,
        carrier=case.carrier,
    )


def _agree(ledger: api.Ledger, cases: list[Case], rules: Rules) -> set[ReconStatus]:
    api.run_reconciliation(ledger, as_of=AS_OF, actor=MANAGER)
    stored = {(r.carrier, r.tracking_number): r for r in api.list_reconciliation(ledger, actor=MANAGER)}
    assert len(stored) == len(cases)
    seen = set()
    for case in cases:
        want, got = _decide(case, rules), stored[(case.carrier, case.tracking)]
        assert (
            got.status,
            got.billed_cost,
            got.expected_cost,
            got.variance,
            got.billed_weight_lb,
            got.expected_weight_lb,
        ) == (
            want.status,
            want.billed_cost,
            want.expected_cost,
            want.variance,
            want.billed_weight_lb,
            want.expected_weight_lb,
        ), (case, want)
        seen.add(want.status)
    return seen


def test_the_sql_run_and_decide_agree_on_a_generated_mix(ledger: api.Ledger) -> None:
    cases = _anchors() + generate(random.Random(20261204), 400)
    _write(ledger, cases)
    defaults = Rules(dim_divisor=139, weight_tolerance_lb=D("1"), grace_days=21)
    assert _agree(ledger, cases, defaults) == set(ReconStatus)
    api.update_reconciliation_settings(
        ledger,
        weight_tolerance_lb="0.5",
        grace_days=15,
        dim_divisor=166,
        carrier_divisors={"ups": 194},
        cost_bands=[
            api.CostBand(below=D("50"), absolute=D("2.00")),
            api.CostBand(below=D("500"), relative=D("0.05")),
            api.CostBand(relative=D("0.02")),
        ],
        actor=ADMIN,
    )
    changed = Rules(
        dim_divisor=166,
        weight_tolerance_lb=D("0.5"),
        grace_days=15,
        cost_bands=((D("50"), D("2.00"), None), (D("500"), None, D("0.05")), (None, None, D("0.02"))),
        carrier_divisors=(("ups", 194),),
    )
    assert _agree(ledger, cases, changed) == set(ReconStatus)
