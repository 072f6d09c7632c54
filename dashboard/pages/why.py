"""Why: the dependency chains from one failure point to one capability, tier by tier."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..components import section
from .network import KIND_COLOURS, LABEL_PX, SHAPES, base_stylesheet, graph_box, legend

PAGE = dict(path="/why", name="Why (chains)", order=1.5, title="riskgraph — why",
            description="The dependency chains by which a failure point takes a capability "
                        "down, tier by tier.")

#: Real nodes drawn at most (OR boxes come on top): about 60 legible nodes in all.
MAX_NODES = 45
#: Chains written out as text under the graph.
MAX_LINES = 12
TIER_HEADINGS = "nation → supplier → material → part → system → platform → capability"


def why_stylesheet(max_lost: int = 1) -> list[dict]:
    """The network's styles plus OR boxes (white, dashed) and the point asked about."""
    return base_stylesheet(max_lost) + [
        {"selector": "node", "style": {"width": 20, "height": 20}},
        {"selector": ".or", "style": {
            "shape": "round-rectangle", "background-color": "#ffffff", "border-width": 2,
            "border-style": "dashed", "border-color": "#333333", "width": 34,
            "height": 20, "label": "data(label)", "font-size": LABEL_PX - 1}},
        {"selector": ".point", "style": {"width": 28, "height": 28, "font-weight": "bold"}},
        {"selector": "edge.alternative", "style": {"line-style": "dashed"}},
    ]


def layout(capability=None, point=None, **_query):
    query = {"capability": capability if isinstance(capability, str) else None,
             "point": point if isinstance(point, str) else None}
    return html.Div(id=ids.WHY_PAGE, children=[
        dcc.Store(id=ids.WHY_QUERY, data=query),
        html.Div(id=ids.WHY_MESSAGE),
        section(
            "Why does this failure stop this capability?",
            dmc.Grid([
                dmc.GridCol(dmc.Select(
                    id=ids.WHY_CAPABILITY, label="Capability (nation and platform)",
                    searchable=True, selectFirstOptionOnChange=True, data=[], limit=200,
                    filter={"function": "everyWord"}, placeholder="e.g. Poland F-35",
                    nothingFoundMessage="no such capability"), span={"base": 12, "md": 6}),
                dmc.GridCol(dmc.Select(
                    id=ids.WHY_POINT, label="Failure point (its single points of failure)",
                    searchable=True, selectFirstOptionOnChange=True, data=[], limit=200,
                    filter={"function": "everyWord"}, placeholder="e.g. China",
                    nothingFoundMessage="no such failure point"),
                    span={"base": 12, "md": 6}),
            ], gutter="sm"),
            dmc.Text(id=ids.WHY_NOTE, size="sm", mt="xs", mb="xs"),
            dmc.Text(f"Columns, left to right: {TIER_HEADINGS}. A dashed box is a choice "
                     "(OR): the part needs only some of the inputs listed in it.",
                     size="sm", c="dimmed", mb=4),
            graph_box(ids.WHY_GRAPH, why_stylesheet()),
            legend(),
            dmc.Group([
                dmc.Button("Download PNG", id=ids.WHY_PNG, variant="light", size="xs"),
                dmc.Button("Download SVG", id=ids.WHY_SVG, variant="light", size="xs"),
            ], gap="xs", mt="xs"),
            description="Every path by which the failure reaches the capability: the "
                        "shortest first, about 60 nodes at most.",
        ),
        section("The chains, in words", html.Ol(id=ids.WHY_CHAINS, className="rg-chains"),
                description="Capability first, back to the failure point; the sourcing "
                            "confidence is shown where a step rests on a sourcing row."),
    ])


__all__ = ["PAGE", "layout", "why_stylesheet", "MAX_NODES", "MAX_LINES", "KIND_COLOURS",
           "SHAPES"]
