"""The Carrier files page under AppTest: the history of the bills offered, and a rejected bill re-run
with its corrected account, on a copy of the demo store."""

from __future__ import annotations

from engine import api
from engine.demo.carriers import FedexRow, fedex_csv
from engine.vocab import Role
from tests.console.test_carrier_pages import page
from tests.console.test_pages import by_label, texts

ACCOUNT = "123456789"
BILL = fedex_csv([FedexRow("990000001", "20261214", "799000000001", "10.00", [("Fuel Surcharge", "1.50")])])


def test_the_history_lists_every_bill_offered(demo: api.Ledger) -> None:
    at = page(Role.FINANCE, "../pages/carrier_files.py")
    table = at.dataframe[0].value
    assert {"When", "File", "Carrier", "Account", "Status", "Rows", "Invoices", "By"} <= set(table.columns)
    assert len(table) == len(api.list_carrier_files(demo, actor=api.CLI_OPERATOR))
    assert set(table["Status"]) <= {"loaded", "partial", "skipped", "rejected"}
    # nothing rejected in the demo month: nothing to re-run
    assert "Re-run a rejected bill" not in texts(at) and not [b for b in at.button if b.label == "Re-run"]


def test_a_rejected_bill_is_rerun_with_its_corrected_account(demo: api.Ledger) -> None:
    refused = api.ingest_carrier_file(
        demo, BILL, "week50.csv", carrier="fedex", account="42", actor=api.CLI_OPERATOR
    )
    assert refused.status == "rejected"
    at = page(Role.MANAGER, "../pages/carrier_files.py")
    assert "Re-run a rejected bill" in texts(at)
    table = at.dataframe[0].value
    assert table.iloc[0]["File"] == "week50.csv" and table.iloc[0]["Status"] == "rejected"
    assert "the chosen account is '42'" in table.iloc[0]["Message"]
    by_label(at.selectbox, "Rejected bill").select_index(0)
    by_label(at.text_input, "Account").input(ACCOUNT)
    by_label(at.button, "Re-run").click()
    at.run()
    assert not at.exception, at.exception
    assert "Loaded 1 invoice(s)" in texts(at)
    table = at.dataframe[0].value
    assert list(table["Status"][:2]) == ["loaded", "rejected"]
    assert table.iloc[1]["Re-run as"] == table.iloc[0]["File id"]
    exception = api.get_exception(demo, refused.exception_id or "", actor=api.CLI_OPERATOR)
    assert exception.status == "RESOLVED"
    assert not [b for b in at.button if b.label == "Re-run"]  # nothing waits any more


def test_an_upload_takes_its_carrier_and_account_from_the_file(demo: api.Ledger) -> None:
    at = page(Role.MANAGER, "../pages/carrier_upload.py")
    assert by_label(at.selectbox, "Carrier").value is None  # "From the file"
    by_label(at.file_uploader, "Carrier bill").upload("week50.csv", BILL, "text/csv")
    by_label(at.button, "Load bill").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.subheader] == ["FEDEX bill · loaded"], texts(at)
    assert f"fedex account {ACCOUNT}: 1 row(s)" in texts(at)
