"""The managers' desk over the API (issue 10 §1: "bill upload, reconciliation list" when the desk
lands): a carrier bill as a multipart upload, and the reconciliation ledger. Thin adapters over
``api.ingest_carrier_file`` and ``api.list_reconciliation``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from console.api.auth import Caller
from console.api.problems import COMMON, TRACE_HEADER, trace_of
from console.api.wire import Traced
from console.handle import get_ledger
from engine import api
from engine.logs import traced
from engine.vocab import Carrier, ReconStatus

router = APIRouter(tags=["carriers"])


@router.post(
    "/carriers/bills",
    summary="Load a carrier bill (FedEx CSV, UPS Billing Data v2.1)",
    response_model=api.CarrierFileResult,
    responses=COMMON,
)
async def upload_bill(
    request: Request,
    actor: Caller,
    file: Annotated[UploadFile, File(description="the bill as the carrier's portal gives it")],
    carrier: Annotated[Carrier | None, Form(description="default: from the file's layout")] = None,
    account: Annotated[
        str | None, Form(max_length=20, description="default: the file's first row's account")
    ] = None,
    tenant: Annotated[str | None, Form(max_length=50)] = None,
) -> JSONResponse:
    """``loaded``, ``partial`` (an invoice did not add up), ``skipped`` (the same bytes before) or
    ``rejected`` (the file's contract does not hold; its exception names what). Without a carrier or
    an account they are read from the file (its layout; its first row, every row then held to it)."""
    name = file.filename or "bill.csv"

    def load() -> api.CarrierFileResult:
        # The part is spooled to disk by the server; the engine copies it to its work file in chunks.
        with traced(trace_of(request)):
            return api.ingest_carrier_file(
                get_ledger(),
                file.file,
                name,
                carrier=carrier,
                account=(account or "").strip() or None,
                tenant=tenant,
                actor=actor,
            )

    result = await run_in_threadpool(load)  # a bill that loaded is followed by the reconciliation
    return JSONResponse(result.model_dump(mode="json"), headers={TRACE_HEADER: result.trace_id})


@router.get("/reconciliation", summary="The reconciliation ledger, filtered", responses=COMMON)
def reconciliation(
    request: Request,
    actor: Caller,
    status: ReconStatus | None = None,
    carrier: Carrier | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Traced[list[api.LedgerRow]]:
    with traced(trace_of(request)) as trace_id:
        rows = api.list_reconciliation(get_ledger(), status=status, carrier=carrier, actor=actor)
        return Traced[list[api.LedgerRow]](data=rows[:limit], trace_id=trace_id)
