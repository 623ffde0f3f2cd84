"""Browser tests of the stores desk pages: what the storeman sees after running an allocation (an
engine error on the page itself, nothing left in a progress box) and what the pick list could not
cover."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import TODAY
from tests.e2e.browser import ROOT, STORES, Console, all_nav_links, open_page, sign_in

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


STORES_PAGES = (
    ("Mapping review", "mapping-review"),
    ("Material master", "master"),
    ("Overrides", "overrides"),
    ("LPO brand maps", "brand-maps"),
    ("SKUs", "skus"),
    ("Stock snapshot", "stock"),
    ("Allocation", "allocation"),
    ("Coverage", "coverage"),
)
FIRST_RENDER = ROOT / "test-results" / "first-render-stores.json"
RENDER_BUDGET_S = 1.5  # issue 7: every page's first render on the demo data
RENDER_LIMIT_S = 10.0  # what fails the test: a shared, loaded test machine is slower than the budget


def test_first_render_of_the_stores_pages(page: Page, console: Console) -> None:
    """From the click on a page's link to its script having finished with the title shown, each page
    twice (the first visit loads the page's code and its components). Recorded as a test artefact."""
    sign_in(page, console, STORES)
    all_nav_links(page)
    nav = page.get_by_role("navigation", name="App pages")
    timings: dict[str, list[float]] = {}
    for _ in range(2):
        for title, url_path in STORES_PAGES:
            started = time.monotonic()
            nav.get_by_role("link", name=title, exact=True).click()
            expect(page).to_have_url(re.compile(rf"/{url_path}$"))
            expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
            page.wait_for_selector("[data-test-script-state=notRunning]")
            timings.setdefault(title, []).append(round(time.monotonic() - started, 2))
    FIRST_RENDER.parent.mkdir(parents=True, exist_ok=True)
    FIRST_RENDER.write_text(
        json.dumps({"budget_s": RENDER_BUDGET_S, "load": os.getloadavg(), "seconds": timings}, indent=2)
    )
    print(f"first render of the stores pages (first, second visit): {timings}")
    slow = {title: seconds for title, seconds in timings.items() if min(seconds) > RENDER_LIMIT_S}
    assert not slow, f"pages slower than {RENDER_LIMIT_S}s on both visits: {slow}"
