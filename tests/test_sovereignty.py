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
