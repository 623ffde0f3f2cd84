"""A UPS Billing Data v2.1 bill through the set-based pipeline: positions, not names (issue 9 §1; the
SQL is in ``sql/carriers/ups_*.sql``).

UPS files carry no header (one exported with a header row is tolerated), 250 columns, the version
``2.1`` in column 0, and **one row per charge**: the freight (category ``SHP``, classification ``FRT``,
net > 0, DOMAIN) is the row's freight under its service's name, anything else the row's one charge.
Rows without a tracking number are invoice-level charges (CARRIERS.md). Multi-piece shipments group
on the lead shipment number. The width of every line, its version and its account make the contract:
a file that breaks it is refused whole (and kept to be re-run).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engine.carriers import staged
from engine.carriers.layout import PositionalLayout, ups_layout
from engine.carriers.stage import BillStage
from engine.errors import ContractMismatch, ValidationError

SOURCE = "UPS Billing Center (Billing Data, v2.1)"
# The layout's roles the stage reads, beside the version column.
ROLES = (
    "account",
    "invoice_date",
    "invoice_number",
    "invoice_amount",
    "transaction_date",
    "lead_shipment",
    "tracking",
    "entered_weight",
    "entered_weight_unit",
    "billed_weight",
    "billed_weight_unit",
    "charge_category",
    "charge_category_detail",
    "charge_classification",
    "charge_description",
    "net",
)
# ups_first_error.sql's checks, in the order a row's cells are read: (role, what it must be).
CHECKS = {
    2: ("invoice_date", "day"),
    3: ("net", "money"),
    4: ("invoice_amount", "money"),
    5: ("billed_weight", "number"),
    6: ("entered_weight", "number"),
    7: ("transaction_date", "day"),
    8: ("invoice_number", "text:40"),
    9: ("tracking", "text:40"),
    10: ("lead_shipment", "text:40"),
    11: ("charge_description", "text:100"),  # a freight row's description is the service
}


def looks_like(first: list[str], layout: PositionalLayout | None = None) -> bool:
    """A UPS Billing Data line: the layout's width, and its version (or the header's name) first."""
    layout = layout or ups_layout()
    cell = first[layout.version_column].strip().lower() if first else ""
    names = (layout.version.lower(), layout.header[layout.version_column].lower())
    return len(first) == layout.width and cell in names


def file_account(path: Path, layout: PositionalLayout | None = None) -> str:
    """The account the bill's first data row bills (the contract then holds every row to it)."""
    layout = layout or ups_layout()
    rows = staged.first_rows(path, 2)
    if rows and contract(path, layout) == 1:
        rows = rows[1:]
    at = layout.at("account")
    return rows[0][at].strip() if rows and at < len(rows[0]) else ""


def contract(path: Path, layout: PositionalLayout | None = None) -> int | ContractMismatch:
    """How many lines to skip (one tolerated header row), or why the file is no UPS bill."""
    layout = layout or ups_layout()
    first = staged.first_row(path, source=SOURCE)
    cell = first[layout.version_column].strip().lower() if first else ""
    return 1 if cell == layout.header[layout.version_column].lower() else 0


def stage_rows(stage: BillStage, path: Path, skip: int, layout: PositionalLayout | None = None) -> int:
    """Read the file into the stage by position; a line of another width breaks the contract."""
    layout = layout or ups_layout()
    cells = {"version": layout.version_column, **{role: layout.at(role) for role in ROLES}}
    fields = ",\n    ".join(f"coalesce(trim(c{at}), '') AS {role}" for role, at in cells.items())
    struct = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(layout.width)) + "}"
    days = ", ".join(f"try_strptime(v, '{pattern}')" for pattern in layout.date_formats)
    try:
        stage.run(
            "carriers/ups_raw",
            {"path": str(path), "skip": skip},
            fields=fields,
            columns=struct,
            days=days,
        )
    except duckdb.Error as exc:
        said = staged.ReadError.of(exc)
        if said.width_problem and said.line and said.found:
            raise ContractMismatch(  # DuckDB counts file lines, as the contract does
                f"row {said.line} has {said.found} columns, {layout.name} has {layout.width}"
            ) from exc
        raise said.validation_error() from exc
    rows = int(stage.scalar("SELECT count(*) FROM carrier_stage_raw"))
    if rows == 0:
        raise ContractMismatch(f"no {layout.name} rows after the header row")
    stage.bound["base"] = int(stage.scalar("SELECT min(rowid) FROM carrier_stage_raw"))
    stage.bound["first"] = 1 + skip  # a row's number is its file line
    stage.bound["kilograms"] = list(layout.kilograms)
    return rows


def mismatch(
    stage: BillStage, account: str, layout: PositionalLayout | None = None
) -> ContractMismatch | None:
    """The first line whose version or account breaks the contract."""
    layout = layout or ups_layout()
    found = stage.rows("carriers/ups_contract", {"version": layout.version, "account": account})
    if not found:
        return None
    line, what, value = found[0]
    if what == "version":
        return ContractMismatch(
            f"row {line}: column {layout.version_column} is {value!r}, {layout.name} has {layout.version!r}"
        )
    return ContractMismatch(
        f"row {line}: Account Number (column {layout.at('account')}) is {value!r}, "
        f"the chosen account is {account!r}"
    )


def check_cells(stage: BillStage) -> None:
    """The first cell that cannot be read, named with its line and role."""
    found = stage.rows("carriers/ups_first_error")
    if not found:
        return
    line, check = found[0]
    if check == 1:
        raise ValidationError(f"Row {line}: the invoice number or invoice date is empty.", field="file")
    role, kind = CHECKS[check]
    at = int(line) - int(stage.bound["first"]) + int(stage.bound["base"])
    value = stage.scalar(f"SELECT {role} FROM carrier_stage_raw WHERE rowid = {at}")
    if kind == "day":
        raise ValidationError(
            f"Row {line}: {role.replace('_', ' ')} {value!r} is not YYYY-MM-DD or M/D/YY.", field=role
        )
    raise staged.cell_error(int(line), role, str(value), kind)


def shape(stage: BillStage, layout: PositionalLayout | None = None) -> list[staged.StagedInvoice]:
    """Type the rows (one charge each), group multi-piece shipments, then total every invoice."""
    layout = layout or ups_layout()
    stage.run(
        "carriers/ups_rows",
        {
            "freight_category": layout.freight_category,
            "freight_classification": layout.freight_classification,
            "adjustment_categories": sorted(layout.adjustment_categories),
            "informational": sorted(layout.informational_classifications),
        },
    )
    stage.con.execute("DROP TABLE carrier_stage_raw")
    return staged.summarise(stage)
