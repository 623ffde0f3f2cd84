"""The page walk: every role signs in and opens every page it has, in headless Chromium at 1,440 x 900.

For each page it records the first render time, saves a full-page screenshot to
``test-results/screenshots/<role>/<url path>.png`` (``SCREENSHOTS``; git-ignored) and fails on a page
that shows an error box for an unexpected fault or a traceback. The times go to
``test-results/render-times.json`` and are printed as a table at the end of the module.

How a first render is measured. Streamlit marks the app's root element (``data-testid="stApp"``) with
``data-test-script-state``: ``running`` while the page script runs on the server and ``notRunning``
once the browser has received the end of the run, i.e. every element the run sent (the same state
drives the "Running..." status widget in the toolbar). A MutationObserver added to the page before
it loads records each change of that attribute with its ``performance.now()`` time; the title must
also be on screen, so the elements before it have been rendered.
- A page opened from the sidebar: the clock starts when the link is clicked and stops at the first
  moment (checked every animation frame) at which the script is not running, the page's title
  heading is on screen (each page of the walk has its own title, so the previous page never counts)
  and nothing is still loading: Streamlit shows a grey placeholder (``stSkeleton``) while a table's
  or chart's code is fetched, and a plotly chart is drawn once its ``.main-svg`` exists. Without
  that the clock stopped seconds before a chart page was usable, and the chart's loading was
  charged to the next page.
- The sign-in page, in a fresh browser profile ("load") and reloaded with its cache ("reload"): the
  clock starts at the navigation itself (``performance.now()`` counts from the
  navigation's start, so the HTML, the JavaScript bundle, the websocket and the first script run are
  all inside it) and stops when the first run has finished with the sign-in heading on screen.
- Home after signing in: from the click on "Sign in" until the run that signed in (and the rerun it
  asks for) has finished with the Home heading on screen.
Each time is split where the time goes: until the run started (the request reached the server and
its run began), the run (the script on the server, with its elements sent and applied), and after
the run until the page was complete ("-" when the run started and ended within one frame, so the
attribute never changed).
The soft target is 1.5 s a page (misses are recorded and printed, not failed); a page slower than
the hard ceiling (15 s; ``OPSLEDGER_RENDER_CEILING_S`` to change it) fails the walk,
after the role's whole walk so that every screenshot is still taken.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from console.app import visible_pages
from engine.api import Actor, Role
from tests.e2e.browser import ACCOUNTS, SCREENSHOTS, UI_TIMEOUT_MS, VIEWPORT, Console

pytestmark = pytest.mark.browser

TARGET_S = 1.5  # the first-render target for every page
# Far above the target: only a page that is broken-slow fails the walk. On the 2-core machine shared
# with other test runs (load average 10-17), the first chart page of a fresh browser profile took up
# to 10.3 s, 6-8 s of it fetching and starting the chart code, while the same page took 1-2 s once
# the browser had it: 15 s fails a broken page, not a busy machine.
CEILING_S = float(os.environ.get("OPSLEDGER_RENDER_CEILING_S", "15"))
RESULTS = SCREENSHOTS.parent / "render-times.json"

# Records each change of the script state with its time (before any of the console's scripts load).
WATCH_RUNS = """
window.__runs = [];
new MutationObserver((changes) => {
  for (const change of changes) {
    if (change.attributeName === 'data-test-script-state') {
      window.__runs.push([performance.now(), change.target.getAttribute('data-test-script-state')]);
    }
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
"""
# Once the script is not running, ``title`` is shown (every page of the walk has its own title, so
# the previous page's heading never counts) and no table or chart is still loading: the time then,
# when the first run after ``since`` started and when the last one finished (a page may rerun
# itself). A quick run can start and finish within one frame of the page, so that the attribute
# never changes: its split is then unknown.
RENDERED = """([since, title]) => {
  const root = document.querySelector('[data-testid="stApp"]');
  if (!root || root.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const heading = [...document.querySelectorAll('h1')].some((h) => h.innerText.trim() === title);
  if (!heading) return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (main.querySelector('[data-testid="stSkeleton"]')) return false;  // a table or chart still loading
  const charts = [...main.querySelectorAll('[data-testid="stPlotlyChart"]')];
  if (charts.some((chart) => !chart.querySelector('.main-svg'))) return false;
  const runs = window.__runs.filter(([t]) => since === null || t >= since);
  const started = runs.find(([, state]) => state === 'running');
  const finished = runs.filter(([, state]) => state === 'notRunning').pop();
  const at = (entry) => (entry ? entry[0] : null);
  return {at: performance.now(), started: at(started), finished: at(finished)};
}"""


# How tall the page's content is (the main area and the sidebar scroll on their own).
CONTENT_HEIGHT = """() => Math.max(...['stMain', 'stSidebarContent'].map(
  (id) => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight ?? 0))"""
# What the page shows when a render never completes (for the failure message).
STATE = """() => ({
  state: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
  runs: window.__runs.slice(-8).map(([t, state]) => `${Math.round(t)}:${state}`).join(' '),
  headings: [...document.querySelectorAll('h1')].map((h) => h.innerText.trim()),
  now: Math.round(performance.now()),
})"""


@pytest.fixture(scope="module")
def timings(request: pytest.FixtureRequest) -> Iterator[list[dict[str, Any]]]:
    """The first render times of the whole walk: written to JSON and printed once it is done."""
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    yield rows
    # The machine's load beside the figures: on a shared 2-core machine it explains most outliers.
    load = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    if not rows:
        return
    misses = [row for row in rows if row["seconds"] > TARGET_S]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "target_s": TARGET_S,
                "ceiling_s": CEILING_S,
                "load_average_1min": load,
                "renders": rows,
                "over_target": misses,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = [
        f"first render at 1440x900 (target {TARGET_S} s; load average {load['before']} to {load['after']})"
    ]
    lines += [f"written to {RESULTS}"]
    lines += [f"{'role':<8} {'page':<18} {'how':<8} {'seconds':>7} {'to run':>7} {'run':>6} {'after':>6}"]
    for row in rows:
        flag = "  over target" if row["seconds"] > TARGET_S else ""
        until, run, after = (
            "-" if row[key] is None else f"{row[key]:.2f}" for key in ("until_run_s", "run_s", "after_run_s")
        )
        lines.append(
            f"{row['role']:<8} {row['page']:<18} {row['how']:<8} {row['seconds']:>7.2f} "
            f"{until:>7} {run:>6} {after:>6}{flag}"
        )
    lines.append(f"{len(misses)} of {len(rows)} renders over {TARGET_S} s")
    for line in lines:
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)


@dataclass(frozen=True)
class Render:
    """One first render, in ms of ``performance.now()``."""

    begun: float  # the click, or the navigation's start (0)
    started: float | None  # the page script's first run started (the server got the request)
    finished: float | None  # its last run finished
    shown: float  # ...and the title was on screen

    def row(self) -> dict[str, float | None]:
        split = self.started is not None and self.finished is not None and self.finished >= self.started

        def seconds(start: float | None, end: float | None) -> float | None:
            return round((end - start) / 1000, 3) if split and start is not None and end is not None else None

        return {
            "seconds": round((self.shown - self.begun) / 1000, 3),
            "until_run_s": seconds(self.begun, self.started),
            "run_s": seconds(self.started, self.finished),
            "after_run_s": seconds(self.finished, self.shown),
        }


def rendered(page: Page, title: str, *, since: float | None) -> Render:
    """The render of ``title`` by the first run started after ``since`` (None: since the page loaded)."""
    try:
        handle = page.wait_for_function(RENDERED, arg=[since, title], polling="raf", timeout=UI_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        state = page.evaluate(STATE)
        pytest.fail(f"{title} not rendered within {UI_TIMEOUT_MS} ms of {since}: {state}")
    got = handle.json_value()
    started, finished = got["started"], got["finished"]
    return Render(
        since or 0.0,
        None if started is None else float(started),
        None if finished is None else float(finished),
        float(got["at"]),
    )


def expect_no_fault(page: Page, what: str) -> None:
    main = page.get_by_test_id("stMain")
    assert main.get_by_test_id("stException").count() == 0, f"{what} shows an exception"
    text = main.inner_text()
    assert "Traceback" not in text, f"{what} shows a traceback"
    assert "Something went wrong on this page" not in text, f"{what} hit an unexpected error"


def shoot(page: Page, role: str, name: str) -> None:
    """The whole page at 1,440 px wide. Streamlit scrolls its main area inside the window, so a
    full-page screenshot would stop at 900 px: the window is made as tall as the page for the shot."""
    path = SCREENSHOTS / role / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    height = int(page.evaluate(CONTENT_HEIGHT))
    if height > VIEWPORT["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.wait_for_timeout(300)  # one layout pass for the taller window (no rerun: nothing is sent)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


@pytest.mark.parametrize("role", list(Role))
def test_walk_every_page_of_the_role(
    context: BrowserContext, console: Console, timings: list[dict[str, Any]], role: Role
) -> None:
    context.add_init_script(WATCH_RUNS)
    page = context.new_page()

    slow: list[str] = []

    def record(name: str, url_path: str, how: str, render: Render) -> None:
        row = {"role": role.value, "page": name, "url_path": url_path, "how": how, **render.row()}
        timings.append(row)
        if row["seconds"] > CEILING_S:
            slow.append(f"{name} ({how}) took {row['seconds']} s")

    # The sign-in page, cold: a fresh browser profile opening the console.
    page.goto(console.url + "/")
    record("Sign in", "signin", "load", rendered(page, "Sign in to OpsLedger", since=None))
    shoot(page, role.value, "signin")
    # ...and again with the browser's cache (Streamlit's scripts are cached as immutable): a returning user.
    page.reload()
    record("Sign in", "signin", "reload", rendered(page, "Sign in to OpsLedger", since=None))

    email, password = ACCOUNTS[role.value]
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    started = page.evaluate("performance.now()")
    page.get_by_role("button", name="Sign in", exact=True).click()
    record("Home", "home", "sign-in", rendered(page, "Home", since=started))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    pages = [
        row for rows in visible_pages(Actor(email=email, roles=frozenset({role}))).values() for row in rows
    ]
    nav = page.get_by_role("navigation", name="App pages")
    expect(nav.get_by_role("link")).to_have_count(len(pages))
    # Every page but Home, then Home again from the sidebar.
    for _, title, _, _, url_path in [*pages[1:], pages[0]]:
        link = nav.get_by_role("link", name=title, exact=True)
        expect(link).to_be_visible()  # in the sidebar without unfolding anything
        started = page.evaluate("performance.now()")
        link.click()
        record(title, url_path, "sidebar", rendered(page, title, since=started))
        expect_no_fault(page, f"{title} as {role}")
        shoot(page, role.value, url_path)
    assert not slow, f"first render over the ceiling of {CEILING_S} s as {role}: {'; '.join(slow)}"
