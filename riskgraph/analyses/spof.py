"""Exact single points of failure and critical pairs (DESIGN §4.1–4.2).

``crit(v)`` is the set of failure points whose failure alone makes ``v`` unavailable. In
one topological pass over the compiled groups::

    crit(v) = {v if v is a failure point}  ∪  ⋃ over v's groups of crit(group)
    crit(group with k of n members) = points in at least n − k + 1 members' crit sets

(``k = 1``: the intersection; a single required input: its set). This is exact on a DAG.
Dominator trees are only right when every node needs *any one* of its inputs, and
articulation points ignore direction and AND/OR altogether: neither is used here
(``tests/test_spof.py`` shows both missing a true SPOF).

Critical pairs reuse the same recursion: with ``x`` failed, the nodes downstream of ``x``
are recomputed; every ``y`` that becomes a SPOF of capability ``c`` forms a pair ``{x, y}``
(neither member a SPOF of ``c`` on its own).
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from riskgraph.model.network import CAPABILITY, SupplyNetwork

__all__ = ["single_points_of_failure", "blast_radius", "critical_pairs", "crit_sets"]

#: Marker for a node that is already down (failed, or cut off by failures).
DEAD = None


def _group_crit(sets: list, k: int):
    """crit of a k-of-n group from its members' crit sets (DEAD members count as down)."""
    alive = [s for s in sets if s is not DEAD]
    if len(alive) < k:
        return DEAD
    if len(alive) == 1:
        return alive[0]
    need = len(alive) - k + 1
    if need == 1:
        return frozenset().union(*alive)
    if need == len(alive):
        smallest = min(alive, key=len)
        return smallest.intersection(*[s for s in alive if s is not smallest])
    counts: dict[int, int] = {}
    for s in alive:
        for x in s:
            counts[x] = counts.get(x, 0) + 1
    return frozenset(x for x, n in counts.items() if n >= need)


def _node_crit(c, v: int, crit: list, is_fp: np.ndarray, failed: int = -1):
    if v == failed:
        return DEAD
    parts = []
    for g in range(c.group_ptr[v], c.group_ptr[v + 1]):
        members = c.member[c.member_ptr[g]:c.member_ptr[g + 1]]
        gc = _group_crit([crit[m] for m in members], int(c.group_k[g]))
        if gc is DEAD:
            return DEAD
        parts.append(gc)
    own = (v,) if is_fp[v] else ()
    if not parts:
        return frozenset(own)
    if len(parts) == 1 and not own:
        return parts[0]
    return frozenset(own).union(*parts)


def crit_sets(network: SupplyNetwork, *, capabilities_only: bool = False) -> list:
    """crit(v) of every node, as frozensets of compiled indices (in compiled order).

    With ``capabilities_only`` the sets of other nodes are released as soon as their last
    consumer has been computed (they come back as None): memory then peaks at the widest
    topological frontier instead of holding every set at once.
    """
    c = network.compiled
    is_fp = c.kind != CAPABILITY
    crit: list = [DEAD] * c.n
    if not capabilities_only:
        for v in range(c.n):
            crit[v] = _node_crit(c, v, crit, is_fp)
        return crit
    remaining = np.bincount(c.member, minlength=c.n)
    keep = c.kind == CAPABILITY
    for v in range(c.n):
        crit[v] = _node_crit(c, v, crit, is_fp)
        members = c.member[c.member_ptr[c.group_ptr[v]]:c.member_ptr[c.group_ptr[v + 1]]]
        for m in members.tolist():
            remaining[m] -= 1
            if remaining[m] == 0 and not keep[m]:
                crit[m] = None
    return crit


def _visible(c, platform: int) -> set[int]:
    """The platform and its direct inputs (tier 1): SPOFs outside this set are hidden."""
    seen = {platform}
    for g in range(c.group_ptr[platform], c.group_ptr[platform + 1]):
        seen.update(c.member[c.member_ptr[g]:c.member_ptr[g + 1]].tolist())
    return seen


