"""A reconciliation run: every carrier + tracking number in the bills or WMS, decided again.

The run replaces the statuses of the packages it covers and keeps their dispute fields; a status
from 1 to 5 opens one exception for the logistics desk (its dedupe key is the shipment, so a rerun
finds the open one instead of raising a second), and a status that changed resolves the exception
of the old one with a system note. The run row records the settings used and the counts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.config import Settings
from engine.errors import ValidationError
from engine.ids import new_ulid
from engine.ledger.exceptions import (
    OPEN_STATES,
    NewException,
    act_on_exception,
    open_by_key,
    open_key,
    raise_exceptions,
)
from engine.reconciliation.models import LedgerRow, ReconRun
from engine.reconciliation.rules import COST_BANDS, EXCEPTION_STATUSES, BillRow, Outcome, Rules, Wms, decide
from engine.store.schema import carrier_cost_ledger as ledger_t
from engine.store.schema import exception_log, reconciliation_run, shipment_attributes, wms_shipment
from engine.store.sqlfiles import load_sql
from engine.vocab import Carrier, ExceptionAction, ExceptionKind, ReconStatus

Key = tuple[str, str]


def carrier_of(value: Carrier | str) -> Carrier:
    try:
        return Carrier(str(value).strip().lower())
    except ValueError as exc:
        options = ", ".join(c.value for c in Carrier)
        raise ValidationError(
            f"{value!r} is not a carrier we reconcile ({options}).", field="carrier"
        ) from exc


def rules_of(settings: Settings) -> Rules:
    return Rules(
        dim_divisor=settings.carrier_dim_divisor,
        weight_tolerance_lb=Decimal(str(settings.recon_weight_tolerance_lb)),
        grace_days=settings.recon_grace_days,
    )


def _settings_record(rules: Rules) -> dict[str, Any]:
    return {
        "carrier_dim_divisor": rules.dim_divisor,
        "recon_weight_tolerance_lb": str(rules.weight_tolerance_lb),
        "recon_grace_days": rules.grace_days,
        "cost_bands": [[str(b) if b is not None else None for b in band] for band in COST_BANDS],
    }


def _where_carrier(table: sa.Table, carrier: str | None) -> list[sa.ColumnElement[bool]]:
    return [] if carrier is None else [table.c.carrier == carrier]


def _bill_rows(conn: Connection, carrier: str | None) -> dict[Key, list[BillRow]]:
    rows: dict[Key, list[BillRow]] = defaultdict(list)
    for row in conn.execute(load_sql("reconciliation/bill_rows"), {"carrier": carrier}):
        rows[(row.carrier, row.tracking_number)].append(
            BillRow(
                amount=Decimal(row.amount),
                is_freight=bool(row.is_freight),
                rated_weight_lb=None if row.rated_weight_lb is None else Decimal(row.rated_weight_lb),
                dim_divisor=row.dim_divisor,
            )
        )
    return rows


def _wms(conn: Connection, carrier: str | None) -> dict[Key, Wms]:
    query = sa.select(wms_shipment).where(*_where_carrier(wms_shipment, carrier))
    return {
        (row.carrier, row.tracking_number): Wms(
            ship_date=row.ship_date,
            expected_cost=row.expected_cost,
            weight_lb=row.weight_lb,
            length_in=row.length_in,
            width_in=row.width_in,
            height_in=row.height_in,
        )
        for row in conn.execute(query)
    }


def _ship_dates(conn: Connection, carrier: str | None) -> dict[Key, date | None]:
    query = sa.select(
        shipment_attributes.c.carrier, shipment_attributes.c.tracking_number, shipment_attributes.c.ship_date
    ).where(*_where_carrier(shipment_attributes, carrier))
    return {(row.carrier, row.tracking_number): row.ship_date for row in conn.execute(query)}


def _windows(conn: Connection) -> dict[str, tuple[date, date]]:
    return {
        row.carrier: (row.first_day, row.last_day)
        for row in conn.execute(load_sql("reconciliation/wms_windows"))
    }


def _message(key: Key, outcome: Outcome) -> str:
    carrier, tracking = key
    facts = {
        ReconStatus.DUPLICATE_BILLING: f"billed for freight more than once (over-billed {outcome.variance})",
        ReconStatus.BILLED_NOT_SHIPPED: f"billed {outcome.billed_cost} but not in the WMS export",
        ReconStatus.SHIPPED_NOT_BILLED: "shipped (WMS) but not billed after the grace days",
        ReconStatus.WEIGHT_VARIANCE: (
            f"billed {outcome.billed_weight_lb} lb against an expected {outcome.expected_weight_lb} lb"
        ),
        ReconStatus.COST_VARIANCE: (
            f"billed {outcome.billed_cost} against an expected {outcome.expected_cost} "
            f"(variance {outcome.variance})"
        ),
    }
    return (
        f"{carrier} {tracking}: {facts[outcome.status]}. Check it, then flag and dispute it with the carrier."
    )


def run(
    conn: Connection,
    *,
    as_of: date,
    carrier: Carrier | str | None = None,
    settings: Settings,
    actor: Actor,
    trace_id: str,
) -> ReconRun:
    chosen = None if carrier is None else str(carrier_of(carrier))
    rules = rules_of(settings)
    run_id, now = new_ulid(), utcnow()
    bills, wms, ship_dates = _bill_rows(conn, chosen), _wms(conn, chosen), _ship_dates(conn, chosen)
    windows = _windows(conn)
    outcomes: dict[Key, Outcome] = {}
    for key in sorted(set(bills) | set(wms)):
        outcomes[key] = decide(
            bills.get(key, []),
            wms.get(key),
            billed_ship_date=ship_dates.get(key),
            window=windows.get(key[0]),
            as_of=as_of,
            rules=rules,
        )
    prior = {
        (row.carrier, row.tracking_number): row
        for row in conn.execute(sa.select(ledger_t).where(*_where_carrier(ledger_t, chosen)))
    }
    resolved = _resolve_cleared(
        conn, prior, outcomes, run_id=run_id, as_of=as_of, actor=actor, trace_id=trace_id
    )
    exception_ids, opened = _open_exceptions(
        conn, prior, outcomes, run_id=run_id, settings=settings, actor=actor, trace_id=trace_id
    )
    for key, outcome in outcomes.items():
        values = {
            "status": str(outcome.status),
            "billed_cost": outcome.billed_cost,
            "expected_cost": outcome.expected_cost,
            "variance": outcome.variance,
            "billed_weight_lb": outcome.billed_weight_lb,
            "expected_weight_lb": outcome.expected_weight_lb,
            "ship_date": wms[key].ship_date if key in wms else ship_dates.get(key),
            "run_id": run_id,
            "exception_id": exception_ids.get(key),
            "updated_at": now,
        }
        if key in prior:
            conn.execute(
                sa.update(ledger_t)
                .where(ledger_t.c.carrier == key[0], ledger_t.c.tracking_number == key[1])
                .values(**values)
            )
        else:
            conn.execute(ledger_t.insert().values(carrier=key[0], tracking_number=key[1], **values))
    counts = {str(status): 0 for status in ReconStatus}
    for outcome in outcomes.values():
        counts[str(outcome.status)] += 1
    record = _settings_record(rules)
    conn.execute(
        reconciliation_run.insert().values(
            run_id=run_id,
            as_of=as_of,
            carrier=chosen,
            settings=json.dumps(record, sort_keys=True),
            counts=json.dumps(counts, sort_keys=True),
            created_by=actor.email,
            created_at=now,
            trace_id=trace_id,
        )
    )
    return ReconRun(
        run_id=run_id,
        as_of=as_of,
        carrier=chosen,
        counts=counts,
        exceptions_opened=opened,
        exceptions_resolved=resolved,
        settings=record,
        trace_id=trace_id,
    )


def _resolve_cleared(
    conn: Connection,
    prior: dict[Key, Any],
    outcomes: dict[Key, Outcome],
    *,
    run_id: str,
    as_of: date,
    actor: Actor,
    trace_id: str,
) -> int:
    """Resolve the open exception of every package whose status is no longer the one it was raised for."""
    stale = {
        row.exception_id: key
        for key, row in prior.items()
        if row.exception_id and key in outcomes and outcomes[key].status != row.status
    }
    if not stale:
        return 0
    still_open = conn.execute(
        sa.select(exception_log.c.exception_id).where(
            exception_log.c.exception_id.in_(sorted(stale)),
            exception_log.c.status.in_([str(s) for s in OPEN_STATES]),
        )
    ).scalars()
    resolved = 0
    for exception_id in still_open:
        key = stale[exception_id]
        act_on_exception(
            conn,
            exception_id,
            ExceptionAction.RESOLVE,
            actor=actor,
            trace_id=trace_id,
            notes=(
                f"Reconciliation run {run_id} (as of {as_of}): {key[0]} {key[1]} is now "
                f"{outcomes[key].status}; resolved by the system."
            ),
            settled=True,
        )
        resolved += 1
    return resolved


def _open_exceptions(
    conn: Connection,
    prior: dict[Key, Any],
    outcomes: dict[Key, Outcome],
    *,
    run_id: str,
    settings: Settings,
    actor: Actor,
    trace_id: str,
) -> tuple[dict[Key, str], int]:
    """One exception per package and status: kept from an earlier run while the status holds."""
    ids: dict[Key, str] = {}
    news: list[tuple[Key, NewException]] = []
    for key, outcome in outcomes.items():
        if outcome.status not in EXCEPTION_STATUSES:
            continue
        before = prior.get(key)
        if before is not None and before.status == outcome.status and before.exception_id:
            ids[key] = before.exception_id  # a person may have dismissed it: not raised again
            continue
        shipment_id = f"{key[0]}:{key[1]}"
        news.append(
            (
                key,
                NewException(
                    kind=ExceptionKind(str(outcome.status)),
                    message=_message(key, outcome),
                    shipment_id=shipment_id,
                    dedupe_key=shipment_id,
                    payload={
                        "run_id": run_id,
                        "billed_cost": outcome.billed_cost,
                        "expected_cost": outcome.expected_cost,
                        "variance": outcome.variance,
                    },
                ),
            )
        )
    keys = [open_key(new.kind, new.dedupe_key) for _, new in news]
    already = open_by_key(conn, [k for k in keys if k is not None])
    raised = raise_exceptions(
        conn, [new for _, new in news], actor=actor, trace_id=trace_id, sla_overrides=settings.sla_hours
    )
    for (key, _), exception_id in zip(news, raised, strict=True):
        ids[key] = exception_id
    opened = sum(1 for k in keys if k not in already)
    return ids, opened


def status_of(value: ReconStatus | str) -> ReconStatus:
    try:
        return ReconStatus(str(value).strip().upper())
    except ValueError as exc:
        options = ", ".join(s.value for s in ReconStatus)
        raise ValidationError(
            f"{value!r} is not a reconciliation status ({options}).", field="status"
        ) from exc


def list_rows(
    conn: Connection, *, status: ReconStatus | str | None = None, carrier: Carrier | str | None = None
) -> list[LedgerRow]:
    where: list[sa.ColumnElement[bool]] = []
    if status is not None:
        where.append(ledger_t.c.status == str(status_of(status)))
    if carrier is not None:
        where.append(ledger_t.c.carrier == str(carrier_of(carrier)))
    query = sa.select(ledger_t).where(*where).order_by(ledger_t.c.carrier, ledger_t.c.tracking_number)
    return [LedgerRow.model_validate(dict(row._mapping)) for row in conn.execute(query)]
