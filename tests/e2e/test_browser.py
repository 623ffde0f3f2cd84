"""End-to-end: the real console (``streamlit run console/app.py``) driven in headless Chromium.

One console process serves the whole module, on a free port with a fresh data dir (so the demo data
is loaded on its first start). Every test has its own browser context: its own cookies and tabs.
Screenshots of failed tests land in the console's temporary data dir (the path is in the failure).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect, sync_playwright

from engine.clock import TEST_CLOCK_VARIABLE
from tests.conftest import TODAY

pytestmark = pytest.mark.browser

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
expect.set_options(timeout=UI_TIMEOUT_MS)
TAG_ID = re.compile(r"TAG-\d{8}-\d{4}")
LPO = "LPO-2025-0412"  # ACTIVE in the demo data, ~286 m2 left
SALES = ("sales@demo.local", "sales-demo-2026")
STORES = ("stores@demo.local", "stores-demo-2026")
COOKIE = "opsledger_session"
BINDING = "opsledger_binding"


@dataclass(frozen=True)
class Console:
    url: str
    data_dir: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
            return response.read().decode("utf-8", "replace")
    except OSError:
        return None


def _tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The real console on a free local port with a fresh data dir; stopped after the module."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium binary for the browser tests (looked for {CHROMIUM}): run `make chromium`")
    data_dir = tmp_path_factory.mktemp("opsledger-e2e")
    log_path = data_dir / "console.log"
    port = _free_port()
    # Only this data dir: no OPSLEDGER_* of the developer's shell, no [opsledger] table of a secrets file;
    # only the suite's pinned clock goes along (the console's "today" is the tests' TODAY).
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPSLEDGER_")}
    if TEST_CLOCK_VARIABLE in os.environ:
        env[TEST_CLOCK_VARIABLE] = os.environ[TEST_CLOCK_VARIABLE]
    env.update(
        OPSLEDGER_DATA_DIR=str(data_dir),
        OPSLEDGER_SECRETS_FILE=str(data_dir / "no-secrets.toml"),
        OPSLEDGER_DEMO_DATA="true",
        PYTHONUNBUFFERED="1",
    )
    command = [
        sys.executable, "-m", "streamlit", "run", "console/app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"the console exited with {process.returncode}:\n{_tail(log_path)}")
            if _get(f"{url}/_stcore/health") == "ok" and '"status":"ok"' in (_get(f"{url}/api/health") or ""):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"no answer on {url} within {START_TIMEOUT_S}s; console log:\n{_tail(log_path)}")
            time.sleep(0.25)
        yield Console(url=url, data_dir=data_dir, log=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log_text, f"the console logged a traceback ({log_path}):\n{log_text[-4000:]}"


@pytest.fixture(scope="module")
def browser(console: Console) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, console: Console, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, tabs) for one test; screenshots of its tabs if the test failed."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(UI_TIMEOUT_MS)
    _local_only(ctx)
    failed_before = request.session.testsfailed
    yield ctx
    if request.session.testsfailed > failed_before:
        for number, tab in enumerate(ctx.pages):
            shot = console.data_dir / f"{request.node.name}-tab{number}.png"
            try:
                tab.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the failed test: {shot}")
            except Exception as error:  # the tab may be gone; the test's own failure matters
                print(f"no screenshot of tab {number}: {error}")
        print(f"console log: {console.log}")
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def _local_only(ctx: BrowserContext) -> None:
    """Hermetic: only the console itself (Streamlit fetches icon fonts from the internet otherwise)."""
    ctx.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())


def _session_cookie(ctx: BrowserContext, console: Console) -> dict | None:
    return next((c for c in ctx.cookies(console.url) if c["name"] == COOKIE), None)


def _wait_for(condition, what: str, timeout_s: float = 10) -> None:
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
    field.press("Tab")
    expect(field).to_have_value(shown)


def choose_file(page: Page, path: Path) -> None:
    """Pick a file in the uploader and wait until the browser has sent it to the console."""
    with page.expect_response(
        lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT", timeout=UI_TIMEOUT_MS
    ) as sent:
        page.locator("input[type=file]").set_input_files(str(path))
    assert sent.value.ok, f"file upload to the console answered {sent.value.status}"
    expect(page.get_by_role("region", name="Cut export")).to_contain_text(path.name)


def submit_upload(page: Page) -> str:
    """Press the form's Upload button and wait for a result with a new trace id; returns its text."""
    trace = page.get_by_text(re.compile(r"^Trace id "))
    before = trace.inner_text() if trace.count() else None
    page.get_by_test_id("stFormSubmitButton").get_by_role("button", name="Upload").click()
    if before is None:
        expect(trace).to_be_visible()
    else:
        expect(trace).not_to_have_text(before)
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


