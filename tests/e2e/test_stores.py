"""Browser tests of the stores desk pages: what the storeman sees after running an allocation (an
engine error on the page itself, nothing left in a progress box) and what the pick list could not
cover."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import TODAY
from tests.e2e.browser import STORES, Console, open_page, sign_in

pytestmark = pytest.mark.browser
BLOCKED_TAG = f"TAG-{TODAY:%Y%m%d}-0002"  # the demo's upload on an LPO on hold


def run_allocation_for_tag(page: Page, tag_id: str) -> Locator:
    """Run the allocation for one tag; returns the main area's message boxes once the run is over."""
    main = page.get_by_test_id("stMain")
    page.get_by_label("Or one tag", exact=True).fill(tag_id)
    page.get_by_role("button", name="Run allocation").click()
    return main.get_by_test_id("stAlert")


def expect_no_progress_box(page: Page) -> None:
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stExpander")).to_have_count(0)
    expect(main.get_by_text("Allocating")).to_have_count(0)


@pytest.mark.parametrize(
    ("tag_id", "message"),
    [
        ("TAG-123", "No tag TAG-123."),
        (BLOCKED_TAG, f"{BLOCKED_TAG} is BLOCKED; only UPLOADED tags are allocated."),
    ],
)
def test_an_engine_error_is_shown_on_the_allocation_page(
    page: Page, console: Console, tag_id: str, message: str
) -> None:
    sign_in(page, console, STORES)
    open_page(page, "Allocation", "allocation")
    alerts = run_allocation_for_tag(page, tag_id)
    expect(alerts.filter(has_text=message)).to_be_visible()
    # An error (red), not a warning, and not inside a box.
    expect(alerts.filter(has_text=message).get_by_test_id("stAlertContentError")).to_be_visible()
    expect_no_progress_box(page)


def test_the_allocation_page_shows_what_the_pick_list_does_not_cover(page: Page, console: Console) -> None:
    sign_in(page, console, STORES)
    open_page(page, "Allocation", "allocation")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Not covered by the pick list")).to_be_visible()
    expect(main.get_by_test_id("stAlert").filter(has_text="line(s) short of stock")).to_be_visible()
    expect(main.get_by_role("button", name="Pick list (.csv)")).to_be_visible()
    expect(main.get_by_role("button", name="Pick list (.pdf)")).to_be_visible()
    with page.expect_download() as download:
        main.get_by_role("button", name="Pick list (.csv)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "\nNot covered: lines allocated short or skipped" in text, text


def test_unsaved_master_data_edits_survive_leaving_the_page(page: Page, console: Console) -> None:
    """Nothing is saved here (the console is shared): the edit stays in this browser session only."""
    sign_in(page, console, STORES)
    open_page(page, "Material master", "master")
    main = page.get_by_test_id("stMain")
    grid = main.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    expect(main.get_by_role("button", name="Save changes")).to_be_disabled()
    box = grid.bounding_box()
    assert box is not None
    # The last column (Notes) of the first row: the header is ~35 px, a row ~34 px at this viewport.
    page.mouse.dblclick(box["x"] + box["width"] - 40, box["y"] + 35 + 17)
    cell_editor = page.locator("textarea.gdg-input")  # the grid's editor over the cell
    expect(cell_editor).to_be_visible()
    cell_editor.fill("checked on site")
    cell_editor.press("Enter")
    warning = main.get_by_test_id("stAlert").filter(has_text="1 unsaved change(s)")
    expect(warning).to_be_visible()

    open_page(page, "Allocation", "allocation")
    open_page(page, "Material master", "master")
    expect(warning).to_be_visible()
    expect(main.get_by_role("button", name="Save changes")).to_be_enabled()
    main.get_by_role("button", name="Discard changes").click()
    expect(warning).to_have_count(0)
    expect(main.get_by_role("button", name="Save changes")).to_be_disabled()
