"""Network callbacks: filters, the focused subgraph, the node panel and its highlight."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html, no_update

from riskgraph.views import focus_subgraph, node_detail
from riskgraph.views.layered import layered_layout

from .. import ids
from ..components import records
from ..pages.network import COLUMN_PX, MARGIN_PX, MAX_NODES, ROW_PX, base_stylesheet
from ..state import InputError
from .common import check_choice, check_id, check_number, loaded, picker_options, user_errors

__all__ = ["fill_filters", "search_focus", "draw_graph", "show_node", "open_focus", "place",
           "SIZE_GRAPH", "register"]

DIRECTIONS = ("upstream", "downstream", "both")
_DIM, _UP, _DOWN = "#BBBBBB", "#0072B2", "#D55E00"


@user_errors(6)
def fill_filters(key, _page, remembered):
    """Nation, platform and node lists; starts on the capability picked last (if any)."""
    p = loaded(key)
    caps = p.capability_options
    nations = caps.drop_duplicates("nation_id").sort_values("nation_name")
    platforms = caps.drop_duplicates("platform_id").sort_values("platform_name")
    nation_opts = [{"value": n, "label": f"{name} ({n})"}
                   for n, name in zip(nations["nation_id"], nations["nation_name"])]
    platform_opts = [{"value": pl, "label": f"{name} ({pl})"}
                     for pl, name in zip(platforms["platform_id"], platforms["platform_name"])]
    focus_opts = picker_options(p.node_options)
    start = remembered if isinstance(remembered, str) and remembered in caps.index \
        else caps.index[0]
    return (nation_opts, platform_opts, focus_opts, caps.at[start, "nation_id"],
            caps.at[start, "platform_id"], None)


def search_focus(text, value, key):
    """The focus picker's options matching what the user typed (long lists only)."""
    try:
        return picker_options(loaded(key).node_options, text, value)
    except InputError:
        return no_update


def place(nodes, edges, column=None) -> dict:
    """Pixel positions of ``nodes`` on the drawing grid.

    Positions come from :func:`riskgraph.views.layered.layered_layout`: one node per grid
    cell, columns wider than a label, so labels never overlap and the graph is drawn at
    zoom 1 (it scrolls rather than shrinking its labels; :data:`SIZE_GRAPH` sizes it)."""
    grid = layered_layout(nodes, edges, column)
    return {v: {"x": MARGIN_PX + c * COLUMN_PX, "y": MARGIN_PX + r * ROW_PX}
            for v, c, r in zip(grid.index, grid["column"], grid["row"])}


#: Client side: the graph's size from its nodes' positions (the box around it scrolls).
SIZE_GRAPH = f"""function (elements) {{
    var w = 0, h = 0;
    (elements || []).forEach(function (e) {{
        if (e.position) {{ w = Math.max(w, e.position.x); h = Math.max(h, e.position.y); }}
    }});
    return {{width: Math.max(w + {COLUMN_PX + MARGIN_PX}, 300) + "px", minWidth: "100%",
             height: Math.max(h + {ROW_PX + MARGIN_PX}, 240) + "px"}};
}}"""


def _element_data(sub) -> list[dict]:
    pos = place(sub.nodes.index, sub.edges)
    elements = []
    for node, row in zip(sub.nodes.index, records(sub.nodes)):
        classes = [row["kind"]]
        if row["spof"]:
            classes.append("spof")
        if row["seed"]:
            classes.append("seed")
        label = row["name"] or node.split(":", 1)[1]
        elements.append({"data": {"id": node, "label": label[:40], "kind": row["kind"],
                                  "lost": row["capabilities_lost"]},
                         "position": pos[node], "classes": " ".join(classes)})
    for e in records(sub.edges):
        elements.append({"data": {"source": e["source"], "target": e["target"],
                                  "relation": e["relation"]},
                         "classes": e["relation"]})
    return elements


