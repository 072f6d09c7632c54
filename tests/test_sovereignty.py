"""Coalition survivability and foreign control (docs/design.md §4.9): the worked fixture by
hand, random packages against enumeration, the CLI and its bad input."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest
from randpkg import ref_capability_up, write_random_controls, write_random_package

from riskgraph import load_network
from riskgraph.analyses.sovereignty import (CoalitionError, coalition_members,
                                            coalition_survivability, foreign_control)
from riskgraph.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "vetoes"


def test_worked_example_poland_alone_and_eu():
    net = load_network(FIXTURE)
    pol = coalition_survivability(net, "POL")
    assert pol["up"].tolist() == [False, False]
    # the JET needs the US (its radar is ITAR); the TRUCK any one axle nation: DEU first
    assert pol["needs_nations"].tolist() == ["USA", "DEU"]
    eu = coalition_survivability(net, "EU")
    assert eu.loc["capability:POL/TRUCK", "up"]
    assert eu.loc["capability:POL/JET", "needs_nations"] == "USA"
    fc = foreign_control(net)
    assert fc.loc["capability:POL/JET", "vetoed_by"] == "USA"
    assert fc.loc["capability:GBR/JET", "vetoed_by"] == ""  # GBR is exempt
    assert not fc.loc["capability:POL/JET", "free_of_regime"]
    assert fc.loc["capability:GBR/JET", "free_of_regime"]
    assert fc.loc["capability:USA/JET", "spof_share_outside_nation"] == 0.0


def test_coalition_members_forms():
    net = load_network(FIXTURE)
    assert coalition_members(net, "EU") == ("EU", ["DEU", "POL"])
    assert coalition_members(net, "POL") == ("POL", ["POL"])
    assert coalition_members(net, "POL, GBR")[1] == ["GBR", "POL"]
    assert coalition_members(net, ["USA"])[1] == ["USA"]
    for bad, match in (("", "empty"), (" , ", "empty"), ("ASEAN", "neither a nation"),
                       ("POL,XXX", "unknown nation")):
        with pytest.raises(CoalitionError, match=match):
            coalition_members(net, bad)


def _random(seed: int, tmp_path: Path):
    rng = random.Random(seed)
    folder = tmp_path / f"p{seed}"
    write_random_package(rng, folder)
    write_random_controls(rng, folder)
    return load_network(folder), rng


@pytest.mark.parametrize("seed", range(30))
def test_coalition_survivability_matches_enumeration(seed, tmp_path):
    net, rng = _random(seed, tmp_path)
    nations = sorted(net.package.nations.index)
    members = sorted(rng.sample(nations, rng.randint(1, len(nations))))
    outside = [x for x in nations if x not in members]
    res = coalition_survivability(net, members)

    def failing(gone):
        return {f"nation:{x}" for x in gone} | {f"veto:{x}" for x in gone}

    now = ref_capability_up(net, failing(outside))
    fielded = [cap for cap in now if cap.split(":")[1].split("/")[0] in members]
    assert sorted(res.index) == sorted(fielded)
    for cap in fielded:
        assert res.loc[cap, "up"] == now[cap]
        if now[cap]:
            assert res.loc[cap, "needs_nations"] == ""
            continue
        want = None
        for k in range(1, len(outside) + 1):
            for back in itertools.combinations(outside, k):
                gone = [x for x in outside if x not in back]
                if ref_capability_up(net, failing(gone))[cap]:
                    want = ";".join(back)
                    break
            if want is not None:
                break
        assert res.loc[cap, "needs_nations"] == (want or "")
        assert res.loc[cap, "lost_inside"] == (want is None)
        assert res.loc[cap, "exact"]


@pytest.mark.parametrize("seed", range(20))
def test_foreign_control_vetoes_match_enumeration(seed, tmp_path):
    net, _ = _random(seed, tmp_path)
    fc = foreign_control(net)
    controllers = sorted(set(net.package.controls["controlling_nation_id"]))
    for cap in fc.index:
        want = [x for x in controllers if not ref_capability_up(net, {f"veto:{x}"})[cap]]
        assert fc.loc[cap, "vetoed_by"] == ";".join(want)
        share = fc.loc[cap, "spof_share_outside_nation"]
        assert np.isnan(share) or 0.0 <= share <= 1.0


# --------------------------------------------------------------------------------- CLI


def test_cli_sovereignty_writes_tables_with_manifest(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sovereignty", str(FIXTURE), "--coalition", "EU", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert {"coalition_survivability.csv", "foreign_control.csv", "manifest.json"} <= set(names)
    text = (out / "coalition_survivability.csv").read_text()
    assert text.splitlines()[0].startswith("capability,coalition,nation_id")
    assert main(["sovereignty", str(FIXTURE), "--nation", "POL", "--out",
                 str(tmp_path / "pol")]) == 0
    printed = capsys.readouterr().out
    assert "POL" in printed


@pytest.mark.parametrize("args", [["--coalition", "ASEAN"], ["--coalition", ""],
                                  ["--nation", "XXX"], ["--coalition", ",,"]])
def test_cli_bad_coalition_exit_3_nothing_written(tmp_path, capsys, args):
    out = tmp_path / "out"
    assert main(["sovereignty", str(FIXTURE), *args, "--out", str(out)]) == 3
    assert not out.exists() or not any(out.iterdir())
    assert "error" in capsys.readouterr().err


def test_cli_needs_one_of_nation_or_coalition(tmp_path):
    assert main(["sovereignty", str(FIXTURE), "--out", str(tmp_path / "o")]) == 2
    assert main(["sovereignty", str(FIXTURE), "--nation", "POL", "--coalition", "EU",
                 "--out", str(tmp_path / "o")]) == 2


# --------------------------------------------------- confidence and data gaps (§3.5)


def _ref_weakest(net, cap: str, point: str) -> float:
    """Weakest confidence of the rows a (capability, point) finding rests on, from the
    networkx graph and the raw tables (an independent reading of docs/design.md §3.5)."""
    import networkx as nx

    pkg = net.package
    g = net.graph
    platform = next(iter(g.predecessors(cap)))
    upstream = nx.ancestors(g, platform) | {platform}
    values = []
    kind, _, ident = point.partition(":")
    for r in pkg.sourcing.itertuples(index=False):
        if f"component:{r.component_id}" not in upstream:
            continue
        sup = pkg.suppliers.loc[r.supplier_id]
        owner = sup["owner_nation_id"] if isinstance(sup["owner_nation_id"], str) \
            else sup["nation_id"]
        hit = ((kind == "component" and r.component_id == ident)
               or (kind == "supplier" and r.supplier_id == ident)
               or (kind == "nation" and ident in (sup["nation_id"], owner)))
        if hit and not np.isnan(r.confidence):
            values.append(r.confidence)
    if kind == "veto" and pkg.controls is not None:
        nation = cap.split(":")[1].split("/")[0]
        comps, sups = set(pkg.components.index), set(pkg.suppliers.index)
        from riskgraph.io.controls import resolve_item, split_exempt
        for r in pkg.controls.itertuples(index=False):
            item = resolve_item(r.item_id, comps, sups)[0]
            if (r.controlling_nation_id == ident and item in upstream and nation != ident
                    and nation not in split_exempt(r.exempt_nation_ids)
                    and not np.isnan(r.confidence)):
                values.append(r.confidence)
    return min(values) if values else np.nan


def _write_confidences(folder: Path, rng: random.Random) -> None:
    import csv

    path = folder / "sourcing.csv"
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[0] += ["confidence", "source"]
    for row in rows[1:]:
        row += [rng.choice(["", "0.3", "0.7", "0.95"]), rng.choice(["", "SIPRI", "annual report"])]
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


@pytest.mark.parametrize("seed", range(25))
def test_findings_confidence_matches_reference(seed, tmp_path):
    from riskgraph.analyses.confidence import findings_confidence
    from riskgraph.analyses.structural import structural_analysis

    rng = random.Random(seed)
    folder = tmp_path / "p"
    write_random_package(rng, folder)
    write_random_controls(rng, folder)
    _write_confidences(folder, rng)
    net = load_network(folder)
    fc = findings_confidence(net, structural_analysis(net))
    spofs = fc[fc["finding"] == "spof"]
    for cap, point, got in zip(spofs["capability"], spofs["failure_point"],
                               spofs["weakest_confidence"]):
        want = _ref_weakest(net, cap, point)
        assert (np.isnan(got) and np.isnan(want)) or got == want, (cap, point)
    pairs = fc[fc["finding"] == "pair"]
    for cap, both, got in zip(pairs["capability"], pairs["failure_point"],
                              pairs["weakest_confidence"]):
        a, b = both.split(";")
        want = np.nanmin([_ref_weakest(net, cap, a), _ref_weakest(net, cap, b), np.inf])
        assert got == want or (np.isnan(got) and want == np.inf)
    for point, flags in zip(spofs["failure_point"], spofs["assumptions"]):
        in_house = point.startswith("component:") and \
            point.split(":", 1)[1] not in set(net.package.sourcing["component_id"])
        assert ("in-house" in flags) == in_house


def test_data_gaps_and_unknown_switch(tmp_path):
    import shutil

    from riskgraph.analyses.confidence import data_gaps, unknown_sourcing, with_unknown_failed
    from riskgraph.analyses.structural import structural_analysis
    from riskgraph.analyses.whatif import run_scenarios
    from riskgraph.model.scenario import Scenario

    folder = tmp_path / "pkg"
    shutil.copytree(FIXTURE, folder)
    with open(folder / "components.csv", "a") as f:
        f.write("GEAR,Gear,part,\n")
    with open(folder / "bom.csv", "a") as f:
        f.write("TRUCK,GEAR\n")
    net = load_network(folder)
    gaps = data_gaps(net, structural_analysis(net))
    by = {g: set(gaps.loc[gaps["gap"] == g, "item"]) for g in set(gaps["gap"])}
    assert by["unknown-sourcing"] == {"component:GEAR"}
    assert by["no-sourcing"] == {"component:JET", "component:TRUCK"}
    low = gaps[gaps["gap"] == "low-confidence-spof"]
    assert low["line"].tolist() == [4]  # AXLE <- S_US2, confidence 0.4, decides AXLE's SPOF
    assert "nation:POL" in by["default-probability"]
    assert unknown_sourcing(net) == ["component:GEAR"]
    s = with_unknown_failed(net, Scenario("x"))
    res = run_scenarios(net, [s]).capabilities.reset_index().set_index("capability")
    assert not res.loc["capability:POL/TRUCK", "up"] and res.loc["capability:POL/JET", "up"]


def test_cli_sovereignty_writes_confidence_tables(tmp_path):
    out = tmp_path / "out"
    assert main(["sovereignty", str(FIXTURE), "--nation", "POL", "--out", str(out)]) == 0
    assert (out / "findings_confidence.csv").exists() and (out / "data_gaps.csv").exists()


def test_cli_whatif_unknown_failed(tmp_path):
    import shutil

    folder = tmp_path / "pkg"
    shutil.copytree(FIXTURE, folder)
    with open(folder / "components.csv", "a") as f:
        f.write("GEAR,Gear,part,\n")
    with open(folder / "bom.csv", "a") as f:
        f.write("TRUCK,GEAR\n")
    out = tmp_path / "w"
    assert main(["whatif", str(folder), "--unknown-failed", "--fail", "nation:GBR",
                 "--out", str(out)]) == 0
    text = (out / "whatif_capabilities.csv").read_text()
    assert "POL,TRUCK,False" in text


def test_cli_coalition_column_is_the_name_asked(tmp_path):
    import pandas as pd

    out = tmp_path / "eu"
    assert main(["sovereignty", str(FIXTURE), "--coalition", "EU", "--out", str(out)]) == 0
    assert set(pd.read_csv(out / "coalition_survivability.csv")["coalition"]) == {"EU"}
    out = tmp_path / "pol"
    assert main(["sovereignty", str(FIXTURE), "--nation", "POL", "--out", str(out)]) == 0
    assert set(pd.read_csv(out / "coalition_survivability.csv")["coalition"]) == {"POL"}
