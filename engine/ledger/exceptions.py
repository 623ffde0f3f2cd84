"""``exception_log``: one queue for every desk (DOMAIN "Shared vocabulary").

Raising an exception happens inside the transaction of the action that found the problem. Acting on
one (acknowledge, assign, resolve, dismiss) is its own transaction, checked against the version the
user saw, so two people acting on one exception cannot overwrite each other silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from engine.auth.roles import DESK_ROLES, Actor
from engine.auth.sessions import roles_of
from engine.clock import as_utc, utcnow
from engine.errors import Conflict, Forbidden, NotFound, ValidationError
from engine.ledger.audit import audit_row, record_action
from engine.ledger.sequences import next_exception_ids
from engine.models import Page, check_paging
from engine.store.gateway import Database
from engine.store.schema import app_user, line_mapping, tag_line, user_action_history
from engine.store.schema import exception_log as ex
from engine.vocab import Desk, ExceptionAction, ExceptionKind, ExceptionStatus, MappingStatus, Severity


@dataclass(frozen=True)
class KindRule:
    desk: Desk
    severity: Severity
    sla_hours: float


# Desk and severity follow who can act on the cause; SLA hours are defaults (settings.sla_hours
# overrides per kind): blocks that stop a sale are hours, reference-data questions a working day.
KIND_RULES: dict[ExceptionKind, KindRule] = {
    ExceptionKind.DUPLICATE_UPLOAD: KindRule(Desk.SALES, Severity.LOW, 24),
    ExceptionKind.LPO_NOT_FOUND: KindRule(Desk.SALES, Severity.MEDIUM, 8),
    ExceptionKind.LPO_ON_HOLD: KindRule(Desk.SALES, Severity.HIGH, 8),
    ExceptionKind.LPO_CLOSED: KindRule(Desk.SALES, Severity.HIGH, 8),
    ExceptionKind.INSUFFICIENT_PO_BALANCE: KindRule(Desk.SALES, Severity.HIGH, 4),
    ExceptionKind.PARSE_ERROR: KindRule(Desk.SALES, Severity.MEDIUM, 8),
    ExceptionKind.MULTI_TAG_NEST: KindRule(Desk.SALES, Severity.MEDIUM, 8),
    ExceptionKind.MAPPING_REVIEW: KindRule(Desk.STORES, Severity.MEDIUM, 24),
    ExceptionKind.UNIT_CONVERSION: KindRule(Desk.STORES, Severity.MEDIUM, 24),
    ExceptionKind.INSUFFICIENT_STOCK: KindRule(Desk.STORES, Severity.HIGH, 8),
    # A material without any SKU cannot be allocated at all until stores name one.
    ExceptionKind.NO_SKU: KindRule(Desk.STORES, Severity.HIGH, 8),
    # The T-1 run waits for a newer snapshot: hours, production starts the next morning.
    ExceptionKind.STALE_SNAPSHOT: KindRule(Desk.STORES, Severity.HIGH, 4),
    # Finance desk (seed 002): an unknown or reseller vendor's invoice is routed flagged and waits
    # for its vendor; a duplicate is not routed again; an unreadable attachment needs a person.
    ExceptionKind.UNKNOWN_VENDOR: KindRule(Desk.FINANCE, Severity.MEDIUM, 24),
    ExceptionKind.DUPLICATE_INVOICE: KindRule(Desk.FINANCE, Severity.LOW, 24),
    ExceptionKind.UNREADABLE_INVOICE: KindRule(Desk.FINANCE, Severity.MEDIUM, 8),
    # Managers' desk (seed 003): a file that breaks its contract or an invoice that does not add up
    # stops loading; reconciliation findings are claims to make before the carrier's dispute window.
    ExceptionKind.ERR_FILE_CONTRACT_MISMATCH: KindRule(Desk.LOGISTICS, Severity.HIGH, 8),
    ExceptionKind.CARRIER_TOTALS_MISMATCH: KindRule(Desk.LOGISTICS, Severity.HIGH, 8),
    ExceptionKind.DUPLICATE_BILLING: KindRule(Desk.LOGISTICS, Severity.HIGH, 48),
    ExceptionKind.BILLED_NOT_SHIPPED: KindRule(Desk.LOGISTICS, Severity.HIGH, 48),
    ExceptionKind.SHIPPED_NOT_BILLED: KindRule(Desk.LOGISTICS, Severity.LOW, 72),
    ExceptionKind.WEIGHT_VARIANCE: KindRule(Desk.LOGISTICS, Severity.MEDIUM, 72),
    ExceptionKind.COST_VARIANCE: KindRule(Desk.LOGISTICS, Severity.MEDIUM, 72),
}
OPEN_STATES = (ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED)
CLOSED_STATES = (ExceptionStatus.RESOLVED, ExceptionStatus.DISMISSED)


@dataclass(frozen=True)
class NewException:
    kind: ExceptionKind
    message: str
    tag_id: str | None = None
    line_id: str | None = None
    lpo_id: str | None = None
    file_id: str | None = None
    invoice_id: str | None = None
    carrier_file_id: str | None = None
    shipment_id: str | None = None  # "<carrier>:<tracking number>"
    qty_impact: Decimal | None = None
    dedupe_key: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def sla_due(kind: ExceptionKind, created_at: datetime, overrides: dict[str, float] | None = None) -> datetime:
    hours = (overrides or {}).get(str(kind), KIND_RULES[kind].sla_hours)
    return created_at + timedelta(hours=float(hours))


def raise_exception(
    conn: Connection,
    new: NewException,
    *,
    actor: Actor,
    trace_id: str,
    sla_overrides: dict[str, float] | None = None,
    at: datetime | None = None,
    db: Database | None = None,
) -> str:
    """Insert one exception (and its audit row) in the caller's transaction; returns its id."""
    return raise_exceptions(
        conn, [new], actor=actor, trace_id=trace_id, sla_overrides=sla_overrides, at=at, db=db
    )[0]


