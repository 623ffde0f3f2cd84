"""A FedEx bill through the set-based pipeline: header contract → stage → checks → invoices → unified
layer (issue 9 §1; the SQL is in ``sql/carriers/``).

The header is read in Python (one line) and resolved against the layout by name; everything else is
DuckDB over the file on disk: the rows are read once, checked cell by cell (the first bad cell is
named with its row and column), typed, classified (MPS, invoice-level), totalled per invoice and
unpivoted into charges. Python then decides each invoice (loaded, or rejected with its exception) and
the store receives the shaped rows in the same transaction as the file's row and audit.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from engine.carriers import layout as L
from engine.carriers.contract import Columns, resolve
from engine.carriers.stage import BillStage
from engine.errors import ContractMismatch, ValidationError

SOURCE = "FedEx Billing Online"
# The layout's names the stage reads, as the SQL calls them (pairs apart).
FIELDS = {
    "account": L.ACCOUNT,
    "invoice_number": L.INVOICE_NUMBER,
    "invoice_date": L.INVOICE_DATE,
    "tracking": L.TRACKING,
    "freight": L.FREIGHT,
    "net": L.NET,
    "amount_due": L.AMOUNT_DUE,
    "rated_weight": L.RATED_WEIGHT,
    "rated_units": L.RATED_UNITS,
    "actual_weight": L.ACTUAL_WEIGHT,
    "actual_units": L.ACTUAL_UNITS,
    "service": L.SERVICE,
    "ship_date": L.SHIP_DATE,
    "dim_length": L.DIM_LENGTH,
    "dim_width": L.DIM_WIDTH,
    "dim_height": L.DIM_HEIGHT,
    "dim_divisor": L.DIM_DIVISOR,
    "dim_unit": L.DIM_UNIT,
    "mps_package_id": L.MPS_PACKAGE_ID,
}
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
}
PAIRS_CHECKED_AFTER = 8  # a row's pair slots are read after its weights, before its ship date
HEADER_PROBE = 1 << 16


@dataclass(frozen=True)
class StagedInvoice:
    """One invoice of the staged bill, with its control totals."""

    invoice_number: str
    invoice_date: date
    row_count: int
    net_total: Decimal
    amount_due: Decimal | None
    packages: int
    invoice_level_total: Decimal
    problem: str | None


def read_header(path: Path) -> list[str]:
    """The file's header row; an empty, binary or non-UTF-8 file is refused here."""
    with path.open("rb") as raw:
        probe = raw.read(HEADER_PROBE)
    if not probe.strip():
        raise ValidationError(f"The file is empty: export the bill again from {SOURCE}.", field="file")
    if b"\x00" in probe:
        raise ValidationError("The file is binary, not a CSV bill.", field="file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as text:
            header = next((row for row in csv.reader(text) if any(c.strip() for c in row)), None)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The file is not UTF-8 text (byte {exc.start}); save the bill as CSV UTF-8.", field="file"
        ) from exc
    except csv.Error as exc:
        raise ValidationError(f"The file is not a readable CSV: {exc}.", field="file") from exc
    if header is None:
        raise ValidationError("The file is empty.", field="file")
    return header


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
    stage.run("carriers/fedex_pairs")
    return rows


