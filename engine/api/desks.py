"""Each desk's morning view, for its home page: what to do today, in one call per desk."""

from __future__ import annotations

from engine.api.access import requires
from engine.auth.roles import Actor, Permission
from engine.clock import business_day, utcnow
from engine.desks.admin import FAILED_RUNS_WINDOW, AdminDesk, JobHealth, admin_desk
from engine.desks.sales import (
    LPO_NEAR_LIMIT_SHARE,
    BlockedTag,
    LpoNearLimit,
    SalesDesk,
    UploadToday,
    sales_desk,
)
from engine.desks.stores import NextCutoff, ReviewWaiting, StoresDesk, stores_desk
from engine.handle import Ledger


@requires(Permission.UPLOAD_TAGS)
def sales_morning(ledger: Ledger, *, actor: Actor) -> SalesDesk:
    """The signed-in user's uploads of the business day, their blocked tags with the reason, and the
    active LPOs committed to ``LPO_NEAR_LIMIT_SHARE`` of their PO quantity or more."""
    zone = ledger.settings.zone
    with ledger.db.read() as conn:
        return sales_desk(conn, actor.email, day=business_day(zone), zone=zone)


@requires(Permission.WORK_STORES)
def stores_morning(ledger: Ledger, *, actor: Actor) -> StoresDesk:
    """The next T-1 cut-off and what it will allocate, the review queue, the snapshot, shortages."""
    with ledger.db.read() as conn:
        return stores_desk(conn, actor, settings=ledger.settings, now=utcnow())


@requires(Permission.ADMINISTER)
def admin_morning(ledger: Ledger, *, actor: Actor) -> AdminDesk:
    """Health, each job's last run, the week's failed runs, demo accounts that can sign in."""
    return admin_desk(ledger, now=utcnow())


__all__ = [
    "FAILED_RUNS_WINDOW",
    "LPO_NEAR_LIMIT_SHARE",
    "AdminDesk",
    "BlockedTag",
    "JobHealth",
    "LpoNearLimit",
    "NextCutoff",
    "ReviewWaiting",
    "SalesDesk",
    "StoresDesk",
    "UploadToday",
    "admin_morning",
    "sales_morning",
    "stores_morning",
]
