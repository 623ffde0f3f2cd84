"""The managers' desk's demo month: a FedEx bill of four weekly invoices, a UPS bill of four weekly
invoices and one WMS export of the same packages (both carriers), with the findings a logistics
manager looks for planted in them.

    bill = demo_bill(today)       # bytes of a 210-column FedEx CSV, account ``ACCOUNT``
    ups = demo_ups_bill(today)    # bytes of a UPS Billing Data v2.1 file, account ``UPS_ACCOUNT``
    wms = demo_wms(today)         # bytes of a WMS shipment export (CSV), FedEx and UPS rows
    for b in demo_bills(today): ...  # every carrier's bill with its carrier, account and file name

Planted (reconciled as of ``today`` with the default settings):
- ``COST_TRACKING``: a residential surcharge the WMS did not expect (COST_VARIANCE, +6.50);
- ``WEIGHT_TRACKING``: billed at 12 lb, shipped at 5 lb (WEIGHT_VARIANCE);
- ``DUPLICATE_TRACKING``: billed on the first invoice and again on the third (DUPLICATE_BILLING);
- a weekly service charge on the second invoice: an invoice-level row, no shipment;
- ``UNBILLED_TRACKINGS``: two packages the WMS shipped that no invoice bills, older than the
  grace days (SHIPPED_NOT_BILLED);
- UPS: ``UPS_COST_TRACKING``, billed on the second invoice and corrected upwards by an ``ADJ`` row on
  the third (COST_VARIANCE, +7.25); a service charge without tracking number on the fourth
  (invoice-level); ``UPS_UNBILLED_TRACKING``, shipped and never billed (SHIPPED_NOT_BILLED).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from engine.demo.carriers import ACCOUNT, UPS_ACCOUNT, FedexRow, UpsRow, fedex_csv, ups_csv
from engine.wms.importer import COLUMNS as WMS_COLUMNS

INVOICES = 4  # one bill a week for a month
PER_INVOICE = 8  # packages shipped each week
FIRST_SHIP_DAYS_AGO = 42  # six weeks back: the last week's packages are past the 21 grace days too
COST_TRACKING = "794600000005"
WEIGHT_TRACKING = "794600000011"
DUPLICATE_TRACKING = "794600000002"
UNBILLED_TRACKINGS = ("794699000001", "794699000002")
SERVICE_CHARGE_ROW = "522218101"  # FedEx bills weekly service charges on a row of its own
WMS_HEADER = list(WMS_COLUMNS)  # the import's own column names
UPS_INVOICES = 4
UPS_PER_INVOICE = 5
UPS_COST_TRACKING = "1ZA1B2C30300000006"
UPS_CORRECTION = Decimal("7.25")  # the ADJ row's amount: the UPS audit billed the package again
UPS_UNBILLED_TRACKING = "1ZA1B2C30399000001"
UPS_SERVICE_CHARGE = Decimal("4.00")  # an invoice-level row: no tracking number


@dataclass(frozen=True)
class DemoBill:
    carrier: str
    account: str
    file_name: str
    content: bytes


def _first_ship_day(today: date) -> date:
    return today - timedelta(days=FIRST_SHIP_DAYS_AGO)


def _packages(today: date) -> list[tuple[int, str, date, Decimal, Decimal]]:
    """(invoice index, tracking, ship day, freight, fuel) of every package billed once."""
    start = _first_ship_day(today)
    found = []
    for index in range(INVOICES * PER_INVOICE):
        week, day = divmod(index, PER_INVOICE)
        freight = Decimal("8.00") + Decimal("1.25") * (index % 7)
        fuel = (freight * Decimal("0.1")).quantize(Decimal("0.01"))
        ship = start + timedelta(days=7 * week + day % 5)
        found.append((week, f"7946{index:08d}", ship, freight, fuel))
    return found


def _invoice(today: date, week: int) -> tuple[str, str]:
    """(number, yyyymmdd) of the week's invoice: dated the Monday-ish day after its week."""
    day = _first_ship_day(today) + timedelta(days=7 * week + 7)
    return f"9{day:%y%m%d}{week + 1:02d}", f"{day:%Y%m%d}"


def demo_bill(today: date) -> bytes:
    rows: list[FedexRow] = []
    by_tracking = {}
    for week, tracking, ship, freight, fuel in _packages(today):
        number, day = _invoice(today, week)
        charges = [("Fuel Surcharge", f"{fuel}")]
        if tracking == COST_TRACKING:
            charges.append(("Residential", "6.50"))
        row = FedexRow(
            number,
            day,
            tracking,
            f"{freight}",
            charges,
            ship_date=f"{ship:%Y%m%d}",
            rated="12" if tracking == WEIGHT_TRACKING else None,
        )
        rows.append(row)
        by_tracking[tracking] = row
        if week == 1 and tracking.endswith("15"):  # the week's last package, then the service charge
            rows.append(FedexRow(number, day, SERVICE_CHARGE_ROW, "", [("Weekly Service Chg", "16.00")]))
    again = by_tracking[DUPLICATE_TRACKING]
    number, day = _invoice(today, 2)
    rows.append(
        FedexRow(number, day, DUPLICATE_TRACKING, again.freight, again.charges, ship_date=again.ship_date)
    )
    return fedex_csv(rows)


