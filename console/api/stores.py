"""Seed 001's stores routes: mapping lookup, manual mapping, mapping history, allocation run and
status. Each is the engine call the stores pages and the CLI make."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from console.api.auth import Caller
from console.api.problems import COMMON, trace_of
from console.api.wire import AllocationRunBody, MapHistory, MapLookupBody, MapManualBody, Traced
from console.handle import get_ledger
from engine import api
from engine.logs import traced

router = APIRouter()


@router.post(
    "/map/lookup", tags=["mapping"], summary="Map a nesting description (seed 001)", responses=COMMON
)
def map_lookup(body: MapLookupBody, request: Request, actor: Caller) -> api.LookupResult:
    """AUTO, OVERRIDE or REVIEW. With ``ingest_line_id`` the decision is recorded once for that line
    (a REVIEW opens the line's mapping exception) and a repeat returns it; without, nothing is written."""
    given = body.trace_id if body.trace_id and len(body.trace_id) <= 40 else None
    with traced(given or trace_of(request)):
        lookup = api.build(
            api.LookupRequest,
            description=body.nesting_description,
            qty=body.qty,
            uom=body.uom,
            lpo_id=body.lpo_id,
            project_id=body.project_id,
            plant_id=body.plant_id,
            customer=body.customer,
            line_id=body.ingest_line_id,
            on_date=body.on_date,
            sheet_size_mm=body.sheet_size_mm,
        )
        if lookup.line_id is not None:
            return api.record_lookup(get_ledger(), lookup, actor=actor)
        return api.lookup_material(get_ledger(), lookup, actor=actor)


@router.post(
    "/map/manual",
    tags=["mapping"],
    summary="Add or update a material master row (seed 001)",
    responses=COMMON,
)
def map_manual(body: MapManualBody, request: Request, actor: Caller) -> api.ImportResult:
    """All or nothing, like a master data import: waiting lines are re-mapped and their review
    exceptions resolved."""
    row = body.model_dump(exclude={"client_request_id"})
    with traced(trace_of(request)):
        return api.save_materials(
            get_ledger(),
            api.Kind.MASTER,
            [(1, row)],
            actor=actor,
            request_id=body.client_request_id or request.headers.get("idempotency-key"),
        )


@router.get(
    "/map/history", tags=["mapping"], summary="Mapping decisions of one line (seed 001)", responses=COMMON
)
def map_history(
    request: Request, actor: Caller, ingest_line_id: Annotated[str, Query(min_length=1, max_length=26)]
) -> MapHistory:
    with traced(trace_of(request)) as trace_id:
        history = api.mapping_history(get_ledger(), ingest_line_id, actor=actor)
        return MapHistory(ingest_line_id=ingest_line_id, history=history, trace_id=trace_id)


@router.post(
    "/allocation/run",
    tags=["allocation"],
    summary="Run the allocation for a date or a tag (seed 001)",
    responses=COMMON,
)
def allocation_run(body: AllocationRunBody, request: Request, actor: Caller) -> api.AllocationResult:
    with traced(trace_of(request)):
        return api.allocate(
            get_ledger(),
            run_date=body.run_date,
            tag_id=body.tag_id,
            accept_stale=body.accept_stale,
            actor=actor,
            request_id=body.client_request_id or request.headers.get("idempotency-key"),
        )


@router.get(
    "/allocation/status",
    tags=["allocation"],
    summary="A tag's allocation status (seed 001)",
    responses=COMMON,
)
def allocation_status(
    request: Request, actor: Caller, tag_id: Annotated[str, Query(min_length=1, max_length=20)]
) -> Traced[api.TagAllocation]:
    with traced(trace_of(request)) as trace_id:
        status = api.allocation_status(get_ledger(), tag_id, actor=actor)
        return Traced[api.TagAllocation](data=status, trace_id=trace_id)