# --- the tests --------------------------------------------------------------------------------------


def test_sales_uploads_a_cut_export_and_the_same_file_again_is_a_duplicate(
    page: Page, console: Console, tmp_path: Path
):
    sign_in(page, console, SALES)
    open_upload_page(page)
    sheet = cut_export(tmp_path, seed=7)

    left_before = choose_lpo(page, LPO)
    enter_area(page, "12.5", "12.50")
    choose_file(page, sheet)
    result = submit_upload(page)

    assert re.fullmatch(rf"{TAG_ID.pattern} uploaded: 12 lines on {LPO}\.", result), result
    match = TAG_ID.search(result)
    assert match is not None
    tag_id = match.group(0)
    assert tag_id.startswith(f"TAG-{TODAY:%Y%m%d}-"), "the console runs on the suite's pinned clock"
    expect(page.get_by_text(re.compile(r"^Trace id [0-9a-z]{26}\b"))).to_be_visible()
    expect(page.get_by_role("link", name=f"Open {tag_id}")).to_be_visible()

    # The very same file again, from the same form: it keeps the LPO (and the area) it shows.
    expect(page.get_by_role("combobox", name="LPO")).to_have_value(re.compile(rf"^{LPO} · "))
    choose_file(page, copy_as_chosen_again(sheet, tmp_path / "again"))
    result = submit_upload(page)

    assert result.startswith("Duplicate (409): This file was already uploaded for "), result
    assert f"already uploaded for {LPO} as {tag_id}." in result, result
    assert f"Existing tag {tag_id}." in result, result
    expect(page.get_by_role("link", name=f"Open {tag_id}")).to_be_visible()
    # The upload took its area off the LPO's balance, the duplicate nothing.
    expect(
        page.get_by_text(f"{LPO} · ACTIVE · {left_before - Decimal('12.50'):,.2f} m2 left of ")
    ).to_be_visible()


def test_uploads_in_a_row_from_one_form_go_to_the_lpo_it_shows(page: Page, console: Console, tmp_path: Path):
    sign_in(page, console, SALES)
    open_upload_page(page)
    choose_lpo(page, LPO)
    enter_area(page, "1.5", "1.50")
    for number in range(1, 4):
        sheet = cut_export(tmp_path / str(number), seed=100 + number)
        choose_file(page, sheet)
        result = submit_upload(page)
        assert re.fullmatch(rf"{TAG_ID.pattern} uploaded: 12 lines on {LPO}\.", result), (number, result)
        expect(page.get_by_role("combobox", name="LPO")).to_have_value(re.compile(rf"^{LPO} · "))


def test_session_survives_reload_and_new_tab_and_sign_out_ends_it(
    context: BrowserContext, page: Page, console: Console
):
    started = sign_in(page, console, SALES)
    assert started.status == 200
    assert started.url == console.url + "/api/session/start", "nothing secret in a URL (access logs)"
    assert "code=" not in page.content()
    binding = next(c for c in context.cookies(console.url) if c["name"] == BINDING)
    assert binding["httpOnly"] is True and binding["sameSite"] == "Strict"
    set_cookie = started.all_headers().get("set-cookie", "")
    assert set_cookie.startswith(f"{COOKIE}="), set_cookie
    assert "httponly" in set_cookie.lower(), set_cookie
    assert "samesite=lax" in set_cookie.lower(), set_cookie
    _wait_for(lambda: _session_cookie(context, console) is not None, "the browser to keep the cookie")
    cookie = _session_cookie(context, console)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    page.reload()
    expect_signed_in(page)
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Sidebar")).to_contain_text("Signed in as sales@demo.local")

    second_tab = context.new_page()
    second_tab.goto(console.url + "/audit")
    expect_signed_in(second_tab)
    expect(second_tab.get_by_role("heading", name="Audit trail", exact=True)).to_be_visible()

    assert sign_out(page).status == 200
    _wait_for(lambda: _session_cookie(context, console) is None, "sign-out to clear the cookie")
    page.reload()
    expect_signed_out(page)

    # The other tab is signed out with it: its next rerun finds the session ended.
    second_tab.get_by_role("navigation", name="App pages").get_by_role("link", name="Exceptions").click()
    expect_signed_out(second_tab)

    # And the old cookie itself no longer works (the session ended in the engine, not only in this
    # browser): a fresh browser that presents it lands on the sign-in form.
    other = context.browser.new_context()
    try:
        _local_only(other)
        other.add_cookies([cookie])
        replay = other.new_page()
        replay.goto(console.url + "/")
        expect_signed_out(replay)
    finally:
        other.close()


