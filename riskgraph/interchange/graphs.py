"""The dependency graph as GraphML or GEXF, for Gephi, yEd or a graph database
(docs/design.md §7.7).

Nodes are the typed ids of docs/design.md §3 with attributes ``kind``, ``item_id`` (the id
without its kind), ``name``
(and ``alignment`` for nations, ``nation_id`` for suppliers, ``component_kind`` for
components); failure points also carry their SPOF flags and counts (§4.1) and register
score and rank (§4.8): ``is_spof``, ``spof_count``, ``hidden_count``,
``capabilities_lost``, ``pair_count``, ``register_score``, ``register_rank``. Edges carry
``relation`` (site, owner, sourcing, bom, fielding) and, where there is one, ``share`` or
``quantity``. Empty values are left out (GraphML and GEXF have no "missing").
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import networkx as nx

from riskgraph.errors import UsageError

__all__ = ["export_graph", "write_graph", "FORMATS"]

FORMATS = ("graphml", "gexf")
_NODE_KEEP = ("kind", "name", "alignment", "nation_id")
_EDGE_KEEP = ("relation", "share", "quantity", "substitute_group")
_REGISTER = {"spof_count": "spof_count", "hidden_count": "hidden_count",
             "capabilities_lost": "capabilities_lost", "pair_count": "pair_count",
             "score": "register_score", "rank": "register_rank"}


def _clean(value):
    """A value the writers accept, or None to leave the attribute out."""
    if value is None or value == "":
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def export_graph(network) -> nx.DiGraph:
    """A plain DiGraph of the network with the attributes above (a new graph)."""
    from riskgraph.analyses.register import risk_register

    src = network.graph
    reg = risk_register(network)
    out = nx.DiGraph()
    for node, data in src.nodes(data=True):
        attrs = {k: _clean(data.get(k)) for k in _NODE_KEEP}
        # "id" and "label" mean the node's own id and label to the GEXF writer
        attrs["item_id"] = _clean(data.get("id"))
        if data.get("kind") == "component":
            attrs["component_kind"] = _clean(network.package.components.at[data["id"],
                                                                           "kind"])
        if node in reg.index:
            row = reg.loc[node]
            for col, name in _REGISTER.items():
                attrs[name] = _clean(row[col])
            attrs["is_spof"] = bool(row["spof_count"] > 0)
        out.add_node(node, **{k: v for k, v in attrs.items() if v is not None})
    for a, b, data in src.edges(data=True):
        attrs = {k: _clean(data.get(k)) for k in _EDGE_KEEP}
        out.add_edge(a, b, **{k: v for k, v in attrs.items() if v is not None})
    return out


def write_graph(network, path, *, fmt: str) -> dict:
    """Write :func:`export_graph` as ``fmt`` (graphml or gexf) to ``path``, atomically."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown graph format {fmt!r}; expected one of {', '.join(FORMATS)}")
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--out {os.fspath(path)!r} is a folder; give a file name")
    graph = export_graph(network)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if fmt == "graphml":
            nx.write_graphml(graph, tmp)
        else:
            for node, data in graph.nodes(data=True):
                data["label"] = data.get("name", node)
            nx.write_gexf(graph, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}
