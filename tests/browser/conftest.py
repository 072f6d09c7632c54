"""Fixtures of the browser tests: a dashboard server in a subprocess and Debian's Chromium.

These tests never skip silently. When Chromium (``/usr/bin/chromium``, or
``$RISKGRAPH_CHROMIUM``) or Playwright is missing they fail with a message saying how to
install it; set ``RISKGRAPH_SKIP_BROWSER=1`` to skip them on purpose.

Each server runs ``python -m riskgraph_dashboard.server`` on a free loopback port in its
own process group, and is terminated (then killed, with any job process it started) when
the session ends.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .browserkit import CHROMIUM, CHROMIUM_ARGS, Watched, start_server, stop_server


def pytest_collection_modifyitems(config, items):
    if os.environ.get("RISKGRAPH_SKIP_BROWSER") == "1":
        skip = pytest.mark.skip(reason="RISKGRAPH_SKIP_BROWSER=1: browser tests skipped "
                                       "on purpose")
        for item in items:
            if "tests/browser" in item.nodeid.replace(os.sep, "/"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("dashboard"))
    yield srv
    stop_server(srv.proc)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's build with "
                    "'apt-get install -y chromium' (.ci/run does), point "
                    "RISKGRAPH_CHROMIUM at another binary, or set RISKGRAPH_SKIP_BROWSER=1 "
                    "to skip the browser tests on purpose.", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'", pytrace=False)
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as err:  # noqa: BLE001 - report any launch failure the same way
        pw.stop()
        pytest.fail(f"cannot start Chromium at {CHROMIUM}: {err}", pytrace=False)
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def page(browser, server):
    # bypass_csp: Playwright's wait_for_function evaluates its predicate with eval, which
    # the dashboard's CSP forbids; tests/browser/test_security.py checks the CSP itself
    ctx = browser.new_context(viewport={"width": 1360, "height": 860}, accept_downloads=True,
                              bypass_csp=True)
    watched = Watched(ctx.new_page(), server.url)
    watched.page.set_default_timeout(20_000)
    yield watched
    ctx.close()