def raise_exceptions(
    conn: Connection,
    news: list[NewException],
    *,
    actor: Actor,
    trace_id: str,
    sla_overrides: dict[str, float] | None = None,
    at: datetime | None = None,
    db: Database | None = None,
) -> list[str]:
    """Insert several exceptions and their audit rows with one counter update (and, given the
    gateway, two bulk inserts): a sheet with thirty new descriptions raises thirty reviews.

    A dedupe key means "at most one open": while an exception of the same kind and key is open, its
    id is returned and nothing is written. The unique ``open_key`` makes that hold under concurrency
    too: the second of two racing writers fails on the key, and its unit of work, re-run by
    ``Database.write(..., retry_integrity=True)``, then finds and returns the first one's row."""
    if not news:
        return []
    keys = [open_key(new.kind, new.dedupe_key) for new in news]
    existing = open_by_key(conn, [key for key in keys if key is not None])
    fresh: list[tuple[str | None, NewException]] = []
    first_of: dict[str, int] = {}
    slots: list[str | int] = []  # per exception: the open one's id, or its place among the fresh ones
    for key, new in zip(keys, news, strict=True):
        if key is not None and key in existing:
            slots.append(existing[key])
        elif key is not None and key in first_of:
            slots.append(first_of[key])  # the same key twice in one batch: one row
        else:
            if key is not None:
                first_of[key] = len(fresh)
            slots.append(len(fresh))
            fresh.append((key, new))
    ids = _insert(conn, fresh, actor=actor, trace_id=trace_id, sla_overrides=sla_overrides, at=at, db=db)
    return [slot if isinstance(slot, str) else ids[slot] for slot in slots]


