"""Graph construction on hand-checkable fixtures (docs/design.md §3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pkgtools import CHAIN, DIAMOND, MIXED, network_from, write_package
from riskgraph import UsageError, load_network, node_id, split_node_id
from riskgraph.model.network import GROUP_PLAIN, GROUP_SOURCING, GROUP_SUBSTITUTE

ROOT = Path(__file__).resolve().parents[1]


def groups(net, typed):
    """{(kind, k, frozenset(member ids))} of one node."""
    c = net.compiled
    return {(kind, k, frozenset(c.ids[m] for m in members))
            for kind, k, members in c.inputs(c.index[typed])}


def test_chain_graph(tmp_path):
    net = network_from(tmp_path, **CHAIN)
    g = net.graph
    assert set(g.edges) == {
        ("nation:USA", "supplier:S1"),
        ("supplier:S1", "component:M"),
        ("component:M", "component:P"),
        ("component:P", "capability:USA/P"),
    }
    assert g.nodes["supplier:S1"]["kind"] == "supplier"
    assert g.nodes["component:M"]["component_kind"] == "material"
    assert g.nodes["capability:USA/P"]["platform_id"] == "P"
    assert g.edges["supplier:S1", "component:M"]["relation"] == "sourcing"
    assert g.edges["component:M", "component:P"]["relation"] == "bom"
    # nation DEU exists but feeds nothing
    assert g.out_degree("nation:DEU") == 0
    # compiled order is topological
    c = net.compiled
    for v in range(c.n):
        for _, _, members in c.inputs(v):
            assert all(m < v for m in members)


def test_diamond_shares_tier2_source(tmp_path):
    net = network_from(tmp_path, **DIAMOND)
    assert groups(net, "component:P") == {
        (GROUP_PLAIN, 1, frozenset({"component:X"})),
        (GROUP_PLAIN, 1, frozenset({"component:Y"})),
    }
    assert sorted(net.graph.successors("component:Z")) == ["component:X", "component:Y"]
    assert groups(net, "component:Z") == {(GROUP_SOURCING, 1, frozenset({"supplier:S_Z"}))}


def test_dual_sourcing_substitutes_and_min_sources(tmp_path):
    net = network_from(tmp_path, **MIXED)
    assert groups(net, "component:D") == {
        (GROUP_SOURCING, 1, frozenset({"supplier:S1", "supplier:S2"}))}
    assert groups(net, "component:Q") == {
        (GROUP_SOURCING, 2, frozenset({"supplier:S3", "supplier:S4", "supplier:S5"}))}
    assert groups(net, "component:P") == {
        (GROUP_PLAIN, 1, frozenset({"component:D"})),
        (GROUP_PLAIN, 1, frozenset({"component:Q"})),
        (GROUP_SUBSTITUTE, 1, frozenset({"component:G1", "component:G2"})),
    }
    c = net.compiled
    d = c.index["component:D"]
    g = c.group_ptr[d]
    assert c.weight[c.member_ptr[g]:c.member_ptr[g + 1]].tolist() == [0.5, 0.5]
    assert set(net.capabilities.index) == {"capability:USA/P", "capability:DEU/P"}


def test_ownership_adds_owner_nation(tmp_path):
    tables = dict(CHAIN)
    tables["suppliers"] = "supplier_id,name,nation_id,owner_nation_id\nS1,Mine,USA,DEU\n"
    net = network_from(tmp_path, **tables)
    assert groups(net, "supplier:S1") == {
        (GROUP_PLAIN, 1, frozenset({"nation:USA"})),
        (GROUP_PLAIN, 1, frozenset({"nation:DEU"})),
    }
    assert net.graph.edges["nation:DEU", "supplier:S1"]["relation"] == "owner"
    off = load_network(tmp_path, ownership=False)
    assert groups(off, "supplier:S1") == {(GROUP_PLAIN, 1, frozenset({"nation:USA"}))}
    assert not off.graph.has_edge("nation:DEU", "supplier:S1")


def test_defaults_applied(tmp_path):
    tables = dict(CHAIN)
    tables["nations"] = ("nation_id,name,alignment,disruption_prob\n"
                         "USA,United States,member,\nCHN,China,adversary,\nDEU,Germany,member,0.5\n")
    net = network_from(tmp_path, **tables)
    c = net.compiled
    prob = dict(zip(c.ids, c.disruption_prob))
    assert prob["nation:USA"] == 0.01 and prob["nation:CHN"] == 0.20 and prob["nation:DEU"] == 0.5
    assert prob["supplier:S1"] == 0.02 and prob["component:M"] == 0.0
    rec = dict(zip(c.ids, c.recovery_days))
    assert rec["supplier:S1"] == 90 and rec["nation:USA"] == 365


def test_typed_ids():
    assert node_id("nation", "NA") == "nation:NA"
    assert split_node_id("capability:POL/F-35A") == ("capability", "POL/F-35A")
    with pytest.raises(UsageError, match="not a typed node id"):
        split_node_id("S01")
    with pytest.raises(UsageError, match="unknown node kind"):
        node_id("plant", "X")


def test_index_of_unknown_id(tmp_path):
    net = network_from(tmp_path, **CHAIN)
    with pytest.raises(UsageError, match="unknown supplier 'NOPE'"):
        net.index_of("supplier:NOPE")


def test_build_is_deterministic_across_hash_seeds(tmp_path):
    write_package(tmp_path, **MIXED)
    code = (
        "import json,sys; from riskgraph import load_network; c=load_network(sys.argv[1]).compiled;"
        "print(json.dumps([list(c.ids), c.member.tolist(), c.group_k.tolist(), c.weight.tolist(),"
        " sorted(load_network(sys.argv[1]).graph.edges)]))"
    )
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env,
                             capture_output=True, text=True, check=True)
        outs.add(res.stdout)
    assert len(outs) == 1
    assert json.loads(outs.pop())[0][:2] == ["nation:DEU", "nation:USA"]


def test_levels_partition_nodes(tmp_path):
    net = network_from(tmp_path, **MIXED)
    c = net.compiled
    assert c.level_ptr[0] == 0 and c.level_ptr[-1] == c.n
    assert np.all(np.diff(c.level) >= 0)


def test_sample_package_round_trip(tmp_path):
    from riskgraph.io.package import read_package, write_package as write_pkg

    sample = ROOT / "data" / "allied-defence"
    if not (sample / "nations.csv").exists():
        pytest.fail("the sample package data/allied-defence is missing")
    pkg = read_package(sample)
    assert pkg.report.ok
    write_pkg(pkg, tmp_path / "copy")
    again = read_package(tmp_path / "copy")
    for name, df in pkg.tables.items():
        other = again.tables[name]
        assert list(df.columns) == list(other.columns), name
        assert df.equals(other), name
    assert load_network(tmp_path / "copy").compiled.ids.tolist() == \
        load_network(sample).compiled.ids.tolist()
