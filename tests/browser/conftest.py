"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, one JupyterLab per session.

The tests skip, saying why, where no Chromium is installed (``tools/install_browser.sh``
installs Debian's ``chromium``; ``CHROMIUM=/path/to/chrome`` points at another build).
Playwright's own browser downloads are never used. Screenshots and server logs are kept
in ``test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # browser_servers.py, browser_pages.py
from browser_servers import ARTIFACTS, start_lab  # noqa: E402

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# A quiet, offline, unprivileged headless Chromium: no GPU, no QUIC, no first-run pages,
# no background traffic (updates, sync, component downloads); no sandbox because CI
# containers run as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1600, "height": 1000}


def find_chromium() -> str | None:
    """The Chromium to drive: $CHROMIUM, Debian's /usr/bin/chromium, or one on PATH."""
    candidates = [os.environ.get("CHROMIUM", ""), *CHROMIUM_CANDIDATES,
                  shutil.which("chromium") or "", shutil.which("chromium-browser") or ""]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium found (looked at $CHROMIUM, /usr/bin/chromium, PATH): run "
                    "tools/install_browser.sh (Debian: apt-get install chromium) to run the browser tests")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is missing: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS,
                                              timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def lab_server(browser, tmp_path_factory):
    """One JupyterLab for the whole session, serving the repository (stopped at the end)."""
    server = start_lab(tmp_path_factory.mktemp("jupyterlab-home"))
    try:
        yield server
    finally:
        server.stop(shutdown_path="api/shutdown")


@pytest.fixture
def artifacts(request) -> Path:
    """This test's folder for screenshots: test-artifacts/browser/<test name>/."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    directory = ARTIFACTS / name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


@pytest.fixture
def page(browser, artifacts):
    """A fresh browser context and page; the final page is saved as a screenshot, pass or fail."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    messages = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: messages.append(f"page error: {error}"))
    try:
        yield page
    finally:
        try:
            page.screenshot(path=str(artifacts / "final-page.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a crashed page still gets closed below
            pass
        (artifacts / "console.log").write_text("\n".join(messages))
        context.close()
