"""Why does a failure point take a capability down? Its dependency chains, for display.

Three views of the paths from a failure point to a capability in the dependency graph
(docs/design.md §3), none computing a new metric:

* :func:`why_chains` — the chains themselves (every path, point first), bounded;
* :func:`spof_chains` — per failure point, its depth (fewest hops to the capability), its
  tier and one shortest chain written on one line ("F-35A ← … ← China");
* :func:`why_graph` — the nodes and edges on those chains laid out in tier columns
  (nation → supplier → material → part → system → platform → capability), each group of
  alternatives (sourcing with more sources than it needs, a substitute group) drawn as one
  labelled OR box, at most ``max_nodes`` nodes.

Walks use the compiled CSR arrays (:attr:`SupplyNetwork.compiled`), restricted to the nodes
that are both downstream of the point and upstream of the capability.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import CAPABILITY, SupplyNetwork

from .lookup import capability_index, node_index

__all__ = ["TIERS", "WhyGraph", "chain_lines", "spof_chains", "spof_count_text", "spof_list",
           "tier_of", "why_chains", "why_graph"]

#: Tier columns, left to right: where a node is drawn in the "why" view.
TIERS = ("nation", "supplier", "material", "part", "system", "platform", "capability")
_ARROW = " ← "


def tier_of(network: SupplyNetwork, typed: str) -> str:
    """The tier column of one node (a component by its ``kind``; an unknown kind: part)."""
    row = network.nodes.loc[typed]
    if row["kind"] != "component":
        return row["kind"]
    kind = row["component_kind"]
    return kind if kind in TIERS else "part"


def _between(network: SupplyNetwork, point: int, capability: int) -> np.ndarray:
    """Mask of the nodes on some path from ``point`` to ``capability``."""
    topo = network.compiled.topology
    return topo.descendant_mask([point]) & topo.ancestor_mask([capability])


def _check(network: SupplyNetwork, capability, point) -> tuple[int, int]:
    cap = capability_index(network, capability)
    p = node_index(network, point, "failure point")
    if network.compiled.kind[p] == CAPABILITY:
        raise UsageError(f"failure point {point!r} is a capability; pick a nation, supplier "
                         "or component")
    return cap, p


def why_chains(network: SupplyNetwork, capability: str, point: str, *,
               limit: int | None = 200) -> tuple[list[list[str]], int]:
    """The dependency chains from ``point`` to ``capability``: ``(chains, total)``.

    Each chain is a list of typed ids from the point to the capability, following
    material flow. At most ``limit`` chains are listed (depth first, successors in compiled
    order; ``None``: all); ``total`` counts them all (exactly, without listing them). No
    chain (and a total of 0) when the point does not feed the capability.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> net = load_network("tests/fixtures/worked")
    >>> chains, total = why_chains(net, "capability:USA/P2", "component:B")
    >>> chains, total
    ([['component:B', 'component:P2', 'capability:USA/P2']], 1)
    """
    cap, p = _check(network, capability, point)
    c = network.compiled
    topo = c.topology
    on = _between(network, p, cap)
    if not on[p]:
        return [], 0
    nodes = np.flatnonzero(on)
    # Paths counted backwards from the capability, in reverse topological (compiled) order.
    count = dict.fromkeys(nodes.tolist(), 0)
    count[cap] = 1
    for v in nodes[::-1].tolist():
        if v != cap:
            count[v] = sum(count[w] for w in _next(topo, on, v))
    chains: list[list[str]] = []
    stack = [[p]]
    while stack and (limit is None or len(chains) < limit):
        path = stack.pop()
        v = path[-1]
        if v == cap:
            chains.append([c.ids[i] for i in path])
            continue
        stack.extend(path + [w] for w in reversed(_next(topo, on, v)))
    return chains, count[p]


def _next(topo, on: np.ndarray, v: int) -> list[int]:
    """The distinct successors of ``v`` on the chains, in compiled order."""
    succ = np.unique(topo.successors(v))
    return succ[on[succ]].tolist()


def _parents_towards(network: SupplyNetwork, cap: int) -> np.ndarray:
    """For each ancestor of ``cap``, its next node on one fewest-hop path to ``cap``
    (breadth first from the capability, lowest compiled index first); -1 elsewhere."""
    topo = network.compiled.topology
    nxt = np.full(network.compiled.n, -1, dtype=np.int64)
    nxt[cap] = cap
    frontier = [cap]
    while frontier:
        found = []
        for w in frontier:
            for v in np.unique(topo.predecessors(w)).tolist():
                if nxt[v] < 0:
                    nxt[v] = w
                    found.append(v)
        frontier = sorted(found)
    return nxt


def spof_chains(network: SupplyNetwork, capability: str,
                points: Iterable[str]) -> pd.DataFrame:
    """Depth, tier and one shortest chain of each failure point feeding ``capability``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failure_point`` (in the order given): ``depth`` (fewest hops from the
        point to the capability; 0 where it does not feed it), ``tier`` (its column of
        :data:`TIERS`) and ``chain`` (the names along one fewest-hop path, from the
        platform back to the point: ``"F-35A ← engine ← … ← China"``; empty where it does
        not feed it) and ``chain_confidence`` (the lowest ``confidence`` of the sourcing
        rows that chain rests on; NaN when it rests on none or none gives one).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> net = load_network("tests/fixtures/worked")
    >>> t = spof_chains(net, "capability:USA/P2", ["component:B"])
    >>> t[["depth", "tier", "chain"]].to_dict("records")
    [{'depth': 2, 'tier': 'part', 'chain': 'Platform 2 ← Part B'}]
    """
    cap = capability_index(network, capability)
    c = network.compiled
    names = network.nodes["name"]
    points = list(points)
    nxt = _parents_towards(network, cap)
    conf = _confidence(network)
    rows = []
    for point in points:
        v = node_index(network, point, "failure point")
        path = []
        while nxt[v] >= 0 and v != cap:
            path.append(v)
            v = int(nxt[v])
        ids = c.ids[path].tolist() + [c.ids[cap]]
        found = [conf[k] for k in zip(ids[:-1], ids[1:]) if k in conf]
        rows.append({"depth": len(path), "tier": tier_of(network, point),
                     "chain": _ARROW.join(names.loc[c.ids[path[::-1]]].tolist())
                     if path else "",
                     "chain_confidence": min(found) if found and path else np.nan})
    out = pd.DataFrame(rows, columns=["depth", "tier", "chain", "chain_confidence"],
                       index=pd.Index(points, name="failure_point"))
    out["depth"] = out["depth"].astype(int)
    return out


@dataclass(frozen=True)
class WhyGraph:
    """The chains from a failure point to a capability, ready to draw in tier columns.

    Attributes
    ----------
    nodes
        Indexed by ``node`` (a typed id, or ``or:<target>#<group>`` for an OR box):
        ``kind`` (a node kind or ``or``), ``name`` (an OR box's label says how many of
        which alternatives are needed), ``tier`` (a :data:`TIERS` name or ``or``),
        ``column`` (0 … 6 by tier; an OR box half a column before its target), ``row``
        (order within the column), ``spof`` (a single point of failure of the
        capability), ``point`` (the failure point asked about).
    edges
        ``source``, ``target``, ``relation`` (``site``, ``sourcing``, ``bom``,
        ``fielding`` or ``alternative``: a member into its OR box) and ``confidence``
        (the sourcing row's ``confidence`` where the edge rests on one, else NaN).
    chains
        How many chains lead from the point to the capability in all.
    shown
        How many of them are drawn whole (the shortest first).
    truncated
        Whether chains were left out to keep within ``max_nodes``.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    chains: int
    shown: int
    truncated: bool


def _keep_chains(chains: list[list[str]], max_nodes: int) -> tuple[list[str], int]:
    """Nodes of the shortest chains that fit in ``max_nodes``, in first-seen order."""
    kept: dict[str, None] = {}
    shown = 0
    for chain in sorted(chains, key=len):
        new = [v for v in chain if v not in kept]
        if len(kept) + len(new) > max_nodes:
            break
        kept.update(dict.fromkeys(new))
        shown += 1
    return list(kept), shown


def _confidence(network: SupplyNetwork) -> dict[tuple[str, str], float]:
    src = network.package.sourcing
    if "confidence" not in src.columns:
        return {}
    return {(f"supplier:{s}", f"component:{cpt}"): float(v)
            for s, cpt, v in zip(src["supplier_id"], src["component_id"], src["confidence"])
            if v == v and v is not None}


def _relation(kinds: pd.Series, source: str, target: str) -> str:
    ks, kt = kinds[source], kinds[target]
    if kt == "capability":
        return "fielding"
    if ks == "nation":
        return "site"
    return "sourcing" if ks == "supplier" else "bom"


def _or_label(names: list[str], k: int, n: int) -> str:
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return f"OR: needs {k} of {n} — {shown}"


def _groups(network: SupplyNetwork, kept: list[str]):
    """Each kept node's requirement groups with a kept member: (target, g, k, members)."""
    c = network.compiled
    idx = c.index
    keep = set(kept)
    for target in kept:
        v = idx[target]
        for g in range(c.group_ptr[v], c.group_ptr[v + 1]):
            members = [c.ids[m] for m in c.member[c.member_ptr[g]:c.member_ptr[g + 1]]]
            on = [m for m in members if m in keep]
            if on:
                yield target, g, int(c.group_k[g]), members, on


def why_graph(network: SupplyNetwork, analysis, capability: str, point: str, *,
              max_nodes: int = 60) -> WhyGraph:
    """The dependency chains from ``point`` to ``capability`` as a drawable graph.

    The nodes of the shortest chains are kept while they fit in ``max_nodes`` (OR boxes
    not counted). Where a node needs only some of a group's members (sourcing with more
    sources than ``min_sources``, a substitute group), the group becomes one OR box
    labelled with every alternative, fed by the members on the chains.

    Raises
    ------
    UsageError
        For an unknown capability or point, or a ``max_nodes`` below 2.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> g = why_graph(net, structural_analysis(net), "capability:USA/P2", "nation:USA")
    >>> g.nodes["tier"].tolist()[:3]
    ['nation', 'supplier', 'part']
    >>> g.nodes.loc[g.nodes["kind"] == "or", "name"].tolist()
    ['OR: needs 1 of 2 — Supplier B1, Supplier B2']
    """
    if not isinstance(max_nodes, (int, np.integer)) or max_nodes < 2:
        raise UsageError(f"max_nodes must be a whole number >= 2, got {max_nodes!r}")
    chains, total = why_chains(network, capability, point, limit=2000)
    kept, shown = _keep_chains(chains, max_nodes)
    info = network.nodes
    names, kinds = info["name"], info["kind"]
    spofs = analysis.spof
    spofs = set(spofs.loc[(spofs.index == capability) & ~spofs["trivial"], "failure_point"])
    rows = {v: {"kind": kinds[v], "name": names[v], "tier": tier_of(network, v),
                "spof": v in spofs, "point": v == point} for v in kept}
    for r in rows.values():
        r["column"] = float(TIERS.index(r["tier"]))
    conf = _confidence(network)
    edges = []
    for target, g, k, members, on in _groups(network, kept):
        if k < len(members):
            box = f"or:{target}#{g}"
            rows[box] = {"kind": "or", "tier": "or", "spof": False, "point": False,
                         "name": _or_label([names[m] for m in members], k, len(members)),
                         "column": rows[target]["column"] - 0.5}
            edges += [(m, box, "alternative", conf.get((m, target), np.nan)) for m in on]
            edges.append((box, target, _relation(kinds, on[0], target), np.nan))
        else:
            edges += [(m, target, _relation(kinds, m, target), conf.get((m, target), np.nan))
                      for m in on]
    nodes = pd.DataFrame.from_dict(rows, orient="index")
    nodes.index.name = "node"
    nodes = nodes[["kind", "name", "tier", "column", "spof", "point"]]
    nodes["row"] = nodes.groupby("column").cumcount()
    edge_df = pd.DataFrame(edges, columns=["source", "target", "relation", "confidence"])
    return WhyGraph(nodes=nodes, edges=edge_df.drop_duplicates(["source", "target"],
                                                               ignore_index=True),
                    chains=total, shown=shown, truncated=shown < total)


def chain_lines(network: SupplyNetwork, chains: list[list[str]]) -> list[str]:
    """Each chain written on one line, capability side first, with the ``confidence`` of
    each sourcing row it rests on: ``"Platform 2 ← Part B ← Supplier B1 (sourcing
    confidence 0.6) ← United States"``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> net = load_network("tests/fixtures/worked")
    >>> chain_lines(net, why_chains(net, "capability:USA/P2", "supplier:S_B1")[0])
    ['Platform 2 ← Part B ← Supplier B1']
    """
    names = network.nodes["name"]
    conf = _confidence(network)
    lines = []
    for chain in chains:
        parts = []
        for here, there in zip(chain[:-1], chain[1:]):
            c = conf.get((here, there))
            parts.append(names[here] + (f" (sourcing confidence {c:g})" if c is not None
                                        else ""))
        lines.append(_ARROW.join(reversed([p for p, v in zip(parts, chain)
                                           if network.nodes.at[v, "kind"] != "capability"])))
    return lines


def spof_list(network: SupplyNetwork, analysis, capability: str, *,
              kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """A capability's single points of failure (:func:`~.capability.capability_spofs`,
    same order) with how deep each sits and how it reaches the capability: the columns
    ``depth``, ``tier``, ``chain`` and ``chain_confidence`` of :func:`spof_chains`.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> t = spof_list(net, structural_analysis(net), "capability:USA/P1")
    >>> t.loc["nation:USA", "chain"]
    'Platform 1 ← System C ← Part A ← Supplier A ← United States'
    >>> int(t.loc["nation:USA", "depth"]), t.loc["nation:USA", "tier"]
    (5, 'nation')
    """
    from .capability import capability_spofs

    # the failure points' own kinds: the analysis may also list export-control vetoes
    # (``veto:X``, docs/design.md §3.4), which are not nodes with a chain
    kinds = ("nation", "supplier", "component") if kinds is None else kinds
    table = capability_spofs(network, analysis, capability, kinds=kinds)
    chains = spof_chains(network, capability, table.index)
    for col in ("depth", "tier", "chain", "chain_confidence"):
        table[col] = chains[col].to_numpy()
    return table


def spof_count_text(table: pd.DataFrame) -> str:
    """One line counting a :func:`spof_list` table: how many, of which kinds, how deep.

    Examples
    --------
    >>> t = pd.DataFrame({"kind": ["nation", "supplier", "supplier"],
    ...                   "hidden": [True, False, True], "depth": [4, 2, 3]})
    >>> spof_count_text(t)
    '3 single points of failure: 1 nation, 2 suppliers; 2 hidden below tier 1; 2 to 4 steps from the capability.'
    """
    n = len(table)
    if not n:
        return "No single point of failure of this kind: no one failure of it alone stops " \
               "the capability."
    counts = table["kind"].value_counts()
    kinds = ", ".join(f"{counts[k]} {k}{'' if counts[k] == 1 else 's'}"
                      for k in ("nation", "supplier", "component") if k in counts.index)
    hidden = int(table["hidden"].sum())
    depth = table["depth"]
    span = (f"{depth.min()} to {depth.max()} steps" if depth.min() != depth.max()
            else f"{depth.min()} step{'' if depth.min() == 1 else 's'}")
    what = "single point of failure" if n == 1 else "single points of failure"
    return f"{n} {what}: {kinds}; {hidden} hidden below tier 1; {span} from the capability."
