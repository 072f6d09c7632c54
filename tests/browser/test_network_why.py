"""The Network page readable at its default depth, and the "why" view (issue 12, part B).

Geometry is read from Cytoscape itself (each node's rendered label box and style), so
the tests measure what a planner sees: label size, overlaps, outline contrast, and
legend shapes against node shapes.
"""

from __future__ import annotations

import itertools

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
    p.wait_for_function(f"() => {{ const el = document.querySelector('#{graph_id}');"
                        f" return el && el._cyreg && el._cyreg.cy.nodes().length >= {minimum}; }}")
    p.wait_for_timeout(400)


def test_network_at_default_depth_is_readable(page):
    """Poland / F-35A at the default depth: labels >= 11 px, none overlapping, SPOFs
    outlined at >= 3:1 against their fill, legend shapes those of the nodes."""
    page.goto("/network")
    p = page.page
    pick(p, "#net-nation", "Poland")
    pick(p, "#net-platform", "F-35A")
    p.wait_for_function("document.querySelector('#net-note').innerText.includes('POL F-35A')")
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
