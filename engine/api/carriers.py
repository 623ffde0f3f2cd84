"""The managers' desk, carrier bills (issue 9 §1): ingest a bill, list its invoices, look up a shipment."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.carriers.load import ingest, work_dir
from engine.carriers.records import (
    CarrierFileResult,
    CarrierInvoiceView,
    ChargeView,
    InvoiceOutcome,
    ShipmentView,
)
from engine.errors import NotFound, ValidationError
from engine.handle import Ledger
from engine.logs import traced
from engine.store.schema import carrier_bill, shipment_attributes, shipment_charges
from engine.vocab import Carrier

__all__ = [
    "CarrierFileResult",
    "CarrierInvoiceView",
    "ChargeView",
    "InvoiceOutcome",
    "ShipmentView",
    "ingest_carrier_file",
    "list_carrier_invoices",
    "shipment",
]


def _carrier(value: Carrier | str) -> Carrier:
    try:
        return Carrier(str(value).strip().lower())
    except ValueError as exc:
        options = ", ".join(c.value for c in Carrier)
        raise ValidationError(
            f"{value!r} is not a carrier; choose one of: {options}.", field="carrier"
        ) from exc


@requires(Permission.WORK_CARRIERS)
def ingest_carrier_file(
    ledger: Ledger,
    content: bytes | Path,
    file_name: str,
    *,
    carrier: Carrier | str,
    account: str,
    tenant: str | None = None,
    actor: Actor,
) -> CarrierFileResult:
    """Load one carrier bill: ``loaded``, ``partial`` (an invoice did not add up), ``skipped`` (the same
    bytes were loaded before) or ``rejected`` (contract mismatch, with its exception).

    ``content`` is the bill's bytes or, for a large file, its path on disk (the console writes an
    upload there in chunks; the CLI and the drop folder pass the file itself)."""
    with traced() as trace_id, _on_disk(ledger, content) as path:
        return ingest(
            ledger,
            path,
            file_name,
            carrier=_carrier(carrier),
            account=account,
            tenant=tenant,
            actor=actor,
            trace_id=trace_id,
        )


@contextmanager
def _on_disk(ledger: Ledger, content: bytes | Path) -> Iterator[Path]:
    if isinstance(content, Path):
        yield content
        return
    folder = work_dir(ledger)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="bill-", suffix=".csv") as spool:
        spool.write(content)
        spool.flush()
        yield Path(spool.name)


@requires(Permission.WORK_CARRIERS)
def list_carrier_invoices(
    ledger: Ledger, *, actor: Actor, carrier: Carrier | str | None = None, account: str | None = None
) -> list[CarrierInvoiceView]:
    """Every carrier invoice met in a bill (loaded or rejected), newest invoice date first."""
    query = sa.select(carrier_bill).order_by(
        carrier_bill.c.invoice_date.desc(), carrier_bill.c.carrier, carrier_bill.c.invoice_number
    )
    if carrier is not None:
        query = query.where(carrier_bill.c.carrier == str(_carrier(carrier)))
    if account:
        query = query.where(carrier_bill.c.account == account.strip())
    with ledger.db.read() as conn:
        rows = conn.execute(query).mappings().all()
    return [CarrierInvoiceView.model_validate(dict(row)) for row in rows]


@requires(Permission.WORK_CARRIERS)
def shipment(ledger: Ledger, *, carrier: Carrier | str, tracking: str, actor: Actor) -> ShipmentView:
    """One carrier + tracking number: attributes and every charge; billed cost = Σ charges."""
    chosen, number = str(_carrier(carrier)), tracking.strip()
    attributes = shipment_attributes
    with ledger.db.read() as conn:
        found = (
            conn.execute(
                sa.select(attributes).where(
                    (attributes.c.carrier == chosen) & (attributes.c.tracking_number == number)
                )
            )
            .mappings()
            .first()
        )
        if found is None:
            raise NotFound(f"No {chosen} shipment {number!r} in the loaded bills.", tracking=number)
        charges = (
            conn.execute(
                sa.select(shipment_charges)
                .where(
                    (shipment_charges.c.carrier == chosen) & (shipment_charges.c.tracking_number == number)
                )
                .order_by(
                    shipment_charges.c.invoice_date,
                    shipment_charges.c.invoice_number,
                    shipment_charges.c.file_row,
                    shipment_charges.c.is_freight.desc(),
                    shipment_charges.c.charge_id,  # a file's charge ids follow its slots
                )
            )
            .mappings()
            .all()
        )
    views = [ChargeView.model_validate(dict(c)) for c in charges]
    freight = [c for c in charges if c["is_freight"]]
    return ShipmentView(
        **{k: found[k] for k in ShipmentView.model_fields if k in found},
        billed_weight_lb=freight[0]["rated_weight_lb"] if freight else None,
        billed_cost=sum((c.amount for c in views), Decimal("0")),
        charges=views,
    )