def _insert(
    conn: Connection,
    fresh: list[tuple[str | None, NewException]],
    *,
    actor: Actor,
    trace_id: str,
    sla_overrides: dict[str, float] | None,
    at: datetime | None,
    db: Database | None,
) -> list[str]:
    if not fresh:
        return []
    now = at or utcnow()
    ids = next_exception_ids(conn, now.year, len(fresh))
    rows, audits = [], []
    for exception_id, (key, new) in zip(ids, fresh, strict=True):
        rule = KIND_RULES[new.kind]
        rows.append(
            {
                "exception_id": exception_id,
                "kind": str(new.kind),
                "severity": str(rule.severity),
                "desk": str(rule.desk),
                "status": str(ExceptionStatus.OPEN),
                "message": new.message[:2000],
                "tag_id": new.tag_id,
                "line_id": new.line_id,
                "lpo_id": new.lpo_id,
                "invoice_id": new.invoice_id,
                "carrier_file_id": new.carrier_file_id,
                "shipment_id": new.shipment_id,
                "file_id": new.file_id,
                "qty_impact": new.qty_impact,
                "dedupe_key": new.dedupe_key,
                "open_key": key,
                "assigned_to": None,
                "sla_due": sla_due(new.kind, now, sla_overrides),
                "escalated_at": None,
                "resolver_notes": None,
                "resolution_txn_id": None,
                "payload": json.dumps(new.payload, default=str, sort_keys=True),
                "version": 1,
                "created_by": actor.email,
                "created_at": now,
                "updated_by": None,
                "updated_at": now,
                "trace_id": trace_id,
            }
        )
        audits.append(
            audit_row(
                actor,
                "EXCEPTION_RAISED",
                entity_type="exception",
                entity_id=exception_id,
                trace_id=trace_id,
                at=now,
                after={"kind": str(new.kind), "tag_id": new.tag_id, "lpo_id": new.lpo_id},
            )
        )
    if db is not None and len(rows) > 1:
        db.bulk_insert(conn, ex, rows)
        db.bulk_insert(conn, user_action_history, audits)
    else:
        conn.execute(ex.insert(), rows)
        conn.execute(user_action_history.insert(), audits)
    return ids


def open_key(kind: ExceptionKind, dedupe_key: str | None) -> str | None:
    """The value of the unique ``open_key`` column while an exception is open (NULL once closed)."""
    return None if dedupe_key is None else f"{kind}|{dedupe_key}"


# Up to this many keys are looked up by value; a larger batch (an allocation of 20,000 lines can
# raise 7,000 shortages) reads the open keys of its kinds instead: 7,000 bound values cost DuckDB
# about 260 ms, the scan of the open rows of a kind a few.
_KEYS_BY_VALUE = 200


def open_by_key(conn: Connection, keys: list[str]) -> dict[str, str]:
    """The open exception holding each of ``keys`` (open_key → exception id)."""
    if not keys:
        return {}
    if len(keys) <= _KEYS_BY_VALUE:
        where: sa.ColumnElement[bool] = ex.c.open_key.in_(sorted(set(keys)))
    else:
        kinds = sorted({key.split("|", 1)[0] for key in keys})
        where = sa.and_(ex.c.kind.in_(kinds), ex.c.open_key.is_not(None))
    rows = conn.execute(sa.select(ex.c.open_key, ex.c.exception_id).where(where)).all()
    wanted = set(keys)
    return {row.open_key: row.exception_id for row in rows if row.open_key in wanted}


def find_open(conn: Connection, kind: ExceptionKind, dedupe_key: str) -> str | None:
    return open_by_key(conn, [f"{kind}|{dedupe_key}"]).get(f"{kind}|{dedupe_key}")


class ExceptionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    exception_id: str
    kind: ExceptionKind
    severity: Severity
    desk: Desk
    status: ExceptionStatus
    message: str
    tag_id: str | None
    line_id: str | None
    lpo_id: str | None
    invoice_id: str | None = None
    file_id: str | None
    qty_impact: Decimal | None
    assigned_to: str | None
    sla_due: datetime
    escalated_at: datetime | None
    resolver_notes: str | None
    resolution_txn_id: str | None
    payload: dict[str, Any]
    version: int
    created_by: str
    created_at: datetime
    updated_by: str | None
    updated_at: datetime
    trace_id: str
    overdue: bool

    @classmethod
    def from_row(cls, row: Any, now: datetime) -> ExceptionView:
        data = dict(row._mapping)
        data["payload"] = json.loads(data["payload"] or "{}")
        data["overdue"] = data["status"] in OPEN_STATES and as_utc(data["sla_due"]) < now
        return cls.model_validate(data)


def get_exception(conn: Connection, exception_id: str) -> ExceptionView:
    row = conn.execute(sa.select(ex).where(ex.c.exception_id == exception_id.strip())).first()
    if row is None:
        raise NotFound(
            f"No exception {exception_id!r}. Check the id (EX-YYYY-NNNNNN).", exception_id=exception_id
        )
    return ExceptionView.from_row(row, utcnow())


def visible_exception(conn: Connection, actor: Actor, exception_id: str) -> ExceptionView:
    """One exception, for someone who works its desk (a desk's queue is its own business)."""
    item = get_exception(conn, exception_id)
    if not actor.works_desk(item.desk):
        raise Forbidden(
            f"{exception_id} belongs to the {item.desk} desk, which {actor.email} does not work.",
            exception_id=item.exception_id,
        )
    return item


