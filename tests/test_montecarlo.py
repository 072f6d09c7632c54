"""Monte Carlo risk and importance (docs/design.md §4.7): exact enumeration, the issue's worked
example, reproducibility, and identical results in process and on Dask."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pkgtools import network_from
from randpkg import ref_available, write_random_package
from riskgraph import UsageError, load_network
from riskgraph.analyses._mc_model import build_model
from riskgraph.analyses._mc_sampling import chunk_counts, draw
from riskgraph.analyses.montecarlo import (CHUNK_TRIALS, IMPORTANCE_COLUMNS, MonteCarloResult,
                                           default_points, exact_unavailability, monte_carlo,
                                           wilson_interval)
from riskgraph.model.network import CAPABILITY
from riskgraph.model.propagation import WORD_BITS, available, popcount, trial_mask, unpack_trials

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "allied-defence"

# The worked example: platform P needs C1 and C2; C1 from S1 or S2; C2 from S3;
# every supplier fails with p = 0.1, nations and components never.
WORKED = dict(
    nations="""
        nation_id,name,alignment,disruption_prob
        USA,United States,member,0
        DEU,Germany,member,0
        """,
    suppliers="""
        supplier_id,name,nation_id,disruption_prob
        S1,One,USA,0.1
        S2,Two,DEU,0.1
        S3,Three,USA,0.1
        """,
    components="""
        component_id,name,kind,disruption_prob
        C1,Part one,part,0
        C2,Part two,part,0
        P,Platform,platform,0
        """,
    bom="""
        parent_id,child_id
        P,C1
        P,C2
        """,
    sourcing="""
        component_id,supplier_id,share
        C1,S1,1
        C1,S2,1
        C2,S3,1
        """,
    fielding="""
        nation_id,platform_id
        USA,P
        """,
)
CAP = "capability:USA/P"


@pytest.fixture(scope="module")
def worked(tmp_path_factory):
    return network_from(tmp_path_factory.mktemp("worked"), **WORKED)


@pytest.fixture(scope="module")
def sample():
    return load_network(SAMPLE)


def importance(result: MonteCarloResult, point: str, cap: str = CAP) -> pd.Series:
    imp = result.importance.loc[[point]]
    return imp[imp["capability"] == cap].iloc[0]


def raw_bounds(pdd: float, pdu: float, p: float, n: int, confidence: float):
    """RAW at the ends of the intervals of its two conditional probabilities (RAW grows
    with P(c down | x down) and falls with P(c down | x up))."""
    d_lo, d_hi = wilson_interval(round(pdd * n), n, confidence=confidence)
    u_lo, u_hi = wilson_interval(round(pdu * n), n, confidence=confidence)

    def raw(d, u):
        den = p * d + (1 - p) * u
        return d / den if den > 0 else (np.inf if d > 0 else np.nan)

    return raw(float(d_lo), float(u_hi)), raw(float(d_hi), float(u_lo))


# ------------------------------------------------------------------------ worked example


def test_worked_example_exact(worked):
    ex = exact_unavailability(worked, points=["supplier:S1", "supplier:S2", "supplier:S3"])
    assert 1 - ex.capabilities.loc[CAP, "p_unavailable"] == pytest.approx(0.891, abs=1e-12)
    assert importance(ex, "supplier:S1")["birnbaum"] == pytest.approx(0.09, abs=1e-12)
    assert importance(ex, "supplier:S2")["birnbaum"] == pytest.approx(0.09, abs=1e-12)
    assert importance(ex, "supplier:S3")["birnbaum"] == pytest.approx(0.99, abs=1e-12)
    assert round(importance(ex, "supplier:S1")["raw"], 2) == 1.74
    assert round(importance(ex, "supplier:S3")["raw"], 2) == 9.17
    assert importance(ex, "supplier:S1")["raw"] == pytest.approx(0.19 / 0.109)
    assert ex.parameters["states"] == 8
    assert ex.ranking.index.tolist() == ["supplier:S3", "supplier:S1", "supplier:S2"]


def test_worked_example_monte_carlo(worked):
    n = 50_000
    pts = ["supplier:S1", "supplier:S2", "supplier:S3"]
    mc = monte_carlo(worked, trials=n, seed=7, points=pts)
    row = mc.capabilities.loc[CAP]
    assert row["ci_low"] <= 0.109 <= row["ci_high"]
    assert row["ci_high"] - row["ci_low"] < 0.006
    for point, birnbaum, raw in [("supplier:S1", 0.09, 0.19 / 0.109),
                                 ("supplier:S2", 0.09, 0.19 / 0.109),
                                 ("supplier:S3", 0.99, 1 / 0.109)]:
        imp = importance(mc, point)
        assert imp["birnbaum_ci_low"] <= birnbaum <= imp["birnbaum_ci_high"], point
        lo, hi = raw_bounds(imp["p_down_given_down"], imp["p_down_given_up"], 0.1, n, 0.95)
        assert lo <= raw <= hi, point
        assert imp["raw"] == pytest.approx(raw, rel=0.03)
    nat = mc.nations.loc["nation:USA"]
    assert nat["capabilities"] == 1
    assert nat["expected_capabilities_lost"] == pytest.approx(row["p_unavailable"])
    assert nat["p_any_lost"] == pytest.approx(row["p_unavailable"])


# ----------------------------------------------------------- exact enumeration, checked


def random_package(seed: int, folder, choices=("", "", "0.05", "0.2", "0.5")) -> None:
    """A random package whose components may fail too (randpkg leaves them at 0)."""
    rng = random.Random(seed)
    write_random_package(rng, folder)
    path = Path(folder) / "components.csv"
    comps = pd.read_csv(path, dtype=str, keep_default_na=False)
    comps["disruption_prob"] = [rng.choice(choices) for _ in range(len(comps))]
    comps.to_csv(path, index=False)


def brute_force(net, points):
    """P(c down), P(c down | x down), P(c down | x up) by looping over every state with the
    slow reference evaluator of the tables."""
    c = net.compiled
    rand = [i for i in c.failure_points if c.disruption_prob[i] > 0]
    caps = [c.ids[i] for i in c.capabilities]
    p_down = dict.fromkeys(caps, 0.0)
    cond = {(x, cap, f): 0.0 for x in points for cap in caps for f in (True, False)}
    for state in itertools.product([False, True], repeat=len(rand)):
        w = 1.0
        failed = set()
        for i, s in zip(rand, state):
            w *= c.disruption_prob[i] if s else 1 - c.disruption_prob[i]
            if s:
                failed.add(c.ids[i])
        base = ref_available(net, failed)
        for cap in caps:
            p_down[cap] += w * (not base[cap])
        for x in points:
            for f in (True, False):
                forced = (failed | {x}) if f else (failed - {x})
                up = base if forced == failed else ref_available(net, forced)
                for cap in caps:
                    cond[x, cap, f] += w * (not up[cap])
    return p_down, cond


@pytest.mark.parametrize("seed", range(24))
def test_exact_enumeration_matches_brute_force(seed, tmp_path):
    random_package(seed, tmp_path, choices=("", "", "", "0.3"))
    net = load_network(tmp_path)
    c = net.compiled
    rand = [i for i in c.failure_points if c.disruption_prob[i] > 0]
    if len(rand) > 7:
        pytest.skip("too many random points for the slow reference")
    points = [c.ids[i] for i in c.failure_points[:2]] + [c.ids[c.failure_points[-1]]]
    ex = exact_unavailability(net, points=points)
    p_down, cond = brute_force(net, points)
    for cap, p in p_down.items():
        assert ex.capabilities.loc[cap, "p_unavailable"] == pytest.approx(p, abs=1e-12)
    imp = ex.importance.reset_index()
    seen = {(r.failure_point, r.capability) for r in imp.itertuples()}
    for (x, cap, f), p in cond.items():
        if (x, cap) in seen:
            row = imp[(imp["failure_point"] == x) & (imp["capability"] == cap)].iloc[0]
            col = "p_down_given_down" if f else "p_down_given_up"
            assert row[col] == pytest.approx(p, abs=1e-12), (x, cap, f)
        else:  # not downstream: forcing x changes nothing
            assert p == pytest.approx(p_down[cap], abs=1e-12), (x, cap, f)


@pytest.mark.parametrize("seed", range(12))
def test_monte_carlo_agrees_with_exact_on_random_networks(seed, tmp_path):
    """Probabilities and importance within their intervals (99.99%: many comparisons)."""
    random_package(100 + seed, tmp_path)
    net = load_network(tmp_path)
    c = net.compiled
    points = c.ids[c.failure_points].tolist()
    n = 30_000
    conf = 0.9999
    ex = exact_unavailability(net, points=points)
    mc = monte_carlo(net, trials=n, seed=seed, points=points)
    for cap, row in mc.capabilities.iterrows():
        lo, hi = wilson_interval(round(row["p_unavailable"] * n), n, confidence=conf)
        assert lo - 1e-12 <= ex.capabilities.loc[cap, "p_unavailable"] <= hi + 1e-12, cap
    exi = ex.importance.reset_index().set_index(["failure_point", "capability"])
    mci = mc.importance.reset_index().set_index(["failure_point", "capability"])
    assert exi.index.equals(mci.index)
    prob = dict(zip(c.ids, c.disruption_prob))
    for key, m in mci.iterrows():
        e = exi.loc[key]
        for col in ("p_down_given_down", "p_down_given_up", "birnbaum"):
            lo, hi = wilson_interval(round(m[col] * n), n, confidence=conf)
            assert lo - 1e-12 <= e[col] <= hi + 1e-12, (key, col)
        lo, hi = raw_bounds(m["p_down_given_down"], m["p_down_given_up"], prob[key[0]], n,
                            conf)
        if np.isfinite(e["raw"]):
            assert lo - 1e-9 <= e["raw"] <= hi + 1e-9, key


def test_exact_refuses_too_many_points(sample):
    with pytest.raises(UsageError, match="2\\^"):
        exact_unavailability(sample, points=[])


# ------------------------------------------------------------- kernel use and sampling


@pytest.mark.parametrize("budget", [None, 5000])
def test_chunk_counts_equal_a_plain_per_trial_evaluation(sample, budget, monkeypatch):
    """On the sample, the chunk's counts (base; forced down over the live part of the
    cone; forced up on the trials where the point failed) equal full evaluations of the
    same draws with the point's flag set by hand — in one batch or many."""
    import riskgraph.analyses._mc_model as mc_model

    if budget:
        monkeypatch.setattr(mc_model, "BATCH_WORDS", budget)
    c = sample.compiled
    ids = default_points(sample, 6) + ["nation:CHN", "supplier:AMPAC", "nation:DEU"]
    points = np.array([c.index[p] for p in dict.fromkeys(ids)])
    model, pairs = build_model(sample, points, CHUNK_TRIALS // WORD_BITS)
    pair_point, pair_cap = pairs.point, pairs.cap
    assert (len(model.batches) > 3) == bool(budget)
    trials = 3000
    got = chunk_counts(model, 11, 2, trials)
    rng = np.random.default_rng(np.random.SeedSequence(11).spawn(3)[2])
    local = unpack_trials(draw(model, rng, trials), trials)
    failed = np.zeros((c.n, trials), dtype=bool)
    failed[model.plan.nodes] = local
    caps = c.capabilities
    assert (got["down"] == (~available(c, failed)[caps]).sum(axis=1)).all()
    for j, x in enumerate(points):
        for flag, key in ((True, "down_given_down"), (False, "down_given_up")):
            f2 = failed.copy()
            f2[x] = flag
            down = (~available(c, f2)[caps]).sum(axis=1)
            sel = pair_point == j
            assert (got[key][sel] == down[pair_cap[sel]]).all(), (c.ids[x], key)


@pytest.mark.parametrize("p", [0.0005, 0.01, 0.05, 0.07, 0.3, 0.9, 1.0])
def test_sampled_failure_rate(p, tmp_path):
    """One point per sampler path (sparse below DENSE_PROB, dense above): its failure
    rate is p, trial by trial independent of a second point."""
    tables = dict(WORKED)
    tables["suppliers"] = f"""
        supplier_id,name,nation_id,disruption_prob
        S1,One,USA,{p}
        S2,Two,DEU,{p}
        S3,Three,USA,0
        """
    net = network_from(tmp_path, **tables)
    n = 40_000
    mc = monte_carlo(net, trials=n, seed=3, points=["supplier:S1"])
    # P down iff S1 and S2 both fail: p^2 if independent
    k = round(mc.capabilities.loc[CAP, "p_unavailable"] * n)
    lo, hi = wilson_interval(k, n, confidence=0.9999)
    assert lo <= p * p <= hi
    imp = importance(mc, "supplier:S1")
    k = round(imp["p_down_given_down"] * n)  # = P(S2 fails)
    lo, hi = wilson_interval(k, n, confidence=0.9999)
    assert lo <= p <= hi


def test_draw_sets_exactly_the_binomial_counts(sample):
    """Sparse draws are without replacement: every drawn failure is a distinct bit."""
    c = sample.compiled
    model, _ = build_model(sample, np.zeros(0, np.int64), 64)
    trials = 4000
    rng = np.random.default_rng(5)
    counts = np.random.default_rng(5).binomial(trials, model.rand_p[:model.n_sparse])
    failed = draw(model, rng, trials)
    bits = popcount(failed[model.rand_rows[:model.n_sparse]])
    assert (bits == counts).all()
    assert not (failed & ~trial_mask(trials)).any()  # no padding bit set
    others = np.setdiff1d(np.arange(len(model.plan.nodes)), model.rand_rows)
    assert not failed[others].any()
    assert set(np.unique(c.kind[model.plan.nodes[model.rand_rows]])) <= {0, 1, 2}


# ------------------------------------------------------------------ reproducibility


def test_same_seed_same_numbers_other_seed_not(worked):
    a = monte_carlo(worked, trials=5000, seed=1)
    b = monte_carlo(worked, trials=5000, seed=1)
    c = monte_carlo(worked, trials=5000, seed=2)
    for name, df in a.tables().items():
        pd.testing.assert_frame_equal(df, b.tables()[name], check_exact=True)
    assert not a.capabilities["p_unavailable"].equals(c.capabilities["p_unavailable"])


def test_chunk_streams_are_spawned_children():
    """Chunk i draws from SeedSequence(seed).spawn(n)[i], whatever n."""
    for n in (3, 10):
        child = np.random.SeedSequence(42).spawn(n)[2]
        ours = np.random.SeedSequence(42, spawn_key=(2,))
        assert (np.random.default_rng(child).integers(0, 2**32, 8)
                == np.random.default_rng(ours).integers(0, 2**32, 8)).all()


def test_independent_of_pythonhashseed(tmp_path):
    script = (
        "import hashlib, sys\n"
        "from riskgraph import load_network\n"
        "from riskgraph.analyses.montecarlo import monte_carlo\n"
        f"r = monte_carlo(load_network({str(SAMPLE)!r}), trials=5000, seed=3, max_points=5)\n"
        "h = hashlib.sha256()\n"
        "for name, df in sorted(r.tables().items()):\n"
        "    h.update(name.encode()); h.update(df.to_csv().encode())\n"
        "print(h.hexdigest())\n"
    )
    out = []
    for hs in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hs)
        res = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        out.append(res.stdout.strip())
    assert out[0] == out[1] and len(out[0]) == 64


