"""The finance desk's invoice status over the API (issue 10 §1: "invoice status" when the desk
lands): one invoice as the engine's ``show_invoice`` gives it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from console.api.auth import Caller
from console.api.problems import COMMON, trace_of
from console.api.wire import Traced
from console.handle import get_ledger
from engine import api
from engine.logs import traced

router = APIRouter(tags=["invoices"])


@router.get(
    "/invoices/{invoice_id}", summary="One invoice's status, vendor, fields and routing", responses=COMMON
)
def show_invoice(
    invoice_id: Annotated[str, Path(min_length=1, max_length=26)], request: Request, actor: Caller
) -> Traced[api.InvoiceView]:
    with traced(trace_of(request)) as trace_id:
        view = api.show_invoice(get_ledger(), invoice_id, actor=actor)
        return Traced[api.InvoiceView](data=view, trace_id=trace_id)