def _platform_of(c, cap: int) -> int:
    return int(c.member[c.member_ptr[c.group_ptr[cap]]])


def single_points_of_failure(network: SupplyNetwork) -> pd.DataFrame:
    """Every SPOF of every capability.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability`` (typed id), one row per (capability, SPOF), in compiled
        order, with columns ``nation_id``, ``platform_id``, ``failure_point`` (typed id),
        ``kind``, ``name``, ``trivial`` (the platform itself) and ``hidden`` (neither the
        platform nor one of its direct inputs — a direct supplier or a BOM child — i.e.
        invisible at tier 1).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> spof = single_points_of_failure(load_network("tests/fixtures/worked"))
    >>> sorted(spof.loc["capability:USA/P2", "failure_point"])
    ['component:B', 'component:P2']
    """
    c = network.compiled
    crit = crit_sets(network, capabilities_only=True)
    caps = network.capabilities
    nodes = network.nodes
    rows = []
    for cap in c.capabilities:
        platform = _platform_of(c, cap)
        visible = _visible(c, platform)
        s = crit[cap]
        if s is DEAD:  # cannot happen without failures; kept for safety
            continue
        for x in sorted(s):
            rows.append((c.ids[cap], c.ids[x], x == platform, x not in visible))
    df = pd.DataFrame(rows, columns=["capability", "failure_point", "trivial", "hidden"])
    df["nation_id"] = caps["nation_id"].reindex(df["capability"]).to_numpy()
    df["platform_id"] = caps["platform_id"].reindex(df["capability"]).to_numpy()
    df["kind"] = nodes["kind"].reindex(df["failure_point"]).to_numpy()
    df["name"] = nodes["name"].reindex(df["failure_point"]).to_numpy()
    df["trivial"] = df["trivial"].astype(bool)
    df["hidden"] = df["hidden"].astype(bool)
    cols = ["nation_id", "platform_id", "failure_point", "kind", "name", "trivial", "hidden"]
    return _by_capability(df.set_index("capability")[cols])


def blast_radius(network: SupplyNetwork, spof: pd.DataFrame | None = None) -> pd.DataFrame:
    """What each failure point takes down on its own.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failure_point`` (every nation, supplier and component, compiled order)
        with ``kind``, ``name``, ``capabilities_lost`` and ``nations_lost`` (distinct nations
        that lose at least one capability), ``spof_count`` (capabilities for which it is a
        non-trivial SPOF), ``hidden_count`` and ``capabilities`` (';'-joined ids).
    """
    if spof is None:
        spof = single_points_of_failure(network)
    c = network.compiled
    nodes = network.nodes
    fps = c.ids[c.failure_points]
    long = spof.reset_index()
    grouped = long.groupby("failure_point", sort=False)
    out = pd.DataFrame(index=pd.Index(fps, name="failure_point"))
    out["kind"] = nodes["kind"].reindex(fps).to_numpy()
    out["name"] = nodes["name"].reindex(fps).to_numpy()
    out["capabilities_lost"] = grouped.size().reindex(fps).fillna(0).astype(int).to_numpy()
    out["nations_lost"] = grouped["nation_id"].nunique().reindex(fps).fillna(0) \
        .astype(int).to_numpy()
    nontrivial = long[~long["trivial"]].groupby("failure_point", sort=False)
    out["spof_count"] = nontrivial.size().reindex(fps).fillna(0).astype(int).to_numpy()
    out["hidden_count"] = long[long["hidden"]].groupby("failure_point").size() \
        .reindex(fps).fillna(0).astype(int).to_numpy()
    out["capabilities"] = grouped["capability"].agg(lambda s: ";".join(s)) \
        .reindex(fps).fillna("").to_numpy()
    return out


def _grown(base_set, change):
    """A crit set after a change: DEAD, or the base set grown by the change."""
    if change is DEAD:
        return DEAD
    return base_set | change if change else base_set