def _ups_packages(today: date) -> list[tuple[int, str, date, Decimal, Decimal]]:
    """(invoice index, tracking, ship day, freight, fuel) of every UPS package."""
    start = _first_ship_day(today)
    found = []
    for index in range(UPS_INVOICES * UPS_PER_INVOICE):
        week, day = divmod(index, UPS_PER_INVOICE)
        freight = Decimal("9.50") + Decimal("0.75") * (index % 4)
        fuel = (freight * Decimal("0.12")).quantize(Decimal("0.01"))
        ship = start + timedelta(days=7 * week + 1 + day % 5)
        found.append((week, f"1ZA1B2C303{index:08d}", ship, freight, fuel))
    return found


def _ups_invoice(today: date, week: int) -> tuple[str, str]:
    """(number, YYYY-MM-DD) of the week's UPS invoice: UPS bills on the Saturday-ish day after."""
    day = _first_ship_day(today) + timedelta(days=7 * week + 6)
    return f"000{UPS_ACCOUNT[-6:]}{day:%y%m%d}", day.isoformat()


def demo_ups_bill(today: date) -> bytes:
    rows: list[UpsRow] = []
    for week, tracking, ship, freight, fuel in _ups_packages(today):
        number, day = _ups_invoice(today, week)
        shipped = ship.isoformat()
        rows.append(UpsRow(number, day, tracking, f"{freight}", transaction_date=shipped))
        rows.append(
            UpsRow(
                number,
                day,
                tracking,
                f"{fuel}",
                classification="FSC",
                description="Fuel Surcharge",
                transaction_date=shipped,
            )
        )
        if tracking == UPS_COST_TRACKING:
            # the correction comes a week later, on the next invoice
            later, later_day = _ups_invoice(today, week + 1)
            rows.append(
                UpsRow(
                    later,
                    later_day,
                    tracking,
                    f"{UPS_CORRECTION}",
                    category="ADJ",
                    classification="FRT",
                    description="Shipping Charge Correction",
                    transaction_date=shipped,
                )
            )
    number, day = _ups_invoice(today, UPS_INVOICES - 1)
    service_charge = f"{UPS_SERVICE_CHARGE}"  # no tracking number: a charge of the invoice
    rows.append(
        UpsRow(
            number,
            day,
            "",
            service_charge,
            category="MIS",
            classification="ACC",
            description="Service Charge",
        )
    )
    # UPS files list the rows invoice by invoice
    order = {_ups_invoice(today, week)[0]: week for week in range(UPS_INVOICES)}
    return ups_csv(sorted(rows, key=lambda row: order[row.invoice]))


def demo_bills(today: date) -> list[DemoBill]:
    """The month's bills, one file per carrier, in the order the demo loads them."""
    return [
        DemoBill("fedex", ACCOUNT, "fedex-demo-month.csv", demo_bill(today)),
        DemoBill("ups", UPS_ACCOUNT, "ups-demo-month.csv", demo_ups_bill(today)),
    ]


def demo_wms(today: date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(WMS_HEADER)
    shipped = [("FedEx", t, s, f + fuel) for _, t, s, f, fuel in _packages(today)]
    start = _first_ship_day(today)
    shipped += [
        ("FedEx", t, start + timedelta(days=3 + n), Decimal("9.90")) for n, t in enumerate(UNBILLED_TRACKINGS)
    ]
    shipped += [("UPS", t, s, f + fuel) for _, t, s, f, fuel in _ups_packages(today)]
    shipped += [("UPS", UPS_UNBILLED_TRACKING, start + timedelta(days=4), Decimal("10.64"))]
    for carrier, tracking, ship, expected in shipped:
        order = f"SO-{tracking[-5:]}" if carrier == "FedEx" else f"SO-U{tracking[-5:]}"
        writer.writerow(
            [
                carrier,
                tracking,
                ship.isoformat(),
                order,
                "Ground",
                f"{expected}",
                "USD",
                "5",
                "lb",
                "10",
                "8",
                "6",
                "in",
            ]
        )
    return out.getvalue().encode()


__all__ = [
    "ACCOUNT",
    "COST_TRACKING",
    "DUPLICATE_TRACKING",
    "UNBILLED_TRACKINGS",
    "UPS_ACCOUNT",
    "UPS_COST_TRACKING",
    "UPS_UNBILLED_TRACKING",
    "WEIGHT_TRACKING",
    "DemoBill",
    "demo_bill",
    "demo_bills",
    "demo_ups_bill",
    "demo_wms",
]
