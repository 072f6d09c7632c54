"""Tests for riskgraph.analyses.centrality (docs/design.md §4.5).

The vectorised level-by-level measures are checked against networkx on ``network.graph``:
betweenness against ``networkx.betweenness_centrality`` (exact, and sampled with the same
``k`` and seed), downstream reach against ``networkx.descendants``, tier against shortest
path lengths to the platforms.
"""

from __future__ import annotations

import math
import random
import sys
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randpkg import write_random_package
from riskgraph import load_network
from riskgraph.analyses.centrality import dependencies_numpy, dependencies_igraph, centrality
from riskgraph.errors import UsageError

COLUMNS = ["kind", "name", "betweenness", "downstream_capabilities", "downstream_nations",
           "tier", "in_degree", "out_degree"]


@pytest.fixture
def worked(worked_dir):
    return load_network(worked_dir)


@pytest.fixture
def many_fielders(tmp_path) -> Path:
    """Wide bitsets: 130 nations (three 64-bit words) field platform P; the first 70 also
    field Q; 140 more platforms E000-E139 are each fielded by one nation (N{i mod 130}),
    the first 40 by a second one too (100 + 40 platforms: three words of platforms).
    P = X, Q = X + Y, every E = X; X comes from S1 (nation N000), Y from S2 (N001)."""
    folder = tmp_path / "many"
    folder.mkdir()
    nations = [f"N{i:03d}" for i in range(130)]
    extra = [f"E{i:03d}" for i in range(140)]
    (folder / "nations.csv").write_text(
        "nation_id,name,alignment\n" + "".join(f"{n},Nation {n},member\n" for n in nations),
        encoding="utf-8")
    (folder / "suppliers.csv").write_text(
        "supplier_id,name,nation_id\nS1,One,N000\nS2,Two,N001\n", encoding="utf-8")
    (folder / "components.csv").write_text(
        "component_id,name,kind\nP,Platform P,platform\nQ,Platform Q,platform\n"
        "X,Part X,part\nY,Part Y,part\n"
        + "".join(f"{e},Platform {e},platform\n" for e in extra), encoding="utf-8")
    (folder / "bom.csv").write_text(
        "parent_id,child_id\nP,X\nQ,X\nQ,Y\n" + "".join(f"{e},X\n" for e in extra),
        encoding="utf-8")
    (folder / "sourcing.csv").write_text(
        "component_id,supplier_id,share\nX,S1,1\nY,S2,1\n", encoding="utf-8")
    fielding = [(n, "P") for n in nations] + [(n, "Q") for n in nations[:70]]
    fielding += [(nations[i % 130], e) for i, e in enumerate(extra)]
    fielding += [(nations[(i + 1) % 130], e) for i, e in enumerate(extra[:40])]
    (folder / "fielding.csv").write_text(
        "nation_id,platform_id\n" + "".join(f"{n},{p}\n" for n, p in fielding),
        encoding="utf-8")
    return folder


# --------------------------------------------------------------------- hand values


def test_worked_values(worked):
    cen = centrality(worked)
    assert list(cen.columns) == COLUMNS
    assert list(cen.index) == list(worked.compiled.ids) and cen.index.name == "node"
    assert cen.loc["nation:USA", "downstream_capabilities"] == 2
    assert cen.loc["supplier:S_A", "downstream_capabilities"] == 1  # only P1 needs A
    assert cen.loc["component:B", "downstream_capabilities"] == 2
    assert (cen["downstream_nations"][cen["kind"] != "capability"] == 1).all()
    # tiers: P 0; C, B 1 (BOM children of P1, P2); A 2; S_A 3, S_B* 2; USA via S_B1 3
    tiers = cen["tier"].to_dict()
    assert tiers["component:P1"] == tiers["component:P2"] == 0
    assert tiers["component:C"] == tiers["component:B"] == 1
    assert tiers["component:A"] == 2
    assert tiers["supplier:S_A"] == 3 and tiers["supplier:S_B2"] == 2
    assert tiers["nation:USA"] == tiers["nation:DEU"] == 3
    assert np.isnan(tiers["capability:USA/P1"])
    assert cen.loc["component:B", ["in_degree", "out_degree"]].tolist() == [2, 2]
    assert cen.loc["nation:USA", ["in_degree", "out_degree"]].tolist() == [0, 2]
    assert cen.loc["capability:USA/P1", "downstream_capabilities"] == 0


def test_worked_betweenness_by_hand(worked):
    """Betweenness counted by hand for a nation, a sink and S_A."""
    cen = centrality(worked)
    n = len(cen)
    # nations, sources with nothing above them, and sinks lie on no path
    assert cen.loc["nation:USA", "betweenness"] == 0
    assert cen.loc["capability:USA/P1", "betweenness"] == 0
    # S_A lies on the only USA -> A path, and on one of the two shortest paths
    # (via A or via B) from USA to C, to P1 and to capability USA/P1: 1 + 3 x 1/2
    assert cen.loc["supplier:S_A", "betweenness"] == \
        pytest.approx(2.5 / ((n - 1) * (n - 2)))
    assert cen.attrs == {"betweenness_sources": n, "betweenness_exact": True}


def test_matches_networkx_on_worked(worked):
    cen = centrality(worked)
    expected = nx.betweenness_centrality(worked.graph)
    assert cen["betweenness"].to_dict() == pytest.approx(expected)


