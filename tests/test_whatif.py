"""What-if runs (docs/design.md §3.1–3.3, §4.6): hand-checked fixtures and slow references."""

from __future__ import annotations

import math
import random
import shutil
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pkgtools import network_from
from randpkg import ref_available, ref_supply, write_random_package
from riskgraph import UsageError, load_network
from riskgraph.model.intervals import clip, covered, covered_flat, delay, first, total
from riskgraph.model.network import COMPONENT
from riskgraph.model.scenario import Scenario, ScenarioError
from riskgraph.analyses.spof import single_points_of_failure
from riskgraph.analyses.whatif import (CAPABILITY_COLUMNS, EXPOSED_COLUMNS, NATION_COLUMNS,
                              compare_scenarios, outage_margins, run_scenario,
                              run_scenarios)

WORKED = Path(__file__).parent / "fixtures" / "worked"


@pytest.fixture(scope="module")
def worked():
    return load_network(WORKED)


def cap(result, capability, scenario=None):
    """The row of one capability (of one scenario) as a Series."""
    df = result.capabilities
    if scenario is not None:
        df = df[df["scenario"] == scenario]
    return df.loc[capability]


def same_float(a, b) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# ------------------------------------------------------------------------ interval sets


def test_covered_union_intersection_and_k_of_n():
    a, b, c = [(0.0, 10.0)], [(5.0, 20.0)], [(8.0, 30.0)]
    assert covered([a, b, c], 1) == [(0.0, 30.0)]
    assert covered([a, b, c], 3) == [(8.0, 10.0)]
    assert covered([a, b, c], 2) == [(5.0, 20.0)]
    assert covered([a, [], c], 2) == [(8.0, 10.0)]
    assert covered([a, [], c], 3) == []
    assert covered([a], 0, horizon=50.0) == [(0.0, 50.0)]


def test_covered_merges_touching_intervals_and_drops_empty_overlaps():
    assert covered([[(0.0, 10.0)], [(10.0, 20.0)]], 1) == [(0.0, 20.0)]
    assert covered([[(0.0, 10.0)], [(10.0, 20.0)]], 2) == []
    assert covered([[(0.0, 2.0), (4.0, 6.0)], [(1.0, 5.0)]], 2) == [(1.0, 2.0), (4.0, 5.0)]


def test_delay_clip_total_first():
    assert delay([(0.0, 20.0), (30.0, 32.0)], 5.0) == [(5.0, 20.0)]
    assert delay([(0.0, 20.0)], 20.0) == []
    assert delay([(0.0, 20.0)], 0.0) == [(0.0, 20.0)]
    assert clip([(0.0, 500.0)], 365.0) == [(0.0, 365.0)]
    assert clip([(400.0, 500.0)], 365.0) == []
    assert total([(1.0, 3.0), (5.0, 6.5)]) == 3.5
    assert first([(4.0, 6.0)]) == 4.0 and math.isnan(first([]))


# -------------------------------------------------------------- hand-checked fixtures

# USA makes everything. P (platform) = A + B, A single-sourced from S_A,
# B dual-sourced from S_B1 / S_B2; stock days set per test.
def two_part(tmp_path, stock_a=0, stock_b=0, stock_p=0, horizon_nations=None):
    return network_from(
        tmp_path,
        suppliers="""
            supplier_id,name,nation_id
            S_A,A maker,USA
            S_B1,B maker one,USA
            S_B2,B maker two,DEU
            """,
        components=f"""
            component_id,name,kind,stock_days
            A,Part A,part,{stock_a}
            B,Part B,part,{stock_b}
            P,Platform,platform,{stock_p}
            """,
        bom="""
            parent_id,child_id
            P,A
            P,B
            """,
        sourcing="""
            component_id,supplier_id,share
            A,S_A,1
            B,S_B1,0.6
            B,S_B2,0.6
            """,
        fielding="""
            nation_id,platform_id
            USA,P
            DEU,P
            """,
    )


def test_stock_delays_impact_by_exactly_stock_days(tmp_path):
    net = two_part(tmp_path, stock_a=30)
    res = run_scenario(net, Scenario("A out", fail=["supplier:S_A"],
                                     days={"supplier:S_A": 100}))
    row = cap(res, "capability:USA/P")
    assert not row["up"]  # the state while the failure lasts, before stock is drawn down
    assert row["supply_fraction"] == 0.0 and row["loss_fraction"] == 1.0
    assert row["time_to_impact_days"] == 30.0
    assert row["days_lost"] == 70.0


def test_outage_shorter_than_stock_has_no_impact(tmp_path):
    net = two_part(tmp_path, stock_a=30)
    res = run_scenario(net, Scenario("A blip", fail=["supplier:S_A"],
                                     days={"supplier:S_A": 30}))
    row = cap(res, "capability:USA/P")
    assert not row["up"]
    assert math.isnan(row["time_to_impact_days"]) and row["days_lost"] == 0.0
    assert res.exposed.empty
    assert res.nations.loc["nation:USA", "capabilities_impacted"] == 0
    assert res.nations.loc["nation:USA", "capabilities_lost"] == 1


