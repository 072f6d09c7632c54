"""Export-control vetoes (docs/design.md §3.4): controls.csv, the classes of fielding
nations, and their evaluation against a per-capability reference on random packages."""

from __future__ import annotations

import itertools
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from randpkg import (ref_blocked, ref_capability_supply, ref_capability_up,
                     write_random_controls, write_random_package)

from riskgraph import load_network, validate_package
from riskgraph.model.vetoes import (capability_nations, class_available, class_supply,
                                    controls_of, veto_classes)

FIXTURE = Path(__file__).parent / "fixtures" / "vetoes"


def _copy(tmp_path, controls: str) -> Path:
    folder = tmp_path / "pkg"
    shutil.copytree(FIXTURE, folder)
    (folder / "controls.csv").write_text(controls, encoding="utf-8")
    return folder


def test_worked_example_by_hand():
    """RADAR controlled by USA, GBR exempt: POL loses its JET, GBR and USA keep theirs."""
    net = load_network(FIXTURE)
    caps = list(net.compiled.ids[net.compiled.capabilities])
    up = dict(zip(caps, class_available(net, np.zeros(net.compiled.n, bool), ["USA"])))
    assert up == {"capability:GBR/JET": True, "capability:USA/JET": True,
                  "capability:POL/JET": False, "capability:POL/TRUCK": True}
    # no veto: every capability up; physical supply untouched by controls
    assert class_available(net, np.zeros(net.compiled.n, bool), []).all()
    supply = dict(zip(caps, class_supply(net, None, ["USA"])))
    assert supply["capability:POL/JET"] == 0.0 and supply["capability:GBR/JET"] == 1.0
    # POL/TRUCK keeps its German axle source: a veto blocks S_US2 only for it
    assert supply["capability:POL/TRUCK"] == 1.0


def test_classes_group_nations_by_blocked_items():
    net = load_network(FIXTURE)
    classes = veto_classes(net, ["USA"])
    nations = capability_nations(net)
    groups = [sorted(set(nations[caps])) for _, caps in classes]
    assert groups == [["USA"], ["GBR"], ["POL"]]
    assert veto_classes(net, [])[0][0].size == 0


@pytest.mark.parametrize("controls, code, column", [
    ("item_id,controlling_nation_id\nNOPE,USA\n", "dangling-reference", "item_id"),
    ("item_id,controlling_nation_id\nRADAR,XXX\n", "dangling-reference",
     "controlling_nation_id"),
    ("item_id,controlling_nation_id,exempt_nation_ids\nRADAR,USA,GBR;ZZZ\n",
     "dangling-reference", "exempt_nation_ids"),
    ("item_id,controlling_nation_id,exempt_nation_ids\nRADAR,USA,USA\n", "self-exempt",
     "exempt_nation_ids"),
    ("item_id,controlling_nation_id\nRADAR,USA\nRADAR,USA\n", "duplicate-id", None),
    ("item_id,controlling_nation_id\nRADAR,USA\ncomponent:RADAR,USA\n", "duplicate-id",
     "item_id"),
    ("item_id,controlling_nation_id,confidence\nRADAR,USA,2\n", None, "confidence"),
])
def test_bad_controls_are_reported_with_their_place(tmp_path, controls, code, column):
    report = validate_package(_copy(tmp_path, controls))
    assert not report.ok
    bad = [i for i in report.errors if i.file == "controls.csv"]
    assert bad, str(report)
    assert all(i.line is not None and i.line >= 2 for i in bad)
    if code:
        assert any(i.code == code for i in bad), str(report)
    if column:
        assert any(i.column == column for i in bad), str(report)


def test_all_problems_at_once(tmp_path):
    report = validate_package(_copy(
        tmp_path, "item_id,controlling_nation_id,exempt_nation_ids\nNOPE,USA,\n"
                  "RADAR,USA,USA\nAXLE,DEU,QQQ\n"))
    assert sorted(i.line for i in report.errors) == [2, 3, 4]


def test_item_in_both_tables_must_be_typed(tmp_path):
    folder = _copy(tmp_path, "item_id,controlling_nation_id\nRADAR,USA\n")
    with open(folder / "suppliers.csv", "a", encoding="utf-8") as f:
        f.write("RADAR,Radar Inc,USA\n")
    report = validate_package(folder)
    assert any("write component:RADAR or supplier:RADAR" in i.message for i in report.errors)
    (folder / "controls.csv").write_text("item_id,controlling_nation_id\nsupplier:RADAR,USA\n")
    net = load_network(folder)
    assert controls_of(net).item_id.tolist() == ["supplier:RADAR"]


