"""The sales desk in the browser: the balance right after an upload, a form sent twice, the tag page
right after a replace, and the first render of the sales pages (recorded for BENCHMARKS.md)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    LPO,
    SALES,
    TAG_ID,
    Console,
    choose_file,
    choose_lpo,
    cut_export,
    enter_area,
    lpo_balance,
    open_upload_page,
    sign_in,
    submit_upload,
)

pytestmark = pytest.mark.browser


def upload_fresh_sheet(page: Page, tmp_path: Path, *, seed: int, area: str) -> tuple[str, Decimal]:
    """Upload a new sheet against LPO; returns the tag id and the balance shown before."""
    open_upload_page(page)
    before = choose_lpo(page, LPO)
    enter_area(page, area, f"{Decimal(area):.2f}")
    choose_file(page, cut_export(tmp_path, seed=seed))
    result = submit_upload(page)
    match = TAG_ID.search(result)
    assert match and "uploaded:" in result, result
    return match.group(0), before


def test_the_balance_shown_after_an_upload_is_the_new_one(page: Page, console: Console, tmp_path: Path):
    sign_in(page, console, SALES)
    _, before = upload_fresh_sheet(page, tmp_path, seed=301, area="3.25")
    # At once, without another click or a reload.
    left = before - Decimal("3.25")
    expect(
        page.get_by_text(re.compile(rf"^{re.escape(LPO)} · ACTIVE · {left:,.2f} m2 left of "))
    ).to_be_visible()
    assert lpo_balance(page, LPO) == left


def test_a_form_sent_twice_says_it_was_already_uploaded(page: Page, console: Console, tmp_path: Path):
    sign_in(page, console, SALES)
    tag_id, before = upload_fresh_sheet(page, tmp_path, seed=302, area="2.50")
    # The same form sent again: nothing new is stored, and the page says when the sheet came.
    again = submit_upload(page)
    assert re.fullmatch(
        rf"Not uploaded again: This file was already uploaded for {LPO} as {tag_id} at \d\d:\d\d\.", again
    ), again
    assert lpo_balance(page, LPO) == before - Decimal("2.50")
    # A double click on a new sheet: one upload, and the answer shown says which it was.
    choose_file(page, cut_export(tmp_path / "double", seed=303))
    page.get_by_test_id("stFormSubmitButton").get_by_role("button", name="Upload tag sheet").dblclick()
    left = before - Decimal("5.00")  # this form's two uploads, 2.50 each: the double click made one
    expect(
        page.get_by_text(re.compile(rf"^{re.escape(LPO)} · ACTIVE · {left:,.2f} m2 left of "))
    ).to_be_visible()
    alert = page.get_by_test_id("stMain").get_by_test_id("stAlert").last
    expect(alert).to_contain_text(
        re.compile(r"TAG-\d{8}-\d{4} uploaded: |^Already uploaded as TAG-\S+ at \d\d:\d\d")
    )


def test_after_a_replace_the_tag_shows_the_new_version(page: Page, console: Console, tmp_path: Path):
    sign_in(page, console, SALES)
    tag_id, _ = upload_fresh_sheet(page, tmp_path, seed=304, area="1.75")
    page.get_by_role("link", name=f"Open {tag_id}").click()
    expect(page.get_by_role("heading", name=f"{tag_id} · UPLOADED")).to_be_visible()
    caption = page.get_by_text(re.compile(r"^Uploaded by sales@demo\.local at "))
    expect(caption).to_contain_text("version 1")
    expect(caption).to_contain_text("(Asia/Dubai)")

    page.get_by_role("tab", name="File and versions").click()
    corrected = tmp_path / "fixed" / "corrected.xlsx"
    corrected.parent.mkdir()
    corrected.write_bytes(cut_export(tmp_path / "src", seed=305).read_bytes())
    with page.expect_response(lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT"):
        page.locator("input[type=file]").set_input_files(str(corrected))
    page.get_by_label("Reason", exact=True).fill("corrected widths")
    page.get_by_role("button", name="Replace sheet").click()

    expect(page.get_by_text(re.compile(r"version 2"))).not_to_have_count(0)
    expect(caption).to_contain_text("file corrected.xlsx · version 2")
    expect(page.get_by_role("button", name="Download corrected.xlsx (version 2)")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Lines")).to_contain_text("12")
