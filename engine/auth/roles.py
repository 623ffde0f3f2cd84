"""The role table of ARCHITECTURE.md, checked by the engine on every authoritative call."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from engine.errors import Forbidden
from engine.vocab import Desk, Role, Source


class Permission(StrEnum):
    UPLOAD_TAGS = "upload tag sheets"
    VIEW_TAGS = "see tag sheets"
    WORK_STORES = "resolve mappings, keep master data, run allocations"
    REVIEW_INVOICES = "review invoices"
    WORK_CARRIERS = "upload carrier bills and read them"
    RECONCILE = "import WMS shipments, run the reconciliation and work disputes"
    READ_LEDGER = "read dashboards and the audit trail"
    ADMINISTER = "manage users, roles, jobs and settings"


_ALL = frozenset(Role)
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.UPLOAD_TAGS: frozenset({Role.SALES, Role.MANAGER, Role.ADMIN}),
    Permission.VIEW_TAGS: frozenset({Role.SALES, Role.STORES, Role.MANAGER, Role.ADMIN}),
    Permission.WORK_STORES: frozenset({Role.STORES, Role.ADMIN}),
    Permission.REVIEW_INVOICES: frozenset({Role.FINANCE, Role.ADMIN}),
    Permission.WORK_CARRIERS: frozenset({Role.FINANCE, Role.MANAGER, Role.ADMIN}),
    # Issue 9 §4: finance receives and uploads bills and reads reconciliation and disputes; the
    # managers (and admins) import WMS data, run the reconciliation and work the disputes.
    Permission.RECONCILE: frozenset({Role.MANAGER, Role.ADMIN}),
    Permission.READ_LEDGER: _ALL,
    Permission.ADMINISTER: frozenset({Role.ADMIN}),
}

# Who works each desk's exception queue (the roles that own the desk's actions above).
DESK_ROLES: dict[Desk, frozenset[Role]] = {
    Desk.SALES: PERMISSIONS[Permission.UPLOAD_TAGS],
    Desk.STORES: PERMISSIONS[Permission.WORK_STORES],
    Desk.FINANCE: PERMISSIONS[Permission.REVIEW_INVOICES],
    Desk.LOGISTICS: PERMISSIONS[Permission.RECONCILE],
}

# Sales read the audit trail of their own actions only ("✓ (own)" in the role table).
OWN_AUDIT_ONLY = frozenset({Role.SALES})


@dataclass(frozen=True)
class Actor:
    """The signed-in user (or a job) on whose behalf the engine acts."""

    email: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    source: Source = Source.CONSOLE

    @property
    def roles_text(self) -> str:
        return ",".join(sorted(self.roles))

    def can(self, permission: Permission) -> bool:
        return bool(self.roles & PERMISSIONS[permission])

    def desks(self) -> list[Desk]:
        return [desk for desk, roles in DESK_ROLES.items() if self.roles & roles]

    def works_desk(self, desk: Desk) -> bool:
        return bool(self.roles & DESK_ROLES[desk])


SYSTEM_JOB = Actor(email="system:jobs", roles=frozenset({Role.ADMIN}), source=Source.JOB)
# Whoever runs the CLI's administrative commands already holds the store's files or credentials;
# the CLI acts for them as an admin (user commands that name --user act as that user instead).
CLI_OPERATOR = Actor(email="system:cli", roles=frozenset({Role.ADMIN}), source=Source.CLI)


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        held = actor.roles_text or "no roles"
        allowed = ", ".join(sorted(PERMISSIONS[permission]))
        raise Forbidden(
            f"{actor.email} ({held}) may not {permission.value}; that needs one of: {allowed}. "
            "Ask an admin for the role.",
            actor=actor.email,
        )
