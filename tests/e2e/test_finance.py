"""Browser test of the finance desk's key flow: an unknown vendor's invoice is waiting; finance adds
the vendor from the Unknown vendors page, and the invoice is read again, enriched and routed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import FINANCE, Console, open_page, sign_in, wait_for_run

pytestmark = pytest.mark.browser


def test_finance_adds_an_unknown_vendor_and_its_invoice_is_routed(page: Page, console: Console) -> None:
    sign_in(page, console, FINANCE)
    open_page(page, "Unknown vendors", "unknown-vendors")
    expect(page.get_by_role("heading", name="desertrain.example · 1 invoice waiting")).to_be_visible()
    group = page.get_by_test_id("stForm").filter(has=page.get_by_label("GL code"))
    expect(group.get_by_label("Vendor name")).to_have_value("Desert Rain Catering")
    group.get_by_label("GL code").fill("6400")
    group.get_by_label("Expense dept").fill("CANTEEN")
    group.get_by_role("button", name="Add as a new vendor").click()
    wait_for_run(page)
    expect(
        page.get_by_text("Desert Rain Catering added; 1 invoice reprocessed: 1 processed, 1 routed")
    ).to_be_visible()
    expect(page.get_by_text("desertrain.example · 1 invoice waiting")).to_have_count(0)
    # The Invoices page puts the invoice it opens in the address (?invoice=…): follow the link, not a URL.
    page.get_by_role("navigation", name="App pages").get_by_role("link", name="Invoices", exact=True).click()
    expect(page.get_by_role("heading", name="Invoices", level=1)).to_be_visible()
    wait_for_run(page)
    listed = page.get_by_test_id("stDataFrame").first
    expect(listed).to_contain_text("Desert Rain Catering")
    expect(listed).to_contain_text("DRC-204")
