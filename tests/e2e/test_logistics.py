"""Browser test of the managers' key flow: upload a bill and a WMS export, run the reconciliation,
take a variance to dispute, and see the disputes' totals change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.demo.carriers import ACCOUNT, FedexRow, fedex_csv
from tests.e2e.browser import MANAGER, UI_TIMEOUT_MS, Console, open_page, sign_in, wait_for_run

pytestmark = pytest.mark.browser
TRACKING = "799000000001"  # billed 14.50 against an expected 9.00: a cost variance


def _upload(page: Page, path: Path) -> None:
    with page.expect_response(
        lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT", timeout=UI_TIMEOUT_MS
    ):
        page.locator("input[type=file]").set_input_files(str(path))
    wait_for_run(page)


def test_a_manager_loads_reconciles_and_disputes(page: Page, console: Console, tmp_path: Path) -> None:
    bill = tmp_path / "fedex-week-49.csv"
    bill.write_bytes(
        fedex_csv(
            [
                FedexRow(
                    invoice="955000001",
                    date="20261130",
                    tracking=TRACKING,
                    freight="14.50",
                    ship_date="20261128",
                )
            ]
        )
    )
    wms = tmp_path / "wms-week-49.csv"
    wms.write_text(
        "carrier,tracking_number,ship_date,expected_cost,weight,weight_unit\n"
        f"FedEx,{TRACKING},2026-11-28,9.00,5,lb\n"
    )
    sign_in(page, console, MANAGER)

    open_page(page, "Carrier upload", "carrier-upload")
    page.get_by_label("Account", exact=True).fill(ACCOUNT)
    _upload(page, bill)
    page.get_by_role("button", name="Load bill").click()
    wait_for_run(page)
    expect(page.get_by_text(re.compile(r"FEDEX bill · loaded"))).to_be_visible()

    open_page(page, "WMS shipments", "wms-shipments")
    _upload(page, wms)
    page.get_by_role("button", name="Import").click()
    wait_for_run(page)
    expect(page.get_by_text(re.compile(r"wms-week-49\.csv: 1 row\(s\) imported"))).to_be_visible()

    open_page(page, "Reconciliation", "reconciliation")
    page.get_by_role("button", name="Run now").click()
    wait_for_run(page)
    expect(page.get_by_text(re.compile(r"as of .*exception\(s\) opened"))).to_be_visible()

    open_page(page, "Disputes", "disputes")
    claimed = page.get_by_test_id("stMetric").filter(has_text="Claimed")
    before = claimed.inner_text()
    box = page.get_by_role("combobox", name="Package")
    box.click()
    page.keyboard.type(TRACKING)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")  # the menu closed, or the next click only closes it
    wait_for_run(page)
    expect(box).to_have_value(re.compile(TRACKING))
    for action, amount, reference in (("Flag", "", ""), ("Dispute", "5.50", "FDX-CASE-49")):
        chooser = page.get_by_role("combobox", name="Action")
        expect(chooser).to_be_visible()
        chooser.click()
        page.keyboard.type(action)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        expect(chooser).to_have_value(action)
        if amount:
            page.get_by_label("Amount", exact=True).fill(amount)
            page.get_by_label("Carrier reference", exact=True).fill(reference)
        done = page.get_by_text(re.compile(rf"{TRACKING} is now {action.upper()}"))
        problems = page.get_by_test_id("stAlertContentWarning").or_(
            page.get_by_test_id("stAlertContentError")
        )
        answered = done.or_(problems).first
        for _ in range(2):  # a click that lands while the page is still settling is lost: nothing changed
            page.get_by_role("button", name="Apply").click()
            wait_for_run(page)
            try:
                expect(answered).to_be_visible(timeout=8_000)
                break
            except AssertionError:
                continue
        expect(answered).to_be_visible()
        assert done.count() == 1, problems.all_inner_texts()
    expect(claimed).not_to_have_text(before)

    # The dashboard shows the claim: its "Claimed" figure is the disputes' sum.
    open_page(page, "Reconciliation", "reconciliation")
    expect(page.get_by_test_id("stMetric").filter(has_text="Claimed")).to_contain_text("5.50")
    expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
