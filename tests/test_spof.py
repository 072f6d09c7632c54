"""Exact SPOFs and critical pairs (DESIGN §4.1–4.2), against brute force."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkgtools import CHAIN, DIAMOND, MIXED, network_from
from riskgraph import load_network
from riskgraph.analyses.spof import blast_radius, critical_pairs, single_points_of_failure

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
