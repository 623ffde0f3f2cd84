"""The reconciliation settings admins edit (issue 9 §3): cost tolerance bands, weight tolerance, grace
days, the default DIM divisor and per-carrier divisors; every change audited with before and after.

Until an admin saves them the environment's settings (``OPSLEDGER_CARRIER_DIM_DIVISOR``, ...) and
DOMAIN's default bands apply, so a store that never had the page behaves as before.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.config import Settings
from engine.errors import Conflict, ValidationError
from engine.ledger.audit import record_action
from engine.reconciliation.rules import COST_BANDS, Rules
from engine.store.schema import reconciliation_settings as table
from engine.vocab import Carrier

_ROW = 1  # one set of settings for the whole store


class CostBand(BaseModel):
    """Expected costs below ``below`` (no bound: the last band) get ``absolute`` or ``relative``
    (a fraction: 0.04 = 4 %) of the expected cost as their tolerance."""

    model_config = ConfigDict(frozen=True)

    below: Decimal | None = None
    absolute: Decimal | None = None
    relative: Decimal | None = None


class ReconSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    weight_tolerance_lb: Decimal
    grace_days: int
    dim_divisor: int
    cost_bands: tuple[CostBand, ...]
    carrier_divisors: dict[str, int]
    version: int = 0  # 0: never saved, the defaults apply
    updated_by: str | None = None
    updated_at: datetime | None = None

    def rules(self) -> Rules:
        return Rules(
            dim_divisor=self.dim_divisor,
            weight_tolerance_lb=self.weight_tolerance_lb,
            grace_days=self.grace_days,
            cost_bands=tuple((b.below, b.absolute, b.relative) for b in self.cost_bands),
            carrier_divisors=tuple(sorted(self.carrier_divisors.items())),
        )

    def record(self) -> dict[str, Any]:
        """What a run records and the audit keeps (JSON-ready)."""
        return {
            "carrier_dim_divisor": self.dim_divisor,
            "carrier_divisors": dict(sorted(self.carrier_divisors.items())),
            "recon_weight_tolerance_lb": str(self.weight_tolerance_lb),
            "recon_grace_days": self.grace_days,
            "cost_bands": [_band_record(b) for b in self.cost_bands],
        }


def _band_record(band: CostBand) -> list[str | None]:
    return [None if v is None else str(v) for v in (band.below, band.absolute, band.relative)]


def defaults(settings: Settings) -> ReconSettings:
    return ReconSettings(
        weight_tolerance_lb=Decimal(str(settings.recon_weight_tolerance_lb)),
        grace_days=settings.recon_grace_days,
        dim_divisor=settings.carrier_dim_divisor,
        cost_bands=tuple(CostBand(below=b, absolute=a, relative=r) for b, a, r in COST_BANDS),
        carrier_divisors={},
    )


def current(conn: Connection, settings: Settings) -> ReconSettings:
    row = conn.execute(sa.select(table).where(table.c.settings_id == _ROW)).first()
    if row is None:
        return defaults(settings)
    bands = json.loads(row.cost_bands)
    return ReconSettings(
        weight_tolerance_lb=row.weight_tolerance_lb,
        grace_days=row.grace_days,
        dim_divisor=row.dim_divisor,
        cost_bands=tuple(CostBand(below=b, absolute=a, relative=r) for b, a, r in bands),
        carrier_divisors=json.loads(row.carrier_divisors),
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _changed_since(now: ReconSettings, seen: int) -> Conflict:
    return Conflict(
        f"The reconciliation settings changed since you opened them (version {seen}; now "
        f"{now.version}, saved by {now.updated_by}). Reload them and save again.",
        version=now.version,
    )


def update(
    conn: Connection,
    settings: Settings,
    *,
    weight_tolerance_lb: Decimal | str | float | None = None,
    grace_days: int | None = None,
    dim_divisor: int | None = None,
    cost_bands: list[CostBand] | None = None,
    carrier_divisors: dict[str, int] | None = None,
    expected_version: int | None = None,
    actor: Actor,
    trace_id: str,
) -> ReconSettings:
    """Change the given settings (the others stay), validated, with one audit row of before/after.
    ``expected_version``: the version the editor showed; another admin's save since is refused, not
    silently replaced."""
    before = current(conn, settings)
    if expected_version is not None and expected_version != before.version:
        raise _changed_since(before, expected_version)
    after = ReconSettings(
        weight_tolerance_lb=before.weight_tolerance_lb
        if weight_tolerance_lb is None
        else _weight_tolerance(weight_tolerance_lb),
        grace_days=before.grace_days if grace_days is None else _whole(grace_days, "grace_days", minimum=0),
        dim_divisor=before.dim_divisor
        if dim_divisor is None
        else _whole(dim_divisor, "dim_divisor", minimum=1),
        cost_bands=before.cost_bands if cost_bands is None else _bands(cost_bands),
        carrier_divisors=before.carrier_divisors
        if carrier_divisors is None
        else _carrier_divisors(carrier_divisors),
        version=before.version + 1,
        updated_by=actor.email,
        updated_at=utcnow(),
    )
    values = {
        "weight_tolerance_lb": after.weight_tolerance_lb,
        "grace_days": after.grace_days,
        "dim_divisor": after.dim_divisor,
        "cost_bands": json.dumps([_band_record(b) for b in after.cost_bands]),
        "carrier_divisors": json.dumps(after.record()["carrier_divisors"]),
        "version": after.version,
        "updated_by": after.updated_by,
        "updated_at": after.updated_at,
    }
    if before.version == 0:
        conn.execute(table.insert().values(settings_id=_ROW, **values))
    else:
        # Only over the version read: a save that committed in between makes this one a conflict.
        changed = conn.execute(
            sa.update(table)
            .where(table.c.settings_id == _ROW, table.c.version == before.version)
            .values(**values)
        )
        if changed.rowcount != 1:
            raise _changed_since(current(conn, settings), before.version)
    record_action(
        conn,
        actor,
        "RECON_SETTINGS_CHANGED",
        entity_type="reconciliation_settings",
        entity_id="reconciliation",
        trace_id=trace_id,
        before=before.record(),
        after=after.record(),
        at=after.updated_at,
    )
    return after


def _decimal(value: Decimal | str | float | None, field: str, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError(f"{what} must be a number, not {value!r}.", field=field) from exc
    if not number.is_finite():
        raise ValidationError(f"{what} must be a number, not {value!r}.", field=field)
    if number < 0:
        raise ValidationError(f"{what} cannot be negative ({number}).", field=field)
    return number


def _weight_tolerance(value: Decimal | str | float) -> Decimal:
    number = _decimal(value, "weight_tolerance_lb", "The weight tolerance")
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError(
            f"The weight tolerance is kept to 0.01 lb; {number} has more decimals.",
            field="weight_tolerance_lb",
        )
    return number


def _places(value: Decimal | None, places: int, what: str) -> Decimal | None:
    """A band's amount (to the cent) or share (to 6 places), as the run stages them."""
    if value is None:
        return None
    number = _decimal(value, "cost_bands", what)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(
            f"{what} is kept to {places} decimal places; {number} has more.", field="cost_bands"
        )
    return number


