"""A reconciliation run: every carrier + tracking number in the bills or WMS, decided again.

The run is set-based: ``sql/reconciliation/stage_outcomes.sql`` decides every package at once into a
staged temp table (``rules.decide`` is its specification), and the ledger, the exceptions and the run
row are written from it with a handful of statements, so a million packages cost seconds, not hours.
It replaces the statuses of the packages it covers and keeps their dispute fields; a status from 1 to
5 opens one exception for the logistics desk (its dedupe key is the shipment, so a rerun finds the
open one instead of raising a second), and a status that changed resolves the exception of the old
one with a system note. The run row records the settings used (admin-editable, ``settings.py``) and
the counts.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.carriers.contract import carrier_of
from engine.clock import utcnow
from engine.config import Settings
from engine.errors import Conflict, ValidationError
from engine.ids import new_ulid
from engine.ledger.audit import audit_row
from engine.ledger.exceptions import NewException, open_by_key, open_key, raise_exceptions
from engine.reconciliation import settings as recon_settings
from engine.reconciliation.models import LedgerRow, ReconRun
from engine.reconciliation.rules import EXCEPTION_STATUSES, Rules
from engine.store.gateway import Database
from engine.store.schema import carrier_cost_ledger as ledger_t
from engine.store.schema import reconciliation_run, user_action_history
from engine.store.sqlfiles import load_sql
from engine.vocab import Carrier, ExceptionKind, ExceptionStatus, ReconStatus

Key = tuple[str, str]
FINDINGS = sorted(str(status) for status in EXCEPTION_STATUSES)

# The run's staging tables: temporary (one connection, dropped at the end of the run), so two runs
# on PostgreSQL never see each other's rows. Not in engine.store.schema: no migration creates them.
_staging = sa.MetaData()
_TEMP = ["TEMPORARY"]
_band = sa.Table(
    "recon_band",
    _staging,
    sa.Column("low", sa.Numeric(18, 2)),
    sa.Column("below", sa.Numeric(18, 2)),
    sa.Column("absolute_tolerance", sa.Numeric(18, 2)),
    sa.Column("relative_tolerance", sa.Numeric(9, 6)),
    prefixes=_TEMP,
)
_divisor = sa.Table(
    "recon_divisor",
    _staging,
    sa.Column("carrier", sa.String(20)),
    sa.Column("dim_divisor", sa.Integer),
    prefixes=_TEMP,
)
_outcome = sa.Table(
    "recon_outcome",
    _staging,
    sa.Column("carrier", sa.String(20)),
    sa.Column("tracking_number", sa.String(40)),
    sa.Column("status", sa.String(30)),
    sa.Column("billed_cost", sa.Numeric(18, 2)),
    sa.Column("expected_cost", sa.Numeric(18, 2)),
    sa.Column("variance", sa.Numeric(18, 2)),
    sa.Column("billed_weight_lb", sa.Numeric(12, 1)),
    sa.Column("expected_weight_lb", sa.Numeric(12, 1)),
    sa.Column("ship_date", sa.Date),
    sa.Column("in_prior", sa.Boolean),
    sa.Column("prior_status", sa.String(30)),
    sa.Column("prior_exception_id", sa.String(20)),
    sa.Column("exception_id", sa.String(20)),
    prefixes=_TEMP,
)
_raised = sa.Table(
    "recon_raised",
    _staging,
    sa.Column("carrier", sa.String(20)),
    sa.Column("tracking_number", sa.String(40)),
    sa.Column("exception_id", sa.String(20)),
    prefixes=_TEMP,
)
_resolved = sa.Table(
    "recon_resolved",
    _staging,
    sa.Column("exception_id", sa.String(20)),
    sa.Column("version", sa.Integer),
    sa.Column("notes", sa.String(4000)),
    prefixes=_TEMP,
)


def _message(key: Key, row: Any) -> str:
    carrier, tracking = key
    facts = {
        ReconStatus.DUPLICATE_BILLING: f"billed for freight more than once (over-billed {row.variance})",
        ReconStatus.BILLED_NOT_SHIPPED: f"billed {row.billed_cost} but not in the WMS export",
        ReconStatus.SHIPPED_NOT_BILLED: "shipped (WMS) but not billed after the grace days",
        ReconStatus.WEIGHT_VARIANCE: (
            f"billed {row.billed_weight_lb} lb against an expected {row.expected_weight_lb} lb"
        ),
        ReconStatus.COST_VARIANCE: (
            f"billed {row.billed_cost} against an expected {row.expected_cost} (variance {row.variance})"
        ),
    }
    fact = facts[ReconStatus(row.status)]
    return f"{carrier} {tracking}: {fact}. Check it, then flag and dispute it with the carrier."


def _bulk(conn: Connection, db: Database | None, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if db is not None:
        db.bulk_insert(conn, table, rows)
    else:
        conn.execute(table.insert(), rows)


def _stage(conn: Connection, rules: Rules) -> None:
    """Create the staging tables and put the bands and per-carrier divisors in them."""
    for table in _staging.sorted_tables:
        conn.execute(sa.schema.DropTable(table, if_exists=True))
        conn.execute(sa.schema.CreateTable(table))
    lows = [None, *(below for below, _, _ in rules.cost_bands[:-1])]
    bands = [
        {"low": low, "below": below, "absolute_tolerance": absolute, "relative_tolerance": relative}
        for low, (below, absolute, relative) in zip(lows, rules.cost_bands, strict=True)
    ]
    conn.execute(_band.insert(), bands)
    if rules.carrier_divisors:
        conn.execute(_divisor.insert(), [{"carrier": c, "dim_divisor": d} for c, d in rules.carrier_divisors])


def _analyze(conn: Connection, *tables: sa.Table) -> None:
    """PostgreSQL never gathers statistics on temporary tables by itself. Without them it takes the
    three bands for 800 rows, expects millions of outcomes, and JIT-compiles the run's query (1 s of a
    1.3 s run at 20,000 packages) or joins the outcomes to the ledger by nested loops. DuckDB plans
    from its own counts."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.execute(sa.text(f"ANALYZE {table.name}"))


