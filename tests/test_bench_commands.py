"""The command benchmark's helpers: measuring subprocesses, scenarios, naive baselines."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from riskgraph import load_network
from riskgraph.analyses.whatif import run_scenarios
from riskgraph.io.synthetic import generate_package
from riskgraph.model.scenario import read_scenarios

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bc():
    spec = importlib.util.spec_from_file_location("bench_commands",
                                                  ROOT / "bench" / "bench_commands.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture(scope="module")
def pkg600(tmp_path_factory, bc) -> Path:
    folder = generate_package(tmp_path_factory.mktemp("bench") / "pkg", nodes=600, seed=2)
    bc.write_scenarios(folder)
    return folder


def test_measure_ok_failed_and_timeout(bc):
    ok = bc.measure([sys.executable, "-c", "b = bytearray(64 * 2**20)"], timeout=30)
    assert ok.status == "ok" and ok.seconds > 0 and ok.peak_rss_mib >= 64
    failed = bc.measure([sys.executable, "-c", "import sys; sys.exit('boom')"], timeout=30)
    assert failed.status == "failed" and "exit 1" in failed.detail and "boom" in failed.detail
    slow = bc.measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert slow.status == "timeout" and slow.seconds is None


def test_sample_validate_table(bc, tmp_path):
    out = tmp_path / "results.md"
    rows = bc.main(["--sizes", "", "--commands", "validate", "--skip-baselines",
                    "--out", str(out)])
    assert [(r.package, r.command) for r in rows] == [("allied-defence", "validate")]
    assert all(r.run.ok and r.run.seconds > 0 and r.run.peak_rss_mib > 0 for r in rows)
    assert rows[0].nodes == load_network(bc.SAMPLE).compiled.n
    text = out.read_text()
    assert text.count("| allied-defence | ") == 1 and "nproc" in text and "Python" in text


def test_targets_and_growth(bc):
    run = bc.Measurement("ok", seconds=2.0, peak_rss_mib=100)
    assert bc.Row("g", 100_000, "validate", run, nominal=100_000).met() == "yes"
    slow = bc.Measurement("ok", seconds=40.0, peak_rss_mib=100)
    assert bc.Row("g", 1_000_000, "validate", slow, nominal=1_000_000).met() == "**no**"
    timeout = bc.Measurement("timeout", detail="timed out after 5 s")
    row = bc.Row("g", 100_000, "whatif", timeout, nominal=100_000)
    assert row.met() == "**no**" and "timeout" in row.cells()[3]
    growth = bc.growth_table([bc.Row("g", 100_000, "validate", run, nominal=100_000),
                              bc.Row("g", 1_000_000, "validate", slow, nominal=1_000_000)])
    assert "| validate | 2.00 | 40.00 | 20.0 | **no** |" in growth


def test_written_scenarios_are_valid_and_eight(pkg600):
    net = load_network(pkg600)
    scenarios = read_scenarios(pkg600 / "scenarios.toml", net)
    assert len(scenarios) == 8
    assert any(s.capacity for s in scenarios) and any(len(set(s.days.values())) > 2
                                                      for s in scenarios)


def test_naive_whatif_walk_matches_run_scenarios(bc, pkg600):
    net = load_network(pkg600)
    g = bc.NaiveGraph(net)
    scenarios = read_scenarios(pkg600 / "scenarios.toml", net)
    caps = run_scenarios(net, scenarios).capabilities
    for s in scenarios:
        failed = {g.index[x]: s.days.get(x, g.recovery[g.index[x]]) for x in s.fail}
        capacity = {g.index[x]: f for x, f in s.capacity.items()}
        a, down = g.scenario(failed, capacity, s.horizon_days)
        base, _ = g.scenario({}, {}, s.horizon_days)
        for r in caps[caps["scenario"] == s.name].itertuples():
            v = g.index[f"capability:{r.nation_id}/{r.platform_id}"]
            first = down[v][0][0] if down[v] else np.nan
            assert np.isclose(first, r.time_to_impact_days, equal_nan=True)
            assert np.isclose(sum(b - x for x, b in down[v]), r.days_lost)
            assert np.isclose(a[v] / base[v] if base[v] else 0.0, r.supply_fraction)


@pytest.mark.parametrize("kind", ["analyse", "whatif", "montecarlo"])
def test_baselines_extrapolate_when_over_budget(bc, pkg600, kind):
    full = bc.baseline(kind, pkg600, budget=60, trials=20)
    assert full["done"] == full["total"] > 0 and full["seconds"] > full["setup_s"]
    if kind != "whatif":
        cut = bc.baseline(kind, pkg600, budget=0, trials=20)
        assert cut["done"] == 1 < cut["total"]