def test_stock_on_platform_and_part_add_up(tmp_path):
    net = two_part(tmp_path, stock_a=30, stock_p=10)
    res = run_scenario(net, Scenario("A out", fail=["supplier:S_A"],
                                     days={"supplier:S_A": 100}))
    row = cap(res, "capability:USA/P")
    assert row["time_to_impact_days"] == 40.0 and row["days_lost"] == 60.0


def test_dual_sources_bite_only_while_both_are_down(tmp_path):
    net = two_part(tmp_path)
    one = run_scenario(net, Scenario("B1 out", fail=["supplier:S_B1"]))
    row = cap(one, "capability:USA/P")
    assert row["up"] and row["supply_fraction"] == pytest.approx(0.6)
    assert math.isnan(row["time_to_impact_days"]) and row["days_lost"] == 0.0
    both = run_scenario(net, Scenario("B1 and B2 out", fail=["supplier:S_B1", "supplier:S_B2"],
                                      days={"supplier:S_B1": 50, "supplier:S_B2": 30}))
    row = cap(both, "capability:USA/P")
    assert not row["up"]
    # overlapping windows [0, 50) and [0, 30): down while both are, [0, 30)
    assert row["time_to_impact_days"] == 0.0 and row["days_lost"] == 30.0


SUBSTITUTES = dict(
    suppliers="""
        supplier_id,name,nation_id
        S1,One,USA
        S2,Two,USA
        """,
    components="""
        component_id,name,kind,stock_days
        G1,Option one,part,{g1}
        G2,Option two,part,0
        P,Platform,platform,0
        """,
    bom="""
        parent_id,child_id,substitute_group
        P,G1,seeker
        P,G2,seeker
        """,
    sourcing="""
        component_id,supplier_id,share
        G1,S1,1
        G2,S2,1
        """,
    fielding="""
        nation_id,platform_id
        USA,P
        """,
)


def substitutes(tmp_path, g1_stock):
    tables = dict(SUBSTITUTES)
    tables["components"] = tables["components"].format(g1=g1_stock)
    return network_from(tmp_path, **tables)


def test_substitutes_one_down_is_harmless_both_down_bites(tmp_path):
    net = substitutes(tmp_path, 0)
    res = run_scenarios(net, [
        Scenario("G1 only", fail=["component:G1"]),
        Scenario("both", fail=["component:G1", "component:G2"],
                 days={"component:G2": 50}),
    ])
    only = cap(res, "capability:USA/P", "G1 only")
    assert only["up"] and math.isnan(only["time_to_impact_days"])
    both = cap(res, "capability:USA/P", "both")
    # G1 down for its default recovery (component: 90 days), G2 for 50: together [0, 50)
    assert not both["up"]
    assert both["time_to_impact_days"] == 0.0 and both["days_lost"] == 50.0


def test_disjoint_windows_on_alternatives_never_bite(tmp_path):
    """G1's stock moves its down days to [40, 100); G2 is down [0, 30): never together."""
    net = substitutes(tmp_path, 40)
    res = run_scenarios(net, [
        Scenario("disjoint", fail=["supplier:S1", "supplier:S2"],
                 days={"supplier:S1": 100, "supplier:S2": 30}),
        Scenario("overlapping", fail=["supplier:S1", "supplier:S2"],
                 days={"supplier:S1": 100, "supplier:S2": 60}),
    ])
    disjoint = cap(res, "capability:USA/P", "disjoint")
    assert not disjoint["up"]  # both down at day 0 before stock is drawn down
    assert math.isnan(disjoint["time_to_impact_days"]) and disjoint["days_lost"] == 0.0
    overlapping = cap(res, "capability:USA/P", "overlapping")
    assert overlapping["time_to_impact_days"] == 40.0 and overlapping["days_lost"] == 20.0


MIN_SOURCES = dict(
    suppliers="""
        supplier_id,name,nation_id
        S3,Three,USA
        S4,Four,USA
        S5,Five,DEU
        """,
    components="""
        component_id,name,kind,min_sources,stock_days
        Q,Qualified part,part,2,{stock}
        P,Platform,platform,1,0
        """,
    bom="""
        parent_id,child_id
        P,Q
        """,
    sourcing="""
        component_id,supplier_id,share
        Q,S3,0.4
        Q,S4,0.4
        Q,S5,0.4
        """,
    fielding="""
        nation_id,platform_id
        USA,P
        """,
)


@pytest.mark.parametrize("stock, tti, lost", [(0, 0.0, 40.0), (15, 15.0, 25.0),
                                              (40, math.nan, 0.0)])
def test_two_of_three_down_while_two_are_down(tmp_path, stock, tti, lost):
    tables = dict(MIN_SOURCES)
    tables["components"] = tables["components"].format(stock=stock)
    net = network_from(tmp_path, **tables)
    one = run_scenario(net, Scenario("S3 out", fail=["supplier:S3"]))
    row = cap(one, "capability:USA/P")
    assert row["up"] and row["supply_fraction"] == pytest.approx(0.8 / 1.0)
    assert math.isnan(row["time_to_impact_days"])
    # S3 down [0, 10), S4 [0, 40), S5 [0, 70): fewer than 2 up on [0, 40)
    res = run_scenario(net, Scenario("three out", fail=["supplier:S3", "supplier:S4",
                                                        "supplier:S5"],
                                     days={"supplier:S3": 10, "supplier:S4": 40,
                                           "supplier:S5": 70}))
    row = cap(res, "capability:USA/P")
    assert not row["up"] and row["supply_fraction"] == 0.0
    assert same_float(row["time_to_impact_days"], tti) and row["days_lost"] == lost


