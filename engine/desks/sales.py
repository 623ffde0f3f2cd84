"""The sales desk's morning: my uploads today, my blocked tags and why, LPOs close to their PO."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection, RowMapping

from engine.lpos.master import list_balances
from engine.store.sqlfiles import load_sql
from engine.vocab import ExceptionKind, ExceptionStatus, LpoStatus, TagStatus

# An LPO committed this far has room for one or two more sheets at most: sales hear it before an
# upload is blocked for INSUFFICIENT_PO_BALANCE.
LPO_NEAR_LIMIT_SHARE = Decimal("0.90")


class UploadToday(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag_id: str
    lpo_id: str | None
    status: TagStatus
    required_area_m2: Decimal
    requested_delivery_date: date | None
    line_count: int | None
    original_file_name: str | None
    uploaded_at: datetime
    exception_id: str | None


class BlockedTag(BaseModel):
    model_config = ConfigDict(frozen=True)

    tag_id: str
    lpo_id: str | None
    original_file_name: str | None
    uploaded_at: datetime
    exception_id: str | None
    kind: ExceptionKind | None
    reason: str
    exception_open: bool


class LpoNearLimit(BaseModel):
    model_config = ConfigDict(frozen=True)

    lpo_id: str
    customer: str
    po_quantity_m2: Decimal
    committed_m2: Decimal
    remaining_m2: Decimal
    share: Decimal  # committed / PO quantity


class SalesDesk(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    uploads_today: list[UploadToday]
    blocked: list[BlockedTag]
    near_limit: list[LpoNearLimit]
    near_limit_share: Decimal


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The business day ``day`` as a UTC interval [start, end)."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def sales_desk(conn: Connection, user: str, *, day: date, zone: ZoneInfo) -> SalesDesk:
    start, end = day_bounds(day, zone)
    uploads = conn.execute(
        load_sql("desks/my_uploads"), {"user": user, "day_start": start, "day_end": end}
    ).all()
    blocked = conn.execute(load_sql("desks/my_blocked_tags"), {"user": user}).all()
    return SalesDesk(
        day=day,
        uploads_today=[UploadToday.model_validate(row._mapping) for row in uploads],
        blocked=[_blocked(row._mapping) for row in blocked],
        near_limit=near_limit(conn),
        near_limit_share=LPO_NEAR_LIMIT_SHARE,
    )


def _blocked(row: RowMapping) -> BlockedTag:
    data = dict(row)
    status = data.pop("exception_status")
    message = data.pop("message")
    return BlockedTag(
        **data,
        reason=message or "No exception records why; the tag's audit trail shows what happened.",
        exception_open=status in (ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED),
    )


def near_limit(conn: Connection, share: Decimal = LPO_NEAR_LIMIT_SHARE) -> list[LpoNearLimit]:
    """Active LPOs committed to ``share`` of their PO quantity or more, the fullest first."""
    found = [
        LpoNearLimit(
            lpo_id=b.lpo_id,
            customer=b.customer,
            po_quantity_m2=b.po_quantity_m2,
            committed_m2=b.committed_m2,
            remaining_m2=b.remaining_m2,
            share=b.committed_m2 / b.po_quantity_m2,
        )
        for b in list_balances(conn)
        if b.status is LpoStatus.ACTIVE
        and b.po_quantity_m2 > 0
        and b.committed_m2 >= share * b.po_quantity_m2
    ]
    return sorted(found, key=lambda lpo: (-lpo.share, lpo.lpo_id))
