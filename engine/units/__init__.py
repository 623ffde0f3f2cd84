"""Units: spellings seen in cut exports → one lower-case unit code (``m``, ``m2``, ``pcs``, ``sht`` …)."""

from __future__ import annotations

import csv
from decimal import Decimal
from functools import cache
from pathlib import Path

_SYNONYMS_FILE = Path(__file__).with_name("synonyms.csv")


@cache
def synonyms() -> dict[str, str]:
    with _SYNONYMS_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["raw_unit"].strip().lower(): row["unit"].strip().lower() for row in csv.DictReader(handle)
        }


def normalise_unit(raw: str | None) -> str | None:
    """The unit code for a spelling, or None when the spelling is unknown."""
    if raw is None:
        return None
    key = " ".join(str(raw).strip().lower().split())
    if not key:
        return None
    return synonyms().get(key) or synonyms().get(key.rstrip("."))


def format_qty(value: Decimal) -> str:
    """A quantity as people write it: no trailing zeros and never scientific notation
    (``Decimal("40.0000").normalize()`` alone prints ``4E+1``)."""
    return format(value.normalize(), "f")


def known_units() -> list[str]:
    return sorted(set(synonyms().values()))
