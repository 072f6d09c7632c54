"""A bounded, focused part of the dependency graph, for drawing.

A front end never draws the whole graph: :func:`focus_subgraph` walks a few hops from a
focus node or a set of capabilities and keeps only the nearest ``max_nodes`` nodes. The
walk uses the compiled CSR arrays (:attr:`SupplyNetwork.compiled`), so its cost grows with
the part walked, not with the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import (
    CAPABILITY,
    COMPONENT,
    GROUP_SOURCING,
    GROUP_SUBSTITUTE,
    NATION,
    SUPPLIER,
    SupplyNetwork,
)

from .lookup import node_index

__all__ = ["DIRECTIONS", "Subgraph", "edges_among", "focus_subgraph"]

#: Directions of a focused walk: towards inputs, towards dependants, or both.
DIRECTIONS = ("upstream", "downstream", "both")


@dataclass(frozen=True)
class Subgraph:
    """A bounded part of the dependency graph around some seed nodes.

    Attributes
    ----------
    nodes
        Indexed by ``node`` (typed id), nearest the seeds first: ``kind``, ``name``,
        ``nation_id``, ``alignment``, ``component_kind``, ``distance`` (hops from the
        nearest seed), ``seed`` (bool), ``spof`` (a single point of failure of a seed
        capability; of any capability when no seed is a capability),
        ``capabilities_lost`` (blast radius; 0 for capabilities).
    edges
        ``source``, ``target`` (material flows source -> target), ``relation`` (``site``
        (nation -> supplier, site or owner), ``sourcing``, ``bom``, ``substitute`` (a BOM
        child in a substitute group) or ``fielding``) and ``share`` (sourcing share, else
        NaN).
    reachable
        Nodes within the depth before the ``max_nodes`` cut.
    truncated
        Whether nodes were left out to respect ``max_nodes``.
    seeds
        The seed ids.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    reachable: int
    truncated: bool
    seeds: list = field(default_factory=list)


def _relation(c, src: np.ndarray, dst: np.ndarray, gkind: np.ndarray) -> np.ndarray:
    ks, kd = c.kind[src], c.kind[dst]
    rel = np.full(len(src), "bom", dtype=object)
    rel[(ks == NATION) & (kd == SUPPLIER)] = "site"
    rel[(ks == SUPPLIER) & (kd == COMPONENT)] = "sourcing"
    rel[(ks == COMPONENT) & (kd == COMPONENT) & (gkind == GROUP_SUBSTITUTE)] = "substitute"
    rel[kd == CAPABILITY] = "fielding"
    return rel


def edges_among(network: SupplyNetwork, kept: np.ndarray) -> pd.DataFrame:
    """Every edge between two of the compiled nodes ``kept`` (an index array).

    Only the requirement groups of the kept nodes are read, so the cost grows with the
    kept nodes' inputs, not with the package.
    """
    c = network.compiled
    kept = np.unique(np.asarray(kept, dtype=np.int64))
    keep = np.zeros(c.n, dtype=bool)
    keep[kept] = True
    groups = _spans(c.group_ptr, kept)
    entries = _spans(c.member_ptr, groups)
    grp = np.repeat(groups, np.diff(c.member_ptr)[groups]) if len(groups) else groups
    src = c.member[entries].astype(np.int64)
    dst = c.group_node[grp].astype(np.int64)
    m = keep[src]
    src, dst, grp, weight = src[m], dst[m], grp[m], c.weight[entries][m]
    gkind = c.group_kind[grp]
    df = pd.DataFrame({
        "source": c.ids[src],
        "target": c.ids[dst],
        "relation": _relation(c, src, dst, gkind),
        "share": np.where(gkind == GROUP_SOURCING, weight, np.nan),
    })
    return df.drop_duplicates(["source", "target"], ignore_index=True)