def test_signing_in_again_after_sign_out_keeps_the_new_session(
    context: BrowserContext, page: Page, console: Console
):
    """Sign out and in again in a tab that was opened with the cookie, while another such tab is open:
    the cookie clean-up those tabs still owe the old session must not end the new one."""
    sign_in(page, console, SALES)
    _wait_for(lambda: _session_cookie(context, console) is not None, "the session cookie")
    page.reload()  # from now on the tab's connection carries the first session's cookie
    expect_signed_in(page)
    stale_tab = context.new_page()
    stale_tab.goto(console.url + "/tags")
    expect_signed_in(stale_tab)

    sign_out(page)
    submit_sign_in(page, SALES)  # the same tab, no reload
    _wait_for(lambda: _session_cookie(context, console) is not None, "the new session's cookie")

    # The other tab finds its (first) session ended, and asks the browser to drop its cookie (on
    # the rerun after it noticed, which may be one of Streamlit's own or the click below).
    cleanups: list[Response] = []
    stale_tab.on("response", lambda r: cleanups.append(r) if "/api/session/end" in r.url else None)
    stale_tab.get_by_role("navigation", name="App pages").get_by_role("link", name="LPOs").click()
    expect_signed_out(stale_tab)
    stale_tab.get_by_role("button", name="Sign in", exact=True).click()  # a rerun
    expect(stale_tab.get_by_text("Enter your e-mail and password.")).to_be_visible()
    deadline = time.monotonic() + 10
    while not cleanups:  # (the sync API delivers events while it is called: wait through it)
        assert time.monotonic() < deadline, "the other tab never asked the browser to drop its cookie"
        stale_tab.wait_for_timeout(100)

    # The new session lives on: in its tab, across reruns, and after a reload (its cookie is kept).
    open_page(page, "Tags", "tags")
    open_page(page, "LPOs", "lpos")
    expect_signed_in(page)
    page.reload()
    expect_signed_in(page)
    expect(page.get_by_role("heading", name="LPOs", exact=True)).to_be_visible()


def test_a_cookie_grant_cannot_be_planted_in_another_browser(
    browser: Browser, context: BrowserContext, page: Page, console: Console
):
    """Login CSRF: an attacker signs in, keeps the browser from fetching the cookie, and makes a
    victim's browser ask the cookie route instead. The grant is bound to the attacker's browser."""
    page.route("**/api/session/start", lambda route: route.abort())
    page.goto(console.url + "/")
    expect(page.get_by_role("heading", name="Sign in to OpsLedger")).to_be_visible()
    page.get_by_label("E-mail", exact=True).fill(SALES[0])
    page.get_by_label("Password", exact=True).fill(SALES[1])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect_signed_in(page)
    assert _session_cookie(context, console) is None, "the attacker's browser has no cookie yet"

    victim = browser.new_context()
    try:
        _local_only(victim)
        victim_tab = victim.new_page()
        victim_tab.goto(console.url + "/")
        expect_signed_out(victim_tab)
        status = victim_tab.evaluate("fetch('/api/session/start').then(r => r.status)")
        assert status == 200
        assert _session_cookie(victim, console) is None, "the grant is not the victim's browser's"
        victim_tab.reload()
        expect_signed_out(victim_tab)
    finally:
        victim.close()

    # The browser the grant is bound to still gets it: the grant was valid, only bound.
    page.unroute("**/api/session/start")
    page.evaluate("fetch('/api/session/start').then(r => r.status)")
    _wait_for(lambda: _session_cookie(context, console) is not None, "the bound browser's cookie")


