"""Mitigation plans (docs/design.md §4.10): mitigations.csv checks, applying actions, and
optimal plans checked against brute force over every subset of actions."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pandas as pd
import pytest
from pkgtools import write_package
from randpkg import ref_available, write_random_package

from riskgraph import load_network, read_package, validate_package
from riskgraph.analyses.mitigation import plan_mitigation
from riskgraph.io.mitigations import apply_actions, check_mitigations
from riskgraph.io.report import ValidationReport

SAMPLE = "data/allied-defence"

BASE = dict(
    suppliers="""
        supplier_id,name,nation_id
        S1,One,USA
        S2,Two,DEU
        S3,Three,USA
        """,
    components="""
        component_id,name,kind,stock_days
        M,Ore,material,0
        N,Other ore,material,0
        P,Plane,platform,0
        """,
    bom="""
        parent_id,child_id,quantity
        P,M,2
        """,
    sourcing="""
        component_id,supplier_id,share
        M,S1,1
        N,S2,0.5
        P,S3,1
        """,
    fielding="""
        nation_id,platform_id,quantity
        USA,P,10
        """,
)


def _codes(report):
    return sorted((i.code, i.line, i.column) for i in report.errors)


def test_bad_mitigations_are_reported_with_place(tmp_path):
    write_package(tmp_path, **BASE, mitigations="""
        action_id,kind,component_id,supplier_id,share,stock_days,parent_id,substitute_group,cost
        A1,second_source,M,S9,0.5,,,,10
        A2,stock,M,S1,,30,,,5
        A3,second_source,M,S2,,,,,-1
        A4,capacity,M,S2,0.5,,,,1
        A5,substitute,N,,,,P,Q,1
        A6,second_source,M,S1,0.5,,,,1
        A7,stock,X,,,10,,,1
        """)
    report = validate_package(tmp_path)
    got = _codes(report)
    assert ("dangling-reference", 2, "supplier_id") in got      # unknown supplier
    assert ("unexpected-value", 3, "supplier_id") in got        # stock on a supplier
    assert ("out-of-range", 4, "cost") in got                   # negative cost
    assert ("missing-value", 4, "share") in got                 # kind's missing column
    assert ("dangling-reference", 5, "supplier_id") in got      # capacity of no source
    assert ("unknown-value", 6, "substitute_group") in got      # no such group/child
    assert ("duplicate-id", 7, "supplier_id") in got            # already a source
    assert ("dangling-reference", 8, "component_id") in got     # unknown component
    text = str(report)
    assert "mitigations.csv:3:supplier_id:" in text and "components, not suppliers" in text


def test_package_without_mitigations_is_unchanged(tmp_path):
    write_package(tmp_path, **BASE)
    pkg = read_package(tmp_path)
    assert pkg.mitigations is None and "mitigations" not in pkg.tables


def test_apply_actions_adds_rows_and_keeps_input(tmp_path):
    write_package(tmp_path, **BASE, mitigations="""
        action_id,kind,component_id,supplier_id,share,stock_days,parent_id,substitute_group,cost
        A1,second_source,M,S2,0.5,,,,10
        A2,stock,M,,,30,,,5
        A3,substitute,N,,,,P,M,1
        A4,capacity,N,S2,1,,,,1
        """)
    pkg = read_package(tmp_path)
    before = pkg.sourcing.copy()
    new = apply_actions(pkg, pkg.mitigations, ["A1", "A2", "A3"])
    pd.testing.assert_frame_equal(pkg.sourcing, before)
    assert len(new.sourcing) == len(before) + 1
    assert new.components.loc["M", "stock_days"] == 30
    groups = new.bom.set_index("child_id")["substitute_group"]
    assert groups["M"] == groups["N"] == "M"
    up = ref_available(new, {"supplier:S1"})
    assert up["capability:USA/P"]          # M second-sourced and substitutable
    out = tmp_path / "mitigated"
    from riskgraph import write_package as write_pkg
    write_pkg(new, out)
    again = read_package(out)
    assert len(again.sourcing) == len(new.sourcing) and again.mitigations is None


def _no_supplier_spof(pkg, cap: str) -> bool:
    """Every single supplier failure, one trial each, through the availability kernel."""
    from riskgraph.model.network import SupplyNetwork
    from riskgraph.model.propagation import available

    c = SupplyNetwork(pkg).compiled
    sups = [i for i, x in enumerate(c.ids) if str(x).startswith("supplier:")]
    failed = np.zeros((c.n, len(sups)), dtype=bool)
    failed[sups, np.arange(len(sups))] = True
    return bool(available(c, failed)[c.index[cap]].all())


def test_poland_f35_plan_on_the_sample():
    net = load_network(SAMPLE)
    res = plan_mitigation(net, capabilities=["capability:POL/F-35A"])
    assert res.status == "optimal" and res.verified
    # verified independently (availability kernel, not the crit recursion): no supplier
    # is a SPOF of the capability any more
    assert not _no_supplier_spof(net.package, "capability:POL/F-35A")
    assert _no_supplier_spof(res.mitigated_package(), "capability:POL/F-35A")
    assert res.summary["cost"] == res.plan["cost"].sum() == res.summary["bound"]


def test_infeasible_goal_names_the_pairs():
    net = load_network(SAMPLE)
    res = plan_mitigation(net, capabilities=["capability:AUS/JAVELIN"], time_limit=20)
    assert not res.summary["feasible"] and not res.verified
    assert "supplier:AMPAC" in set(res.unbreakable["failure_point"])
    assert (res.residual["reason"] == "no candidate action can remove it").any()


# -- brute force ---------------------------------------------------------------------------

def _random_actions(rng: random.Random, pkg) -> pd.DataFrame:
    comps = list(pkg.components.index)
    sourced = sorted(set(pkg.sourcing["component_id"])) or comps
    sups = list(pkg.suppliers.index)
    rows = []
    for i in range(rng.randint(3, 8)):
        kind = rng.choice(["second_source"] * 4 + ["substitute", "stock"])
        row = {"action_id": f"A{i}", "kind": kind,
               "component_id": rng.choice(sourced if kind == "second_source" else comps),
               "cost": float(rng.randint(0, 9))}
        if kind == "second_source":
            row.update(supplier_id=rng.choice(sups), share=0.5)
        elif kind == "stock":
            row.update(stock_days=float(rng.randint(1, 200)))
        else:
            parent = rng.choice(comps)
            kids = pkg.bom[pkg.bom["parent_id"] == parent]
            names = list(kids["child_id"]) + list(kids["substitute_group"].dropna())
            row.update(parent_id=parent, substitute_group=rng.choice(names or ["none"]))
        rows.append(row)
    df = pd.DataFrame(rows).set_index("action_id")
    for col in ("supplier_id", "share", "stock_days", "parent_id", "substitute_group"):
        if col not in df:
            df[col] = None
    report = ValidationReport("x")
    check_mitigations(df, np.arange(2, len(df) + 2), pkg.tables, report)
    bad = {df.index[i.line - 2] for i in report.errors}
    return df.drop(index=sorted(bad))


def _pairs(pkg, caps, kinds) -> set:
    base = ref_available(pkg, set())
    out = set()
    points = [f"{k}:{x}" for k, table in (("supplier", pkg.suppliers), ("nation", pkg.nations))
              if k in kinds for x in table.index]
    for x in points:
        up = ref_available(pkg, {x})
        out |= {(c, x) for c in caps if base[c] and not up[c]}
    return out


def _instance(seed, folder):
    rng = random.Random(seed)
    write_random_package(rng, folder)
    net = load_network(folder)
    actions = _random_actions(rng, net.package)
    caps = list(net.compiled.ids[net.compiled.capabilities])
    return net, actions, caps


@pytest.mark.parametrize("seed", range(25))
def test_cover_is_optimal_against_brute_force(seed, tmp_path):
    net, actions, caps = _instance(seed, tmp_path)
    if not len(actions):
        return
    kinds = ("supplier", "nation")
    pairs = _pairs(net.package, caps, kinds)
    if not pairs:
        return
    res = plan_mitigation(net, actions, kinds=kinds, time_limit=30)
    cost = actions["cost"]
    every = _pairs(apply_actions(net.package, actions, list(actions.index)), caps, kinds)
    breakable = pairs - every
    best = None
    for r in range(len(actions) + 1):
        for sub in itertools.combinations(actions.index, r):
            left = _pairs(apply_actions(net.package, actions, list(sub)), caps, kinds)
            if not (breakable & left):
                c = float(cost[list(sub)].sum())
                best = c if best is None else min(best, c)
    assert res.summary["unbreakable"] == len(pairs & every)
    assert res.status == "optimal"
    assert res.summary["feasible"] == (not (pairs & every))
    assert res.summary["cost"] == pytest.approx(best)
    left = _pairs(res.mitigated_package(), caps, kinds)
    assert not (breakable & left)


@pytest.mark.parametrize("seed", range(12))
def test_budget_is_optimal_against_brute_force(seed, tmp_path):
    net, actions, caps = _instance(seed, tmp_path)
    if not len(actions):
        return
    kinds = ("supplier", "nation")
    pairs = _pairs(net.package, caps, kinds)
    if not pairs:
        return
    budget = float(actions["cost"].sum()) / 2
    rng = random.Random(seed)
    weights = {c: float(rng.randint(0, 4)) for c in caps}
    res = plan_mitigation(net, actions, goal="budget", budget=budget, kinds=kinds,
                          weights=weights, time_limit=30)

    def value(left):
        return sum(weights[c] for c, _ in pairs - left)

    best = 0
    for r in range(len(actions) + 1):
        for sub in itertools.combinations(actions.index, r):
            if actions["cost"][list(sub)].sum() <= budget:
                left = _pairs(apply_actions(net.package, actions, list(sub)), caps, kinds)
                best = max(best, value(left))
    assert res.summary["objective"] == best
    assert res.summary["cost"] <= budget
    assert value(_pairs(res.mitigated_package(), caps, kinds)) == best


# -- command line --------------------------------------------------------------------------

def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "riskgraph", *map(str, args)],
                          capture_output=True, text=True)


def test_cli_bad_mitigations_exit_3_and_write_nothing(tmp_path):
    pkg = write_package(tmp_path / "pkg", **BASE, mitigations="""
        action_id,kind,component_id,supplier_id,share,stock_days,parent_id,substitute_group,cost
        A1,stock,S1,,,30,,,-5
        """)
    out = tmp_path / "out"
    r = _cli("mitigate", pkg, "--out", out)
    assert r.returncode == 3, r.stderr
    assert "mitigations.csv:2:cost:" in r.stderr and "mitigations.csv:2:component_id:" in r.stderr
    assert not out.exists() or not any(out.iterdir())


def test_cli_plan_for_poland_writes_plan_residual_and_package(tmp_path):
    out, mpkg = tmp_path / "out", tmp_path / "mitigated"
    r = _cli("mitigate", SAMPLE, "--out", out, "--capability", "POL/F-35A",
             "--write-package", mpkg)
    assert r.returncode == 0, r.stderr
    assert "optimal, verified" in r.stdout
    plan = pd.read_csv(out / "mitigation_plan.csv")
    assert list(plan.columns[:3]) == ["action_id", "kind", "component_id"]
    assert {"cost", "removes", "removes_count"} <= set(plan.columns)
    residual = pd.read_csv(out / "residual_risk.csv")
    assert not residual["in_goal"].any()                  # no supplier SPOF left
    assert (residual["kind"] != "supplier").all()
    summary = pd.read_csv(out / "mitigation_summary.csv")
    assert summary.loc[0, "cost"] == plan["cost"].sum()
    manifest = __import__("json").loads((out / "manifest.json").read_text())
    assert manifest["command"] == "mitigate"
    assert set(manifest["outputs"]) == {"mitigation_plan.csv", "residual_risk.csv",
                                        "mitigation_summary.csv"}
    # the written package is valid and has no supplier SPOF for the capability
    new = read_package(mpkg)
    assert _no_supplier_spof(new, "capability:POL/F-35A")
    # the whole package is written (verification runs on the capability's cone only)
    old = read_package(SAMPLE)
    assert len(new.components) == len(old.components)
    assert len(new.fielding) == len(old.fielding)
    assert len(new.sourcing) == len(old.sourcing) + len(plan)


def test_cli_usage_errors(tmp_path):
    assert _cli("mitigate", SAMPLE, "--out", tmp_path / "o", "--kinds", "planet").returncode == 2
    assert _cli("mitigate", SAMPLE, "--out", tmp_path / "o", "--budget", "5",
                "--scenarios", f"{SAMPLE}/scenarios.toml").returncode == 2
    assert _cli("mitigate", SAMPLE, "--out", tmp_path / "o", "--capability",
                "XXX/F-35A").returncode == 2


def test_cli_default_time_limit_matches_the_library():
    from riskgraph.analyses.mitigation import DEFAULT_TIME_LIMIT
    from riskgraph.cli import mitigation

    assert mitigation.DEFAULT_TIME_LIMIT == DEFAULT_TIME_LIMIT


def test_time_limit_reports_best_plan_and_gap(monkeypatch):
    """Deterministic: the solver's clock jumps an hour a reading, so the limit is over
    after the first MILP, whatever the machine's speed (a real 0.001 s limit let an idle
    machine finish the sample optimally within HiGHS's 0.05 s floor)."""
    net = load_network(SAMPLE)
    clock = iter(range(0, 10**9, 3600))
    monkeypatch.setattr("riskgraph.analyses._mit_solve.time.monotonic",
                        lambda: float(next(clock)))
    res = plan_mitigation(net, time_limit=0.001)
    monkeypatch.undo()
    s = res.summary
    assert s["status"] in ("time_limit", "greedy")
    assert 0.0 <= s["gap"] <= 1.0 and s["bound"] <= s["objective"]
    # whatever it stopped with is a verified plan for every pair some action can break
    assert s["targets_met"] == s["targets"] - s["unbreakable"]
    full = plan_mitigation(net)
    assert full.status == "optimal" and full.summary["cost"] <= s["cost"]


def test_cli_write_package_never_over_the_input(tmp_path):
    r = _cli("mitigate", SAMPLE, "--out", tmp_path / "o", "--capability", "POL/F-35A",
             "--write-package", SAMPLE)
    assert r.returncode == 2 and "write-package" in r.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
