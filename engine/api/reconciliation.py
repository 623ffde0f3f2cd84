"""The managers' desk (issue 9 §2, §3): WMS shipment imports, reconciliation runs, the reconciled
ledger and the dispute of a variance."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.clock import business_day
from engine.handle import Ledger
from engine.ledger.files import check_display_name
from engine.ledger.requests import run_once
from engine.logs import traced
from engine.reconciliation import dashboard, disputes, worklist
from engine.reconciliation import run as recon
from engine.reconciliation import settings as recon_settings
from engine.reconciliation.dashboard import Dashboard, PackageList
from engine.reconciliation.disputes import DisputeAction
from engine.reconciliation.models import LedgerRow, ReconRun
from engine.reconciliation.settings import CostBand, ReconSettings
from engine.reconciliation.worklist import DisputeWorklist
from engine.vocab import Carrier, ReconStatus
from engine.wms import importer as wms
from engine.wms import odbc
from engine.wms import status as wms_shipments
from engine.wms.importer import WmsImport
from engine.wms.status import WmsStatus


@requires(Permission.RECONCILE)
def import_wms(
    ledger: Ledger, content: bytes, file_name: str, *, actor: Actor, request_id: str | None = None
) -> WmsImport:
    """A WMS shipment export (CSV/xlsx): all rows valid or nothing changes; later rows replace. With a
    ``request_id`` (the form's idempotency key) a repeat of the same file answers the first import."""
    name = check_display_name(file_name)
    records = wms.validate(wms.read_wms_file(content, name))
    with traced() as trace_id:
        return run_once(
            ledger.db,  # retries integrity errors: two imports of the same package at once re-read
            lambda conn: wms.save_shipments(
                ledger.db, conn, records, actor=actor, trace_id=trace_id, source=name
            ),
            request_id=request_id,
            operation="wms.import",
            parts=(hashlib.sha256(content).hexdigest(), name),
            model=WmsImport,
            actor=actor,
            trace_id=trace_id,
        )


@requires(Permission.RECONCILE)
def pull_wms(ledger: Ledger, *, actor: Actor) -> WmsImport:
    """The WMS shipments from the WMS database (ODBC settings), validated like a file."""
    records = wms.validate(odbc.pull_rows(ledger.settings))
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: wms.save_shipments(ledger.db, conn, records, actor=actor, trace_id=trace_id),
            retry_integrity=True,
        )


@requires(Permission.READ_LEDGER)
def wms_status(ledger: Ledger, *, actor: Actor) -> WmsStatus:
    """The last WMS import (when, who, rows, file or pull) and each carrier's ship-date window."""
    with ledger.db.read() as conn:
        return wms_shipments.status(conn)


@requires(Permission.RECONCILE)
def run_reconciliation(
    ledger: Ledger, *, as_of: date | None = None, carrier: Carrier | str | None = None, actor: Actor
) -> ReconRun:
    """Reconcile every package in the bills or WMS (of one carrier, if given) as of a day (today)."""
    day = as_of or business_day(ledger.settings.zone)
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: recon.run(
                conn,
                as_of=day,
                carrier=carrier,
                settings=ledger.settings,
                actor=actor,
                trace_id=trace_id,
                db=ledger.db,
            ),
            retry_integrity=True,  # two runs at once: the second finds the first's exceptions and rows
        )


@requires(Permission.READ_LEDGER)
def reconciliation_settings(ledger: Ledger, *, actor: Actor) -> ReconSettings:
    """The bands, weight tolerance, grace days and divisors the next run uses."""
    with ledger.db.read() as conn:
        return recon_settings.current(conn, ledger.settings)


@requires(Permission.ADMINISTER)
def update_reconciliation_settings(
    ledger: Ledger,
    *,
    weight_tolerance_lb: Decimal | str | float | None = None,
    grace_days: int | None = None,
    dim_divisor: int | None = None,
    cost_bands: list[CostBand] | None = None,
    carrier_divisors: dict[str, int] | None = None,
    expected_version: int | None = None,
    actor: Actor,
) -> ReconSettings:
    """Change the reconciliation settings (those given; the others stay), audited with before/after.
    With ``expected_version`` (the version the editor showed), a save by someone else since is a
    ``Conflict``."""
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: recon_settings.update(
                conn,
                ledger.settings,
                weight_tolerance_lb=weight_tolerance_lb,
                grace_days=grace_days,
                dim_divisor=dim_divisor,
                cost_bands=cost_bands,
                carrier_divisors=carrier_divisors,
                expected_version=expected_version,
                actor=actor,
                trace_id=trace_id,
            ),
            retry_integrity=True,  # two first saves at once: the second re-reads and updates
        )


@requires(Permission.READ_LEDGER)
def list_reconciliation(
    ledger: Ledger,
    *,
    status: ReconStatus | str | None = None,
    carrier: Carrier | str | None = None,
    actor: Actor,
) -> list[LedgerRow]:
    with ledger.db.read() as conn:
        return recon.list_rows(conn, status=status, carrier=carrier)


@requires(Permission.READ_LEDGER)
def reconciliation_dashboard(
    ledger: Ledger,
    *,
    carrier: Carrier | str | None = None,
    account: str | None = None,
    since: date | None = None,
    until: date | None = None,
    actor: Actor,
) -> Dashboard:
    """The managers' dashboard of the reconciled ledger and the bills, filtered by carrier, account and
    ship-date period: aggregates and capped lists only, whatever the size of the ledger."""
    chosen = dashboard.filter_of(carrier=carrier, account=account, since=since, until=until)
    with ledger.db.read() as conn:
        return dashboard.dashboard(conn, chosen)


@requires(Permission.READ_LEDGER)
def dispute_worklist(
    ledger: Ledger, *, open_only: bool = True, tracking: str | None = None, actor: Actor
) -> DisputeWorklist:
    """The variances and disputed packages (without the closed ones when ``open_only``): their count
    and sums, and the largest (or those whose tracking number contains ``tracking``) as rows."""
    with ledger.db.read() as conn:
        return worklist.worklist(conn, open_only=open_only, tracking=tracking)


@requires(Permission.RECONCILE)
def act_on_dispute(
    ledger: Ledger,
    *,
    carrier: Carrier | str,
    tracking: str,
    action: DisputeAction | str,
    amount: Decimal | str | None = None,
    reference: str | None = None,
    actor: Actor,
    request_id: str | None = None,
) -> LedgerRow:
    """One step of a package's dispute (flag, dispute, accept, reject, close), audited. With a
    ``request_id`` a repeat (a double click) answers the first step instead of refusing a second."""
    with traced() as trace_id:
        return run_once(
            ledger.db,
            lambda conn: disputes.act(
                conn,
                str(carrier),
                tracking,
                action,
                actor=actor,
                trace_id=trace_id,
                amount=amount,
                reference=reference,
            ),
            request_id=request_id,
            operation="disputes.act",
            parts=(str(carrier).strip().lower(), tracking, str(action), amount, reference),
            model=LedgerRow,
            actor=actor,
            trace_id=trace_id,
        )


__all__ = [
    "CostBand",
    "Dashboard",
    "DisputeAction",
    "DisputeWorklist",
    "LedgerRow",
    "PackageList",
    "ReconRun",
    "ReconSettings",
    "WmsImport",
    "WmsStatus",
    "act_on_dispute",
    "dispute_worklist",
    "import_wms",
    "list_reconciliation",
    "reconciliation_dashboard",
    "reconciliation_settings",
    "run_reconciliation",
    "update_reconciliation_settings",
    "wms_status",
]
