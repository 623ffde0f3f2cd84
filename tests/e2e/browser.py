"""What the browser tests share: the constants of the demo console, and what a user does in it
(sign in, open a page, pick an LPO, upload a file). The fixtures that start the console and the
browser are in ``conftest.py``."""

from __future__ import annotations

import re
import shutil
import socket
import time
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Response, expect
from playwright.sync_api import Error as PlaywrightError

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
START_TIMEOUT_S = 60
# Streamlit reruns the page script on every interaction; the test machine may have two slow cores.
UI_TIMEOUT_MS = 20_000
VIEWPORT = {"width": 1440, "height": 900}  # the screen the console is laid out for
expect.set_options(timeout=UI_TIMEOUT_MS)
TAG_ID = re.compile(r"TAG-\d{8}-\d{4}")
LPO = "LPO-2025-0412"  # ACTIVE in the demo data, ~286 m2 left
SALES = ("sales@demo.local", "sales-demo-2026")
STORES = ("stores@demo.local", "stores-demo-2026")
FINANCE = ("finance@demo.local", "finance-demo-2026")
MANAGER = ("manager@demo.local", "manager-demo-2026")
ADMIN = ("admin@demo.local", "admin-demo-2026")
ACCOUNTS = {"sales": SALES, "stores": STORES, "finance": FINANCE, "manager": MANAGER, "admin": ADMIN}
COOKIE = "opsledger_session"
BINDING = "opsledger_binding"


@dataclass(frozen=True)
class Console:
    url: str
    data_dir: Path
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
            return response.read().decode("utf-8", "replace")
    except OSError:
        return None


def tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def local_only(ctx: BrowserContext) -> None:
    """Hermetic: only the console itself (Streamlit fetches icon fonts from the internet otherwise)."""
    ctx.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())


def session_cookie(ctx: BrowserContext, console: Console) -> dict | None:
    return next((c for c in ctx.cookies(console.url) if c["name"] == COOKIE), None)


def wait_for(condition, what: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.1)


# --- what a user does -------------------------------------------------------------------------------


def sign_in(page: Page, console: Console, account: tuple[str, str]) -> Response:
    """Open the console and sign in; returns the response of the cookie route the page then fetches."""
    page.goto(console.url + "/")
    return submit_sign_in(page, account)


def submit_sign_in(page: Page, account: tuple[str, str]) -> Response:
    expect(page.get_by_role("heading", name="Sign in to OpsLedger")).to_be_visible()
    page.get_by_label("E-mail", exact=True).fill(account[0])
    page.get_by_label("Password", exact=True).fill(account[1])
    with page.expect_response(lambda r: "/api/session/start" in r.url, timeout=UI_TIMEOUT_MS) as cookie:
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect_signed_in(page)
    return cookie.value


def sign_out(page: Page) -> Response:
    """Press Sign out; returns the response of the cookie route the page then fetches."""
    with page.expect_response(lambda r: "/api/session/end" in r.url, timeout=UI_TIMEOUT_MS) as ended:
        page.get_by_role("button", name="Sign out").click()
    expect_signed_out(page)
    return ended.value


