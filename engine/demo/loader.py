"""The demo data set, loaded on first start of an empty store, and only while ``OPSLEDGER_DEMO_DATA``
is on.

Demo accounts exist only here. Their passwords are printed by ``make run`` and listed in the
README, so a store with demo data off never gets them: ``demo load`` does nothing then (and
``--force`` is refused), and the Operations page warns while demo accounts are still active in
such a store. ``--force`` reloads the set into a store that holds nothing beyond it; a store with
real data (other users, LPOs or materials) is refused. A production store gets its accounts from
``python -m engine users add``.
"""

from __future__ import annotations

import csv
from datetime import date

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from engine.auth.roles import CLI_OPERATOR, Actor
from engine.clock import business_day, next_working_day
from engine.demo.builder import DATA_DIR, SAMPLE_SHEETS, sample_bytes
from engine.errors import Conflict
from engine.handle import Ledger
from engine.logs import get_logger
from engine.materials.kinds import Kind
from engine.store.schema import app_user, canonical_material, lpo_master, sap_material
from engine.tags.models import IngestRequest
from engine.vocab import Role, Source

log = get_logger("demo")
DEMO_PASSWORD_SUFFIX = "-demo-2026"  # noqa: S105 - demo accounts only, printed by `make run`
DEMO_ACCOUNTS = {
    "sales@demo.local": ["sales"],
    "stores@demo.local": ["stores"],
    "finance@demo.local": ["finance"],
    "manager@demo.local": ["manager"],
    "admin@demo.local": ["admin"],
}


def demo_password(email: str) -> str:
    return email.split("@")[0] + DEMO_PASSWORD_SUFFIX


class DemoLoad(BaseModel):
    model_config = ConfigDict(frozen=True)

    loaded: bool
    reason: str | None = None
    accounts: list[str] = []
    uploads: list[str] = []
    allocation_run: str | None = None


def active_demo_accounts(ledger: Ledger) -> list[str]:
    """The demo accounts that can sign in to this store now (e-mails, sorted)."""
    with ledger.db.read() as conn:
        rows = conn.execute(
            sa.select(app_user.c.email)
            .where(app_user.c.email.in_(sorted(DEMO_ACCOUNTS)), app_user.c.active.is_(True))
            .order_by(app_user.c.email)
        ).scalars()
        return [str(email) for email in rows]


def store_is_empty(ledger: Ledger) -> bool:
    with ledger.db.read() as conn:
        users = conn.execute(sa.select(sa.func.count()).select_from(app_user)).scalar_one()
        lpos = conn.execute(sa.select(sa.func.count()).select_from(lpo_master)).scalar_one()
    return users == 0 and lpos == 0


def _demo_keys(name: str, column: str) -> frozenset[str]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return frozenset(row[column] for row in csv.DictReader(handle))


def data_beyond_demo(ledger: Ledger) -> list[str]:
    """What the store holds that the demo set does not (empty: demo data only, or nothing)."""
    kinds = (
        ("user(s)", app_user.c.email, frozenset(DEMO_ACCOUNTS)),
        ("LPO(s)", lpo_master.c.lpo_id, _demo_keys("lpo_master.csv", "lpo_id")),
        (
            "canonical material(s)",
            canonical_material.c.canonical_code,
            _demo_keys("canonical_materials.csv", "canonical_code"),
        ),
        ("SKU(s)", sap_material.c.sap_code, _demo_keys("sap_material.csv", "sap_code")),
    )
    found = []
    with ledger.db.read() as conn:
        for label, column, demo in kinds:
            count = conn.execute(
                sa.select(sa.func.count()).select_from(column.table).where(column.not_in(sorted(demo)))
            ).scalar_one()
            if count:
                found.append(f"{count} {label}")
    return found


MASTER_FILES = (
    (Kind.SKUS, "sap_material.csv"),
    (Kind.CANONICAL, "canonical_materials.csv"),
    (Kind.MASTER, "material_master.csv"),
    (Kind.BRANDMAP, "lpo_material_brand_map.csv"),
    (Kind.UNITS, "material_uom_conversion.csv"),
)


def _next_working_day(day: date, offset: int, working: frozenset[int]) -> date:
    result = day
    for _ in range(offset):
        result = next_working_day(result, working)
    return result


def demo_refusal(ledger: Ledger, *, force: bool) -> str | None:
    """Why the demo set is not loaded now (None: load it). A forced load that would mix demo
    accounts into a production store is an error, not a reason."""
    if not ledger.settings.demo_data:
        if force:
            raise Conflict(
                "Demo data is off (OPSLEDGER_DEMO_DATA=false), so demo accounts with published "
                "passwords are not loaded. Turn it on only for a demonstration store."
            )
        return "demo data is off (OPSLEDGER_DEMO_DATA=false)"
    if not force:
        return None if store_is_empty(ledger) else "the store already holds users or LPOs"
    beyond = data_beyond_demo(ledger)
    if beyond:
        raise Conflict(
            f"The store holds data beyond the demo set ({', '.join(beyond)}); demo load --force "
            "refuses to mix demo accounts into it. Use an empty store (OPSLEDGER_DATA_DIR) for the demo."
        )
    return None