@user_errors(4)
def draw_graph(nation, platform, focus, depth, direction, key):
    """The focused subgraph (never more than MAX_NODES nodes) and a note saying what it is."""
    p = loaded(key)
    depth = check_number(depth, "depth", lo=1, hi=50, integer=True)
    direction = check_choice(direction, "direction", DIRECTIONS)
    if focus:
        focus = check_id(p, focus, "focus")
        sub = focus_subgraph(p.network, p.analysis, focus=focus, depth=depth,
                             direction=direction, max_nodes=MAX_NODES)
        what = p.network.nodes.at[focus, "name"]
    elif nation or platform:
        for value, name in ((nation, "nation"), (platform, "platform")):
            if value is not None and not isinstance(value, str):
                raise InputError(f"{name} must be an id, got {value!r}")
        sub = focus_subgraph(p.network, p.analysis, nations=nation or None,
                             platforms=platform or None, depth=depth, direction=direction,
                             max_nodes=MAX_NODES)
        what = " ".join(x for x in (nation, platform) if x) + " capabilities"
    else:
        return [], base_stylesheet(1), "Pick a nation, a platform or a node to draw.", None
    words = {"upstream": "it needs", "downstream": "depending on it", "both": "around it"}
    note = (f"{len(sub.nodes)} nodes {words[direction]}, within {depth} steps of {what}.")
    if sub.truncated:
        note = (f"Showing the {len(sub.nodes)} nodes nearest to {what} of {sub.reachable} "
                f"within {depth} steps — large graphs are never drawn whole. Lower the depth "
                "or focus on one node to see the rest.")
    stylesheet = base_stylesheet(p.headline["capabilities"])
    return _element_data(sub), stylesheet, note, None


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _selector(ids_) -> str:
    quoted = ['node[id = "{}"]'.format(i.replace("\\", "\\\\").replace('"', '\\"'))
              for i in ids_]
    return ", ".join(quoted)


def _highlight_stylesheet(p, node: str, d: dict, elements) -> list[dict]:
    """The graph stylesheet dimming everything but `node` and its drawn up/downstream."""
    drawn = {e["data"]["id"] for e in (elements or []) if isinstance(e, dict)
             and "id" in e.get("data", {})}
    up = [i for i in d["upstream"] if i in drawn]
    down = [i for i in d["downstream"] if i in drawn]
    stylesheet = base_stylesheet(p.headline["capabilities"]) + [
        {"selector": "node", "style": {"opacity": 0.25}},
        {"selector": "edge", "style": {"opacity": 0.2}},
    ]
    if up:
        stylesheet.append({"selector": _selector(up),
                           "style": {"opacity": 1, "underlay-color": _UP,
                                     "underlay-opacity": 0.25, "underlay-padding": 5}})
    if down:
        stylesheet.append({"selector": _selector(down),
                           "style": {"opacity": 1, "underlay-color": _DOWN,
                                     "underlay-opacity": 0.25, "underlay-padding": 5}})
    stylesheet.append({"selector": _selector([node]),
                       "style": {"opacity": 1, "underlay-color": "#000",
                                 "underlay-opacity": 0.3, "underlay-padding": 7}})
    return stylesheet


def _risk_rows(d: dict) -> list:
    """The node's risk-register rank, reason and blast radius (nothing if unranked)."""
    if not d["register"]:
        return []
    r, b = d["register"], d["blast"]
    return [
        dmc.Text([html.B(f"Risk rank {r['rank']}"), f" · score {r['score']:.1f}"], size="sm"),
        dmc.Text(r["why"], size="sm"),
        dmc.Text(f"On its own it stops {b['capabilities_lost']} capabilities in "
                 f"{b['nations_lost']} nation(s).", size="sm", fw=500),
    ]


def why_link(capability: str, point: str) -> str:
    """The Why page's URL for one capability and failure point."""
    from urllib.parse import urlencode

    return "/why?" + urlencode({"capability": capability, "point": point})


def _node_panel(node: str, d: dict):
    """The side panel describing `node` from its `node_detail` record."""
    where = ", ".join(x for x in (d["nation_name"], d["alignment"]) if x)
    inputs = d["inputs"]
    needs = [html.Li(f"{g}: {n} ({i.split(':', 1)[0]})"
                     + (f", share {s:.0%}" if s == s else ""))
             for g, i, n, s in zip(inputs["group"], inputs["input"], inputs["name"],
                                   inputs["share"])][:15]
    caps = d["capabilities"]
    # a capability it alone takes down links to the chains that do it (the Why page)
    cap_items = [[n, " — single point of failure (",
                  dcc.Link("why", href=why_link(cap, node)), ")"] if s else n
                 for cap, n, s in sorted(zip(caps.index, caps["name"], caps["spof"]),
                                         key=lambda r: not r[2])]  # SPOFs first
    return dmc.Stack([
        dmc.Group([dmc.Title(d["name"], order=4),
                   dmc.Badge(d["kind"], variant="outline")], gap="xs"),
        dmc.Text(f"{node}" + (f" · {where}" if where else ""), size="xs", c="dimmed"),
        *_risk_rows(d),
        dmc.Text(f"Needs directly ({len(inputs)})", fw=600, size="sm", mt="xs"),
        html.Ul(needs, style={"paddingLeft": "1.1rem", "margin": 0, "fontSize": "0.85rem"})
        if needs else dmc.Text("nothing (a source)", size="sm", c="dimmed"),
        dmc.Text([html.Span("■ ", style={"color": _UP}),
                  f"Upstream: {_count(len(d['upstream']), 'node')} it needs"], size="sm",
                 fw=600),
        dmc.Text([html.Span("■ ", style={"color": _DOWN}),
                  f"Downstream: {_count(len(d['downstream']), 'node')} depend on it, "
                  f"{_count(len(caps), 'capability', 'capabilities')}"], size="sm", fw=600),
        html.Ul([html.Li(t) for t in cap_items[:15]] +
                ([html.Li(f"… and {len(cap_items) - 15} more")] if len(cap_items) > 15 else []),
                style={"paddingLeft": "1.1rem", "margin": 0, "fontSize": "0.85rem"}),
    ], gap=4, id=ids.NET_PANEL_BODY)


