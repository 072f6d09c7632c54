"""Exact SPOFs and critical pairs (docs/design.md §4.1–4.2), against brute force and
against the per-failure-point propagation that the level-by-level recursion replaced."""

from __future__ import annotations

import heapq
import itertools
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkgtools import CHAIN, DIAMOND, MIXED, network_from
from riskgraph import load_network
from riskgraph.analyses.spof import (blast_radius, crit_sets, critical_pairs,
                                     single_points_of_failure)
from riskgraph.model.network import CAPABILITY

WORKED = Path(__file__).parent / "fixtures" / "worked"


def spofs_of(spof, cap):
    return set(spof.loc[[cap], "failure_point"]) if cap in spof.index else set()


def pairs_of(pairs, cap):
    if cap not in pairs.index:
        return set()
    sub = pairs.loc[[cap]]
    return {frozenset(p) for p in zip(sub["failure_point_a"], sub["failure_point_b"])}


@pytest.fixture(scope="module")
def worked():
    return load_network(WORKED)


def test_worked_example_spofs(worked):
    spof = single_points_of_failure(worked)
    assert spofs_of(spof, "capability:USA/P1") == {
        "supplier:S_A", "nation:USA", "component:A", "component:B", "component:C",
        "component:P1"}
    assert spofs_of(spof, "capability:USA/P2") == {"component:B", "component:P2"}
    p1 = spof.loc["capability:USA/P1"].set_index("failure_point")
    assert p1.loc["component:P1", "trivial"] and not p1.loc["component:C", "trivial"]
    # hidden: not the platform nor one of its direct inputs
    assert p1["hidden"].to_dict() == {
        "nation:USA": True, "supplier:S_A": True, "component:A": True, "component:B": True,
        "component:C": False, "component:P1": False}
    assert set(spof.columns) >= {"nation_id", "platform_id", "failure_point", "kind",
                                 "trivial", "hidden"}


def test_worked_example_pairs(worked):
    pairs = critical_pairs(worked)
    p1 = {frozenset({"supplier:S_B1", "supplier:S_B2"}),
          frozenset({"supplier:S_B1", "nation:DEU"})}
    assert pairs_of(pairs, "capability:USA/P1") == p1
    assert pairs_of(pairs, "capability:USA/P2") == p1 | {
        frozenset({"nation:USA", "supplier:S_B2"}), frozenset({"nation:USA", "nation:DEU"})}


def test_worked_example_blast_radius(worked):
    br = blast_radius(worked)
    assert br.loc["component:B", "capabilities_lost"] == 2
    assert br.loc["supplier:S_A", "capabilities_lost"] == 1
    assert br.loc["supplier:S_B1", "capabilities_lost"] == 0
    assert br.loc["nation:USA", "nations_lost"] == 1
    assert br.loc["component:P1", "spof_count"] == 0  # trivial only


def test_dominators_and_articulation_points_miss_a_true_spof(worked):
    """Why riskgraph does not use them: both miss S_A, the sole source of part A."""
    g = worked.graph.copy()
    for nation in [v for v, d in g.nodes(data=True) if d["kind"] == "nation"]:
        g.add_edge("SOURCE", nation)
    idom = nx.immediate_dominators(g, "SOURCE")
    dominators, v = set(), "capability:USA/P1"
    while v in idom and idom[v] != v and v != "SOURCE":
        v = idom[v]
        dominators.add(v)
    dominators.discard("SOURCE")
    assert dominators == {"component:C", "component:P1"}
    articulation = set(nx.articulation_points(worked.graph.to_undirected()))
    assert "supplier:S_A" not in articulation
    assert "supplier:S_A" not in dominators
    assert "supplier:S_A" in spofs_of(single_points_of_failure(worked), "capability:USA/P1")


