"""The contract check of a FedEx file, before anything is stored (DOMAIN step 1).

Columns are found by header name in the file's own header (first occurrence wins for the names
FedEx repeats, such as ``Commodity Description``); the pair block must be description/amount
pairs side by side; every row's account must be the chosen one, leading zeros aside.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.carriers.layout import FedexLayout
from engine.errors import ContractMismatch, ValidationError
from engine.vocab import Carrier


@dataclass(frozen=True)
class Columns:
    """Where the layout's names sit in one file."""

    index: dict[str, int]
    pairs: tuple[tuple[int, int], ...]  # (description, amount) positions, in file order
    width: int

    def has(self, name: str) -> bool:
        return name in self.index


def carrier_of(value: Carrier | str) -> Carrier:
    """A carrier named by a caller (any case), or a clear error listing the carriers there are."""
    try:
        return Carrier(str(value).strip().lower())
    except ValueError as exc:
        options = ", ".join(c.value for c in Carrier)
        raise ValidationError(
            f"{value!r} is not a carrier; choose one of: {options}.", field="carrier"
        ) from exc


def normalise_account(account: str) -> str:
    """Accounts compare without leading zeros (``000123456789`` is ``123456789``)."""
    stripped = account.strip().lstrip("0")
    return stripped or ("0" if account.strip() else "")


def resolve(header: list[str], layout: FedexLayout) -> Columns:
    names = [name.strip() for name in header]
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        index.setdefault(name, position)
    missing = [name for name in layout.required if name not in index]
    if missing:
        raise ContractMismatch("required columns missing: " + ", ".join(repr(m) for m in missing))
    descriptions = [i for i, name in enumerate(names) if name == layout.pair_description]
    amounts = [i for i, name in enumerate(names) if name == layout.pair_amount]
    if len(descriptions) != len(amounts):
        raise ContractMismatch(
            f"charge pair block malformed: {len(descriptions)} {layout.pair_description!r} columns "
            f"but {len(amounts)} {layout.pair_amount!r} columns"
        )
    unpaired = [i for i in descriptions if i + 1 >= len(names) or names[i + 1] != layout.pair_amount]
    if unpaired:
        raise ContractMismatch(
            f"charge pair block malformed: {layout.pair_description!r} at column {unpaired[0]} "
            f"is not followed by {layout.pair_amount!r}"
        )
    if len(descriptions) < layout.min_pairs:
        raise ContractMismatch(
            f"charge pair block too short: {len(descriptions)} pairs, the layout has at least "
            f"{layout.min_pairs}"
        )
    return Columns(index=index, pairs=tuple((i, i + 1) for i in descriptions), width=len(names))
