"""The one permission table: every public engine function is declared in it, and every function is
called as every role to prove that the roles outside its permission are refused before anything is
written (and the roles inside it are let through to the function's own checks)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine import api
from engine.api import Actor, Gate, Kind, Permission, Role
from engine.auth.roles import PERMISSIONS
from engine.demo.invoices import DEMO_VENDORS_CSV, acme_invoice, invoice_mail, invoice_pdf
from engine.errors import EngineError, Forbidden
from engine.mapping.requests import LookupRequest
from engine.store.schema import (
    api_key,
    carrier_cost_ledger,
    client_request_log,
    exception_log,
    invoice,
    mail_message,
    reconciliation_run,
    tag_sheet,
    user_action_history,
    vendor,
    wms_shipment,
)
from engine.tags.models import ReplaceRequest
from tests.conftest import (
    DELIVERY,
    PINNED_AT,
    STOCK_DATE,
    World,
    make_settings,
    seed_stores,
    seed_world,
    snapshot_csv,
)

MISSING_EXCEPTION = "EX-2099-999999"
MISSING_INVOICE = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
WMS_CSV = b"carrier,tracking_number,ship_date,expected_cost,weight\nFedEx,700000000001,2026-11-02,11.50,5\n"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One store for the whole module (the calls that succeed only add to it)."""
    ledger = api.open_ledger(make_settings(Path(tmp_path_factory.mktemp("access"))))
    world = seed_stores(seed_world(ledger))
    uploaded = world.ingest()
    assert uploaded.tag_id
    yield {"world": world, "tag_id": uploaded.tag_id}
    ledger.close()


def _mail(role: Role) -> bytes:
    """An ACME invoice mail of the role's own (a role let through makes an invoice of it)."""
    return invoice_mail(
        sender="billing@acme-tools.example",
        subject=f"Invoice ACC-{role}",
        message_id=f"<access-{role}@acme-tools.example>",
        sent_at=PINNED_AT,
        attachments=[("ACC.pdf", invoice_pdf(acme_invoice(f"ACC-{role}", PINNED_AT.date(), "10.00")))],
    )


def _lookup(**fields: Any) -> LookupRequest:
    return LookupRequest(description="phenolic 20mm 80/80", qty=Decimal("2"), uom="m2", **fields)


