"""riskgraph.views: the ready-to-show tables behind the dashboard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskgraph import load_network
from riskgraph.analyses.structural import structural_analysis
from riskgraph.errors import UsageError
from riskgraph.analyses.exposure import alliance_survivability
from riskgraph.model.intervals import total
from riskgraph.model.scenario import Scenario, ScenarioError, read_scenarios
from riskgraph.views import (
    capability_matrix,
    capability_options,
    capability_pairs,
    capability_spofs,
    down_intervals,
    exposure_heatmap,
    failure_point_options,
    focus_subgraph,
    nation_dependence,
    node_detail,
    supplier_sites,
    survivability_summary,
    whatif_headline,
    whatif_matrix,
)
from riskgraph.analyses.whatif import run_scenarios

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "allied-defence"


@pytest.fixture(scope="module")
def worked():
    net = load_network(Path(__file__).parent / "fixtures" / "worked")
    return net, structural_analysis(net)


@pytest.fixture(scope="module")
def sample():
    net = load_network(SAMPLE)
    return net, structural_analysis(net)


# ----------------------------------------------------------------------------- pickers


def test_capability_options_label_every_capability(sample):
    net, _ = sample
    opts = capability_options(net)
    assert set(opts.index) == set(net.capabilities.index)
    assert opts.loc["capability:POL/F-35A", "label"] == \
        "Poland — F-35A Lightning II (POL/F-35A)"
    assert opts["label"].is_monotonic_increasing


def test_failure_point_options_cover_every_failure_point(worked):
    net, _ = worked
    opts = failure_point_options(net)
    c = net.compiled
    assert set(opts.index) == set(c.ids[c.failure_points])
    assert list(opts["kind"].unique()) == ["nation", "supplier", "component"]
    assert opts.loc["nation:DEU", "recovery_days"] == 365


# ----------------------------------------------------------------------------- SPOFs


def test_capability_spofs_are_the_analysis_spofs_ranked_by_score(sample):
    net, a = sample
    table = capability_spofs(net, a, "capability:POL/F-35A")
    expected = a.spof.loc[["capability:POL/F-35A"]]
    expected = set(expected.loc[~expected["trivial"], "failure_point"])
    assert set(table.index) == expected
    assert "component:F-35A" not in table.index  # the platform itself is trivial
    assert table["score"].is_monotonic_decreasing
    suppliers = capability_spofs(net, a, "capability:POL/F-35A", kinds=["supplier"])
    assert set(suppliers["kind"]) == {"supplier"}
    assert suppliers.index[0] == table[table["kind"] == "supplier"].index[0]


@pytest.mark.parametrize("bad", ["capability:XXX/F-35A", "supplier:LM_FORT_WORTH", 42, ""])
def test_capability_spofs_refuses_bad_ids(sample, bad):
    net, a = sample
    with pytest.raises(UsageError):
        capability_spofs(net, a, bad)


def test_capability_spofs_refuses_unknown_kind(worked):
    net, a = worked
    with pytest.raises(UsageError, match="unknown kind"):
        capability_spofs(net, a, "capability:USA/P1", kinds=["platform"])


def test_capability_pairs_name_both_members(worked):
    net, a = worked
    pairs = capability_pairs(net, a, "capability:USA/P1")
    assert pairs[["failure_point_a", "failure_point_b"]].values.tolist() == [
        ["nation:DEU", "supplier:S_B1"], ["supplier:S_B1", "supplier:S_B2"]]
    assert pairs["name_a"].tolist() == ["Germany", "Supplier B1"]


# ----------------------------------------------------------------------------- map


def test_supplier_sites_carry_location_alignment_and_blast_radius(sample):
    net, a = sample
    sites = supplier_sites(net, a)
    assert len(sites) == len(net.package.suppliers)
    row = sites.loc["supplier:AMPAC"]
    assert row["alignment"] == "member" and row["nation_id"] == "USA"
    assert row["capabilities_lost"] == a.blast_radius.loc["supplier:AMPAC",
                                                          "capabilities_lost"]
    assert -90 <= row["lat"] <= 90 and -180 <= row["lon"] <= 180


def test_supplier_sites_without_coordinates(worked):
    net, a = worked
    sites = supplier_sites(net, a)
    assert sites["lat"].isna().all()


# ----------------------------------------------------------------------------- graph


def test_focus_subgraph_upstream_of_a_capability(worked):
    net, a = worked
    sub = focus_subgraph(net, a, focus="capability:USA/P1", depth=None)
    # everything P1 needs: C, A, B, their suppliers and nations
    assert set(sub.nodes.index) == {
        "capability:USA/P1", "component:P1", "component:C", "component:A", "component:B",
        "supplier:S_A", "supplier:S_B1", "supplier:S_B2", "nation:USA", "nation:DEU"}
    assert sub.nodes.loc["capability:USA/P1", "distance"] == 0
    assert sub.nodes.loc["component:C", "distance"] == 2
    assert not sub.truncated
    assert set(sub.edges["relation"]) == {"site", "sourcing", "bom", "fielding"}
    shares = sub.edges.set_index(["source", "target"])["share"]
    assert shares[("supplier:S_B1", "component:B")] == pytest.approx(0.6)
    # SPOFs of the seed capability are flagged; the nation DEU is not one
    assert sub.nodes.loc["supplier:S_A", "spof"]
    assert not sub.nodes.loc["nation:DEU", "spof"]


def test_focus_subgraph_downstream_and_depth(worked):
    net, a = worked
    sub = focus_subgraph(net, a, focus="supplier:S_A", depth=1, direction="downstream")
    assert sub.nodes.index.tolist() == ["supplier:S_A", "component:A"]
    both = focus_subgraph(net, a, focus="component:B", depth=1, direction="both")
    assert set(both.nodes.index) == {"component:B", "supplier:S_B1", "supplier:S_B2",
                                     "component:C", "component:P2"}


def test_focus_subgraph_never_exceeds_max_nodes(sample):
    net, a = sample
    sub = focus_subgraph(net, a, nations=["USA"], depth=None, max_nodes=50)
    assert len(sub.nodes) == 50 and sub.truncated and sub.reachable > 50
    assert sub.nodes["distance"].is_monotonic_increasing  # nearest kept
    kept = set(sub.nodes.index)
    assert set(sub.edges["source"]) <= kept and set(sub.edges["target"]) <= kept


def test_focus_subgraph_by_nation_and_platform(sample):
    net, a = sample
    sub = focus_subgraph(net, a, nations="POL", platforms="F-35A", depth=2)
    assert sub.seeds == ["capability:POL/F-35A"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(), "pick a focus"),
    (dict(focus="supplier:NOPE"), "unknown supplier"),
    (dict(nations=["XXX"]), "no capability with nation"),
    (dict(focus="supplier:S_A", direction="sideways"), "direction"),
    (dict(focus="supplier:S_A", depth=-1), "depth"),
    (dict(focus="supplier:S_A", max_nodes=0), "max_nodes"),
])
def test_focus_subgraph_refuses_bad_arguments(worked, kwargs, match):
    net, a = worked
    with pytest.raises(UsageError, match=match):
        focus_subgraph(net, a, **kwargs)


def test_node_detail_of_a_supplier(worked):
    net, a = worked
    d = node_detail(net, a, "supplier:S_A")
    assert d["kind"] == "supplier" and d["nation_name"] == "United States"
    assert d["register"]["rank"] >= 1
    assert d["blast"]["capabilities_lost"] == 1
    assert d["inputs"]["input"].tolist() == ["nation:USA"]
    assert d["upstream"] == ["nation:USA"]
    assert d["downstream"][0] == "component:A"
    assert d["capabilities"].index.tolist() == ["capability:USA/P1"]
    assert d["capabilities"]["spof"].tolist() == [True]


def test_node_detail_of_a_capability(worked):
    net, a = worked
    d = node_detail(net, a, "capability:USA/P2")
    assert d["register"] is None and d["blast"] is None
    assert d["downstream"] == []
    assert "nation:DEU" in d["upstream"]


# ----------------------------------------------------------------------------- nations


def test_exposure_heatmap_orders_and_filters(sample):
    net, a = sample
    hm = exposure_heatmap(net, a.nation_exposure)
    assert (hm.z > 0).any(axis=1).all()  # impacted nations only
    means = hm.z.mean(axis=1).to_numpy()
    assert np.all(means[:-1] >= means[1:])
    assert len(hm.row_labels) == len(hm.z) and len(hm.col_labels) == hm.z.shape[1]
    only = exposure_heatmap(net, a.nation_exposure, platforms=["F-35A"])
    assert all(c.endswith("/F-35A") for c in only.z.columns)
    with pytest.raises(UsageError):
        exposure_heatmap(net, a.nation_exposure, platforms=["NOPE"])


def test_nation_dependence_matches_exposure(sample):
    net, a = sample
    dep = nation_dependence(net, a.nation_exposure, "USA")
    exp = a.nation_exposure.loc["nation:USA"]
    pol = exp[exp["nation_id"] == "POL"]
    assert dep.loc["POL", "capabilities"] == len(pol)
    assert dep.loc["POL", "mean_loss_fraction"] == pytest.approx(pol["loss_fraction"].mean())
    assert dep.loc["POL", "capabilities_lost"] == (~pol["up"]).sum()
    assert dep.loc["POL", "name"] == "Poland"
    with pytest.raises(UsageError):
        nation_dependence(net, a.nation_exposure, "supplier:AMPAC")


def test_survivability_summary_and_matrix(worked):
    net, _ = worked
    surv = alliance_survivability(net)
    s = survivability_summary(surv)
    assert s == {"capabilities": 2, "up": 2, "mean_supply_fraction": 1.0,
                 "failed_nations": []}
    m = capability_matrix(net, surv, "loss_fraction")
    assert m.row_labels == ["United States"] and m.col_labels == ["Platform 1", "Platform 2"]
    with pytest.raises(UsageError):
        capability_matrix(net, surv, "nope")


# ----------------------------------------------------------------------------- what-if


def test_down_intervals_agree_with_the_whatif_engine(sample):
    net, _ = sample
    scenarios = read_scenarios(SAMPLE / "scenarios.toml", net)
    result = run_scenarios(net, scenarios)
    for s in scenarios:
        iv = down_intervals(net, s)
        caps = result.capabilities[result.capabilities["scenario"] == s.name]
        for cap, row in caps.iterrows():
            mine = iv[iv["capability"] == cap]
            spans = list(zip(mine["start_day"], mine["end_day"]))
            assert total(spans) == pytest.approx(row["days_lost"]), (s.name, cap)
            if pd.isna(row["time_to_impact_days"]):
                assert not spans
            else:
                assert spans[0][0] == pytest.approx(row["time_to_impact_days"])
            assert all(0 <= lo < hi <= s.horizon_days for lo, hi in spans)


def test_down_intervals_refuse_an_invalid_scenario(worked):
    net, _ = worked
    with pytest.raises(ScenarioError, match="unknown supplier"):
        down_intervals(net, Scenario("x", fail=["supplier:NOPE"]))
    with pytest.raises(UsageError):
        down_intervals(net, {"name": "x"})


def test_whatif_matrix_and_headline(worked):
    net, _ = worked
    res = run_scenarios(net, [Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 50}),
                              Scenario("B", fail=["supplier:S_B1"])])
    m = whatif_matrix(net, res.capabilities, "A", value="days_lost")
    assert m.z.to_dict("index") == {"USA": {"P1": 50.0, "P2": 0.0}}
    h = whatif_headline(res.capabilities, "B")
    assert h["capabilities_down"] == 0 and h["capabilities"] == 2
    with pytest.raises(UsageError):
        whatif_headline(res.capabilities, "C")
    with pytest.raises(UsageError):
        whatif_headline(res.capabilities, "A", "capability:USA/P9")


# ----------------------------------------------------------------------------- why view

def _random_networks(seeds):
    import random
    import tempfile

    from randpkg import write_random_package

    for seed in seeds:
        with tempfile.TemporaryDirectory() as folder:
            write_random_package(random.Random(seed), folder)
            net = load_network(folder)
        yield seed, net


def test_why_chains_are_networkx_simple_paths_on_random_packages():
    import networkx as nx

    from riskgraph.views.why import why_chains

    checked = 0
    for seed, net in _random_networks(range(40)):
        g = net.graph
        for cap in net.capabilities.index:
            for point in net.compiled.ids[net.compiled.failure_points]:
                want = sorted(tuple(p) for p in nx.all_simple_paths(g, point, cap))
                chains, total = why_chains(net, cap, point, limit=None)
                assert sorted(map(tuple, chains)) == want, (seed, cap, point)
                assert total == len(want), (seed, cap, point)
                limited, total2 = why_chains(net, cap, point, limit=1)
                assert total2 == total and len(limited) == min(1, total)
                checked += bool(want)
    assert checked > 100  # the comparison saw many real chains


def _lowest_confidence(g, path):
    found = [g.edges[a, b].get("confidence") for a, b in zip(path[:-1], path[1:])
             if g.edges[a, b].get("relation") == "sourcing"]
    found = [c for c in found if c is not None]
    return min(found) if found else float("nan")


def _same(a, b) -> bool:
    return (a != a and b != b) or a == pytest.approx(b)


def test_spof_chains_are_shortest_paths_on_random_packages():
    import networkx as nx

    from riskgraph.views.why import spof_chains

    for seed, net in _random_networks(range(40, 70)):
        g, names = net.graph, net.nodes["name"]
        for cap in net.capabilities.index:
            points = list(net.compiled.ids[net.compiled.failure_points])
            table = spof_chains(net, cap, points)
            assert table.index.tolist() == points
            for point, row in table.iterrows():
                if nx.has_path(g, point, cap):
                    assert row["depth"] == nx.shortest_path_length(g, point, cap), seed
                    # The line names a real path, platform first, back to the point.
                    shown = row["chain"].split(" ← ")
                    assert len(shown) == row["depth"] and shown[-1] == names[point]
                    assert any([names[v] for v in p[-2::-1]] == shown
                               and _same(_lowest_confidence(g, p), row["chain_confidence"])
                               for p in nx.all_shortest_paths(g, point, cap))
                else:
                    assert row["depth"] == 0 and row["chain"] == ""


def test_spof_chain_confidence_on_the_sample(sample):
    import networkx as nx

    from riskgraph.views.why import spof_list

    net, analysis = sample
    g, names = net.graph, net.nodes["name"]
    table = spof_list(net, analysis, "capability:POL/F-35A")
    assert table["chain_confidence"].notna().sum() > 10
    for point, row in table.iterrows():
        shown = row["chain"].split(" ← ")
        assert any([names[v] for v in p[-2::-1]] == shown
                   and _same(_lowest_confidence(g, p), row["chain_confidence"])
                   for p in nx.all_shortest_paths(g, point, "capability:POL/F-35A"))


def test_why_graph_keeps_chain_nodes_and_boxes_alternatives(sample):
    import networkx as nx

    from riskgraph.views.why import TIERS, why_graph

    net, analysis = sample
    cap, point = "capability:POL/F-35A", "nation:CHN"
    g = why_graph(net, analysis, cap, point, max_nodes=40)
    real = g.nodes[g.nodes["kind"] != "or"]
    on_paths = set().union(*map(set, nx.all_simple_paths(net.graph, point, cap)))
    assert len(real) <= 40 and set(real.index) <= on_paths
    assert g.chains == sum(1 for _ in nx.all_simple_paths(net.graph, point, cap))
    assert g.truncated == (g.shown < g.chains)
    assert real.loc[point, "point"] and real.loc[cap, "tier"] == "capability"
    assert list(real.loc[[point, cap], "column"]) == [0.0, float(len(TIERS) - 1)]
    # Every drawn edge is a real edge, or runs through one OR box into its target.
    boxes = g.nodes[g.nodes["kind"] == "or"]
    for e in g.edges.itertuples():
        if e.target in boxes.index:
            assert e.relation == "alternative"
            assert net.graph.has_edge(e.source, e.target.split(":", 1)[1].rsplit("#", 1)[0])
        elif e.source not in boxes.index:
            assert net.graph.has_edge(e.source, e.target)
    assert len(boxes) and boxes["name"].str.startswith("OR: needs ").all()
    # A sourcing edge out of a supplier shows the sourcing row's confidence.
    sourced = g.edges[g.edges["source"].str.startswith("supplier:")]
    assert sourced["confidence"].notna().any()
    with pytest.raises(UsageError):
        why_graph(net, analysis, cap, "capability:POL/F-35A")
    with pytest.raises(UsageError):
        why_graph(net, analysis, cap, point, max_nodes=1)


def test_layered_layout_one_node_per_cell_and_edges_left_to_right():
    import random

    from riskgraph.views.layered import layered_layout

    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(1, 25)
        nodes = [f"n{i}" for i in range(n)]
        edges = pd.DataFrame([(nodes[a], nodes[b]) for a in range(n) for b in range(a + 1, n)
                              if rng.random() < 0.15], columns=["source", "target"])
        grid = layered_layout(nodes, edges)
        assert len(set(zip(grid["column"], grid["row"]))) == n  # one node per cell
        col = grid["column"]
        assert all(col[s] < col[t] for s, t in zip(edges["source"], edges["target"]))
        # The column is the longest path into the node (brute force over paths).
        longest = dict.fromkeys(nodes, 0)
        for v in nodes:  # nodes are in topological order by construction
            for s in edges.loc[edges["target"] == v, "source"]:
                longest[v] = max(longest[v], longest[s] + 1)
        assert col.to_dict() == longest
        # Rows in each column are 0..k-1.
        for _, rows in grid.groupby("column")["row"]:
            assert sorted(rows) == list(range(len(rows)))
        given = layered_layout(nodes, edges, column={v: -i % 3 * 0.5 for i, v in
                                                     enumerate(nodes)})
        assert set(given["column"]) <= {0, 1, 2}
