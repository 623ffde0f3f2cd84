"""What the carrier desk returns across the engine boundary (decimals serialise as strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from engine.vocab import CarrierFileStatus


class InvoiceOutcome(BaseModel):
    """One carrier invoice of a file: its control totals and whether it loaded."""

    model_config = ConfigDict(frozen=True)

    invoice_number: str
    invoice_date: date
    rows: int
    net_total: Decimal
    amount_due: Decimal | None
    packages: int
    invoice_level_total: Decimal
    status: str  # "loaded" | "rejected"
    exception_id: str | None = None


class CarrierFileResult(BaseModel):
    """The answer of ``carriers ingest`` (issue 9 §5)."""

    model_config = ConfigDict(frozen=True)

    status: CarrierFileStatus
    file_id: str
    file_hash: str
    carrier: str
    account: str
    rows: int
    invoices: list[InvoiceOutcome]
    exception_id: str | None = None
    message: str | None = None
    trace_id: str


class CarrierInvoiceView(InvoiceOutcome):
    carrier: str
    account: str
    file_id: str


class ChargeView(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_number: str
    invoice_date: date
    file_id: str
    file_row: int
    charge_type: str
    amount: Decimal
    is_freight: bool


class ShipmentView(BaseModel):
    """One carrier + tracking number: its attributes, and its billed cost as Σ of every charge."""

    model_config = ConfigDict(frozen=True)

    carrier: str
    tracking_number: str
    service: str | None
    ship_date: date | None
    actual_weight_lb: Decimal | None
    rated_weight_lb: Decimal | None
    length_in: Decimal | None
    width_in: Decimal | None
    height_in: Decimal | None
    dim_divisor: int | None
    mps_role: str | None
    lead_tracking_number: str | None
    billed_weight_lb: Decimal | None  # the rated weight of its first freight row
    billed_cost: Decimal
    charges: list[ChargeView]


class CarrierFileView(BaseModel):
    """One bill offered to the desk: its history row (Carrier files page, ``carriers files``)."""

    model_config = ConfigDict(frozen=True)

    file_id: str
    file_name: str
    carrier: str
    account: str | None
    tenant: str | None
    status: CarrierFileStatus
    rows: int
    invoices: int  # invoices of the file (loaded or rejected)
    loaded_by: str
    loaded_at: datetime
    message: str | None
    exception_id: str | None
    trace_id: str | None
    rerun_as: str | None = None  # the file id a re-run of this rejected file loaded as
    rerunnable: bool = False  # rejected, its bytes kept, not re-run into a load yet
