"""Why callbacks: pickers, the chains drawn in tier columns, the chains in words."""

from __future__ import annotations

from dash import Input, Output, State, html

from riskgraph.views import capability_spofs
from riskgraph.views.why import chain_lines, why_chains, why_graph

from .. import ids
from ..components import options, records
from ..pages.why import MAX_LINES, MAX_NODES
from .common import check_id, loaded, user_errors
from .network import place, why_link

__all__ = ["fill_why", "point_options", "draw_why", "why_link", "image_downloads",
           "register"]

POINT_KINDS = ("nation", "supplier", "component")


@user_errors(3)
def fill_why(key, query, remembered):
    """Capability list; starts on the URL's capability, else the one picked last."""
    p = loaded(key)
    caps = p.capability_options
    query = query if isinstance(query, dict) else {}
    for value in (query.get("capability"), remembered):
        if isinstance(value, str) and value in caps.index:
            return options(caps), value, None
    return options(caps), None, None


@user_errors(3)
def point_options(capability, query, key):
    """The capability's single points of failure (most serious first) as point options;
    the URL's point is kept (and listed) when it is one of them or feeds the capability."""
    if not capability:
        return [], None, None
    p = loaded(key)
    capability = check_id(p, capability, "capability", kinds=("capability",))
    spofs = capability_spofs(p.network, p.analysis, capability, kinds=POINT_KINDS)
    opts = [{"value": v, "label": f"{name} ({kind}, single point of failure)"}
            for v, name, kind in zip(spofs.index, spofs["name"], spofs["kind"])]
    wanted = (query or {}).get("point") if isinstance(query, dict) else None
    if isinstance(wanted, str) and wanted in p.network.nodes.index \
            and wanted.split(":", 1)[0] in POINT_KINDS:
        if wanted not in spofs.index:
            opts.insert(0, {"value": wanted,
                            "label": f"{p.network.nodes.at[wanted, 'name']} (not a single "
                                     "point of failure)"})
        return opts, wanted, None
    return opts, (opts[0]["value"] if opts else None), None


def _elements(g) -> list[dict]:
    pos = place(g.nodes.index, g.edges, column=g.nodes["column"].to_dict())
    out = []
    for node, row in zip(g.nodes.index, records(g.nodes)):
        classes = [row["kind"]] + [c for c in ("spof", "point") if row[c]]
        label = row["name"] if row["kind"] != "or" else row["name"].replace("OR: ", "OR · ")
        out.append({"data": {"id": node, "label": label[:48], "kind": row["kind"],
                             "lost": 0, "full": row["name"]},
                    "position": pos[node], "classes": " ".join(classes)})
    for e in records(g.edges):
        out.append({"data": {"source": e["source"], "target": e["target"],
                             "relation": e["relation"]}, "classes": e["relation"]})
    return out


@user_errors(4)
def draw_why(capability, point, key):
    """The chains from ``point`` to ``capability``: drawn, counted and written out."""
    if not capability or not point:
        return [], "Pick a capability and one of its failure points.", [], None
    p = loaded(key)
    capability = check_id(p, capability, "capability", kinds=("capability",))
    point = check_id(p, point, "failure point", kinds=POINT_KINDS)
    names = p.network.nodes["name"]
    cap_name = p.capability_options.at[capability, "label"]
    g = why_graph(p.network, p.analysis, capability, point, max_nodes=MAX_NODES)
    if not g.chains:
        return [], f"{names[point]} does not feed {cap_name}: no chain leads to it.", [], None
    chains, _ = why_chains(p.network, capability, point, limit=2000)
    lines = chain_lines(p.network, sorted(chains, key=len)[:MAX_LINES])
    spof = bool(g.nodes.at[point, "spof"])
    note = [html.B(names[point]), f" reaches {cap_name} by {g.chains} chain(s)"
            + (f"; the {g.shown} shortest are drawn." if g.truncated else ".")
            + (" It is a single point of failure: alone it takes the capability down."
               if spof else " It is not a single point of failure: an alternative "
                            "(a dashed OR box) keeps the capability up.")]
    items = [html.Li(line) for line in lines]
    if g.chains > len(lines):
        items.append(html.Li(f"… and {g.chains - len(lines)} more"))
    return _elements(g), note, items, None


def register(app) -> None:
    app.callback(
        Output(ids.WHY_CAPABILITY, "data"),
        Output(ids.WHY_CAPABILITY, "value"),
        Output(ids.WHY_MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(ids.WHY_QUERY, "data"),
        State(ids.CAPABILITY, "data"),
    )(fill_why)
    app.callback(
        Output(ids.WHY_POINT, "data"),
        Output(ids.WHY_POINT, "value"),
        Output(ids.WHY_MESSAGE, "children", allow_duplicate=True),
        Input(ids.WHY_CAPABILITY, "value"),
        State(ids.WHY_QUERY, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(point_options)
    app.callback(
        Output(ids.WHY_GRAPH, "elements"),
        Output(ids.WHY_NOTE, "children"),
        Output(ids.WHY_CHAINS, "children"),
        Output(ids.WHY_MESSAGE, "children", allow_duplicate=True),
        Input(ids.WHY_CAPABILITY, "value"),
        Input(ids.WHY_POINT, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(draw_why)
    from .network import SIZE_GRAPH

    app.clientside_callback(SIZE_GRAPH, Output(ids.WHY_GRAPH, "style"),
                            Input(ids.WHY_GRAPH, "elements"))
    image_downloads(app, ids.WHY_GRAPH, ids.WHY_PNG, ids.WHY_SVG, "why-chains")


def image_downloads(app, graph: str, png: str, svg: str, filename: str) -> None:
    """PNG and SVG buttons downloading the whole drawn graph (Cytoscape's generateImage)."""
    for button, kind in ((png, "png"), (svg, "svg")):
        app.clientside_callback(
            f"""function (n) {{ if (!n) {{ return window.dash_clientside.no_update; }}
                return {{type: "{kind}", action: "download", filename: "{filename}",
                         options: {{full: true, bg: "#ffffff"}}}}; }}""",
            Output(graph, "generateImage", allow_duplicate=True),
            Input(button, "n_clicks"), prevent_initial_call=True)
