"""Allocation in a shortage (docs/design.md §4.11): a hand-computed LP optimum, supply
respected and the proportional reading beaten or matched on random packages, and an
exhaustive grid search on small instances."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from pkgtools import write_package
from randpkg import write_random_package

from riskgraph import load_network
from riskgraph.analyses.allocation import allocate
from riskgraph.model.scenario import Scenario

SAMPLE = "data/allied-defence"

# P1 needs X and M, P2 needs M; X is cut to 20 %, M to 50 %.
SHARED = dict(
    suppliers="""
        supplier_id,name,nation_id
        SX,X maker,USA
        SX2,X maker 2,USA
        SM,M maker,USA
        SM2,M maker 2,DEU
        SP,Assembler,USA
        """,
    components="""
        component_id,name,kind
        X,Part X,part
        M,Part M,part
        P1,Plane,platform
        P2,Tank,platform
        """,
    bom="""
        parent_id,child_id,quantity
        P1,X,1
        P1,M,1
        P2,M,1
        """,
    sourcing="""
        component_id,supplier_id,share
        X,SX,0.2
        X,SX2,0.8
        M,SM,0.5
        M,SM2,0.5
        """,
    fielding="""
        nation_id,platform_id,quantity
        USA,P1,10
        DEU,P2,10
        """,
)


def test_hand_computed_optimum(tmp_path):
    net = load_network(write_package(tmp_path, **SHARED))
    res = allocate(net, Scenario("cut", fail=["supplier:SX2", "supplier:SM2"]))
    caps = res.summary[res.summary["level"] == "capability"].set_index("platform_id")
    # proportional: P1 0.2 (X), P2 0.5 (M) -- 3 units of M left unused
    assert caps.loc["P1", "proportional"] == pytest.approx(0.2)
    assert caps.loc["P2", "proportional"] == pytest.approx(0.5)
    # optimal: all 10 units of M fielded (proportional fields 7); P1 at most 0.2 (X)
    assert (10 * caps["optimal"]).sum() == pytest.approx(10.0)
    assert caps.loc["P1", "optimal"] <= 0.2 + 1e-9
    # max-min across nations: USA is stuck at 0.2, so DEU is held at >= 0.2 and gets 0.8
    assert res.fair_floor == pytest.approx(0.2)
    assert caps.loc["P2", "fair"] == pytest.approx(0.8)
    m = res.allocation[res.allocation["component_id"] == "M"].set_index("platform_id")
    assert m["allocated"].sum() == pytest.approx(10.0)


def test_bom_quantities_scale_the_need(tmp_path):
    tables = dict(SHARED)
    tables["bom"] = "parent_id,child_id,quantity\nP1,X,1\nP1,M,3\nP2,M,1\n"
    net = load_network(write_package(tmp_path, **tables))
    res = allocate(net, Scenario("cut", fail=["supplier:SM2"]))
    caps = res.summary[res.summary["level"] == "capability"].set_index("platform_id")
    # M: demand 3*10 + 10 = 40, half available = 20 units; weighted optimum fields
    # f1 * 10 + f2 * 10 with 30 f1 + 10 f2 <= 20: all to P2 first (cheaper), then P1
    assert caps.loc["P2", "optimal"] == pytest.approx(1.0)
    assert caps.loc["P1", "optimal"] == pytest.approx(1 / 3)


def _random_case(seed, folder):
    rng = random.Random(seed)
    write_random_package(rng, folder)
    net = load_network(folder)
    c = net.compiled
    points = [x for x in c.ids[c.failure_points]]
    fail = rng.sample(points, min(len(points), rng.randint(0, 1)))
    cap = {x: round(rng.uniform(0.1, 0.9), 2)
           for x in rng.sample(points, min(len(points), 2)) if x not in fail}
    return net, Scenario("random", fail=fail, capacity=cap)


def _need_check(net, res):
    """Per component: the allocation never exceeds the supply left by the scenario."""
    a = res.allocation
    if not len(a):
        return
    total_need = a.groupby("component_id")["need"].sum()
    total_got = a.groupby("component_id")["allocated"].sum()
    supply = a.groupby("component_id")["component_supply_fraction"].first()
    assert (total_got <= supply * total_need + 1e-6 * (1 + total_need)).all()


@pytest.mark.parametrize("seed", range(30))
def test_random_packages_respect_supply_and_beat_proportional(seed, tmp_path):
    net, scenario = _random_case(seed, tmp_path)
    res = allocate(net, scenario)
    assert res.verified
    _need_check(net, res)
    caps = res.summary[res.summary["level"] == "capability"]
    q = caps["quantity"]
    for col in ("optimal", "fair"):
        assert ((caps[col] >= -1e-12) & (caps[col] <= 1 + 1e-12)).all()
    # the proportional reading is one feasible allocation: the optimum is at least as good
    assert (q * caps["optimal"]).sum() >= (q * caps["proportional"]).sum() - 1e-6
    nations = res.summary[res.summary["level"] == "nation"]
    assert nations["fair"].min() >= nations["proportional"].min() - 1e-6
    assert nations["fair"].min() >= nations["optimal"].min() - 1e-6


def _grid_best(res, steps=20):
    """Exhaustive search over fractions on a grid (plain BOM, no substitutes): f is
    feasible iff every component's need sum(need_c * f_c) fits its supply."""
    caps = res.summary[res.summary["level"] == "capability"].reset_index(drop=True)
    keys = list(zip(caps["nation_id"], caps["platform_id"]))
    comps = []
    for _, rows in res.allocation.groupby("component_id"):
        need = dict(zip(zip(rows["nation_id"], rows["platform_id"]), rows["need"]))
        vec = np.array([need.get(k, 0.0) for k in keys])
        comps.append((vec, rows["component_supply_fraction"].iloc[0] * vec.sum()))
    best = 0.0
    for f in itertools.product(np.linspace(0, 1, steps + 1), repeat=len(caps)):
        f = np.asarray(f)
        if all(vec @ f <= cap + 1e-9 for vec, cap in comps):
            best = max(best, float((caps["quantity"].to_numpy() * f).sum()))
    return best