def test_capacity_factors_combine_with_shares(worked):
    res = run_scenario(worked, Scenario("B1 at half", capacity={"supplier:S_B1": 0.5}))
    p2 = cap(res, "capability:USA/P2")
    # min(1, 0.6 * 0.5 + 0.6 * 1) = 0.9 of a baseline of 1
    assert p2["up"] and p2["supply_fraction"] == pytest.approx(0.9)
    assert p2["loss_fraction"] == pytest.approx(0.1)
    assert math.isnan(p2["time_to_impact_days"]) and p2["days_lost"] == 0.0
    assert res.exposed.empty


def test_capacity_below_a_baseline_shortfall_is_relative(tmp_path):
    net = network_from(
        tmp_path,
        suppliers="supplier_id,name,nation_id\nS1,One,USA\nS2,Two,USA\n",
        components="component_id,name,kind\nP,Platform,platform\n",
        sourcing="component_id,supplier_id,share\nP,S1,0.4\nP,S2,0.4\n",
        fielding="nation_id,platform_id\nUSA,P\n",
    )
    res = run_scenario(net, Scenario("S2 out", fail=["supplier:S2"]))
    row = cap(res, "capability:USA/P")
    assert row["baseline_supply_fraction"] == pytest.approx(0.8)
    assert row["supply_fraction"] == pytest.approx(0.5)


def test_zero_capacity_without_fail_is_a_failure_for_the_whole_horizon(worked):
    res = run_scenario(worked, Scenario("A zero", capacity={"supplier:S_A": 0.0},
                                        horizon_days=200))
    p1 = cap(res, "capability:USA/P1")
    assert not p1["up"] and p1["time_to_impact_days"] == 0.0 and p1["days_lost"] == 200.0
    exposed = res.exposed
    assert exposed["failure_point"].tolist() == ["supplier:S_A"]
    assert exposed["down_days"].tolist() == [200.0]


def test_nation_failure_takes_its_suppliers_for_365_days(worked):
    res = run_scenarios(worked, [
        Scenario("DEU", fail=["nation:DEU"]),
        Scenario("USA", fail=["nation:USA"], horizon_days=400),
    ])
    deu = cap(res, "capability:USA/P2", "DEU")
    assert deu["up"] and deu["supply_fraction"] == pytest.approx(0.6)
    # USA takes S_A and S_B1 with it: P1 (needs A) is down for 365 days of a 400-day
    # horizon; P2 (needs only B) keeps S_B2's 0.6 from Germany
    p1, p2 = cap(res, "capability:USA/P1", "USA"), cap(res, "capability:USA/P2", "USA")
    assert not p1["up"] and p1["time_to_impact_days"] == 0.0 and p1["days_lost"] == 365.0
    assert p2["up"] and p2["supply_fraction"] == pytest.approx(0.6)
    ex = res.exposed[res.exposed["scenario"] == "USA"]
    assert ex.index.tolist() == ["capability:USA/P1"]
    assert ex["down_days"].tolist() == [365.0] and ex["exposed"].all()
    nations = res.nations.set_index("scenario")
    assert nations.loc["USA", "capabilities_lost"] == 1
    assert nations.loc["USA", "share_lost"] == 0.5
    assert nations.loc["DEU", "capabilities_lost"] == 0


@pytest.mark.parametrize("stock, horizon, tti, lost", [
    (0, 200, 0.0, 200.0),      # 500-day outage clipped to the horizon
    (30, 200, 30.0, 170.0),
    (300, 200, math.nan, 0.0),  # stock outlasts the horizon
    (30, 1000, 30.0, 470.0),
])
def test_horizon_clipping(tmp_path, stock, horizon, tti, lost):
    net = two_part(tmp_path, stock_a=stock)
    res = run_scenario(net, Scenario("long", fail=["supplier:S_A"],
                                     days={"supplier:S_A": 500}, horizon_days=horizon))
    row = cap(res, "capability:USA/P")
    assert same_float(row["time_to_impact_days"], tti) and row["days_lost"] == lost


