"""riskgraph import willems: made-up chains in Willems' (2008) stage-data / link-list layout."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from riskgraph import load_network, read_package, single_points_of_failure
from riskgraph.cli import main
from riskgraph.importers import write_import
from riskgraph.importers.willems import import_willems

FIX = Path(__file__).parent / "fixtures" / "import"
SD = ["Stage Name", "stageCost", "relDepth", "stageClassification", "avgDemand",
      "stdDevDemand", "maxServiceTime", "serviceLevel", "stageTime", "stdDev stageTime"]


def test_fixture_chain(tmp_path, capsys):
    out = tmp_path / "pkg"
    assert main(["import", "willems", str(FIX / "willems_99_SD.csv"), "--out", str(out),
                 "--nation", "CAN"]) == 0
    text = capsys.readouterr()
    assert "willems_99_SD.csv:10: warning: row left out: stageTime 'soon'" in text.err
    assert "willems_99_LL.csv:9: warning: row left out: unknown stage 'Bad_0001'" in text.err
    assert "willems_99_LL.csv:10: warning: row left out: 'Retail_0001' -> 'Part_0001' " \
           "would close a cycle" in text.err
    pkg = read_package(out)
    assert sorted(pkg.fielding["platform_id"]) == ["Retail_0001", "Retail_0002"]
    assert set(pkg.fielding["nation_id"]) == {"CAN"}
    assert pkg.components.at["Part_0002", "lead_time_days"] == "45.0"
    q = pkg.bom.set_index(["parent_id", "child_id"])["quantity"]
    assert q[("Manuf_0001", "Part_0003")] == 4
    assert "Willems, S. P. (2008)" in (out / "SOURCES.md").read_text()


def _write_chain(rng: random.Random, folder: Path) -> tuple[dict, list]:
    """A random chain: stages in layers, links from deeper to shallower layers."""
    n = rng.randint(2, 12)
    depth = {f"S{i:03d}": rng.randint(0, 3) for i in range(n)}
    retail = [s for s, d in depth.items() if d == 0] or [next(iter(depth))]
    for s in retail:
        depth[s] = 0
    links = sorted({(a, b) for a in depth for b in depth
                    if depth[a] > depth[b] and rng.random() < 0.4})
    with open(folder / "chain_SD.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SD)
        for s, d in depth.items():
            w.writerow([s, "1.0", d, "Retail" if d == 0 else "Manuf", 10 if d == 0 else "",
                        "", "", "", rng.randint(0, 30), ""])
    with open(folder / "chain_LL.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sourceStage", "destinationStage"])
        w.writerows(links)
    return depth, links


@pytest.mark.parametrize("seed", range(12))
def test_every_upstream_stage_is_a_spof_of_each_demand_stage(tmp_path, seed):
    depth, links = _write_chain(random.Random(seed), tmp_path)
    write_import(import_willems(tmp_path / "chain_SD.csv"), tmp_path / "pkg", command="t")
    net = load_network(tmp_path / "pkg")
    spof = single_points_of_failure(net)
    ups: dict = {}
    for a, b in links:
        ups.setdefault(b, set()).add(a)

    def ancestors(s):
        out = set()
        for a in ups.get(s, ()):
            out |= {a} | ancestors(a)
        return out

    for s, d in depth.items():
        if d == 0:
            got = set(spof.loc[[f"capability:XXX/{s}"], "failure_point"])
            assert got == {f"component:{x}" for x in ancestors(s) | {s}}


def test_wrong_files_and_missing_link_list(tmp_path, capsys):
    out = tmp_path / "pkg"
    assert main(["import", "willems", str(FIX / "sipri_register.csv"), "--out",
                 str(out), "--links", str(FIX / "willems_99_LL.csv")]) == 3
    err = capsys.readouterr().err
    assert "expected the columns Stage Name, stageTime" in err
    assert "riskgraph import sipri" in err
    lonely = tmp_path / "lonely_SD.csv"
    lonely.write_text((FIX / "willems_99_SD.csv").read_text())
    assert main(["import", "willems", str(lonely), "--out", str(out)]) == 2
    assert "give it with --links FILE" in capsys.readouterr().err
    assert main(["import", "willems", str(FIX / "willems_99_SD.csv"), "--links",
                 str(FIX / "willems_99_SD.csv"), "--out", str(out)]) == 3
    assert "expected the columns sourceStage, destinationStage" in capsys.readouterr().err
    assert not out.exists()


def test_an_invalid_result_is_not_written(tmp_path, capsys):
    out = tmp_path / "pkg"
    assert main(["import", "willems", str(FIX / "willems_99_SD.csv"), "--nation", "A/B",
                 "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "nation_id 'A/B' must not contain '/'" in err
    assert f"the package the import made for {out} (not written)" in err
    assert list(tmp_path.iterdir()) == []
