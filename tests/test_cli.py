"""The command line: exit codes, exports, and that bad input writes nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKED = Path(__file__).parent / "fixtures" / "worked"
SAMPLE = ROOT / "data" / "allied-defence"

REQUIRED_COLUMNS = {
    "spof.csv": ["nation_id", "platform_id", "failure_point", "kind", "trivial", "hidden"],
    "critical_pairs.csv": ["nation_id", "platform_id", "failure_point_a", "failure_point_b"],
    "concentration.csv": ["component_id", "hhi_supplier", "hhi_nation", "top_nation_id",
                          "top_nation_share", "non_member_share"],
    "nation_exposure.csv": ["failing_nation_id", "nation_id", "platform_id", "loss_fraction"],
    "survivability.csv": ["nation_id", "platform_id", "up", "supply_fraction"],
    "centrality.csv": ["node", "betweenness", "downstream_capabilities", "tier"],
    "risk_register.csv": ["failure_point", "kind", "name", "score", "rank", "why"],
}


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "riskgraph", *map(str, args)],
                          capture_output=True, text=True, **kw)


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_analyse_writes_every_export(tmp_path):
    before = snapshot(WORKED)
    res = run("analyse", WORKED, "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert "Top" in res.stdout and "nation:USA" in res.stdout
    out = tmp_path / "out"
    for name, cols in REQUIRED_COLUMNS.items():
        df = pd.read_csv(out / name, keep_default_na=False)
        assert list(df.columns[:0]) == [] and set(cols) <= set(df.columns), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["sourcing.csv"]
    assert set(REQUIRED_COLUMNS) <= set(manifest["outputs"])
    assert manifest["command"] == "analyse" and "seed" in manifest
    assert snapshot(WORKED) == before
    spof = pd.read_csv(out / "spof.csv")
    p1 = spof[(spof.nation_id == "USA") & (spof.platform_id == "P1")]
    assert set(p1.failure_point) == {"supplier:S_A", "nation:USA", "component:A",
                                     "component:B", "component:C", "component:P1"}


def test_analyse_is_reproducible(tmp_path):
    for name in ("a", "b"):
        assert run("analyse", WORKED, "--out", tmp_path / name).returncode == 0
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    a.pop("manifest.json"), b.pop("manifest.json")
    assert a == b


def test_analyse_invalid_package_exits_3_and_writes_nothing(tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(WORKED, pkg)
    (pkg / "sourcing.csv").write_text("component_id,supplier_id,share\nA,S_A,2\n")
    res = run("analyse", pkg, "--out", tmp_path / "out")
    assert res.returncode == 3
    assert "sourcing.csv:2:share" in res.stderr
    assert not (tmp_path / "out").exists()


def test_analyse_refuses_to_write_into_the_input_folder(tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(WORKED, pkg)
    before = snapshot(pkg)
    res = run("analyse", pkg, "--out", pkg)
    assert res.returncode == 2
    assert snapshot(pkg) == before
    res = run("analyse", pkg, "--out", pkg / "sub")
    assert res.returncode == 2 and not (pkg / "sub").exists()


def test_exports_neutralise_formulas(tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(WORKED, pkg)
    text = (pkg / "suppliers.csv").read_text().replace("Supplier A", "=HYPERLINK(1)")
    (pkg / "suppliers.csv").write_text(text)
    assert run("analyse", pkg, "--out", tmp_path / "out").returncode == 0
    reg = pd.read_csv(tmp_path / "out" / "risk_register.csv")
    assert reg.set_index("failure_point").loc["supplier:S_A", "name"] == "'=HYPERLINK(1)"
    assert pd.api.types.is_float_dtype(reg["score"])


def test_usage_errors_exit_2(tmp_path):
    assert run().returncode == 2
    assert run("analyse", WORKED).returncode == 2  # --out missing
    assert run("summary", WORKED, "--top", "-1").returncode == 2
    assert run("bogus").returncode == 2


def test_summary_on_sample():
    res = run("summary", SAMPLE, "--top", "5")
    assert res.returncode == 0, res.stderr
    assert "Top 5 risks" in res.stdout
    assert res.stdout.count("\n") > 8


@pytest.mark.parametrize("cmd", ["validate", "summary"])
def test_missing_package_exits_3(cmd, tmp_path):
    res = run(cmd, tmp_path / "nope")
    assert res.returncode == 3
    assert "no such folder" in res.stderr


WHATIF_COLUMNS = ["scenario", "nation_id", "platform_id", "up", "supply_fraction",
                  "loss_fraction", "time_to_impact_days", "days_lost"]


def test_whatif_ad_hoc_worked_example(tmp_path):
    res = run("whatif", WORKED, "--fail", "supplier:S_A", "--days", "100",
              "--capacity", "supplier:S_B1=0.5", "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    caps = pd.read_csv(tmp_path / "out" / "whatif_capabilities.csv")
    assert list(caps.columns[:len(WHATIF_COLUMNS)]) == WHATIF_COLUMNS
    row = caps.set_index("platform_id")
    assert not row.loc["P1", "up"] and row.loc["P1", "time_to_impact_days"] == 0
    assert row.loc["P1", "days_lost"] == 100
    # B at 0.6 * 0.5 + 0.6 = 0.9 of demand
    assert row.loc["P2", "supply_fraction"] == pytest.approx(0.9)
    for name in ("whatif_nations.csv", "whatif_exposed.csv", "manifest.json"):
        assert (tmp_path / "out" / name).exists()


def test_whatif_scenario_library_with_compare(tmp_path):
    res = run("whatif", SAMPLE, "--scenarios", SAMPLE / "scenarios.toml", "--compare",
              "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    caps = pd.read_csv(tmp_path / "out" / "whatif_capabilities.csv")
    assert caps["scenario"].nunique() >= 6
    wide = pd.read_csv(tmp_path / "out" / "whatif_compare.csv")
    assert len(wide) == caps.groupby(["nation_id", "platform_id"]).ngroups


def test_whatif_bad_input(tmp_path):
    res = run("whatif", WORKED, "--fail", "supplier:NOPE", "--out", tmp_path / "out")
    assert res.returncode == 2 and "NOPE" in res.stderr
    assert not (tmp_path / "out").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenario]]\nname = "x"\nfail = ["supplier:S_A"]\ncapacity = '
                   '{ "supplier:S_B1" = 1.5 }\n')
    res = run("whatif", WORKED, "--scenarios", bad, "--out", tmp_path / "out")
    assert res.returncode == 3
    assert "bad.toml" in res.stderr and "capacity" in res.stderr
    assert not (tmp_path / "out").exists()
    assert run("whatif", WORKED, "--out", tmp_path / "out").returncode == 2


def test_montecarlo_writes_exports_and_is_reproducible(tmp_path):
    for name in ("a", "b"):
        res = run("montecarlo", WORKED, "--trials", "5000", "--seed", "7",
                  "--out", tmp_path / name)
        assert res.returncode == 0, res.stderr
        assert "trials" in res.stdout
        assert "\r" not in res.stderr  # no progress bar when stderr is not a terminal
    caps = pd.read_csv(tmp_path / "a" / "mc_capabilities.csv")
    assert list(caps.columns[:5]) == ["nation_id", "platform_id", "p_unavailable",
                                      "ci_low", "ci_high"]
    assert ((caps.ci_low <= caps.p_unavailable) & (caps.p_unavailable <= caps.ci_high)).all()
    imp = pd.read_csv(tmp_path / "a" / "mc_importance.csv")
    assert list(imp.columns[:5]) == ["failure_point", "nation_id", "platform_id", "birnbaum",
                                     "raw"]
    assert (tmp_path / "a" / "mc_nations.csv").exists()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["command"] == "montecarlo"
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    a.pop("manifest.json"), b.pop("manifest.json")
    assert a == b


def test_montecarlo_usage_errors(tmp_path):
    assert run("montecarlo", WORKED, "--trials", "0", "--out", tmp_path / "o").returncode == 2
    res = run("montecarlo", WORKED, "--points", "supplier:NOPE", "--out", tmp_path / "o")
    assert res.returncode == 2 and "NOPE" in res.stderr
    assert not (tmp_path / "o").exists()


def test_generate_writes_a_valid_package(tmp_path):
    res = run("generate", "--nodes", "600", "--seed", "3", "--out", tmp_path / "syn")
    assert res.returncode == 0, res.stderr
    checked = run("validate", tmp_path / "syn")
    assert checked.returncode == 0 and "(0 warning(s))" in checked.stdout
    assert run("generate", "--nodes", "5", "--out", tmp_path / "x").returncode == 2
    res = run("generate", "--nodes", "3000", "--seed", "3", "--defects",
              "--out", tmp_path / "raw")
    assert res.returncode == 0, res.stderr
    checked = run("validate", tmp_path / "raw")
    assert checked.returncode == 0 and "baseline shortfall" in checked.stderr


def test_analyse_max_pairs_caps_the_pairs_table(tmp_path):
    assert run("analyse", WORKED, "--out", tmp_path / "o", "--max-pairs", "1").returncode == 0
    pairs = pd.read_csv(tmp_path / "o" / "critical_pairs.csv")
    assert pairs.groupby(["nation_id", "platform_id"]).size().tolist() == [1, 1]
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["parameters"]["critical_pairs"] == {
        "found": 6, "written": 2, "dropped": 4, "capabilities_cut": 2}
    assert run("analyse", WORKED, "--out", tmp_path / "p", "--max-pairs", "-1").returncode == 2
