"""The topology layer against networkx on random packages: cones, distances, reach counts."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from randpkg import write_random_package
from riskgraph import load_network
from riskgraph.model.topology import ranges


def _random_network(tmp_path, seed):
    folder = tmp_path / f"pkg{seed}"
    write_random_package(random.Random(seed), folder)
    return load_network(folder)


@pytest.mark.parametrize("seed", range(12))
def test_cones_distances_and_reach_match_networkx(tmp_path, seed):
    net = _random_network(tmp_path, seed)
    c, t, g = net.compiled, net.compiled.topology, net.graph
    assert t.n_edges == g.number_of_edges()
    rng = random.Random(seed)
    for _ in range(5):
        starts = rng.sample(range(c.n), rng.randint(1, 3))
        names = [c.ids[v] for v in starts]
        want_down = set(names).union(*(nx.descendants(g, x) for x in names))
        want_up = set(names).union(*(nx.ancestors(g, x) for x in names))
        assert {c.ids[v] for v in t.descendants(starts)} == want_down
        assert {c.ids[v] for v in t.ancestors(starts)} == want_up
        assert t.descendants(starts) is t.descendants(list(reversed(starts)))  # cached
        depth = rng.choice([None, 1, 2])
        got = {c.ids[v]: d for v, d in t.distances(starts, downstream=True, depth=depth).items()}
        want = nx.multi_source_dijkstra_path_length(g, names, cutoff=depth)
        assert got == want
    is_cap = {v for v in g if v.startswith("capability:")}
    reach = t.capability_reach()
    for v in range(c.n):
        want = 0 if c.ids[v] in is_cap else len(nx.descendants(g, c.ids[v]) & is_cap)
        assert reach[v] == want
    for v in range(c.n):
        assert [c.ids[u] for u in t.successors(v)] == sorted(g.successors(c.ids[v]),
                                                              key=c.index.get)
        assert [c.ids[u] for u in t.predecessors(v)] == sorted(g.predecessors(c.ids[v]),
                                                                key=c.index.get)


def test_level_blocks_cover_every_edge_once(tmp_path):
    t = _random_network(tmp_path, 3).compiled.topology
    out = [(int(s), int(d)) for lvl in range(t.n_levels) if (b := t.out_block(lvl))
           for s, d in zip(b.src, b.dst)]
    inn = [(int(s), int(d)) for lvl in range(t.n_levels) if (b := t.in_block(lvl))
           for s, d in zip(b.src, b.dst)]
    every = list(zip(t.edge_src.tolist(), t.succ.tolist()))
    assert sorted(out) == sorted(inn) == sorted(every)
    assert all(s < d for s, d in every)  # topological numbering


def test_ranges_and_read_only_results(tmp_path):
    assert ranges([3, 10, 0], [2, 0, 1]).tolist() == [3, 4, 0]
    assert ranges([], []).tolist() == []
    t = _random_network(tmp_path, 1).compiled.topology
    with pytest.raises(ValueError):
        t.descendants([0])[0] = 5
    assert np.array_equal(t.capability_reach(), t.capability_reach())