def _read_error(exc: duckdb.Error, width: int) -> ValidationError:
    text = str(exc)
    line = _after(text, "CSV Error on Line:")
    found = _after(text, "Found:")
    if "Expected Number of Columns" in text and line and found:
        return ValidationError(
            f"Row {line} has {found} columns, the header has {width} "
            "(a truncated or broken line); export the bill again.",
            field="file",
        )
    if "unicode" in text.lower():
        where = f" (row {line})" if line else ""
        return ValidationError(
            f"The file is not UTF-8 text{where}; save the bill as CSV UTF-8.", field="file"
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    where = f"Row {line}: " if line else ""
    return ValidationError(f"{where}the file is not a readable CSV ({first}).", field="file")


def _after(text: str, marker: str) -> str | None:
    at = text.find(marker)
    if at < 0:
        return None
    word = text[at + len(marker) :].split()
    return word[0] if word and word[0].isdigit() else None


def account_mismatch(stage: BillStage, account: str) -> ContractMismatch | None:
    found = stage.rows("carriers/fedex_account_mismatch", {"account": account})
    if not found:
        return None
    number, value = found[0]
    return ContractMismatch(f"row {number}: {L.ACCOUNT} is {value!r}, the chosen account is {account!r}")


def check_cells(stage: BillStage) -> None:
    """The first cell that cannot be read, named as the row reader would name it."""
    cell = stage.rows("carriers/fedex_first_error")
    pair = stage.rows("carriers/fedex_pair_error")
    cell_at = (cell[0][0], cell[0][1]) if cell else None
    pair_at = (pair[0][0], PAIRS_CHECKED_AFTER + 0.5) if pair else None
    first = min((at for at in (cell_at, pair_at) if at is not None), default=None)
    if first is None:
        return
    if first == pair_at:
        number, slot, _description, amount, bad_amount = pair[0]
        if bad_amount:
            raise _cell_error(number, f"charge pair {slot} amount", amount, "money")
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
    raise _cell_error(number, name, value, kind)


def _cell_error(number: int, name: str, value: str, kind: str) -> ValidationError:
    if kind == "day":
        return ValidationError(f"Row {number}: {name} {value!r} is not yyyymmdd.", field=name)
    if kind == "money":
        try:
            decimals = -Decimal(value).as_tuple().exponent  # type: ignore[operator]
        except (ArithmeticError, TypeError):
            decimals = 0
        if isinstance(decimals, int) and decimals > 2:
            return ValidationError(f"Row {number}: {name} {value!r} has more than 2 decimals.", field=name)
    return ValidationError(f"Row {number}: {name} {value!r} is not a number.", field=name)


def shape(stage: BillStage) -> list[StagedInvoice]:
    """Type and classify the rows, then total every invoice (in file order)."""
    stage.run("carriers/fedex_rows")
    stage.run("carriers/fedex_invoices")
    stage.con.execute("DROP TABLE carrier_stage_raw")  # typed now: its memory serves what follows
    found = stage.con.execute(
        "SELECT invoice_number, invoice_date, rows, net_total, amount_due, packages, "
        "invoice_level_total, bad_row, bad_net, bad_billed FROM carrier_stage_invoices ORDER BY first_row"
    ).fetchall()
    invoices = []
    for number, day, rows, net_total, due, packages, level_total, bad_row, bad_net, bad_billed in found:
        problem = None
        if bad_row is not None:
            problem = f"row {bad_row}: Net Charge Amount {bad_net} ≠ transportation + charges {bad_billed}"
        elif due is not None and net_total != due:
            problem = f"Σ Net Charge Amount {net_total} ≠ Original Amount Due {due}"
        invoices.append(StagedInvoice(number, day, rows, net_total, due, packages, level_total, problem))
    return invoices


def outputs(stage: BillStage, loaded: list[str], *, carrier: str, account: str, file_id: str) -> None:
    """The charges, invoice-level charges and attributes of the loaded invoices, in the stage."""
    stage.load_names("carrier_stage_loaded", "invoice_number", loaded)
    facts = {"carrier": carrier, "account": account, "file_id": file_id}
    stage.run("carriers/fedex_outputs", {**facts, "freight_charge": L.FREIGHT_CHARGE})


def reference_names(stage: BillStage) -> tuple[set[str], set[str]]:
    """The charge types and services the loaded invoices name (the seed's reference sync)."""
    charges = {name for (name,) in stage.rows("carriers/fedex_charge_types")}
    services = {name for (name,) in stage.rows("carriers/fedex_services")}
    return charges, services