def test_worked_example_s_a_100_days_stock_30(tmp_path):
    folder = tmp_path / "worked"
    shutil.copytree(WORKED, folder)
    comps = pd.read_csv(folder / "components.csv")
    comps["stock_days"] = [30, 0, 0, 0, 0]  # component A
    comps.to_csv(folder / "components.csv", index=False)
    net = load_network(folder)
    res = run_scenario(net, Scenario("S_A 100 days", fail=["supplier:S_A"],
                                     days={"supplier:S_A": 100}))
    p1 = cap(res, "capability:USA/P1")
    assert p1["time_to_impact_days"] == 30.0 and p1["days_lost"] == 70.0
    assert not p1["up"] and p1["loss_fraction"] == 1.0
    p2 = cap(res, "capability:USA/P2")
    assert p2["up"] and p2["supply_fraction"] == 1.0 and math.isnan(p2["time_to_impact_days"])
    ex = res.exposed
    assert ex.index.tolist() == ["capability:USA/P1"]
    assert ex.iloc[0][["failure_point", "down_days", "time_to_impact_days", "exposed"]] \
        .tolist() == ["supplier:S_A", 100.0, 30.0, True]
    usa = res.nations.loc["nation:USA"]
    assert usa[["capabilities", "capabilities_lost", "share_lost", "capabilities_impacted"]] \
        .tolist() == [2, 1, 0.5, 1]


def test_exposed_false_when_outage_is_bridged(tmp_path):
    """S_B1 and S_B2 down 20 days behind 25 days of B stock; S_A down 100 behind 30 days."""
    net = two_part(tmp_path, stock_a=30, stock_b=25)
    res = run_scenario(net, Scenario(
        "mixed", fail=["supplier:S_A", "supplier:S_B1", "supplier:S_B2"],
        days={"supplier:S_A": 100, "supplier:S_B1": 20, "supplier:S_B2": 20}))
    ex = res.exposed.loc[["capability:USA/P"]].set_index("failure_point")
    assert ex.loc["supplier:S_A", "exposed"]
    assert not ex.loc["supplier:S_B1", "exposed"] and not ex.loc["supplier:S_B2", "exposed"]
    assert ex["time_to_impact_days"].tolist() == [30.0, 30.0, 30.0]
    # alone, S_A bites after A's 30 days of stock; either B source alone never bites
    assert ex.loc["supplier:S_A", "time_to_survive_days"] == 30.0
    assert ex.loc[["supplier:S_B1", "supplier:S_B2"], "time_to_survive_days"].isna().all()


def test_result_columns_dtypes_and_order(worked):
    res = run_scenarios(worked, [Scenario("b", fail=["supplier:S_A"]),
                                 Scenario("a", capacity={"supplier:S_B2": 0.5})])
    assert tuple(res.capabilities.columns) == CAPABILITY_COLUMNS
    assert tuple(res.nations.columns) == NATION_COLUMNS
    assert tuple(res.exposed.columns) == EXPOSED_COLUMNS
    assert res.capabilities["scenario"].tolist() == ["b", "b", "a", "a"]
    assert res.capabilities["up"].dtype == bool and res.exposed["exposed"].dtype == bool
    assert res.capabilities.index.name == "capability" and res.nations.index.name == "nation"
    empty = run_scenarios(worked, [])
    assert empty.capabilities.empty and tuple(empty.capabilities.columns) == CAPABILITY_COLUMNS


def test_compare_scenarios_side_by_side(worked):
    res = run_scenarios(worked, [Scenario("A out", fail=["supplier:S_A"]),
                                 Scenario("B2 half", capacity={"supplier:S_B2": 0.5})])
    table = compare_scenarios(res)
    assert table.columns.tolist() == [
        "nation_id", "platform_id",
        "up[A out]", "loss_fraction[A out]", "time_to_impact_days[A out]", "days_lost[A out]",
        "up[B2 half]", "loss_fraction[B2 half]", "time_to_impact_days[B2 half]",
        "days_lost[B2 half]"]
    assert table.loc["capability:USA/P1", "days_lost[A out]"] == 90.0
    assert table.loc["capability:USA/P2", "loss_fraction[B2 half]"] == pytest.approx(0.1)
    with pytest.raises(UsageError, match="nope"):
        compare_scenarios(res, metrics=["nope"])


def test_invalid_scenarios_are_rejected_all_at_once(worked):
    with pytest.raises(ScenarioError) as err:
        run_scenarios(worked, [Scenario("x", fail=["supplier:NOPE"]),
                               Scenario("x", capacity={"supplier:S_A": 2})])
    text = str(err.value)
    assert "supplier:NOPE" in text and "duplicate name" in text and "[0, 1]" in text


def test_run_does_not_mutate_the_network(worked):
    c = worked.compiled
    before = {k: getattr(c, k).copy() for k in ("member", "weight", "stock_days",
                                                "recovery_days", "group_k")}
    run_scenario(worked, Scenario("all", fail=["nation:USA", "nation:DEU"]))
    for k, v in before.items():
        assert np.array_equal(getattr(c, k), v), k


# ---------------------------------------------------------------- slow references


