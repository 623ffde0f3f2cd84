"""The one unit service (DOMAIN "Units"): a line's quantity → the canonical unit of its material, and
canonical quantities ↔ SKU units. Decimal throughout; a conversion with no rule is an error.

Rules, in order: the same unit; sheets → m2 by the line's sheet size; a material-specific unit
(``material_uom_conversion``: how many of the unit make one canonical unit, so the conversion is a
division: 280 ml per silicone cartridge); a generic rule inside one unit family (mm → m, g → kg).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from engine.errors import ValidationError
from engine.units import format_qty

# Canonical quantities are stored with four decimals. A division that does not end there (1000 ml /
# 280) is rounded up, so a line never asks for less than it needs.
CANONICAL_PLACES = Decimal("0.0001")
# Divisible SKUs are issued to the gram / millimetre (DOMAIN "Allocation" step 3).
SKU_PLACES = Decimal("0.001")
_GENERIC: dict[tuple[str, str], Decimal] = {
    ("mm", "m"): Decimal(1000),
    ("cm", "m"): Decimal(100),
    ("g", "kg"): Decimal(1000),
    ("mm2", "m2"): Decimal(1_000_000),
}


class UnitError(ValidationError):
    """No rule converts this unit for this material."""

    code = "UNIT_ERROR"


@dataclass(frozen=True)
class Conversion:
    qty: Decimal
    uom: str
    canonical_qty: Decimal
    canonical_uom: str
    factor: Decimal  # canonical = qty × factor, or qty ÷ factor when ``divide``
    divide: bool
    text: str


def to_canonical(
    qty: Decimal,
    uom: str,
    *,
    canonical_code: str,
    canonical_uom: str,
    sheet_width_mm: Decimal | None = None,
    sheet_length_mm: Decimal | None = None,
    material_units: dict[tuple[str, str], Decimal] | None = None,
) -> Conversion:
    uom, target = (uom or "").lower(), canonical_uom.lower()
    if uom == target:
        return Conversion(qty, uom, qty, target, Decimal(1), False, f"{format_qty(qty)} {uom}")
    if uom == "sht" and target == "m2":
        if not (sheet_width_mm and sheet_length_mm):
            raise UnitError(
                f"{format_qty(qty)} sheets of {canonical_code} have no sheet size (like 1200x4000) to "
                "turn them into m2."
            )
        area = sheet_width_mm * sheet_length_mm / Decimal(1_000_000)
        return _multiply(
            qty, uom, target, area, f"{format_qty(sheet_width_mm)}x{format_qty(sheet_length_mm)} sheet"
        )
    per_unit = (material_units or {}).get((canonical_code, uom))
    if per_unit is not None:
        return _divide(
            qty, uom, target, per_unit, f"{format_qty(per_unit)} {uom} per {target} of {canonical_code}"
        )
    divisor = _GENERIC.get((uom, target))
    if divisor is not None:
        return _divide(qty, uom, target, divisor, f"{format_qty(divisor)} {uom} per {target}")
    multiplier = _GENERIC.get((target, uom))
    if multiplier is not None:
        return _multiply(qty, uom, target, multiplier, f"{format_qty(multiplier)} {target} per {uom}")
    raise UnitError(
        f"No rule converts {uom} to {target} for {canonical_code}. Add one under material units "
        f"(how many {uom} make one {target}), or correct the unit on the cut export."
    )


def _multiply(qty: Decimal, uom: str, target: str, factor: Decimal, why: str) -> Conversion:
    canonical = (qty * factor).quantize(CANONICAL_PLACES, rounding=ROUND_CEILING)
    text = f"{format_qty(qty)} {uom} × {format_qty(factor)} ({why}) = {format_qty(canonical)} {target}"
    return Conversion(qty, uom, canonical, target, factor, False, text)


def _divide(qty: Decimal, uom: str, target: str, divisor: Decimal, why: str) -> Conversion:
    exact = qty / divisor
    canonical = exact.quantize(CANONICAL_PLACES, rounding=ROUND_CEILING)
    sign = "=" if canonical == exact else "≈"
    text = f"{format_qty(qty)} {uom} ÷ {format_qty(divisor)} ({why}) {sign} {format_qty(canonical)} {target}"
    return Conversion(qty, uom, canonical, target, divisor, True, text)


def whole_units_needed(canonical_qty: Decimal, factor: Decimal) -> Decimal:
    """SKU units that cover ``canonical_qty`` when the SKU is issued whole (ceil)."""
    return (canonical_qty / factor).to_integral_value(rounding=ROUND_CEILING)


def divisible_units_needed(canonical_qty: Decimal, factor: Decimal) -> Decimal:
    return (canonical_qty / factor).quantize(SKU_PLACES, rounding=ROUND_CEILING)


def floor_units(value: Decimal, *, whole: bool) -> Decimal:
    if whole:
        return value.to_integral_value(rounding=ROUND_FLOOR)
    return value.quantize(SKU_PLACES, rounding=ROUND_FLOOR)
