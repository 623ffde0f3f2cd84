"""The demo data set, loaded on first start of an empty store (``OPSLEDGER_DEMO_DATA``).

Demo accounts exist only here. Their passwords are printed by ``make run`` and listed in the
README; a production store is started with ``OPSLEDGER_DEMO_DATA=false`` and gets its accounts from
``python -m engine users add``.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from engine.auth.roles import CLI_OPERATOR, Actor
from engine.clock import business_day
from engine.demo.builder import DATA_DIR, SAMPLE_SHEETS, sample_bytes
from engine.errors import Conflict
from engine.handle import Ledger
from engine.logs import get_logger
from engine.store.schema import app_user, lpo_master
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


def store_is_empty(ledger: Ledger) -> bool:
    with ledger.db.read() as conn:
        users = conn.execute(sa.select(sa.func.count()).select_from(app_user)).scalar_one()
        lpos = conn.execute(sa.select(sa.func.count()).select_from(lpo_master)).scalar_one()
    return users == 0 and lpos == 0


def _next_working_day(day: date, offset: int) -> date:
    result = day
    while offset > 0:
        result += timedelta(days=1)
        if result.weekday() != 4:  # Friday is the weekly day off in the UAE
            offset -= 1
    return result


def load_demo_data(ledger: Ledger, *, force: bool = False) -> dict[str, object]:
    from engine import api

    if not force and not store_is_empty(ledger):
        return {"loaded": False, "reason": "the store already holds users or LPOs"}
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
    sales = Actor(email="sales@demo.local", roles=frozenset({Role.SALES}), source=Source.CLI)
    today = business_day(ledger.settings.zone)
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
            requested_delivery_date=_next_working_day(today, days),
            original_file_name=name,
            content=sample_bytes(name),
        )
        results.append(api.ingest_tag(ledger, request, actor=sales).status.value)
    log.info("demo data loaded", extra={"uploads": results})
    return {"loaded": True, "accounts": list(DEMO_ACCOUNTS), "uploads": results}
