"""FedEx bills into the unified shipment layer, on DuckDB and PostgreSQL (issue 9 §1, DOMAIN steps 1–6)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine import api
from engine.auth.roles import CLI_OPERATOR
from engine.cli import main
from engine.demo.carriers import FedexRow, fedex_csv, fedex_header
from engine.errors import ValidationError
from engine.handle import Ledger
from engine.store.schema import (
    carrier_bill,
    carrier_charge_type,
    carrier_file,
    carrier_file_claim,
    carrier_service,
    carrier_tracker,
    exception_log,
    invoice_charges,
    shipment_attributes,
    shipment_charges,
)

ACCOUNT = "123456789"
TABLES = (
    carrier_file,
    carrier_file_claim,
    carrier_bill,
    shipment_charges,
    invoice_charges,
    shipment_attributes,
    exception_log,
    carrier_tracker,
)


def bill() -> list[FedexRow]:
    """Three invoices: shipments with empty pair slots between, a credit, an invoice-level row, an
    MPS group (header, parent, child in kg and cm)."""
    return [
        FedexRow("900000001", "20261109", "700000000001", "10.00", [("Fuel Surcharge", "1.50")]),
        FedexRow(
            "900000001",
            "20261109",
            "700000000002",
            "20.00",
            [("Fuel Surcharge", "2.50"), ("Residential", "4.25"), ("Address Correction Adjustment", "1.00")],
        ),
        FedexRow("900000001", "20261109", "522218101", "", [("Weekly Service Chg", "16.00")]),
        FedexRow("900000002", "20261116", "700000000003", "30.00", [("Earned Discount", "-3.00")], rated="9"),
        # MPS: the group header (summary, dropped), the parent, a child with its own tracking number
        FedexRow("900000003", "20261116", "794000000001", "40.00", service="Priority", rated="12"),
        FedexRow(
            "900000003",
            "20261116",
            "794000000001",
            "25.00",
            mps_package_id="794000000001",
            rated="6",
            service="",
        ),
        FedexRow(
            "900000003",
            "20261116",
            "794000000001",
            "15.00",
            mps_package_id="794000000009",
            weight="2",
            weight_units="KG",
            rated="3",
            dims=("50.8", "25.4", "2.54"),
            dim_unit="C",
            service="",
        ),
    ]


def mps_due() -> dict[str, str]:
    return {"900000003": "40.00"}  # the header row is a summary: the invoice bills parent + child


def ingest(
    ledger: Ledger, content: bytes, *, account: str = ACCOUNT, name: str = "bill.csv"
) -> api.CarrierFileResult:
    return api.ingest_carrier_file(
        ledger, content, name, carrier="fedex", account=account, actor=CLI_OPERATOR
    )


def counts(ledger: Ledger) -> tuple[int, ...]:
    with ledger.db.read() as conn:
        return tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLES)


def test_a_bill_loads_per_invoice_with_its_control_totals(ledger: Ledger) -> None:
    result = ingest(ledger, fedex_csv(bill(), due=mps_due()))
    assert result.status is api.CarrierFileStatus.LOADED and result.rows == 7
    got = {
        i.invoice_number: (i.rows, i.net_total, i.amount_due, i.packages, i.invoice_level_total, i.status)
        for i in result.invoices
    }
    assert got == {
        "900000001": (3, Decimal("55.25"), Decimal("55.25"), 2, Decimal("16.00"), "loaded"),
        "900000002": (1, Decimal("27.00"), Decimal("27.00"), 1, Decimal("0.00"), "loaded"),
        "900000003": (3, Decimal("40.00"), Decimal("40.00"), 2, Decimal("0.00"), "loaded"),
    }
    listed = api.list_carrier_invoices(ledger, actor=CLI_OPERATOR, carrier="fedex", account=ACCOUNT)
    assert sorted((i.invoice_number, i.net_total, i.file_id) for i in listed) == [
        ("900000001", Decimal("55.25"), result.file_id),
        ("900000002", Decimal("27.00"), result.file_id),
        ("900000003", Decimal("40.00"), result.file_id),
    ]
    with ledger.db.read() as conn:
        level = conn.execute(sa.select(invoice_charges.c.reference, invoice_charges.c.amount)).all()
        types = dict(
            conn.execute(sa.select(carrier_charge_type.c.name, carrier_charge_type.c.category)).all()
        )
        services = set(conn.execute(sa.select(carrier_service.c.name)).scalars())
        tracker = conn.execute(sa.select(carrier_tracker.c.last_file_id)).scalar_one()
        total = conn.execute(sa.select(sa.func.sum(shipment_charges.c.amount))).scalar_one()
    assert level == [("522218101", Decimal("16.00"))]
    assert types["Address Correction Adjustment"] == 16 and types["Fuel Surcharge"] == 11
    assert types["Transportation Charge"] == 11 and services == {"Ground", "Priority"}
    assert tracker == result.file_id
    # every charge of every shipment plus the invoice-level charges make the three invoices' net
    assert total + Decimal("16.00") == Decimal("55.25") + Decimal("27.00") + Decimal("40.00")


def test_billed_cost_is_the_sum_of_charges_and_mps_roles_follow_the_group(ledger: Ledger) -> None:
    ingest(ledger, fedex_csv(bill(), due=mps_due()))
    second = api.shipment(ledger, carrier="fedex", tracking="700000000002", actor=CLI_OPERATOR)
    assert second.billed_cost == Decimal("27.75") and second.billed_weight_lb == Decimal("5.0")
    assert [(c.charge_type, c.amount, c.is_freight) for c in second.charges] == [
        ("Transportation Charge", Decimal("20.00"), True),
        ("Fuel Surcharge", Decimal("2.50"), False),
        ("Residential", Decimal("4.25"), False),
        ("Address Correction Adjustment", Decimal("1.00"), False),
    ]
    credit = api.shipment(ledger, carrier="fedex", tracking="700000000003", actor=CLI_OPERATOR)
    assert credit.billed_cost == Decimal("27.00")
    parent = api.shipment(ledger, carrier="fedex", tracking="794000000001", actor=CLI_OPERATOR)
    assert (parent.mps_role, parent.billed_cost, parent.service) == ("parent", Decimal("25.00"), "Priority")
    child = api.shipment(ledger, carrier="fedex", tracking="794000000009", actor=CLI_OPERATOR)
    assert (child.mps_role, child.lead_tracking_number, child.billed_cost) == (
        "child",
        "794000000001",
        Decimal("15.00"),
    )
    # 2 kg × 2.20462 = 4.40924 → 4.5 lb (rounded up to 0.1); 50.8 cm = 20 in; header's service copied
    assert (child.actual_weight_lb, child.length_in, child.height_in, child.service) == (
        Decimal("4.5"),
        Decimal("20.00"),
        Decimal("1.00"),
        "Priority",
    )
    with pytest.raises(api.NotFound):
        api.shipment(ledger, carrier="fedex", tracking="522218101", actor=CLI_OPERATOR)


def test_the_same_bytes_are_skipped_and_write_only_the_file_row(ledger: Ledger) -> None:
    content = fedex_csv(bill(), due=mps_due())
    first = ingest(ledger, content)
    before = counts(ledger)
    again = ingest(ledger, content)
    assert again.status is api.CarrierFileStatus.SKIPPED and again.invoices == []
    assert first.file_id in (again.message or "")
    after = counts(ledger)
    assert after[0] == before[0] + 1 and after[1:] == before[1:]


def test_another_account_is_rejected_with_an_exception_and_nothing_loaded(ledger: Ledger) -> None:
    rejected = ingest(ledger, fedex_csv(bill(), due=mps_due()), account="000000042", name="week46.csv")
    assert rejected.status is api.CarrierFileStatus.REJECTED and rejected.exception_id
    assert "week46.csv" in (rejected.message or "") and "Bill to Account Number" in (rejected.message or "")
    seen = api.get_exception(ledger, rejected.exception_id, actor=CLI_OPERATOR)
    assert seen.kind == api.ExceptionKind.ERR_FILE_CONTRACT_MISMATCH and "000000042" in seen.message
    file_rows, claims, bills, charges, levels, attributes, exceptions, trackers = counts(ledger)
    assert (file_rows, exceptions) == (1, 1)
    assert (claims, bills, charges, levels, attributes, trackers) == (0, 0, 0, 0, 0, 0)
    # leading zeros do not make another account: the same bytes then load
    assert ingest(ledger, fedex_csv(bill(), due=mps_due()), account="000123456789").status == "loaded"


def test_a_missing_or_broken_header_is_a_contract_mismatch(ledger: Ledger) -> None:
    header = [name for name in fedex_header() if name != "Net Charge Amount"]
    missing = ingest(ledger, fedex_csv(bill(), header=header))
    assert missing.status == "rejected" and "'Net Charge Amount'" in (missing.message or "")
    broken = fedex_header()
    broken[broken.index("Tracking ID Charge Amount")] = "Tracking ID Charge Amt"
    mismatched = ingest(ledger, fedex_csv(bill()[:2], header=broken))
    assert mismatched.status == "rejected" and "pair block" in (mismatched.message or "")
    assert counts(ledger)[1:6] == (0, 0, 0, 0, 0)


def test_an_invoice_that_does_not_add_up_is_not_loaded_the_others_are(ledger: Ledger) -> None:
    result = ingest(ledger, fedex_csv(bill(), due={**mps_due(), "900000002": "30.00"}))
    assert result.status is api.CarrierFileStatus.PARTIAL
    bad = next(i for i in result.invoices if i.invoice_number == "900000002")
    assert bad.status == "rejected" and bad.exception_id
    assert [i.status for i in result.invoices if i is not bad] == ["loaded", "loaded"]
    seen = api.get_exception(ledger, bad.exception_id, actor=CLI_OPERATOR)
    assert seen.kind == api.ExceptionKind.CARRIER_TOTALS_MISMATCH
    assert "27.00" in seen.message and "30.00" in seen.message
    with ledger.db.read() as conn:
        billed = set(conn.execute(sa.select(shipment_charges.c.invoice_number)).scalars())
    assert billed == {"900000001", "900000003"}
    with pytest.raises(api.NotFound):
        api.shipment(ledger, carrier="fedex", tracking="700000000003", actor=CLI_OPERATOR)
    # the corrected invoice, in another file, loads
    fixed = ingest(ledger, fedex_csv([bill()[3]]), name="corrected.csv")
    assert fixed.status == "loaded" and fixed.invoices[0].status == "loaded"


def test_a_later_invoice_rebilling_a_tracking_number_adds_charges(ledger: Ledger) -> None:
    ingest(ledger, fedex_csv(bill(), due=mps_due()))
    later = [FedexRow("900000009", "20261123", "700000000001", "10.00", [("Fuel Surcharge", "1.50")])]
    assert ingest(ledger, fedex_csv(later), name="week47.csv").status == "loaded"
    view = api.shipment(ledger, carrier="fedex", tracking="700000000001", actor=CLI_OPERATOR)
    assert view.billed_cost == Decimal("23.00")
    assert [c.invoice_number for c in view.charges if c.is_freight] == ["900000001", "900000009"]


def test_bom_crlf_and_quoted_commas_load_like_a_plain_file(ledger: Ledger) -> None:
    rows = [
        FedexRow(
            "900000001",
            "20261109",
            "700000000001",
            "10.00",
            [("Fuel Surcharge", "1.50")],
            extra={"Recipient Company": 'Acme, "West" LLC'},
        )
    ]
    content = fedex_csv(rows, bom=True, line_end="\r\n")
    assert b'"Acme, ""West"" LLC"' in content
    result = ingest(ledger, content)
    assert result.status == "loaded" and result.invoices[0].net_total == Decimal("11.50")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"caf\xe9,bill\n1,2\n", "UTF-8"),
        (
            fedex_csv([FedexRow("900000001", "20261109", "700000000001", "ten", net="10.00")]),
            "'ten' is not a number",
        ),
        (fedex_csv([FedexRow("900000001", "20261109", "700000000001", "10.00")])[:-40], "columns"),
        (",".join(fedex_header()).encode(), "no rows"),
    ],
    ids=["empty", "binary", "not-utf8", "non-numeric", "truncated", "header-only"],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(ledger: Ledger, content: bytes, says: str) -> None:
    before = counts(ledger)
    with pytest.raises(ValidationError, match=says):
        ingest(ledger, content)
    assert counts(ledger) == before


def test_the_carriers_commands_print_the_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "false")
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)

    def run(*args: str) -> tuple[int, Any]:
        code = main(list(args))
        return code, json.loads(capsys.readouterr().out)

    bill_file = tmp_path / "bill.csv"
    bill_file.write_bytes(fedex_csv(bill(), due=mps_due()))
    assert run("users", "add", "--email", "m@test.local", "--role", "manager")[0] == 0
    code, loaded = run(
        "carriers",
        "ingest",
        str(bill_file),
        "--carrier",
        "fedex",
        "--account",
        ACCOUNT,
        "--user",
        "m@test.local",
    )
    assert code == 0 and loaded["status"] == "loaded" and loaded["rows"] == 7
    assert set(loaded) == {
        "status",
        "file_id",
        "file_hash",
        "carrier",
        "account",
        "rows",
        "invoices",
        "exception_id",
        "message",
        "trace_id",
    }
    first = next(i for i in loaded["invoices"] if i["invoice_number"] == "900000001")
    assert first == {
        "invoice_number": "900000001",
        "invoice_date": "2026-11-09",
        "rows": 3,
        "net_total": "55.25",
        "amount_due": "55.25",
        "packages": 2,
        "invoice_level_total": "16.00",
        "status": "loaded",
        "exception_id": None,
    }
    code, invoices = run("carriers", "invoices", "--carrier", "fedex")
    assert code == 0 and {i["invoice_number"] for i in invoices} == {"900000001", "900000002", "900000003"}
    code, shown = run("carriers", "shipment", "--carrier", "fedex", "--tracking", "700000000002")
    assert code == 0 and shown["billed_cost"] == "27.75" and len(shown["charges"]) == 4