def test_signing_out_ends_the_session_in_every_browser(browser: Browser, page: Page, console: Console):
    other = browser.new_context()
    try:
        _local_only(other)
        elsewhere = other.new_page()
        sign_in(elsewhere, console, STORES)
        sign_in(page, console, STORES)
        sign_out(page)
        elsewhere.get_by_role("navigation", name="App pages").get_by_role("link", name="Tags").click()
        expect_signed_out(elsewhere)
        elsewhere.reload()
        expect_signed_out(elsewhere)
    finally:
        other.close()


def test_stores_has_no_upload_page(page: Page, console: Console):
    sign_in(page, console, STORES)
    links = all_nav_links(page)
    for title in ("Home", "Tags", "LPOs", "Exceptions", "Audit trail"):
        expect(links.filter(has_text=re.compile(rf"{title}$"))).to_have_count(1)
    expect(links.filter(has_text="Upload tag sheet")).to_have_count(0)
    expect(links.filter(has_text="Users")).to_have_count(0)  # an admin page
    expect(page.get_by_role("link", name="Upload tag sheet")).to_have_count(0)

    page.goto(console.url + "/upload")
    expect_signed_in(page)
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Upload tag sheet")).to_have_count(0)
    expect(page.get_by_label("Required area (m2)")).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)
    expect(page.get_by_role("button", name="Upload")).to_have_count(0)


def pick(page: Page, label: str, option: str, *, typed: str | None = None) -> None:
    """Choose an option of a select box (typing narrows long lists first)."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    if typed:
        box.fill(typed)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def test_stores_resolves_a_review_runs_the_allocation_and_downloads_a_pick_list(
    page: Page, console: Console, tmp_path: Path
):
    # The demo data uploaded the 16-line sample for the next working day; three of its descriptions
    # are not in the material master and wait for a review.
    sign_in(page, console, STORES)
    all_nav_links(page)
    open_page(page, "Mapping review", "mapping-review")
    expect(metric(page, "Descriptions waiting")).to_have_text("3")
    pick(page, "Review", "aluminum tape")
    expect(page.get_by_role("heading", name="Aluminum Tape")).to_be_visible()
    pick(page, "Canonical material", "TAPE-AL-75 (m)", typed="TAPE-AL-75")
    expect(page.get_by_role("radio", name="master row (all LPOs)")).to_be_checked()
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("aluminum tape → TAPE-AL-75: 1 line(s) mapped.")).to_be_visible()
    expect(metric(page, "Descriptions waiting")).to_have_text("2")
    expect(page.get_by_role("option", name="aluminum tape")).to_have_count(0)

    open_page(page, "Allocation", "allocation")
    page.get_by_role("button", name="Run allocation").click()
    result = page.get_by_text(re.compile(r"^Run \w+ on the snapshot of "))
    expect(result).to_be_visible()
    # 16 lines: the tape line mapped just now is allocated too; corner and misc hardware still wait.
    expect(result).to_contain_text("1 tag(s), 12 allocated, 2 partial, 0 unallocated, 2 skipped.")
    with page.expect_download(timeout=UI_TIMEOUT_MS) as downloaded:
        page.get_by_role("button", name="Pick list (.csv)").click()
    download = downloaded.value
    assert re.fullmatch(r"picklist_\d{8}\.csv", download.suggested_filename), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = saved.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("date,sap_code,description,sap_qty")
    by_sku = {row.split(",")[1]: row for row in rows[1:]}
    assert {"40001021", "40001022", "40002075", "40005020"} <= set(by_sku), rows
    tape = by_sku["40002075"]
    assert ",40002075,ALU FOIL TAPE 75MM X 50M T1,3,rol," in tape, "2 rolls, and 1 for the line mapped now"
    with page.expect_download(timeout=UI_TIMEOUT_MS) as pdf:
        page.get_by_role("button", name="Pick list (.pdf)").click()
    pdf_path = tmp_path / pdf.value.suggested_filename
    pdf.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
