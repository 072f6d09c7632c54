"""riskgraph export graphml | gexf: the graph with kinds, SPOF flags and register scores."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from randpkg import ref_available, write_random_package
from riskgraph import load_network, risk_register
from riskgraph.cli import main


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
@pytest.mark.parametrize("seed", range(6))
def test_graph_files_hold_the_network_and_its_flags(tmp_path, fmt, seed):
    write_random_package(random.Random(seed), tmp_path / "pkg")
    net = load_network(tmp_path / "pkg")
    out = tmp_path / f"g.{fmt}"
    assert main(["export", fmt, str(tmp_path / "pkg"), "--out", str(out)]) == 0
    g = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    assert set(g.nodes) == set(net.graph.nodes)
    assert {(a, b) for a, b in g.edges} == {(a, b) for a, b in net.graph.edges}
    caps = net.capabilities
    reg = risk_register(net)
    for x in net.compiled.ids[net.compiled.failure_points].tolist():
        up = ref_available(net.package, {x})
        # a non-trivial SPOF: failing x alone downs a capability whose platform is not x
        spof = any(not up[c] and x != f"component:{caps.at[c, 'platform_id']}"
                   for c in caps.index)
        assert g.nodes[x]["is_spof"] == spof, x
        assert g.nodes[x]["kind"] == x.split(":")[0]
        assert g.nodes[x]["register_score"] == pytest.approx(reg.at[x, "score"])


def test_out_must_be_a_file(tmp_path, capsys):
    assert main(["export", "graphml", "tests/fixtures/worked", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["export", "gexf", "tests/fixtures/worked", "--capability", "USA/P1",
                 "--out", str(tmp_path / "g.gexf")]) == 2
