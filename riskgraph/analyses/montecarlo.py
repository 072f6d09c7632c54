"""Monte Carlo disruption risk with importance measures (DESIGN §4.7).

Each failure point (nation, supplier, component) fails independently with its
``disruption_prob`` (defaults of DESIGN §2 applied); failures propagate by the boolean
rules of §3.1 through the bit-packed kernel of :mod:`riskgraph.model.propagation`, 64 trials to
a machine word. :func:`monte_carlo` estimates

* per capability, P(unavailable) with a 95% Wilson interval;
* per nation, the expected number and share of its capabilities lost, and the probability
  of losing at least one;
* per scored failure point ``x`` and capability ``c`` downstream of it, Birnbaum importance
  ``I_B = P(c down | x down) − P(c down | x up)`` and risk achievement worth
  ``RAW = P(c down | x down) / P(c down)``, and an overall ranking of the scored points.

Sampling
--------
Trials come in fixed chunks of :data:`CHUNK_TRIALS`; chunk ``i`` draws from its own stream
``numpy.random.SeedSequence(seed, spawn_key=(i,))`` (the ``i``-th child of
``SeedSequence(seed).spawn``), so results depend on the seed and the trial count only —
never on PYTHONHASHSEED, the scheduler, the number of workers or the order in which chunks
finish. Chunk results are integer counts, summed at the end. Within a chunk a failure
point with a small probability ``p`` (below :data:`DENSE_PROB`) draws a binomial count of
failing trials and then that many distinct trial positions; points with larger ``p`` draw
one uniform number per trial. Both give independent Bernoulli(p) failures per trial.

Importance
----------
"x down" and "x up" force the *failure flag* of ``x`` (its own disruption); forced up,
``x`` still needs its inputs. Each trial is evaluated with ``x`` forced down and forced up
on the same random draws of everything else (common random numbers), only for the scored
points and only where it can differ from the unforced run:

* forced down, the nodes that ``x`` takes down on its own (found by one packed trial per
  point) are down in every trial and skip evaluation — P(c down | x down) = 1 for a
  capability among them; the rest of the downstream cone is evaluated;
* forced up, a trial differs from the unforced run only when ``x`` failed in it, so for a
  point that rarely fails only those trials are picked out and evaluated (a point that
  never fails needs nothing: forced up *is* the unforced run).

``I_B`` is then the fraction of trials in which ``x`` is critical for ``c`` — a binomial
proportion, reported with its own Wilson interval. RAW's denominator is ``P(c down) =
p·P(c down | x down) + (1 − p)·P(c down | x up)`` (exact by independence; lower variance
than the plain estimate), so it agrees with exact enumeration. Capabilities not downstream
of ``x`` are omitted (I_B = 0, RAW = 1). RAW is empty (NaN) when ``c`` is never down even
with ``x`` down.

By default the points scored are the top ``max_points`` failure points by SPOF count and
blast radius (as in :func:`riskgraph.analyses.spof.blast_radius`), then by the number of
capabilities downstream, then by disruption probability (:func:`default_points`), so the
cost stays bounded on large networks.

Examples
--------
>>> from riskgraph import load_network
>>> net = load_network("tests/fixtures/worked")
>>> mc = monte_carlo(net, trials=20_000, seed=1)
>>> row = mc.capabilities.loc["capability:USA/P1"]
>>> round(float(row.p_unavailable), 3), bool(row.ci_low < 0.0304 < row.ci_high)
(0.029, True)
>>> exact = exact_unavailability(net, points=mc.parameters["points"])
>>> round(float(exact.capabilities.loc["capability:USA/P1", "p_unavailable"]), 4)
0.0304
>>> mc.ranking.index[:3].tolist()
['component:B', 'nation:USA', 'component:P2']
>>> sorted(mc.tables())
['mc_capabilities.csv', 'mc_importance.csv', 'mc_nations.csv', 'mc_ranking.csv']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import CAPABILITY, SupplyNetwork
from riskgraph.model.topology import ranges
from riskgraph.model.propagation import (WORD_BITS, PropagationPlan, make_plan, pack_trials,
                                   popcount, run_plan, split_by_step, trial_mask,
                                   unpack_trials)

logger = logging.getLogger(__name__)

__all__ = [
    "MonteCarloResult",
    "monte_carlo",
    "exact_unavailability",
    "wilson_interval",
    "default_points",
    "CHUNK_TRIALS",
    "DENSE_PROB",
    "CAPABILITY_COLUMNS",
    "NATION_COLUMNS",
    "IMPORTANCE_COLUMNS",
    "RANKING_COLUMNS",
]

#: Trials per chunk: each chunk has its own random stream. Fixed, so that results never
#: depend on how chunks are scheduled.
CHUNK_TRIALS = 4096
#: Failure probabilities from here up are drawn one uniform number per trial; smaller
#: ones as a binomial count plus distinct positions.
DENSE_PROB = 1 / 16
#: Words (8 bytes each) of state one importance batch may hold per chunk.
_BATCH_WORDS = 1 << 22
_CONFIDENCE = 0.95
#: Forced-up runs use only the trials where the point failed when these are at most
#: 1/_PICK_FRACTION of the chunk (gathering bits costs about as much as evaluating).
_PICK_FRACTION = 16

CAPABILITY_COLUMNS = ("nation_id", "platform_id", "p_unavailable", "ci_low", "ci_high",
                      "trials")
NATION_COLUMNS = ("nation_id", "capabilities", "expected_capabilities_lost",
                  "expected_share_lost", "p_any_lost")
IMPORTANCE_COLUMNS = ("nation_id", "platform_id", "birnbaum", "raw", "p_down_given_down",
                      "p_down_given_up", "birnbaum_ci_low", "birnbaum_ci_high")
RANKING_COLUMNS = ("rank", "kind", "name", "disruption_prob", "capabilities_affected",
                   "birnbaum_sum", "birnbaum_max", "raw_max")


@dataclass(frozen=True)
class MonteCarloResult:
    """Estimates of one Monte Carlo run (or of an exact enumeration).

    Attributes
    ----------
    capabilities
        Indexed by capability id: ``nation_id``, ``platform_id``, ``p_unavailable``,
        ``ci_low``, ``ci_high`` (95% Wilson interval), ``trials``.
    nations
        Indexed by ``nation:X`` (nations fielding something): ``nation_id``,
        ``capabilities``, ``expected_capabilities_lost``, ``expected_share_lost``,
        ``p_any_lost`` (at least one capability down).
    importance
        Indexed by ``failure_point``, one row per (scored point, capability downstream of
        it): ``nation_id``, ``platform_id``, ``birnbaum``, ``raw``, ``p_down_given_down``,
        ``p_down_given_up``, ``birnbaum_ci_low``, ``birnbaum_ci_high``; ``capability``
        holds the capability id.
    ranking
        Indexed by ``failure_point``, the scored points from most to least important:
        ``rank``, ``kind``, ``name``, ``disruption_prob``, ``capabilities_affected``,
        ``birnbaum_sum`` (expected extra capabilities lost when the point fails rather
        than not), ``birnbaum_max``, ``raw_max``.
    parameters
        Everything needed to reproduce the run.
    """

    capabilities: pd.DataFrame
    nations: pd.DataFrame
    importance: pd.DataFrame
    ranking: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The export tables, keyed by CSV file name, with flat columns (no index)."""
        imp = self.importance.reset_index()
        return {
            "mc_capabilities.csv": self.capabilities.reset_index(drop=True),
            "mc_nations.csv": self.nations.reset_index(drop=True),
            "mc_importance.csv": imp[["failure_point", *IMPORTANCE_COLUMNS]],
            "mc_ranking.csv": self.ranking.reset_index(),
        }


