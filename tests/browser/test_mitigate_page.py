"""The Mitigate page in a real browser: pick a capability, run the solve as a background
job, read the verified plan, the before/after comparison and the residual risk."""

from __future__ import annotations

import shutil

import pytest

from . import browserkit
from .browserkit import Watched, stop_server


@pytest.fixture(scope="module")
def mit_page(browser, tmp_path_factory):
    """A dashboard on the sample without controls.csv (the page plans supplier SPOFs,
    which vetoes do not change: this keeps it apart from the veto analyses)."""
    tmp = tmp_path_factory.mktemp("mitigate")
    sample = tmp / "allied-defence"
    shutil.copytree(browserkit.SAMPLE, sample, ignore=shutil.ignore_patterns("controls.csv"))
    real, browserkit.SAMPLE = browserkit.SAMPLE, sample
    try:
        srv = browserkit.start_server(tmp)
    finally:
        browserkit.SAMPLE = real
    # bypass_csp: wait_for_function evaluates with eval (see conftest.page)
    ctx = browser.new_context(viewport={"width": 1360, "height": 860}, bypass_csp=True)
    watched = Watched(ctx.new_page(), srv.url)
    watched.page.set_default_timeout(30_000)
    yield watched
    ctx.close()
    stop_server(srv.proc)


def test_plan_for_poland_f35(mit_page):
    page = mit_page
    page.goto("/mitigate")
    p = page.page
    box = p.locator("#mit-capabilities")
    box.click()
    p.keyboard.type("POL/F-35A")
    p.get_by_role("option").filter(has_text="POL/F-35A").first.click()
    p.keyboard.press("Escape")
    p.locator("#mit-run").click()
    p.wait_for_function("document.querySelector('#mit-summary').innerText"
                        ".includes('verified')", timeout=90_000)
    summary = p.locator("#mit-summary").inner_text()
    assert "optimal" in summary and "12 action(s), total cost 2,500" in summary
    p.locator("#mit-plan .ag-row").first.wait_for()
    assert p.locator("#mit-plan .ag-center-cols-container .ag-row").count() == 12
    compare = p.locator("#mit-compare .ag-center-cols-container .ag-row").first.inner_text()
    assert "F-35A" in compare and "12" in compare
    p.locator("#mit-residual .ag-row").first.wait_for()
    assert p.locator("#mit-status").inner_text().startswith("Done")
    assert not p.locator("#mit-run").is_disabled()
    assert p.locator("#mit-cancel").is_disabled()
    page.screenshot("mitigate")
    page.assert_clean()


def test_allocate_view_on_the_whatif_page(mit_page):
    from .test_pages import pick

    page = mit_page
    page.goto("/whatif")
    p = page.page
    pick(p, "#wi-load", "Rare-earth supply halved")
    p.locator("#wi-result-alert").wait_for()
    p.locator("#alloc-run").scroll_into_view_if_needed()
    p.locator("#alloc-run").click()
    p.wait_for_function("document.querySelector('#alloc-status').innerText"
                        ".includes('verified')", timeout=60_000)
    assert "proportional" in p.locator("#alloc-status").inner_text()
    p.locator("#alloc-capabilities .ag-row").first.wait_for()
    p.locator("#alloc-nations .ag-row").first.wait_for()
    page.screenshot("whatif-allocate")
    page.assert_clean()