# ------------------------------------------------------------------------ schedulers


def assert_same(a: MonteCarloResult, b: MonteCarloResult) -> None:
    for name, df in a.tables().items():
        pd.testing.assert_frame_equal(df, b.tables()[name], check_exact=True)
    for attr in ("capabilities", "nations", "importance", "ranking"):
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr), check_exact=True)


@pytest.fixture(scope="module")
def sample_in_process(sample):
    return monte_carlo(sample, trials=3 * CHUNK_TRIALS + 100, seed=9, max_points=8)


def test_local_cluster_matches_in_process_bit_for_bit(sample, sample_in_process):
    res = monte_carlo(sample, trials=3 * CHUNK_TRIALS + 100, seed=9, max_points=8,
                      scheduler="local")
    assert_same(sample_in_process, res)
    assert res.parameters["scheduler"] == "local"
    assert sample_in_process.parameters["scheduler"] is None


def test_client_and_tcp_address_match_in_process(sample, sample_in_process):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  protocol="tcp", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            res = monte_carlo(sample, trials=3 * CHUNK_TRIALS + 100, seed=9, max_points=8,
                              scheduler=client)
            assert_same(sample_in_process, res)
            assert not client.status == "closed"  # a caller's client is left open
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        res = monte_carlo(sample, trials=3 * CHUNK_TRIALS + 100, seed=9, max_points=8,
                          scheduler=address)
        assert_same(sample_in_process, res)