def test_chain_everything_is_a_spof(tmp_path):
    net = network_from(tmp_path, **CHAIN)
    assert spofs_of(single_points_of_failure(net), "capability:USA/P") == {
        "nation:USA", "supplier:S1", "component:M", "component:P"}
    assert critical_pairs(net).empty


def test_diamond_hidden_tier2_source(tmp_path):
    net = network_from(tmp_path, **DIAMOND)
    spof = single_points_of_failure(net).loc["capability:USA/P"].set_index("failure_point")
    assert set(spof.index) == {"nation:USA", "nation:DEU", "supplier:S_X", "supplier:S_Y",
                               "supplier:S_Z", "component:X", "component:Y", "component:Z",
                               "component:P"}
    assert spof.loc["supplier:S_Z", "hidden"] and spof.loc["component:Z", "hidden"]
    assert not spof.loc["component:X", "hidden"]


def test_mixed_dual_substitute_min_sources(tmp_path):
    net = network_from(tmp_path, **MIXED)
    spof = spofs_of(single_points_of_failure(net), "capability:USA/P")
    # Q needs 2 of S3 (USA), S4 (USA), S5 (DEU): USA takes two of them down
    assert spof == {"component:D", "component:Q", "component:P", "nation:USA"}
    pairs = pairs_of(critical_pairs(net), "capability:USA/P")
    assert frozenset({"supplier:S3", "supplier:S4"}) in pairs
    assert frozenset({"supplier:S1", "supplier:S2"}) in pairs  # dual-sourced D
    assert frozenset({"component:G1", "component:G2"}) in pairs  # substitutes
    assert frozenset({"nation:DEU", "supplier:S3"}) in pairs  # S5 and S3 down: 1 of 3 left


# ------------------------------------------------------------------ brute force, random


def brute_force(net, failed_sets):
    """Availability of every capability for each failure set, evaluated from the tables."""
    from randpkg import ref_available

    return [ref_available(net.package, set(fs), ownership=net.ownership) for fs in failed_sets]


def check_against_brute_force(net):
    caps = list(net.capabilities.index)
    points = list(net.compiled.ids[net.compiled.failure_points])
    spof = single_points_of_failure(net)
    pairs = critical_pairs(net)
    singles = dict(zip(points, brute_force(net, [[x] for x in points])))
    for cap in caps:
        truth = {x for x in points if not singles[x][cap]}
        assert spofs_of(spof, cap) == truth, cap
    combos = list(itertools.combinations(points, 2))
    results = brute_force(net, combos)
    for cap in caps:
        truth = {frozenset(pair) for pair, up in zip(combos, results)
                 if not up[cap] and singles[pair[0]][cap] and singles[pair[1]][cap]}
        assert pairs_of(pairs, cap) == truth, cap


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), ownership=st.booleans())
def test_spof_and_pairs_match_brute_force(tmp_path_factory, seed, ownership):
    from randpkg import write_random_package

    folder = tmp_path_factory.mktemp("rand")
    write_random_package(random.Random(seed), folder)
    net = load_network(folder, ownership=ownership)
    check_against_brute_force(net)


# ------------------------------------------- the slow reference: one propagation per point
# The implementation that the level-by-level recursion replaced: with each failure point x
# failed, recompute the crit sets downstream of x; every y that becomes a SPOF of c forms
# a pair {x, y}. Kept verbatim as the obviously-correct reference.

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


def reference_crit_sets(network, *, capabilities_only: bool = False) -> list:
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


def _grown(base_set, change):
    """A crit set after a change: DEAD, or the base set grown by the change."""
    if change is DEAD:
        return DEAD
    return base_set | change if change else base_set


def reference_pairs(network) -> set:
    """{(capability id, id a, id b)} by one delta propagation per failure point."""
    c = network.compiled
    base = reference_crit_sets(network)
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
    return {(c.ids[cap], c.ids[a], c.ids[b]) for cap, pairs in found.items() for a, b in pairs}


