"""The Network page readable at its default depth, and the "why" view (issue 12, part B).

Geometry is read from Cytoscape itself (each node's rendered label box and style), so
the tests measure what a planner sees: label size, overlaps, outline contrast, and
legend shapes against node shapes.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from .test_pages import pick

CY = "document.querySelector('#{id}')._cyreg.cy"


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS colours given as rgb(r,g,b) or #rrggbb."""
    def lum(c):
        c = c.strip()
        if c.startswith("#"):
            rgb = [int(c[i:i + 2], 16) for i in (1, 3, 5)]
        else:
            rgb = [int(float(x)) for x in c[c.index("(") + 1:c.index(")")].split(",")[:3]]
        lin = [(v / 255) / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4
               for v in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def wait_js(p, expression: str, timeout_s: float = 20.0):
    """Poll a JavaScript expression (or function) until it is truthy.

    Playwright's wait_for_function compiles its predicate with eval, which the dashboard's
    Content-Security-Policy (no 'unsafe-eval') rightly refuses; page.evaluate is not
    subject to it. An expression that throws (an element not there yet) counts as false.
    """
    import time

    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = p.evaluate(expression)
        except Error:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        p.wait_for_timeout(100)


def drawn_nodes(p, graph_id: str) -> list[dict]:
    """Every node as drawn: id, classes, shape, colours, rendered font size, label box."""
    return p.evaluate(f"""() => {{ const cy = {CY.format(id=graph_id)};
        return cy.nodes().map(n => {{
            const b = n.renderedBoundingBox({{includeNodes: false, includeEdges: false,
                                               includeLabels: true}});
            return {{id: n.id(), classes: n.classes(), shape: n.style('shape'),
                     kind: n.data('kind'), label: n.data('label'),
                     fill: n.style('background-color'), border: n.style('border-color'),
                     font: parseFloat(n.renderedStyle('font-size')),
                     box: [b.x1, b.y1, b.x2, b.y2]}}; }}); }}""")


def overlaps(nodes: list[dict]) -> list[tuple[str, str]]:
    out = []
    for a, b in itertools.combinations([n for n in nodes if n["label"]], 2):
        (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = a["box"], b["box"]
        if ax1 < bx2 and bx1 < ax2 and ay1 < by2 and by1 < ay2:
            out.append((a["id"], b["id"]))
    return out


def wait_drawn(p, graph_id: str, minimum: int = 2):
    wait_js(p, f"() => {{ const el = document.querySelector('#{graph_id}');"
                        f" return el && el._cyreg && el._cyreg.cy.nodes().length >= {minimum}; }}")
    p.wait_for_timeout(400)


def test_network_at_default_depth_is_readable(page):
    """Poland / F-35A at the default depth: labels >= 11 px, none overlapping, SPOFs
    outlined at >= 3:1 against their fill, legend shapes those of the nodes."""
    page.goto("/network")
    p = page.page
    pick(p, "#net-nation", "Poland")
    pick(p, "#net-platform", "F-35A")
    wait_js(p, "document.querySelector('#net-note').innerText.includes('POL F-35A')")
    wait_drawn(p, "net-graph", 20)
    nodes = drawn_nodes(p, "net-graph")
    assert len(nodes) >= 40  # the 55-node view that used to be unreadable
    small = [(n["id"], n["font"]) for n in nodes if n["font"] < 11]
    assert not small, f"labels under 11 px: {small[:5]}"
    clash = overlaps(nodes)
    assert not clash, f"{len(clash)} overlapping labels, e.g. {clash[:3]}"
    spofs = [n for n in nodes if "spof" in n["classes"]]
    assert spofs
    weak = [(n["id"], round(contrast(n["border"], n["fill"]), 2)) for n in spofs
            if contrast(n["border"], n["fill"]) < 3]
    assert not weak, f"SPOF outlines under 3:1: {weak[:5]}"
    legend = dict(p.eval_on_selector_all(
        ".rg-legend [data-kind]", "els => els.map(e => [e.dataset.kind, "
        "e.querySelector('[data-shape]').dataset.shape])"))
    shapes = {n["kind"]: n["shape"] for n in nodes}
    assert shapes and all(legend[k] == s for k, s in shapes.items()), (legend, shapes)
    page.screenshot("network")
    page.assert_clean()


TIER_ORDER = ["nation", "supplier", "material", "part", "system", "platform", "capability"]


def test_why_view_draws_chains_in_tier_columns(page):
    """Why: Poland's F-35A and China: chains drawn nation → … → capability left to right,
    alternatives in labelled OR boxes, at most about 60 legible nodes, chains in words."""
    page.goto("/why?capability=capability:POL/F-35A&point=nation:CHN")
    p = page.page
    wait_drawn(p, "why-graph", 10)
    nodes = p.evaluate("""() => {
        const cy = document.querySelector('#why-graph')._cyreg.cy;
        return cy.nodes().map(n => ({id: n.id(), kind: n.data('kind'),
                                      label: n.data('label'), x: n.position('x'),
                                      font: parseFloat(n.renderedStyle('font-size')),
                                      box: (b => [b.x1, b.y1, b.x2, b.y2])(
                                          n.renderedBoundingBox({includeNodes: false,
                                              includeEdges: false, includeLabels: true}))}));
    }""")
    assert 10 <= len(nodes) <= 62
    assert not [n for n in nodes if n["font"] < 11]
    assert not overlaps(nodes)
    x = {n["id"]: n["x"] for n in nodes}
    assert x["nation:CHN"] == min(x.values())
    assert x["capability:POL/F-35A"] == max(x.values())
    assert x["nation:CHN"] < x["supplier:CHENGDU_GALAXY"] < x["component:SAMARIUM"] \
        < x["component:SMCO_MAGNET"] < x["component:F-35A"] < x["capability:POL/F-35A"]
    boxes = [n for n in nodes if n["kind"] == "or"]
    assert boxes and all(b["label"].startswith("OR · needs ") for b in boxes)
    note = p.locator("#why-note").inner_text()
    assert "China reaches Poland" in note and "single point of failure" in note
    lines = p.locator("#why-chains li").all_inner_texts()
    assert lines[0].startswith("F-35A Lightning II ← ") and lines[0].endswith(" ← China")
    assert any("sourcing confidence" in line for line in lines)
    page.screenshot("why")
    page.assert_clean()


def test_why_opens_from_a_spof_clicked_on_overview(page):
    """Click a SPOF on Overview, then 'why' in the answer: the chains of that point."""
    page.goto("/")
    p = page.page
    pick(p, "#ov-capability", "Poland F-35")
    row = p.locator("#ov-spof-grid .ag-center-cols-container .ag-row").first
    row.wait_for()
    name = row.locator('[col-id="name"]').inner_text()
    row.click()
    p.locator("#ov-answer-alert").wait_for()
    p.get_by_text("Why: the dependency chains").click()
    wait_js(p, "document.querySelector('#why-note') && "
                        "document.querySelector('#why-note').innerText.includes('reaches')")
    assert p.locator("#why-note").inner_text().startswith(name)
    assert "/why?" in p.url and "capability%3APOL%2FF-35A" in p.url
    page.assert_clean()


def test_top_risk_rows_and_map_points_open_the_point(page):
    """Overview: a clicked top-risk row opens that point on Network (focused, its panel
    open); so does a clicked supplier site on the map."""
    page.goto("/")
    p = page.page
    row = p.locator("#ov-top-risks .ag-center-cols-container .ag-row").first
    row.wait_for()
    name = row.locator('[col-id="name"]').inner_text()
    row.locator('[col-id="name"]').click()
    p.locator("#net-panel-body").wait_for()
    assert "/network?focus=" in p.url
    assert p.locator("#net-panel-body h4").inner_text() == name
    wait_drawn(p, "net-graph", 2)

    page.goto("/")
    p.locator("#ov-map .js-plotly-plot .scattergeo").first.wait_for(state="attached")
    site = p.evaluate("""() => { const gd = document.querySelector('#ov-map .js-plotly-plot');
        const tr = gd.data.find(t => t.customdata && t.customdata.length);
        const pt = {customdata: tr.customdata[0], curveNumber: 0, pointNumber: 0};
        gd.emit('plotly_click', {points: [pt], event: {}});
        return tr.customdata[0]; }""")
    p.locator("#net-panel-body").wait_for()
    assert "/network?focus=" in p.url and site.split(":", 1)[1] in p.url
    page.assert_clean()


def test_downloads_arrive_from_the_pages(page):
    """A planner's downloads in the browser: the SPOF list as a spreadsheet CSV (with a
    byte-order mark), and the network drawing as PNG and SVG."""
    page.goto("/")
    p = page.page
    pick(p, "#ov-capability", "Poland F-35")
    wait_js(p, "(e => e && e.innerText.includes('single point'))("
               "document.querySelector('#ov-spof-count'))")
    with p.expect_download() as got:
        p.locator("#ov-spof-csv").click()
    raw = Path(got.value.path()).read_bytes()
    assert got.value.suggested_filename == "riskgraph-spofs-POL-F-35A.csv"
    assert raw.startswith("\ufeff".encode()) and "chain" in raw.decode("utf-8-sig")[:400]
    page.goto("/network")
    wait_drawn(p, "net-graph", 5)
    for button, magic in (("#net-png", (b"\x89PNG",)), ("#net-svg", (b"<svg", b"<?xml"))):
        with p.expect_download() as got:
            p.locator(button).click()
        assert Path(got.value.path()).read_bytes().lstrip().startswith(magic), button
    page.assert_clean()


def test_a_spof_in_the_network_panel_links_to_why(page):
    """Network: a failure point's panel lists the capabilities it alone stops, each with
    a 'why' link to its chains."""
    page.goto("/network?focus=nation:CHN")
    p = page.page
    p.locator("#net-panel-body").wait_for()
    link = p.locator("#net-panel-body a", has_text="why").first
    link.click()
    wait_js(p, "(e => e && e.innerText.includes('reaches'))(document.querySelector('#why-note'))")
    assert "point=nation%3ACHN" in p.url
    assert p.locator("#why-note").inner_text().startswith("China reaches ")
    page.assert_clean()
