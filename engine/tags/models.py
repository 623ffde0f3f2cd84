"""Requests and results of the tag desk (the seed's ``POST /api/tags/ingest`` contract)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.vocab import IngestStatus, TagStatus

REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"


class IngestRequest(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    # Titles are the words of the upload form: a refused field is named as people see it.
    client_request_id: str = Field(
        default_factory=lambda: str(uuid.uuid4()), pattern=REQUEST_ID_PATTERN, title="The request id"
    )
    tag_id: str | None = Field(default=None, max_length=20, title="The tag id")
    lpo_id: str | None = Field(default=None, max_length=50, title="The LPO")
    customer_lpo_ref: str | None = Field(default=None, max_length=100, title="The customer's LPO reference")
    required_area_m2: Decimal = Field(gt=0, max_digits=18, decimal_places=4, title="The required area (m2)")
    requested_delivery_date: date = Field(title="The requested delivery date")
    original_file_name: str = Field(max_length=1000, title="The file name")
    content: bytes = Field(repr=False, title="The cut export")
    truck_size: str | None = Field(default=None, max_length=50, title="The truck size")
    notes: str | None = Field(default=None, max_length=2000, title="The notes")

    @model_validator(mode="after")
    def _needs_an_lpo(self) -> IngestRequest:
        if not (self.lpo_id or self.customer_lpo_ref):
            raise ValueError("give lpo_id or customer_lpo_ref")
        return self


class IngestResult(BaseModel):
    """Every field of the seed's 200/409/422 bodies, plus what the console shows beside them."""

    model_config = ConfigDict(frozen=True)

    status: IngestStatus
    http_status: int
    tag_id: str | None = None
    file_hash: str | None = None
    exception_id: str | None = None
    existing_tag_id: str | None = None
    message: str
    trace_id: str
    lpo_id: str | None = None
    line_count: int = 0
    client_request_id: str
    # When the engine first gave this answer, and whether this is that stored answer given again (the
    # same form sent twice): the console then says "already uploaded … at HH:MM", not a fresh success.
    # Like an "Idempotent-Replayed" header, ``replayed`` is not part of the body: a retry's dump (the
    # CLI's output, the stored response) is the first answer's, byte for byte.
    answered_at: datetime | None = None
    replayed: bool = Field(default=False, exclude=True)
    existing_uploaded_at: datetime | None = None  # of existing_tag_id, for "already uploaded … at"


class ReplaceRequest(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    client_request_id: str = Field(
        default_factory=lambda: str(uuid.uuid4()), pattern=REQUEST_ID_PATTERN, title="The request id"
    )
    tag_id: str = Field(title="The tag id")
    reason: str = Field(min_length=3, max_length=2000, title="The reason")
    original_file_name: str = Field(max_length=1000, title="The file name")
    content: bytes = Field(repr=False, title="The corrected cut export")


class TagSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag_id: str
    lpo_id: str
    status: TagStatus
    required_area_m2: Decimal
    requested_delivery_date: date
    original_file_name: str
    file_id: str
    file_hash: str
    version: int
    line_count: int
    exception_id: str | None
    uploaded_by: str
    uploaded_at: datetime
    trace_id: str


class TagLineView(BaseModel):
    model_config = ConfigDict(frozen=True)

    ingest_line_id: str
    tag_version: int
    line_no: int
    source_row: int
    part_no: str | None
    nesting_description: str
    description_norm: str
    qty: Decimal
    uom: str | None
    uom_raw: str | None
    thickness_mm: Decimal | None
    sheet_size_mm: str | None
    sheets: Decimal | None
    net_area_m2: Decimal | None
    remarks: str | None


class TagVersionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int
    file_id: str
    original_file_name: str
    line_count: int
    reason: str | None
    created_by: str
    created_at: datetime
    trace_id: str


class TagDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag: TagSummary
    lines: list[TagLineView]
    versions: list[TagVersionView]
    blocked_reason: str | None = None  # a BLOCKED tag's why: the message of its blocking exception


class SheetPreview(BaseModel):
    """What a chosen cut export holds, read without storing anything (the upload form's defaults)."""

    model_config = ConfigDict(frozen=True)

    file_name: str
    lines: int = 0
    net_area_m2: Decimal | None = None  # the sum of the sheet's net_area_m2 column, when it has one
    problem: str | None = None  # why it cannot be read (the upload itself says so in full)