def _spans(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The concatenated ranges ``ptr[r]:ptr[r + 1]`` of every row in ``rows``."""
    rows = np.asarray(rows, dtype=np.int64)
    lo = ptr[rows].astype(np.int64)
    n = ptr[rows + 1].astype(np.int64) - lo
    if not n.sum():
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n)
    return starts + np.arange(n.sum())


def _check_walk(direction, depth, max_nodes) -> None:
    if direction not in DIRECTIONS:
        raise UsageError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if depth is not None and (not isinstance(depth, (int, np.integer)) or isinstance(depth, bool)
                              or depth < 0):
        raise UsageError(f"depth must be a whole number >= 0 or None, got {depth!r}")
    if not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise UsageError(f"max_nodes must be a whole number >= 1, got {max_nodes!r}")


def _capability_seeds(network: SupplyNetwork, nations, platforms) -> list[int]:
    """The compiled indices of the capabilities of ``nations`` × ``platforms``."""
    caps = network.capabilities
    mask = np.ones(len(caps), dtype=bool)
    if nations is None and platforms is None:
        raise UsageError("pick a focus node, a nation or a platform to draw")
    for values, col, what in ((nations, "nation_id", "nation"),
                              (platforms, "platform_id", "platform")):
        if values is None:
            continue
        values = [values] if isinstance(values, str) else list(values)
        known = set(caps[col])
        bad = [v for v in values if v not in known]
        if bad:
            raise UsageError(f"no capability with {what} {', '.join(map(repr, bad))}; "
                             f"known: {', '.join(sorted(known)[:12])}"
                             + (" ..." if len(known) > 12 else ""))
        mask &= caps[col].isin(values).to_numpy()
    c = network.compiled
    seeds = [c.index[x] for x in caps.index[mask]]
    if not seeds:
        raise UsageError("no capability matches both the nation and the platform filters")
    return seeds


def _walk(network: SupplyNetwork, seeds, depth, direction) -> tuple[np.ndarray, np.ndarray]:
    """Nodes within ``depth`` hops and their hop counts, nearest first (ties by index)."""
    topo = network.compiled.topology
    dist: dict[int, int] = {}
    if direction in ("upstream", "both"):
        dist.update(topo.distances(seeds, downstream=False, depth=depth))
    if direction in ("downstream", "both"):
        for v, d in topo.distances(seeds, downstream=True, depth=depth).items():
            dist[v] = min(d, dist.get(v, d))
    nodes = np.fromiter(dist.keys(), dtype=np.int64, count=len(dist))
    hops = np.fromiter(dist.values(), dtype=np.int64, count=len(dist))
    order = np.lexsort((nodes, hops))
    return nodes[order], hops[order]


def _spof_flags(analysis, seed_ids: list[str], kept_ids: np.ndarray) -> np.ndarray:
    """Which kept nodes to flag: SPOFs of the seed capabilities, else of any capability."""
    seed_caps = [s for s in seed_ids if s.startswith("capability:")]
    if seed_caps:
        spof = analysis.spof
        rows = spof[spof.index.isin(seed_caps) & ~spof["trivial"]]
        return pd.Index(kept_ids).isin(rows["failure_point"].unique())
    count = analysis.blast_radius["spof_count"].reindex(kept_ids)
    return (count.fillna(0) > 0).to_numpy()


def focus_subgraph(network: SupplyNetwork, analysis, *, focus: str | None = None,
                   nations: Iterable[str] | None = None,
                   platforms: Iterable[str] | None = None, depth: int | None = 3,
                   direction: str = "upstream", max_nodes: int = 300) -> Subgraph:
    """The part of the graph around a focus node or a set of capabilities, bounded.

    Seeds are ``focus`` when given, else the capabilities fielded by ``nations`` of the
    ``platforms`` (either filter may be left out, not both). The walk goes ``depth`` hops
    (``None``: no limit) ``upstream`` (towards what the seeds need), ``downstream``
    (towards what depends on them) or ``both``; the ``max_nodes`` nearest nodes are kept
    (ties in compiled order), so a front end never draws thousands of elements.

    Raises
    ------
    UsageError
        For an unknown id, nation or platform, a bad direction or depth, or no seed.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> sub = focus_subgraph(net, structural_analysis(net), focus="capability:USA/P2",
    ...                      depth=2)
    >>> sub.nodes.index.tolist()
    ['capability:USA/P2', 'component:P2', 'component:B']
    >>> sub.nodes["spof"].tolist()  # the platform itself is a trivial SPOF, not flagged
    [False, False, True]
    """
    _check_walk(direction, depth, max_nodes)
    c = network.compiled
    seeds = ([node_index(network, focus, "focus")] if focus is not None
             else _capability_seeds(network, nations, platforms))
    order, hops = _walk(network, seeds, depth, direction)
    kept, kept_hops = order[:max_nodes], hops[:max_nodes]
    kept_ids = c.ids[kept]
    seed_ids = [c.ids[s] for s in seeds]
    nodes = network.nodes.loc[kept_ids, ["kind", "name", "nation_id", "alignment",
                                         "component_kind"]].copy()
    nodes["distance"] = kept_hops.tolist()
    nodes["seed"] = nodes.index.isin(seed_ids)
    nodes["spof"] = _spof_flags(analysis, seed_ids, kept_ids)
    nodes["capabilities_lost"] = analysis.blast_radius["capabilities_lost"] \
        .reindex(kept_ids).fillna(0).astype(int).to_numpy()
    return Subgraph(nodes=nodes, edges=edges_among(network, kept), reachable=len(order),
                    truncated=len(order) > len(kept), seeds=seed_ids)
