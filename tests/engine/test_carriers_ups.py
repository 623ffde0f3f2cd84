"""UPS Billing Data v2.1 bills into the unified shipment layer, on DuckDB and PostgreSQL (issue 9 §1)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import api
from engine.auth.roles import CLI_OPERATOR
from engine.carriers.layout import ups_layout
from engine.cli import main
from engine.demo.carriers import UpsRow, ups_csv
from engine.errors import ValidationError
from engine.handle import Ledger
from engine.store.schema import (
    carrier_bill,
    carrier_charge_type,
    carrier_file,
    carrier_file_claim,
    carrier_service,
    exception_log,
    invoice_charges,
    shipment_attributes,
    shipment_charges,
)

ACCOUNT = "A1B2C3"  # the file has it zero-padded to 10: 0000A1B2C3
FIRST, SECOND = "000000A1B2C31", "000000A1B2C32"
SINGLE, LEAD, CHILD, AIR = (
    "1Z0A1B2C0300000001",
    "1Z0A1B2C0300000010",
    "1Z0A1B2C0300000011",
    "1Z0A1B2C0100000020",
)
TABLES = (
    carrier_file,
    carrier_file_claim,
    carrier_bill,
    shipment_charges,
    invoice_charges,
    shipment_attributes,
    exception_log,
)


def bill() -> list[UpsRow]:
    """Two invoices, one row per charge: a single package with accessorials, an informational row and
    an ADJ correction; a multi-piece shipment (lead + a package in kg); an invoice-level fee; a second
    invoice dated M/D/YY."""
    return [
        UpsRow(FIRST, "2026-11-14", SINGLE, "12.00"),
        UpsRow(FIRST, "2026-11-14", SINGLE, "1.80", classification="FSC", description="Fuel Surcharge"),
        UpsRow(
            FIRST, "2026-11-14", SINGLE, "4.50", classification="ACC", description="Residential Surcharge"
        ),
        UpsRow(FIRST, "2026-11-14", SINGLE, "0.00", classification="INF", description="Declared Value"),
        UpsRow(FIRST, "2026-11-14", LEAD, "20.00", billed_weight="12"),
        UpsRow(FIRST, "2026-11-14", CHILD, "15.00", lead=LEAD, billed_weight="3", weight_unit="K"),
        UpsRow(
            FIRST, "2026-11-14", CHILD, "2.25", lead=LEAD, classification="FSC", description="Fuel Surcharge"
        ),
        UpsRow(
            FIRST,
            "2026-11-14",
            SINGLE,
            "3.10",
            category="ADJ",
            description="Shipping Charge Correction Ground",
            billed_weight="7",
        ),
        UpsRow(
            FIRST, "2026-11-14", "", "5.00", category="MIS", classification="ACC", description="Payment Fee"
        ),
        UpsRow(SECOND, "11/21/26", AIR, "30.00", description="Next Day Air", transaction_date="11/19/26"),
        UpsRow(
            SECOND,
            "11/21/26",
            AIR,
            "9.00",
            classification="ACC",
            description="Additional Handling",
            transaction_date="11/19/26",
        ),
    ]


def ingest(
    ledger: Ledger, content: bytes, *, account: str = ACCOUNT, name: str = "ups.csv"
) -> api.CarrierFileResult:
    return api.ingest_carrier_file(ledger, content, name, carrier="ups", account=account, actor=CLI_OPERATOR)


def counts(ledger: Ledger) -> tuple[int, ...]:
    with ledger.db.read() as conn:
        return tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES)


def test_the_layout_positions_are_the_reference_columns() -> None:
    layout = ups_layout()
    assert len(layout.header) == layout.width == 250 and layout.header[0] == "Version"
    named = {role: layout.header[at] for role, at in layout.columns.items()}
    assert named["account"] == "Account Number" and named["net"] == "Net Amount"
    assert named["lead_shipment"] == "Lead Shipment Number" and named["tracking"] == "Tracking Number"
    assert named["charge_classification"] == "Charge Classification Code"
    assert named["billed_weight_unit"] == "Billed Weight Unit of Measure"


def test_a_bill_loads_per_invoice_with_its_control_totals(ledger: Ledger) -> None:
    result = ingest(ledger, ups_csv(bill()))
    assert result.status is api.CarrierFileStatus.LOADED and result.rows == 11 and result.carrier == "ups"
    got = {
        i.invoice_number: (
            i.invoice_date,
            i.rows,
            i.net_total,
            i.amount_due,
            i.packages,
            i.invoice_level_total,
            i.status,
        )
        for i in result.invoices
    }
    assert got == {
        FIRST: (date(2026, 11, 14), 9, Decimal("63.65"), Decimal("63.65"), 3, Decimal("5.00"), "loaded"),
        SECOND: (date(2026, 11, 21), 2, Decimal("39.00"), Decimal("39.00"), 1, Decimal("0.00"), "loaded"),
    }
    with ledger.db.read() as conn:
        level = conn.execute(
            sa.select(invoice_charges.c.reference, invoice_charges.c.charge_type, invoice_charges.c.amount)
        ).all()
        types = dict(
            conn.execute(sa.select(carrier_charge_type.c.name, carrier_charge_type.c.category)).all()
        )
        services = set(conn.execute(sa.select(carrier_service.c.name)).scalars())
        total = conn.execute(sa.select(sa.func.sum(shipment_charges.c.amount))).scalar_one()
        freight = conn.execute(
            sa.select(sa.func.count()).select_from(shipment_charges).where(shipment_charges.c.is_freight)
        ).scalar_one()
        informational = conn.execute(
            sa.select(sa.func.count())
            .select_from(shipment_charges)
            .where(shipment_charges.c.charge_type == "Declared Value")
        ).scalar_one()
    assert level == [(None, "Payment Fee", Decimal("5.00"))]
    # ADJ rows are adjustments (category 16) whatever their name; freight is named per service
    assert types["Shipping Charge Correction Ground"] == 16 and types["Fuel Surcharge"] == 11
    assert types["Ground"] == 11 and "Transportation Charge" not in types
    assert services == {"Ground", "Next Day Air"}
    assert (freight, informational) == (4, 0)  # SHP/FRT rows only; the INF row bills nothing
    assert total + Decimal("5.00") == Decimal("63.65") + Decimal("39.00")


def test_billed_cost_is_the_sum_of_charges_and_mps_groups_on_the_lead(ledger: Ledger) -> None:
    ingest(ledger, ups_csv(bill()))
    single = api.shipment(ledger, carrier="ups", tracking=SINGLE, actor=CLI_OPERATOR)
    assert single.billed_cost == Decimal("21.40") and single.billed_weight_lb == Decimal("5.0")
    assert [(c.charge_type, c.amount, c.is_freight) for c in single.charges] == [
        ("Ground", Decimal("12.00"), True),
        ("Fuel Surcharge", Decimal("1.80"), False),
        ("Residential Surcharge", Decimal("4.50"), False),
        ("Shipping Charge Correction Ground", Decimal("3.10"), False),
    ]
    assert (single.mps_role, single.service, single.ship_date, single.actual_weight_lb) == (
        "single",
        "Ground",
        date(2026, 11, 10),
        Decimal("4.2"),
    )
    lead = api.shipment(ledger, carrier="ups", tracking=LEAD, actor=CLI_OPERATOR)
    assert (lead.mps_role, lead.lead_tracking_number, lead.billed_cost) == ("parent", None, Decimal("20.00"))
    child = api.shipment(ledger, carrier="ups", tracking=CHILD, actor=CLI_OPERATOR)
    # 3 kg × 2.20462 = 6.61386 → 6.7 lb (rounded up to 0.1)
    assert (child.mps_role, child.lead_tracking_number, child.billed_cost, child.billed_weight_lb) == (
        "child",
        LEAD,
        Decimal("17.25"),
        Decimal("6.7"),
    )
    air = api.shipment(ledger, carrier="ups", tracking=AIR, actor=CLI_OPERATOR)
    assert (air.billed_cost, air.ship_date, air.service) == (
        Decimal("39.00"),
        date(2026, 11, 19),
        "Next Day Air",
    )
    # the billed cost of every package plus the invoice-level fee is what UPS invoiced
    costs = [
        api.shipment(ledger, carrier="ups", tracking=t, actor=CLI_OPERATOR).billed_cost
        for t in (SINGLE, LEAD, CHILD, AIR)
    ]
    assert sum(costs) + Decimal("5.00") == Decimal("102.65")


def test_one_header_row_is_tolerated(ledger: Ledger) -> None:
    content = ups_csv(bill(), header=True)
    assert content.startswith(b"Version,Recipient Number,Account Number")
    result = ingest(ledger, content)
    assert result.status == "loaded" and result.rows == 11
    with ledger.db.read() as conn:
        rows = (
            conn.execute(sa.select(shipment_charges.c.file_row).order_by(shipment_charges.c.file_row))
            .scalars()
            .all()
        )
    assert rows[0] == 2  # the file line, the header being line 1


def test_another_account_is_rejected_with_an_exception_and_nothing_loaded(ledger: Ledger) -> None:
    rejected = ingest(ledger, ups_csv(bill()), account="Z9Z9Z9", name="ups-week46.csv")
    assert rejected.status is api.CarrierFileStatus.REJECTED and rejected.exception_id
    assert "ups-week46.csv" in (rejected.message or "") and "Account Number" in (rejected.message or "")
    seen = api.get_exception(ledger, rejected.exception_id, actor=CLI_OPERATOR)
    assert seen.kind == api.ExceptionKind.ERR_FILE_CONTRACT_MISMATCH and "0000A1B2C3" in seen.message
    file_rows, claims, bills, charges, levels, attributes, exceptions = counts(ledger)
    assert (file_rows, exceptions) == (1, 1) and (claims, bills, charges, levels, attributes) == (
        0,
        0,
        0,
        0,
        0,
    )
    # leading zeros do not make another account
    assert ingest(ledger, ups_csv(bill()), account="0000A1B2C3").status == "loaded"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (ups_csv(bill(), width=244), "row 1 has 244 columns"),
        (ups_csv([UpsRow(FIRST, "2026-11-14", SINGLE, "12.00", version="2.0")]), "'2.0'"),
    ],
    ids=["width", "version"],
)
def test_width_and_version_are_checked_by_position(ledger: Ledger, content: bytes, says: str) -> None:
    rejected = ingest(ledger, content)
    assert rejected.status == "rejected" and says in (rejected.message or "")
    assert counts(ledger)[1:6] == (0, 0, 0, 0, 0)


def test_an_invoice_that_does_not_add_up_is_not_loaded_the_other_is(ledger: Ledger) -> None:
    result = ingest(ledger, ups_csv(bill(), amounts={SECOND: "45.00"}))
    assert result.status is api.CarrierFileStatus.PARTIAL
    bad = next(i for i in result.invoices if i.invoice_number == SECOND)
    assert bad.status == "rejected" and bad.exception_id
    seen = api.get_exception(ledger, bad.exception_id, actor=CLI_OPERATOR)
    assert seen.kind == api.ExceptionKind.CARRIER_TOTALS_MISMATCH
    assert "39.00" in seen.message and "45.00" in seen.message
    with ledger.db.read() as conn:
        billed = set(conn.execute(sa.select(shipment_charges.c.invoice_number)).scalars())
        states = dict(conn.execute(sa.select(carrier_bill.c.invoice_number, carrier_bill.c.status)).all())
    assert billed == {FIRST} and states == {FIRST: "loaded", SECOND: "rejected"}
    with pytest.raises(api.NotFound):
        api.shipment(ledger, carrier="ups", tracking=AIR, actor=CLI_OPERATOR)


def test_the_same_bytes_are_skipped(ledger: Ledger) -> None:
    content = ups_csv(bill())
    ingest(ledger, content)
    before = counts(ledger)
    again = ingest(ledger, content)
    assert again.status is api.CarrierFileStatus.SKIPPED
    assert counts(ledger)[1:] == before[1:]


def test_a_date_in_no_known_format_is_a_clear_error(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match=r"'14\.11\.2026' is not YYYY-MM-DD or M/D/YY"):
        ingest(ledger, ups_csv([UpsRow(FIRST, "14.11.2026", SINGLE, "12.00")]))
    assert counts(ledger) == (0,) * len(TABLES)


def test_the_cli_ingests_a_ups_bill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "false")
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)
    bill_file = tmp_path / "ups.csv"
    bill_file.write_bytes(ups_csv(bill()))
    assert main(["users", "add", "--email", "m@test.local", "--role", "manager"]) == 0
    capsys.readouterr()
    args = ["carriers", "ingest", str(bill_file), "--carrier", "ups", "--account", ACCOUNT]
    assert main([*args, "--user", "m@test.local"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    assert loaded["status"] == "loaded" and loaded["carrier"] == "ups" and loaded["rows"] == 11
    assert main(["carriers", "shipment", "--carrier", "ups", "--tracking", CHILD]) == 0
    assert json.loads(capsys.readouterr().out)["billed_cost"] == "17.25"
