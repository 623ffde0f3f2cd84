"""Drawing one line's need from its candidate SKUs (DOMAIN "Allocation" step 3), pure and in memory.

Whole-unit SKUs take ceil(need / factor) limited to floor(available); divisible SKUs work to 0.001.
The remaining canonical quantity drops by take × factor, SKU by SKU in candidate order.
"""

from __future__ import annotations

from decimal import Decimal

from engine.allocation.models import SkuTake
from engine.mapping.master import Sku
from engine.units.convert import CANONICAL_PLACES, divisible_units_needed, floor_units, whole_units_needed


def units_needed(canonical: Decimal, sku: Sku) -> Decimal:
    """SAP units of ``sku`` that cover ``canonical`` (whole units rounded up, else to 0.001)."""
    if sku.whole_units:
        return whole_units_needed(canonical, sku.factor)
    return divisible_units_needed(canonical, sku.factor)


def allocate_line(
    required: Decimal, candidates: list[tuple[int, Sku]], available: dict[str, Decimal]
) -> tuple[list[SkuTake], Decimal]:
    """Take ``required`` canonical units from the candidates in order; returns the takes and what is
    still missing. ``available`` (SAP units per SKU) is reduced by what is taken."""
    takes: list[SkuTake] = []
    remaining = required
    for priority, sku in candidates:
        if remaining <= 0:
            break
        have = available.get(sku.sap_code, Decimal(0))
        take = min(units_needed(remaining, sku), floor_units(have, whole=sku.whole_units))
        if take <= 0:
            continue
        available[sku.sap_code] = have - take
        canonical = (take * sku.factor).quantize(CANONICAL_PLACES)
        takes.append(
            SkuTake(
                sap_code=sku.sap_code,
                priority=priority,
                sap_qty=take,
                sap_uom=sku.sap_uom,
                canonical_qty=canonical,
                factor=sku.factor,
                whole_units=sku.whole_units,
                description=sku.description,
            )
        )
        remaining -= canonical
    remaining = remaining.quantize(CANONICAL_PLACES)
    return takes, remaining if remaining > 0 else Decimal(0)
