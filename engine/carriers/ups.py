"""UPS Billing Data v2.1: the positional contract check and the reader into the loader's rows.

UPS files carry no header (one exported with a header row is tolerated), 250 columns, the version
``2.1`` in column 0, and **one row per charge**: each row becomes a ``BillRow`` holding one charge, the
freight (category ``SHP``, classification ``FRT``, net > 0, DOMAIN) as the row's freight and anything
else as its one pair. Rows without a tracking number are invoice-level charges (CARRIERS.md).
Multi-piece shipments group on the lead shipment number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from engine.carriers.contract import Columns, normalise_account
from engine.carriers.layout import PositionalLayout, ups_layout
from engine.carriers.parse import BillRow, CellRow, Charge, Invoice, group_invoices
from engine.errors import ContractMismatch, ValidationError

SOURCE = "UPS Billing Center (Billing Data, v2.1)"


@dataclass(frozen=True)
class Table:
    """The data rows of a positional bill with their 1-based file lines."""

    rows: list[list[str]]
    first_line: int  # 2 when a header row was dropped


def columns(layout: PositionalLayout) -> Columns:
    return Columns(index=dict(layout.columns), pairs=(), width=layout.width)


def check_contract(table: list[list[str]], account: str, layout: PositionalLayout | None = None) -> Table:
    """Width, version and account of every row, by position; the first mismatch is named with its line."""
    layout = layout or ups_layout()
    first_line = 1
    if table and _is_header(table[0], layout):
        table, first_line = table[1:], 2
    if not table:
        raise ContractMismatch(f"no {layout.name} rows after the header row")
    chosen = normalise_account(account)
    at_version, at_account = layout.version_column, layout.at("account")
    for line, row in enumerate(table, first_line):
        if len(row) != layout.width:
            raise ContractMismatch(f"row {line} has {len(row)} columns, {layout.name} has {layout.width}")
        if row[at_version].strip() != layout.version:
            raise ContractMismatch(
                f"row {line}: column {at_version} is {row[at_version].strip()!r}, "
                f"{layout.name} has {layout.version!r}"
            )
        found = row[at_account]
        if normalise_account(found) != chosen:
            raise ContractMismatch(
                f"row {line}: Account Number (column {at_account}) is {found.strip()!r}, "
                f"the chosen account is {account!r}"
            )
    return Table(rows=table, first_line=first_line)


def _is_header(row: list[str], layout: PositionalLayout) -> bool:
    """One header row is tolerated: its first cell names the version column instead of holding it."""
    first = row[layout.version_column].strip() if row else ""
    return first.lower() == layout.header[layout.version_column].lower()


def read_invoices(table: Table, layout: PositionalLayout | None = None) -> list[Invoice]:
    layout = layout or ups_layout()
    where = columns(layout)
    rows = [
        _bill_row(CellRow(cells, where, line), layout)
        for line, cells in enumerate(table.rows, table.first_line)
    ]
    return group_invoices(rows, mps=classify_by_lead, per_charge=True)


def _day(row: CellRow, role: str, layout: PositionalLayout) -> date | None:
    value = row.text(role)
    if not value:
        return None
    for pattern in layout.date_formats:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValidationError(
        f"Row {row.number}: {role.replace('_', ' ')} {value!r} is not YYYY-MM-DD or M/D/YY.", field=role
    )


def _bill_row(row: CellRow, layout: PositionalLayout) -> BillRow:
    invoice_number = row.text("invoice_number")
    invoice_date = _day(row, "invoice_date", layout)
    if not invoice_number or invoice_date is None:
        raise ValidationError(f"Row {row.number}: the invoice number or invoice date is empty.", field="file")
    net = row.amount("net") or Decimal("0.00")
    category = row.text("charge_category").upper()
    classification = row.text("charge_classification").upper()
    description = row.text("charge_description") or " ".join(
        part for part in (category, row.text("charge_category_detail"), classification) if part
    )
    freight = (
        category == layout.freight_category and classification == layout.freight_classification and net > 0
    )
    # Informational rows bill nothing: they add no charge (a non-zero one stays a charge, never lost).
    informational = classification in layout.informational_classifications and not net
    pairs = (
        []
        if freight or informational
        else [Charge(description, net, adjustment=category in layout.adjustment_categories)]
    )
    tracking = row.text("tracking")
    return BillRow(
        file_row=row.number,
        invoice_number=invoice_number,
        invoice_date=invoice_date,
        tracking=tracking,
        freight=net if freight else None,
        net=net,
        amount_due=row.amount("invoice_amount"),
        rated_weight_lb=row.pounds("billed_weight", "billed_weight_unit"),
        actual_weight_lb=row.pounds("entered_weight", "entered_weight_unit"),
        pairs=pairs,
        # the freight row's description is the service level ("Ground", "Next Day Air")
        service=description if freight else None,
        ship_date=_day(row, "transaction_date", layout),
        length_in=None,
        width_in=None,
        height_in=None,
        dim_divisor=None,
        mps_package_id="",
        lead_shipment=row.text("lead_shipment"),
        freight_name=description,
        level=not tracking,
    )


def classify_by_lead(invoice: Invoice) -> None:
    """CARRIERS.md: a multi-piece shipment is the packages sharing a lead shipment number within the
    invoice; the lead's own package is the parent, the others children of it."""
    groups: dict[str, set[str]] = {}
    for row in invoice.rows:
        row.shipment = row.tracking
        if not row.invoice_level:
            groups.setdefault(row.lead_shipment or row.tracking, set()).add(row.tracking)
    for row in invoice.rows:
        lead = row.lead_shipment or row.tracking
        if row.invoice_level or not groups[lead] - {lead}:
            continue  # a lead with no other package: a single-piece shipment
        if row.tracking == lead:
            row.mps_role = "parent"
        else:
            row.mps_role, row.lead = "child", lead