def _drop_staging(conn: Connection) -> None:
    for table in reversed(_staging.sorted_tables):
        conn.execute(sa.schema.DropTable(table, if_exists=True))


def run(
    conn: Connection,
    *,
    as_of: date,
    carrier: Carrier | str | None = None,
    settings: Settings,
    actor: Actor,
    trace_id: str,
    db: Database | None = None,
) -> ReconRun:
    """Decide every package (of one carrier, if given) as of a day; ``db`` makes the inserts bulk."""
    chosen = None if carrier is None else str(carrier_of(carrier))
    used = recon_settings.current(conn, settings)
    rules = used.rules()
    run_id, now = new_ulid(), utcnow()
    _stage(conn, rules)
    _analyze(conn, _band, _divisor)
    conn.execute(
        _with_findings(load_sql("reconciliation/stage_outcomes")),
        {
            "carrier": chosen,
            "dim_divisor": rules.dim_divisor,
            "weight_tolerance": rules.weight_tolerance_lb,
            "shipped_by": as_of - timedelta(days=rules.grace_days),
            "findings": FINDINGS,
        },
    )
    _analyze(conn, _outcome)
    resolved = _resolve_cleared(conn, db, run_id=run_id, as_of=as_of, now=now, actor=actor, trace_id=trace_id)
    opened = _open_exceptions(conn, db, run_id=run_id, settings=settings, actor=actor, trace_id=trace_id)
    stamp = {"run_id": run_id, "now": now}
    conn.execute(load_sql("reconciliation/update_ledger"), stamp)
    conn.execute(load_sql("reconciliation/insert_ledger"), stamp)
    counts = {str(status): 0 for status in ReconStatus}
    for row in conn.execute(load_sql("reconciliation/status_counts")):
        counts[row.status] = int(row.packages)
    _drop_staging(conn)
    record = used.record()
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


def _with_findings(query: sa.TextClause) -> sa.TextClause:
    return query.bindparams(sa.bindparam("findings", expanding=True))


def _resolve_cleared(
    conn: Connection,
    db: Database | None,
    *,
    run_id: str,
    as_of: date,
    now: datetime,
    actor: Actor,
    trace_id: str,
) -> int:
    """Resolve the open exception of every package whose status is no longer the one it was raised
    for: one UPDATE over the staged notes, one audit row each (as acting on it by hand writes)."""
    cleared = conn.execute(load_sql("reconciliation/cleared_exceptions")).all()
    if not cleared:
        return 0
    staged, audits = [], []
    for row in cleared:
        notes = (
            f"Reconciliation run {run_id} (as of {as_of}): {row.carrier} {row.tracking_number} is now "
            f"{row.now_status}; resolved by the system."
        )
        staged.append({"exception_id": row.exception_id, "version": row.version, "notes": notes})
        audits.append(
            audit_row(
                actor,
                "EXCEPTION_RESOLVE",
                entity_type="exception",
                entity_id=row.exception_id,
                trace_id=trace_id,
                before={"status": row.status, "assigned_to": row.assigned_to, "version": row.version},
                after={
                    "version": str(row.version + 1),
                    "updated_by": actor.email,
                    "status": str(ExceptionStatus.RESOLVED),
                    "resolver_notes": notes,
                },
                at=now,
            )
        )
    _bulk(conn, db, _resolved, staged)
    done = conn.execute(load_sql("reconciliation/resolve_cleared"), {"actor": actor.email, "now": now})
    if done.rowcount != len(staged):
        raise Conflict("An exception of this run changed while it was being resolved; run it again.")
    _bulk(conn, db, user_action_history, audits)
    return len(staged)


def _open_exceptions(
    conn: Connection,
    db: Database | None,
    *,
    run_id: str,
    settings: Settings,
    actor: Actor,
    trace_id: str,
) -> int:
    """One exception per package and status: kept from an earlier run while the status holds (the
    staged outcome already carries it), else raised in bulk and staged onto the outcome."""
    findings = conn.execute(
        _with_findings(load_sql("reconciliation/new_findings")), {"findings": FINDINGS}
    ).all()
    if not findings:
        return 0
    news = []
    for row in findings:
        shipment_id = f"{row.carrier}:{row.tracking_number}"
        news.append(
            NewException(
                kind=ExceptionKind(row.status),
                message=_message((row.carrier, row.tracking_number), row),
                shipment_id=shipment_id,
                dedupe_key=shipment_id,
                payload={
                    "run_id": run_id,
                    "billed_cost": row.billed_cost,
                    "expected_cost": row.expected_cost,
                    "variance": row.variance,
                },
            )
        )
    keys = [open_key(new.kind, new.dedupe_key) for new in news]
    already = open_by_key(conn, [k for k in keys if k is not None])
    raised = raise_exceptions(
        conn, news, actor=actor, trace_id=trace_id, sla_overrides=settings.sla_hours, db=db
    )
    staged = [
        {"carrier": row.carrier, "tracking_number": row.tracking_number, "exception_id": exception_id}
        for row, exception_id in zip(findings, raised, strict=True)
    ]
    _bulk(conn, db, _raised, staged)
    conn.execute(load_sql("reconciliation/attach_exceptions"))
    return sum(1 for k in keys if k not in already)


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
