"""The carrier drop folder: files under tenant/carrier/account are loaded by the carrier_inbox job,
moved to done/ or rejected/, and a load is followed by a reconciliation run."""

from __future__ import annotations

from pathlib import Path

from engine import api
from engine.api import SYSTEM_JOB
from engine.carriers.inbox import root
from engine.demo.carriers import ACCOUNT, FedexRow, fedex_csv
from engine.operations.jobs import run_job
from engine.vocab import JobStatus, JobTrigger


def _bill(invoice: str, tracking: str) -> bytes:
    return fedex_csv([FedexRow(invoice=invoice, date="20261109", tracking=tracking, freight="12.00")])


def test_the_drop_folder_loads_files_and_sets_aside_the_refused(ledger: api.Ledger) -> None:
    base = root(ledger)
    good = base / "acme" / "fedex" / ACCOUNT
    wrong = base / "acme" / "fedex" / "000000042"
    for folder in (good, wrong):
        folder.mkdir(parents=True)
    (good / "bill-1.csv").write_bytes(_bill("900000101", "700000000101"))
    (wrong / "bill-2.csv").write_bytes(_bill("900000102", "700000000102"))
    (base / "acme" / "dhl" / "1").mkdir(parents=True)
    (base / "acme" / "dhl" / "1" / "unknown.csv").write_bytes(b"x")  # no known carrier: left where it is

    run = run_job(ledger, "carrier_inbox", trigger=JobTrigger.MANUAL, actor=SYSTEM_JOB)
    assert run.status is JobStatus.SUCCEEDED, run.error
    assert run.counts == {"files": 2, "loaded": 1, "rejected": 1, "reconciled": 1}
    assert [p.name for p in (good / "done").iterdir()] == ["bill-1.csv"]
    assert [p.name for p in (wrong / "rejected").iterdir()] == ["bill-2.csv"]
    assert not list(good.glob("*.csv")) and not list(wrong.glob("*.csv"))
    assert (base / "acme" / "dhl" / "1" / "unknown.csv").exists()
    invoices = api.list_carrier_invoices(ledger, actor=SYSTEM_JOB, carrier="fedex")
    assert {i.invoice_number for i in invoices if str(i.status) == "loaded"} == {"900000101"}
    rows = api.list_reconciliation(ledger, actor=SYSTEM_JOB)
    assert any(r.tracking_number == "700000000101" for r in rows)  # the reconciliation followed the load


def test_an_empty_drop_folder_is_a_skipped_run(ledger: api.Ledger) -> None:
    run = run_job(ledger, "carrier_inbox", trigger=JobTrigger.MANUAL, actor=SYSTEM_JOB)
    assert run.status is JobStatus.SKIPPED and run.error == "no carrier file waiting"


def test_the_nightly_reconciliation_is_a_job(ledger: api.Ledger, tmp_path: Path) -> None:
    run = run_job(ledger, "reconciliation", trigger=JobTrigger.MANUAL, actor=SYSTEM_JOB)
    assert run.status is JobStatus.SUCCEEDED, run.error
