"""Accessibility: axe-core finds no serious or critical violation on any page.

axe-core is vendored as a test asset (``tests/browser/assets/axe.min.js``, MPL-2.0, see
the NOTICE beside it) and injected into each page, so the check needs no network. Pages
are found from the navigation, so a page added later is checked too. Each page is checked
once filled by its callbacks, and again after the main interaction a planner makes there
(a capability picked, a node clicked), since the failures found by hand were in content
that only appears then.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from .browserkit import Watched
from .test_network_why import wait_js

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
    watched.page.set_default_timeout(60_000)  # seven pages on a shared, busy machine
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
    page.page.locator("#nav a[href]").first.wait_for(state="attached")
    hrefs = page.page.eval_on_selector_all("#nav a[href]", "els => els.map(e => "
                                           "new URL(e.href).pathname)")
    assert set(READY) <= set(hrefs), hrefs
    return hrefs


def settle(p) -> None:
    """Let late content finish drawing: AG Grid fills its header rows a moment after the
    grid appears (axe would see an empty header row). Up to 5 s; content that never
    settles is checked as it is."""
    filled = ("() => Array.from(document.querySelectorAll('.ag-header-row-column'))"
              ".every(r => r.querySelector('[role=columnheader]'))")
    p.wait_for_timeout(500)
    try:
        for _ in range(2):  # twice, 700 ms apart: grids redrawn by a late callback too
            wait_js(p, filled, timeout_s=5)
            p.wait_for_timeout(700)
        wait_js(p, filled, timeout_s=5)
    except AssertionError:
        pass


def check(page, label: str) -> list[str]:
    return [f"{label}: {line}" for line in violations(page.page)]


def test_no_serious_or_critical_violations_on_any_page(axe_page):
    page, found = axe_page, []
    for path in page_paths(page):
        page.goto(path)
        if path in READY:
            page.page.locator(READY[path]).first.wait_for()
        settle(page.page)
        lines = check(page, path)
        if lines:  # a state caught mid-redraw passes; a violation that stays fails
            page.page.wait_for_timeout(2000)
            lines = check(page, path)
        found += lines
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


def boxes(p, selectors: list[str]) -> dict:
    return {s: p.locator(s).first.bounding_box() for s in selectors}


def overlap(a, b) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def nav_shown(p) -> bool:
    """Whether the navigation is on screen (Mantine slides a closed one out to the left)."""
    return p.evaluate("(() => { const r = document.querySelector('#nav-network')"
                      ".getBoundingClientRect(); return r.right > 0 && r.width > 0; })()")


def test_narrow_window_navigation_folds_behind_a_toggle(browser, server):
    """At 700 px the navigation is closed with a 'Pages' toggle (aria-expanded) that
    opens it; following a link closes it again and the page is usable."""
    ctx = browser.new_context(viewport={"width": 700, "height": 900})
    page = Watched(ctx.new_page(), server.url)
    try:
        page.goto("/")
        p = page.page
        p.locator("#ov-headlines .rg-stat").first.wait_for()
        toggle = p.locator("#nav-toggle")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not nav_shown(p)
        # the page's own controls are reachable: nothing covers the capability picker
        cap = p.locator("#ov-capability").bounding_box()
        assert cap["x"] >= 0 and cap["x"] + cap["width"] <= 700
        assert p.evaluate("(() => { const r = document.querySelector('#ov-capability')"
                          ".getBoundingClientRect(); const e = document.elementFromPoint("
                          "r.x + 10, r.y + r.height / 2); return e && e.closest("
                          "'#ov-capability, .mantine-Select-root') !== null; })()")
        toggle.click()
        wait_js(p, "document.querySelector('#nav-network')"
                            ".getBoundingClientRect().right > 0")
        assert toggle.get_attribute("aria-expanded") == "true"
        p.locator("#nav-network").click()
        p.locator("#net-graph").wait_for()
        wait_js(p, "document.querySelector('#nav-toggle')"
                            ".getAttribute('aria-expanded') === 'false'")
        p.wait_for_timeout(400)  # the slide-out transition
        assert not nav_shown(p)
        page.screenshot("narrow-700")
        page.assert_clean()
    finally:
        ctx.close()


def test_no_overlapping_controls_at_1024(browser, server):
    """At 1024×768 no two controls of a page overlap (the kind filter used to cover the
    what-if outage input on Overview)."""
    ctx = browser.new_context(viewport={"width": 1024, "height": 768})
    page = Watched(ctx.new_page(), server.url)
    try:
        found = []
        for path, ready in READY.items():
            page.goto(path)
            page.page.locator(ready).first.wait_for()
            page.page.wait_for_timeout(300)
            # Each control counted once, by its outermost element (a labelled input's
            # wrapper, a segmented control, a switch, a button outside those).
            controls = page.page.evaluate("""() => {
                const sel = 'main .mantine-InputWrapper-root, main .mantine-SegmentedControl-root,'
                    + ' main .mantine-Switch-root, main .mantine-Slider-root, main button';
                const all = Array.from(document.querySelectorAll(sel))
                    .filter(e => !e.closest('.ag-root-wrapper, .js-plotly-plot'));
                return all.filter(e => !all.some(o => o !== e && o.contains(e)))
                    .map(e => { const r = e.getBoundingClientRect();
                        return {id: e.id || e.querySelector('[id]')?.id
                                    || e.className.toString().slice(0, 40),
                                x: r.x, y: r.y, width: r.width, height: r.height}; })
                    .filter(b => b.width > 0 && b.height > 0); }""")
            for a, b in itertools.combinations(controls, 2):
                if overlap(a, b):
                    found.append(f"{path}: {a['id']} overlaps {b['id']}")
            assert page.page.evaluate("document.documentElement.scrollWidth") <= 1024, path
        assert not found, "\n".join(found)
        page.assert_clean()
    finally:
        ctx.close()


def test_a_grid_is_one_tab_stop(axe_page):
    """Tab from a grid cell leaves the grid (arrow keys move between cells), instead of
    walking through every cell."""
    page, p = axe_page, axe_page.page
    page.goto("/")
    cell = p.locator("#ov-top-risks .ag-center-cols-container .ag-row").first \
        .locator('[col-id="name"]')
    cell.wait_for()
    cell.focus()
    p.keyboard.press("ArrowDown")  # arrows still move inside the grid
    assert p.evaluate("!!document.activeElement.closest('#ov-top-risks')")
    p.keyboard.press("Tab")
    assert not p.evaluate("!!document.activeElement.closest('#ov-top-risks')")


def test_charts_on_overview_and_nations_have_text_alternatives(axe_page):
    page, p = axe_page, axe_page.page
    for path, graphs in (("/", 1), ("/nations", 3)):
        page.goto(path)
        p.locator(".js-plotly-plot").first.wait_for()
        named = p.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
            .map(g => g.closest('[role=figure][aria-label]'))
            .map(f => f ? f.getAttribute('aria-label') : '')""")
        assert len(named) == graphs and all(len(n) > 30 for n in named), (path, named)
