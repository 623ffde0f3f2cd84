"""The seeds' request and response bodies on the wire (seed 000 §4, seed 001 "API summary").

Where the engine's own model is the answer (a lookup, an allocation run, an exception), the route
returns it as is; these models are only the seeds' shapes that differ from the engine's: the tag
ingest request (a file by URL, base64 or multipart instead of bytes), its answer without the
console's extras, and read answers that carry the trace id as seed 001 asks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from engine import api
from engine.vocab import ExceptionAction, IngestStatus

T = TypeVar("T")


class IngestMetadata(BaseModel):
    truck_size: str | None = None
    notes: str | None = None


class TagIngestBody(BaseModel):
    """Seed 000 §4. The file comes as ``file_content_base64``, or by ``file_url`` (fetched from an
    allowlisted host), or as the ``file`` part of a multipart request instead of this JSON."""

    client_request_id: str | None = Field(
        default=None, description="the caller's idempotency key (or send an Idempotency-Key header)"
    )
    tag_id: str | None = None
    lpo_id: str | None = None
    customer_lpo_ref: str | None = None
    required_area_m2: Decimal
    requested_delivery_date: date
    file_url: str | None = None
    file_content_base64: str | None = None
    original_file_name: str
    uploaded_by: str | None = Field(
        default=None, description="recorded in the log; the tag's uploader is the API key (api:<name>)"
    )
    metadata: IngestMetadata | None = None


class TagIngestForm(BaseModel):
    """The multipart form of the same request: the cut export as the ``file`` part."""

    file: bytes = Field(json_schema_extra={"format": "binary"})
    client_request_id: str | None = None
    tag_id: str | None = None
    lpo_id: str | None = None
    customer_lpo_ref: str | None = None
    required_area_m2: Decimal
    requested_delivery_date: date
    original_file_name: str | None = Field(default=None, description="else the file part's name")
    uploaded_by: str | None = None
    truck_size: str | None = None
    notes: str | None = None


class TagIngestAnswer(BaseModel):
    """The seed's 200 (UPLOADED), 409 (DUPLICATE) and 422 (BLOCKED) bodies: the same fields in each,
    filled as the status needs."""

    model_config = ConfigDict(frozen=True)

    status: IngestStatus
    tag_id: str | None = None
    file_hash: str | None = None
    exception_id: str | None = None
    existing_tag_id: str | None = None
    message: str
    trace_id: str
    lpo_id: str | None = None
    line_count: int = 0
    client_request_id: str
    answered_at: datetime | None = None

    @classmethod
    def of(cls, result: api.IngestResult) -> TagIngestAnswer:
        return cls.model_validate(result.model_dump(include=set(cls.model_fields)))


class ExceptionActionBody(BaseModel):
    """The Teams card's action on an exception (seed 000 §5)."""

    exception_id: str
    action: ExceptionAction
    notes: str | None = None
    assignee: str | None = None
    expected_version: int | None = Field(default=None, description="refuse if someone changed it since")
    client_request_id: str | None = None


class MapLookupBody(BaseModel):
    """Seed 001 "Exact mapping runtime behavior": with ``ingest_line_id`` the decision is recorded
    once for that line (stores role); without, it is a preview and nothing is written."""

    nesting_description: str
    qty: Decimal
    uom: str
    ingest_line_id: str | None = None
    tag_id: str | None = None
    lpo_id: str | None = None
    project_id: str | None = None
    plant_id: str | None = None
    customer: str | None = None
    on_date: date | None = None
    sheet_size_mm: str | None = None
    trace_id: str | None = Field(
        default=None, description="the caller's correlation id, kept as the trace id"
    )


class MapManualBody(BaseModel):
    """Seed 001 ``POST /api/map/manual``: one material master row, added or updated."""

    nesting_description: str
    canonical_code: str
    default_sap_code: str | None = None
    uom: str
    not_tracked: bool = False
    active: bool = True
    notes: str | None = None
    client_request_id: str | None = None


class MapHistory(BaseModel):
    ingest_line_id: str
    history: list[api.HistoryEntry]
    trace_id: str


class AllocationRunBody(BaseModel):
    """Seed 001 ``POST /api/allocation/run``: a date (default: the next working day) or one tag."""

    run_date: date | None = None
    tag_id: str | None = None
    accept_stale: bool = Field(
        default=False, description="allocate from a snapshot older than the rule allows"
    )
    client_request_id: str | None = None


class Traced(BaseModel, Generic[T]):
    """A read answer with the trace id of the request (seed 001: every response carries it)."""

    data: T
    trace_id: str


class Health(BaseModel):
    status: str = Field(description="ok, degraded (schema behind) or unavailable")
    schema_version: int | None = None
    latest_schema_version: int | None = None
    message: str | None = None
