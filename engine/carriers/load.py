"""Ingest one FedEx or UPS bill: preflight → contract → parse → one write transaction (DOMAIN steps 1–6).

A file whose contract fails writes its ``carrier_file`` row and one ``ERR_FILE_CONTRACT_MISMATCH``
exception and nothing else (no claim: it may be offered again once fixed; its bytes are kept under
the data directory so it can be re-run with a corrected account). The same bytes already claimed →
``skipped``, only the file row. Otherwise the invoices that add up are loaded with their charges; one
that does not gets its own ``CARRIER_TOTALS_MISMATCH`` and the file is ``partial``.

Both carriers' bills go through the set-based pipeline: a carrier's module stages and checks its rows
(``engine.carriers.fedex`` by header name, ``engine.carriers.ups`` by position), the shared SQL totals
the invoices and shapes what the store receives (``engine.carriers.staged``, SQL in ``sql/carriers/``).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.carriers import fedex, staged, ups
from engine.carriers.contract import normalise_account
from engine.carriers.records import CarrierFileResult, InvoiceOutcome
from engine.carriers.stage import BillStage, memory_capped
from engine.carriers.staged import StagedInvoice
from engine.clock import utcnow
from engine.errors import ContractMismatch, ValidationError
from engine.handle import Ledger
from engine.ids import new_ulid
from engine.ledger import requests
from engine.ledger.audit import record_action
from engine.ledger.exceptions import OPEN_STATES, NewException, act_on_exception, raise_exception
from engine.ledger.files import check_display_name
from engine.store.schema import (
    carrier_bill,
    carrier_charge_type,
    carrier_file,
    carrier_file_claim,
    carrier_service,
    carrier_tracker,
    exception_log,
)
from engine.store.sqlfiles import load_sql, sql_statements
from engine.vocab import Carrier, CarrierFileStatus, ExceptionAction, ExceptionKind, ExceptionStatus

# Seed 003's reference sync: charge names containing "adjustment" are category 16, all others 11.
ADJUSTMENT_CATEGORY, CHARGE_CATEGORY = 16, 11
LOADED, REJECTED = "loaded", "rejected"
# Tracking numbers looked up per query: well under the bind-parameter limits of every store.
ATTRIBUTE_CHUNK = 1000
HASH_BLOCK = 1 << 20


Progress = Callable[[float, str], None]  # share done (0–1) and what happens now, for a progress bar


def no_progress(_done: float, _doing: str) -> None:
    return None


@dataclass(frozen=True)
class Offer:
    path: Path  # the bill on disk (an upload is written there in chunks first)
    file_name: str
    carrier: Carrier
    account: str
    tenant: str | None
    sha256: str
    rerun_of: str | None = None  # the rejected file this offer re-runs
    request_id: str | None = None  # the caller's idempotency key: a twin gets the first answer


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def rejected_dir(ledger: Ledger) -> Path:
    """Where a rejected bill's bytes wait to be re-run, named by file id (never by the file's name)."""
    return ledger.settings.data_dir / "carriers" / "rejected"


def work_dir(ledger: Ledger) -> Path:
    return ledger.settings.data_dir / "carriers" / "work"


def ingest(
    ledger: Ledger,
    source: Path,
    file_name: str,
    *,
    carrier: Carrier | None,
    account: str | None,
    tenant: str | None,
    actor: Actor,
    trace_id: str,
    progress: Progress = no_progress,
    rerun_of: str | None = None,
    request_id: str | None = None,
) -> CarrierFileResult:
    """``carrier`` and ``account`` None: read from the file (its layout; its first row's account)."""
    if request_id is not None:
        requests.check_request_id(request_id)
    size, limit = source.stat().st_size, ledger.settings.max_carrier_upload_bytes
    if size > limit:
        raise ValidationError(
            f"The bill is {size / 2**20:,.0f} MB; the largest bill loaded here is {limit / 2**20:,.0f} MB "
            "(OPSLEDGER_MAX_CARRIER_UPLOAD_MB). Export it in parts, by invoice date.",
            field="file",
        )
    carrier = carrier or detect_carrier(source)
    account = (account or "").strip() or STAGINGS[carrier].file_account(source)
    if not normalise_account(account):
        raise ValidationError(
            "The bill's first row names no account: choose the account the bill is for.", field="account"
        )
    progress(0.05, "Fingerprinting the file (a bill loaded before is skipped)…")
    offer = Offer(
        source,
        check_display_name(file_name),
        carrier,
        account,
        tenant,
        sha256_file(source),
        rerun_of=rerun_of,
        request_id=request_id,
    )
    with ledger.db.read() as conn:
        replayed = _replayed(conn, offer)
    if replayed is not None:
        return replayed
    # The same bytes again, offered for the same carrier and account: answered before reading a row
    # of them. Offered for another account, the file is read and its contract refuses it as usual.
    with ledger.db.read() as conn:
        loaded_before = conn.execute(
            sa.select(carrier_file.c.carrier, carrier_file.c.account)
            .join(carrier_file_claim, carrier_file_claim.c.file_id == carrier_file.c.file_id)
            .where(carrier_file_claim.c.sha256 == offer.sha256)
        ).first()
    if (
        loaded_before is not None
        and loaded_before.carrier == str(carrier)
        and normalise_account(loaded_before.account or "") == normalise_account(offer.account)
    ):
        skipped = ledger.db.write(lambda conn: _skip_again(conn, offer, actor, trace_id))
        if skipped is not None:
            return skipped
    return _ingest_staged(ledger, offer, STAGINGS[carrier], actor, trace_id, progress)


@dataclass(frozen=True)
class Staging:
    """A carrier's set-based reader (its module and SQL): what its contract needs before staging (a
    header's columns, lines to skip), the staged rows, the contract's row checks, every cell read,
    and the rows typed and totalled. A third carrier is a layout, one of these and its tests."""

    name: str
    looks_like: Callable[[list[str]], bool]  # the file's first row is this carrier's
    file_account: Callable[[Path], str]  # the account the file's first row bills
    contract: Callable[[Path], Any]  # what stage_rows needs, or a ContractMismatch
    stage_rows: Callable[[BillStage, Path, Any], int]
    mismatch: Callable[[BillStage, str], ContractMismatch | None]
    check_cells: Callable[[BillStage], None]
    shape: Callable[[BillStage], list[StagedInvoice]]


STAGINGS = {
    Carrier.FEDEX: Staging(
        "the FedEx layout",
        fedex.looks_like,
        fedex.file_account,
        fedex.contract,
        fedex.stage_rows,
        fedex.account_mismatch,
        fedex.check_cells,
        fedex.shape,
    ),
    Carrier.UPS: Staging(
        "the UPS layout",
        ups.looks_like,
        ups.file_account,
        ups.contract,
        ups.stage_rows,
        ups.mismatch,
        ups.check_cells,
        ups.shape,
    ),
}


def detect_carrier(path: Path) -> Carrier:
    """The carrier whose layout the file's first row has (FedEx's header names, UPS's width and version)."""
    first = staged.first_row(path, source="the carrier's billing portal")
    found = [carrier for carrier, staging in STAGINGS.items() if staging.looks_like(first)]
    if len(found) != 1:
        options = ", ".join(c.value for c in STAGINGS)
        raise ValidationError(
            f"The file is not recognisably one carrier's bill; choose its carrier ({options}).",
            field="carrier",
        )
    return found[0]


class _Refused(Exception):
    """The contract failed while staging: the load's transaction is given up, the refusal written in one
    of its own (on DuckDB a failed read leaves the transaction unusable)."""

    def __init__(self, mismatch: ContractMismatch, rows: int) -> None:
        super().__init__(mismatch.message)
        self.mismatch, self.rows = mismatch, rows


def _ingest_staged(
    ledger: Ledger, offer: Offer, staging: Staging, actor: Actor, trace_id: str, progress: Progress
) -> CarrierFileResult:
    progress(0.1, f"Checking the file against {staging.name}…")
    found = staging.contract(offer.path)
    if isinstance(found, ContractMismatch):
        return _refuse(ledger, offer, _Refused(found, _count_rows(offer.path)), actor, trace_id)
    spill = work_dir(ledger)
    Prepared = tuple[int, list[StagedInvoice]]

    def prepare(stage: BillStage) -> Prepared:
        try:
            return read(stage)
        except duckdb.Error as exc:  # a value no check foresaw: still the file's fault, said plainly
            said = staged.ReadError.of(exc)
            raise ValidationError(
                f"The bill holds a value the ledger cannot take ({said.first_line}); "
                "export it again or send it to support with its trace id.",
                field="file",
            ) from exc

    def read(stage: BillStage) -> Prepared:
        progress(0.15, "Reading every row…")
        try:
            rows = staging.stage_rows(stage, offer.path, found)
        except ContractMismatch as broken:
            raise _Refused(broken, _count_rows(offer.path)) from broken
        progress(0.45, f"Checking the contract and every cell of {rows:,} rows…")
        refused = staging.mismatch(stage, offer.account)
        if refused is not None:
            raise _Refused(refused, rows)
        staging.check_cells(stage)
        progress(0.55, "Typing the rows, grouping multi-piece shipments, totalling the invoices…")
        return rows, staging.shape(stage)

    def commit(
        conn: Connection, stage: BillStage, prepared: tuple[int, list[StagedInvoice]]
    ) -> CarrierFileResult:
        rows, invoices = prepared
        progress(0.65, f"Loading {len(invoices):,} invoice(s) into the shipment ledger…")
        return _load_staged(ledger, conn, stage, offer, invoices, rows, actor, trace_id)

    try:
        if ledger.db.is_duckdb:
            # The store's own connection stages the bill, inside the one write transaction.
            def work(conn: Connection) -> CarrierFileResult:
                with BillStage.of_store(conn, spill) as stage:
                    return commit(conn, stage, prepare(stage))

            with memory_capped(ledger.db):
                return ledger.db.write(work, retry_integrity=True)
        with BillStage.in_memory(spill) as stage:
            prepared = prepare(stage)
            return ledger.db.write(lambda conn: commit(conn, stage, prepared), retry_integrity=True)
    except _Refused as refused:
        return _refuse(ledger, offer, refused, actor, trace_id)


def _refuse(
    ledger: Ledger, offer: Offer, refused: _Refused, actor: Actor, trace_id: str
) -> CarrierFileResult:
    what, rows = refused.mismatch.message, refused.rows
    return ledger.db.write(lambda conn: _reject(ledger, conn, offer, what, rows, actor, trace_id))


def _count_rows(path: Path) -> int:
    """Data rows of a file whose contract failed before it was staged (for its history row)."""
    with path.open("rb") as source:
        return sum(1 for line in source if line.strip())


def _file_row(
    offer: Offer, file_id: str, status: CarrierFileStatus, rows: int, actor: Actor, **more: Any
) -> dict[str, Any]:
    return {
        "file_id": file_id,
        "sha256": offer.sha256,
        "carrier": str(offer.carrier),
        "account": offer.account,
        "tenant": offer.tenant,
        "file_name": offer.file_name,
        "rows": rows,
        "status": str(status),
        "loaded_by": actor.email,
        "loaded_at": utcnow(),
        "rerun_of": offer.rerun_of,
        **more,
    }


REQUEST_OPERATION = "carrier_file_ingest"


def _request_print(offer: Offer) -> str:
    return requests.fingerprint(offer.carrier, offer.account, offer.sha256, offer.file_name, offer.rerun_of)


def _replayed(conn: Connection, offer: Offer) -> CarrierFileResult | None:
    """The stored answer of an earlier request with this offer's idempotency key (a double submit)."""
    if offer.request_id is None:
        return None
    return requests.stored(
        conn, offer.request_id, REQUEST_OPERATION, _request_print(offer), CarrierFileResult
    )


def _answer(
    conn: Connection, offer: Offer, result: CarrierFileResult, actor: Actor, trace_id: str
) -> CarrierFileResult:
    """Every unit of work ends here: the answer is stored under the request id in its transaction."""
    if offer.request_id is not None:
        requests.remember(
            conn,
            offer.request_id,
            REQUEST_OPERATION,
            _request_print(offer),
            result,
            actor=actor,
            trace_id=trace_id,
        )
    return result


def _result(offer: Offer, row: dict[str, Any], invoices: list[InvoiceOutcome]) -> CarrierFileResult:
    return CarrierFileResult(
        status=CarrierFileStatus(row["status"]),
        file_id=row["file_id"],
        file_hash=offer.sha256,
        carrier=str(offer.carrier),
        account=offer.account,
        rows=row["rows"],
        invoices=invoices,
        exception_id=row.get("exception_id"),
        message=row.get("message"),
        trace_id=row["trace_id"],
    )


def _reject(
    ledger: Ledger, conn: Connection, offer: Offer, what: str, rows: int, actor: Actor, trace_id: str
) -> CarrierFileResult:
    earlier = _replayed(conn, offer)
    if earlier is not None:
        return earlier
    file_id = new_ulid()
    message = f"{offer.file_name} does not match the {offer.carrier} bill contract: {what}."
    exception_id = raise_exception(
        conn,
        NewException(
            ExceptionKind.ERR_FILE_CONTRACT_MISMATCH,
            message,
            carrier_file_id=file_id,
            payload={"file_name": offer.file_name, "account": offer.account, "mismatch": what},
        ),
        actor=actor,
        trace_id=trace_id,
    )
    row = _file_row(
        offer,
        file_id,
        CarrierFileStatus.REJECTED,
        rows,
        actor,
        message=message,
        exception_id=exception_id,
        trace_id=trace_id,
    )
    conn.execute(carrier_file.insert().values(**row))
    _audit(conn, actor, "CARRIER_FILE_REJECTED", file_id, trace_id, row)
    keep = rejected_dir(ledger)
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(offer.path, keep / file_id)  # re-run once its account or layout is fixed
    return _answer(conn, offer, _result(offer, row, []), actor, trace_id)


def _audit(
    conn: Connection, actor: Actor, action: str, file_id: str, trace_id: str, row: dict[str, Any]
) -> None:
    after = {k: row.get(k) for k in ("file_name", "carrier", "account", "status", "rows", "message")}
    record_action(
        conn, actor, action, entity_type="carrier_file", entity_id=file_id, trace_id=trace_id, after=after
    )


def _skip_again(conn: Connection, offer: Offer, actor: Actor, trace_id: str) -> CarrierFileResult | None:
    """The same bytes for the same carrier and account: only the file's row (skipped), nothing read."""
    earlier = _replayed(conn, offer)
    if earlier is not None:
        return earlier
    skipped = _skip(conn, offer, new_ulid(), 0, actor, trace_id)
    return None if skipped is None else _answer(conn, offer, skipped, actor, trace_id)


def _skip(
    conn: Connection, offer: Offer, file_id: str, rows: int, actor: Actor, trace_id: str
) -> CarrierFileResult | None:
    claimed = conn.execute(
        sa.select(carrier_file_claim.c.file_id).where(carrier_file_claim.c.sha256 == offer.sha256)
    ).scalar()
    if claimed is None:
        return None
    message = f"{offer.file_name} was already loaded (file {claimed}); nothing was loaded again."
    row = _file_row(
        offer, file_id, CarrierFileStatus.SKIPPED, rows, actor, message=message, trace_id=trace_id
    )
    conn.execute(carrier_file.insert().values(**row))
    return _result(offer, row, [])


def _settle_all(
    conn: Connection,
    offer: Offer,
    file_id: str,
    invoices: Sequence[StagedInvoice],
    actor: Actor,
    trace_id: str,
    now: datetime,
) -> tuple[list[InvoiceOutcome], list[str]]:
    outcomes, notes = [], []
    for invoice in invoices:
        outcome, note = _settle(conn, offer, file_id, invoice, actor, trace_id, now)
        outcomes.append(outcome)
        if note:
            notes.append(note)
    return outcomes, notes


def _finish(
    conn: Connection,
    offer: Offer,
    file_id: str,
    outcomes: list[InvoiceOutcome],
    notes: list[str],
    rows: int,
    actor: Actor,
    trace_id: str,
    now: datetime,
) -> CarrierFileResult:
    """The file's row, its claim, the tracker and the audit, after its invoices. A file none of whose
    invoices loaded is rejected: no claim (its bytes may come again), the tracker stays."""
    loaded = sum(1 for outcome in outcomes if outcome.status == LOADED)
    if not loaded:
        message = f"No invoice of {offer.file_name} loaded: " + "; ".join(notes)
        first = next((o.exception_id for o in outcomes if o.exception_id), None)
        row = _file_row(
            offer,
            file_id,
            CarrierFileStatus.REJECTED,
            rows,
            actor,
            message=message[:2000],
            exception_id=first,
            trace_id=trace_id,
        )
        conn.execute(carrier_file.insert().values(**row))
        _audit(conn, actor, "CARRIER_FILE_REJECTED", file_id, trace_id, row)
        return _result(offer, row, outcomes)
    status = CarrierFileStatus.PARTIAL if loaded < len(outcomes) else CarrierFileStatus.LOADED
    message = "; ".join(notes) or f"{loaded} invoice(s) loaded from {offer.file_name}."
    row = _file_row(offer, file_id, status, rows, actor, message=message[:2000], trace_id=trace_id)
    conn.execute(carrier_file.insert().values(**row))
    conn.execute(carrier_file_claim.insert().values(sha256=offer.sha256, file_id=file_id))
    _track(conn, offer, file_id, now)
    _audit(conn, actor, "CARRIER_FILE_LOADED", file_id, trace_id, row)
    if offer.rerun_of is not None:
        _settle_rejection(conn, offer.rerun_of, file_id, actor, trace_id)
    return _result(offer, row, outcomes)


def _settle_rejection(conn: Connection, rejected: str, file_id: str, actor: Actor, trace_id: str) -> None:
    """A re-run that loaded: the rejected file's contract exception is moot (resolved, with a note)."""
    exception_id = conn.execute(
        sa.select(carrier_file.c.exception_id).where(carrier_file.c.file_id == rejected)
    ).scalar()
    if exception_id is not None:
        _settle_exception(conn, exception_id, f"Re-run as file {file_id}, which loaded.", actor, trace_id)


def _settle_exception(conn: Connection, exception_id: str, notes: str, actor: Actor, trace_id: str) -> None:
    """An exception the load made moot, resolved by the system with a note (when still open)."""
    state = conn.execute(
        sa.select(exception_log.c.status).where(exception_log.c.exception_id == exception_id)
    ).scalar()
    if state is None or ExceptionStatus(state) not in OPEN_STATES:
        return
    act_on_exception(
        conn,
        exception_id,
        ExceptionAction.RESOLVE,
        actor=actor,
        trace_id=trace_id,
        notes=notes,
        settled=True,
    )


def _load_staged(
    ledger: Ledger,
    conn: Connection,
    stage: BillStage,
    offer: Offer,
    invoices: list[StagedInvoice],
    rows: int,
    actor: Actor,
    trace_id: str,
) -> CarrierFileResult:
    """The staged bill into the store: each invoice decided here, its rows published set-based."""
    earlier = _replayed(conn, offer)
    if earlier is not None:
        return earlier
    file_id = new_ulid()
    skipped = _skip(conn, offer, file_id, rows, actor, trace_id)
    if skipped is not None:
        return _answer(conn, offer, skipped, actor, trace_id)
    now = utcnow()
    outcomes, notes = _settle_all(conn, offer, file_id, invoices, actor, trace_id, now)
    loaded = [out.invoice_number for out in outcomes if out.status == LOADED]
    staged.outputs(stage, loaded, carrier=str(offer.carrier), account=offer.account, file_id=file_id)
    if stage.shared:  # the DuckDB store: the stage's views go in without leaving the database
        conn.execute(load_sql("carriers/publish_charges"))
        conn.execute(load_sql("carriers/publish_levels"))
    else:  # PostgreSQL: COPY, the charges straight into their tables
        for statement in sql_statements("carriers/pg_stage_tables"):
            conn.execute(sa.text(statement))
        stage.copy_to_postgres(conn)
    conn.execute(load_sql("carriers/publish_attributes"), {"carrier": str(offer.carrier), "now": now})
    charges, adjustments, services = staged.reference_names(stage)
    _sync_names(conn, offer, charges, adjustments, services, now)
    result = _finish(conn, offer, file_id, outcomes, notes, rows, actor, trace_id, now)
    return _answer(conn, offer, result, actor, trace_id)


def _settle(
    conn: Connection,
    offer: Offer,
    file_id: str,
    invoice: StagedInvoice,
    actor: Actor,
    trace_id: str,
    now: datetime,
) -> tuple[InvoiceOutcome, str | None]:
    """Write one invoice's ``carrier_bill`` row: loaded, or rejected with its exception. The invoice
    is the same whatever the spelling of its account (``0000A1B2C3`` is ``A1B2C3``)."""
    same = (carrier_bill.c.carrier == str(offer.carrier)) & (
        carrier_bill.c.invoice_number == invoice.invoice_number
    )
    met = conn.execute(
        sa.select(
            carrier_bill.c.account, carrier_bill.c.status, carrier_bill.c.file_id, carrier_bill.c.exception_id
        ).where(same)
    ).all()
    chosen = normalise_account(offer.account)
    before = next((row for row in met if normalise_account(row.account or "") == chosen), None)
    key = same & (carrier_bill.c.account == (before.account if before is not None else offer.account))
    exception_id, note = None, None
    if before is not None and before.status == LOADED:
        note = (
            f"invoice {invoice.invoice_number} was already loaded (file {before.file_id}); not loaded again"
        )
        status = REJECTED
    elif invoice.problem:
        note = f"invoice {invoice.invoice_number} does not add up: {invoice.problem}; not loaded"
        exception_id = raise_exception(
            conn,
            NewException(
                ExceptionKind.CARRIER_TOTALS_MISMATCH,
                f"{offer.file_name}: {note}.",
                carrier_file_id=file_id,
                payload={
                    "invoice_number": invoice.invoice_number,
                    "net_total": str(invoice.net_total),
                    "amount_due": None if invoice.amount_due is None else str(invoice.amount_due),
                    "problem": invoice.problem,
                },
            ),
            actor=actor,
            trace_id=trace_id,
        )
        status = REJECTED
    else:
        status = LOADED
    outcome = InvoiceOutcome(
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        rows=invoice.row_count,
        net_total=invoice.net_total,
        amount_due=invoice.amount_due,
        packages=invoice.packages,
        invoice_level_total=invoice.invoice_level_total,
        status=status,
        exception_id=exception_id,
    )
    if before is not None and before.status != LOADED and before.exception_id and status == LOADED:
        _settle_exception(
            conn,
            before.exception_id,
            f"Invoice {invoice.invoice_number} loaded corrected from file {file_id}.",
            actor,
            trace_id,
        )
    if before is None or before.status != LOADED:
        conn.execute(carrier_bill.delete().where(key))  # a rejected invoice may come back corrected
        conn.execute(
            carrier_bill.insert().values(
                carrier=str(offer.carrier),
                account=offer.account,
                file_id=file_id,
                loaded_at=now,
                **outcome.model_dump(),
            )
        )
    return outcome, note


def _sync_names(
    conn: Connection, offer: Offer, names: set[str], adjustments: set[str], services: set[str], now: datetime
) -> None:
    """New charge types (the seed's category rule) and services of the carrier."""
    carrier = str(offer.carrier)
    known = set(
        conn.execute(
            sa.select(carrier_charge_type.c.name).where(carrier_charge_type.c.carrier == carrier)
        ).scalars()
    )
    for name in sorted(names - known):
        adjustment = name in adjustments or "adjustment" in name.lower()
        category = ADJUSTMENT_CATEGORY if adjustment else CHARGE_CATEGORY
        conn.execute(
            carrier_charge_type.insert().values(
                carrier=carrier, name=name, category=category, first_seen_at=now
            )
        )
    known = set(
        conn.execute(sa.select(carrier_service.c.name).where(carrier_service.c.carrier == carrier)).scalars()
    )
    for name in sorted(services - known):
        conn.execute(carrier_service.insert().values(carrier=carrier, name=name, first_seen_at=now))


def _track(conn: Connection, offer: Offer, file_id: str, now: datetime) -> None:
    """Seed 003's tracker: the last successful run per carrier (this transaction commits or nothing does)."""
    key = carrier_tracker.c.carrier == str(offer.carrier)
    if conn.execute(sa.select(carrier_tracker.c.carrier).where(key)).first() is None:
        conn.execute(
            carrier_tracker.insert().values(
                carrier=str(offer.carrier), last_success_at=now, last_file_id=file_id
            )
        )
    else:
        conn.execute(carrier_tracker.update().where(key).values(last_success_at=now, last_file_id=file_id))
