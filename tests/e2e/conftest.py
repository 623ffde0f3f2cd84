"""Fixtures of the browser tests: one real console (``streamlit run console/app.py``) for the whole
browser suite, on a free port with a fresh data dir (so the demo data is loaded on its first start),
one headless Chromium, and a fresh browser context (cookies, tabs) per test. Screenshots of a failed
test's tabs land in the console's temporary data dir (the path is printed with the failure)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from engine.clock import TEST_CLOCK_VARIABLE
from tests.e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    START_TIMEOUT_S,
    UI_TIMEOUT_MS,
    VIEWPORT,
    Console,
    free_port,
    get,
    local_only,
    tail,
)


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The real console on a free local port with a fresh data dir; stopped after the browser suite."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium binary for the browser tests (looked for {CHROMIUM}): run `make chromium`")
    data_dir = tmp_path_factory.mktemp("opsledger-e2e")
    log_path = data_dir / "console.log"
    port = free_port()
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
                pytest.fail(f"the console exited with {process.returncode}:\n{tail(log_path)}")
            if get(f"{url}/_stcore/health") == "ok" and '"status":"ok"' in (get(f"{url}/api/health") or ""):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"no answer on {url} within {START_TIMEOUT_S}s; console log:\n{tail(log_path)}")
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


@pytest.fixture(scope="session")
def browser(console: Console) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, console: Console, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, tabs) for one test; screenshots of its tabs if the test failed."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(UI_TIMEOUT_MS)
    local_only(ctx)
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With ``pytest -n`` (``make test``), every browser test runs on one worker, so one console
    serves them all while the other workers run the rest of the suite."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("browser"))
