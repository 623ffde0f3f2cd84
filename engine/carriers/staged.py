"""What every carrier's staged bill shares: the file's first row read before staging (empty, binary
and non-UTF-8 files refused there), the invoices' control totals, the outputs the store receives and
the names the seed's reference sync needs. A carrier's own module stages its rows into
``carrier_stage_rows`` and ``carrier_stage_pairs`` of one shape (``fedex``, ``ups``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from engine.carriers.stage import BillStage
from engine.errors import ValidationError

PROBE = 1 << 16


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


def first_row(path: Path, *, source: str) -> list[str]:
    """The file's first non-blank row (``source`` names where to export the bill again)."""
    with path.open("rb") as raw:
        probe = raw.read(PROBE)
    if not probe.strip():
        raise ValidationError(f"The file is empty: export the bill again from {source}.", field="file")
    if b"\x00" in probe:
        raise ValidationError("The file is binary, not a CSV bill.", field="file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as text:
            row = next((cells for cells in csv.reader(text) if any(c.strip() for c in cells)), None)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The file is not UTF-8 text (byte {exc.start}); save the bill as CSV UTF-8.", field="file"
        ) from exc
    except csv.Error as exc:
        raise ValidationError(f"The file is not a readable CSV: {exc}.", field="file") from exc
    if row is None:
        raise ValidationError("The file is empty.", field="file")
    return row


def first_rows(path: Path, count: int) -> list[list[str]]:
    """The file's first ``count`` non-blank rows (after ``first_row`` accepted the file)."""
    rows: list[list[str]] = []
    with path.open(encoding="utf-8-sig", newline="") as text:
        for cells in csv.reader(text):
            if any(c.strip() for c in cells):
                rows.append(cells)
                if len(rows) == count:
                    break
    return rows


@dataclass(frozen=True)
class ReadError:
    """What DuckDB said of a line it could not read: the line, and the columns found when that was it."""

    line: str | None
    found: str | None
    width_problem: bool
    unicode_problem: bool
    first_line: str

    @classmethod
    def of(cls, exc: duckdb.Error) -> ReadError:
        text = str(exc)
        first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        return cls(
            line=_after(text, "CSV Error on Line:"),
            found=_after(text, "Found:"),
            width_problem="Expected Number of Columns" in text,
            unicode_problem="unicode" in text.lower(),
            first_line=first,
        )

    def validation_error(self) -> ValidationError:
        if self.unicode_problem:
            where = f" (row {self.line})" if self.line else ""
            return ValidationError(
                f"The file is not UTF-8 text{where}; save the bill as CSV UTF-8.", field="file"
            )
        where = f"Row {self.line}: " if self.line else ""
        return ValidationError(f"{where}the file is not a readable CSV ({self.first_line}).", field="file")


def _after(text: str, marker: str) -> str | None:
    at = text.find(marker)
    if at < 0:
        return None
    word = text[at + len(marker) :].split()
    return word[0] if word and word[0].isdigit() else None


def cell_error(number: int, name: str, value: str, kind: str) -> ValidationError:
    """A cell that is no day, no number (or too large a one), money with more than two decimals, or
    text longer than its column, named with its row."""
    if kind == "day":
        return ValidationError(f"Row {number}: {name} {value!r} is not yyyymmdd.", field=name)
    if kind.startswith("text:"):
        limit = kind.removeprefix("text:")
        return ValidationError(
            f"Row {number}: {name} {value[:60]!r} is longer than {limit} characters.", field=name
        )
    if kind == "money":
        try:
            decimals = -Decimal(value).as_tuple().exponent  # type: ignore[operator]
        except (ArithmeticError, TypeError):
            decimals = 0
        if isinstance(decimals, int) and decimals > 2:
            return ValidationError(f"Row {number}: {name} {value!r} has more than 2 decimals.", field=name)
    return ValidationError(f"Row {number}: {name} {value!r} is not a number.", field=name)


def summarise(stage: BillStage) -> list[StagedInvoice]:
    """Every invoice of the staged rows with its control totals, in file order."""
    stage.run("carriers/stage_invoices")
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
    """The charges, invoice-level charges and attributes of the loaded invoices, as views."""
    stage.load_names("carrier_stage_loaded", "invoice_number", loaded)
    stage.run("carriers/stage_outputs", {"carrier": carrier, "account": account, "file_id": file_id})


def reference_names(stage: BillStage) -> tuple[set[str], set[str], set[str]]:
    """The charge types the loaded invoices bill, those the file states adjustments, and their services."""
    charges = stage.rows("carriers/stage_charge_types")
    services = {name for (name,) in stage.rows("carriers/stage_services")}
    return {name for name, _ in charges}, {name for name, adjustment in charges if adjustment}, services
