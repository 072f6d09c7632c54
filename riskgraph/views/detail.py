"""Everything a side panel shows about one node: attributes, inputs, cones, damage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.model.network import GROUP_SOURCING, SupplyNetwork

from .lookup import nation_names, node_index

__all__ = ["node_detail", "node_inputs"]


def _attributes(network: SupplyNetwork, kind: str, plain_id: str) -> dict:
    """The node's row of its input table, missing cells and the name left out."""
    table = {"nation": network.package.nations, "supplier": network.package.suppliers,
             "component": network.package.components}.get(kind)
    if table is None:
        return {}
    rec = table.loc[plain_id]
    return {k: (val.item() if isinstance(val, np.generic) else val)
            for k, val in rec.items() if not (isinstance(val, float) and np.isnan(val))
            and val is not None and k != "name"}


def _group_label(k: int, n: int) -> str:
    return "all of" if n == 1 else (f"any {k} of {n}" if k < n else f"all {n} of {n}")


def node_inputs(network: SupplyNetwork, node: str) -> pd.DataFrame:
    """The direct inputs of one node, one row per (requirement group, member).

    Returns
    -------
    pandas.DataFrame
        ``group`` (how the inputs combine, e.g. ``"all of"``, ``"any 1 of 3"``), ``input``
        (typed id), ``name``, ``kind``, ``share`` (sourcing share, else NaN).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> node_inputs(load_network("tests/fixtures/worked"), "component:B")["input"].tolist()
    ['supplier:S_B1', 'supplier:S_B2']
    """
    c = network.compiled
    v = node_index(network, node)
    nodes = network.nodes
    rows = []
    for g in range(c.group_ptr[v], c.group_ptr[v + 1]):
        lo, hi = c.member_ptr[g], c.member_ptr[g + 1]
        label = _group_label(int(c.group_k[g]), int(hi - lo))
        sourcing = int(c.group_kind[g]) == GROUP_SOURCING
        for m, w in zip(c.member[lo:hi].tolist(), c.weight[lo:hi].tolist()):
            mid = c.ids[m]
            rows.append({"group": label, "input": mid, "name": nodes.at[mid, "name"],
                         "kind": nodes.at[mid, "kind"], "share": w if sourcing else np.nan})
    return pd.DataFrame(rows, columns=["group", "input", "name", "kind", "share"])


def _cone(network: SupplyNetwork, v: int, *, downstream: bool) -> list[str]:
    """Every node up- or downstream of ``v`` (itself left out), nearest first."""
    c = network.compiled
    dist = c.topology.distances([v], downstream=downstream)
    nodes = np.fromiter(dist.keys(), dtype=np.int64, count=len(dist))
    hops = np.fromiter(dist.values(), dtype=np.int64, count=len(dist))
    order = np.lexsort((nodes, hops))
    nodes = nodes[order]
    return c.ids[nodes[nodes != v]].tolist()


def _capabilities(network: SupplyNetwork, analysis, node: str, kind: str,
                  downstream: list[str]) -> pd.DataFrame:
    caps = [node] if kind == "capability" else \
        [d for d in downstream if d.startswith("capability:")]
    spof = analysis.spof
    hit = set(spof.index[(spof["failure_point"] == node) & ~spof["trivial"]])
    return pd.DataFrame(
        {"name": network.capabilities["name"].reindex(caps).to_numpy(),
         "spof": [x in hit for x in caps]},
        index=pd.Index(caps, name="capability"))


def _damage(analysis, node: str) -> tuple[dict, dict]:
    reg = analysis.risk_register.loc[node]
    br = analysis.blast_radius.loc[node]
    return ({"score": float(reg["score"]), "rank": int(reg["rank"]), "why": reg["why"]},
            {"capabilities_lost": int(br["capabilities_lost"]),
             "nations_lost": int(br["nations_lost"]), "spof_count": int(br["spof_count"])})


def node_detail(network: SupplyNetwork, analysis, node: str) -> dict:
    """Everything a side panel shows about one node.

    Returns
    -------
    dict
        ``id``, ``kind``, ``name``, ``nation_id``, ``nation_name``, ``alignment``;
        ``attributes`` (the node's row of its input table, missing cells left out);
        ``register`` (``score``, ``rank``, ``why``; None for a capability);
        ``blast`` (``capabilities_lost``, ``nations_lost``, ``spof_count``; None for a
        capability); ``inputs`` (:func:`node_inputs`); ``upstream`` (every node it needs,
        directly or not, nearest first) and ``downstream`` (every node that needs it,
        nearest first), as lists of typed ids; ``capabilities`` (DataFrame of the
        capabilities downstream, indexed by typed id, with ``name`` and ``spof`` (it alone
        takes the capability down)).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> d = node_detail(net, structural_analysis(net), "component:B")
    >>> d["inputs"][["group", "input", "share"]].values.tolist()
    [['any 1 of 2', 'supplier:S_B1', 0.6], ['any 1 of 2', 'supplier:S_B2', 0.6]]
    >>> d["capabilities"]["spof"].to_dict()
    {'capability:USA/P2': True, 'capability:USA/P1': True}
    """
    v = node_index(network, node)
    info = network.nodes.loc[node]
    kind = info["kind"]
    downstream = _cone(network, v, downstream=True)
    register, blast = (None, None) if kind == "capability" else _damage(analysis, node)
    nation_id = info["nation_id"] if isinstance(info["nation_id"], str) else None
    return {
        "id": node,
        "kind": kind,
        "name": info["name"],
        "nation_id": nation_id,
        "nation_name": nation_names(network).get(nation_id) if nation_id else None,
        "alignment": info["alignment"] if isinstance(info["alignment"], str) else None,
        "attributes": _attributes(network, kind, info["id"]),
        "register": register,
        "blast": blast,
        "inputs": node_inputs(network, node),
        "upstream": _cone(network, v, downstream=False),
        "downstream": downstream,
        "capabilities": _capabilities(network, analysis, node, kind, downstream),
    }
