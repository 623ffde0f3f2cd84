"""The reconciliation rules of DOMAIN "Reconciliation (managers)" as pure, Decimal-exact functions.

Nothing here reads the store: ``decide`` takes what the bills and WMS say about one package and
returns its status, its variance and its expected weight, so each rule is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from engine.vocab import ReconStatus

# A cost tolerance band: (expected cost below, absolute tolerance, relative tolerance); the last band
# has no upper bound, and a band has either an absolute or a relative tolerance.
Band = tuple[Decimal | None, Decimal | None, Decimal | None]
# Default cost tolerance bands (DOMAIN): admins may change them (reconciliation settings).
# Small parcels get a fixed dollar, because a percentage of a few dollars is below rounding noise.
COST_BANDS: tuple[Band, ...] = (
    (Decimal("25"), Decimal("1.00"), None),
    (Decimal("250"), None, Decimal("0.04")),
    (None, None, Decimal("0.03")),
)
# Statuses that open an exception for the logistics desk (1–5 of the DOMAIN list).
EXCEPTION_STATUSES = frozenset(
    {
        ReconStatus.DUPLICATE_BILLING,
        ReconStatus.BILLED_NOT_SHIPPED,
        ReconStatus.SHIPPED_NOT_BILLED,
        ReconStatus.WEIGHT_VARIANCE,
        ReconStatus.COST_VARIANCE,
    }
)
CM_PER_IN = Decimal("2.54")


@dataclass(frozen=True)
class Rules:
    """The settings a run uses (recorded on the run)."""

    dim_divisor: int
    weight_tolerance_lb: Decimal
    grace_days: int
    cost_bands: tuple[Band, ...] = COST_BANDS
    carrier_divisors: tuple[tuple[str, int], ...] = ()  # (carrier, divisor): a carrier's own default

    def divisor_for(self, carrier: str | None) -> int:
        """The DIM divisor of a package whose bill row names none: its carrier's, else the default."""
        return dict(self.carrier_divisors).get(carrier or "", self.dim_divisor)


@dataclass(frozen=True)
class BillRow:
    """One bill row of a package: its charges summed, and its freight facts when it bills freight."""

    amount: Decimal
    is_freight: bool
    rated_weight_lb: Decimal | None
    dim_divisor: int | None


@dataclass(frozen=True)
class Wms:
    ship_date: date
    expected_cost: Decimal | None
    weight_lb: Decimal | None
    length_in: Decimal | None
    width_in: Decimal | None
    height_in: Decimal | None


@dataclass(frozen=True)
class Outcome:
    status: ReconStatus
    billed_cost: Decimal | None
    expected_cost: Decimal | None
    variance: Decimal | None
    billed_weight_lb: Decimal | None
    expected_weight_lb: Decimal | None


def cost_tolerance(expected: Decimal, bands: tuple[Band, ...] = COST_BANDS) -> Decimal:
    for below, absolute, relative in bands:
        if below is None or expected < below:
            return absolute if absolute is not None else expected * (relative or Decimal(0))
    raise AssertionError("the last band has no upper bound")  # pragma: no cover


def _ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


def expected_weight(wms: Wms, divisor: int) -> Decimal | None:
    """max(⌈weight lb⌉, ⌈L × W × H / divisor⌉), dimensions in inches; no dimensions → ⌈weight⌉."""
    if wms.weight_lb is None:
        return None
    actual = _ceil(wms.weight_lb)
    if wms.length_in is None or wms.width_in is None or wms.height_in is None:
        return actual
    dim = _ceil(wms.length_in * wms.width_in * wms.height_in / Decimal(divisor))
    return max(actual, dim)


def in_window(day: date | None, window: tuple[date, date] | None) -> bool:
    return day is not None and window is not None and window[0] <= day <= window[1]


def decide(
    bill_rows: list[BillRow],
    wms: Wms | None,
    *,
    billed_ship_date: date | None,
    window: tuple[date, date] | None,
    as_of: date,
    rules: Rules,
    carrier: str | None = None,
) -> Outcome:
    """The first status that applies; ``bill_rows`` in freight order (date, invoice, file row).

    This is the specification: the run computes the same set-based (sql/reconciliation/outcomes.sql),
    and a test holds the two together."""
    billed = sum((row.amount for row in bill_rows), Decimal(0)) if bill_rows else None
    freight = [row for row in bill_rows if row.is_freight]
    first = freight[0] if freight else None
    billed_weight = first.rated_weight_lb if first else None
    divisor = (first.dim_divisor if first else None) or rules.divisor_for(carrier)
    expected_cost = wms.expected_cost if wms else None
    weight = expected_weight(wms, divisor) if wms else None

    def outcome(status: ReconStatus, variance: Decimal | None) -> Outcome:
        return Outcome(status, billed, expected_cost, variance, billed_weight, weight)

    plain = (billed or Decimal(0)) - (expected_cost or Decimal(0))
    if len(freight) > 1:
        return outcome(ReconStatus.DUPLICATE_BILLING, sum((row.amount for row in freight[1:]), Decimal(0)))
    if wms is None:
        inside = in_window(billed_ship_date, window)
        return outcome(ReconStatus.BILLED_NOT_SHIPPED if inside else ReconStatus.NOT_IN_WMS_WINDOW, plain)
    if billed is None:
        due = wms.ship_date + timedelta(days=rules.grace_days) <= as_of
        return outcome(ReconStatus.SHIPPED_NOT_BILLED if due else ReconStatus.AWAITING_BILL, plain)
    if (
        billed_weight is not None
        and weight is not None
        and billed_weight - weight > rules.weight_tolerance_lb
    ):
        return outcome(ReconStatus.WEIGHT_VARIANCE, plain)
    if expected_cost is not None and abs(billed - expected_cost) > cost_tolerance(
        expected_cost, rules.cost_bands
    ):
        return outcome(ReconStatus.COST_VARIANCE, plain)
    return outcome(ReconStatus.MATCHED, plain)