def table_pairs(pairs) -> set:
    return set(zip(pairs.index, pairs["failure_point_a"], pairs["failure_point_b"]))


def check_against_reference(net):
    pairs = critical_pairs(net)
    assert table_pairs(pairs) == reference_pairs(net)
    assert pairs.attrs["pairs_found"] == len(pairs) and pairs.attrs["pairs_dropped"] == 0
    expected = reference_crit_sets(net)
    assert crit_sets(net) == expected
    caps_only = crit_sets(net, capabilities_only=True)
    assert [caps_only[v] for v in net.compiled.capabilities] == \
        [expected[v] for v in net.compiled.capabilities]


def test_worked_example_matches_reference(worked):
    check_against_reference(worked)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), ownership=st.booleans())
def test_pairs_and_crit_sets_match_the_reference(tmp_path_factory, seed, ownership):
    from randpkg import write_random_package

    folder = tmp_path_factory.mktemp("ref")
    write_random_package(random.Random(seed), folder)
    check_against_reference(load_network(folder, ownership=ownership))


def test_synthetic_package_matches_reference(tmp_path):
    """A generated package: deep BOMs, k-of-n sourcing, substitutes, shared parts."""
    from riskgraph.io.synthetic import generate_package

    generate_package(tmp_path, nodes=1500, seed=3)
    check_against_reference(load_network(tmp_path))


def test_max_pairs_is_counted_not_silent(worked):
    full = critical_pairs(worked)
    capped = critical_pairs(worked, max_pairs_per_capability=1)
    per_cap = full.groupby(level=0).size()
    assert capped.groupby(level=0).size().max() == 1
    assert capped.attrs["pairs_found"] == len(full)
    assert capped.attrs["pairs_dropped"] == len(full) - len(capped)
    assert capped.attrs["pairs_dropped_by_capability"] == {
        cap: count - 1 for cap, count in per_cap.items() if count > 1}
    # the kept pairs are the first in compiled order
    for cap in per_cap.index:
        assert table_pairs(capped.loc[[cap]]) <= table_pairs(full.loc[[cap]])


# ------------------------------------------------ blast radius and row order, against pandas


def reference_blast_radius(network, spof):
    """The per-group pandas version that the integer-array blast radius replaced."""
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


def check_blast_and_order(net):
    spof = single_points_of_failure(net)
    # any subset of the table, in any order, is counted and joined as pandas would
    for sub in (spof, spof.iloc[::3], spof.iloc[::-2], spof[~spof["hidden"]]):
        pd.testing.assert_frame_equal(blast_radius(net, sub), reference_blast_radius(net, sub),
                                      check_exact=True)
    # rows by (nation_id, platform_id), then compiled order of capability and failure point
    pos = net.compiled.index
    for table, point in ((spof, "failure_point"), (critical_pairs(net), "failure_point_a")):
        key = table.assign(cap_pos=[pos[v] for v in table.index],
                           point_pos=[pos[v] for v in table[point]])
        resorted = key.sort_values(["nation_id", "platform_id", "cap_pos", "point_pos"],
                                   kind="stable")
        assert (resorted.index == table.index).all()
        assert (resorted[point] == table[point]).all()


def test_blast_radius_and_row_order_match_pandas(worked, tmp_path):
    from riskgraph.io.synthetic import generate_package

    check_blast_and_order(worked)
    generate_package(tmp_path, nodes=1500, seed=5)
    check_blast_and_order(load_network(tmp_path))


def test_joined_without_arrow_matches_arrow():
    from riskgraph.analyses.spof import joined_lists

    values = pd.array(["a", "b", "c", "d"], dtype="str")
    counts = np.array([0, 3, 0, 1])
    plain = pd.array(np.array(["a", "b", "c", "d"], dtype=object), dtype=object)
    assert list(joined_lists(values, counts)) == ["", "a;b;c", "", "d"]
    assert list(joined_lists(plain, counts)) == ["", "a;b;c", "", "d"]
