"""Browser tests of the desk pages: the users round trip, each desk's home and its links, the inbox
leading to its exception. Users are added fresh here (the console is shared with other modules)."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser import (
    ADMIN,
    SALES,
    SCREENSHOTS,
    STORES,
    Console,
    all_nav_links,
    choose_file,
    choose_lpo,
    cut_export,
    enter_area,
    open_page,
    open_upload_page,
    sign_in,
    submit_upload,
)

pytestmark = pytest.mark.browser


def form(page: Page, heading: str) -> Locator:
    return page.get_by_test_id("stForm").filter(has_text=heading)


def settled(page: Page) -> None:
    """The rerun finished: a message added above the forms moves them, and until the run ends the
    browser still holds their stale copies at the old places."""
    expect(page.get_by_role("combobox", name="User")).to_have_count(1)
    expect(page.get_by_test_id("stForm")).to_have_count(2)


def pick(page: Page, email: str) -> None:
    settled(page)
    box = page.get_by_role("combobox", name="User")
    box.click()
    page.get_by_role("option", name=email, exact=True).click()
    expect(box).to_have_value(email)


def chosen_roles(scope: Locator) -> Locator:
    return scope.get_by_test_id("stMultiSelectTagsContainer").locator("[data-tag] [title]")


def add_role(page: Page, scope: Locator, role: str) -> None:
    scope.get_by_role("combobox", name="Roles").click()
    page.get_by_role("option", name=role, exact=True).click()
    page.keyboard.press("Escape")


def expect_form_shows(page: Page, roles: list[str], *, active: bool) -> None:
    settled(page)
    change = form(page, "Save")
    expect(chosen_roles(change)).to_have_text(roles)
    box = change.get_by_role("checkbox", name="Active")
    expect(box).to_be_checked() if active else expect(box).not_to_be_checked()


def add_user(page: Page, email: str, role: str) -> None:
    adding = form(page, "Add a user")
    adding.get_by_label("E-mail", exact=True).fill(email)
    add_role(page, adding, role)
    adding.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("stAlert").filter(has_text=f"Added {email}: roles {role}.")).to_be_visible()
    settled(page)
    # In the table and picked in the form at once, without a reload.
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text(email)
    expect(page.get_by_role("combobox", name="User")).to_have_value(email)
    expect_form_shows(page, [role], active=True)
    # The Add form is empty again for the next user.
    expect(adding.get_by_label("E-mail", exact=True)).to_have_value("")
    expect(chosen_roles(adding)).to_have_count(0)


def test_the_users_page_round_trip(page: Page, console: Console) -> None:
    first, second = (f"{name}-{uuid.uuid4().hex[:6]}@e2e.local" for name in ("ada", "ben"))
    sign_in(page, console, ADMIN)
    all_nav_links(page)  # Streamlit may fold the list behind "View N more"
    open_page(page, "Users", "users")
    add_user(page, first, "sales")
    add_user(page, second, "finance")

    pick(page, first)
    expect_form_shows(page, ["sales"], active=True)
    change = form(page, "Save")
    add_role(page, change, "stores")
    change.get_by_test_id("stCheckbox").get_by_text("Active", exact=True).click()
    expect(change.get_by_role("checkbox", name="Active")).not_to_be_checked()
    change.get_by_role("button", name="Save").click()
    saved = f"Saved {first}: roles sales, stores; inactive."
    expect(page.get_by_test_id("stAlert").filter(has_text=saved)).to_be_visible()
    settled(page)

    pick(page, second)
    expect_form_shows(page, ["finance"], active=True)
    pick(page, first)
    expect_form_shows(page, ["sales", "stores"], active=False)
    screenshot(page, "users-admin")
    page.reload()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    pick(page, first)
    expect_form_shows(page, ["sales", "stores"], active=False)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def home_after_sign_in(page: Page, console: Console, account: tuple[str, str], heading: str) -> float:
    """Sign in and wait for the whole home page; returns the seconds from opening the console."""
    started = time.monotonic()
    sign_in(page, console, account)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    # The inbox comes last: once it shows, every section of the morning view has rendered.
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    elapsed = time.monotonic() - started
    screenshot(page, f"home-{account[0].split('@')[0]}")
    return elapsed


def test_the_sales_home_leads_to_the_blocked_tags_exception(page: Page, console: Console) -> None:
    seconds = home_after_sign_in(page, console, SALES, "Sales: today")
    print(f"first render, sales home after sign-in: {seconds:.2f} s")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stMetric").filter(has_text="My blocked tags")).to_be_visible()
    expect(main).to_contain_text("is on hold")
    link = main.get_by_role("link", name=re.compile(r"Open EX-\d{4}-\d{6}$")).first
    found = re.search(r"EX-\d{4}-\d{6}", link.inner_text())
    assert found, link.inner_text()
    exception_id = found.group(0)
    link.click()
    expect(page).to_have_url(re.compile(rf"/exceptions\?exception={exception_id}$"))
    expect(page.get_by_role("heading", name=re.compile(rf"^{exception_id} · "))).to_be_visible()
    expect(page.get_by_role("button", name="Apply")).to_be_visible()
    screenshot(page, "exceptions-sales")


def test_the_stores_home(page: Page, console: Console) -> None:
    seconds = home_after_sign_in(page, console, STORES, "Stores: today")
    print(f"first render, stores home after sign-in: {seconds:.2f} s")
    main = page.get_by_test_id("stMain")
    for label in ("T-1 cut-off in", "In mapping review", "Snapshot age", "Open shortages"):
        expect(main.get_by_test_id("stMetric").filter(has_text=label)).to_be_visible()
    expect(main).to_contain_text("Oldest in review:")
    main.get_by_role("link", name="Mapping review", exact=True).click()
    expect(page.get_by_role("heading", name="Mapping review", exact=True)).to_be_visible()


def test_the_admin_home(page: Page, console: Console) -> None:
    seconds = home_after_sign_in(page, console, ADMIN, "Admin: today")
    print(f"first render, admin home after sign-in: {seconds:.2f} s")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stMetric").filter(has_text="Failed job runs")).to_be_visible()
    expect(main).to_contain_text("Demo data is on")
    main.get_by_role("link", name="Operations", exact=True).click()
    expect(page.get_by_role("heading", name="Operations", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    screenshot(page, "operations-admin")


def test_an_acted_on_exception_stays_on_screen_with_its_confirmation(
    page: Page, console: Console, tmp_path: Path
) -> None:
    """A fresh exception of this test's own: a sheet for the LPO on hold is stored BLOCKED."""
    sign_in(page, console, SALES)
    open_upload_page(page)
    choose_lpo(page, "LPO-2025-0391")
    enter_area(page, "3", "3.00")
    choose_file(page, cut_export(tmp_path, seed=int(time.time()) % 100_000))
    assert "is on hold" in submit_upload(page)
    link = page.get_by_test_id("stMain").get_by_role("link", name=re.compile(r"EX-\d{4}-\d{6}")).last
    found = re.search(r"EX-\d{4}-\d{6}", link.inner_text())
    assert found, link.inner_text()
    exception_id = found.group(0)

    page.goto(f"{console.url}/exceptions?exception={exception_id}")
    expect(page.get_by_role("heading", name=f"{exception_id} · LPO_ON_HOLD · OPEN")).to_be_visible()
    page.get_by_text("Dismiss", exact=True).click()
    page.get_by_label("Notes", exact=True).fill("Uploaded for the wrong LPO; sent again for the right one.")
    page.get_by_role("button", name="Apply").click()
    # Dismissed, so out of the open list, yet still the exception on screen, with what happened.
    expect(
        page.get_by_test_id("stAlert").filter(has_text=f"{exception_id} is now DISMISSED.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=f"{exception_id} · LPO_ON_HOLD · DISMISSED")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"exception={exception_id}"))
    expect(page.get_by_role("button", name="Apply")).to_have_count(0)
