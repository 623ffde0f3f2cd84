"""What an allocation run reads and returns: the due lines, each line's outcome with the SKUs it takes,
and the run's summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine.vocab import AllocationStatus, MappingStatus


@dataclass(frozen=True, slots=True)
class DueLine:
    """A current line of a live tag due on the run date, with its mapping (``allocation/due_lines``)."""

    tag_id: str
    lpo_id: str | None
    ingest_line_id: str
    line_no: int
    nesting_description: str
    mapping_status: MappingStatus | None
    canonical_code: str | None
    sap_code: str | None
    canonical_qty: Decimal | None
    canonical_uom: str | None

    @classmethod
    def from_row(cls, row: Any) -> DueLine:
        """A row of ``allocation/due_lines``, whose columns are these fields in this order (read by
        position: a run reads 20,000 of them)."""
        tag_id, lpo_id, line_id, line_no, description, status, code, sap_code, qty, uom = row
        mapping_status = _MAPPING_STATUS.get(status) if status else None
        return cls(tag_id, lpo_id, line_id, line_no, description, mapping_status, code, sap_code, qty, uom)


_MAPPING_STATUS = {status.value: status for status in MappingStatus}


class SkuTake(BaseModel):
    """What one line takes of one SKU: SAP units, the canonical quantity they cover, the factor."""

    model_config = ConfigDict(frozen=True)

    sap_code: str
    priority: int
    sap_qty: Decimal
    sap_uom: str
    canonical_qty: Decimal
    factor: Decimal  # canonical units in one SAP unit
    whole_units: bool
    description: str | None


class AllocatedLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag_id: str
    ingest_line_id: str
    line_no: int
    description: str
    status: AllocationStatus
    canonical_code: str | None
    canonical_uom: str | None
    required_qty: Decimal | None
    allocated_qty: Decimal
    shortfall_qty: Decimal
    exception_id: str | None
    reason: str | None
    takes: list[SkuTake]


class AllocationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    run_date: date
    tag_id: str | None
    snapshot_id: str
    snapshot_date: date
    stale_accepted: bool = False
    tags: int
    lines_total: int
    lines_allocated: int
    lines_partial: int
    lines_unallocated: int
    lines_skipped: int
    exceptions: list[str]
    trace_id: str
    created_at: datetime
    lines: list[AllocatedLine]
