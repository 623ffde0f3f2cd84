"""What reconciliation gives back: a run's summary and the ledger rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine.vocab import DisputeStatus, ReconStatus


class ReconRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    as_of: date
    carrier: str | None
    counts: dict[str, int]
    exceptions_opened: int
    exceptions_resolved: int
    settings: dict[str, Any]
    trace_id: str


class LedgerRow(BaseModel):
    """One carrier + tracking number of ``carrier_cost_ledger``."""

    model_config = ConfigDict(frozen=True)

    carrier: str
    tracking_number: str
    status: ReconStatus
    billed_cost: Decimal | None
    expected_cost: Decimal | None
    variance: Decimal | None
    billed_weight_lb: Decimal | None
    expected_weight_lb: Decimal | None
    ship_date: date | None
    exception_id: str | None
    dispute_status: DisputeStatus | None
    claim_amount: Decimal | None
    recovered_amount: Decimal | None
    carrier_reference: str | None
    run_id: str
