"""Accessibility: axe-core finds no serious or critical violation on any page.

axe-core is vendored as a test asset (``tests/browser/assets/axe.min.js``, MPL-2.0, see
the NOTICE beside it) and injected into each page, so the check needs no network. Pages
are found from the navigation, so a page added later is checked too. Each page is checked
once filled by its callbacks, and again after the main interaction a planner makes there
(a capability picked, a node clicked), since the failures found by hand were in content
that only appears then.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .browserkit import Watched

AXE = Path(__file__).parent / "assets" / "axe.min.js"
#: The impacts that fail the test (axe's scale: minor, moderate, serious, critical).
FAILING = ("serious", "critical")
#: Path -> a selector that shows the page has been filled by its callbacks.
READY = {
    "/": "#ov-headlines .rg-stat",
    "/network": "#net-graph canvas",
    "/register": "#reg-grid .ag-row",
    "/nations": "#nat-heatmap .heatmaplayer",
    "/whatif": "#wi-load",
    "/montecarlo": "#mc-run",
    "/data": "#data-current b",
}


@pytest.fixture
def axe_page(browser, server):
    # bypass_csp: the dashboard's Content-Security-Policy (rightly) refuses the injected
    # axe script; the pages themselves are unchanged.
    ctx = browser.new_context(viewport={"width": 1360, "height": 860}, bypass_csp=True)
    watched = Watched(ctx.new_page(), server.url)
    watched.page.set_default_timeout(20_000)
    yield watched
    ctx.close()


def violations(page) -> list[str]:
    """axe's serious and critical violations on the page, one readable line per node."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""")
    return [f"[{v['impact']}] {v['id']} ({v['help']}): {node}"
            for v in found if v["impact"] in FAILING for node in v["nodes"]]


def page_paths(page) -> list[str]:
    page.goto("/")
    hrefs = page.page.eval_on_selector_all("#nav a[href]", "els => els.map(e => "
                                           "new URL(e.href).pathname)")
    assert set(READY) <= set(hrefs), hrefs
    return hrefs


def check(page, label: str) -> list[str]:
    return [f"{label}: {line}" for line in violations(page.page)]


def test_no_serious_or_critical_violations_on_any_page(axe_page):
    page, found = axe_page, []
    for path in page_paths(page):
        page.goto(path)
        if path in READY:
            page.page.locator(READY[path]).first.wait_for()
        page.page.wait_for_timeout(500)
        found += check(page, path)
    assert not found, f"{len(found)} serious/critical axe violations:\n" + "\n".join(found)


def test_no_violations_in_content_shown_after_interaction(axe_page):
    from .test_pages import pick

    page, p, found = axe_page, axe_page.page, []
    page.goto("/")
    pick(p, "#ov-capability", "Poland F-35")
    p.locator("#ov-spof-grid .ag-center-cols-container .ag-row").first.click()
    p.locator("#ov-answer-alert").wait_for()
    found += check(page, "/ with an answer")
    page.goto("/network")
    p.locator("#net-graph canvas").first.wait_for()
    p.wait_for_timeout(800)
    found += check(page, "/network drawn")
    assert not found, f"{len(found)} serious/critical axe violations:\n" + "\n".join(found)
