"""The older 156-column FedEx Billing Online layout (no ``Consolidated Account Number``, no ``MPS Package
ID``, 25 charge pairs; CARRIERS.md) loads by header name like the 210-column one (issue 9 §1, §6)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine import api
from engine.auth.roles import CLI_OPERATOR
from engine.demo.carriers import FedexRow, fedex_csv, fedex_header
from engine.handle import Ledger
from engine.store.schema import carrier_bill, invoice_charges, shipment_attributes, shipment_charges

ACCOUNT = "123456789"
PAIR_DESCRIPTION, PAIR_AMOUNT = "Tracking ID Charge Description", "Tracking ID Charge Amount"
# Ten charge types: the builder gives each its own slot three pairs apart, so the ninth lands on the
# 25th (last) pair and the tenth wraps round to the 3rd, with empty slots between them all.
SURCHARGES = [
    ("Fuel Surcharge", "1.10"),
    ("Residential", "4.25"),
    ("Address Correction Adjustment", "1.00"),
    ("Declared Value Charge", "2.00"),
    ("Saturday Delivery", "16.00"),
    ("Additional Handling", "12.50"),
    ("Delivery Area Surcharge", "3.60"),
    ("Indirect Signature Required", "5.50"),
    ("Direct Signature Required", "6.75"),
    ("Oversize Charge", "45.00"),
]


def header() -> list[str]:
    return fedex_header(156)


def bill() -> list[FedexRow]:
    """Four invoices: a shipment using all ten charge slots, an invoice-level row, a credit, a
    multi-piece group as this layout writes it, and a later invoice re-billing a tracking number."""
    return [
        FedexRow("910000001", "20261109", "700100000001", "10.00", [("Fuel Surcharge", "1.10")]),
        FedexRow("910000001", "20261109", "700100000002", "60.00", SURCHARGES, rated="22"),
        FedexRow("910000001", "20261109", "522218101", "", [("Weekly Service Chg", "16.00")]),
        FedexRow("910000002", "20261116", "700100000003", "30.00", [("Earned Discount", "-3.00")], rated="9"),
        # A multi-piece shipment: the older layout has no MPS Package ID column, so the pieces are
        # two rows on one tracking id, which CARRIERS.md reads as a repeat (not an MPS group).
        FedexRow("910000003", "20261116", "794100000001", "25.00", [("Fuel Surcharge", "2.50")], rated="6"),
        FedexRow(
            "910000003",
            "20261116",
            "794100000001",
            "15.00",
            mps_package_id="794100000009",  # dropped: the layout cannot carry it
            weight="2",
            weight_units="KG",
            rated="3",
            dims=("50.8", "25.4", "2.54"),
            dim_unit="C",
        ),
        FedexRow("910000004", "20261123", "700100000001", "10.00", [("Fuel Surcharge", "1.10")]),
    ]


def ingest(ledger: Ledger, content: bytes, *, name: str = "bill-156.csv") -> api.CarrierFileResult:
    return api.ingest_carrier_file(
        ledger, content, name, carrier="fedex", account=ACCOUNT, actor=CLI_OPERATOR
    )


def test_the_reference_header_is_the_older_layout() -> None:
    names = header()
    assert len(names) == 156 and len(fedex_header()) == 210
    assert names.count(PAIR_DESCRIPTION) == names.count(PAIR_AMOUNT) == 25
    assert "Consolidated Account Number" not in names and "MPS Package ID" not in names
    assert names[-1] == "Shipment Notes" and names.count("Commodity Description") == 4
    # the builder writes the older header, not the current one
    first_line = fedex_csv(bill(), header=names).split(b"\n", 1)[0].decode()
    assert first_line.split(",") == names


def test_a_156_column_bill_loads_per_invoice_on_duckdb(ledger: Ledger) -> None:
    result = ingest(ledger, fedex_csv(bill(), header=header()))
    assert result.status is api.CarrierFileStatus.LOADED and result.rows == 7
    got = {
        i.invoice_number: (i.rows, i.net_total, i.amount_due, i.packages, i.invoice_level_total, i.status)
        for i in result.invoices
    }
    assert got == {
        "910000001": (3, Decimal("184.80"), Decimal("184.80"), 2, Decimal("16.00"), "loaded"),
        "910000002": (1, Decimal("27.00"), Decimal("27.00"), 1, Decimal("0.00"), "loaded"),
        "910000003": (2, Decimal("42.50"), Decimal("42.50"), 2, Decimal("0.00"), "loaded"),
        "910000004": (1, Decimal("11.10"), Decimal("11.10"), 1, Decimal("0.00"), "loaded"),
    }
    with ledger.db.read() as conn:
        bills = conn.execute(sa.select(sa.func.count()).select_from(carrier_bill)).scalar_one()
        level = conn.execute(sa.select(invoice_charges.c.reference, invoice_charges.c.amount)).all()
        charged = conn.execute(sa.select(sa.func.sum(shipment_charges.c.amount))).scalar_one()
        shipments = conn.execute(sa.select(sa.func.count()).select_from(shipment_attributes)).scalar_one()
    assert bills == 4 and level == [("522218101", Decimal("16.00"))]
    assert shipments == 4  # three single packages and the multi-piece tracking id
    # every shipment charge plus the invoice-level row make the four invoices' net
    assert charged + Decimal("16.00") == sum(i.net_total for i in result.invoices) == Decimal("265.40")


def test_every_pair_slot_is_read_and_credits_stay_negative(ledger: Ledger) -> None:
    ingest(ledger, fedex_csv(bill(), header=header()))
    full = api.shipment(ledger, carrier="fedex", tracking="700100000002", actor=CLI_OPERATOR)
    assert full.billed_cost == Decimal("157.70") and full.billed_weight_lb == Decimal("22.0")
    # in slot order: the oversize charge wrapped round to the 3rd pair, the 25th pair is read too
    in_slots = [SURCHARGES[0], SURCHARGES[-1], *SURCHARGES[1:-1]]
    assert [(c.charge_type, c.amount, c.is_freight) for c in full.charges] == [
        ("Transportation Charge", Decimal("60.00"), True),
        *((name, Decimal(amount), False) for name, amount in in_slots),
    ]
    credit = api.shipment(ledger, carrier="fedex", tracking="700100000003", actor=CLI_OPERATOR)
    assert credit.billed_cost == Decimal("27.00")
    assert [(c.charge_type, c.amount) for c in credit.charges][-1] == ("Earned Discount", Decimal("-3.00"))
    with pytest.raises(api.NotFound):
        api.shipment(ledger, carrier="fedex", tracking="522218101", actor=CLI_OPERATOR)


def test_a_repeated_tracking_id_adds_charges_and_forms_no_mps_group(ledger: Ledger) -> None:
    ingest(ledger, fedex_csv(bill(), header=header()))
    pieces = api.shipment(ledger, carrier="fedex", tracking="794100000001", actor=CLI_OPERATOR)
    # without an MPS Package ID neither row is a summary: both are billed, the repeat stays visible
    assert pieces.mps_role == "single" and pieces.lead_tracking_number is None
    assert pieces.billed_cost == Decimal("42.50")
    assert [c.amount for c in pieces.charges if c.is_freight] == [Decimal("25.00"), Decimal("15.00")]
    with pytest.raises(api.NotFound):
        api.shipment(ledger, carrier="fedex", tracking="794100000009", actor=CLI_OPERATOR)
    # a later invoice re-billing a tracking number adds charges, it never overwrites them
    rebilled = api.shipment(ledger, carrier="fedex", tracking="700100000001", actor=CLI_OPERATOR)
    assert rebilled.billed_cost == Decimal("22.20")
    assert [c.invoice_number for c in rebilled.charges if c.is_freight] == ["910000001", "910000004"]


def test_an_invoice_that_does_not_add_up_is_held_back_the_others_load(ledger: Ledger) -> None:
    result = ingest(ledger, fedex_csv(bill(), header=header(), due={"910000002": "30.00"}))
    assert result.status is api.CarrierFileStatus.PARTIAL
    assert {i.invoice_number: i.status for i in result.invoices} == {
        "910000001": "loaded",
        "910000002": "rejected",
        "910000003": "loaded",
        "910000004": "loaded",
    }


def _without_last_pair(names: list[str]) -> list[str]:
    return names[:-3] + names[-1:]


def _renamed_amount(names: list[str]) -> list[str]:
    broken = list(names)
    broken[len(broken) - 4] = "Tracking ID Charge Amt"  # the 24th pair's amount
    return broken


def _swapped_pair(names: list[str]) -> list[str]:
    broken = list(names)
    at = broken.index(PAIR_DESCRIPTION)
    broken[at], broken[at + 1] = broken[at + 1], broken[at]
    return broken


@pytest.mark.parametrize(
    ("breaking", "says"),
    [
        (_without_last_pair, "charge pair block too short: 24 pairs, the layout has at least 25"),
        (_renamed_amount, "25 'Tracking ID Charge Description' columns but 24 'Tracking ID Charge Amount'"),
        (_swapped_pair, "'Tracking ID Charge Description' at column 106 is not followed by"),
    ],
    ids=["24-pairs", "renamed-amount", "swapped-pair"],
)
def test_a_broken_pair_block_is_rejected_with_its_reason(
    ledger: Ledger, breaking: Callable[[list[str]], list[str]], says: str
) -> None:
    broken = breaking(header())
    rejected = ingest(ledger, fedex_csv(bill()[:2], header=broken), name="week46-156.csv")
    assert rejected.status is api.CarrierFileStatus.REJECTED and rejected.exception_id
    assert rejected.invoices == [] and "week46-156.csv" in (rejected.message or "")
    assert says in (rejected.message or "")
    seen = api.get_exception(ledger, rejected.exception_id, actor=CLI_OPERATOR)
    assert seen.kind == api.ExceptionKind.ERR_FILE_CONTRACT_MISMATCH
    with ledger.db.read() as conn:
        written = [
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (carrier_bill, shipment_charges, invoice_charges, shipment_attributes)
        ]
    assert written == [0, 0, 0, 0]


def test_the_layout_file_names_its_roles_in_both_headers() -> None:
    from engine.carriers.layout import MPS_PACKAGE_ID, fedex_layout

    layout = fedex_layout()
    assert {width: len(header) for width, header in layout.versions.items()} == {"210": 210, "156": 156}
    assert set(layout.required) <= set(layout.versions["156"]) and set(layout.required) <= set(layout.header)
    assert set(layout.columns.values()) <= set(layout.header)
    # the older layout has no MPS Package ID
    assert set(layout.columns.values()) - set(layout.versions["156"]) == {MPS_PACKAGE_ID}
    assert layout.freight_charge == "Transportation Charge" and "KG" in layout.kilograms