def _load_finance(ledger: Ledger, today: date) -> int:
    """The finance desk's morning: the demo vendors, and a few invoice mails dropped in the mail
    folder and read at once (the mail_poll job reads what arrives later)."""
    from engine import api
    from engine.demo.invoices import DEMO_VENDORS_CSV, demo_mails

    api.import_vendors(ledger, DEMO_VENDORS_CSV.encode(), "vendors.csv", actor=CLI_OPERATOR)
    folder = ledger.settings.mail_dir
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in demo_mails(today, ledger.settings.zone):
        (folder / name).write_bytes(raw)
    finance = Actor(email="finance@demo.local", roles=frozenset({Role.FINANCE}), source=Source.CLI)
    return api.poll_mail(ledger, actor=finance, source="folder").invoices  # the files just dropped


def _load_logistics(ledger: Ledger, today: date) -> dict[str, int]:
    """The managers' desk's month: the FedEx and UPS bills and the WMS export (engine.demo.logistics),
    then one reconciliation run as of today, so the desk opens on its findings."""
    from engine import api
    from engine.demo.logistics import demo_bills, demo_wms

    manager = Actor(email="manager@demo.local", roles=frozenset({Role.MANAGER}), source=Source.CLI)
    for bill in demo_bills(today):
        api.ingest_carrier_file(
            ledger, bill.content, bill.file_name, carrier=bill.carrier, account=bill.account, actor=manager
        )
    api.import_wms(ledger, demo_wms(today), "wms-demo-month.csv", actor=manager)
    run = api.run_reconciliation(ledger, as_of=today, actor=manager)
    return {status: n for status, n in run.counts.items() if n}


def load_demo_data(ledger: Ledger, *, force: bool = False) -> DemoLoad:
    from engine import api

    reason = demo_refusal(ledger, force=force)
    if reason is not None:
        return DemoLoad(loaded=False, reason=reason)
    for email, roles in DEMO_ACCOUNTS.items():
        try:
            api.add_user(
                ledger,
                email=email,
                roles=roles,
                password=demo_password(email),
                actor=CLI_OPERATOR,
                display_name=f"Demo {roles[0]}",
            )
        except Conflict:
            continue
    api.import_lpos(ledger, (DATA_DIR / "lpo_master.csv").read_bytes(), actor=CLI_OPERATOR)
    for kind, name in MASTER_FILES:
        api.import_materials(ledger, kind, (DATA_DIR / name).read_bytes(), name, actor=CLI_OPERATOR)
    today = business_day(ledger.settings.zone)
    stock_day = today  # T-1 stock for tomorrow's production: today's snapshot
    snapshot = "\n".join(
        (f"{stock_day.isoformat()},{line.split(',', 1)[1]}" if index else line)
        for index, line in enumerate((DATA_DIR / "sap_snapshot.csv").read_text().strip().splitlines())
    )
    api.import_stock(ledger, snapshot.encode(), "sap_snapshot.csv", actor=CLI_OPERATOR)
    sales = Actor(email="sales@demo.local", roles=frozenset({Role.SALES}), source=Source.CLI)
    uploads = [
        ("0007", "LPO-2025-0412", "32.77", 1),  # uploaded, 16 lines
        ("0009", "LPO-2025-0391", "12.10", 2),  # LPO on hold → BLOCKED
        ("0008", "LPO-2025-0377", "45.60", 2),  # would overcommit → BLOCKED
        ("0010", "LPO-2025-0377", "38.80", 3),  # lands exactly on the PO quantity
        ("0007", "LPO-2025-0412", "32.77", 1),  # the same file again → DUPLICATE
    ]
    results = []
    for key, lpo_id, area, days in uploads:
        name = SAMPLE_SHEETS[key]
        request = IngestRequest(
            lpo_id=lpo_id,
            required_area_m2=area,
            requested_delivery_date=_next_working_day(today, days, ledger.settings.working_weekdays),
            original_file_name=name,
            content=sample_bytes(name),
        )
        results.append(api.ingest_tag(ledger, request, actor=sales).status.value)
    allocation = api.allocate(
        ledger,
        run_date=_next_working_day(today, 1, ledger.settings.working_weekdays),
        actor=CLI_OPERATOR,
    )
    invoices = _load_finance(ledger, today)
    reconciled = _load_logistics(ledger, today)
    log.info(
        "demo data loaded",
        extra={
            "uploads": results,
            "allocated_lines": allocation.lines_allocated,
            "invoices": invoices,
            "reconciled": reconciled,
        },
    )
    return DemoLoad(
        loaded=True, accounts=list(DEMO_ACCOUNTS), uploads=results, allocation_run=allocation.run_id
    )