def wilson_interval(successes, trials, *, confidence: float = _CONFIDENCE):
    """Wilson score interval of a binomial proportion.

    Returns
    -------
    (low, high)
        Arrays (or floats) in [0, 1]; exactly 0 / 1 at 0 / all successes.

    >>> low, high = wilson_interval(10, 100)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0552, 0.1744)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    phat = k / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    low = np.where(k <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k >= n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class _Block:
    """One forced scenario of a batch: point ``x`` forced down on every trial, or forced
    up on the trials where it failed (elsewhere forced up *is* the unforced run)."""

    point: int  # index into the scored points
    x_row: int  # the point's row in the chunk's failed-words
    up: bool
    forced: dict  # plan step -> local positions forced (x; when down, also dead(x))
    cap_rows: np.ndarray  # batch-plan rows of the capabilities read
    cap_pos: np.ndarray  # their positions in the capability list
    slots: np.ndarray  # the (point, capability) pairs' positions in the importance table


@dataclass(frozen=True, eq=False)
class _Batch:
    """Blocks evaluated side by side, as column blocks of one plan."""

    plan: PropagationPlan  # union of the blocks' nodes; outside members from the base
    failed_rows: np.ndarray  # rows of the chunk's failed-words for the plan's nodes
    base_rows: np.ndarray  # rows of the chunk's base state for the outside members
    blocks: tuple


@dataclass(frozen=True, eq=False)
class _Model:
    """Everything a chunk needs; built once per run and shipped to workers once."""

    plan: PropagationPlan  # every node upstream of a capability
    cap_rows: np.ndarray  # plan rows of the capabilities, compiled order
    nation_order: np.ndarray  # capability positions grouped by nation
    nation_starts: np.ndarray
    rand_rows: np.ndarray  # plan rows of failure points with p > 0: sparse first
    rand_p: np.ndarray
    n_sparse: int
    batches: tuple
    n_pairs: int
    pair_cap: np.ndarray  # capability position of every (point, capability) pair
    sure_slots: np.ndarray  # pairs whose capability always falls with the point (dead)
    base_up_slots: np.ndarray  # pairs of points that never fail: forced up = unforced
    x_rows: np.ndarray  # failed-words row of every pair's point


def _members(c, nodes: np.ndarray) -> np.ndarray:
    """Every member of every group of ``nodes`` (global indices, with repeats)."""
    groups = ranges(c.group_ptr[nodes], c.group_ptr[nodes + 1] - c.group_ptr[nodes])
    return c.member[ranges(c.member_ptr[groups],
                            c.member_ptr[groups + 1] - c.member_ptr[groups])].astype(np.int64)


def _as_set(nodes: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct node indices (a mask pass: faster than np.unique here)."""
    mask = np.zeros(n, dtype=bool)
    mask[nodes] = True
    return np.flatnonzero(mask)


