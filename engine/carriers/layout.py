"""Carrier layouts as data: FedEx Billing Online by header name, UPS Billing Data by position.

One declarative file per carrier and version in ``layouts/``: ``fedex_fbo.json`` names FedEx's
columns (FedEx reorders and inserts columns between versions, CARRIERS.md, so ``contract.resolve``
finds them in each file's own header; the 210- and 156-column headers are kept beside it), its pair
block, freight charge name, units and date format, and describes the MPS and invoice-level rules its
staging SQL applies; ``ups_2_1.json`` fixes UPS's positions (no header), checked against the reference
header, with its versions, date formats, units and charge categories. A third carrier is a layout,
its staging (a module and its SQL) and tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LAYOUT_DIR = Path(__file__).parent / "layouts"


@dataclass(frozen=True)
class FedexLayout:
    """``layouts/fedex_fbo.json``: the loader's roles by header name, the pair block, units and dates."""

    name: str
    header: tuple[str, ...]  # the reference header, duplicates included
    columns: dict[str, str]  # role → header name
    required: tuple[str, ...]  # names a load cannot do without
    optional: tuple[str, ...]  # read when present (some export templates omit them)
    pair_description: str
    pair_amount: str
    min_pairs: int  # the older 156-column layout has 25 pairs, the current one 51
    freight_charge: str  # the freight is a column of its own: the unpivot names its charge so
    date_format: str
    kilograms: tuple[str, ...]  # weight units that are kilograms
    centimetres: tuple[str, ...]  # dimension units that are centimetres
    versions: dict[str, tuple[str, ...]]  # the known headers by column count


def _read_header(file_name: str) -> tuple[str, ...]:
    lines = (LAYOUT_DIR / file_name).read_text(encoding="utf-8").splitlines()
    return tuple(line.split("\t", 1)[1] for line in lines if line.strip())


@cache
def fedex_layout() -> FedexLayout:
    spec = json.loads((LAYOUT_DIR / "fedex_fbo.json").read_text(encoding="utf-8"))
    columns: dict[str, str] = dict(spec["columns"])
    required = tuple(columns[role] for role in spec["required"])
    pairs, units = spec["pair_block"], spec["units"]
    versions = {width: _read_header(file_name) for width, file_name in spec["versions"].items()}
    return FedexLayout(
        name=spec["name"],
        header=versions[spec["reference"]],
        columns=columns,
        required=required,
        optional=tuple(name for name in columns.values() if name not in required),
        pair_description=pairs["description"],
        pair_amount=pairs["amount"],
        min_pairs=int(pairs["min_pairs"]),
        freight_charge=spec["freight_charge"],
        date_format=spec["date_format"],
        kilograms=tuple(units["kilograms"]),
        centimetres=tuple(units["centimetres"]),
        versions=versions,
    )


# The names the code and the tests speak of, as the layout file has them.
_COLUMNS = fedex_layout().columns
ACCOUNT = _COLUMNS["account"]
INVOICE_NUMBER = _COLUMNS["invoice_number"]
INVOICE_DATE = _COLUMNS["invoice_date"]
TRACKING = _COLUMNS["tracking"]
FREIGHT = _COLUMNS["freight"]
NET = _COLUMNS["net"]
RATED_WEIGHT = _COLUMNS["rated_weight"]
AMOUNT_DUE = _COLUMNS["amount_due"]
SERVICE = _COLUMNS["service"]
SHIP_DATE = _COLUMNS["ship_date"]
ACTUAL_WEIGHT = _COLUMNS["actual_weight"]
ACTUAL_UNITS = _COLUMNS["actual_units"]
RATED_UNITS = _COLUMNS["rated_units"]
DIM_LENGTH = _COLUMNS["dim_length"]
DIM_WIDTH = _COLUMNS["dim_width"]
DIM_HEIGHT = _COLUMNS["dim_height"]
DIM_DIVISOR = _COLUMNS["dim_divisor"]
DIM_UNIT = _COLUMNS["dim_unit"]
MPS_PACKAGE_ID = _COLUMNS["mps_package_id"]
FREIGHT_CHARGE = fedex_layout().freight_charge


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
    kilograms: tuple[str, ...]  # weight units that are kilograms

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
        kilograms=tuple(spec["units"]["kilograms"]),
    )


@cache
def ups_layout() -> PositionalLayout:
    return _read_positional("ups_2_1.json", "ups")
