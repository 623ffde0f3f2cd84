"""Carrier layouts as data: FedEx Billing Online by header name, UPS Billing Data by position.

FedEx reorders and inserts columns between versions (CARRIERS.md), so its layout names columns and
never fixes their positions; ``contract.resolve`` finds them in each file's own header. UPS files
have no header: ``layouts/ups_2_1.json`` fixes the positions, checked against the reference header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LAYOUT_DIR = Path(__file__).parent / "layouts"


@dataclass(frozen=True)
class FedexLayout:
    name: str
    header: tuple[str, ...]  # the reference header, duplicates included
    required: tuple[str, ...]  # names a load cannot do without
    optional: tuple[str, ...]  # read when present (some export templates omit them)
    pair_description: str
    pair_amount: str
    min_pairs: int  # the older 156-column layout has 25 pairs, the current one 51


ACCOUNT = "Bill to Account Number"
INVOICE_NUMBER = "Invoice Number"
INVOICE_DATE = "Invoice Date"
TRACKING = "Express or Ground Tracking ID"
FREIGHT = "Transportation Charge Amount"
NET = "Net Charge Amount"
RATED_WEIGHT = "Rated Weight Amount"
AMOUNT_DUE = "Original Amount Due"
SERVICE = "Service Type"
SHIP_DATE = "Shipment Date"
ACTUAL_WEIGHT = "Actual Weight Amount"
ACTUAL_UNITS = "Actual Weight Units"
RATED_UNITS = "Rated Weight Units"
DIM_LENGTH = "Dim Length"
DIM_WIDTH = "Dim Width"
DIM_HEIGHT = "Dim Height"
DIM_DIVISOR = "Dim Divisor"
DIM_UNIT = "Dim Unit"
MPS_PACKAGE_ID = "MPS Package ID"

# The freight charge is a column of its own, not a pair: the unpivot emits it under this name.
FREIGHT_CHARGE = "Transportation Charge"


def _read_header(file_name: str) -> tuple[str, ...]:
    lines = (LAYOUT_DIR / file_name).read_text(encoding="utf-8").splitlines()
    return tuple(line.split("\t", 1)[1] for line in lines if line.strip())


@cache
def fedex_layout() -> FedexLayout:
    return FedexLayout(
        name="FedEx Billing Online (all columns)",
        header=_read_header("fedex_fbo_header_210.txt"),
        required=(ACCOUNT, INVOICE_NUMBER, INVOICE_DATE, TRACKING, FREIGHT, NET, RATED_WEIGHT),
        optional=(
            AMOUNT_DUE,
            SERVICE,
            SHIP_DATE,
            ACTUAL_WEIGHT,
            ACTUAL_UNITS,
            RATED_UNITS,
            DIM_LENGTH,
            DIM_WIDTH,
            DIM_HEIGHT,
            DIM_DIVISOR,
            DIM_UNIT,
            MPS_PACKAGE_ID,
        ),
        pair_description="Tracking ID Charge Description",
        pair_amount="Tracking ID Charge Amount",
        min_pairs=25,
    )


@dataclass(frozen=True)
class PositionalLayout:
    """A headerless layout (UPS Billing Data): roles at fixed 0-based positions, read from a JSON file.

    The roles are the loader's vocabulary (``account``, ``net``, ``charge_category`` …); the reference
    header names each position, so a file that does carry one header row can be recognised."""

    name: str
    carrier: str
    width: int
    version_column: int
    version: str
    date_formats: tuple[str, ...]
    columns: dict[str, int]
    header: tuple[str, ...]
    freight_category: str
    freight_classification: str
    adjustment_categories: frozenset[str]
    informational_classifications: frozenset[str]

    def at(self, role: str) -> int:
        return self.columns[role]


def _read_reference(file_name: str) -> tuple[str, ...]:
    """``position<TAB>name<TAB>other name``, ``#`` lines are comments."""
    lines = (LAYOUT_DIR / file_name).read_text(encoding="utf-8").splitlines()
    return tuple(line.split("\t")[1] for line in lines if line.strip() and not line.startswith("#"))


def _read_positional(file_name: str, carrier: str) -> PositionalLayout:
    spec = json.loads((LAYOUT_DIR / file_name).read_text(encoding="utf-8"))
    freight = spec["freight"]
    return PositionalLayout(
        name=spec["name"],
        carrier=carrier,
        width=int(spec["width"]),
        version_column=int(spec["version_column"]),
        version=str(spec["version"]),
        date_formats=tuple(spec["date_formats"]),
        columns={role: int(at) for role, at in spec["columns"].items()},
        header=_read_reference(spec["reference"]),
        freight_category=freight["category"],
        freight_classification=freight["classification"],
        adjustment_categories=frozenset(spec["adjustment_categories"]),
        informational_classifications=frozenset(spec["informational_classifications"]),
    )


@cache
def ups_layout() -> PositionalLayout:
    return _read_positional("ups_2_1.json", "ups")