# For each guarded function: how to call it (positional args, keyword args) given the shared store
# and the calling role. Calls that get through the gate may still fail on their own checks.
SAMPLES: dict[str, Callable[[dict[str, Any], Role], tuple[tuple[Any, ...], dict[str, Any]]]] = {
    "load_demo": lambda s, r: ((), {"force": False}),
    "demo_accounts": lambda s, r: ((), {}),
    "add_user": lambda s, r: ((), {"email": f"new-{r}@test.local", "roles": ["sales"], "password": None}),
    "list_users": lambda s, r: ((), {}),
    "set_user_roles": lambda s, r: ((), {"email": "sales@test.local", "roles": ["sales"]}),
    "set_user_active": lambda s, r: ((), {"email": "sales@test.local", "active": True}),
    "update_user": lambda s, r: ((), {"email": "sales@test.local", "roles": ["sales"], "active": True}),
    "sales_morning": lambda s, r: ((), {}),
    "stores_morning": lambda s, r: ((), {}),
    "admin_morning": lambda s, r: ((), {}),
    "run_job": lambda s, r: (("sla_escalation",), {}),
    "list_job_runs": lambda s, r: ((), {}),
    "last_job_runs": lambda s, r: ((), {}),
    "health": lambda s, r: ((), {}),
    "sign_out": lambda s, r: ((), {}),
    "my_account": lambda s, r: ((), {}),
    "change_password": lambda s, r: (
        (),
        {"current_password": "Old-password-1", "new_password": "New-password-1"},
    ),
    "reset_password": lambda s, r: ((), {"email": "sales@test.local", "password": "Reset-password-1"}),
    "import_lpos": lambda s, r: ((b"lpo_id,customer,po_quantity_m2,status\nLPO-X,C,10,ACTIVE\n",), {}),
    "list_lpos": lambda s, r: ((), {}),
    "ingest_tag": lambda s, r: ((s["world"].request(),), {}),
    "replace_tag": lambda s, r: (
        (
            ReplaceRequest(
                tag_id=s["tag_id"],
                reason="corrected",
                original_file_name="x.csv",
                content=b"description,qty,unit\nphenolic 20mm 80/80,1,m2\n",
            ),
        ),
        {},
    ),
    "list_tags": lambda s, r: ((), {}),
    "show_tag": lambda s, r: ((s["tag_id"],), {}),
    "tag_file": lambda s, r: ((s["tag_id"],), {}),
    "upload_lpo": lambda s, r: ((), {}),
    "preview_sheet": lambda s, r: (("x.csv", b"description,qty,unit\nphenolic 20mm 80/80,1,m2\n"), {}),
    "list_exceptions": lambda s, r: ((), {}),
    "get_exception": lambda s, r: ((MISSING_EXCEPTION,), {}),
    "act_on_exception": lambda s, r: ((MISSING_EXCEPTION, api.ExceptionAction.ACKNOWLEDGE), {}),
    "list_inbox": lambda s, r: ((), {}),
    "mark_inbox_read": lambda s, r: (([],), {}),
    "search_audit": lambda s, r: ((), {"trace_id": "none"}),
    "mapping_master": lambda s, r: ((), {}),
    "lookup_material": lambda s, r: ((_lookup(),), {}),
    "record_lookup": lambda s, r: ((_lookup(line_id=f"LOOKUP-LINE-{r}"),), {}),
    "lookup_batch": lambda s, r: (([],), {}),
    "review_queue": lambda s, r: ((), {}),
    "resolve_review": lambda s, r: (
        (MISSING_EXCEPTION,),
        {"canonical_code": "X", "sap_code": None, "scope": "global", "scope_value": None},
    ),
    "import_materials": lambda s, r: (
        (Kind.UNITS, b"canonical_code,uom,units_per_canonical_unit\n", "u.csv"),
        {},
    ),
    "save_materials": lambda s, r: ((Kind.UNITS, []), {}),
    "list_materials": lambda s, r: ((Kind.SKUS,), {}),
    "export_materials": lambda s, r: ((Kind.SKUS,), {"fmt": "csv"}),
    "coverage": lambda s, r: ((), {}),
    "import_stock": lambda s, r: ((snapshot_csv(STOCK_DATE), "snapshot.csv"), {}),
    "export_stock": lambda s, r: ((), {"fmt": "csv"}),
    "stock_status": lambda s, r: ((), {}),
    "allocate": lambda s, r: ((), {"run_date": DELIVERY}),
    "current_allocation": lambda s, r: ((DELIVERY,), {}),
    "pick_list": lambda s, r: ((DELIVERY,), {}),
    "pick_list_file": lambda s, r: ((DELIVERY,), {"fmt": "csv"}),
    "allocation_status": lambda s, r: ((s["tag_id"],), {}),
    "mapping_history": lambda s, r: (("LINE-000001",), {}),
    "create_api_key": lambda s, r: ((), {"name": f"access-{r}", "roles": ["sales"]}),
    "list_api_keys": lambda s, r: ((), {}),
    "revoke_api_key": lambda s, r: (("01ARZ3NDEKTSV4RRFFQ69G5FAV",), {}),
    "import_vendors": lambda s, r: ((DEMO_VENDORS_CSV.encode(), "vendors.csv"), {}),
    "save_vendors": lambda s, r: (
        ([api.VendorRecord(vendor_name=f"Access {r} Ltd", gl_code="6400")],),
        {},
    ),
    "list_vendors": lambda s, r: ((), {}),
    "export_vendors": lambda s, r: ((), {"fmt": "csv"}),
    "process_mail": lambda s, r: ((_mail(r),), {}),
    "poll_mail": lambda s, r: ((), {}),
    "list_invoices": lambda s, r: ((), {}),
    "show_invoice": lambda s, r: ((MISSING_INVOICE,), {}),
    "invoice_pdf": lambda s, r: ((MISSING_INVOICE,), {}),
    "invoice_preview": lambda s, r: ((MISSING_INVOICE,), {}),
    "reprocess_invoices": lambda s, r: ((), {"invoice_id": MISSING_INVOICE}),
    "route_invoice": lambda s, r: ((MISSING_INVOICE,), {}),
    "correct_invoice": lambda s, r: ((MISSING_INVOICE,), {"field": "currency", "value": "AED"}),
    "unknown_vendors": lambda s, r: ((), {}),
    "mailbox_status": lambda s, r: ((), {}),
    "ingest_carrier_file": lambda s, r: ((b"", "bill.csv"), {"carrier": "fedex", "account": "123456789"}),
    "list_carrier_invoices": lambda s, r: ((), {}),
    "list_carrier_files": lambda s, r: ((), {}),
    "rerun_carrier_file": lambda s, r: (("01J0000000000000000000NONE",), {}),
    "shipment": lambda s, r: ((), {"carrier": "fedex", "tracking": "700000000001"}),
    "import_wms": lambda s, r: ((WMS_CSV, "wms.csv"), {}),
    "pull_wms": lambda s, r: ((), {}),
    "run_reconciliation": lambda s, r: ((), {"as_of": DELIVERY}),
    "list_reconciliation": lambda s, r: ((), {}),
    "reconciliation_dashboard": lambda s, r: ((), {}),
    "wms_status": lambda s, r: ((), {}),
    "dispute_worklist": lambda s, r: ((), {}),
    "act_on_dispute": lambda s, r: ((), {"carrier": "fedex", "tracking": "700000000999", "action": "flag"}),
    "reconciliation_settings": lambda s, r: ((), {}),
    "update_reconciliation_settings": lambda s, r: ((), {"grace_days": 21}),
}

GUARDED = sorted(name for name, entry in api.PERMISSION_TABLE.items() if entry.need is not Gate.OPEN)