def test_bitsets_wider_than_one_word(many_fielders):
    net = load_network(many_fielders)
    for cells in (1, 13, 10 ** 6):
        cen = centrality(net, max_cells=cells)
        assert cen.loc["component:X", "downstream_capabilities"] == 130 + 70 + 140 + 40
        assert cen.loc["component:X", "downstream_nations"] == 130
        assert cen.loc["component:E005", "downstream_capabilities"] == 2
        assert cen.loc["component:E100", "downstream_nations"] == 1
        assert cen.loc["supplier:S2", "downstream_capabilities"] == 70
        assert cen.loc["nation:N001", "downstream_nations"] == 70
        assert cen.loc["component:Q", "downstream_capabilities"] == 70
        assert cen.loc["nation:N129", "downstream_capabilities"] == 0
        assert np.isnan(cen.loc["nation:N129", "tier"])
        assert cen.loc["nation:N000", "tier"] == 3


def test_sampling_above_threshold_is_seeded(worked):
    n = len(worked.compiled.ids)
    a = centrality(worked, k=4, seed=3)
    assert a.attrs == {"betweenness_sources": 4, "betweenness_exact": False}
    pd.testing.assert_frame_equal(a, centrality(worked, k=4, seed=3))
    assert a["betweenness"].to_dict() == \
        pytest.approx(nx.betweenness_centrality(worked.graph, k=4, seed=3))
    # default k (256) >= n: exact even above the threshold
    assert centrality(worked, sample_threshold=2).attrs["betweenness_exact"]
    assert centrality(worked, k=n).attrs["betweenness_exact"]


def test_seeds_draw_different_samples(worked):
    results = {tuple(centrality(worked, k=3, seed=s)["betweenness"].round(12))
               for s in range(10)}
    assert len(results) > 1


@pytest.mark.parametrize("kwargs", [{"k": 1}, {"k": 0}, {"k": 2.5}, {"seed": "x"},
                                    {"seed": None}, {"max_cells": 0}])
def test_bad_parameters(worked, kwargs):
    with pytest.raises(UsageError):
        centrality(worked, **kwargs)


def test_does_not_mutate_network(worked):
    edges = sorted(worked.graph.edges)
    level = worked.compiled.level.copy()
    centrality(worked, k=3)
    assert sorted(worked.graph.edges) == edges
    assert (worked.compiled.level == level).all()


# ------------------------------------------------------------ against networkx


def check_against_networkx(net, cen):
    g = net.graph
    expected = nx.betweenness_centrality(g)
    platforms = [v for v, d in g.nodes(data=True) if d.get("component_kind") == "platform"]
    to_platform = nx.multi_source_dijkstra_path_length(g.reverse(copy=True), platforms)
    for v in g:
        row = cen.loc[v]
        assert math.isclose(row["betweenness"], expected[v], rel_tol=1e-9, abs_tol=1e-12)
        caps = [d for d in nx.descendants(g, v) if d.startswith("capability:")]
        assert row["downstream_capabilities"] == len(caps)
        assert row["downstream_nations"] == len({g.nodes[d]["nation_id"] for d in caps})
        if v.startswith("capability:") or v not in to_platform:
            assert np.isnan(row["tier"])
        else:
            assert row["tier"] == to_platform[v]
        assert row["in_degree"] == g.in_degree(v)
        assert row["out_degree"] == g.out_degree(v)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ownership=st.booleans())
def test_matches_networkx_on_random_packages(seed, ownership):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        write_random_package(rng, folder)
        net = load_network(folder, ownership=ownership)
    cen = centrality(net, max_cells=rng.choice([1, 7, 10 ** 6]))
    check_against_networkx(net, cen)
    n = len(cen)
    if n > 3:
        k, s = rng.randint(2, n - 1), rng.randint(0, 10 ** 6)
        sampled = centrality(net, k=k, seed=s, max_cells=rng.choice([1, 7, 10 ** 6]))
        expected = nx.betweenness_centrality(net.graph, k=k, seed=s)
        for v, value in expected.items():
            assert math.isclose(sampled.loc[v, "betweenness"], value, rel_tol=1e-9,
                                abs_tol=1e-12)


# ------------------------------------------------- python-igraph (the `fast` extra) or NumPy


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ownership=st.booleans())
def test_igraph_and_numpy_sweeps_agree(seed, ownership):
    pytest.importorskip("igraph")
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        write_random_package(rng, folder)
        net = load_network(folder, ownership=ownership)
    c = net.compiled
    sources = np.asarray(rng.sample(range(c.n), rng.randint(1, c.n)), dtype=np.int64)
    fast = dependencies_igraph(c.topology, sources)
    slow = dependencies_numpy(c.topology, c.level, c.n, sources,
                              max_cells=rng.choice([1, 7, 10 ** 6]))
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("igraph_installed", [True, False])
def test_sampled_betweenness_with_and_without_igraph(worked, monkeypatch, igraph_installed):
    if igraph_installed:
        pytest.importorskip("igraph")
    else:
        monkeypatch.setitem(sys.modules, "igraph", None)  # import igraph raises ImportError
        assert dependencies_igraph(worked.compiled.topology, np.arange(3)) is None
    cen = centrality(worked, k=5, seed=7)
    assert cen["betweenness"].to_dict() == \
        pytest.approx(nx.betweenness_centrality(worked.graph, k=5, seed=7), rel=1e-12)
