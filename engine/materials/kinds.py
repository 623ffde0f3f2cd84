"""The kinds of stores master data: their file columns, row validation, keys and tables.

Column names follow the sample files (``engine/demo/data/*.csv``) and the seed's appendix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.mapping.normalise import normalise_description
from engine.store.schema import (
    canonical_material,
    lpo_material_brand_map,
    mapping_override,
    material_master,
    material_uom_conversion,
    sap_material,
)
from engine.units import known_units, normalise_unit
from engine.vocab import OverrideScope

_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


class Kind(StrEnum):
    MASTER = "master"
    OVERRIDES = "overrides"
    BRANDMAP = "brandmap"
    SKUS = "skus"
    UNITS = "units"
    CANONICAL = "canonical"


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not true/false")


def _unit(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValueError("a unit is required")
    unit = normalise_unit(text)
    if unit is None:
        raise ValueError(f"{text!r} is not a known unit (known: {', '.join(known_units())})")
    return unit


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)


class MasterRecord(Row):
    nesting_description: str = Field(min_length=1, max_length=500)
    canonical_code: str = Field(min_length=1, max_length=50)
    default_sap_code: str | None = Field(default=None, max_length=50)
    uom: str
    not_tracked: bool = False
    active: bool = True
    notes: str | None = Field(default=None, max_length=1000)

    _normalise = field_validator("nesting_description")(lambda cls, v: normalise_description(v))
    _bools = field_validator("not_tracked", "active", mode="before")(lambda cls, v: _bool(v))
    _units = field_validator("uom", mode="before")(lambda cls, v: _unit(v))


class OverrideRecord(Row):
    scope_type: OverrideScope
    scope_value: str = Field(min_length=1, max_length=200)
    nesting_description: str = Field(min_length=1, max_length=500)
    canonical_code: str = Field(min_length=1, max_length=50)
    sap_code: str | None = Field(default=None, max_length=50)
    active: bool = True
    effective_from: date | None = None
    effective_to: date | None = None
    notes: str | None = Field(default=None, max_length=1000)

    _normalise = field_validator("nesting_description")(lambda cls, v: normalise_description(v))
    _bools = field_validator("active", mode="before")(lambda cls, v: _bool(v))
    _scope = field_validator("scope_type", mode="before")(lambda cls, v: str(v or "").strip().upper())

    @model_validator(mode="after")
    def _window(self) -> OverrideRecord:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("the effective to date is before the effective from date")
        return self


class BrandMapRecord(Row):
    lpo_id: str = Field(min_length=1, max_length=50)
    canonical_code: str = Field(min_length=1, max_length=50)
    sap_code: str = Field(min_length=1, max_length=50)
    priority: int = Field(ge=1, le=99)
    active: bool = True
    notes: str | None = Field(default=None, max_length=1000)

    _bools = field_validator("active", mode="before")(lambda cls, v: _bool(v))


class SkuRecord(Row):
    sap_code: str = Field(min_length=1, max_length=50)
    canonical_code: str = Field(min_length=1, max_length=50)
    brand: str | None = Field(default=None, max_length=100)
    sap_uom: str
    conversion_to_canonical: Decimal = Field(gt=0, max_digits=18, decimal_places=6)
    whole_units: bool = True
    description: str | None = Field(default=None, max_length=500)
    price_aed: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    active: bool = True

    _bools = field_validator("whole_units", "active", mode="before")(lambda cls, v: _bool(v))
    _units = field_validator("sap_uom", mode="before")(lambda cls, v: _unit(v))


class UnitRecord(Row):
    canonical_code: str = Field(min_length=1, max_length=50)
    uom: str
    units_per_canonical_unit: Decimal = Field(gt=0, max_digits=18, decimal_places=6)
    notes: str | None = Field(default=None, max_length=500)

    _units = field_validator("uom", mode="before")(lambda cls, v: _unit(v))


class CanonicalRecord(Row):
    canonical_code: str = Field(min_length=1, max_length=50)
    category: str | None = Field(default=None, max_length=40)
    canonical_uom: str
    description: str | None = Field(default=None, max_length=500)
    default_sap_code: str | None = Field(default=None, max_length=50)

    _units = field_validator("canonical_uom", mode="before")(lambda cls, v: _unit(v))


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    title: str
    table: sa.Table
    model: type[Row]
    key: tuple[str, ...]  # the columns that identify a row in the file and in the table
    columns: tuple[str, ...]  # file and editor columns, in order

    def label(self, column: str) -> str:
        """The column as a person reads it (on screen and in messages); files keep the names."""
        return column_label(column)


SPECS: dict[Kind, KindSpec] = {
    Kind.MASTER: KindSpec(
        Kind.MASTER,
        "Material master",
        material_master,
        MasterRecord,
        ("nesting_description",),
        (
            "nesting_description",
            "canonical_code",
            "default_sap_code",
            "uom",
            "not_tracked",
            "active",
            "notes",
        ),
    ),
    Kind.OVERRIDES: KindSpec(
        Kind.OVERRIDES,
        "Mapping overrides",
        mapping_override,
        OverrideRecord,
        ("scope_type", "scope_value", "nesting_description", "effective_from"),
        (
            "scope_type",
            "scope_value",
            "nesting_description",
            "canonical_code",
            "sap_code",
            "active",
            "effective_from",
            "effective_to",
            "notes",
        ),
    ),
    Kind.BRANDMAP: KindSpec(
        Kind.BRANDMAP,
        "LPO brand maps",
        lpo_material_brand_map,
        BrandMapRecord,
        ("lpo_id", "canonical_code", "sap_code"),
        ("lpo_id", "canonical_code", "sap_code", "priority", "active", "notes"),
    ),
    Kind.SKUS: KindSpec(
        Kind.SKUS,
        "SAP materials (SKUs)",
        sap_material,
        SkuRecord,
        ("sap_code",),
        (
            "sap_code",
            "canonical_code",
            "brand",
            "sap_uom",
            "conversion_to_canonical",
            "whole_units",
            "description",
            "price_aed",
            "active",
        ),
    ),
    Kind.UNITS: KindSpec(
        Kind.UNITS,
        "Material units",
        material_uom_conversion,
        UnitRecord,
        ("canonical_code", "uom"),
        ("canonical_code", "uom", "units_per_canonical_unit", "notes"),
    ),
    Kind.CANONICAL: KindSpec(
        Kind.CANONICAL,
        "Canonical materials",
        canonical_material,
        CanonicalRecord,
        ("canonical_code",),
        ("canonical_code", "category", "canonical_uom", "description", "default_sap_code"),
    ),
}


# How a column is named on screen and in messages (the files keep the snake_case names).
_LABELS = {
    "uom": "Unit",
    "sap_code": "SAP code",
    "default_sap_code": "Default SAP code",
    "sap_uom": "SAP unit",
    "canonical_uom": "Canonical unit",
    "price_aed": "Price (AED)",
    "lpo_id": "LPO",
}


def column_label(column: str) -> str:
    """``conversion_to_canonical`` → ``Conversion to canonical``; ``sap_uom`` → ``SAP unit``."""
    return _LABELS.get(column) or column.replace("_", " ").capitalize()


def required_columns(spec: KindSpec) -> tuple[str, ...]:
    """The columns a file must have: the fields without a default."""
    fields = spec.model.model_fields
    return tuple(c for c in spec.columns if c in fields and fields[c].is_required())
