"""The dashboard's browser-side promises (SECURITY.md): its Content Security Policy holds
(no violation on any page, no request off this machine), and names made of HTML or script
show as text everywhere: tables, pickers, network labels, figures and their hover text.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from . import browserkit
from .browserkit import PAGES, Watched, start_server, stop_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hostile import EVIL_HREF, HOSTILE, hostile_package  # noqa: E402

#: Recorded in the page before any script of the app runs.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':'
    + (e.lineNumber || '')));
"""


def _walk(watched: Watched) -> list[str]:
    """Visit every page; the CSP violations seen on each."""
    found = []
    for path, ready in PAGES.items():
        watched.goto(path)
        watched.page.locator(ready).first.wait_for()
        watched.page.wait_for_timeout(300)
        found += [f"{path}: {v}" for v in watched.page.evaluate("window.__csp")]
    return found


def _assert_clean(watched: Watched) -> None:
    """No console error, no failed request, nothing off-site; a request cut short by the
    next navigation (ERR_ABORTED: this walk moves on as soon as a page shows) is not a
    failure (a request the CSP blocks is a violation, caught apart)."""
    watched.errors = [e for e in watched.errors
                      if not (e.startswith("request failed") and "ERR_ABORTED" in e)]
    watched.assert_clean()


def test_no_page_breaks_the_content_security_policy(browser, server):
    ctx = browser.new_context(viewport={"width": 1360, "height": 860})
    ctx.add_init_script(WATCH_CSP)
    watched = Watched(ctx.new_page(), server.url)
    watched.page.set_default_timeout(20_000)
    try:
        headers = watched.page.goto(server.url + "/").headers
        csp = headers["content-security-policy"]
        assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        violations = _walk(watched)
        assert not violations, "\n".join(violations)
        _assert_clean(watched)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, monkeypatch_module):
    tmp = tmp_path_factory.mktemp("hostile")
    package = hostile_package(tmp / "hostile-names")
    monkeypatch_module.setattr(browserkit, "SAMPLE", package)
    srv = start_server(tmp)
    yield srv
    stop_server(srv.proc)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _assert_inert(page) -> None:
    """No markup from a name became an element, and no script of it ran."""
    assert page.evaluate("window.__pwned === undefined"), "a name's script ran"
    assert page.locator(f'a[href="{EVIL_HREF}"]').count() == 0
    assert page.locator('span[style*="font-size:80px"]').count() == 0
    assert page.locator("img[src=x]").count() == 0


def test_html_in_names_shows_as_text_everywhere(browser, hostile_server):
    ctx = browser.new_context(viewport={"width": 1360, "height": 860})
    ctx.add_init_script(WATCH_CSP)
    watched = Watched(ctx.new_page(), hostile_server.url)
    page = watched.page
    page.set_default_timeout(30_000)
    try:
        for path, ready in PAGES.items():
            watched.goto(path)
            page.locator(ready).first.wait_for()
            page.wait_for_timeout(300)
            _assert_inert(page)
        # the register's table shows a name literally
        watched.goto("/register")
        page.locator("#reg-grid .ag-row").first.wait_for()
        assert page.get_by_text("clickme</a>", exact=False).count() > 0
        # the overview map's hover: plotly draws the hover label of a marker as text
        watched.goto("/")
        page.locator("#ov-map .scattergeo .point").first.wait_for()
        hovers = page.evaluate(
            "() => { const g = document.querySelector('#ov-map .js-plotly-plot');"
            " return g._fullData.flatMap(t => Array.from(t.hovertext || [])); }")
        assert any("&lt;a href" in h for h in hovers)
        assert not any("<a href" in h for h in hovers)
        point = page.locator("#ov-map .scattergeo .point").first
        point.hover(force=True)
        page.wait_for_timeout(500)
        _assert_inert(page)
        # figures' labels on the nations page (nation and capability names), as drawn
        watched.goto("/nations")
        page.locator("#nat-heatmap .heatmaplayer").first.wait_for()
        page.wait_for_timeout(500)
        texts = page.evaluate("() => Array.from(document.querySelectorAll("
                              "'.js-plotly-plot svg text'), t => t.textContent)")
        assert any(h in t for t in texts for h in HOSTILE), texts[:20]
        _assert_inert(page)
        assert not page.evaluate("window.__csp")
        _assert_clean(watched)
    finally:
        ctx.close()