def _whole(value: int, field: str, *, minimum: int) -> int:
    names = {"grace_days": "Grace days", "dim_divisor": "The DIM divisor"}
    what = names.get(field, field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be a whole number, not {value!r}.", field=field)
    if value < minimum:
        bound = "0 or more" if minimum == 0 else f"at least {minimum}"
        raise ValidationError(f"{what} must be {bound} (got {value}).", field=field)
    return value


def _carrier_divisors(given: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, divisor in given.items():
        try:
            carrier = Carrier(str(name).strip().lower())
        except ValueError as exc:
            options = ", ".join(c.value for c in Carrier)
            raise ValidationError(
                f"{name!r} is not a carrier we reconcile ({options}).", field="carrier_divisors"
            ) from exc
        out[str(carrier)] = _whole(divisor, "dim_divisor", minimum=1)
    return out


def _bands(bands: list[CostBand]) -> tuple[CostBand, ...]:
    """At least one band, ascending upper bounds, the last one open, each with one tolerance."""
    if not bands:
        raise ValidationError("Give at least one cost band.", field="cost_bands")
    checked: list[CostBand] = []
    for number, band in enumerate(bands, 1):
        last = number == len(bands)
        where = f"Cost band {number}"
        if last and band.below is not None:
            raise ValidationError(
                f"{where} is the last: leave its upper bound empty, it takes every larger cost.",
                field="cost_bands",
            )
        if not last and band.below is None:
            raise ValidationError(
                f"{where} needs an upper bound (only the last is open).", field="cost_bands"
            )
        below = _places(band.below, 2, f"{where}'s upper bound")
        if below is not None and checked and checked[-1].below is not None and below <= checked[-1].below:
            raise ValidationError(
                f"Cost bands must ascend: band {number}'s upper bound {below} is not above "
                f"{checked[-1].below}.",
                field="cost_bands",
            )
        if below is not None and below <= 0:
            raise ValidationError(f"{where}'s upper bound must be above 0.", field="cost_bands")
        if (band.absolute is None) == (band.relative is None):
            raise ValidationError(
                f"{where} needs one tolerance: an absolute amount or a relative share, not both or none.",
                field="cost_bands",
            )
        absolute = _places(band.absolute, 2, f"{where}'s absolute tolerance")
        relative = _places(band.relative, 6, f"{where}'s relative tolerance")
        if relative is not None and relative > 1:
            raise ValidationError(
                f"{where}'s relative tolerance is a share of the expected cost (0.04 = 4 %); {relative} "
                "is over 100 %.",
                field="cost_bands",
            )
        checked.append(CostBand(below=below, absolute=absolute, relative=relative))
    return tuple(checked)