def _by_capability(df: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by (nation_id, platform_id), keeping compiled order inside a group."""
    return df.sort_values(["nation_id", "platform_id"], kind="stable")


def critical_pairs(network: SupplyNetwork, *, max_pairs_per_capability: int | None = None
                   ) -> pd.DataFrame:
    """Order-2 minimal cut sets per capability (DESIGN §4.2).

    Parameters
    ----------
    max_pairs_per_capability
        Keep at most this many pairs per capability (``None``: all), the first in compiled
        order; a guard for very large networks.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability``, one row per pair ``{a, b}`` with ``a`` before ``b`` in
        compiled (topological) order: ``nation_id``, ``platform_id``, ``failure_point_a``,
        ``failure_point_b``, ``kind_a``, ``kind_b``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> pairs = critical_pairs(load_network("tests/fixtures/worked"))
    >>> pairs.loc[["capability:USA/P1"], ["failure_point_a", "failure_point_b"]].values.tolist()
    [['nation:DEU', 'supplier:S_B1'], ['supplier:S_B1', 'supplier:S_B2']]
    """
    c = network.compiled
    is_fp = c.kind != CAPABILITY
    base = crit_sets(network)
    ptr, out = c.topology.succ_ptr, c.topology.succ
    is_cap = c.kind == CAPABILITY
    found: dict[int, set[tuple[int, int]]] = {int(cap): set() for cap in c.capabilities}
    consumers = [out[ptr[u]:ptr[u + 1]].tolist() for u in range(c.n)]
    groups = [[(c.member[c.member_ptr[g]:c.member_ptr[g + 1]].tolist(), int(c.group_k[g]))
               for g in range(c.group_ptr[v], c.group_ptr[v + 1])] for v in range(c.n)]
    empty: frozenset = frozenset()
    for x in c.failure_points.tolist():
        # With x failed, crit(w) either becomes DEAD (x ∈ crit(w)) or grows by a delta.
        # Propagate only deltas, in topological order, through nodes with a changed member;
        # full sets are touched only at k-of-n groups that lost or changed a member.
        delta: dict[int, object] = {x: DEAD}
        heap = list(consumers[x])
        queued = set(heap)
        heapq.heapify(heap)
        while heap:
            w = heapq.heappop(heap)
            old = base[w]
            if x in old:
                change = DEAD
            else:
                parts = []
                for members, k in groups[w]:
                    if not any(m in delta for m in members):
                        continue
                    if len(members) == 1:
                        parts.append(delta[members[0]])
                        continue
                    now = [_grown(base[m], delta.get(m, empty)) for m in members]
                    new_g = _group_crit(now, k)
                    if new_g is DEAD:
                        parts = DEAD
                        break
                    parts.append(new_g - _group_crit([base[m] for m in members], k))
                if parts is DEAD:
                    change = DEAD
                else:
                    change = frozenset().union(*parts) - old if parts else empty
                    if not change:
                        continue  # unchanged: nothing downstream changes through w
                    if is_cap[w]:
                        for y in change:
                            found[w].add((x, y) if x < y else (y, x))
            delta[w] = change
            for u in consumers[w]:
                if u not in queued:
                    queued.add(u)
                    heapq.heappush(heap, u)
    caps = network.capabilities
    nodes = network.nodes
    rows = []
    for cap in c.capabilities:
        pairs = sorted(found[int(cap)])
        if max_pairs_per_capability is not None:
            pairs = pairs[:max_pairs_per_capability]
        for a, b in pairs:
            rows.append((c.ids[cap], c.ids[a], c.ids[b]))
    df = pd.DataFrame(rows, columns=["capability", "failure_point_a", "failure_point_b"])
    df["nation_id"] = caps["nation_id"].reindex(df["capability"]).to_numpy()
    df["platform_id"] = caps["platform_id"].reindex(df["capability"]).to_numpy()
    df["kind_a"] = nodes["kind"].reindex(df["failure_point_a"]).to_numpy()
    df["kind_b"] = nodes["kind"].reindex(df["failure_point_b"]).to_numpy()
    cols = ["nation_id", "platform_id", "failure_point_a", "failure_point_b", "kind_a", "kind_b"]
    return _by_capability(df.set_index("capability")[cols])

