"""Synthetic FedEx Billing Online and UPS Billing Data bills built from the reference layouts (tests,
demo data, benchmarks).

    rows = [
        FedexRow("900000001", "20261109", "700000000001", "10.00", [("Fuel Surcharge", "1.50")]),
        FedexRow("900000001", "20261109", "522218101", "", [("Weekly Service Chg", "16.00")], rated=""),
    ]
    content = fedex_csv(rows)  # bytes of a 210-column CSV
    older = fedex_csv(rows, header=fedex_header(156))  # the older layout: 25 pairs, no MPS Package ID

``Net Charge Amount`` is freight + Σ charges unless a row gives ``net``; ``Original Amount Due`` is
Σ net of the row's invoice unless ``due`` overrides it per invoice (``""`` leaves the column empty).
A charge goes to the pair slot of its name (one fixed slot per charge type within a file, with empty
slots between, as in real files); ``slot`` on a row overrides that for its charges.

    ups = [UpsRow("0000E1234567", "2026-11-14", "1Z0000000000000001", "12.00")]  # freight
    content = ups_csv(ups)  # bytes of a 250-column file, no header row

A UPS row is one charge; ``Invoice Amount`` is Σ net of the row's invoice unless ``amounts`` overrides it.
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


def fedex_header(columns: int = 210) -> list[str]:
    """The reference header of the current (210 columns) or the older (156 columns) FedEx layout."""
    if columns == len(L.fedex_layout().header):
        return list(L.fedex_layout().header)
    lines = (L.LAYOUT_DIR / f"fedex_fbo_header_{columns}.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if line.strip()]


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


UPS_ACCOUNT = "0000A1B2C3"  # UPS accounts are 6 characters, exported zero-padded to 10


@dataclass(frozen=True)
class UpsRow:
    invoice: str
    date: str  # as the file has it: YYYY-MM-DD or M/D/YY
    tracking: str  # "" for an invoice-level row
    net: str
    category: str = "SHP"  # SHP, ADJ, RTN, MIS
    classification: str = "FRT"  # FRT, ACC, FSC, INF
    description: str = "Ground"
    lead: str | None = None  # default: the tracking number itself
    account: str = UPS_ACCOUNT
    billed_weight: str = "5"
    entered_weight: str = "4.2"
    weight_unit: str = "L"
    transaction_date: str = "2026-11-10"
    incentive: str = "0.00"
    quantity: str = "1"
    zone: str = "005"
    version: str = "2.1"
    extra: dict[int, str] = field(default_factory=dict)  # any other column by 0-based position


def ups_csv(
    rows: Sequence[UpsRow],
    *,
    amounts: dict[str, str] | None = None,
    header: bool = False,
    width: int | None = None,
) -> bytes:
    """The bytes of a UPS Billing Data v2.1 file (``header`` adds the reference header row, ``width``
    cuts or pads every row to another column count)."""
    layout = L.ups_layout()
    at = layout.columns
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.invoice] = totals.get(row.invoice, Decimal("0")) + Decimal(row.net)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(layout.header)
    for row in rows:
        cells = [""] * layout.width
        package = bool(row.tracking)
        values = {
            layout.version_column: row.version,
            at["account"]: row.account,
            at["invoice_date"]: row.date,
            at["invoice_number"]: row.invoice,
            at["invoice_amount"]: (amounts or {}).get(row.invoice, f"{totals[row.invoice]:.2f}"),
            at["transaction_date"]: row.transaction_date if package else "",
            at["lead_shipment"]: (row.tracking if row.lead is None else row.lead) if package else "",
            at["package_quantity"]: row.quantity if package else "",
            at["tracking"]: row.tracking,
            at["entered_weight"]: row.entered_weight if package else "",
            at["entered_weight_unit"]: row.weight_unit if package else "",
            at["billed_weight"]: row.billed_weight if package else "",
            at["billed_weight_unit"]: row.weight_unit if package else "",
            at["zone"]: row.zone if package else "",
            at["charge_category"]: row.category,
            at["charge_classification"]: row.classification,
            at["charge_description"]: row.description,
            at["incentive"]: row.incentive,
            at["net"]: row.net,
            **row.extra,
        }
        for position, value in values.items():
            cells[position] = value
        if width is not None:
            cells = (cells + [""] * width)[:width]
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")