@user_errors(3)
def show_node(tapped, elements, key):
    """The side panel of the clicked node, and its up/downstream highlighted in the graph."""
    if not tapped:
        return no_update, no_update, None
    if not isinstance(tapped, dict):
        raise InputError("unexpected node data")
    p = loaded(key)
    node = check_id(p, tapped.get("id"), "node")
    d = node_detail(p.network, p.analysis, node)
    return _node_panel(node, d), _highlight_stylesheet(p, node, d, elements), None


@user_errors(5)
def open_focus(query, key):
    """A node passed in the URL (``?focus=supplier:X``): focus the graph on it and open its
    panel, as a click on it would."""
    focus = query.get("focus") if isinstance(query, dict) else None
    if not focus:
        return no_update, no_update, no_update, no_update, None
    p = loaded(key)
    focus = check_id(p, focus, "focus")
    d = node_detail(p.network, p.analysis, focus)
    # a failure point opened from a risk list: show what depends on it (what it stops)
    direction = "upstream" if focus.startswith("capability:") else "downstream"
    return (picker_options(p.node_options, value=focus), focus, direction,
            _node_panel(focus, d), None)


def register(app) -> None:
    app.callback(
        Output(ids.NET_NATION, "data"),
        Output(ids.NET_PLATFORM, "data"),
        Output(ids.NET_FOCUS, "data"),
        Output(ids.NET_NATION, "value"),
        Output(ids.NET_PLATFORM, "value"),
        Output(ids.NET_MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(ids.NET_PAGE, "id"),
        State(ids.CAPABILITY, "data"),
    )(fill_filters)
    app.callback(
        Output(ids.NET_FOCUS, "data", allow_duplicate=True),
        Input(ids.NET_FOCUS, "searchValue"),
        State(ids.NET_FOCUS, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(search_focus)
    app.callback(
        Output(ids.NET_GRAPH, "elements"),
        Output(ids.NET_GRAPH, "stylesheet"),
        Output(ids.NET_NOTE, "children"),
        Output(ids.NET_MESSAGE, "children", allow_duplicate=True),
        Input(ids.NET_NATION, "value"),
        Input(ids.NET_PLATFORM, "value"),
        Input(ids.NET_FOCUS, "value"),
        Input(ids.NET_DEPTH, "value"),
        Input(ids.NET_DIRECTION, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(draw_graph)
    app.callback(
        Output(ids.NET_FOCUS, "data", allow_duplicate=True),
        Output(ids.NET_FOCUS, "value", allow_duplicate=True),
        Output(ids.NET_DIRECTION, "value", allow_duplicate=True),
        Output(ids.NET_PANEL, "children", allow_duplicate=True),
        Output(ids.NET_MESSAGE, "children", allow_duplicate=True),
        Input(ids.NET_QUERY, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(open_focus)
    app.clientside_callback(SIZE_GRAPH, Output(ids.NET_GRAPH, "style"),
                            Input(ids.NET_GRAPH, "elements"))
    from .why import image_downloads

    image_downloads(app, ids.NET_GRAPH, ids.NET_PNG, ids.NET_SVG, "riskgraph-network")
    app.callback(
        Output(ids.NET_PANEL, "children"),
        Output(ids.NET_GRAPH, "stylesheet", allow_duplicate=True),
        Output(ids.NET_MESSAGE, "children", allow_duplicate=True),
        Input(ids.NET_GRAPH, "tapNodeData"),
        State(ids.NET_GRAPH, "elements"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(show_node)