def ref_timeline(package, outage: dict[str, int], horizon: int, ownership: bool = True):
    """Day-by-day reference for docs/design.md §3.3, straight from the tables.

    A point in ``outage`` is down on days ``0 .. d-1``. A node's raw state on day t follows
    §3.1 from its inputs' *seen* states; a component with stock s is *seen* down on day t
    iff it has been raw-down on every day from t − s to t (days before 0 are up).
    Returns typed id -> boolean array over days ``0 .. horizon-1``.
    """
    days = np.arange(horizon)
    own = {x: days < d for x, d in outage.items()}
    none = np.zeros(horizon, dtype=bool)
    sup, comps = package.suppliers, package.components
    sourcing = defaultdict(list)
    for r in package.sourcing.itertuples(index=False):
        sourcing[r.component_id].append(r.supplier_id)
    plain, groups = defaultdict(list), defaultdict(lambda: defaultdict(list))
    for r in package.bom.itertuples(index=False):
        group = r.substitute_group if isinstance(r.substitute_group, str) else ""
        if group:
            groups[r.parent_id][group].append(r.child_id)
        else:
            plain[r.parent_id].append(r.child_id)
    memo = {}

    def nation(n):
        return own.get(f"nation:{n}", none)

    def supplier(s):
        row = sup.loc[s]
        down = own.get(f"supplier:{s}", none) | nation(row["nation_id"])
        owner = row.get("owner_nation_id")
        if ownership and isinstance(owner, str) and owner:
            down = down | nation(owner)
        return down

    def component(cid):
        if cid in memo:
            return memo[cid]
        raw = own.get(f"component:{cid}", none).copy()
        rows = sourcing.get(cid, [])
        if rows:
            up_count = sum((~supplier(s)).astype(int) for s in rows)
            raw |= up_count < int(comps.loc[cid, "min_sources"])
        for child in plain.get(cid, []):
            raw |= component(child)
        for members in groups.get(cid, {}).values():
            raw |= np.logical_and.reduce([component(m) for m in members])
        stock = comps.loc[cid, "stock_days"]
        s = 0 if pd.isna(stock) else int(stock)
        # seen down on t iff no up day in t-s..t (and t-s >= 0): count up days by cumsum
        ups = np.r_[0, np.cumsum(~raw)]
        seen = np.zeros(horizon, dtype=bool)
        t = np.arange(s, horizon)
        seen[t] = ups[t + 1] - ups[t - s] == 0
        memo[cid] = seen
        return seen

    return {f"capability:{r.nation_id}/{r.platform_id}": component(r.platform_id)
            for r in package.fielding.itertuples(index=False)}


def test_day_by_day_reference_matches_the_interval_rule():
    """For one interval [a, b), "seen down on t iff down on t−s..t" is [a + s, b)."""
    for a, b, s in [(0, 10, 3), (0, 10, 10), (0, 10, 0), (2, 7, 4), (2, 7, 5)]:
        raw = np.zeros(20, dtype=bool)
        raw[a:b] = True
        seen = [t for t in range(20) if t - s >= 0 and raw[t - s:t + 1].all()]
        expected = delay([(float(a), float(b))], float(s))
        assert seen == [t for x, y in expected for t in range(int(x), int(y))]


N_PACKAGES = 60


@pytest.fixture(scope="module")
def random_networks(tmp_path_factory):
    """Seeded random valid packages (randpkg), every other one read with ownership off."""
    nets = []
    for seed in range(N_PACKAGES):
        folder = tmp_path_factory.mktemp(f"rand{seed}")
        write_random_package(random.Random(seed), folder)
        nets.append((seed, load_network(folder, ownership=seed % 2 == 0)))
    return nets


def random_scenario(net, rng: random.Random, name="s", integer=True):
    c = net.compiled
    points = [str(x) for x in c.ids[c.failure_points]]
    fail = rng.sample(points, rng.randint(0, min(4, len(points))))
    days = {x: (rng.randint(1, 200) if integer else rng.uniform(0.5, 200))
            for x in fail if rng.random() < 0.7}
    rest = [x for x in points if x not in fail]
    capacity = {x: rng.choice([0.0, 0.3, 0.5, 1.0])
                for x in rng.sample(rest, rng.randint(0, min(2, len(rest))))}
    return Scenario(name, fail=fail, days=days, capacity=capacity,
                    horizon_days=rng.choice([100, 365, 400]))


def outage_of(net, s: Scenario) -> dict[str, float]:
    c = net.compiled
    out = {x: s.horizon_days for x, f in s.capacity.items() if f == 0.0}
    out.update({x: s.days.get(x, c.recovery_days[c.index[x]]) for x in s.fail})
    return out


