"""The propagation kernels against slow per-trial references (docs/design.md §3.1–3.2)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pkgtools import MIXED, network_from
from randpkg import ref_available, ref_supply, write_random_package
from riskgraph import load_network
from riskgraph.model.network import CAPABILITY
from riskgraph.model.propagation import (available, available_packed, failure_supply,
                                         make_plan, pack_trials, popcount, relative_supply,
                                         run_plan, split_by_step, supply, trial_mask,
                                         unpack_trials)
from riskgraph.model.cones import single_failure_supply


def random_network(seed: int, folder):
    write_random_package(random.Random(seed), folder)
    return load_network(folder)


def random_failures(net, rng: np.random.Generator, trials: int, p: float = 0.3):
    c = net.compiled
    failed = rng.random((c.n, trials)) < p
    failed[c.kind == CAPABILITY] = False
    return failed


# ------------------------------------------------------------------ packing helpers


@pytest.mark.parametrize("trials", [1, 63, 64, 65, 130])
def test_pack_roundtrip(trials):
    rng = np.random.default_rng(trials)
    flags = rng.random((5, trials)) < 0.5
    words = pack_trials(flags)
    assert words.shape == (5, -(-trials // 64)) and words.dtype == np.uint64
    assert (unpack_trials(words, trials) == flags).all()
    assert (popcount(words) == flags.sum(axis=1)).all()
    # padding bits are zero, and the mask covers exactly the real trials
    assert (words & ~trial_mask(trials) == 0).all()
    assert popcount(trial_mask(trials)[None, :])[0] == trials


def test_bit_order_is_trial_order():
    flags = np.zeros((1, 130), dtype=bool)
    flags[0, [0, 63, 64, 129]] = True
    words = pack_trials(flags)
    assert words[0].tolist() == [1 | (1 << 63), 1, 2]


# ---------------------------------------------------------------- kernel vs references


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_packed_kernel_matches_per_trial_traversal(seed, tmp_path_factory):
    """Every trial of the bit-packed kernel equals the recursive reference of §3.1."""
    net = random_network(seed, tmp_path_factory.mktemp("pkg"))
    c = net.compiled
    rng = np.random.default_rng(seed)
    trials = int(rng.integers(1, 140))
    failed = random_failures(net, rng, trials, p=float(rng.uniform(0.05, 0.6)))
    up = unpack_trials(available_packed(c, pack_trials(failed)), trials)
    ids = c.ids
    for t in range(trials):
        ref = ref_available(net, {ids[i] for i in np.flatnonzero(failed[:, t])})
        got = {ids[i]: bool(up[i, t]) for i in range(c.n)}
        assert got == ref, f"trial {t}"


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_available_equals_supply_reading(seed, tmp_path_factory):
    """The packed kernel and the float kernel agree: up iff supply > 0."""
    net = random_network(seed, tmp_path_factory.mktemp("pkg"))
    c = net.compiled
    rng = np.random.default_rng(seed + 1)
    failed = random_failures(net, rng, 200, p=float(rng.uniform(0.05, 0.6)))
    assert (available(c, failed) == (supply(c, (~failed).astype(float)) > 0)).all()
    assert (available(c, failed[:, 7]) == available(c, failed)[:, 7]).all()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_supply_matches_reference(seed, tmp_path_factory):
    net = random_network(seed, tmp_path_factory.mktemp("pkg"))
    c = net.compiled
    rng = np.random.default_rng(seed)
    cap = np.where(rng.random(c.n) < 0.3, rng.choice([0.0, 0.5, 0.8], c.n), 1.0)
    got = supply(c, cap)
    ref = ref_supply(net, {c.ids[i]: float(cap[i]) for i in range(c.n)})
    for i, typed in enumerate(c.ids):
        assert got[i] == pytest.approx(ref[typed], abs=1e-12), typed


def test_capability_flags_are_ignored(tmp_path):
    net = network_from(tmp_path, **MIXED)
    c = net.compiled
    failed = np.zeros((c.n, 2), dtype=bool)
    failed[c.capabilities, 1] = True
    up = available(c, failed)
    assert (up[:, 0] == up[:, 1]).all() and up.all()


def test_min_sources_counts_exactly(tmp_path):
    """Q needs 2 of S3, S4, S5: every one of the 8 combinations, in one packed call."""
    net = network_from(tmp_path, **MIXED)
    c = net.compiled
    sup = [c.index[f"supplier:S{i}"] for i in (3, 4, 5)]
    failed = np.zeros((c.n, 8), dtype=bool)
    for t in range(8):
        for b, s in enumerate(sup):
            failed[s, t] = bool(t >> b & 1)
    q = available(c, failed)[c.index["component:Q"]]
    assert q.tolist() == [bin(t).count("1") <= 1 for t in range(8)]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_sub_plan_with_base_and_forced_variants(seed, tmp_path_factory):
    """A plan over a downstream cone, reading the rest from a base state, with one
    failure point forced down / up, equals full evaluations with that flag set."""
    net = random_network(seed, tmp_path_factory.mktemp("pkg"))
    c = net.compiled
    rng = np.random.default_rng(seed)
    trials = 100
    failed = random_failures(net, rng, trials, p=0.3)
    words = pack_trials(failed)
    base = available_packed(c, words)
    x = int(rng.choice(c.failure_points))
    down = nx_descendants(c, x) | {x}
    cone = np.array(sorted(down))
    plan = make_plan(c, cone)
    w = words.shape[1]
    pos = np.array([int(np.searchsorted(cone, x))])
    forced = {}
    for step, p in split_by_step(plan, pos).items():
        forced[step] = [(p, 0, w, False), (p, w, 2 * w, True)]
    state = run_plan(plan, np.tile(words[cone], 2), base=np.tile(base, 2), forced=forced)
    for v, flag in enumerate([True, False]):
        f2 = failed.copy()
        f2[x] = flag
        expect = available(c, f2)[cone]
        assert (unpack_trials(state[:, v * w:(v + 1) * w], trials) == expect).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), column_words=st.sampled_from([1, 3, 64]))
def test_run_plan_row_maps_column_blocks_and_out(seed, column_words, tmp_path_factory):
    """Reading failed/base through row maps, into a reused ``out``, in blocks of columns
    of any width, gives the same words as the plain call."""
    import riskgraph.model.propagation as prop

    net = random_network(seed, tmp_path_factory.mktemp("pkg"))
    c = net.compiled
    rng = np.random.default_rng(seed)
    failed = random_failures(net, rng, 200, p=0.3)
    words = pack_trials(failed)
    base = available_packed(c, words)
    x = int(rng.choice(c.failure_points))
    cone = np.array(sorted(nx_descendants(c, x) | {x}))
    plan = make_plan(c, cone)
    w = words.shape[1]
    forced = {step: [(p, 1, w, False)]
              for step, p in split_by_step(plan, [int(np.searchsorted(cone, x))]).items()}
    expect = run_plan(plan, words[cone], base=base, forced=forced)
    out = np.zeros_like(expect)
    saved, prop.COLUMN_WORDS = prop.COLUMN_WORDS, column_words
    try:
        got = run_plan(plan, words, failed_rows=cone, base=base, base_rows=np.arange(c.n),
                       forced=forced, out=out)
    finally:
        prop.COLUMN_WORDS = saved
    assert got is out
    assert (got == expect).all()


def nx_descendants(c, x: int) -> set[int]:
    out: set[int] = set()
    frontier = [x]
    while frontier:
        u = frontier.pop()
        for v in range(c.n):
            for _, _, members in c.inputs(v):
                if u in members and v not in out:
                    out.add(v)
                    frontier.append(v)
    return out


def test_sample_package_agrees_with_supply():
    net = load_network("data/allied-defence")
    c = net.compiled
    rng = np.random.default_rng(0)
    failed = rng.random((c.n, 300)) < np.maximum(c.disruption_prob, 0.02)[:, None] * 5
    failed[c.kind == CAPABILITY] = False
    assert (available(c, failed) == (supply(c, (~failed).astype(float)) > 0)).all()


# ------------------------------------------------------------- single failures on cones


def dense_single_failures(c, points):
    """Slow reference: one full supply() column per point."""
    capacity = np.ones((c.n, len(points)))
    capacity[points, np.arange(len(points))] = 0.0
    return supply(c, capacity)


def cone_cells(c, points, **kw):
    got = {}
    for p, v, a in single_failure_supply(c, points, **kw):
        for key, x in zip(zip(p.tolist(), v.tolist()), a.tolist()):
            assert key not in got
            got[key] = x
    return got


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), max_cells=st.sampled_from([1, 7, 50, 2 ** 20]))
def test_single_failure_supply_is_bit_identical_to_dense(seed, max_cells, tmp_path_factory):
    net = random_network(seed, tmp_path_factory.mktemp("cone"))
    c = net.compiled
    points = np.r_[c.failure_points, c.capabilities[:1]]  # a capability changes nothing
    base = supply(c)
    dense = dense_single_failures(c, points)
    expect = {(j, i): dense[i, j] for j, i in zip(*np.nonzero((dense != base[:, None]).T))}
    assert cone_cells(c, points, max_cells=max_cells) == expect  # exact, not approx
    caps = cone_cells(c, points, rows=c.capabilities, max_cells=max_cells)
    assert caps == {k: v for k, v in expect.items() if c.kind[k[1]] == CAPABILITY}


def test_single_failure_supply_on_the_sample_package():
    from pathlib import Path

    c = load_network(Path(__file__).resolve().parents[1] / "data" / "allied-defence").compiled
    points = c.failure_points
    base = supply(c)
    dense = dense_single_failures(c, points)
    expect = {(j, i): dense[i, j] for j, i in zip(*np.nonzero((dense != base[:, None]).T))}
    assert cone_cells(c, points, max_cells=300) == expect


def test_failure_supply_chunks_match_one_call(tmp_path):
    c = random_network(3, tmp_path).compiled
    sets = [np.array([x]) for x in c.failure_points] + [c.failure_points[:2]]
    whole = np.concatenate([a for _, _, a in failure_supply(c, sets, max_cells=10 ** 9)], 1)
    for lo, hi, a in failure_supply(c, sets, max_cells=2 * c.n, rows=c.capabilities):
        assert hi - lo <= 2
        assert (a == whole[c.capabilities, lo:hi]).all()


def test_relative_supply_rule():
    a = np.array([0.5, 0.3, 1e-15, 0.3, 0.7, 2.0])
    base = np.array([1.0, 0.3 - 1e-17, 1.0, 0.0, 0.7 + 1e-13, 1.0])
    frac, loss = relative_supply(a, base)
    assert frac.tolist() == [0.5, 1.0, 0.0, 0.0, 1.0, 1.0]
    assert (loss == 1.0 - frac).all()
    f2, _ = relative_supply(a[:, None], base[:, None])  # broadcasts, shape kept
    assert f2.shape == (6, 1)
