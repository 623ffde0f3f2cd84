"""The managers' dashboard (issue 9 §4): every figure an aggregate computed by the store.

The page must draw in well under two seconds with a million billed shipments in the store, so nothing
here reads the ledger row by row: four set-based queries (``sql/reconciliation/dashboard_*``) give
the weekly spend, the per-status and per-dispute sums with the cost per package, the variance
histogram and the capped package lists, and the totals of those lists come from the sums.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.carriers.contract import carrier_of, normalise_account
from engine.errors import ValidationError
from engine.reconciliation.models import LedgerRow
from engine.reconciliation.rules import EXCEPTION_STATUSES
from engine.store.sqlfiles import load_sql
from engine.vocab import ReconStatus

LIST_CAP = 100  # rows per list on the page: enough to act on, few enough to draw at once
HISTOGRAM_BINS = 30  # ~a bar per 10 px on a half-width chart
CENT = Decimal("0.01")
ZERO = Decimal("0")
# The "top variances" list: the statuses whose variance is the finding (a duplicate has its own list).
VARIANCE_STATUSES = (ReconStatus.COST_VARIANCE, ReconStatus.WEIGHT_VARIANCE)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class DashboardFilter(Frozen):
    carrier: str | None = None
    account: str | None = None
    since: date | None = None
    until: date | None = None


class WeeklySpend(Frozen):
    """Σ billed in one week (Monday) for one carrier, service or charge type."""

    week: date
    name: str
    amount: Decimal


class WeeklyPackageCost(Frozen):
    week: date
    carrier: str
    packages: int
    billed: Decimal

    @property
    def per_package(self) -> Decimal:
        return (self.billed / self.packages).quantize(CENT) if self.packages else ZERO


class StatusTotal(Frozen):
    status: ReconStatus
    packages: int
    billed: Decimal
    expected: Decimal
    variance: Decimal


class DisputeTotal(Frozen):
    dispute_status: str
    packages: int
    claimed: Decimal
    recovered: Decimal


class VarianceBin(Frozen):
    """Packages whose variance lies in [low, high); the first and last bin also hold the tails."""

    low: Decimal
    high: Decimal
    packages: int
    open_below: bool = False
    open_above: bool = False


class PackageList(Frozen):
    """The first ``len(rows)`` of ``total`` packages (largest amount first) and Σ of their amount."""

    total: int
    amount: Decimal
    rows: list[LedgerRow]

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


class Dashboard(Frozen):
    filter: DashboardFilter
    accounts: dict[str, list[str]]  # carrier -> the accounts its bills name, for the filter
    spend_by_carrier: list[WeeklySpend]
    spend_by_service: list[WeeklySpend]
    spend_by_charge_type: list[WeeklySpend]
    package_cost: list[WeeklyPackageCost]
    statuses: list[StatusTotal]  # every status, in the rules' order, zeros included
    disputes: list[DisputeTotal]
    variance_bins: list[VarianceBin]
    top_variances: PackageList
    duplicates: PackageList
    billed_not_shipped: PackageList
    shipped_not_billed: PackageList

    @property
    def packages(self) -> int:
        return sum(s.packages for s in self.statuses)

    @property
    def billed(self) -> Decimal:
        return sum((s.billed for s in self.statuses), ZERO)

    @property
    def claimed(self) -> Decimal:
        return sum((d.claimed for d in self.disputes), ZERO)

    @property
    def recovered(self) -> Decimal:
        return sum((d.recovered for d in self.disputes), ZERO)

    @property
    def exceptions(self) -> int:
        return sum(s.packages for s in self.statuses if s.status in EXCEPTION_STATUSES)


def filter_of(
    *,
    carrier: str | None = None,
    account: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> DashboardFilter:
    if since is not None and until is not None and since > until:
        raise ValidationError(f"The period starts ({since}) after it ends ({until}).", field="since")
    return DashboardFilter(
        carrier=None if carrier is None else str(carrier_of(carrier)),
        account=normalise_account(account) or None if account else None,
        since=since,
        until=until,
    )


def _params(chosen: DashboardFilter) -> dict[str, Any]:
    return chosen.model_dump()


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value)


def _spend(conn: Connection, chosen: DashboardFilter) -> dict[str, list[WeeklySpend]]:
    found: dict[str, list[WeeklySpend]] = {"carrier": [], "service": [], "charge_type": []}
    for row in conn.execute(load_sql("reconciliation/dashboard_spend"), _params(chosen)):
        found[row.dimension].append(WeeklySpend(week=row.week, name=row.name, amount=_money(row.amount)))
    return found


def _summary(
    conn: Connection, chosen: DashboardFilter
) -> tuple[list[StatusTotal], list[WeeklyPackageCost], list[DisputeTotal]]:
    statuses = {
        s: StatusTotal(status=s, packages=0, billed=ZERO, expected=ZERO, variance=ZERO) for s in ReconStatus
    }
    weeks: list[WeeklyPackageCost] = []
    disputes: list[DisputeTotal] = []
    for row in conn.execute(load_sql("reconciliation/dashboard_summary"), _params(chosen)):
        if row.kind == "status":
            status = ReconStatus(row.name)
            statuses[status] = StatusTotal(
                status=status,
                packages=row.packages,
                billed=_money(row.billed),
                expected=_money(row.expected),
                variance=_money(row.variance),
            )
        elif row.kind == "week":
            if row.week is None or not row.packages:  # no ship date, or nothing billed that week
                continue
            weeks.append(
                WeeklyPackageCost(
                    week=row.week, carrier=row.carrier, packages=row.packages, billed=_money(row.billed)
                )
            )
        elif row.name is not None:  # the undisputed packages
            disputes.append(
                DisputeTotal(
                    dispute_status=row.name,
                    packages=row.packages,
                    claimed=_money(row.claimed),
                    recovered=_money(row.recovered),
                )
            )
    weeks.sort(key=lambda w: (w.week, w.carrier))
    disputes.sort(key=lambda d: d.dispute_status)
    return list(statuses.values()), weeks, disputes


def _edge(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _variance_bins(conn: Connection, chosen: DashboardFilter) -> list[VarianceBin]:
    rows = list(
        conn.execute(
            load_sql("reconciliation/dashboard_variances"), {**_params(chosen), "bins": HISTOGRAM_BINS}
        )
    )
    if not rows:
        return []
    low, high = float(rows[0].low), float(rows[0].high)
    width = (high - low) / HISTOGRAM_BINS
    if width <= 0:  # every differing package has the same variance: one bar
        return [VarianceBin(low=_edge(low), high=_edge(high), packages=sum(r.packages for r in rows))]
    counts = {int(r.bin): int(r.packages) for r in rows}
    last = HISTOGRAM_BINS - 1
    return [
        VarianceBin(
            low=_edge(low + i * width),
            high=_edge(low + (i + 1) * width),
            packages=counts.get(i, 0),
            open_below=i == 0,
            open_above=i == last,
        )
        for i in range(HISTOGRAM_BINS)
    ]


# Each list: its statuses, and which of their sums is the list's amount.
LISTS: dict[str, tuple[tuple[ReconStatus, ...], str]] = {
    "top_variances": (VARIANCE_STATUSES, "variance"),
    "duplicates": ((ReconStatus.DUPLICATE_BILLING,), "variance"),
    "billed_not_shipped": ((ReconStatus.BILLED_NOT_SHIPPED,), "billed"),
    "shipped_not_billed": ((ReconStatus.SHIPPED_NOT_BILLED,), "expected"),
}


def _lists(
    conn: Connection, chosen: DashboardFilter, totals: dict[ReconStatus, StatusTotal]
) -> dict[str, PackageList]:
    rows: dict[str, list[LedgerRow]] = {name: [] for name in LISTS}
    found = conn.execute(load_sql("reconciliation/dashboard_packages"), {**_params(chosen), "cap": LIST_CAP})
    for row in found:
        rows[row.list].append(LedgerRow.model_validate(dict(row._mapping)))
    return {
        name: PackageList(
            total=sum(totals[s].packages for s in statuses),
            amount=sum((getattr(totals[s], amount) for s in statuses), ZERO),
            rows=rows[name],
        )
        for name, (statuses, amount) in LISTS.items()
    }


def _accounts(conn: Connection) -> dict[str, list[str]]:
    accounts: dict[str, list[str]] = {}
    for row in conn.execute(load_sql("reconciliation/dashboard_accounts")):
        accounts.setdefault(row.carrier, []).append(row.account)
    return accounts


def dashboard(conn: Connection, chosen: DashboardFilter) -> Dashboard:
    spend = _spend(conn, chosen)
    statuses, weeks, disputes = _summary(conn, chosen)
    lists = _lists(conn, chosen, {s.status: s for s in statuses})
    return Dashboard(
        filter=chosen,
        accounts=_accounts(conn),
        spend_by_carrier=spend["carrier"],
        spend_by_service=spend["service"],
        spend_by_charge_type=spend["charge_type"],
        package_cost=weeks,
        statuses=statuses,
        disputes=disputes,
        variance_bins=_variance_bins(conn, chosen),
        **lists,
    )