def expect_signed_in(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in to OpsLedger")).to_have_count(0)


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_role("heading", name="Sign in to OpsLedger")).to_be_visible()
    expect(page.get_by_label("E-mail", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def all_nav_links(page: Page) -> Locator:
    """The sidebar's page links, all of them: Streamlit folds a long list behind "View N more"."""
    nav = page.get_by_role("navigation", name="App pages")
    expect(nav.get_by_role("link").first).to_be_visible()
    toggle = nav.get_by_test_id("stSidebarNavViewButton")
    if toggle.count() and toggle.inner_text().startswith("View ") and "more" in toggle.inner_text():
        toggle.click()
        expect(toggle).to_have_text("View less")
    return nav.get_by_role("link")


def open_page(page: Page, title: str, url_path: str) -> None:
    """Follow the sidebar link to a page and wait for its title."""
    page.get_by_role("navigation", name="App pages").get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/{url_path}$"))
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def open_upload_page(page: Page) -> None:
    open_page(page, "Upload tag sheet", "upload")


def choose_lpo(page: Page, lpo_id: str) -> Decimal:
    """Pick the LPO; returns the balance the page shows beside it (m2 left)."""
    box = page.get_by_role("combobox", name="LPO")
    box.click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(lpo_id)} ")).click()
    expect(box).to_have_value(re.compile(rf"^{re.escape(lpo_id)} · "))
    return lpo_balance(page, lpo_id)


def lpo_balance(page: Page, lpo_id: str) -> Decimal:
    """The balance the page shows for ``lpo_id`` (waits until the caption names that LPO)."""
    caption = page.get_by_text(re.compile(rf"^{re.escape(lpo_id)} · \w+ · [\d,]+\.\d\d m2 left of "))
    expect(caption).to_be_visible()
    left = re.search(r"([\d,]+\.\d\d) m2 left of ", caption.inner_text())
    assert left is not None, caption.inner_text()
    return Decimal(left.group(1).replace(",", ""))


def enter_area(page: Page, area: str, shown: str) -> None:
    field = page.get_by_label("Required area (m2)", exact=True)
    field.fill(area)
    # Enter commits the value where it is; Tab would focus the delivery date, whose calendar then
    # opens over the form and can take the next click.
    field.press("Enter")
    expect(field).to_have_value(shown)
    wait_for_run(page)  # the field is outside the form: its change reruns the page


def choose_file(page: Page, path: Path) -> None:
    """Pick a file in the uploader and wait until the browser has sent it to the console."""
    with page.expect_response(
        lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT", timeout=UI_TIMEOUT_MS
    ) as sent:
        page.locator("input[type=file]").set_input_files(str(path))
    assert sent.value.ok, f"file upload to the console answered {sent.value.status}"
    expect(page.get_by_role("region", name="Cut export")).to_contain_text(path.name)
    wait_for_run(page)  # the chosen sheet is read (its net area offered) in a rerun


def submit_upload(page: Page) -> str:
    """Press "Upload tag sheet" and wait for a result with a new trace id; returns its text."""
    trace = page.get_by_text(re.compile(r"^Trace id "))
    wait_for_run(page)
    before = trace.inner_text() if trace.count() else None
    page.get_by_test_id("stFormSubmitButton").get_by_role("button", name="Upload tag sheet").click()

    # While the page reruns, the previous run's elements stay until replaced (two trace ids for a moment).
    def answered() -> bool:
        try:
            return (
                trace.count() == 1 and trace.inner_text(timeout=1000) != before and not script_running(page)
            )
        except PlaywrightError:  # an element replaced between two looks: look again
            return False

    wait_for(answered, "the upload's answer with a new trace id", timeout_s=UI_TIMEOUT_MS / 1000)
    # The newest message box (st.success/st.warning/st.error), without its icon's ligature text.
    alert = page.get_by_test_id("stMain").get_by_test_id("stAlert").last
    return alert.get_by_test_id("stMarkdownContainer").inner_text().strip()


def cut_export(directory: Path, *, seed: int) -> Path:
    """A cut export of fresh content (the demo data already holds the sample sheets)."""
    from engine.demo.builder import cut_export_lines, xlsx_bytes

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "nest_e2e.xlsx"
    path.write_bytes(xlsx_bytes(cut_export_lines(12, seed=seed)))
    return path


def copy_as_chosen_again(path: Path, directory: Path) -> Path:
    """The very same file picked again. Chromium ignores re-setting the path the input already holds
    (no change event), so the user's second pick comes from a copy with the same name and bytes."""
    directory.mkdir()
    again = directory / path.name
    shutil.copyfile(path, again)
    return again


def script_running(page: Page) -> bool:
    """Streamlit marks its root element while the page script runs on the server."""
    return page.get_by_test_id("stApp").get_attribute("data-test-script-state") == "running"


def wait_for_run(page: Page) -> None:
    """Wait until the page's script run (if one is going) has finished and its elements are drawn."""
    expect(page.get_by_test_id("stApp")).not_to_have_attribute("data-test-script-state", "running")
