"""Browser tests of the console's shell: every page a role may use is in the sidebar without
unfolding anything, a link opened while signed out leads through sign-in to its page, a page the role
may not open names the roles it needs, and the layout (no band above the title, a narrow sign-in card)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console.app import PAGES
from tests.e2e.browser import ADMIN, SALES, STORES, Console, expect_signed_in, sign_in, submit_sign_in

pytestmark = pytest.mark.browser


def sidebar(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("navigation", name="App pages")


def sections(page: Page):  # type: ignore[no-untyped-def]
    """The sidebar's section names (without the fold button's icon)."""
    return sidebar(page).get_by_test_id("stNavSectionHeader").get_by_role("paragraph")


def expect_no_page_not_found(page: Page) -> None:
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_admin_sees_every_page_link_without_unfolding_anything(page: Page, console: Console) -> None:
    sign_in(page, console, ADMIN)
    nav = sidebar(page)
    expect(nav.get_by_role("link")).to_have_count(len(PAGES))
    for _, _, title, _, _, url_path in PAGES:
        link = nav.get_by_role("link", name=title, exact=True)
        expect(link).to_be_visible()
        expect(link).to_have_attribute(
            "href", re.compile(rf"/{url_path}$" if url_path != "home" else r":\d+/$")
        )
    expect(nav.get_by_test_id("stSidebarNavViewButton")).to_have_count(0)
    # Grouped by desk: Overview first, Account last.
    expect(sections(page).first).to_have_text("Overview")
    expect(sections(page).last).to_have_text("Account")


def test_stores_see_their_desk_first(page: Page, console: Console) -> None:
    sign_in(page, console, STORES)
    expect(sections(page)).to_have_text(["Overview", "Stores", "Sales", "Ledger", "Account"])
    expect(sidebar(page).get_by_role("link", name="Users", exact=True)).to_have_count(0)


def test_a_deep_link_signed_out_leads_through_sign_in_to_its_page(page: Page, console: Console) -> None:
    page.goto(console.url + "/upload")
    expect(page.get_by_role("heading", name="Sign in to OpsLedger")).to_be_visible()
    expect_no_page_not_found(page)
    expect(page).to_have_url(re.compile(r"/upload$"))
    submit_sign_in(page, SALES)
    expect(page.get_by_role("heading", name="Upload tag sheet", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/upload$"))
    expect(page.get_by_role("heading", name="Home", exact=True)).to_have_count(0)
    expect_no_page_not_found(page)


def test_a_page_the_role_may_not_open_names_the_roles_it_needs(page: Page, console: Console) -> None:
    sign_in(page, console, STORES)
    page.goto(console.url + "/upload")  # a direct visit, signed in
    expect_signed_in(page)
    refusal = page.get_by_test_id("stMain").get_by_test_id("stAlert")
    expect(refusal).to_contain_text("Upload tag sheet needs the sales, manager or admin role")
    expect_no_page_not_found(page)
    expect(page.get_by_role("button", name="Upload")).to_have_count(0)


def test_a_deep_link_to_a_page_hidden_from_the_role_says_so_after_sign_in(
    page: Page, console: Console
) -> None:
    page.goto(console.url + "/users")
    submit_sign_in(page, SALES)
    expect(page).to_have_url(re.compile(r"/users$"))
    refusal = page.get_by_test_id("stMain").get_by_test_id("stAlert")
    expect(refusal).to_contain_text("Users needs the admin role")
    expect_no_page_not_found(page)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)


def test_the_title_sits_under_the_toolbar_and_sign_in_is_a_narrow_card(page: Page, console: Console) -> None:
    page.goto(console.url + "/")
    title = page.get_by_role("heading", name="Sign in to OpsLedger")
    expect(title).to_be_visible()
    form = page.get_by_test_id("stForm")
    box, viewport = form.bounding_box(), page.viewport_size
    assert box is not None and viewport is not None
    assert box["width"] <= 520, f"the sign-in card is {box['width']:.0f}px wide"
    middle = box["x"] + box["width"] / 2
    assert abs(middle - (viewport["width"] / 2)) < 40, f"the sign-in card is not centred ({middle:.0f}px)"
    submit_sign_in(page, ADMIN)
    heading = page.get_by_role("heading", name="Home", exact=True)
    expect(heading).to_be_visible()
    top = heading.bounding_box()
    assert top is not None and top["y"] <= 80, f"the page title starts {top and top['y']:.0f}px down"