def test_against_slow_references(random_networks):
    """up vs ref_available, supply vs ref_supply, time vs the day-by-day simulation."""
    for seed, net in random_networks:
        rng = random.Random(seed)
        scenarios = [random_scenario(net, rng, name=f"s{i}") for i in range(4)]
        res = run_scenarios(net, scenarios)
        own = net.ownership
        base = ref_supply(net.package, {}, ownership=own)
        for s in scenarios:
            rows = res.capabilities[res.capabilities["scenario"] == s.name]
            outage = outage_of(net, s)
            up = ref_available(net.package, set(outage), ownership=own)
            factors = {**s.capacity, **{x: 0.0 for x in outage}}
            a = ref_supply(net.package, factors, ownership=own)
            timeline = ref_timeline(net.package, {x: int(d) for x, d in outage.items()},
                                    int(s.horizon_days), ownership=own)
            for capability, row in rows.iterrows():
                where = (seed, s, capability)
                assert row["up"] == up[capability], where
                expected = a[capability] / base[capability] if base[capability] > 0 else 0.0
                assert row["supply_fraction"] == pytest.approx(expected, abs=1e-12), where
                down = np.flatnonzero(timeline[capability])
                tti = float(down[0]) if len(down) else math.nan
                assert same_float(row["time_to_impact_days"], tti), where
                assert row["days_lost"] == len(down), where
            # exposure rows: every (failed point, capability downstream of it and hit)
            ex = res.exposed[res.exposed["scenario"] == s.name]
            hit = set(rows.index[rows["time_to_impact_days"].notna()])
            want = {(x, cap_) for x in outage for cap_ in nx.descendants(net.graph, x) & hit}
            assert set(zip(ex["failure_point"], ex.index)) == want, (seed, s)
            for x, d in outage.items():
                alone = ref_timeline(net.package, {x: int(s.horizon_days)},
                                     int(s.horizon_days), ownership=own)
                for capability, row in ex[ex["failure_point"] == x].iterrows():
                    days_alone = np.flatnonzero(alone[capability])
                    tts = float(days_alone[0]) if len(days_alone) else math.nan
                    assert same_float(row["time_to_survive_days"], tts), (seed, s, x)
                    assert row["down_days"] == d
                    assert row["exposed"] == (d > row["time_to_impact_days"])


def test_failing_more_never_helps(random_networks):
    for seed, net in random_networks:
        rng = random.Random(seed)
        c = net.compiled
        points = [str(x) for x in c.ids[c.failure_points]]
        for _ in range(3):
            small = random_scenario(net, rng, "small", integer=False)
            extra = [x for x in rng.sample(points, min(2, len(points)))
                     if x not in small.fail and x not in small.capacity]
            fail = list(small.fail) + extra
            days = {x: d + rng.uniform(0, 50) for x, d in small.days.items()}
            capacity = {x: f * rng.choice([1.0, 0.5]) for x, f in small.capacity.items()}
            big = Scenario("big", fail=fail, days=days, capacity=capacity,
                           horizon_days=small.horizon_days)
            res = run_scenarios(net, [small, big])
            caps = res.capabilities
            lo = caps[caps["scenario"] == "big"]
            hi = caps[caps["scenario"] == "small"]
            where = (seed, small, big)
            assert (lo["up"] <= hi["up"]).all(), where
            assert (lo["supply_fraction"] <= hi["supply_fraction"] + 1e-12).all(), where
            assert (lo["days_lost"] >= hi["days_lost"] - 1e-9).all(), where
            assert (lo["time_to_impact_days"].fillna(np.inf)
                    <= hi["time_to_impact_days"].fillna(np.inf)).all(), where


def test_failing_nothing_is_the_baseline(random_networks):
    for seed, net in random_networks:
        res = run_scenario(net, Scenario("nothing", capacity={}))
        caps = res.capabilities
        assert caps["up"].all(), seed
        assert (caps["supply_fraction"] == 1.0).all() and (caps["loss_fraction"] == 0.0).all()
        assert caps["time_to_impact_days"].isna().all() and (caps["days_lost"] == 0).all()
        assert res.exposed.empty
        assert (res.nations["capabilities_lost"] == 0).all()


def test_single_failures_agree_with_spofs(random_networks):
    for seed, net in random_networks:
        c = net.compiled
        points = [str(x) for x in c.ids[c.failure_points]]
        spof = single_points_of_failure(net)
        res = run_scenarios(net, [Scenario(x, fail=[x]) for x in points])
        caps = res.capabilities
        for x in points:
            rows = caps[caps["scenario"] == x]
            down = set(rows.index[~rows["up"]])
            truth = set(spof.index[spof["failure_point"] == x])
            assert down == truth, (seed, x)
            # stock can delay or avoid impact, never create it
            hit = rows[rows["time_to_impact_days"].notna()]
            assert set(hit.index) <= truth, (seed, x)
            # every capability hit is listed as exposed to x
            ex = res.exposed[res.exposed["scenario"] == x]
            assert set(ex.index) == set(hit.index), (seed, x)
            # x is the only failure: time to survive it is the time to impact
            assert np.array_equal(ex["time_to_survive_days"].to_numpy(),
                                  ex["time_to_impact_days"].to_numpy(), equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(sets=st.lists(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 15)), max_size=3),
                     max_size=4),
       need=st.integers(0, 5), shift=st.integers(0, 20))
def test_interval_operations_match_day_sets(sets, need, shift):
    """covered / delay against explicit sets of integer days."""
    norm = [covered([[(float(a), float(a + w))] for a, w in s], 1) for s in sets]
    days = [{t for a, b in s for t in range(int(a), int(b))} for s in norm]
    got = covered(norm, need, horizon=50.0)
    # every day is below 50; need <= 0 means "every day of the horizon"
    want = {t for t in range(50) if sum(t in d for d in days) >= need}
    assert {t for a, b in got for t in range(int(a), int(b))} == want
    assert all(b > a for a, b in got) and all(x[1] < y[0] for x, y in zip(got, got[1:]))
    delayed = delay(got, float(shift))
    seen = {t for t in want if all(u in want for u in range(t - shift, t + 1))}
    assert {t for a, b in delayed for t in range(int(a), int(b))} == seen