def list_exceptions(
    conn: Connection,
    actor: Actor,
    *,
    kind: ExceptionKind | None = None,
    status: ExceptionStatus | None = None,
    open_only: bool = False,
    desk: Desk | None = None,
    tag_id: str | None = None,
    overdue_only: bool = False,
    offset: int = 0,
    limit: int = 100,
) -> Page[ExceptionView]:
    """The actor's desks' exceptions (or one desk's), soonest due first, one page at a time."""
    check_paging(offset, limit)
    if desk is not None and not actor.works_desk(desk):
        raise Forbidden(f"{actor.email} does not work the {desk} desk's queue.", desk=str(desk))
    desks = [str(d) for d in actor.desks()] if desk is None else [str(desk)]
    now = utcnow()
    where: list[sa.ColumnElement[bool]] = [ex.c.desk.in_(desks)]
    if kind is not None:
        where.append(ex.c.kind == str(kind))
    if status is not None:
        where.append(ex.c.status == str(status))
    if open_only or overdue_only:
        where.append(ex.c.status.in_([str(s) for s in OPEN_STATES]))
    if tag_id:
        where.append(ex.c.tag_id == tag_id.strip().upper())
    if overdue_only:
        where.append(ex.c.sla_due < now)
    total = conn.execute(sa.select(sa.func.count()).select_from(ex).where(*where)).scalar_one()
    rows = conn.execute(
        sa.select(ex).where(*where).order_by(ex.c.sla_due, ex.c.exception_id).offset(offset).limit(limit)
    )
    return Page[ExceptionView](
        items=[ExceptionView.from_row(row, now) for row in rows], total=total, offset=offset, limit=limit
    )


# Tag lines wait on these kinds (line_mapping.exception_id): closing one by hand would strand them.
# They close themselves once no line waits (mapping.apply.settle_exceptions); a review is resolved
# through the mapping review, which maps every waiting line.
_LINES_WAIT_ON: dict[ExceptionKind, str] = {
    ExceptionKind.MAPPING_REVIEW: (
        "Resolve it on the Mapping review page (Stores → Mapping review): choosing the material there "
        "maps every waiting line and closes the review."
    ),
    ExceptionKind.UNIT_CONVERSION: (
        "Add the missing unit rule (material units: python -m engine materials import units FILE) or "
        "correct the SKU's factor; it closes itself once its lines convert."
    ),
}


def _refuse_stranding(conn: Connection, current: ExceptionView, action: ExceptionAction) -> None:
    advice = _LINES_WAIT_ON.get(current.kind)
    if advice is None:
        return
    waits_on_it: sa.ColumnElement[bool] = line_mapping.c.exception_id == current.exception_id
    description = current.payload.get("description")
    if current.kind is ExceptionKind.MAPPING_REVIEW and description:  # every line of the description
        waits_on_it = sa.or_(
            waits_on_it,
            sa.and_(
                line_mapping.c.description_norm == description,
                line_mapping.c.status == str(MappingStatus.REVIEW),
            ),
        )
    waiting = conn.execute(
        sa.select(sa.func.count())
        .select_from(line_mapping.join(tag_line, tag_line.c.ingest_line_id == line_mapping.c.ingest_line_id))
        .where(
            waits_on_it,
            line_mapping.c.status.in_([str(MappingStatus.REVIEW), str(MappingStatus.NO_CONVERSION)]),
            tag_line.c.superseded.is_(False),  # a replaced sheet's lines wait on nothing
        )
    ).scalar_one()
    if waiting:
        raise Conflict(
            f"{current.exception_id} cannot be {action.value}d from the queue: {waiting} tag line(s) still "
            f"wait on it. {advice}",
            exception_id=current.exception_id,
        )


def _check_assignee(conn: Connection, current: ExceptionView, assignee: str | None) -> None:
    """Only an active user who works the exception's desk can take it on."""
    email = (assignee or "").strip().lower()
    if not email:
        raise ValidationError("Name the person to assign it to.", field="assignee")
    user = conn.execute(sa.select(app_user.c.active).where(app_user.c.email == email)).first()
    if user is None or not user.active:
        state = "no user" if user is None else "deactivated"
        raise ValidationError(
            f"{email} is {state}; assign {current.exception_id} to an active user of the "
            f"{current.desk} desk.",
            field="assignee",
        )
    roles = roles_of(conn, email)
    if not roles & DESK_ROLES[current.desk]:
        raise ValidationError(
            f"{email} does not work the {current.desk} desk ({', '.join(sorted(roles)) or 'no roles'}); "
            f"assign {current.exception_id} to someone who does.",
            field="assignee",
        )


