"""Evaluating one block of Monte Carlo trials against the chunk model
(docs/design.md §4.7).

:func:`evaluate` pushes failed-words through the model's plan (the unforced run), then
through every batch of forced blocks, and reduces the down-words to per-row numbers with
a *reduction*: :class:`Counts` (failing trials, for Monte Carlo) or :class:`Weights`
(probability mass, for exact enumeration). The results are sums over trials, so chunks
can be combined in any order.
"""

from __future__ import annotations

import numpy as np

from riskgraph.analyses._mc_model import Batch, ChunkModel, ForcedBlock
from riskgraph.model.propagation import (WORD_BITS, popcount, release_scratch, run_plan,
                                         trial_mask, unpack_trials)

#: Forced-up runs use only the trials where the point failed when these are at most
#: 1/PICK_FRACTION of the chunk (gathering bits costs about as much as evaluating).
PICK_FRACTION = 16


def select_trials(words: np.ndarray, sel: np.ndarray) -> np.ndarray:
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


class Counts:
    """Monte Carlo reduction: failing trials per row."""

    def __init__(self, trials: int):
        self.trials = trials
        self.mask = trial_mask(trials)

    def __call__(self, words: np.ndarray, sel: np.ndarray | None = None) -> np.ndarray:
        mask = self.mask if sel is None else trial_mask(len(sel))
        return popcount(words & mask)


class Weights:
    """Exact-enumeration reduction: probability mass of the states per row."""

    def __init__(self, weight: np.ndarray):
        self.trials = len(weight)
        self.weight = weight

    def __call__(self, words: np.ndarray, sel: np.ndarray | None = None) -> np.ndarray:
        w = self.weight if sel is None else self.weight[sel]
        return unpack_trials(words, len(w)) @ w


def evaluate(model: ChunkModel, failed: np.ndarray, reduce) -> dict:
    """Push one block of trials through the model; ``reduce`` turns down-words into
    per-row numbers (counts for Monte Carlo, probability mass for exact enumeration).

    Returns ``down`` (per capability), ``any_lost`` (per nation), ``down_given_down`` and
    ``down_given_up`` (per importance pair).
    """
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
    fail_trials = _FailTrials(failed, reduce.trials)
    try:
        for batch in model.batches:
            _run_batch(batch, failed, state, down, reduce, fail_trials, dd, du)
    finally:
        release_scratch()  # hundreds of MB at a million nodes: held for one chunk only
    out["down_given_down"] = dd
    out["down_given_up"] = du
    return out


class _FailTrials:
    """The trials in which a point failed, per failed-words row (found once per chunk)."""

    def __init__(self, failed: np.ndarray, trials: int):
        self.failed = failed
        self.trials = trials
        self.cache: dict[int, np.ndarray] = {}

    def __call__(self, x_row: int) -> np.ndarray:
        if x_row not in self.cache:
            bits = unpack_trials(self.failed[x_row:x_row + 1], self.trials)[0]
            self.cache[x_row] = np.flatnonzero(bits)
        return self.cache[x_row]


def _run_batch(b: Batch, failed, state, down, reduce, fail_trials, dd, du) -> None:
    """Evaluate one batch's blocks, one :func:`run_plan` call each, and store their pair
    estimates. Blocks on every trial read the chunk's failed-words and base state through
    row maps (no full-width copies); the output array is reused from block to block."""
    buf = None
    for blk in b.blocks:
        sel = _picked_trials(blk, fail_trials, reduce.trials)
        if sel is not None and not len(sel):  # x never failed: forced up is unforced
            du[blk.slots] = reduce(down[blk.cap_pos])
            continue
        if sel is None:
            width = failed.shape[1]
            if buf is None:
                buf = np.empty((len(b.plan.nodes), width), dtype=np.uint64)
            s = run_plan(b.plan, failed, failed_rows=b.failed_rows, base=state,
                         base_rows=b.base_rows, forced=_forced(blk, width), out=buf)
        else:
            f = _pick(failed, b.failed_rows, sel)
            s = run_plan(b.plan, f, base=_pick(state, b.base_rows, sel),
                         forced=_forced(blk, f.shape[1]))
        if not blk.up:
            dd[blk.slots] = reduce(~s[blk.cap_rows])
        elif sel is None:
            du[blk.slots] = reduce(~s[blk.cap_rows])
        else:
            # the forced run on the trials where x failed, the unforced one elsewhere
            rest = reduce(down[blk.cap_pos] & ~failed[blk.x_row])
            du[blk.slots] = rest + reduce(~s[blk.cap_rows], sel)


def _forced(blk: ForcedBlock, width: int) -> dict:
    """The block's overrides over all ``width`` words."""
    return {step: [(pos, 0, width, blk.up)] for step, pos in blk.forced.items()}


def _pick(words: np.ndarray, rows: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """:func:`select_trials` of ``words[rows]``, gathering only the words that hold a
    selected trial."""
    used, inv = np.unique(sel >> 6, return_inverse=True)
    sub = words[np.ix_(rows, used)]
    return select_trials(sub, inv.astype(np.int64) * WORD_BITS + (sel & 63))


def _picked_trials(blk: ForcedBlock, fail_trials: _FailTrials, trials: int
                   ) -> np.ndarray | None:
    """For a forced-up block, the trials where its point failed if few enough to pick
    out; ``None``: run every trial."""
    if not blk.up:
        return None
    sel = fail_trials(blk.x_row)
    if len(sel) * PICK_FRACTION > trials:
        return None  # picking bits out costs more than it saves
    return sel