def test_only_downstream_nodes_are_visited(worked):
    """A failure under P2 only (S_B2, redundant) produces no time impact anywhere."""
    from riskgraph.analyses.whatif import down_sets

    s = Scenario("B2", fail=["supplier:S_B2"], days={"supplier:S_B2": 90.0})
    assert set(down_sets(worked, s)) == {"supplier:S_B2"}
    s = Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 90.0})
    assert set(down_sets(worked, s)) == {"supplier:S_A", "component:A", "component:C",
                                         "component:P1", "capability:USA/P1"}


def test_result_reads_like_its_capability_table_and_mappings_are_scenarios():
    from pathlib import Path

    from riskgraph import load_network
    from riskgraph.analyses.whatif import run_scenario

    net = load_network(Path(__file__).parent / "fixtures" / "worked")
    res = run_scenario(net, {"name": "S_A down", "fail": ["supplier:S_A"],
                             "days": {"supplier:S_A": 100}})
    assert len(res) == 2
    assert res["days_lost"].loc["capability:USA/P1"] == 100
    assert res.loc["capability:USA/P2", "up"]
    assert list(res.columns) == list(res.capabilities.columns)
    assert res.nations.loc["nation:USA", "capabilities_lost"] == 1


# ------------------------------------------- vectorised passes vs the heap pass they replaced


class _Lists:
    """The compiled arrays the heap pass reads, as Python lists (fast scalar access)."""

    def __init__(self, c):
        self.group_ptr = c.group_ptr.tolist()
        self.member_ptr = c.member_ptr.tolist()
        self.member = c.member.tolist()
        self.group_k = c.group_k.tolist()
        self.stock = np.where(c.kind == COMPONENT, c.stock_days, 0.0).tolist()
        self.succ_list = c.topology.succ.tolist()
        self.succ_ptr_list = c.topology.succ_ptr.tolist()


def ref_down_sets(g: _Lists, outage: dict[int, float], horizon: float) -> dict:
    """The interval pass node by node (the implementation before the vectorised one).

    Nodes are visited in index (= topological) order from a heap seeded with the failed
    points, so each node is computed once, after all its inputs, and only nodes that a
    non-empty down set reaches are touched.
    """
    import heapq

    own = {v: clip([(0.0, d)], horizon) for v, d in outage.items()}
    heap = list(own)
    heapq.heapify(heap)
    queued = set(heap)
    down: dict[int, list] = {}
    group_ptr, member_ptr, member, group_k = g.group_ptr, g.member_ptr, g.member, g.group_k
    succ_ptr, succ = g.succ_ptr_list, g.succ_list
    while heap:
        v = heapq.heappop(heap)
        parts = [own[v]] if own.get(v) else []
        for grp in range(group_ptr[v], group_ptr[v + 1]):
            lo, hi = member_ptr[grp], member_ptr[grp + 1]
            sets = [down[m] for m in member[lo:hi] if m in down]
            if not sets:
                continue
            need = hi - lo - group_k[grp] + 1
            gset = sets[0] if need == 1 and len(sets) == 1 else \
                covered(sets, need, horizon=horizon)
            if gset:
                parts.append(gset)
        d = parts[0] if len(parts) == 1 else covered(parts, 1)
        if d and g.stock[v] > 0:
            d = delay(d, g.stock[v])
        if d:
            down[v] = d
            for w in succ[succ_ptr[v]:succ_ptr[v + 1]]:
                if w not in queued:
                    queued.add(w)
                    heapq.heappush(heap, w)
    return down


def _check_fast_passes(net, scenarios):
    """down_set_arrays and first_down_alone give exactly the heap pass's floats."""
    from riskgraph.model.downtime import (down_set_arrays, first_down_alone, outage_days,
                                          stock_delays)

    c = net.compiled
    g, stock = _Lists(c), stock_delays(c)
    assert stock.tolist() == g.stock
    everything = np.arange(c.n)
    for s in scenarios:
        outage = outage_days(c, s)
        want = ref_down_sets(g, outage, s.horizon_days)
        got = down_set_arrays(c, stock, outage, s.horizon_days)
        assert {v: got.of(v) for v in np.flatnonzero(got.count).tolist()} == want, s
        assert np.array_equal(got.first(everything),
                              [first(want.get(v, [])) for v in range(c.n)], equal_nan=True)
        assert got.total(everything).tolist() == [total(want.get(v, [])) for v in range(c.n)]
        points = np.array(list(outage), dtype=np.int64)
        if not len(points):
            continue
        alone, reached = first_down_alone(c, stock, points, s.horizon_days, everything)
        for j, x in enumerate(points.tolist()):
            assert np.array_equal(reached[:, j], c.topology.descendant_mask([x])), (s, x)
            ref = ref_down_sets(g, {x: s.horizon_days}, s.horizon_days)
            expected = [first(ref.get(v, [])) for v in range(c.n)]
            assert np.array_equal(alone[:, j], expected, equal_nan=True), (s, x)


