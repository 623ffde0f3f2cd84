"""The managers' desk (issue 9 §2, §3): WMS shipment imports, reconciliation runs, the reconciled
ledger and the dispute of a variance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.clock import business_day
from engine.handle import Ledger
from engine.ledger.files import check_display_name
from engine.logs import traced
from engine.reconciliation import disputes
from engine.reconciliation import run as recon
from engine.reconciliation import settings as recon_settings
from engine.reconciliation.disputes import DisputeAction
from engine.reconciliation.models import LedgerRow, ReconRun
from engine.reconciliation.settings import CostBand, ReconSettings
from engine.vocab import Carrier, ReconStatus
from engine.wms import importer as wms
from engine.wms import odbc
from engine.wms.importer import WmsImport


@requires(Permission.RECONCILE)
def import_wms(ledger: Ledger, content: bytes, file_name: str, *, actor: Actor) -> WmsImport:
    """A WMS shipment export (CSV/xlsx): all rows valid or nothing changes; later rows replace."""
    records = wms.validate(wms.read_wms_file(content, check_display_name(file_name)))
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: wms.save_shipments(ledger.db, conn, records, actor=actor, trace_id=trace_id),
            retry_integrity=True,  # two imports of the same package at once: the second re-reads
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
    actor: Actor,
) -> ReconSettings:
    """Change the reconciliation settings (those given; the others stay), audited with before/after."""
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
) -> LedgerRow:
    """One step of a package's dispute (flag, dispute, accept, reject, close), audited."""
    with traced() as trace_id:
        return ledger.db.write(
            lambda conn: disputes.act(
                conn,
                str(carrier),
                tracking,
                action,
                actor=actor,
                trace_id=trace_id,
                amount=amount,
                reference=reference,
            )
        )


__all__ = [
    "CostBand",
    "DisputeAction",
    "LedgerRow",
    "ReconRun",
    "ReconSettings",
    "WmsImport",
    "act_on_dispute",
    "import_wms",
    "list_reconciliation",
    "reconciliation_settings",
    "run_reconciliation",
    "update_reconciliation_settings",
]