def test_package_without_controls_has_none():
    net = load_network("tests/fixtures/worked")
    assert net.package.controls is None and len(controls_of(net)) == 0
    assert "veto_prob" in net.package.nations and (net.package.nations["veto_prob"] == 0).all()


def _random_network(seed: int, tmp_path: Path):
    rng = random.Random(seed)
    folder = tmp_path / f"p{seed}"
    write_random_package(rng, folder)
    write_random_controls(rng, folder)
    return load_network(folder)


@pytest.mark.parametrize("seed", range(40))
def test_classes_match_per_capability_reference(seed, tmp_path):
    """Any set of vetoes with any physical failures: each capability against its own
    evaluation with the items blocked for its nation failed (randpkg)."""
    net = _random_network(seed, tmp_path)
    c = net.compiled
    caps = list(c.ids[c.capabilities])
    rng = random.Random(seed)
    nations = list(net.package.nations.index)
    points = [str(x) for x in c.ids[c.failure_points]]
    for _ in range(4):
        vetoes = set(rng.sample(nations, rng.randint(0, len(nations))))
        physical = set(rng.sample(points, rng.randint(0, min(2, len(points)))))
        failed = np.zeros(c.n, bool)
        failed[[c.index[p] for p in physical]] = True
        got = dict(zip(caps, class_available(net, failed, vetoes)))
        want = ref_capability_up(net, physical | {f"veto:{x}" for x in vetoes})
        assert got == want
        capacity = np.ones(c.n)
        cap_map = {p: rng.choice([0.0, 0.5]) for p in physical}
        for p, m in cap_map.items():
            capacity[c.index[p]] = m
        got_a = dict(zip(caps, class_supply(net, capacity, vetoes)))
        want_a = ref_capability_supply(net, cap_map, vetoes)
        assert got_a == pytest.approx(want_a, abs=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_blocked_items_match_reference(seed, tmp_path):
    net = _random_network(seed, tmp_path)
    ctl = controls_of(net)
    nations = list(net.package.nations.index)
    for r in range(len(nations) + 1):
        for vetoes in itertools.combinations(nations, r):
            for nation in nations:
                got = {net.compiled.ids[i] for i in ctl.blocked(vetoes, nation)}
                assert got == ref_blocked(net, set(vetoes), nation)


@pytest.mark.parametrize("column", ["item_id", "controlling_nation_id"])
def test_missing_required_column(tmp_path, column):
    header = ",".join(c for c in ("item_id", "controlling_nation_id") if c != column)
    report = validate_package(_copy(tmp_path, f"{header}\nRADAR\n"))
    assert any(i.file == "controls.csv" and column in i.message for i in report.errors), \
        str(report)


# ------------------------------------------------------------ vetoes in SPOFs and pairs


def test_worked_example_spofs_and_pairs():
    from riskgraph.analyses.vetoes import veto_pairs, veto_spofs

    net = load_network(FIXTURE)
    spofs = veto_spofs(net)
    assert list(zip(spofs.index, spofs["failure_point"])) == [
        ("capability:POL/JET", "veto:USA")]
    pairs = veto_pairs(net)
    assert sorted(zip(pairs.index, pairs["failure_point_a"], pairs["failure_point_b"])) == [
        ("capability:POL/TRUCK", "nation:DEU", "veto:USA"),
        ("capability:POL/TRUCK", "supplier:S_DE", "veto:USA")]


def _brute_force(net):
    """SPOFs and minimal pairs of every capability by enumeration over failure points and
    the vetoes of controlling nations, each capability evaluated on its own (randpkg)."""
    c = net.compiled
    points = [str(x) for x in c.ids[c.failure_points]]
    points += [f"veto:{x}" for x in controls_of(net).controllers]
    single = {p: ref_capability_up(net, {p}) for p in points}
    spofs = {(cap, p) for p, up in single.items() for cap, ok in up.items() if not ok}
    pairs = set()
    for a, b in itertools.combinations(points, 2):
        for cap, ok in ref_capability_up(net, {a, b}).items():
            if not ok and single[a][cap] and single[b][cap]:
                pairs.add((cap, frozenset((a, b))))
    return spofs, pairs


@pytest.mark.parametrize("seed", range(30))
def test_spofs_and_pairs_with_vetoes_match_brute_force(seed, tmp_path):
    from riskgraph.analyses.spof import critical_pairs, single_points_of_failure
    from riskgraph.analyses.vetoes import veto_pairs, veto_spofs, with_vetoes

    net = _random_network(seed, tmp_path)
    spofs, pairs = _brute_force(net)
    got = with_vetoes(net, single_points_of_failure(net), veto_spofs(net))
    assert set(zip(got.index, got["failure_point"])) == spofs
    got = with_vetoes(net, critical_pairs(net), veto_pairs(net))
    found = [(cap, frozenset((a, b))) for cap, a, b in
             zip(got.index, got["failure_point_a"], got["failure_point_b"])]
    assert len(found) == len(set(found))
    assert set(found) == pairs
    order = list(zip(got["nation_id"], got["platform_id"]))
    assert order == sorted(order)


def test_structural_analysis_joins_vetoes_and_caches_them(tmp_path):
    from riskgraph.analyses.structural import structural_analysis
    from riskgraph.io.cache import ResultCache

    net = load_network(FIXTURE)
    res = structural_analysis(net)
    tables = res.tables()
    assert "veto_exposure.csv" in tables
    assert "veto:USA" in set(tables["spof.csv"]["failure_point"])
    assert "veto:USA" in set(tables["blast_radius.csv"]["failure_point"])
    reg = tables["risk_register.csv"]
    assert reg["rank"].tolist() == list(range(1, len(reg) + 1))
    assert reg["score"].is_monotonic_decreasing
    exp = tables["veto_exposure.csv"].set_index("capability")
    assert exp.loc["capability:POL/JET", "loss_fraction"] == 1.0
    assert exp.loc["capability:GBR/JET", "loss_fraction"] == 0.0
    cache = ResultCache(tmp_path / "cache")
    first = structural_analysis(net, cache=cache)
    again = structural_analysis(load_network(FIXTURE), cache=cache)
    assert again.parameters["cache"] == "hit"
    for name, df in first.tables().items():
        assert again.tables()[name].to_csv(index=False) == df.to_csv(index=False), name
    # without controls: no veto table
    assert "veto_exposure.csv" not in structural_analysis(
        load_network("tests/fixtures/worked")).tables()


# ------------------------------------------------------------------------ what-if


def test_whatif_veto_worked_example():
    from riskgraph.analyses.whatif import run_scenarios
    from riskgraph.model.scenario import Scenario

    net = load_network(FIXTURE)
    res = run_scenarios(net, [
        Scenario("short", fail=["veto:USA"], days={"veto:USA": 10}),
        Scenario("long", fail=["veto:USA"], days={"veto:USA": 100}),
        Scenario("default", fail=["veto:USA"])])
    caps = res.capabilities.reset_index().set_index(["scenario", "capability"])
    pol = caps.xs("capability:POL/JET", level="capability")
    # RADAR has 30 days of stock: a 10-day refusal costs nothing, 100 days cost 70
    assert pol["up"].tolist() == [False, False, False]
    assert pol["days_lost"].tolist() == [0.0, 70.0, 335.0]
    assert pol["time_to_impact_days"].tolist()[1:] == [30.0, 30.0]
    for cap in ("capability:GBR/JET", "capability:USA/JET", "capability:POL/TRUCK"):
        row = caps.xs(cap, level="capability")
        assert row["up"].all() and (row["days_lost"] == 0).all()


def test_whatif_bad_veto_ids():
    from riskgraph.analyses.whatif import run_scenarios
    from riskgraph.errors import UsageError
    from riskgraph.model.scenario import Scenario

    net = load_network(FIXTURE)
    with pytest.raises(Exception, match="unknown nation 'XXX'"):
        run_scenarios(net, [Scenario("x", fail=["veto:XXX"])])
    with pytest.raises(UsageError, match="no capacity factor"):
        run_scenarios(net, [Scenario("x", fail=[], capacity={"veto:USA": 0.5})])


@pytest.mark.parametrize("seed", range(25))
def test_whatif_with_vetoes_matches_per_capability_runs(seed, tmp_path):
    """Each capability's row equals a physical what-if with the items blocked for its
    nation failed for as long as the longest veto blocking them."""
    from riskgraph.analyses.whatif import run_scenarios
    from riskgraph.model.scenario import Scenario

    net = _random_network(seed, tmp_path)
    rng = random.Random(seed)
    c = net.compiled
    ctl = controls_of(net)
    nations = ctl.controllers
    points = [str(x) for x in c.ids[c.failure_points]]
    vetoes = rng.sample(nations, rng.randint(1, len(nations)))
    physical = rng.sample(points, rng.randint(0, min(2, len(points))))
    days = {f"veto:{x}": float(rng.choice([5, 40, 200])) for x in vetoes}
    days.update({p: float(rng.choice([10, 90])) for p in physical})
    s = Scenario("v", fail=physical + [f"veto:{x}" for x in vetoes], days=days,
                 horizon_days=300.0)
    got = run_scenarios(net, [s]).capabilities.reset_index().set_index("capability")
    cols = ["up", "supply_fraction", "time_to_impact_days", "days_lost"]
    for cap, nation in zip(c.ids[c.capabilities], capability_nations(net)):
        blocked = {}
        for r in ctl.rows_blocking(vetoes, nation).tolist():
            item = ctl.item_id[r]
            blocked[item] = max(blocked.get(item, 0.0), days[f"veto:{ctl.controller[r]}"])
        fail = list(dict.fromkeys(physical + list(blocked)))
        d = {p: max(days.get(p, 0.0), blocked.get(p, 0.0)) for p in fail}
        ref = run_scenarios(net, [Scenario("r", fail=fail, days=d, horizon_days=300.0)])
        want = ref.capabilities.reset_index().set_index("capability").loc[cap, cols]
        assert got.loc[cap, cols].tolist() == pytest.approx(want.tolist(), nan_ok=True)


# ------------------------------------------------------------------------ Monte Carlo


def _exact_with_vetoes(net) -> dict[str, float]:
    """P(capability down) by enumerating every state of the random points and vetoes."""
    c = net.compiled
    probs = {str(c.ids[i]): float(c.disruption_prob[i]) for i in c.failure_points
             if c.disruption_prob[i] > 0}
    vp = net.package.nations["veto_prob"]
    probs.update({f"veto:{x}": float(vp[x]) for x in controls_of(net).controllers
                  if vp[x] > 0})
    names = list(probs)
    out = dict.fromkeys(ref_capability_up(net, set()), 0.0)
    for state in itertools.product([False, True], repeat=len(names)):
        weight = np.prod([probs[n] if s else 1 - probs[n] for n, s in zip(names, state)])
        up = ref_capability_up(net, {n for n, s in zip(names, state) if s})
        for cap, ok in up.items():
            out[cap] += 0.0 if ok else weight
    return out


@pytest.mark.parametrize("seed", [None, *range(6)])
def test_monte_carlo_vetoes_match_exact_enumeration(seed, tmp_path):
    from riskgraph.analyses.montecarlo import monte_carlo

    if seed is None:
        net = load_network(FIXTURE)
    else:
        rng = random.Random(seed)
        folder = tmp_path / "p"
        write_random_package(rng, folder)
        write_random_controls(rng, folder)
        text = (folder / "nations.csv").read_text().splitlines()
        text = [text[0] + ",veto_prob"] + [f"{row},{rng.choice(['', '0.2', '0.5'])}"
                                          for row in text[1:]]
        (folder / "nations.csv").write_text("\n".join(text) + "\n")
        net = load_network(folder)
        c = net.compiled
        if int((c.disruption_prob[c.failure_points] > 0).sum()) > 7:
            pytest.skip("too many random points to enumerate")
    res = monte_carlo(net, trials=20_000, seed=3, points=[])
    if res.vetoes is None:
        assert not any(net.package.nations["veto_prob"].reindex(
            controls_of(net).controllers).fillna(0) > 0)
        return
    exact = _exact_with_vetoes(net)
    got = res.vetoes["p_unavailable"]
    for cap, p in exact.items():
        sigma = max(np.sqrt(p * (1 - p) / 20_000), 1e-4)
        assert abs(got[cap] - p) < 5 * sigma, (cap, got[cap], p)
    assert "mc_vetoes.csv" in res.tables()
    # the physical tables do not depend on the vetoes' stream
    assert (res.vetoes["p_added_by_vetoes"] >= 0).all()


def test_capability_view_lists_vetoes():
    from riskgraph.analyses.structural import structural_analysis
    from riskgraph.views import capability_spofs

    net = load_network(FIXTURE)
    table = capability_spofs(net, structural_analysis(net), "capability:POL/JET")
    assert table.loc["veto:USA", "nation_id"] == "USA"
    assert table.loc["veto:USA", "recovery_days"] == 365.0
    only = capability_spofs(net, structural_analysis(net), "capability:POL/JET",
                            kinds=["veto"])
    assert only.index.tolist() == ["veto:USA"]
