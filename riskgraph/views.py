"""Ready-to-show views of a network and its analyses, for front ends (the dashboard).

Every function here is a pure function of a :class:`~riskgraph.model.network.SupplyNetwork`, a
:class:`~riskgraph.analyses.structural.StructuralAnalysis` or a what-if result: it returns a DataFrame
or a small dataclass, never mutates its inputs and knows nothing of Dash or plotting. The
dashboard only formats what these return, so every number it shows is computed here or in
the analysis modules (and is the same number the CLI writes).

Graph walks use the compiled arrays (:attr:`SupplyNetwork.compiled`), so they scale to
large packages without building the networkx graph.
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
    NODE_KINDS,
    SUPPLIER,
    SupplyNetwork,
)

__all__ = [
    "Heatmap",
    "Subgraph",
    "capability_matrix",
    "capability_options",
    "capability_pairs",
    "capability_spofs",
    "down_intervals",
    "exposure_heatmap",
    "failure_point_options",
    "focus_subgraph",
    "nation_dependence",
    "node_detail",
    "supplier_sites",
    "survivability_summary",
    "whatif_headline",
    "whatif_matrix",
    "DIRECTIONS",
]

#: Directions of a focused walk: towards inputs, towards dependants, or both.
DIRECTIONS = ("upstream", "downstream", "both")
_KIND_LABEL = {"nation": "Nation", "supplier": "Supplier", "component": "Component",
               "capability": "Capability"}


# ----------------------------------------------------------------------------- helpers


def _check_id(network: SupplyNetwork, typed, what: str = "node") -> int:
    """The compiled index of ``typed``; UsageError with a readable message otherwise."""
    if not isinstance(typed, str) or not typed:
        raise UsageError(f"{what} must be a typed id such as 'supplier:S01', got {typed!r}")
    return network.index_of(typed)


def _nation_names(network: SupplyNetwork) -> pd.Series:
    return network.package.nations["name"]


# ----------------------------------------------------------------------------- pickers


def capability_options(network: SupplyNetwork) -> pd.DataFrame:
    """Every capability with a label for pickers, sorted by label.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability`` (typed id): ``nation_id``, ``nation_name``,
        ``platform_id``, ``platform_name`` and ``label`` (e.g. ``"Poland — F-35A Lightning II
        (POL/F-35A)"``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> capability_options(load_network("tests/fixtures/worked"))["label"].tolist()
    ['United States — Platform 1 (USA/P1)', 'United States — Platform 2 (USA/P2)']
    """
    caps = network.capabilities
    nations = _nation_names(network)
    comps = network.package.components["name"]
    out = pd.DataFrame(index=caps.index.copy())
    out["nation_id"] = caps["nation_id"]
    out["nation_name"] = caps["nation_id"].map(nations).fillna(caps["nation_id"])
    out["platform_id"] = caps["platform_id"]
    out["platform_name"] = caps["platform_id"].map(comps).fillna(caps["platform_id"])
    out["label"] = (out["nation_name"] + " — " + out["platform_name"] + " ("
                    + out["nation_id"] + "/" + out["platform_id"] + ")")
    return out.sort_values("label", kind="stable")


def failure_point_options(network: SupplyNetwork) -> pd.DataFrame:
    """Every failure point (nation, supplier, component) with a label for pickers.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failure_point`` (typed id), nations first, then suppliers, then
        components, each by name: ``kind``, ``id``, ``name``, ``nation_id`` (site nation of a
        supplier; the nation itself for a nation), ``recovery_days`` (the default outage of
        a what-if) and ``label`` (e.g. ``"Supplier: Supplier A (S_A, USA)"``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> opts = failure_point_options(load_network("tests/fixtures/worked"))
    >>> opts.loc["supplier:S_A", "label"], float(opts.loc["supplier:S_A", "recovery_days"])
    ('Supplier: Supplier A (S_A, USA)', 90.0)
    """
    c = network.compiled
    nodes = network.nodes
    idx = c.failure_points
    ids = c.ids[idx]
    out = nodes.loc[ids, ["kind", "id", "name", "nation_id"]].copy()
    out.index.name = "failure_point"
    out["recovery_days"] = c.recovery_days[idx]
    where = out["nation_id"].where(out["kind"] == "supplier")
    extra = np.where(where.notna(), out["id"] + ", " + where.fillna(""), out["id"])
    out["label"] = out["kind"].map(_KIND_LABEL) + ": " + out["name"].fillna(out["id"]) + \
        " (" + extra + ")"
    out["_order"] = out["kind"].map({k: i for i, k in enumerate(NODE_KINDS)})
    out = out.sort_values(["_order", "name", "id"], kind="stable").drop(columns="_order")
    return out


# ----------------------------------------------------------------------------- SPOFs


def capability_spofs(network: SupplyNetwork, analysis, capability: str, *,
                     kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """The single points of failure of one capability, most serious first.

    The platform itself (a trivial SPOF) is left out. Rows are ordered by the risk
    register's score, so the failure that matters most across the alliance comes first.

    Parameters
    ----------
    network, analysis
        The network and its :func:`~riskgraph.analyses.structural.structural_analysis`.
    capability
        Typed id, e.g. ``"capability:POL/F-35A"``.
    kinds
        Keep only these kinds of failure point (``nation``, ``supplier``, ``component``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failure_point``: ``kind``, ``name``, ``nation_id``, ``hidden`` (not
        visible at tier 1), ``capabilities_lost`` and ``nations_lost`` (its blast radius),
        ``recovery_days``, ``score``, ``rank`` (in the whole register) and ``why``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> capability_spofs(net, structural_analysis(net), "capability:USA/P1").index.tolist()
    ['nation:USA', 'supplier:S_A', 'component:A', 'component:B', 'component:C']
    """
    i = _check_id(network, capability, "capability")
    if network.compiled.kind[i] != CAPABILITY:
        raise UsageError(f"{capability!r} is not a capability; write capability:NATION/PLATFORM")
    spof = analysis.spof
    rows = spof.loc[spof.index == capability]
    rows = rows[~rows["trivial"]]
    if kinds is not None:
        kinds = list(kinds)
        bad = [k for k in kinds if k not in ("nation", "supplier", "component")]
        if bad:
            raise UsageError(f"unknown kind(s) {bad}; valid: nation, supplier, component")
        rows = rows[rows["kind"].isin(kinds)]
    fps = rows["failure_point"].to_numpy(dtype=object)
    reg = analysis.risk_register.reindex(fps)
    br = analysis.blast_radius.reindex(fps)
    c = network.compiled
    out = pd.DataFrame(
        {
            "kind": rows["kind"].to_numpy(),
            "name": rows["name"].to_numpy(),
            "nation_id": network.nodes["nation_id"].reindex(fps).to_numpy(),
            "hidden": rows["hidden"].to_numpy(dtype=bool),
            "capabilities_lost": br["capabilities_lost"].to_numpy(),
            "nations_lost": br["nations_lost"].to_numpy(),
            "recovery_days": c.recovery_days[[c.index[f] for f in fps]]
            if len(fps) else np.zeros(0),
            "score": reg["score"].to_numpy(dtype=float),
            "rank": reg["rank"].to_numpy(),
            "why": reg["why"].to_numpy(),
        },
        index=pd.Index(fps, name="failure_point"),
    )
    return out.sort_values(["score", "capabilities_lost"], ascending=[False, False],
                           kind="stable")


def capability_pairs(network: SupplyNetwork, analysis, capability: str) -> pd.DataFrame:
    """The critical pairs (order-2 cut sets) of one capability, with names.

    Returns
    -------
    pandas.DataFrame
        Plain index: ``failure_point_a``, ``name_a``, ``kind_a``, ``failure_point_b``,
        ``name_b``, ``kind_b``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> capability_pairs(net, structural_analysis(net), "capability:USA/P1")["name_b"].tolist()
    ['Supplier B1', 'Supplier B2']
    """
    i = _check_id(network, capability, "capability")
    if network.compiled.kind[i] != CAPABILITY:
        raise UsageError(f"{capability!r} is not a capability; write capability:NATION/PLATFORM")
    pairs = analysis.critical_pairs
    rows = pairs.loc[pairs.index == capability]
    names = network.nodes["name"]
    out = pd.DataFrame({
        "failure_point_a": rows["failure_point_a"].to_numpy(),
        "name_a": names.reindex(rows["failure_point_a"]).to_numpy(),
        "kind_a": rows["kind_a"].to_numpy(),
        "failure_point_b": rows["failure_point_b"].to_numpy(),
        "name_b": names.reindex(rows["failure_point_b"]).to_numpy(),
        "kind_b": rows["kind_b"].to_numpy(),
    })
    return out


# ----------------------------------------------------------------------------- map


def supplier_sites(network: SupplyNetwork, analysis) -> pd.DataFrame:
    """Supplier sites for a world map: where they are and how much they take down alone.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``supplier`` (typed id): ``name``, ``nation_id``, ``nation_name``,
        ``alignment`` (of the site nation), ``owner_nation_id``, ``lat``, ``lon`` (NaN when
        the package does not give them), ``capabilities_lost``, ``nations_lost``,
        ``spof_count``, ``score``, ``rank`` and ``why``. Ordered by score, highest first.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> supplier_sites(net, structural_analysis(net))["capabilities_lost"].to_dict()
    {'supplier:S_A': 1, 'supplier:S_B1': 0, 'supplier:S_B2': 0}
    """
    sup = network.package.suppliers
    ids = pd.Index(["supplier:" + s for s in sup.index], name="supplier")
    nations = network.package.nations
    owner = sup["owner_nation_id"] if "owner_nation_id" in sup else pd.Series(np.nan, sup.index)
    out = pd.DataFrame(index=ids)
    out["name"] = sup["name"].to_numpy()
    out["nation_id"] = sup["nation_id"].to_numpy()
    out["nation_name"] = nations["name"].reindex(sup["nation_id"]).to_numpy()
    out["alignment"] = nations["alignment"].reindex(sup["nation_id"]).to_numpy()
    out["owner_nation_id"] = owner.where(owner.notna(), sup["nation_id"]).to_numpy()
    for col in ("lat", "lon"):
        out[col] = pd.to_numeric(sup[col], errors="coerce").to_numpy() if col in sup \
            else np.nan
    br = analysis.blast_radius.reindex(ids)
    reg = analysis.risk_register.reindex(ids)
    out["capabilities_lost"] = br["capabilities_lost"].fillna(0).astype(int).to_numpy()
    out["nations_lost"] = br["nations_lost"].fillna(0).astype(int).to_numpy()
    out["spof_count"] = br["spof_count"].fillna(0).astype(int).to_numpy()
    out["score"] = reg["score"].to_numpy(dtype=float)
    out["rank"] = reg["rank"].to_numpy()
    out["why"] = reg["why"].to_numpy()
    return out.sort_values(["score"], ascending=False, kind="stable")


# ----------------------------------------------------------------------------- graph


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


def _edges_among(network: SupplyNetwork, keep: np.ndarray) -> pd.DataFrame:
    """Every edge between two kept nodes (``keep``: boolean mask over compiled nodes)."""
    c = network.compiled
    src = c.member.astype(np.int64)
    grp = c.member_group
    dst = c.group_node[grp].astype(np.int64)
    m = keep[src] & keep[dst]
    src, dst, grp = src[m], dst[m], grp[m]
    gkind = c.group_kind[grp]
    share = np.where(gkind == GROUP_SOURCING, c.weight[m], np.nan)
    df = pd.DataFrame({
        "source": c.ids[src],
        "target": c.ids[dst],
        "relation": _relation(c, src, dst, gkind),
        "share": share,
    })
    return df.drop_duplicates(["source", "target"], ignore_index=True)


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
    if direction not in DIRECTIONS:
        raise UsageError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if depth is not None and (not isinstance(depth, (int, np.integer)) or isinstance(depth, bool)
                              or depth < 0):
        raise UsageError(f"depth must be a whole number >= 0 or None, got {depth!r}")
    if not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise UsageError(f"max_nodes must be a whole number >= 1, got {max_nodes!r}")
    c = network.compiled
    if focus is not None:
        seeds = [_check_id(network, focus, "focus")]
    else:
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
        seeds = [c.index[x] for x in caps.index[mask]]
        if not seeds:
            raise UsageError("no capability matches both the nation and the platform filters")
    topo = c.topology
    dist: dict[int, int] = {}
    if direction in ("upstream", "both"):
        dist.update(topo.distances(seeds, downstream=False, depth=depth))
    if direction in ("downstream", "both"):
        for v, d in topo.distances(seeds, downstream=True, depth=depth).items():
            dist[v] = min(d, dist.get(v, d))
    order = sorted(dist, key=lambda v: (dist[v], v))
    reachable = len(order)
    kept = order[:max_nodes]
    keep = np.zeros(c.n, dtype=bool)
    keep[kept] = True
    kept_ids = c.ids[kept]

    seed_ids = [c.ids[s] for s in seeds]
    spof = analysis.spof
    seed_caps = [s for s in seed_ids if s.startswith("capability:")]
    if seed_caps:
        rows = spof[spof.index.isin(seed_caps) & ~spof["trivial"]]
        spof_set = set(rows["failure_point"])
    else:
        br = analysis.blast_radius
        spof_set = set(br.index[br["spof_count"] > 0])
    nodes = network.nodes.loc[kept_ids, ["kind", "name", "nation_id", "alignment",
                                         "component_kind"]].copy()
    nodes["distance"] = [dist[v] for v in kept]
    nodes["seed"] = nodes.index.isin(seed_ids)
    nodes["spof"] = nodes.index.isin(list(spof_set))
    nodes["capabilities_lost"] = analysis.blast_radius["capabilities_lost"] \
        .reindex(kept_ids).fillna(0).astype(int).to_numpy()
    return Subgraph(nodes=nodes, edges=_edges_among(network, keep), reachable=reachable,
                    truncated=reachable > len(kept), seeds=seed_ids)


def node_detail(network: SupplyNetwork, analysis, node: str) -> dict:
    """Everything a side panel shows about one node.

    Returns
    -------
    dict
        ``id``, ``kind``, ``name``, ``nation_id``, ``nation_name``, ``alignment``;
        ``attributes`` (the node's row of its input table, missing cells left out);
        ``register`` (``score``, ``rank``, ``why``; None for a capability);
        ``blast`` (``capabilities_lost``, ``nations_lost``, ``spof_count``; None for a
        capability); ``inputs`` (DataFrame: one row per direct input with ``group``
        (how the inputs combine, e.g. ``"all of"``, ``"any 1 of 3"``), ``input``, ``name``,
        ``kind``, ``share``); ``upstream`` (every node it needs, directly or not, nearest
        first) and ``downstream`` (every node that needs it, nearest first), as lists of
        typed ids; ``capabilities`` (DataFrame of the capabilities downstream, indexed by
        typed id, with ``name`` and ``spof`` (it alone takes the capability down)).

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
    v = _check_id(network, node)
    c = network.compiled
    info = network.nodes.loc[node]
    kind = info["kind"]
    nations = _nation_names(network)
    table = {"nation": network.package.nations, "supplier": network.package.suppliers,
             "component": network.package.components}.get(kind)
    attributes = {}
    if table is not None:
        rec = table.loc[info["id"]]
        attributes = {k: (val.item() if isinstance(val, np.generic) else val)
                      for k, val in rec.items() if not (isinstance(val, float) and np.isnan(val))
                      and val is not None and k != "name"}

    rows = []
    nodes = network.nodes
    for g in range(c.group_ptr[v], c.group_ptr[v + 1]):
        members = c.member[c.member_ptr[g]:c.member_ptr[g + 1]]
        weights = c.weight[c.member_ptr[g]:c.member_ptr[g + 1]]
        k, n = int(c.group_k[g]), len(members)
        gk = int(c.group_kind[g])
        label = "all of" if n == 1 else (f"any {k} of {n}" if k < n else f"all {n} of {n}")
        for m, w in zip(members.tolist(), weights.tolist()):
            mid = c.ids[m]
            rows.append({"group": label, "input": mid, "name": nodes.at[mid, "name"],
                         "kind": nodes.at[mid, "kind"],
                         "share": w if gk == GROUP_SOURCING else np.nan})
    inputs = pd.DataFrame(rows, columns=["group", "input", "name", "kind", "share"])

    up = c.topology.distances([v], downstream=False)
    down = c.topology.distances([v], downstream=True)
    up_ids = [c.ids[u] for u in sorted(up, key=lambda u: (up[u], u)) if u != v]
    down_ids = [c.ids[u] for u in sorted(down, key=lambda u: (down[u], u)) if u != v]
    caps = [d for d in down_ids if d.startswith("capability:")]
    if kind == "capability":
        caps = [node]
    spof = analysis.spof
    hit = set(spof.index[(spof["failure_point"] == node) & ~spof["trivial"]])
    cap_table = pd.DataFrame(
        {"name": network.capabilities["name"].reindex(caps).to_numpy(),
         "spof": [x in hit for x in caps]},
        index=pd.Index(caps, name="capability"))

    register = blast = None
    if kind != "capability":
        reg = analysis.risk_register.loc[node]
        register = {"score": float(reg["score"]), "rank": int(reg["rank"]), "why": reg["why"]}
        br = analysis.blast_radius.loc[node]
        blast = {"capabilities_lost": int(br["capabilities_lost"]),
                 "nations_lost": int(br["nations_lost"]),
                 "spof_count": int(br["spof_count"])}
    nation_id = info["nation_id"] if isinstance(info["nation_id"], str) else None
    return {
        "id": node,
        "kind": kind,
        "name": info["name"],
        "nation_id": nation_id,
        "nation_name": nations.get(nation_id) if nation_id else None,
        "alignment": info["alignment"] if isinstance(info["alignment"], str) else None,
        "attributes": attributes,
        "register": register,
        "blast": blast,
        "inputs": inputs,
        "upstream": up_ids,
        "downstream": down_ids,
        "capabilities": cap_table,
    }


# ----------------------------------------------------------------------------- nations


@dataclass(frozen=True)
class Heatmap:
    """A matrix ready to draw: values with row and column ids and readable labels."""

    z: pd.DataFrame
    row_labels: list
    col_labels: list


def exposure_heatmap(network: SupplyNetwork, exposure: pd.DataFrame, *,
                     platforms: Iterable[str] | None = None,
                     impacted_only: bool = True) -> Heatmap:
    """Failing nation × capability loss fraction, for a heatmap (DESIGN §4.4).

    Rows are failing nations, most damaging first (by mean loss); with ``impacted_only``
    nations whose failure costs nothing are left out. Columns are capabilities ordered by
    platform then nation, optionally only of ``platforms``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import nation_exposure
    >>> net = load_network("tests/fixtures/worked")
    >>> h = exposure_heatmap(net, nation_exposure(net))
    >>> h.row_labels, h.col_labels
    (['United States (USA)', 'Germany (DEU)'], ['USA P1', 'USA P2'])
    """
    from riskgraph.analyses.exposure import exposure_matrix

    m = exposure_matrix(exposure, value="loss_fraction")
    caps = network.capabilities.reindex(m.columns)
    if platforms is not None:
        platforms = [platforms] if isinstance(platforms, str) else list(platforms)
        unknown = sorted(set(platforms) - set(caps["platform_id"]))
        if unknown:
            raise UsageError(f"no capability with platform {', '.join(map(repr, unknown))}")
        keep = caps["platform_id"].isin(platforms).to_numpy()
        m, caps = m.loc[:, keep], caps[keep]
    col_order = caps.sort_values(["platform_id", "nation_id"], kind="stable").index
    m = m[col_order]
    caps = caps.reindex(col_order)
    mean = m.mean(axis=1)
    if impacted_only:
        m = m[(m > 0).any(axis=1)]
        mean = mean.reindex(m.index)
    m = m.loc[mean.sort_values(ascending=False, kind="stable").index]
    names = _nation_names(network)
    rows = [f"{names.get(r.split(':', 1)[1], r)} ({r.split(':', 1)[1]})" for r in m.index]
    cols = [f"{n} {p}" for n, p in zip(caps["nation_id"], caps["platform_id"])]
    return Heatmap(z=m, row_labels=rows, col_labels=cols)


def survivability_summary(survivability: pd.DataFrame) -> dict:
    """The headline of an alliance-only survivability table.

    Parameters
    ----------
    survivability
        :func:`riskgraph.analyses.exposure.alliance_survivability`.

    Returns
    -------
    dict
        ``capabilities``, ``up`` (still available), ``mean_supply_fraction`` and
        ``failed_nations`` (ids of the nations cut off).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import alliance_survivability
    >>> s = survivability_summary(alliance_survivability(load_network("tests/fixtures/worked")))
    >>> s["up"], s["capabilities"], s["failed_nations"]
    (2, 2, [])
    """
    n = len(survivability)
    return {
        "capabilities": int(n),
        "up": int(survivability["up"].sum()),
        "mean_supply_fraction": float(survivability["supply_fraction"].mean()) if n else 1.0,
        "failed_nations": list(survivability.attrs.get("failed_nations", [])),
    }


def nation_dependence(network: SupplyNetwork, exposure: pd.DataFrame,
                      failing_nation: str) -> pd.DataFrame:
    """How much each fielding nation depends on one nation (for a choropleth).

    Parameters
    ----------
    exposure
        :func:`riskgraph.analyses.exposure.nation_exposure` of ``network``.
    failing_nation
        ``'CHN'`` or ``'nation:CHN'``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``nation_id`` of each fielding nation: ``name``, ``capabilities``
        (fielded), ``capabilities_lost`` (not up when the nation fails),
        ``mean_loss_fraction`` and ``max_loss_fraction`` over its capabilities.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import nation_exposure
    >>> net = load_network("tests/fixtures/worked")
    >>> nation_dependence(net, nation_exposure(net), "DEU").round(2).to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'name': 'United States', 'capabilities': 2, 'capabilities_lost': 0,
      'mean_loss_fraction': 0.4, 'max_loss_fraction': 0.4}]
    """
    if not isinstance(failing_nation, str) or not failing_nation:
        raise UsageError(f"nation must be an id such as 'CHN', got {failing_nation!r}")
    typed = failing_nation if failing_nation.startswith("nation:") else f"nation:{failing_nation}"
    i = _check_id(network, typed, "nation")
    if network.compiled.kind[i] != NATION:
        raise UsageError(f"{failing_nation!r} is not a nation")
    levels = exposure.index.get_level_values("failing_nation")
    if typed not in set(levels):
        raise UsageError(f"the exposure table has no rows for {typed}")
    sub = exposure.loc[typed]
    g = sub.groupby("nation_id", sort=True)
    out = pd.DataFrame({
        "capabilities": g.size(),
        "capabilities_lost": (~sub["up"]).groupby(sub["nation_id"], sort=True).sum(),
        "mean_loss_fraction": g["loss_fraction"].mean(),
        "max_loss_fraction": g["loss_fraction"].max(),
    })
    out.insert(0, "name", _nation_names(network).reindex(out.index).to_numpy())
    out["capabilities"] = out["capabilities"].astype(int)
    out["capabilities_lost"] = out["capabilities_lost"].astype(int)
    out.index.name = "nation_id"
    return out


# ----------------------------------------------------------------------------- what-if


def _scenario_rows(capabilities: pd.DataFrame, scenario: str) -> pd.DataFrame:
    if not isinstance(scenario, str):
        raise UsageError(f"scenario must be a scenario name, got {scenario!r}")
    rows = capabilities[capabilities["scenario"] == scenario]
    if rows.empty:
        known = list(dict.fromkeys(capabilities["scenario"]))
        raise UsageError(f"no results for scenario {scenario!r}; known: {known}")
    return rows


def capability_matrix(network: SupplyNetwork, table: pd.DataFrame, value: str) -> Heatmap:
    """Nation × platform matrix of one column of a per-capability table.

    ``table`` is any table with ``nation_id`` and ``platform_id`` columns and one row per
    capability (survivability, one scenario's what-if rows, Monte Carlo results). Cells
    where a nation does not field the platform are NaN; labels are names.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import alliance_survivability
    >>> net = load_network("tests/fixtures/worked")
    >>> m = capability_matrix(net, alliance_survivability(net), "supply_fraction")
    >>> m.z.round(2).to_dict("index")
    {'USA': {'P1': 1.0, 'P2': 1.0}}
    """
    for col in ("nation_id", "platform_id", value):
        if col not in table.columns:
            raise UsageError(f"the table has no {col!r} column")
    if value in ("nation_id", "platform_id", "scenario"):
        raise UsageError(f"{value!r} is not a value column")
    z = table.pivot_table(index="nation_id", columns="platform_id", values=value,
                          aggfunc="first", dropna=False, observed=True)
    z = z.astype(float).sort_index().sort_index(axis=1)
    nations = _nation_names(network)
    comps = network.package.components["name"]
    return Heatmap(z=z, row_labels=[nations.get(n, n) for n in z.index],
                   col_labels=[comps.get(p, p) for p in z.columns])


def whatif_matrix(network: SupplyNetwork, capabilities: pd.DataFrame, scenario: str, *,
                  value: str = "loss_fraction") -> Heatmap:
    """Nation × platform matrix of one what-if column for one scenario (see
    :func:`capability_matrix`).

    Parameters
    ----------
    capabilities
        ``WhatIfResult.capabilities`` (scenarios stacked).
    scenario
        The scenario's name.
    value
        ``loss_fraction``, ``days_lost``, ``time_to_impact_days``, ...

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> from riskgraph.analyses.whatif import run_scenarios
    >>> net = load_network("tests/fixtures/worked")
    >>> res = run_scenarios(net, [Scenario("A", fail=["supplier:S_A"])])
    >>> whatif_matrix(net, res.capabilities, "A").z.to_dict("index")
    {'USA': {'P1': 1.0, 'P2': 0.0}}
    """
    return capability_matrix(network, _scenario_rows(capabilities, scenario), value)


def down_intervals(network: SupplyNetwork, scenario) -> pd.DataFrame:
    """When each capability is down and when it recovers, within the scenario's horizon.

    The exact down sets of DESIGN §3.3 (stock included) that
    :func:`riskgraph.analyses.whatif.run_scenarios` summarises as ``time_to_impact_days`` (the first
    start) and ``days_lost`` (the total length).

    Returns
    -------
    pandas.DataFrame
        One row per down interval: ``capability``, ``nation_id``, ``platform_id``, ``name``,
        ``start_day``, ``end_day`` (down on ``[start_day, end_day)``); capabilities never
        down are left out. Sorted by start day, then capability.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> net = load_network("tests/fixtures/worked")
    >>> s = Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 100})
    >>> down_intervals(net, s)[["capability", "start_day", "end_day"]].values.tolist()
    [['capability:USA/P1', 0.0, 100.0]]
    """
    # The interval pass is the what-if engine's own (one implementation of §3.3).
    from riskgraph.model.scenario import Scenario
    from riskgraph.analyses.whatif import down_sets

    if not isinstance(scenario, Scenario):
        raise UsageError(f"expected a Scenario, got {type(scenario).__name__}")
    c = network.compiled
    down = {c.index[k]: v for k, v in down_sets(network, scenario).items()}
    caps = network.capabilities
    rows = []
    for v in c.capabilities.tolist():
        for a, b in down.get(v, []):
            cap = c.ids[v]
            rows.append((cap, caps.at[cap, "nation_id"], caps.at[cap, "platform_id"],
                         caps.at[cap, "name"], float(a), float(b)))
    df = pd.DataFrame(rows, columns=["capability", "nation_id", "platform_id", "name",
                                     "start_day", "end_day"])
    return df.sort_values(["start_day", "capability"], kind="stable", ignore_index=True)


def whatif_headline(capabilities: pd.DataFrame, scenario: str,
                    capability: str | None = None) -> dict:
    """The few numbers that sum up one what-if run.

    Returns
    -------
    dict
        ``capabilities`` (in the run), ``capabilities_down`` (down on some day within the
        horizon, stock included), ``capabilities_not_up`` (not available while the failures
        last), ``nations_affected`` (fielding nations with a capability down),
        ``mean_loss_fraction``; and with ``capability``: ``focus`` = its row as a dict
        (``up``, ``loss_fraction``, ``time_to_impact_days`` (None if never),
        ``days_lost``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> from riskgraph.analyses.whatif import run_scenarios
    >>> net = load_network("tests/fixtures/worked")
    >>> res = run_scenarios(net, [Scenario("A", fail=["supplier:S_A"],
    ...                                    days={"supplier:S_A": 180})])
    >>> h = whatif_headline(res.capabilities, "A", "capability:USA/P1")
    >>> h["capabilities_down"], h["focus"]["days_lost"], h["focus"]["time_to_impact_days"]
    (1, 180.0, 0.0)
    """
    rows = _scenario_rows(capabilities, scenario)
    down = rows["days_lost"] > 0
    out = {
        "capabilities": int(len(rows)),
        "capabilities_down": int(down.sum()),
        "capabilities_not_up": int((~rows["up"]).sum()),
        "nations_affected": int(rows.loc[down, "nation_id"].nunique()),
        "mean_loss_fraction": float(rows["loss_fraction"].mean()) if len(rows) else 0.0,
    }
    if capability is not None:
        if capability not in rows.index:
            raise UsageError(f"{capability!r} is not a capability of this run")
        r = rows.loc[capability]
        tti = r["time_to_impact_days"]
        out["focus"] = {
            "up": bool(r["up"]),
            "loss_fraction": float(r["loss_fraction"]),
            "time_to_impact_days": None if pd.isna(tti) else float(tti),
            "days_lost": float(r["days_lost"]),
        }
    return out