def test_missing_dask_is_a_usage_error(worked, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(UsageError, match=r"riskgraph\[distributed\]"):
        monte_carlo(worked, trials=100, scheduler="local")
    monte_carlo(worked, trials=100)  # the in-process path needs no Dask


@pytest.mark.parametrize("scheduler", [None, "local"])
def test_progress_per_chunk_and_cancellation(worked, scheduler):
    calls = []
    trials = 2 * CHUNK_TRIALS + 5
    monte_carlo(worked, trials=trials, seed=0, scheduler=scheduler,
                progress=lambda done, total: calls.append((done, total)))
    assert len(calls) == 3
    assert [t for _, t in calls] == [trials] * 3
    assert calls[-1][0] == trials and sorted(d for d, _ in calls) == [d for d, _ in calls]

    class Cancelled(Exception):
        pass

    seen = []

    def stop(done, total):
        seen.append(done)
        raise Cancelled

    with pytest.raises(Cancelled):
        monte_carlo(worked, trials=trials, seed=0, scheduler=scheduler, progress=stop)
    assert len(seen) == 1


# ------------------------------------------------------------------- API and tables


def test_tables_names_and_columns(worked):
    mc = monte_carlo(worked, trials=1000, seed=0)
    t = mc.tables()
    assert list(t) == ["mc_capabilities.csv", "mc_nations.csv", "mc_importance.csv",
                       "mc_ranking.csv"]
    assert list(t["mc_capabilities.csv"].columns)[:5] == ["nation_id", "platform_id",
                                                          "p_unavailable", "ci_low",
                                                          "ci_high"]
    assert list(t["mc_importance.csv"].columns)[:5] == ["failure_point", "nation_id",
                                                        "platform_id", "birnbaum", "raw"]
    assert list(t["mc_importance.csv"].columns) == ["failure_point", *IMPORTANCE_COLUMNS]
    assert list(t["mc_nations.csv"].columns)[:4] == ["nation_id", "capabilities",
                                                     "expected_capabilities_lost",
                                                     "expected_share_lost"]
    assert t["mc_ranking.csv"].columns[0] == "failure_point"
    for df in t.values():
        assert isinstance(df.index, pd.RangeIndex)
    json.dumps(mc.parameters)  # JSON-safe for the manifest


def test_result_frames(worked):
    mc = monte_carlo(worked, trials=2000, seed=0)
    caps = mc.capabilities
    assert caps.index.name == "capability" and (caps["trials"] == 2000).all()
    assert ((caps["ci_low"] <= caps["p_unavailable"])
            & (caps["p_unavailable"] <= caps["ci_high"])).all()
    assert mc.nations.index.tolist() == ["nation:USA"]
    assert mc.importance.index.name == "failure_point"
    assert mc.ranking["rank"].tolist() == list(range(1, len(mc.ranking) + 1))
    # default points: the three components are SPOFs; S3 is too; nations never fail here
    assert set(mc.parameters["points"]) >= {"supplier:S3", "component:C2", "component:P"}
    # a component that never fails: forced up is the unforced run
    imp = importance(mc, "component:C2")
    assert imp["p_down_given_up"] == caps.loc[CAP, "p_unavailable"]
    assert imp["p_down_given_down"] == 1.0 and imp["raw"] == pytest.approx(
        1 / caps.loc[CAP, "p_unavailable"])


def test_points_choice(worked):
    mc = monte_carlo(worked, trials=500, points=["supplier:S1", "supplier:S1"])
    assert mc.parameters["points"] == ["supplier:S1"]
    assert not mc.parameters["points_chosen_by_default"]
    assert monte_carlo(worked, trials=500, points=[]).importance.empty
    assert monte_carlo(worked, trials=500, points=[]).ranking.empty
    assert len(monte_carlo(worked, trials=500, max_points=2).ranking) == 2
    assert monte_carlo(worked, trials=500, max_points=0).importance.empty


def test_point_with_nothing_downstream(tmp_path):
    tables = dict(WORKED)
    tables["components"] = WORKED["components"].rstrip(" ") + "        X,Spare,part,0.5\n"
    net = network_from(tmp_path, **tables)
    mc = monte_carlo(net, trials=500, points=["component:X", "supplier:S3"])
    assert "component:X" not in mc.importance.index
    row = mc.ranking.loc["component:X"]
    assert row["capabilities_affected"] == 0 and row["birnbaum_sum"] == 0
    assert row["rank"] == 2


@pytest.mark.parametrize("kwargs, match", [
    (dict(trials=0), "trials"),
    (dict(trials=2.5), "trials"),
    (dict(trials=True), "trials"),
    (dict(seed=-1), "seed"),
    (dict(max_points=-1), "max_points"),
    (dict(points=["capability:USA/P"]), "capability, not a failure point"),
    (dict(points=["supplier:NOPE"]), "NOPE"),
    (dict(points=["NOPE"]), "typed node id"),
    (dict(scheduler="bogus"), "unknown scheduler"),
    (dict(scheduler=42), "scheduler must be"),
    (dict(progress=5), "progress"),
])
def test_usage_errors(worked, kwargs, match):
    with pytest.raises(UsageError, match=match):
        monte_carlo(worked, **kwargs)


def test_sample_hundred_thousand_trials(sample):
    """The issue's bar: 100,000 trials on the sample with default points, in seconds."""
    import time

    t0 = time.perf_counter()
    mc = monte_carlo(sample, trials=100_000, seed=0)
    elapsed = time.perf_counter() - t0
    assert len(mc.capabilities) == 154 and len(mc.ranking) == 20
    assert elapsed < 20  # about 0.5 s on the 2-core reference machine
    caps = mc.capabilities
    assert (caps["ci_high"] - caps["ci_low"]).max() < 0.007
    assert (c := sample.compiled).kind[c.capabilities].tolist() == [CAPABILITY] * 154


# ------------------------------------------------------------------ choosing points


def blast_radius_choice(net, k: int) -> list[str]:
    """The documented default order, straight from riskgraph.analyses.spof.blast_radius."""
    from riskgraph.analyses.spof import blast_radius

    c = net.compiled
    br = blast_radius(net)
    rows = []
    for order, x in enumerate(c.failure_points):
        typed = c.ids[x]
        reach = len(_caps_downstream(c, int(x)))
        if reach:
            rows.append((-br.loc[typed, "spof_count"], -br.loc[typed, "capabilities_lost"],
                         -reach, -c.disruption_prob[x], order, typed))
    return [r[-1] for r in sorted(rows)[:k]]


def _caps_downstream(c, x: int) -> set[int]:
    seen, todo = {x}, [x]
    consumers: dict[int, list[int]] = {}
    for v in range(c.n):
        for _, _, members in c.inputs(v):
            for m in members:
                consumers.setdefault(m, []).append(v)
    while todo:
        u = todo.pop()
        for v in consumers.get(u, ()):
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return {v for v in seen if c.kind[v] == CAPABILITY}


def test_default_points_follow_blast_radius_on_the_sample(sample):
    assert default_points(sample, 25) == blast_radius_choice(sample, 25)
    assert default_points(sample, 0) == []


@pytest.mark.parametrize("seed", range(6))
def test_default_points_follow_blast_radius_on_random_networks(seed, tmp_path):
    random_package(200 + seed, tmp_path)
    net = load_network(tmp_path)
    for k in (1, 3, 50):
        assert default_points(net, k) == blast_radius_choice(net, k)


def test_select_trials_picks_bits_in_order():
    from riskgraph.analyses._mc_evaluate import select_trials
    from riskgraph.model.propagation import pack_trials

    rng = np.random.default_rng(0)
    flags = rng.random((7, 300)) < 0.4
    sel = np.sort(rng.choice(300, size=90, replace=False))
    got = unpack_trials(select_trials(pack_trials(flags), sel), len(sel))
    assert (got == flags[:, sel]).all()