def test_every_public_function_is_in_the_table() -> None:
    functions = {
        name
        for name in api.__all__
        if inspect.isfunction(getattr(api, name)) and getattr(api, name).__module__.startswith("engine.api")
    }
    assert functions == set(api.PERMISSION_TABLE), "declare every public function with @requires"
    assert set(GUARDED) == set(SAMPLES), "every guarded function needs a sample call in this test"


def test_functions_that_need_no_actor_are_few_and_named() -> None:
    open_ = {name for name, entry in api.PERMISSION_TABLE.items() if entry.need is Gate.OPEN}
    assert open_ == {
        "actor_for",
        "api_key_actor",
        "business_today",
        "cookie_secret",
        "db_upgrade",
        "grant_session_cookie",
        "job_catalogue",
        "redeem_session_grant",
        "resolve_session",
        "schema_version",
        "secure_cookies",
        "sign_in",
        "sign_in_oidc",
    }


def _allowed(name: str) -> frozenset[Role]:
    need = api.PERMISSION_TABLE[name].need
    return PERMISSIONS[need] if isinstance(need, Permission) else frozenset(Role)


def _writes(world: World) -> tuple[int, ...]:
    with world.ledger.db.read() as conn:
        return tuple(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (
                user_action_history,
                client_request_log,
                exception_log,
                tag_sheet,
                api_key,
                vendor,
                mail_message,
                invoice,
                wms_shipment,
                carrier_cost_ledger,
                reconciliation_run,
            )
        )


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("name", GUARDED)
def test_every_role_is_refused_or_let_through_as_the_table_says(
    shared: dict[str, Any], name: str, role: Role
) -> None:
    world: World = shared["world"]
    actor = Actor(email=f"{role}@test.local", roles=frozenset({role}))
    args, kwargs = SAMPLES[name](shared, role)
    function = getattr(api, name)
    before = _writes(world)
    if role in _allowed(name):
        try:
            function(world.ledger, *args, actor=actor, **kwargs)
        except Forbidden as refused:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{role} was refused {name}: {refused.message}")
        except EngineError:
            pass  # through the gate; the function's own validation answered
    else:
        with pytest.raises(Forbidden, match=f"{role}@test.local"):
            function(world.ledger, *args, actor=actor, **kwargs)
        assert _writes(world) == before, f"a refused {name} wrote rows"


@pytest.mark.parametrize("name", GUARDED)
def test_no_roles_and_no_actor_are_refused(shared: dict[str, Any], name: str) -> None:
    world: World = shared["world"]
    args, kwargs = SAMPLES[name](shared, Role.ADMIN)
    function = getattr(api, name)
    with pytest.raises(Forbidden):
        function(world.ledger, *args, actor=Actor(email="nobody@test.local"), **kwargs)
    with pytest.raises(Forbidden):
        function(world.ledger, *args, actor=None, **kwargs)


def test_reading_an_exception_needs_its_desk(duck_world: World) -> None:
    blocked = duck_world.ingest("TAG-20250615-0009_cutexport_v1.csv", lpo="LPO-2025-0391", area="12.10")
    assert blocked.exception_id
    seen = api.get_exception(duck_world.ledger, blocked.exception_id, actor=duck_world.sales)
    assert seen.desk == api.Desk.SALES
    assert api.get_exception(duck_world.ledger, blocked.exception_id, actor=duck_world.manager)
    for outsider in (duck_world.stores, duck_world.finance):
        with pytest.raises(Forbidden, match="sales desk"):
            api.get_exception(duck_world.ledger, blocked.exception_id, actor=outsider)


def test_master_data_and_prices_stay_on_the_stores_desk(duck_stores: World) -> None:
    for outsider in (duck_stores.sales, duck_stores.finance, duck_stores.manager):
        with pytest.raises(Forbidden):
            api.export_materials(duck_stores.ledger, Kind.SKUS, fmt="csv", actor=outsider)
    prices = api.export_materials(duck_stores.ledger, Kind.SKUS, fmt="csv", actor=duck_stores.stores)
    assert b"price_aed" in prices.content


def test_a_lookup_preview_writes_nothing_and_recording_is_for_stores(duck_stores: World) -> None:
    before = _writes(duck_stores)
    preview = api.lookup_material(
        duck_stores.ledger, _lookup(lpo_id="LPO-2025-0412"), actor=duck_stores.sales
    )
    assert preview.canonical_code and preview.history_id is None
    assert _writes(duck_stores) == before
    with pytest.raises(Forbidden):
        api.record_lookup(duck_stores.ledger, _lookup(line_id="LINE-000001"), actor=duck_stores.sales)
    recorded = api.record_lookup(duck_stores.ledger, _lookup(line_id="LINE-000001"), actor=duck_stores.stores)
    assert recorded.history_id
    trail = api.search_audit(duck_stores.ledger, actor=duck_stores.admin, trace_id=recorded.trace_id).items
    assert [(a.action, a.entity_id, a.actor) for a in trail] == [
        ("MAPPING_LOOKUP_RECORDED", "LINE-000001", duck_stores.stores.email)
    ], "the recorded decision has its audit row, in the same transaction"
