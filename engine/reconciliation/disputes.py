"""Disputes of a reconciled package: FLAGGED → DISPUTED (claim, carrier reference) → ACCEPTED
(recovered amount) | REJECTED → CLOSED. Every step is audited; a step out of order is refused.
Runs never touch these fields (DOMAIN: "dispute states are kept")."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.carriers.contract import carrier_of
from engine.clock import utcnow
from engine.errors import Conflict, NotFound, ValidationError
from engine.ledger.audit import record_action
from engine.reconciliation.models import LedgerRow
from engine.reconciliation.rules import EXCEPTION_STATUSES
from engine.store.schema import carrier_cost_ledger as ledger_t
from engine.vocab import DisputeStatus, ReconStatus


class DisputeAction(StrEnum):
    FLAG = "flag"
    DISPUTE = "dispute"
    ACCEPT = "accept"
    REJECT = "reject"
    CLOSE = "close"


# action → (the dispute states it may follow, the state it leads to); None is "no dispute yet".
TRANSITIONS: dict[DisputeAction, tuple[tuple[DisputeStatus | None, ...], DisputeStatus]] = {
    DisputeAction.FLAG: ((None,), DisputeStatus.FLAGGED),
    DisputeAction.DISPUTE: ((DisputeStatus.FLAGGED,), DisputeStatus.DISPUTED),
    DisputeAction.ACCEPT: ((DisputeStatus.DISPUTED,), DisputeStatus.ACCEPTED),
    DisputeAction.REJECT: ((DisputeStatus.DISPUTED,), DisputeStatus.REJECTED),
    DisputeAction.CLOSE: ((DisputeStatus.ACCEPTED, DisputeStatus.REJECTED), DisputeStatus.CLOSED),
}


_PAST = {
    DisputeAction.FLAG: "flagged",
    DisputeAction.DISPUTE: "disputed",
    DisputeAction.ACCEPT: "accepted",
    DisputeAction.REJECT: "rejected",
    DisputeAction.CLOSE: "closed",
}


def action_of(value: DisputeAction | str) -> DisputeAction:
    try:
        return DisputeAction(str(value).strip().lower())
    except ValueError as exc:
        options = ", ".join(a.value for a in DisputeAction)
        raise ValidationError(f"{value!r} is not a dispute action ({options}).", field="action") from exc


def _amount(value: Decimal | str | None, what: str) -> Decimal:
    if value is None or str(value).strip() == "":
        raise ValidationError(f"Give the {what} (--amount).", field="amount")
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise ValidationError(f"The {what} {value!r} is not a number.", field="amount") from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(f"The {what} must be a positive amount in cents, not {value}.", field="amount")
    return amount


def _changes(
    action: DisputeAction, row: Any, amount: Decimal | str | None, reference: str | None
) -> dict[str, Any]:
    if action is DisputeAction.FLAG and ReconStatus(row.status) not in EXCEPTION_STATUSES:
        raise Conflict(
            f"{row.carrier} {row.tracking_number} is {row.status}; only a variance can be flagged.",
            tracking_number=row.tracking_number,
        )
    if action is DisputeAction.DISPUTE:
        ref = (reference or "").strip()
        if not ref:
            raise ValidationError("Give the carrier's dispute reference (--reference).", field="reference")
        return {"claim_amount": _amount(amount, "claim amount"), "carrier_reference": ref[:100]}
    if action is DisputeAction.ACCEPT:
        recovered = _amount(amount, "recovered amount")
        if row.claim_amount is not None and recovered > row.claim_amount:
            raise ValidationError(
                f"The recovered amount {recovered} is more than the claim of {row.claim_amount}.",
                field="amount",
            )
        return {"recovered_amount": recovered}
    return {}


def act(
    conn: Connection,
    carrier: str,
    tracking: str,
    action: DisputeAction | str,
    *,
    actor: Actor,
    trace_id: str,
    amount: Decimal | str | None = None,
    reference: str | None = None,
) -> LedgerRow:
    chosen, step = str(carrier_of(carrier)), action_of(action)
    number = tracking.strip()
    where = (ledger_t.c.carrier == chosen, ledger_t.c.tracking_number == number)
    row = conn.execute(sa.select(ledger_t).where(*where)).first()
    if row is None:
        raise NotFound(
            f"{chosen} {number} is not in the reconciliation ledger; run a reconciliation first.",
            tracking_number=number,
        )
    current = None if row.dispute_status is None else DisputeStatus(row.dispute_status)
    allowed, target = TRANSITIONS[step]
    if current not in allowed:
        raise Conflict(
            f"{chosen} {number} is {current or 'not disputed'}; it cannot be {_PAST[step]} from there "
            f"(only from {', '.join(str(s or 'no dispute') for s in allowed)}).",
            tracking_number=number,
        )
    values = _changes(step, row, amount, reference) | {"dispute_status": str(target)}
    conn.execute(sa.update(ledger_t).where(*where).values(**values, updated_at=utcnow()))
    record_action(
        conn,
        actor,
        f"DISPUTE_{step.name}",
        entity_type="shipment",
        entity_id=f"{chosen}:{number}",
        trace_id=trace_id,
        before={
            "dispute_status": row.dispute_status,
            **{k: row._mapping[k] for k in values if k != "dispute_status"},
        },
        after=values,
    )
    updated = conn.execute(sa.select(ledger_t).where(*where)).one()
    return LedgerRow.model_validate(dict(updated._mapping))
