"""Synthetic FedEx Billing Online bills built from the reference header (tests, demo data, benchmarks).

    rows = [
        FedexRow("900000001", "20261109", "700000000001", "10.00", [("Fuel Surcharge", "1.50")]),
        FedexRow("900000001", "20261109", "522218101", "", [("Weekly Service Chg", "16.00")], rated=""),
    ]
    content = fedex_csv(rows)  # bytes of a 210-column CSV

``Net Charge Amount`` is freight + Σ charges unless a row gives ``net``; ``Original Amount Due`` is
Σ net of the row's invoice unless ``due`` overrides it per invoice (``""`` leaves the column empty).
A charge goes to the pair slot of its name (one fixed slot per charge type within a file, with empty
slots between, as in real files); ``slot`` on a row overrides that for its charges.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from engine.carriers import layout as L

ACCOUNT = "123456789"


@dataclass(frozen=True)
class FedexRow:
    invoice: str
    date: str  # yyyymmdd
    tracking: str
    freight: str  # "" for a row that is no shipment
    charges: Sequence[tuple[str, str]] = ()
    account: str = ACCOUNT
    rated: str | None = None  # default: "5" with freight, "" without
    weight: str = "5"
    weight_units: str = "lbs"
    ship_date: str = "20261102"
    service: str = "Ground"
    dims: tuple[str, str, str] = ("10", "8", "6")
    dim_unit: str = "I"
    divisor: str = "139"
    mps_package_id: str = ""
    net: str | None = None  # default: freight + Σ charges
    extra: dict[str, str] = field(default_factory=dict)  # any other column by name

    def net_amount(self) -> Decimal:
        if self.net is not None:
            return Decimal(self.net)
        return sum((Decimal(a or "0") for a in [self.freight, *(a for _, a in self.charges)]), Decimal("0"))


def fedex_header() -> list[str]:
    return list(L.fedex_layout().header)


def fedex_csv(
    rows: Sequence[FedexRow],
    *,
    due: dict[str, str] | None = None,
    header: list[str] | None = None,
    line_end: str = "\n",
    bom: bool = False,
) -> bytes:
    """The bytes of a FedEx bill with ``rows`` (``header`` overrides the reference header)."""
    names = header or fedex_header()
    first: dict[str, int] = {}
    for at, name in enumerate(names):
        first.setdefault(name, at)
    pairs = [at for at, name in enumerate(names) if name == L.fedex_layout().pair_description]
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.invoice] = totals.get(row.invoice, Decimal("0")) + row.net_amount()
    slots: dict[str, int] = {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(names)
    for row in rows:
        cells = [""] * len(names)
        shipment = bool(row.freight)
        amount_due = (due or {}).get(row.invoice, f"{totals[row.invoice]:.2f}")
        values = {
            L.ACCOUNT: row.account,
            L.INVOICE_DATE: row.date,
            L.INVOICE_NUMBER: row.invoice,
            L.AMOUNT_DUE: amount_due,
            L.TRACKING: row.tracking,
            L.FREIGHT: row.freight,
            L.NET: f"{row.net_amount():.2f}",
            L.SERVICE: row.service if shipment else "",
            L.SHIP_DATE: row.ship_date if shipment else "",
            L.ACTUAL_WEIGHT: row.weight if shipment else "",
            L.ACTUAL_UNITS: row.weight_units if shipment else "",
            L.RATED_WEIGHT: (row.rated if row.rated is not None else "5") if shipment else (row.rated or ""),
            L.RATED_UNITS: row.weight_units if shipment else "",
            L.DIM_LENGTH: row.dims[0] if shipment else "",
            L.DIM_WIDTH: row.dims[1] if shipment else "",
            L.DIM_HEIGHT: row.dims[2] if shipment else "",
            L.DIM_DIVISOR: row.divisor if shipment else "",
            L.DIM_UNIT: row.dim_unit if shipment else "",
            L.MPS_PACKAGE_ID: row.mps_package_id,
            **row.extra,
        }
        for name, value in values.items():
            if name in first:
                cells[first[name]] = value
        for name, amount in row.charges:
            # every third slot: charge types keep fixed slots with empty ones between
            slot = slots.setdefault(name, pairs[(len(slots) * 3) % len(pairs)])
            cells[slot], cells[slot + 1] = name, amount
        writer.writerow(cells)
    text = out.getvalue()
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
