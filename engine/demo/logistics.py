"""The managers' desk's demo month: a FedEx bill of four weekly invoices and the WMS export of the
same packages, with the findings a logistics manager looks for planted in it.

    bill = demo_bill(today)   # bytes of a 210-column FedEx CSV, account ``ACCOUNT``
    wms = demo_wms(today)     # bytes of a WMS shipment export (CSV)

Planted (reconciled as of ``today`` with the default settings):
- ``COST_TRACKING``: a residential surcharge the WMS did not expect (COST_VARIANCE, +6.50);
- ``WEIGHT_TRACKING``: billed at 12 lb, shipped at 5 lb (WEIGHT_VARIANCE);
- ``DUPLICATE_TRACKING``: billed on the first invoice and again on the third (DUPLICATE_BILLING);
- a weekly service charge on the second invoice: an invoice-level row, no shipment;
- ``UNBILLED_TRACKINGS``: two packages the WMS shipped that no invoice bills, older than the
  grace days (SHIPPED_NOT_BILLED).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from engine.demo.carriers import ACCOUNT, FedexRow, fedex_csv
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


def demo_wms(today: date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(WMS_HEADER)
    shipped = [(t, s, f + fuel) for _, t, s, f, fuel in _packages(today)]
    start = _first_ship_day(today)
    shipped += [(t, start + timedelta(days=3 + n), Decimal("9.90")) for n, t in enumerate(UNBILLED_TRACKINGS)]
    for tracking, ship, expected in shipped:
        order = f"SO-{tracking[-5:]}"
        writer.writerow(
            [
                "FedEx",
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
    "WEIGHT_TRACKING",
    "demo_bill",
    "demo_wms",
]
