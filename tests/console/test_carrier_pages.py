"""The managers' (logistics) desk's pages under AppTest, on the demo month (engine.demo.logistics):
who may open them, a bill uploaded and refused, a shipment found, a reconciliation run, a WMS import
and a dispute worked step by step."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from engine import api
from engine.demo import logistics as month
from engine.demo.carriers import FedexRow, fedex_csv
from engine.demo.loader import demo_password
from engine.store.schema import client_request_log
from engine.vocab import DisputeStatus, ReconStatus, Role
from tests.console.test_pages import ROOT, SESSION_KEY, as_role, by_label, texts, unescape

CARRIER_PAGES = {
    "../pages/carrier_upload.py": "Carrier upload",
    "../pages/bills.py": "Bills",
    "../pages/reconciliation.py": "Reconciliation",
    "../pages/disputes.py": "Disputes",
    "../pages/wms_shipments.py": "WMS shipments",
}
ALLOWED = {Role.FINANCE, Role.MANAGER, Role.ADMIN}  # Permission.WORK_CARRIERS
# Permission.RECONCILE: finance reads reconciliation and disputes, but imports no WMS data.
ALLOWED_ON = {"../pages/wms_shipments.py": {Role.MANAGER, Role.ADMIN}}


def page(role: Role, path: str) -> AppTest:
    at = as_role(role)
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def ledger_rows(ledger: api.Ledger) -> dict[str, api.LedgerRow]:
    return {r.tracking_number: r for r in api.list_reconciliation(ledger, actor=api.CLI_OPERATOR)}


def frame_with(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


@pytest.mark.parametrize("role", list(Role))
def test_every_carrier_page_for_every_role(demo: api.Ledger, role: Role) -> None:
    at = as_role(role)
    for path, title in CARRIER_PAGES.items():
        if role in ALLOWED_ON.get(path, ALLOWED):
            at.switch_page(path).run()
            assert not at.exception, f"{path} as {role}: {at.exception}"
            assert [t.value for t in at.title] == [title]
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(path)


@pytest.mark.parametrize("role", [Role.SALES, Role.STORES])
@pytest.mark.parametrize("path", [p.removeprefix("../") for p in CARRIER_PAGES])
def test_a_direct_visit_is_refused_naming_the_roles(demo: api.Ledger, role: Role, path: str) -> None:
    email = f"{role.value}@demo.local"
    session = api.sign_in(demo, email=email, password=demo_password(email)).session_id
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.session_state[SESSION_KEY] = session
    at.run()
    assert not at.exception
    errors = [str(e.value) for e in at.error]
    needs = "manager or admin" if path.endswith("wms_shipments.py") else "finance, manager or admin"
    assert len(errors) == 1 and f"needs the {needs} role" in errors[0], errors
    assert not at.dataframe and not at.button


def upload(at: AppTest, content: bytes, *, account: str, carrier: str = "fedex") -> None:
    by_label(at.selectbox, "Carrier").set_value(carrier)
    by_label(at.text_input, "Account").input(account)
    by_label(at.file_uploader, "Carrier bill").upload("fedex-week.csv", content, "text/csv")
    by_label(at.button, "Load bill").click().run()
    assert not at.exception, at.exception


def new_bill() -> bytes:
    return fedex_csv(
        [
            FedexRow("955500001", "20261228", "794655500001", "12.00", [("Fuel Surcharge", "1.20")]),
            FedexRow("955500001", "20261228", "794655500002", "14.00", [("Fuel Surcharge", "1.40")]),
            FedexRow("955500002", "20261228", "794655500003", "30.00", [("Residential", "5.00")]),
        ]
    )


def test_an_uploaded_bill_shows_its_invoices_and_trace(demo: api.Ledger) -> None:
    before = len(api.list_carrier_invoices(demo, actor=api.CLI_OPERATOR))
    at = page(Role.FINANCE, "../pages/carrier_upload.py")
    upload(at, new_bill(), account=month.ACCOUNT)
    assert [unescape(s.value) for s in at.success] == [
        f"Loaded 2 invoice(s), fedex account {month.ACCOUNT}: 3 row(s)."
    ], texts(at)
    shown = frame_with(at, "Σ net")
    assert list(shown["Invoice"]) == ["955500001", "955500002"]
    assert list(shown["Σ net"]) == ["28.60", "35.00"] and list(shown["Amount due"]) == ["28.60", "35.00"]
    assert list(shown["Packages"]) == [2, 1] and set(shown["Loaded"]) == {"✓"}
    assert any("trace `" in c.value for c in at.caption)
    assert len(api.list_carrier_invoices(demo, actor=api.CLI_OPERATOR)) == before + 2
    # The same file again: skipped, nothing written.
    upload(at, new_bill(), account=month.ACCOUNT)
    assert any(unescape(i.value).startswith("Skipped: this file was loaded before") for i in at.info), texts(
        at
    )
    assert len(api.list_carrier_invoices(demo, actor=api.CLI_OPERATOR)) == before + 2


def test_a_bill_of_another_account_is_refused_in_one_line(demo: api.Ledger) -> None:
    before = api.list_carrier_invoices(demo, actor=api.CLI_OPERATOR)
    at = page(Role.MANAGER, "../pages/carrier_upload.py")
    upload(at, new_bill(), account="987654321")
    errors = [unescape(e.value) for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Rejected: "), texts(at)
    assert "\n" not in errors[0] and "987654321" in errors[0], errors
    assert [t.value for t in at.subheader] == ["FEDEX bill · rejected"]
    assert api.list_carrier_invoices(demo, actor=api.CLI_OPERATOR) == before


def test_bills_list_the_month_and_find_a_shipment_billed_twice(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/bills.py")
    listed = frame_with(at, "Invoice")
    assert len(listed) == month.INVOICES + month.UPS_INVOICES and set(listed["Loaded"]) == {"✓"}
    assert "16.00" in set(listed["Invoice-level"])  # the weekly service charge, no shipment
    by_label(at.text_input, "Tracking number").input(month.DUPLICATE_TRACKING)
    by_label(at.button, "Find").click().run()
    assert not at.exception, at.exception
    charges = frame_with(at, "Charge")
    assert list(charges["Charge"]).count("Transportation Charge") == 2  # both invoices' freight
    assert len(set(charges["Invoice"])) == 2
    view = api.shipment(demo, carrier="fedex", tracking=month.DUPLICATE_TRACKING, actor=api.CLI_OPERATOR)
    assert any(f"billed {view.billed_cost:,.2f}" in unescape(m.value) for m in at.markdown), texts(at)
    by_label(at.text_input, "Tracking number").input("794600999999")
    by_label(at.button, "Find").click().run()
    assert any("No fedex shipment" in unescape(e.value) for e in at.error), texts(at)


def tab_frame(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    (tab,) = [t for t in at.tabs if t.label.startswith(label)]
    return tab.dataframe[0].value


def test_the_dashboard_shows_the_month_and_its_lists(
    demo: api.Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def whole_ledger(*args: object, **kwargs: object) -> None:
        raise AssertionError("the dashboard reads aggregates, never the whole ledger")

    monkeypatch.setattr(api, "list_reconciliation", whole_ledger)
    at = page(Role.MANAGER, "../pages/reconciliation.py")
    counts = frame_with(at, "Expected")
    by_status = dict(zip(counts["Status"], counts["Packages"], strict=True))
    assert by_status["MATCHED"] == 48 and by_status["COST_VARIANCE"] == 2  # FedEx and UPS
    assert by_status["SHIPPED_NOT_BILLED"] == 3 and by_status["DUPLICATE_BILLING"] == 1
    assert len(at.get("plotly_chart")) == 4  # no dispute yet: its chart says so instead
    assert any(c.value == "Recovered vs claimed: nothing in this selection." for c in at.caption)
    assert [m.label for m in at.metric] == ["Packages", "Billed", "Exceptions", "Claimed", "Recovered"]
    assert at.metric[0].value == f"{sum(by_status.values()):,}"
    assert {month.COST_TRACKING, month.UPS_COST_TRACKING} <= set(tab_frame(at, "Top variances")["Tracking"])
    assert list(tab_frame(at, "Duplicates")["Tracking"]) == [month.DUPLICATE_TRACKING]
    assert set(tab_frame(at, "Shipped, not billed")["Tracking"]) == {
        *month.UNBILLED_TRACKINGS,
        month.UPS_UNBILLED_TRACKING,
    }
    downloads = at.get("download_button")
    assert len(downloads) >= 7 and {d.proto.label for d in downloads} == {"Download CSV"}
    by_label(at.button, "Run now").click().run()
    assert not at.exception, at.exception
    done = [unescape(s.value) for s in at.success]
    assert len(done) == 1 and "as of 2027-01-04: 55 package(s), 0 exception(s) opened" in done[0], done


def test_the_dashboard_filters_by_carrier_account_and_period(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/reconciliation.py")
    everything = at.metric[0].value
    at.selectbox(key="recon-carrier").set_value("ups").run()
    assert not at.exception, at.exception
    assert at.metric[0].value != everything
    assert at.selectbox(key="recon-account").options == ["Any account", *accounts(demo, "ups")]
    at.selectbox(key="recon-carrier").set_value("fedex").run()
    at.selectbox(key="recon-account").set_value(month.ACCOUNT).run()
    assert not at.exception, at.exception
    fedex = int(at.metric[0].value.replace(",", ""))
    assert 0 < fedex < int(everything.replace(",", ""))
    assert "Shipped, not billed (0 · " in [t.label for t in at.tabs][3]  # the WMS names no account
    today = api.business_today(demo)
    at.date_input(key="recon-since").set_value(today).run()
    assert not at.exception, at.exception
    assert any("Nothing reconciled or billed" in i.value for i in at.info), texts(at)
    at.date_input(key="recon-until").set_value(date(2027, 1, 1)).run()  # before the start
    assert any("starts (2027-01-04) after it ends" in unescape(w.value) for w in at.warning), texts(at)
    assert at.selectbox(key="recon-carrier").value == "fedex"  # the filters stay to fix it


def accounts(ledger: api.Ledger, carrier: str) -> list[str]:
    board = api.reconciliation_dashboard(ledger, actor=api.CLI_OPERATOR)
    return board.accounts.get(carrier, [])


def test_a_wms_import_reports_its_rows(demo: api.Ledger) -> None:
    at = page(Role.MANAGER, "../pages/wms_shipments.py")
    before = [unescape(m.value) for m in at.markdown if "Last import:" in m.value]
    assert len(before) == 1 and "by " in before[0], texts(at)  # the demo month's own import
    content = month.demo_wms(api.business_today(demo)).splitlines()
    by_label(at.file_uploader, "WMS export (.csv or .xlsx)").upload(
        "wms.csv", b"\n".join(content[:4]) + b"\n", "text/csv"
    )
    by_label(at.button, "Import").click().run()
    assert not at.exception, at.exception
    done = [unescape(s.value) for s in at.success]
    assert done and done[0].startswith("wms.csv: 3 row(s) imported, 0 new, 3 replaced"), texts(at)
    last = [unescape(m.value) for m in at.markdown if "Last import:" in m.value]
    assert len(last) == 1 and "by manager@demo.local from wms.csv: 3 row(s), 0 new, 3 replaced." in last[0]
    window = frame_with(at, "First ship date")
    status = api.wms_status(demo, actor=api.CLI_OPERATOR)
    assert list(window["Carrier"]) == [c.carrier for c in status.coverage]
    assert (
        list(window["Shipments"]) == [c.shipments for c in status.coverage] and sum(window["Shipments"]) > 3
    )
    by_label(at.file_uploader, "WMS export (.csv or .xlsx)").upload(
        "bad.csv", b"carrier,tracking\nFedEx,1\n", "text/csv"
    )
    by_label(at.button, "Import").click().run()
    assert at.warning, texts(at)


def test_a_variance_is_flagged_disputed_and_accepted(demo: api.Ledger) -> None:
    at = page(Role.MANAGER, "../pages/disputes.py")
    listed = frame_with(at, "Tracking")
    assert set(listed["Status"]) <= {str(s) for s in ReconStatus} - {"MATCHED"}
    assert month.COST_TRACKING in set(listed["Tracking"])
    key = f"fedex:{month.COST_TRACKING}"

    def act(action: str, amount: str = "", reference: str = "") -> None:
        by_label(at.selectbox, "Package").set_value(key).run()
        by_label(at.selectbox, "Action").set_value(action)
        by_label(at.text_input, "Amount").input(amount)
        by_label(at.text_input, "Carrier reference").input(reference)
        by_label(at.button, "Apply").click().run()
        assert not at.exception, at.exception

    act("flag")
    assert [unescape(s.value) for s in at.success] == [f"fedex {month.COST_TRACKING} is now FLAGGED."]
    # A double click: the second press carries the first press's request id (its run was cut short
    # before the answer was shown): the stored answer again, not "cannot be flagged".
    with demo.db.read() as conn:
        (first,) = conn.execute(
            sa.select(client_request_log.c.client_request_id).where(
                client_request_log.c.operation == "disputes.act"
            )
        ).scalars()
    at.session_state[f"_request_ids_dispute-{key.replace(':', '-')}"] = {"flag||": first}
    act("flag")
    assert [unescape(s.value) for s in at.success] == [f"fedex {month.COST_TRACKING} is now FLAGGED."]
    assert not at.error, texts(at)
    act("accept", "6.50")  # out of order: a flagged package is disputed first
    assert any("cannot be accepted" in unescape(e.value) for e in at.error), texts(at)
    assert ledger_rows(demo)[month.COST_TRACKING].dispute_status is DisputeStatus.FLAGGED
    act("dispute", "6.50", "FDX-CLAIM-1")
    act("accept", "6.50")
    row = ledger_rows(demo)[month.COST_TRACKING]
    assert row.dispute_status is DisputeStatus.ACCEPTED
    assert (row.claim_amount, row.recovered_amount, row.carrier_reference) == (
        Decimal("6.50"), Decimal("6.50"), "FDX-CLAIM-1"
    )  # fmt: skip
    assert [m.value for m in at.metric][1:] == ["6.50", "6.50"]


def test_disputes_find_a_package_by_its_tracking_number(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/disputes.py")
    every = at.metric[0].value
    by_label(at.text_input, "Tracking number contains").input(month.UNBILLED_TRACKINGS[0][-9:]).run()
    assert not at.exception, at.exception
    assert list(frame_with(at, "Tracking")["Tracking"]) == [month.UNBILLED_TRACKINGS[0]]
    assert at.metric[0].value == "1" and every != "1"
    by_label(at.text_input, "Tracking number contains").input("no-such-package").run()
    assert any("containing no-such-package" in unescape(i.value) for i in at.info), texts(at)


def test_finance_reads_reconciliation_and_disputes_but_does_not_work_them(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/reconciliation.py")
    assert not [b for b in at.button if b.label == "Run now"]
    assert any("Managers run the reconciliation" in c.value for c in at.caption)
    assert frame_with(at, "Status") is not None
    at.switch_page("../pages/disputes.py").run()
    assert not at.exception, at.exception
    assert any("Managers work the disputes" in c.value for c in at.caption)
    with pytest.raises(api.Forbidden):
        api.run_reconciliation(
            demo, actor=api.Actor(email="finance@demo.local", roles=frozenset({Role.FINANCE}))
        )
