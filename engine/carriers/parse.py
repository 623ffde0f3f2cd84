"""Read a row-per-charge bill (UPS) into typed rows and invoices: pure, no store (DOMAIN steps 3 and 5).

FedEx bills are read set-based in DuckDB instead (``engine.carriers.fedex``, ``sql/carriers/``).

Everything stays a string until it is converted on purpose: accounts, tracking ids and zip codes
keep their leading zeros, amounts become ``Decimal`` (never float).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from engine.carriers import layout as L
from engine.carriers.contract import Columns
from engine.errors import ValidationError

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
KG_TO_LB = Decimal("2.20462")  # DOMAIN: kg × 2.20462, rounded up to 0.1 lb
CM_PER_INCH = Decimal("2.54")
KG_UNITS = {"K", "KG", "KGS"}


@dataclass(frozen=True)
class Charge:
    name: str
    amount: Decimal
    adjustment: bool = False  # stated by the file (UPS category ADJ), else the seed's name rule decides


@dataclass
class BillRow:
    file_row: int  # 1-based line of the file, the header being row 1
    invoice_number: str
    invoice_date: date
    tracking: str
    freight: Decimal | None
    net: Decimal
    amount_due: Decimal | None
    rated_weight_lb: Decimal | None
    actual_weight_lb: Decimal | None
    pairs: list[Charge]
    service: str | None
    ship_date: date | None
    length_in: Decimal | None
    width_in: Decimal | None
    height_in: Decimal | None
    dim_divisor: int | None
    mps_package_id: str
    lead_shipment: str = ""  # UPS: the multi-piece group's lead tracking number
    freight_name: str = L.FREIGHT_CHARGE  # the charge type the freight amount is written under
    level: bool | None = None  # a layout's own invoice-level rule (UPS: empty tracking number)
    # set by classify(): the shipment this row bills and its MPS role
    shipment: str = ""
    mps_role: str | None = None
    lead: str | None = None

    @property
    def invoice_level(self) -> bool:
        """CARRIERS.md: no freight and no rated weight → a charge of the invoice, not a shipment."""
        if self.level is not None:
            return self.level
        return not self.freight and not self.rated_weight_lb

    @property
    def mps_header(self) -> bool:
        return self.mps_role == "header"


@dataclass
class Invoice:
    invoice_number: str
    invoice_date: date
    rows: list[BillRow] = field(default_factory=list)
    problem: str | None = None  # why its control totals fail
    per_charge: bool = False  # UPS: one row per charge, so packages are distinct tracking numbers

    @property
    def counted(self) -> list[BillRow]:
        # An MPS group header is a summary of its members: counting it too would bill them twice.
        return [row for row in self.rows if not row.mps_header]

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def net_total(self) -> Decimal:
        return sum((row.net for row in self.counted), Decimal("0.00"))

    @property
    def amount_due(self) -> Decimal | None:
        return next((row.amount_due for row in self.rows if row.amount_due is not None), None)

    @property
    def packages(self) -> int:
        if self.per_charge:
            return len({row.shipment for row in self.counted if not row.invoice_level})
        return sum(1 for row in self.counted if not row.invoice_level)

    @property
    def invoice_level_total(self) -> Decimal:
        return sum((row.net for row in self.rows if row.invoice_level), Decimal("0.00"))


def read_csv(content: bytes, *, source: str) -> list[list[str]]:
    """Every non-blank row of a CSV bill (``source`` names where to export it again)."""
    if not content.strip():
        raise ValidationError(f"The file is empty: export the bill again from {source}.", field="file")
    if b"\x00" in content:
        raise ValidationError("The file is binary, not a CSV bill.", field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The file is not UTF-8 text (byte {exc.start}); save the bill as CSV UTF-8.", field="file"
        ) from exc
    try:
        table = [
            row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)
        ]
    except csv.Error as exc:
        raise ValidationError(f"The file is not a readable CSV: {exc}.", field="file") from exc
    if not table:
        raise ValidationError("The file is empty.", field="file")
    return table


class CellRow:
    """One CSV row read by name, with errors that name the row and the column."""

    def __init__(self, cells: list[str], columns: Columns, number: int) -> None:
        if len(cells) != columns.width:
            raise ValidationError(
                f"Row {number} has {len(cells)} columns, the header has {columns.width} "
                "(a truncated or broken line); export the bill again.",
                field="file",
            )
        self.cells, self.columns, self.number = cells, columns, number

    def text(self, name: str) -> str:
        at = self.columns.index.get(name)
        return self.cells[at].strip() if at is not None else ""

    def amount(self, name: str, raw: str | None = None) -> Decimal | None:
        value = self.text(name) if raw is None else raw.strip()
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise ValidationError(f"Row {self.number}: {name} {value!r} is not a number.", field=name)
        if number != number.quantize(CENT):
            raise ValidationError(
                f"Row {self.number}: {name} {value!r} has more than 2 decimals.", field=name
            )
        return number.quantize(CENT)

    def decimal(self, name: str) -> Decimal | None:
        value = self.text(name)
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number < 0:
            raise ValidationError(f"Row {self.number}: {name} {value!r} is not a number.", field=name)
        return number

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return datetime.strptime(value, "%Y%m%d").date()
        except ValueError as exc:
            raise ValidationError(
                f"Row {self.number}: {name} {value!r} is not yyyymmdd.", field=name
            ) from exc

    def pounds(self, amount: str, units: str) -> Decimal | None:
        value = self.decimal(amount)
        if value is None:
            return None
        if self.text(units).upper() in KG_UNITS:
            value = value * KG_TO_LB
        return value.quantize(TENTH, rounding=ROUND_CEILING)

    def inches(self, name: str) -> Decimal | None:
        value = self.decimal(name)
        if value is None:
            return None
        if self.text(L.DIM_UNIT).upper() == "C":
            value = value / CM_PER_INCH
        return value.quantize(CENT, rounding=ROUND_HALF_UP)

    def pairs(self) -> list[Charge]:
        charges = []
        for slot, (at_name, at_amount) in enumerate(self.columns.pairs, 1):
            name, raw = self.cells[at_name].strip(), self.cells[at_amount]
            amount = self.amount(f"charge pair {slot} amount", raw)
            if not name and amount is None:
                continue  # each charge type keeps its slot: empty slots lie between
            if not name:
                raise ValidationError(
                    f"Row {self.number}: charge pair {slot} has an amount and no description.",
                    field="file",
                )
            charges.append(Charge(name, amount or Decimal("0")))
        return charges


def group_invoices(
    rows: list[BillRow], *, mps: Callable[[Invoice], None], per_charge: bool = False
) -> list[Invoice]:
    """Invoices in file order, each checked against its control totals (``mps``: the layout's
    multi-piece rule)."""
    invoices: dict[str, Invoice] = {}
    for row in rows:
        invoice = invoices.setdefault(
            row.invoice_number, Invoice(row.invoice_number, row.invoice_date, per_charge=per_charge)
        )
        invoice.rows.append(row)
    for invoice in invoices.values():
        mps(invoice)
        invoice.problem = _control_totals(invoice)
    return list(invoices.values())


def _control_totals(invoice: Invoice) -> str | None:
    for row in invoice.rows:
        billed = (row.freight or Decimal("0")) + sum((c.amount for c in row.pairs), Decimal("0"))
        if billed != row.net:
            return f"row {row.file_row}: Net Charge Amount {row.net} ≠ transportation + charges {billed}"
    due = invoice.amount_due
    if due is not None and invoice.net_total != due:
        return f"Σ Net Charge Amount {invoice.net_total} ≠ Original Amount Due {due}"
    return None
