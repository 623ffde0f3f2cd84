"""The disputes' work list (issue 9 §4 "Disputes"): the variances and every package with a dispute,
counted and summed by the store, and the largest of them (or those a tracking number search finds)
as rows, so the page reads at most a page of the ledger whatever its size."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.reconciliation.models import LedgerRow
from engine.reconciliation.rules import EXCEPTION_STATUSES
from engine.store.schema import carrier_cost_ledger as ledger_t
from engine.vocab import DisputeStatus

WORKLIST_CAP = 100  # rows on the page; a search by tracking number finds the others
ZERO = Decimal("0")


class DisputeWorklist(BaseModel):
    """``total`` packages to work (Σ claimed, Σ recovered over all of them); ``rows`` the largest
    variances first, at most ``WORKLIST_CAP``."""

    model_config = ConfigDict(frozen=True)

    total: int
    claimed: Decimal
    recovered: Decimal
    rows: list[LedgerRow]

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


def _where(*, open_only: bool, tracking: str | None) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [
        sa.or_(
            ledger_t.c.status.in_(sorted(str(s) for s in EXCEPTION_STATUSES)),
            ledger_t.c.dispute_status.is_not(None),
        )
    ]
    if open_only:
        where.append(
            sa.or_(
                ledger_t.c.dispute_status.is_(None), ledger_t.c.dispute_status != str(DisputeStatus.CLOSED)
            )
        )
    wanted = (tracking or "").strip().replace(" ", "")
    if wanted:
        where.append(ledger_t.c.tracking_number.contains(wanted, autoescape=True))
    return where


def worklist(conn: Connection, *, open_only: bool, tracking: str | None) -> DisputeWorklist:
    where = _where(open_only=open_only, tracking=tracking)
    totals = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(ledger_t.c.claim_amount),
            sa.func.sum(ledger_t.c.recovered_amount),
        ).where(*where)
    ).one()
    size = sa.func.abs(
        sa.func.coalesce(ledger_t.c.variance, ledger_t.c.billed_cost, ledger_t.c.expected_cost, 0)
    )
    query = (
        sa.select(ledger_t)
        .where(*where)
        .order_by(size.desc(), ledger_t.c.carrier, ledger_t.c.tracking_number)
        .limit(WORKLIST_CAP)
    )
    return DisputeWorklist(
        total=totals[0],
        claimed=totals[1] or ZERO,
        recovered=totals[2] or ZERO,
        rows=[LedgerRow.model_validate(dict(row._mapping)) for row in conn.execute(query)],
    )
