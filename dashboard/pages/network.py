"""Network: a focused part of the dependency graph, and a panel for the clicked node."""

from __future__ import annotations

import dash_cytoscape as cyto
import dash_mantine_components as dmc
from dash import html

from .. import ids
from ..figures import KIND_COLOURS, OKABE_ITO

PAGE = dict(path="/network", name="Network", order=1, title="riskgraph — network",
            description="The dependency graph around a capability or node.")

#: Most nodes drawn at once; the nearest to the focus are kept.
MAX_NODES = 250

#: Left to right in the direction material flows (dagre, from the bundled extra layouts).
GRAPH_LAYOUT = {"name": "dagre", "rankDir": "LR", "rankSep": 70, "nodeSep": 6,
                "edgeSep": 4, "animate": False, "fit": True, "padding": 15}

SHAPES = {"nation": "diamond", "supplier": "ellipse", "component": "round-rectangle",
          "capability": "star"}


def base_stylesheet(max_lost: int) -> list[dict]:
    """Cytoscape styles: colour and shape by kind, size by blast radius, SPOFs outlined."""
    styles = [
        {"selector": "node", "style": {
            "label": "data(label)", "font-size": 9, "text-wrap": "ellipsis",
            "text-max-width": 110, "text-valign": "bottom", "text-margin-y": 3,
            "width": f"mapData(lost, 0, {max(max_lost, 1)}, 14, 46)",
            "height": f"mapData(lost, 0, {max(max_lost, 1)}, 14, 46)",
            "border-width": 1, "border-color": "#555", "color": "#222"}},
        {"selector": "edge", "style": {
            "width": 1.2, "line-color": "#B8B8B8", "target-arrow-color": "#B8B8B8",
            "target-arrow-shape": "triangle", "arrow-scale": 0.7, "curve-style": "bezier"}},
        {"selector": "edge.substitute", "style": {"line-style": "dashed"}},
        {"selector": ".spof", "style": {"border-width": 4,
                                         "border-color": OKABE_ITO["vermillion"]}},
        {"selector": ".seed", "style": {"border-width": 5, "border-color": "#000",
                                         "font-weight": "bold", "font-size": 11}},
    ]
    for kind, colour in KIND_COLOURS.items():
        styles.append({"selector": f".{kind}", "style": {"background-color": colour,
                                                          "shape": SHAPES[kind]}})
    return styles


def _legend():
    items = [html.Span([html.Span(className="rg-legend-swatch",
                                  style={"background": c}), k], style={"marginRight": 10})
             for k, c in KIND_COLOURS.items()]
    items.append(html.Span([html.Span(className="rg-legend-swatch",
                                      style={"border": f"3px solid {OKABE_ITO['vermillion']}"}),
                            "single point of failure"]))
    return dmc.Text(items, size="xs", c="dimmed", mt=4)


def layout(**_query):
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
        html.Div(id=ids.NET_MESSAGE),
        dmc.Grid([
            dmc.GridCol(controls, span={"base": 12, "md": 3}),
            dmc.GridCol([
                cyto.Cytoscape(
                    id=ids.NET_GRAPH, elements=[], stylesheet=base_stylesheet(1),
                    layout=GRAPH_LAYOUT,
                    style={"width": "100%", "height": "680px"}, className="rg-graph",
                    minZoom=0.15, maxZoom=3, responsive=True,
                ),
                _legend(),
                dmc.Text(id=ids.NET_NOTE, size="sm", mt=4),
            ], span={"base": 12, "md": 6}),
            dmc.GridCol(html.Div(
                dmc.Text("Click a node to see what it needs and what depends on it.",
                         size="sm", c="dimmed"),
                id=ids.NET_PANEL, className="rg-panel"), span={"base": 12, "md": 3}),
        ], gutter="md"),
    ])
