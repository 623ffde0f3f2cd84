"""Import a WMS shipment export (CSV or xlsx): every row valid or nothing changes.

Headers are matched by their folded spelling and a few aliases (``Tracking ID``, ``Ship Date`` …);
carriers are normalised (``FedEx`` → ``fedex``), weights stored in lb and dimensions in inches. A
later row for the same carrier + tracking number replaces the earlier one, in the file and in the
store (DOMAIN "Reconciliation"); each replacement of a stored row is audited with its old values.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.engine import Connection

from engine.auth.roles import Actor
from engine.clock import utcnow
from engine.errors import ValidationError
from engine.ledger.audit import audit_row
from engine.materials.importer import check_header, read_table, row_problem
from engine.store.gateway import Database
from engine.store.schema import user_action_history, wms_shipment
from engine.vocab import Carrier

COLUMNS = (
    "carrier",
    "tracking_number",
    "ship_date",
    "order_number",
    "service",
    "expected_cost",
    "currency",
    "weight",
    "weight_unit",
    "length",
    "width",
    "height",
    "dim_unit",
)
REQUIRED = ("carrier", "tracking_number", "ship_date", "expected_cost", "weight")
MAX_PROBLEMS_SHOWN = 25

# Other spellings WMS exports use for the same columns (matched after folding, see ``_fold``).
ALIASES: dict[str, str] = {
    "carrier_name": "carrier",
    "tracking": "tracking_number",
    "tracking_no": "tracking_number",
    "tracking_id": "tracking_number",
    "tracking_nbr": "tracking_number",
    "shipment_date": "ship_date",
    "shipped_date": "ship_date",
    "order": "order_number",
    "order_no": "order_number",
    "order_id": "order_number",
    "service_type": "service",
    "cost": "expected_cost",
    "expected_freight": "expected_cost",
    "rate": "expected_cost",
    "actual_weight": "weight",
    "weight_uom": "weight_unit",
    "weight_units": "weight_unit",
    "dim_uom": "dim_unit",
    "dim_units": "dim_unit",
    "dimension_unit": "dim_unit",
}
CARRIER_NAMES = {"fedex": Carrier.FEDEX, "federal_express": Carrier.FEDEX, "ups": Carrier.UPS}
LB_PER_KG = Decimal("2.20462")  # the factor DOMAIN "Reconciliation" uses for bills too
CM_PER_IN = Decimal("2.54")
WEIGHT_UNITS = {"lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb", "kg": "kg", "kgs": "kg"}
DIM_UNITS = {"in": "in", "inch": "in", "inches": "in", "i": "in", "cm": "cm", "c": "cm"}
CENT = Decimal("0.01")


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def canonical_header(name: str) -> str:
    folded = _fold(name)
    return ALIASES.get(folded, folded)


class WmsRecord(BaseModel):
    """One WMS row as the file gives it, normalised to lb and inches."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    carrier: Carrier = Field(title="Carrier")
    tracking_number: str = Field(min_length=1, max_length=40, title="Tracking number")
    ship_date: date = Field(title="Ship date")
    order_number: str | None = Field(default=None, max_length=60)
    service: str | None = Field(default=None, max_length=100)
    expected_cost: Decimal = Field(ge=0, max_digits=16, decimal_places=2, title="Expected cost")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", title="Currency")
    weight: Decimal = Field(gt=0, title="Weight")
    weight_unit: str = Field(default="lb", title="Weight unit")
    length: Decimal | None = Field(default=None, gt=0, title="Length")
    width: Decimal | None = Field(default=None, gt=0, title="Width")
    height: Decimal | None = Field(default=None, gt=0, title="Height")
    dim_unit: str = Field(default="in", title="Dim unit")

    @field_validator("carrier", mode="before")
    @classmethod
    def _carrier(cls, value: Any) -> Any:
        folded = _fold(str(value))
        if folded not in CARRIER_NAMES:
            raise ValueError(f"carrier {value!r} is not one we reconcile (FedEx or UPS)")
        return CARRIER_NAMES[folded]

    @field_validator("tracking_number", mode="before")
    @classmethod
    def _tracking(cls, value: Any) -> Any:
        return str(value).strip().replace(" ", "") if value is not None else value

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        return str(value).strip().upper() if value is not None else value

    @field_validator("weight_unit", mode="before")
    @classmethod
    def _weight_unit(cls, value: Any) -> str:
        unit = WEIGHT_UNITS.get(str(value).strip().lower())
        if unit is None:
            raise ValueError(f"weight unit {value!r} must be lb or kg")
        return unit

    @field_validator("dim_unit", mode="before")
    @classmethod
    def _dim_unit(cls, value: Any) -> str:
        unit = DIM_UNITS.get(str(value).strip().lower())
        if unit is None:
            raise ValueError(f"dimension unit {value!r} must be in or cm")
        return unit

    @model_validator(mode="after")
    def _all_dims_or_none(self) -> WmsRecord:
        given = [d is not None for d in (self.length, self.width, self.height)]
        if any(given) and not all(given):
            raise ValueError("give length, width and height together, or none of them")
        return self

    @property
    def weight_lb(self) -> Decimal:
        # Rounded up to the cent: the ⌈weight⌉ reconciliation takes is then exactly that of the kg.
        pounds = self.weight * LB_PER_KG if self.weight_unit == "kg" else self.weight
        return pounds.quantize(CENT, rounding=ROUND_CEILING)

    def inches(self, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        return (value / CM_PER_IN if self.dim_unit == "cm" else value).quantize(CENT, rounding=ROUND_HALF_UP)


class WmsImport(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    inserted: int
    replaced: int
    trace_id: str


def read_wms_file(content: bytes, file_name: str) -> list[tuple[int, dict[str, Any]]]:
    header, rows = read_table(content, file_name)
    names = [canonical_header(h) for h in header]
    check_header("WMS shipment export", COLUMNS, REQUIRED, names, file_name, strict=False)
    return [(n, {canonical_header(k): v for k, v in row.items()}) for n, row in rows]


def validate(rows: list[tuple[int, dict[str, Any]]]) -> list[WmsRecord]:
    """Every row valid or none: each problem named with its row number."""
    if not rows:
        raise ValidationError("The WMS export has no rows to import.", field="file")
    records: list[WmsRecord] = []
    problems: list[str] = []
    for number, raw in rows:
        data = {k: v for k, v in raw.items() if k in WmsRecord.model_fields and v not in (None, "")}
        try:
            records.append(WmsRecord.model_validate(data))
        except PydanticValidationError as exc:
            problems.append(f"row {number}: {row_problem(exc.errors()[0])}")
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = (
            f" (and {len(problems) - MAX_PROBLEMS_SHOWN} more)" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        )
        raise ValidationError(
            f"{len(problems)} problem(s) in the WMS export, nothing changed: {shown}{more}.", field="file"
        )
    return records


def _values(record: WmsRecord) -> dict[str, Any]:
    return {
        "carrier": str(record.carrier),
        "tracking_number": record.tracking_number,
        "ship_date": record.ship_date,
        "order_number": record.order_number,
        "service": record.service,
        "expected_cost": record.expected_cost,
        "currency": record.currency,
        "weight_lb": record.weight_lb,
        "length_in": record.inches(record.length),
        "width_in": record.inches(record.width),
        "height_in": record.inches(record.height),
    }


PULL_SOURCE = "the WMS database (ODBC)"


def save_shipments(
    db: Database,
    conn: Connection,
    records: list[WmsRecord],
    *,
    actor: Actor,
    trace_id: str,
    source: str = PULL_SOURCE,
) -> WmsImport:
    """Write the rows: the last row per carrier + tracking wins; stored rows it replaces are audited.
    ``source`` (the file's name, or the ODBC pull) goes into the import's audit row: the WMS page
    shows where the last import came from."""
    now = utcnow()
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    replaced = 0
    for record in records:
        values = _values(record)
        key = (values["carrier"], values["tracking_number"])
        replaced += key in latest
        latest[key] = values
    keys = list(latest)
    trackings = sorted({tracking for _, tracking in keys})
    stored = {
        (row.carrier, row.tracking_number): row._mapping
        for row in conn.execute(sa.select(wms_shipment).where(wms_shipment.c.tracking_number.in_(trackings)))
        if (row.carrier, row.tracking_number) in latest
    }
    audits = []
    for key in stored:
        before = {k: stored[key][k] for k in latest[key] if k in stored[key]}
        audits.append(
            audit_row(
                actor,
                "WMS_SHIPMENT_REPLACED",
                entity_type="wms_shipment",
                entity_id=":".join(key),
                trace_id=trace_id,
                before=before,
                after=latest[key],
                at=now,
            )
        )
        conn.execute(
            sa.delete(wms_shipment).where(
                wms_shipment.c.carrier == key[0], wms_shipment.c.tracking_number == key[1]
            )
        )
    replaced += len(stored)
    db.bulk_insert(
        conn, wms_shipment, [v | {"imported_at": now, "trace_id": trace_id} for v in latest.values()]
    )
    result = WmsImport(
        rows=len(records), inserted=len(records) - replaced, replaced=replaced, trace_id=trace_id
    )
    audits.append(
        audit_row(
            actor,
            "WMS_IMPORTED",
            entity_type="wms_import",
            entity_id=trace_id,
            trace_id=trace_id,
            after=result.model_dump(exclude={"trace_id"}) | {"source": source},
            at=now,
        )
    )
    db.bulk_insert(conn, user_action_history, audits)
    return result