def test_vectorised_passes_match_the_heap_pass(random_networks):
    for seed, net in random_networks:
        rng = random.Random(1000 + seed)
        _check_fast_passes(net, [random_scenario(net, rng, name=f"s{i}", integer=i % 2 == 0)
                                 for i in range(6)])


@pytest.mark.parametrize("seed", [0, 1])
def test_vectorised_passes_match_the_heap_pass_on_a_generated_network(tmp_path, seed):
    """A few thousand nodes of the synthetic generator: deep BOMs, k-of-n sourcing,
    substitutes, stock, many overlapping windows."""
    from riskgraph.io.synthetic import generate_package

    generate_package(tmp_path, nodes=3000, seed=seed)
    net = load_network(tmp_path)
    c = net.compiled
    rng = random.Random(seed)
    points = [str(x) for x in c.ids[c.failure_points]]
    nations = [x for x in points if x.startswith("nation:")]
    scenarios = []
    for i in range(6):
        fail = rng.sample(points, rng.randint(1, 40)) + rng.sample(nations, i % 3)
        fail = list(dict.fromkeys(fail))
        days = {x: rng.choice([rng.uniform(0.5, 300), float(rng.randint(1, 400))])
                for x in fail if rng.random() < 0.8}
        rest = [x for x in points if x not in fail]
        capacity = {x: rng.choice([0.0, 0.5]) for x in rng.sample(rest, 5)}
        scenarios.append(Scenario(f"g{i}", fail=fail, days=days, capacity=capacity,
                                  horizon_days=rng.choice([100, 365, 400.5])))
    _check_fast_passes(net, scenarios)


@settings(max_examples=80, deadline=None)
@given(groups=st.lists(st.tuples(st.lists(st.lists(st.tuples(st.integers(0, 30),
                                                              st.integers(1, 15)),
                                                    max_size=3), max_size=4),
                                 st.integers(1, 5)), max_size=5))
def test_covered_flat_matches_covered(groups):
    """Many groups at once give exactly what covered gives group by group."""
    seg, a, b, need, want = [], [], [], [], []
    for i, (sets, k) in enumerate(groups):
        norm = [covered([[(float(x), float(x + w))] for x, w in s], 1) for s in sets]
        for s in norm:
            seg += [i] * len(s)
            a += [x for x, _ in s]
            b += [y for _, y in s]
        need.append(k)
        want += [(i, x, y) for x, y in covered(norm, k)]
    got = covered_flat(np.array(seg, dtype=np.int64), np.array(a, dtype=float),
                       np.array(b, dtype=float), np.array(need, dtype=np.int64))
    assert list(zip(*(x.tolist() for x in got))) == want


def test_outage_margins_against_brute_force_over_outage_lengths(random_networks):
    """The shortest outage that takes each capability down is the first whole-day length
    D (every failed point down for D days) whose day-by-day simulation shows it down; the
    margin is negative exactly when the scenario's own (common) outage takes it down."""
    horizon = 60
    for seed, net in random_networks[:25]:
        rng = random.Random(1000 + seed)
        c = net.compiled
        points = [str(x) for x in c.ids[c.failure_points]]
        fail = rng.sample(points, rng.randint(1, min(3, len(points))))
        days = rng.randint(1, horizon)
        s = Scenario("m", fail=fail, days={x: days for x in fail}, horizon_days=horizon)
        got = outage_margins(net, s)
        own = net.ownership
        first_down: dict[str, float] = {}
        for d in range(1, horizon + 1):
            timeline = ref_timeline(net.package, {x: d for x in fail}, horizon, ownership=own)
            for capability, days_down in timeline.items():
                if capability.startswith("capability:") and capability not in first_down \
                        and days_down.any():
                    first_down[capability] = float(d)
        scenario_row = run_scenario(net, s).capabilities
        for capability, row in got.iterrows():
            where = (seed, s, capability)
            assert same_float(row["shortest_outage_days"],
                              first_down.get(capability, math.nan)), where
            assert row["outage_days"] == days
            assert same_float(row["time_to_impact_days"],
                              scenario_row.at[capability, "time_to_impact_days"]), where
            if math.isnan(row["margin_days"]):
                assert capability not in first_down, where
            else:
                assert (row["margin_days"] < 0) == (days >= first_down[capability]), where
                assert row["margin_days"] == row["sustained_impact_days"] - days


def test_outage_margins_of_a_single_point_match_its_time_to_survive(tmp_path):
    """One supplier behind 30 days of stock: 30 days down leaves 0 days to spare, and 31
    is the shortest outage that bites (from day 30)."""
    net = two_part(tmp_path, stock_a=30)
    point = "supplier:S_A"
    s = Scenario("x", fail=[point], days={point: 30}, horizon_days=365)
    m = outage_margins(net, s)
    hit = m[m["sustained_impact_days"].notna()]
    assert len(hit) >= 1
    assert (hit["margin_days"] == 0).all() and (hit["shortest_outage_days"] == 31).all()
    assert hit["time_to_impact_days"].isna().all()
    longer = run_scenario(net, Scenario("y", fail=[point], days={point: 31}))
    assert (longer.capabilities.loc[hit.index, "time_to_impact_days"] == 30).all()
