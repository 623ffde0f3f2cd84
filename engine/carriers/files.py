"""The desk's file history, and the re-run of a rejected bill once its account or layout is fixed.

A rejected bill's bytes wait under ``<data dir>/carriers/rejected/<file id>`` (never under the name
it came with). A re-run offers them again, for the account given (else the one first chosen), as a
new file that names the one it re-runs: when it loads, the old file's contract exception is resolved
in the same transaction, and the waiting copy is removed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.auth.roles import Actor
from engine.carriers.load import Progress, ingest, rejected_dir
from engine.carriers.records import CarrierFileResult, CarrierFileView
from engine.errors import NotFound, ValidationError
from engine.handle import Ledger
from engine.store.schema import carrier_bill, carrier_file
from engine.vocab import Carrier, CarrierFileStatus

LOADS = (CarrierFileStatus.LOADED, CarrierFileStatus.PARTIAL)


def list_files(
    ledger: Ledger,
    *,
    status: CarrierFileStatus | None = None,
    carrier: Carrier | None = None,
    limit: int = 200,
) -> list[CarrierFileView]:
    """The newest files first, each with its invoice count and whether it can be re-run."""
    invoices = (
        sa.select(carrier_bill.c.file_id, sa.func.count().label("invoices"))
        .group_by(carrier_bill.c.file_id)
        .subquery()
    )
    reruns = (
        sa.select(carrier_file.c.rerun_of, sa.func.max(carrier_file.c.file_id).label("rerun_as"))
        .where(
            carrier_file.c.rerun_of.is_not(None),
            carrier_file.c.status.in_([str(s) for s in LOADS]),
        )
        .group_by(carrier_file.c.rerun_of)
        .subquery()
    )
    query = (
        sa.select(
            carrier_file,
            sa.func.coalesce(invoices.c.invoices, 0).label("invoices"),
            reruns.c.rerun_as,
        )
        .outerjoin(invoices, invoices.c.file_id == carrier_file.c.file_id)
        .outerjoin(reruns, reruns.c.rerun_of == carrier_file.c.file_id)
        .order_by(carrier_file.c.loaded_at.desc(), carrier_file.c.file_id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(carrier_file.c.status == str(status))
    if carrier is not None:
        query = query.where(carrier_file.c.carrier == str(carrier))
    with ledger.db.read() as conn:
        rows = conn.execute(query).mappings().all()
    kept = rejected_dir(ledger)
    return [_view(dict(row), kept.joinpath(row["file_id"]).is_file()) for row in rows]


def _view(row: dict[str, Any], kept: bool) -> CarrierFileView:
    rejected = row["status"] == str(CarrierFileStatus.REJECTED)
    return CarrierFileView.model_validate(
        {**row, "rerunnable": rejected and kept and row["rerun_as"] is None}
    )


def rerun(
    ledger: Ledger,
    file_id: str,
    *,
    account: str | None,
    actor: Actor,
    trace_id: str,
    progress: Progress,
    request_id: str | None = None,
) -> CarrierFileResult:
    with ledger.db.read() as conn:
        row = conn.execute(sa.select(carrier_file).where(carrier_file.c.file_id == file_id)).first()
    if row is None:
        raise NotFound(f"No carrier file {file_id!r}.", file_id=file_id)
    if row.status != str(CarrierFileStatus.REJECTED):
        raise ValidationError(
            f"File {file_id} ({row.file_name}) was {row.status}, not rejected: only a rejected file is "
            "re-run.",
            field="file_id",
        )
    copy = rejected_dir(ledger) / file_id
    if not copy.is_file():
        raise ValidationError(
            f"The bytes of {row.file_name} are no longer kept (it was re-run already, or the data "
            "directory was cleaned): upload the file again.",
            field="file_id",
        )
    result = ingest(
        ledger,
        copy,
        row.file_name,
        carrier=Carrier(row.carrier),
        account=(account or row.account or "").strip(),
        tenant=row.tenant,
        actor=actor,
        trace_id=trace_id,
        progress=progress,
        rerun_of=file_id,
        request_id=request_id,
    )
    if result.status in LOADS:
        copy.unlink(missing_ok=True)  # loaded: nothing waits any more
    return result
