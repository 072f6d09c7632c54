"""Network: a focused part of the dependency graph, and a panel for the clicked node."""

from __future__ import annotations

import dash_cytoscape as cyto
import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..figures import KIND_COLOURS

PAGE = dict(path="/network", name="Network", order=1, title="riskgraph — network",
            description="The dependency graph around a capability or node.")

#: Most nodes drawn at once; the nearest to the focus are kept.
MAX_NODES = 250

#: Grid of the drawing (pixels at zoom 1): a column is wider than the widest label plus its
#: node, a row taller than the biggest node and a line of text, so no two labels overlap.
COLUMN_PX, ROW_PX, MARGIN_PX = 250, 36, 24
LABEL_PX = 13  # label font size; the drawing is never zoomed out (legible at >= 11 px)
NODE_PX = (12, 28)  # node size from blast radius 0 to the largest

#: Positions come from riskgraph.views.layered_layout; the view scrolls instead of shrinking.
GRAPH_LAYOUT = {"name": "preset", "fit": False, "animate": False, "padding": MARGIN_PX}

SHAPES = {"nation": "diamond", "supplier": "ellipse", "component": "round-rectangle",
          "capability": "star"}
#: Outline of a single point of failure: black on every node fill (contrast >= 5:1 on
#: the Okabe-Ito fills of KIND_COLOURS; the vermillion used before was 1.7:1 on orange).
SPOF_OUTLINE = "#000000"


def base_stylesheet(max_lost: int) -> list[dict]:
    """Cytoscape styles: colour and shape by kind, size by blast radius, SPOFs outlined."""
    lo, hi = NODE_PX
    styles = [
        {"selector": "node", "style": {
            "label": "data(label)", "font-size": LABEL_PX, "text-wrap": "ellipsis",
            "text-max-width": COLUMN_PX - hi - 22, "text-valign": "center",
            "text-halign": "right", "text-margin-x": 4,
            "width": f"mapData(lost, 0, {max(max_lost, 1)}, {lo}, {hi})",
            "height": f"mapData(lost, 0, {max(max_lost, 1)}, {lo}, {hi})",
            "border-width": 1, "border-color": "#555", "color": "#222"}},
        {"selector": "edge", "style": {
            "width": 1.2, "line-color": "#B8B8B8", "target-arrow-color": "#B8B8B8",
            "target-arrow-shape": "triangle", "arrow-scale": 0.7, "curve-style": "bezier"}},
        {"selector": "edge.substitute", "style": {"line-style": "dashed"}},
        {"selector": ".spof", "style": {"border-width": 4, "border-color": SPOF_OUTLINE}},
        {"selector": ".seed", "style": {"font-weight": "bold", "underlay-color": "#000",
                                         "underlay-opacity": 0.15, "underlay-padding": 5}},
    ]
    for kind, colour in KIND_COLOURS.items():
        styles.append({"selector": f".{kind}", "style": {"background-color": colour,
                                                          "shape": SHAPES[kind]}})
    return styles


def legend(kinds=None):
    """The legend: each kind drawn in its node's shape and colour, and the SPOF outline."""
    items = [html.Span([html.Span(className=f"rg-shape rg-shape-{SHAPES[k]}",
                                  style={"background": c}, **{"data-shape": SHAPES[k]}), k],
                       className="rg-legend-item", **{"data-kind": k})
             for k, c in KIND_COLOURS.items() if kinds is None or k in kinds]
    items.append(html.Span([html.Span(className="rg-shape rg-shape-ellipse rg-shape-spof",
                                      style={"borderColor": SPOF_OUTLINE}),
                            "single point of failure (black outline)"],
                           className="rg-legend-item"))
    return dmc.Text(items, size="xs", c="dimmed", mt=4, className="rg-legend")


def graph_box(graph_id, stylesheet, **kwargs):
    """A Cytoscape graph at zoom 1 inside a scrolling box (the callback sizes the graph)."""
    return html.Div(cyto.Cytoscape(
        id=graph_id, elements=[], stylesheet=stylesheet, layout=GRAPH_LAYOUT,
        style={"width": "100%", "height": "300px"}, zoom=1, minZoom=1, maxZoom=1,
        userZoomingEnabled=False, userPanningEnabled=False, boxSelectionEnabled=False,
        autoungrabify=True, **kwargs), className="rg-graph rg-graph-scroll",
        # focusable, so the scrolling box can be scrolled from the keyboard
        tabIndex=0, role="region", **{"aria-label": "dependency graph (scrolls)"})


def layout(focus=None, **_query):
    controls = dmc.Stack([
        dmc.Select(id=ids.NET_NATION, label="Fielding nation", searchable=True,
                   selectFirstOptionOnChange=True, clearable=True, data=[],
                   filter={"function": "everyWord"}, placeholder="any"),
        dmc.Select(id=ids.NET_PLATFORM, label="Platform", searchable=True, clearable=True,
                   selectFirstOptionOnChange=True,
                   data=[], filter={"function": "everyWord"}, placeholder="any"),
        dmc.Select(id=ids.NET_FOCUS, label="Or focus on one node", searchable=True,
                   selectFirstOptionOnChange=True,
                   clearable=True, data=[], limit=100, filter={"function": "everyWord"},
                   placeholder="supplier, component, nation…"),
        html.Div([
            dmc.Text("Depth (steps from the focus)", size="sm", fw=500),
            dmc.Slider(id=ids.NET_DEPTH, min=1, max=8, step=1, value=3,
                       thumbLabel="Depth (steps from the focus)",
                       marks=[{"value": v, "label": str(v)} for v in (1, 2, 4, 6, 8)],
                       mb="lg"),
        ]),
        dmc.SegmentedControl(id=ids.NET_DIRECTION, value="upstream", fullWidth=True,
                             data=[{"value": "upstream", "label": "Needs"},
                                   {"value": "downstream", "label": "Feeds"},
                                   {"value": "both", "label": "Both"}]),
        dmc.Text("Needs: what the focus depends on. Feeds: what depends on it.",
                 size="xs", c="dimmed"),
    ], gap="sm")
    return html.Div(id=ids.NET_PAGE, children=[
        dcc.Store(id=ids.NET_QUERY, data={"focus": focus if isinstance(focus, str) else None}),
        html.Div(id=ids.NET_MESSAGE),
        dmc.Grid([
            dmc.GridCol(controls, span={"base": 12, "md": 3}),
            dmc.GridCol([
                graph_box(ids.NET_GRAPH, base_stylesheet(1)),
                dmc.Group([
                    legend(),
                    dmc.Group([
                        dmc.Button("PNG", id=ids.NET_PNG, variant="light", size="xs",
                                   **{"aria-label": "download the graph as PNG"}),
                        dmc.Button("SVG", id=ids.NET_SVG, variant="light", size="xs",
                                   **{"aria-label": "download the graph as SVG"}),
                    ], gap="xs"),
                ], justify="space-between", align="flex-start"),
                dmc.Text(id=ids.NET_NOTE, size="sm", mt=4),
            ], span={"base": 12, "md": 6}),
            dmc.GridCol(html.Div(
                dmc.Text("Click a node to see what it needs and what depends on it.",
                         size="sm", c="dimmed"),
                id=ids.NET_PANEL, className="rg-panel"), span={"base": 12, "md": 3}),
        ], gutter="md"),
    ])
