"""The managers' desk, carrier bills (issue 9 §1): ingest a bill, list its invoices, look up a shipment."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import IO, BinaryIO

import sqlalchemy as sa

from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.carriers import files
from engine.carriers.contract import carrier_of
from engine.carriers.load import Progress, ingest, no_progress, work_dir
from engine.carriers.records import (
    CarrierFileResult,
    CarrierFileView,
    CarrierInvoiceView,
    ChargeView,
    InvoiceOutcome,
    ShipmentView,
)
from engine.errors import NotFound, ValidationError
from engine.handle import Ledger
from engine.logs import traced
from engine.operations.jobs import bill_loaded
from engine.store.schema import carrier_bill, shipment_attributes, shipment_charges
from engine.vocab import Carrier, CarrierFileStatus

__all__ = [
    "CarrierFileResult",
    "CarrierFileView",
    "CarrierInvoiceView",
    "ChargeView",
    "InvoiceOutcome",
    "ShipmentView",
    "ingest_carrier_file",
    "list_carrier_files",
    "list_carrier_invoices",
    "rerun_carrier_file",
    "shipment",
]


COPY_CHUNK = 1 << 20  # an upload goes to disk a megabyte at a time


@requires(Permission.WORK_CARRIERS)
def ingest_carrier_file(
    ledger: Ledger,
    content: bytes | Path | BinaryIO,
    file_name: str,
    *,
    carrier: Carrier | str | None = None,
    account: str | None = None,
    tenant: str | None = None,
    actor: Actor,
    progress: Progress = no_progress,
    request_id: str | None = None,
    reconcile: bool = True,
) -> CarrierFileResult:
    """Load one carrier bill: ``loaded``, ``partial`` (an invoice did not add up), ``skipped`` (the same
    bytes were loaded before) or ``rejected`` (contract mismatch, with its exception). The same
    ``request_id`` again (a double submit) answers with the first result.

    ``carrier`` and ``account`` left out are read from the file: the carrier from its layout, the
    account from its first row (the contract then holds every row to it).

    ``content`` is the bill's bytes, a readable binary stream (an upload: copied to a work file in
    chunks, never read whole), or its path on disk (the CLI and the drop folder pass the file itself)."""
    with traced() as trace_id, _on_disk(ledger, content, progress) as path:
        result = ingest(
            ledger,
            path,
            file_name,
            carrier=None if carrier is None or not str(carrier).strip() else carrier_of(carrier),
            account=account,
            tenant=tenant,
            actor=actor,
            trace_id=trace_id,
            progress=progress,
            request_id=request_id,
        )
    return _reconcile_after(result) if reconcile else result


def _reconcile_after(result: CarrierFileResult) -> CarrierFileResult:
    """Seed 003: a bill that loaded anything is followed by the reconciliation (the drop folder's job,
    which reconciles once after all its files, passes ``reconcile=False``)."""
    if result.status in (CarrierFileStatus.LOADED, CarrierFileStatus.PARTIAL):
        bill_loaded()
    return result


@contextmanager
def _on_disk(ledger: Ledger, content: bytes | Path | BinaryIO, progress: Progress) -> Iterator[Path]:
    if isinstance(content, Path):
        yield content
        return
    folder = work_dir(ledger)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="bill-", suffix=".csv") as spool:
        if isinstance(content, bytes):
            spool.write(content)
        else:
            _copy_in_chunks(content, spool, progress)
        spool.flush()
        yield Path(spool.name)


def _copy_in_chunks(source: BinaryIO, target: IO[bytes], progress: Progress) -> None:
    total = source.seek(0, 2) if source.seekable() else 0
    if source.seekable():
        source.seek(0)
    written = 0
    while block := source.read(COPY_CHUNK):
        target.write(block)
        written += len(block)
        if total:
            progress(0.05 * written / total, f"Writing the bill to disk: {written / 2**20:,.0f} MB…")


@requires(Permission.WORK_CARRIERS)
def list_carrier_files(
    ledger: Ledger,
    *,
    actor: Actor,
    status: CarrierFileStatus | str | None = None,
    carrier: Carrier | str | None = None,
    limit: int = 200,
) -> list[CarrierFileView]:
    """The bills offered to the desk, newest first: status, rows, invoices, who, when, and whether a
    rejected one can be re-run."""
    chosen = None if status is None else _file_status(status)
    which = None if carrier is None else carrier_of(carrier)
    return files.list_files(ledger, status=chosen, carrier=which, limit=max(1, min(limit, 1000)))


@requires(Permission.WORK_CARRIERS)
def rerun_carrier_file(
    ledger: Ledger,
    file_id: str,
    *,
    account: str | None = None,
    actor: Actor,
    progress: Progress = no_progress,
    request_id: str | None = None,
) -> CarrierFileResult:
    """Offer a rejected bill's kept bytes again, for ``account`` (else the one first chosen), once its
    account or the layout is fixed. A re-run that loads resolves the old file's contract exception."""
    with traced() as trace_id:
        result = files.rerun(
            ledger,
            file_id.strip(),
            account=account,
            actor=actor,
            trace_id=trace_id,
            progress=progress,
            request_id=request_id,
        )
    return _reconcile_after(result)


def _file_status(value: CarrierFileStatus | str) -> CarrierFileStatus:
    try:
        return CarrierFileStatus(str(value).strip().lower())
    except ValueError as exc:
        options = ", ".join(s.value for s in CarrierFileStatus)
        raise ValidationError(
            f"{value!r} is not a file status; choose one of: {options}.", field="status"
        ) from exc


@requires(Permission.WORK_CARRIERS)
def list_carrier_invoices(
    ledger: Ledger, *, actor: Actor, carrier: Carrier | str | None = None, account: str | None = None
) -> list[CarrierInvoiceView]:
    """Every carrier invoice met in a bill (loaded or rejected), newest invoice date first."""
    query = sa.select(carrier_bill).order_by(
        carrier_bill.c.invoice_date.desc(), carrier_bill.c.carrier, carrier_bill.c.invoice_number
    )
    if carrier is not None:
        query = query.where(carrier_bill.c.carrier == str(carrier_of(carrier)))
    if account and account.strip():  # the same account whatever its leading zeros
        query = query.where(sa.func.ltrim(carrier_bill.c.account, "0") == account.strip().lstrip("0"))
    with ledger.db.read() as conn:
        rows = conn.execute(query).mappings().all()
    return [CarrierInvoiceView.model_validate(dict(row)) for row in rows]


@requires(Permission.WORK_CARRIERS)
def shipment(ledger: Ledger, *, carrier: Carrier | str, tracking: str, actor: Actor) -> ShipmentView:
    """One carrier + tracking number: attributes and every charge; billed cost = Σ charges."""
    chosen, number = str(carrier_of(carrier)), tracking.strip()
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
