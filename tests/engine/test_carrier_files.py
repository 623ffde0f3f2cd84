"""The carrier desk's file history and the re-run of a rejected bill (issue 9 §4 "Carrier files"), and
what the set-based FedEx pipeline says of cells it cannot read, on DuckDB and PostgreSQL."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine import api
from engine.auth.roles import CLI_OPERATOR
from engine.cli import main
from engine.demo.carriers import FedexRow, fedex_csv
from engine.errors import NotFound, ValidationError
from engine.handle import Ledger
from tests.engine.test_carriers_fedex import ACCOUNT, bill, counts, ingest, mps_due


def kept(ledger: Ledger, file_id: str) -> Path:
    return ledger.settings.data_dir / "carriers" / "rejected" / file_id


def test_a_rejected_bill_is_kept_and_loads_when_rerun_with_the_right_account(ledger: Ledger) -> None:
    content = fedex_csv(bill(), due=mps_due())
    rejected = ingest(ledger, content, account="999999999", name="week46.csv")
    assert rejected.status is api.CarrierFileStatus.REJECTED and rejected.exception_id
    assert kept(ledger, rejected.file_id).read_bytes() == content
    listed = api.list_carrier_files(ledger, actor=CLI_OPERATOR)
    assert [(f.file_id, f.status, f.rerunnable, f.file_name) for f in listed] == [
        (rejected.file_id, "rejected", True, "week46.csv")
    ]
    rerun = api.rerun_carrier_file(ledger, rejected.file_id, account="000" + ACCOUNT, actor=CLI_OPERATOR)
    assert rerun.status is api.CarrierFileStatus.LOADED and rerun.file_id != rejected.file_id
    assert [i.net_total for i in rerun.invoices] == [Decimal("55.25"), Decimal("27.00"), Decimal("40.00")]
    # the old file's contract exception is moot now, and nothing waits on disk
    old = api.get_exception(ledger, rejected.exception_id, actor=CLI_OPERATOR)
    assert old.status == "RESOLVED" and rerun.file_id in (old.resolver_notes or "")
    assert not kept(ledger, rejected.file_id).exists()
    history = {f.file_id: f for f in api.list_carrier_files(ledger, actor=CLI_OPERATOR)}
    assert history[rejected.file_id].rerun_as == rerun.file_id
    assert not history[rejected.file_id].rerunnable
    assert (history[rerun.file_id].status, history[rerun.file_id].invoices) == ("loaded", 3)
    with pytest.raises(ValidationError, match="only a rejected file is re-run"):
        api.rerun_carrier_file(ledger, rerun.file_id, actor=CLI_OPERATOR)
    with pytest.raises(ValidationError, match="no longer kept"):
        api.rerun_carrier_file(ledger, rejected.file_id, actor=CLI_OPERATOR)


def test_a_rerun_that_is_refused_again_keeps_the_first_exception_open(ledger: Ledger) -> None:
    rejected = ingest(ledger, fedex_csv(bill(), due=mps_due()), account="999999999")
    again = api.rerun_carrier_file(ledger, rejected.file_id, actor=CLI_OPERATOR)  # the same wrong account
    assert again.status is api.CarrierFileStatus.REJECTED and again.file_id != rejected.file_id
    assert api.get_exception(ledger, rejected.exception_id or "", actor=CLI_OPERATOR).status == "OPEN"
    assert {f.status for f in api.list_carrier_files(ledger, actor=CLI_OPERATOR, status="rejected")} == {
        "rejected"
    }
    with pytest.raises(NotFound):
        api.rerun_carrier_file(ledger, "01J0000000000000000000NONE", actor=CLI_OPERATOR)


def test_a_bill_arrives_as_bytes_a_stream_or_a_path_and_progress_moves_forward(
    ledger: Ledger, tmp_path: Path
) -> None:
    steps: list[tuple[float, str]] = []
    on_disk = tmp_path / "bill.csv"
    on_disk.write_bytes(fedex_csv(bill(), due=mps_due()))
    first = api.ingest_carrier_file(
        ledger,
        io.BytesIO(on_disk.read_bytes()),
        "upload.csv",
        carrier="fedex",
        account=ACCOUNT,
        actor=CLI_OPERATOR,
        progress=lambda done, doing: steps.append((done, doing)),
    )
    assert first.status == "loaded"
    assert [done for done, _ in steps] == sorted(done for done, _ in steps) and 0 < steps[-1][0] < 1
    assert any("Reading every row" in doing for _, doing in steps)
    again = api.ingest_carrier_file(
        ledger, on_disk, "bill.csv", carrier="fedex", account=ACCOUNT, actor=CLI_OPERATOR
    )
    assert again.status == "skipped" and again.file_hash == first.file_hash
    assert not list((ledger.settings.data_dir / "carriers" / "work").glob("bill-*"))  # no work file left


def test_a_bill_over_the_size_limit_is_refused_before_it_is_read(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(ledger.settings), "max_carrier_upload_bytes", property(lambda self: 1024))
    before = counts(ledger)
    with pytest.raises(ValidationError, match="largest bill loaded here"):
        ingest(ledger, fedex_csv(bill(), due=mps_due()))
    assert counts(ledger) == before


def row(**cells: str) -> FedexRow:
    return FedexRow("900000001", "20261109", "700000000001", "10.00", [("Fuel Surcharge", "1.50")], **cells)


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([row(), FedexRow("900000001", "2026-11-09", "700000000002", "10.00")], r"Row 3: Invoice Date"),
        ([row(), FedexRow("900000001", "20261109", "700000000002", "10.005", net="10.01")], "more than 2"),
        ([row(rated="five")], r"Row 2: Rated Weight Amount 'five' is not a number"),
        ([row(divisor="-139")], r"Row 2: Dim Divisor '-139' is not a number"),
        ([FedexRow("", "20261109", "700000000001", "10.00")], r"Row 2: the invoice number or invoice date"),
        ([row(extra={"Shipment Date": "soon"})], r"Row 2: Shipment Date 'soon' is not yyyymmdd"),
    ],
    ids=["date", "decimals", "weight", "divisor", "no-invoice", "ship-date"],
)
def test_the_first_unreadable_cell_is_named_by_row_and_column(
    ledger: Ledger, rows: list[FedexRow], says: str
) -> None:
    before = counts(ledger)
    with pytest.raises(ValidationError, match=says):
        ingest(ledger, fedex_csv(rows))
    assert counts(ledger) == before


def test_a_pair_amount_without_description_and_a_bad_pair_amount_are_named(ledger: Ledger) -> None:
    content = fedex_csv([row()]).decode()
    broken = content.replace("Fuel Surcharge,1.50", ",1.50")
    with pytest.raises(ValidationError, match=r"Row 2: charge pair \d+ has an amount and no description"):
        ingest(ledger, broken.encode())
    with pytest.raises(ValidationError, match=r"Row 2: charge pair \d+ amount '1\.5x' is not a number"):
        ingest(ledger, content.replace("Fuel Surcharge,1.50", "Fuel Surcharge,1.5x").encode())


def test_a_short_line_is_named_with_its_row(ledger: Ledger) -> None:
    second = FedexRow("900000001", "20261109", "700000000002", "10.00")
    lines = fedex_csv([row(), second]).decode().splitlines()
    lines[2] = lines[2].rsplit(",", 30)[0]
    with pytest.raises(ValidationError, match=r"Row 3 has \d+ columns, the header has 210"):
        ingest(ledger, ("\n".join(lines) + "\n").encode())


def test_the_files_and_rerun_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPSLEDGER_DEMO_DATA", "false")
    monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)

    def run(*args: str) -> tuple[int, Any]:
        code = main(list(args))
        return code, json.loads(capsys.readouterr().out)

    bill_file = tmp_path / "bill.csv"
    bill_file.write_bytes(fedex_csv(bill(), due=mps_due()))
    assert run("users", "add", "--email", "m@test.local", "--role", "manager")[0] == 0
    ingest_args = ("carriers", "ingest", str(bill_file), "--carrier", "fedex", "--user", "m@test.local")
    code, refused = run(*ingest_args, "--account", "42")
    assert code == 0 and refused["status"] == "rejected"
    code, files = run("carriers", "files", "--status", "rejected")
    assert code == 0 and [(f["file_id"], f["rerunnable"]) for f in files] == [(refused["file_id"], True)]
    code, loaded = run(
        "carriers", "rerun", refused["file_id"], "--account", ACCOUNT, "--user", "m@test.local"
    )
    assert code == 0 and loaded["status"] == "loaded" and loaded["rows"] == 7
    code, files = run("carriers", "files")
    assert [f["status"] for f in files] == ["loaded", "rejected"]
    assert files[1]["rerun_as"] == loaded["file_id"]


def memory_limit(ledger: Ledger) -> str:
    with ledger.db.read() as conn:
        return str(conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar_one())


def test_the_duckdb_stores_memory_limit_comes_back_after_a_load_good_or_bad(duck_ledger: Ledger) -> None:
    before = memory_limit(duck_ledger)
    assert ingest(duck_ledger, fedex_csv(bill(), due=mps_due())).status == "loaded"
    assert memory_limit(duck_ledger) == before
    with pytest.raises(ValidationError, match="is not a number"):
        ingest(duck_ledger, fedex_csv([row(rated="five")]))
    assert memory_limit(duck_ledger) == before


def test_the_carrier_and_account_are_read_from_the_file_when_not_chosen(ledger: Ledger) -> None:
    from engine.demo.carriers import UPS_ACCOUNT, UpsRow, ups_csv

    fedex = api.ingest_carrier_file(ledger, fedex_csv(bill(), due=mps_due()), "f.csv", actor=CLI_OPERATOR)
    assert (fedex.status, fedex.carrier, fedex.account) == ("loaded", "fedex", ACCOUNT)
    for header, invoice in ((False, "000000A1B2C31"), (True, "000000A1B2C32")):  # one header row or none
        content = ups_csv([UpsRow(invoice, "2026-11-14", "1Z0A1B2C0300000001", "12.00")], header=header)
        ups = api.ingest_carrier_file(ledger, content, f"{invoice}.csv", actor=CLI_OPERATOR)
        assert (ups.status, ups.carrier, ups.account) == ("loaded", "ups", UPS_ACCOUNT)


def test_a_file_of_two_accounts_is_refused_whole_when_its_account_was_not_chosen(ledger: Ledger) -> None:
    rows = [row(), FedexRow("900000001", "20261109", "700000000002", "10.00", account="987654321")]
    refused = api.ingest_carrier_file(ledger, fedex_csv(rows), "two.csv", carrier="fedex", actor=CLI_OPERATOR)
    assert refused.status == "rejected" and refused.account == ACCOUNT
    assert "row 3: Bill to Account Number is '987654321'" in (refused.message or "")


def test_a_file_that_is_no_carriers_bill_asks_for_the_carrier(ledger: Ledger) -> None:
    before = counts(ledger)
    with pytest.raises(ValidationError, match="not recognisably one carrier's bill"):
        api.ingest_carrier_file(ledger, b"order,qty\n1,2\n", "orders.csv", actor=CLI_OPERATOR)
    assert counts(ledger) == before
