"""A FedEx bill through the set-based pipeline: header contract → stage → checks → invoices → unified
layer (issue 9 §1; the SQL is in ``sql/carriers/``).

The header is read in Python (one line) and resolved against the layout by name; everything else is
DuckDB over the file on disk: the rows are read once, checked cell by cell (the first bad cell is
named with its row and column), typed, classified (MPS, invoice-level), totalled per invoice and
unpivoted into charges. Python then decides each invoice (loaded, or rejected with its exception) and
the store receives the shaped rows in the same transaction as the file's row and audit.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engine.carriers import layout as L
from engine.carriers import staged
from engine.carriers.contract import Columns, resolve
from engine.carriers.stage import BillStage
from engine.errors import ContractMismatch, ValidationError

SOURCE = "FedEx Billing Online"
# The layout's roles the stage reads, by header name (pairs apart): layouts/fedex_fbo.json.
FIELDS = L.fedex_layout().columns

# fedex_first_error.sql's checks, in the order a row's columns are read: (column, what it must be).
CHECKS = {
    2: (L.INVOICE_DATE, "day"),
    3: (L.DIM_DIVISOR, "number"),
    4: (L.FREIGHT, "money"),
    5: (L.NET, "money"),
    6: (L.AMOUNT_DUE, "money"),
    7: (L.RATED_WEIGHT, "number"),
    8: (L.ACTUAL_WEIGHT, "number"),
    9: (L.SHIP_DATE, "day"),
    10: (L.DIM_LENGTH, "number"),
    11: (L.DIM_WIDTH, "number"),
    12: (L.DIM_HEIGHT, "number"),
    13: (L.INVOICE_NUMBER, "text:40"),
    14: (L.TRACKING, "text:40"),
    15: (L.MPS_PACKAGE_ID, "text:40"),
    16: (L.SERVICE, "text:100"),
}
PAIRS_CHECKED_AFTER = 8  # a row's pair slots are read after its weights, before its ship date


def read_header(path: Path) -> list[str]:
    """The file's header row; an empty, binary or non-UTF-8 file is refused here."""
    return staged.first_row(path, source=SOURCE)


def looks_like(first: list[str]) -> bool:
    """A FedEx Billing Online header: it names the layout's required columns."""
    return set(L.fedex_layout().required) <= {cell.strip() for cell in first}


def file_account(path: Path) -> str:
    """The account the bill's first row bills (the contract then holds every row to it)."""
    rows = staged.first_rows(path, 2)
    if len(rows) < 2 or L.ACCOUNT not in [c.strip() for c in rows[0]]:
        return ""
    at = [c.strip() for c in rows[0]].index(L.ACCOUNT)
    return rows[1][at].strip() if at < len(rows[1]) else ""


def contract(path: Path) -> Columns | ContractMismatch:
    try:
        return resolve(read_header(path), L.fedex_layout())
    except ContractMismatch as mismatch:
        return mismatch


def stage_rows(stage: BillStage, path: Path, columns: Columns) -> int:
    """Read the file into the stage; a line that is not a row of the header's width is refused."""

    def cell(name: str) -> str:
        at = columns.index.get(name)
        return f"coalesce(trim(c{at}), '')" if at is not None else "''"

    fields = ",\n    ".join(f"{cell(name)} AS {alias}" for alias, name in FIELDS.items())
    pairs = ", ".join(
        f"{{'s': {slot}, 'd': coalesce(trim(c{d}), ''), 'a': coalesce(trim(c{a}), '')}}"
        for slot, (d, a) in enumerate(columns.pairs, 1)
    )
    struct = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(columns.width)) + "}"
    try:
        stage.run("carriers/fedex_raw", {"path": str(path)}, fields=fields, pairs=pairs, columns=struct)
    except duckdb.Error as exc:
        raise _read_error(exc, columns.width) from exc
    rows = int(stage.scalar("SELECT count(*) FROM carrier_stage_raw"))
    if rows == 0:
        raise ValidationError("The file has a header but no rows.", field="file")
    stage.bound["base"] = int(stage.scalar("SELECT min(rowid) FROM carrier_stage_raw"))
    layout = L.fedex_layout()
    stage.bound.update(
        date_format=layout.date_format,
        kilograms=list(layout.kilograms),
        centimetres=list(layout.centimetres),
    )
    stage.run("carriers/fedex_pairs")
    return rows


def _read_error(exc: duckdb.Error, width: int) -> ValidationError:
    said = staged.ReadError.of(exc)
    if said.width_problem and said.line and said.found:
        return ValidationError(
            f"Row {said.line} has {said.found} columns, the header has {width} "
            "(a truncated or broken line); export the bill again.",
            field="file",
        )
    return said.validation_error()


def account_mismatch(stage: BillStage, account: str) -> ContractMismatch | None:
    found = stage.rows("carriers/fedex_account_mismatch", {"account": account})
    if not found:
        return None
    number, value = found[0]
    return ContractMismatch(f"row {number}: {L.ACCOUNT} is {value!r}, the chosen account is {account!r}")


def check_cells(stage: BillStage) -> None:
    """The first cell that cannot be read, named with its row and column."""
    cell = stage.rows("carriers/fedex_first_error")
    pair = stage.rows("carriers/fedex_pair_error")
    cell_at = (cell[0][0], cell[0][1]) if cell else None
    pair_at = (pair[0][0], PAIRS_CHECKED_AFTER + 0.5) if pair else None
    first = min((at for at in (cell_at, pair_at) if at is not None), default=None)
    if first is None:
        return
    if first == pair_at:
        number, slot, description, amount, bad_amount = pair[0]
        if bad_amount:
            raise staged.cell_error(number, f"charge pair {slot} amount", amount, "money")
        if description:
            raise staged.cell_error(number, f"charge pair {slot} description", description, "text:200")
        raise ValidationError(
            f"Row {number}: charge pair {slot} has an amount and no description.", field="file"
        )
    number, check = cell[0]
    if check == 1:
        raise ValidationError(f"Row {number}: the invoice number or invoice date is empty.", field="file")
    name, kind = CHECKS[check]
    alias = next(a for a, n in FIELDS.items() if n == name)
    at = int(number) - 2 + int(stage.bound["base"])
    value = stage.scalar(f"SELECT {alias} FROM carrier_stage_raw WHERE rowid = {at}")
    raise staged.cell_error(number, name, value, kind)


def shape(stage: BillStage) -> list[staged.StagedInvoice]:
    """Type and classify the rows, then total every invoice (in file order)."""
    stage.run("carriers/fedex_rows", {"freight_charge": L.fedex_layout().freight_charge})
    stage.con.execute("DROP TABLE carrier_stage_raw")  # typed now: its memory serves what follows
    return staged.summarise(stage)