def test_grid_search_agrees_on_one_platform(tmp_path):
    tables = dict(SHARED)
    tables["fielding"] = "nation_id,platform_id,quantity\nUSA,P1,10\nDEU,P1,5\nUSA,P2,4\n"
    net = load_network(write_package(tmp_path, **tables))
    res = allocate(net, Scenario("cut", capacity={"supplier:SM2": 0.3, "supplier:SX2": 0.4}))
    caps = res.summary[res.summary["level"] == "capability"]
    lp = float((caps["quantity"] * caps["optimal"]).sum())
    # grid optimum <= LP optimum <= grid optimum + one grid step of every capability
    grid = _grid_best(res, steps=20)
    assert grid <= lp + 1e-6
    assert lp <= grid + caps["quantity"].sum() / 20 + 1e-6


def test_cli_allocate_on_the_sample(tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "riskgraph", "allocate", SAMPLE, "--scenarios",
                        f"{SAMPLE}/scenarios.toml", "--scenario",
                        "Rare-earth supply halved (China at half output)", "--out", out],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    alloc = pd.read_csv(out / "allocation.csv")
    summary = pd.read_csv(out / "allocation_summary.csv")
    assert {"component_id", "allocated", "fraction"} <= set(alloc.columns)
    f35 = summary[(summary["platform_id"] == "F-35A")]
    assert len(f35) > 5 and (f35["proportional"] < 1).all()
    assert set(summary["level"]) == {"capability", "nation"}
    bad = subprocess.run([sys.executable, "-m", "riskgraph", "allocate", SAMPLE, "--scenarios",
                          f"{SAMPLE}/scenarios.toml", "--scenario", "nope", "--out", out],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "nope" in bad.stderr


def test_cli_maxmin_objective_writes_the_fair_allocation(tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "riskgraph", "allocate", SAMPLE, "--scenarios",
                        f"{SAMPLE}/scenarios.toml", "--scenario",
                        "Gallium and germanium export ban (China, 12 months)", "--objective",
                        "maxmin", "--out", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    alloc = pd.read_csv(out / "allocation.csv")
    summary = pd.read_csv(out / "allocation_summary.csv")
    caps = summary[summary["level"] == "capability"].set_index(["nation_id", "platform_id"])
    bom = pd.read_csv(f"{SAMPLE}/bom.csv", dtype=str, keep_default_na=False)
    # components reached through a substitute group anywhere: their "need" counts every
    # member as if it alone filled the group, so their fraction may fall below f
    grouped = set(bom.loc[bom["substitute_group"] != "", "child_id"])
    stack = list(grouped)
    while stack:
        for child in bom.loc[bom["parent_id"] == stack.pop(), "child_id"]:
            if child not in grouped:
                grouped.add(child)
                stack.append(child)
    plain = alloc[~alloc["component_id"].isin(grouped)]
    got = plain.groupby(["nation_id", "platform_id"])["fraction"].min()
    # a capability fielded at f gets at least f of every component it cannot substitute
    fair = caps["fair"].reindex(got.index)
    assert len(got) > 10 and ((got > 0) & (got < 1)).any()
    assert (got >= fair - 1e-6).all()