_NEXT_STATUS: dict[ExceptionAction, tuple[tuple[ExceptionStatus, ...], ExceptionStatus | None]] = {
    ExceptionAction.ACKNOWLEDGE: ((ExceptionStatus.OPEN,), ExceptionStatus.ACKNOWLEDGED),
    ExceptionAction.ASSIGN: (OPEN_STATES, None),
    ExceptionAction.RESOLVE: (OPEN_STATES, ExceptionStatus.RESOLVED),
    ExceptionAction.DISMISS: (OPEN_STATES, ExceptionStatus.DISMISSED),
}


def act_on_exception(
    conn: Connection,
    exception_id: str,
    action: ExceptionAction,
    *,
    actor: Actor,
    trace_id: str,
    notes: str | None = None,
    assignee: str | None = None,
    expected_version: int | None = None,
    resolution_txn_id: str | None = None,
    settled: bool = False,
) -> ExceptionView:
    """One action on one exception, by someone who works its desk. ``settled``: the engine closes
    an exception that the actor's own change made moot (a sales user's replaced sheet settles a
    stores review); the desk check is for people choosing to act, not for consequences."""
    current = get_exception(conn, exception_id)
    if not settled and not actor.works_desk(current.desk):
        raise Forbidden(
            f"{actor.email} may not act on {exception_id}: it belongs to the {current.desk} desk.",
            exception_id=exception_id,
        )
    if expected_version is not None and expected_version != current.version:
        raise Conflict(
            f"{exception_id} changed since you opened it (now {current.status}, by "
            f"{current.updated_by or current.created_by}). Reload and decide again.",
            exception_id=exception_id,
        )
    allowed_from, target = _NEXT_STATUS[action]
    if current.status not in allowed_from:
        raise Conflict(
            f"{exception_id} is {current.status}; it cannot be {action.value}d from there.",
            exception_id=exception_id,
        )
    if action in (ExceptionAction.RESOLVE, ExceptionAction.DISMISS) and not (notes or "").strip():
        raise ValidationError(f"Say why you {action.value} {exception_id}, in the notes.", field="notes")
    if action is ExceptionAction.ASSIGN:
        _check_assignee(conn, current, assignee)
    if action in (ExceptionAction.RESOLVE, ExceptionAction.DISMISS):
        _refuse_stranding(conn, current, action)
    now = utcnow()
    values: dict[str, Any] = {"version": current.version + 1, "updated_by": actor.email, "updated_at": now}
    if target is not None:
        values["status"] = str(target)
    if action is ExceptionAction.ASSIGN:
        values["assigned_to"] = (assignee or "").strip().lower()
    elif action is ExceptionAction.ACKNOWLEDGE and current.assigned_to is None:
        values["assigned_to"] = actor.email
    if notes is not None and notes.strip():
        values["resolver_notes"] = notes.strip()[:4000]
    if resolution_txn_id:
        values["resolution_txn_id"] = resolution_txn_id
    updated = conn.execute(
        sa.update(ex)
        .where(ex.c.exception_id == current.exception_id, ex.c.version == current.version)
        .values(**values)
        .returning(ex.c.exception_id)
    ).first()
    if updated is None:
        raise Conflict(f"{exception_id} was changed by someone else just now. Reload and decide again.")
    if target in CLOSED_STATES:
        _release_open_key(conn, current.exception_id)
    record_action(
        conn,
        actor,
        f"EXCEPTION_{action.name}",
        entity_type="exception",
        entity_id=current.exception_id,
        trace_id=trace_id,
        before={
            "status": str(current.status),
            "assigned_to": current.assigned_to,
            "version": current.version,
        },
        after={k: str(v) for k, v in values.items() if k != "updated_at"},
        at=now,
    )
    return get_exception(conn, current.exception_id)


def _release_open_key(conn: Connection, exception_id: str) -> None:
    """A closed exception no longer holds its kind and key: the next one may be raised."""
    conn.execute(sa.update(ex).where(ex.c.exception_id == exception_id).values(open_key=None))