def _dead_sets(c, points: np.ndarray) -> np.ndarray:
    """``(len(points), n)`` booleans: the nodes down when that point alone fails.

    One packed evaluation, a trial per point. Forced down, a point takes these nodes down
    in every trial whatever else fails (availability is monotone), so they need no
    evaluation, and neither does P(c down | x down) = 1 for a capability among them.
    """
    from riskgraph.model.propagation import available_packed

    if not len(points):
        return np.zeros((0, c.n), dtype=bool)
    up = unpack_trials(available_packed(c, _one_each(c.n, points)), len(points))
    return ~up.T


def _lost_alone(c, points: np.ndarray) -> np.ndarray:
    """Capabilities down when each point alone fails (one packed trial per point)."""
    from riskgraph.model.propagation import available_packed

    up = available_packed(c, _one_each(c.n, points))[c.capabilities]
    return len(c.capabilities) - unpack_trials(up, len(points)).sum(axis=0)


def _one_each(n: int, points: np.ndarray) -> np.ndarray:
    """Failed-words with trial ``j`` failing ``points[j]`` alone (points distinct)."""
    j = np.arange(len(points))
    failed = np.zeros((n, -(-len(points) // WORD_BITS)), dtype=np.uint64)
    failed[points, j >> 6] = np.left_shift(np.uint64(1), (j & 63).astype(np.uint64))
    return failed


def _build_model(network: SupplyNetwork, points: np.ndarray, words: int) -> tuple:
    """The chunk model and the importance pairs ``(point, capability position)``.

    ``words`` (of the blocks of trials the model will see) only sizes the batches.
    """
    c = network.compiled
    caps = c.capabilities
    need = c.topology.ancestor_mask(caps)
    nodes = np.flatnonzero(need)
    row = np.full(c.n, -1, dtype=np.int64)
    row[nodes] = np.arange(len(nodes))
    plan = make_plan(c, nodes)

    p = c.disruption_prob[nodes]
    random = (p > 0) & (c.kind[nodes] != CAPABILITY)
    sparse = np.flatnonzero(random & (p < DENSE_PROB))
    dense = np.flatnonzero(random & (p >= DENSE_PROB))
    rand_rows = np.r_[sparse, dense].astype(np.int64)

    cap_nation = network.capabilities["nation_id"].to_numpy(dtype=object)
    codes, uniques = pd.factorize(pd.Series(cap_nation), sort=True)
    nation_order = np.argsort(codes, kind="stable")
    nation_starts = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]]

    cap_pos = np.full(c.n, -1, dtype=np.int64)
    cap_pos[caps] = np.arange(len(caps))
    dead = _dead_sets(c, points)
    pair_point, pair_cap, cones = [], [], []
    for j, x in enumerate(points.tolist()):
        cone = c.topology.descendants([x]) if need[x] else np.zeros(0, np.int64)
        cone = cone[need[cone]]
        cones.append(cone)
        cp = cap_pos[cone]
        cp = np.sort(cp[cp >= 0])
        pair_point.append(np.full(len(cp), j, dtype=np.int64))
        pair_cap.append(cp)
    pair_point = np.concatenate(pair_point) if pair_point else np.zeros(0, np.int64)
    pair_cap = np.concatenate(pair_cap) if pair_cap else np.zeros(0, np.int64)
    slot_start = np.r_[0, np.cumsum(np.bincount(pair_point, minlength=len(points)))]
    sure = np.zeros(len(pair_cap), dtype=bool)
    base_up = np.zeros(len(pair_cap), dtype=bool)

    # blocks: (point, up, node set, forced nodes, capability slots)
    specs = []
    for j, (x, cone) in enumerate(zip(points.tolist(), cones)):
        slots = np.arange(slot_start[j], slot_start[j + 1])
        if not len(slots):
            continue
        is_dead = dead[j, caps[pair_cap[slots]]]
        sure[slots[is_dead]] = True
        live = cone[~dead[j, cone]]
        killed = _as_set(_members(c, live), c.n)
        killed = killed[dead[j, killed]]
        if len(live) and not is_dead.all():
            specs.append((j, False, _as_set(np.r_[live, killed], c.n), killed,
                          slots[~is_dead], 1.0))
        if c.disruption_prob[x] > 0:
            specs.append((j, True, cone, np.array([x]), slots,
                          min(1.0, 1.5 * c.disruption_prob[x] + 1 / max(words, 1))))
        else:
            base_up[slots] = True

    batches = []
    group: list = []
    in_union = np.zeros(c.n, dtype=bool)

    def close():
        if not group:
            return
        union = np.flatnonzero(in_union)
        is_member = np.zeros(c.n, dtype=bool)
        is_member[_members(c, union)] = True
        outside = np.flatnonzero(is_member & ~in_union)
        base_index = np.full(c.n, -1, dtype=np.int64)
        base_index[outside] = np.arange(len(outside))
        bplan = make_plan(c, union, base_index=base_index)
        brow = np.full(c.n, -1, dtype=np.int64)
        brow[bplan.nodes] = np.arange(len(bplan.nodes))
        blocks = []
        for j, up, _, forced, slots, _ in group:
            blocks.append(_Block(
                point=j, x_row=int(row[points[j]]), up=up,
                forced=split_by_step(bplan, brow[forced]),
                cap_rows=brow[caps[pair_cap[slots]]], cap_pos=pair_cap[slots], slots=slots))
        batches.append(_Batch(plan=bplan, failed_rows=row[bplan.nodes],
                              base_rows=row[outside], blocks=tuple(blocks)))

    size = 0
    for spec in specs:
        grown = size + int((~in_union[spec[2]]).sum())
        width = sum(max(1.0, g[5] * words) for g in group) + max(1.0, spec[5] * words)
        if group and grown * width > _BATCH_WORDS:
            close()
            group = []
            in_union[:] = False
            grown = len(spec[2])
        group.append(spec)
        in_union[spec[2]] = True
        size = grown
    close()

    model = _Model(plan=plan, cap_rows=row[caps], nation_order=nation_order,
                   nation_starts=nation_starts.astype(np.int64), rand_rows=rand_rows,
                   rand_p=p[rand_rows], n_sparse=len(sparse), batches=tuple(batches),
                   n_pairs=len(pair_cap), pair_cap=pair_cap,
                   sure_slots=np.flatnonzero(sure), base_up_slots=np.flatnonzero(base_up),
                   x_rows=row[points[pair_point]] if len(pair_point) else pair_point)
    return model, pair_point, pair_cap, cones


def _select_trials(words: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """Words holding only the trials ``sel`` (sorted), renumbered 0, 1, ..."""
    m = len(sel)
    out = np.zeros((words.shape[0], -(-m // WORD_BITS)), dtype=np.uint64)
    wi = sel >> 6
    bi = (sel & 63).astype(np.uint64)
    shift = np.arange(WORD_BITS, dtype=np.uint64)
    for j in range(out.shape[1]):
        s = slice(j * WORD_BITS, min(m, (j + 1) * WORD_BITS))
        bits = (words[:, wi[s]] >> bi[s]) & np.uint64(1)
        out[:, j] = np.bitwise_or.reduce(bits << shift[:bits.shape[1]], axis=1)
    return out


class _Counts:
    """Monte Carlo reduction: failing trials per row."""

    def __init__(self, trials: int):
        self.trials = trials
        self.mask = trial_mask(trials)

    def __call__(self, words: np.ndarray, sel: np.ndarray | None = None) -> np.ndarray:
        mask = self.mask if sel is None else trial_mask(len(sel))
        return popcount(words & mask)


class _Weights:
    """Exact-enumeration reduction: probability mass of the states per row."""

    def __init__(self, weight: np.ndarray):
        self.trials = len(weight)
        self.weight = weight

    def __call__(self, words: np.ndarray, sel: np.ndarray | None = None) -> np.ndarray:
        w = self.weight if sel is None else self.weight[sel]
        return unpack_trials(words, len(w)) @ w


def _evaluate(model: _Model, failed: np.ndarray, reduce) -> dict:
    """Push one block of trials through the model; ``reduce`` turns down-words into
    per-row numbers (counts for Monte Carlo, probability mass for exact enumeration)."""
    state = run_plan(model.plan, failed)
    down = ~state[model.cap_rows]
    out = {"down": reduce(down)}
    if len(model.nation_starts):
        lost = np.bitwise_or.reduceat(down[model.nation_order], model.nation_starts, axis=0)
        out["any_lost"] = reduce(lost)
    else:
        out["any_lost"] = reduce(np.zeros((0, failed.shape[1]), np.uint64))
    every = reduce(~np.zeros((1, failed.shape[1]), np.uint64))[0]  # all trials down
    dd = np.zeros(model.n_pairs, dtype=out["down"].dtype)
    du = np.zeros(model.n_pairs, dtype=out["down"].dtype)
    dd[model.sure_slots] = every
    du[model.base_up_slots] = out["down"][model.pair_cap[model.base_up_slots]]
    trials = reduce.trials
    fail_bits: dict[int, np.ndarray] = {}  # trials in which a point failed
    for b in model.batches:
        fb, bb = failed[b.failed_rows], state[b.base_rows]
        parts_f, parts_b, spans, forced = [], [], [], {}
        col = 0
        for blk in b.blocks:
            sel = None
            if blk.up:
                if blk.x_row not in fail_bits:
                    fail_bits[blk.x_row] = np.flatnonzero(
                        unpack_trials(failed[blk.x_row:blk.x_row + 1], trials)[0])
                sel = fail_bits[blk.x_row]
                if len(sel) * _PICK_FRACTION > trials:
                    sel = None  # picking bits out costs more than it saves
                elif not len(sel):
                    spans.append((blk, sel, 0, 0))
                    continue
            if sel is None:
                parts_f.append(fb)
                parts_b.append(bb)
                width = fb.shape[1]
            else:
                parts_f.append(_select_trials(fb, sel))
                parts_b.append(_select_trials(bb, sel))
                width = parts_f[-1].shape[1]
            spans.append((blk, sel, col, col + width))
            for step, pos in blk.forced.items():
                forced.setdefault(step, []).append((pos, col, col + width, blk.up))
            col += width
        s = None
        if col:
            s = run_plan(b.plan, np.concatenate(parts_f, axis=1),
                         base=np.concatenate(parts_b, axis=1), forced=forced)
        for blk, sel, c0, c1 in spans:
            if not blk.up:
                dd[blk.slots] = reduce(~s[blk.cap_rows, c0:c1])
            elif sel is None:
                du[blk.slots] = reduce(~s[blk.cap_rows, c0:c1])
            else:
                # the forced run on the trials where x failed, the unforced one elsewhere
                rest = reduce(down[blk.cap_pos] & ~failed[blk.x_row])
                du[blk.slots] = rest + (reduce(~s[blk.cap_rows, c0:c1], sel) if len(sel)
                                        else 0)
    out["down_given_down"] = dd
    out["down_given_up"] = du
    return out


def _distinct_positions(rng: np.random.Generator, key: np.ndarray, trials: int) -> np.ndarray:
    """Sorted keys ``row * trials + position`` made distinct within each row.

    Duplicates are redrawn uniformly until none is left. The procedure treats every
    position alike, so each row ends with a uniformly random set of its count of
    positions — sampling without replacement.
    """
    key = np.sort(key)
    while True:
        dup = np.flatnonzero(key[1:] == key[:-1]) + 1
        if not len(dup):
            return key
        rows = key[dup] // trials
        keep = np.ones(len(key), dtype=bool)
        keep[dup] = False
        fresh = np.sort(rows * trials + rng.integers(0, trials, size=len(dup)))
        # two sorted runs: the stable sort (timsort) merges them in linear time
        key = np.sort(np.concatenate([key[keep], fresh]), kind="stable")


def _draw(model: _Model, rng: np.random.Generator, trials: int) -> np.ndarray:
    """Failed-words ``(plan nodes, W)`` of one chunk: independent Bernoulli(p) per point."""
    words = -(-trials // WORD_BITS)
    failed = np.zeros((len(model.plan.nodes), words), dtype=np.uint64)
    ns = model.n_sparse
    if ns:
        counts = rng.binomial(trials, model.rand_p[:ns])
        total = int(counts.sum())
        if total:
            key = (np.repeat(np.arange(ns, dtype=np.int64) * trials, counts)
                   + rng.integers(0, trials, size=total))
            key = _distinct_positions(rng, key, trials)
            which = key // trials
            pos = key - which * trials
            flat = model.rand_rows[which] * words + (pos >> 6)
            bits = np.left_shift(np.uint64(1), (pos & 63).astype(np.uint64))
            starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
            failed.reshape(-1)[flat[starts]] = np.bitwise_or.reduceat(bits, starts)
    if len(model.rand_rows) > ns:
        p = model.rand_p[ns:]
        flags = rng.random((len(p), trials)) < p[:, None]
        failed[model.rand_rows[ns:]] = pack_trials(flags)
    return failed


def _chunk_counts(model: _Model, seed: int, chunk: int, trials: int) -> dict:
    """Integer counts of one chunk of trials (runs in process or on a Dask worker)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    failed = _draw(model, rng, trials)
    return _evaluate(model, failed, _Counts(trials))


# ----------------------------------------------------------------------- choosing points


def default_points(network: SupplyNetwork, max_points: int = 20) -> list[str]:
    """The failure points scored by default: the top ``max_points`` by non-trivial SPOF
    count, then blast radius (capabilities lost alone), then capabilities downstream,
    then disruption probability (ties: compiled order). Points with no capability
    downstream are never chosen.

    The counts are those of :func:`riskgraph.analyses.spof.blast_radius` (``spof_count``,
    ``capabilities_lost``), computed here with the propagation kernel — a trial per
    candidate, failing it alone — and only for as many candidates as can still make the
    cut: both counts are bounded by the capabilities downstream, so candidates are taken
    in decreasing order of that bound until the bound falls below the last place.

    >>> from riskgraph import load_network
    >>> default_points(load_network("tests/fixtures/worked"), 3)
    ['component:B', 'nation:USA', 'supplier:S_A']
    """
    if max_points <= 0:
        return []
    c = network.compiled
    caps = c.capabilities
    reach = c.topology.capability_reach()
    fp = c.failure_points
    cand = fp[reach[fp] > 0]
    cand = cand[np.lexsort((cand, -c.disruption_prob[cand], -reach[cand]))]
    platform = c.member[c.member_ptr[c.group_ptr[caps]]]
    trivial = np.bincount(platform, minlength=c.n)
    scored = []
    block = 64
    start = 0
    while start < len(cand):
        if len(scored) >= max_points:
            spof_cut = np.sort(np.concatenate([s[0] for s in scored]))[-max_points]
            if spof_cut > reach[cand[start]]:
                break  # nobody left can reach the last place
        these = cand[start:start + block]
        lost = _lost_alone(c, these)
        scored.append((lost - trivial[these], lost, these))
        start += len(these)
        block = min(block * 2, 4096)
    logger.debug("default_points: %d of %d candidates evaluated", start, len(cand))
    spof = np.concatenate([s[0] for s in scored]) if scored else np.zeros(0, np.int64)
    lost = np.concatenate([s[1] for s in scored]) if scored else np.zeros(0, np.int64)
    idx = np.concatenate([s[2] for s in scored]) if scored else np.zeros(0, np.int64)
    order = np.lexsort((idx, -c.disruption_prob[idx], -reach[idx], -lost, -spof))
    return c.ids[idx[order[:max_points]]].tolist()


def _resolve_points(network: SupplyNetwork, points, max_points) -> tuple[np.ndarray, bool]:
    if not isinstance(max_points, (int, np.integer)) or isinstance(max_points, bool) \
            or max_points < 0:
        raise UsageError(f"max_points must be a whole number >= 0, got {max_points!r}")
    if points is None:
        ids = default_points(network, int(max_points))
        chosen = True
    else:
        if isinstance(points, str):
            points = [points]
        ids = list(dict.fromkeys(points))
        chosen = False
    c = network.compiled
    idx = []
    for typed in ids:
        i = network.index_of(typed)
        if c.kind[i] == CAPABILITY:
            raise UsageError(f"{typed} is a capability, not a failure point: score a "
                             "nation, supplier or component")
        idx.append(i)
    return np.asarray(idx, dtype=np.int64), chosen


# ---------------------------------------------------------------------------- front ends


def _check_int(name: str, value, low: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise UsageError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def monte_carlo(network: SupplyNetwork, *, trials: int = 10_000, seed: int = 0,
                points: Iterable[str] | None = None, max_points: int = 20,
                scheduler=None,
                progress: Callable[[int, int], None] | None = None) -> MonteCarloResult:
    """Monte Carlo estimates of capability loss and importance measures (DESIGN §4.7).

    Parameters
    ----------
    network
        The compiled network; its ``disruption_prob`` (with defaults) drives the draws.
    trials
        Number of independent trials.
    seed
        Non-negative seed; with ``trials`` it fixes every number of the result.
    points
        Typed ids of the failure points to score for importance (``None``: the default
        choice of :func:`default_points`); ``[]`` scores none.
    max_points
        How many points the default choice takes.
    scheduler
        ``None`` (in process), ``"local"`` (a Dask LocalCluster for this call),
        ``"tcp://host:port"`` or a ``distributed.Client``; see
        :mod:`riskgraph.analyses.distributed`. Results are identical for every choice.
    progress
        Called as ``progress(done_trials, total_trials)`` after each chunk; an exception
        it raises stops the run (remaining chunks are cancelled) and propagates.

    Returns
    -------
    MonteCarloResult
    """
    trials = _check_int("trials", trials, 1)
    seed = _check_int("seed", seed, 0)
    if progress is not None and not callable(progress):
        raise UsageError("progress must be a callable progress(done_trials, total_trials)")
    from riskgraph.analyses.distributed import check_scheduler, describe_scheduler, run_chunks

    check_scheduler(scheduler)
    point_idx, chosen = _resolve_points(network, points, max_points)
    model, pair_point, pair_cap, _ = _build_model(
        network, point_idx, -(-CHUNK_TRIALS // WORD_BITS))
    tasks = [(seed, i, min(CHUNK_TRIALS, trials - i * CHUNK_TRIALS))
             for i in range(-(-trials // CHUNK_TRIALS))]
    totals: dict[str, np.ndarray] = {}
    done = [0]

    def on_result(i: int, counts: dict) -> None:
        for key, value in counts.items():
            totals[key] = totals[key] + value if key in totals else value.copy()
        done[0] += tasks[i][2]
        if progress is not None:
            progress(done[0], trials)

    run_chunks(_chunk_counts, model, tasks, scheduler=scheduler, on_result=on_result)

    n = float(trials)
    down = totals["down"]
    low, high = wilson_interval(down, trials)
    dd, du = totals["down_given_down"], totals["down_given_up"]
    b_low, b_high = wilson_interval(dd - du, trials)
    c = network.compiled
    params = {
        "method": "monte_carlo",
        "trials": trials,
        "seed": seed,
        "chunk_trials": CHUNK_TRIALS,
        "dense_prob": DENSE_PROB,
        "confidence": _CONFIDENCE,
        "points": c.ids[point_idx].tolist(),
        "points_chosen_by_default": chosen,
        "max_points": int(max_points),
        "scheduler": describe_scheduler(scheduler),
        "ownership": network.ownership,
        "defaults": _defaults(network),
    }
    return _assemble(network, point_idx, pair_point, pair_cap,
                     p_down=down / n, ci=(low, high), p_any=totals["any_lost"] / n,
                     pdd=dd / n, pdu=du / n, b_ci=(b_low, b_high), trials=trials,
                     parameters=params)


def exact_unavailability(network: SupplyNetwork, *, points: Iterable[str] | None = None,
                         max_points: int = 20,
                         max_random_points: int = 16) -> MonteCarloResult:
    """The exact values that :func:`monte_carlo` estimates, by enumerating every state of
    the failure points with ``disruption_prob > 0`` (upstream of some capability),
    weighted by its probability.

    Intended for small networks and tests: the cost doubles with every such point. The
    result has the shape of a Monte Carlo result, with ``trials`` the number of states and
    intervals of zero width.

    >>> from riskgraph import load_network
    >>> ex = exact_unavailability(load_network("tests/fixtures/worked"), points=["component:B"])
    >>> round(float(ex.capabilities.loc["capability:USA/P2", "p_unavailable"]), 6)
    0.000888
    >>> ex.parameters["states"]
    32
    """
    max_random_points = _check_int("max_random_points", max_random_points, 0)
    point_idx, chosen = _resolve_points(network, points, max_points)
    c = network.compiled
    need = c.topology.ancestor_mask(c.capabilities)
    k = int((need & (c.disruption_prob > 0) & (c.kind != CAPABILITY)).sum())
    if k > max_random_points:
        raise UsageError(f"exact enumeration of {k} failure points with disruption_prob > 0 "
                         f"needs 2^{k} states; the limit is {max_random_points} "
                         "(use monte_carlo)")
    states = 1 << k
    words = -(-states // WORD_BITS)
    model, pair_point, pair_cap, _ = _build_model(network, point_idx, words)
    flags = ((np.arange(states)[None, :] >> np.arange(k)[:, None]) & 1).astype(bool)
    p = model.rand_p[:, None]
    weight = np.prod(np.where(flags, p, 1.0 - p), axis=0) if k else np.ones(1)
    failed = np.zeros((len(model.plan.nodes), words), dtype=np.uint64)
    assert len(model.rand_rows) == k
    if k:
        failed[model.rand_rows] = pack_trials(flags)
    res = _evaluate(model, failed, _Weights(weight))
    params = {
        "method": "exact",
        "states": states,
        "random_points": c.ids[model.plan.nodes[model.rand_rows]].tolist(),
        "points": c.ids[point_idx].tolist(),
        "points_chosen_by_default": chosen,
        "max_points": int(max_points),
        "ownership": network.ownership,
        "defaults": _defaults(network),
    }
    pdd, pdu = res["down_given_down"], res["down_given_up"]
    return _assemble(network, point_idx, pair_point, pair_cap,
                     p_down=res["down"], ci=(res["down"], res["down"]),
                     p_any=res["any_lost"], pdd=pdd, pdu=pdu, b_ci=(pdd - pdu, pdd - pdu),
                     trials=states, parameters=params)


def _defaults(network: SupplyNetwork) -> dict:
    return {k: (dict(v) if hasattr(v, "items") else v)
            for k, v in network.defaults.__dict__.items()}


def _assemble(network, point_idx, pair_point, pair_cap, *, p_down, ci, p_any, pdd,
              pdu, b_ci, trials, parameters) -> MonteCarloResult:
    c = network.compiled
    caps = network.capabilities
    cap_df = pd.DataFrame({
        "nation_id": caps["nation_id"].to_numpy(),
        "platform_id": caps["platform_id"].to_numpy(),
        "p_unavailable": np.asarray(p_down, dtype=np.float64),
        "ci_low": np.asarray(ci[0], dtype=np.float64),
        "ci_high": np.asarray(ci[1], dtype=np.float64),
        "trials": np.full(len(caps), trials, dtype=np.int64),
    }, index=caps.index)
    cap_df = cap_df.sort_values(["nation_id", "platform_id"], kind="stable")

    nat = cap_df.groupby("nation_id", sort=True).agg(
        capabilities=("p_unavailable", "size"),
        expected_capabilities_lost=("p_unavailable", "sum"))
    nat["expected_share_lost"] = nat["expected_capabilities_lost"] / nat["capabilities"]
    nat["p_any_lost"] = np.asarray(p_any, dtype=np.float64)  # same sorted nation order
    nat = nat.reset_index()
    nat.index = pd.Index("nation:" + nat["nation_id"], name="nation")
    nat = nat[list(NATION_COLUMNS)]

    pdd = np.asarray(pdd, dtype=np.float64)
    pdu = np.asarray(pdu, dtype=np.float64)
    px = c.disruption_prob[point_idx][pair_point] if len(pair_point) else np.zeros(0)
    denom = px * pdd + (1.0 - px) * pdu
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(denom > 0, pdd / np.where(denom > 0, denom, 1.0),
                       np.where(pdd > 0, np.inf, np.nan))
    cap_ids = caps.index.to_numpy()[pair_cap]
    imp = pd.DataFrame({
        "capability": cap_ids,
        "nation_id": caps["nation_id"].to_numpy()[pair_cap],
        "platform_id": caps["platform_id"].to_numpy()[pair_cap],
        "birnbaum": pdd - pdu,
        "raw": raw,
        "p_down_given_down": pdd,
        "p_down_given_up": pdu,
        "birnbaum_ci_low": np.asarray(b_ci[0], dtype=np.float64),
        "birnbaum_ci_high": np.asarray(b_ci[1], dtype=np.float64),
        "_point": pair_point,
    }, index=pd.Index(c.ids[point_idx][pair_point] if len(pair_point) else [],
                      name="failure_point", dtype=object))
    imp = imp.sort_values(["_point", "nation_id", "platform_id"], kind="stable")
    imp = imp[["capability", *IMPORTANCE_COLUMNS]]

    nodes = network.nodes
    ids = c.ids[point_idx]
    g = imp.groupby(level=0, sort=False)
    rank = pd.DataFrame({
        "kind": nodes["kind"].reindex(ids).to_numpy(),
        "name": nodes["name"].reindex(ids).to_numpy(),
        "disruption_prob": c.disruption_prob[point_idx],
        "capabilities_affected": g.size().reindex(ids).fillna(0).astype(np.int64).to_numpy(),
        "birnbaum_sum": g["birnbaum"].sum().reindex(ids).fillna(0.0).to_numpy(),
        "birnbaum_max": g["birnbaum"].max().reindex(ids).fillna(0.0).to_numpy(),
        "raw_max": g["raw"].max().reindex(ids).to_numpy(dtype=np.float64),
        "_order": np.arange(len(ids)),
    }, index=pd.Index(ids, name="failure_point", dtype=object))
    rank = rank.sort_values(["birnbaum_sum", "raw_max", "_order"],
                            ascending=[False, False, True], kind="stable", na_position="last")
    rank.insert(0, "rank", np.arange(1, len(rank) + 1, dtype=np.int64))
    rank = rank[list(RANKING_COLUMNS)]
    return MonteCarloResult(capabilities=cap_df, nations=nat, importance=imp, ranking=rank,
                            parameters=parameters)
