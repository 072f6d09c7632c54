"""Random failures of one chunk of Monte Carlo trials (docs/design.md §4.7).

Chunk ``i`` draws from its own stream ``numpy.random.SeedSequence(seed, spawn_key=(i,))``
so that results depend on the seed and the trial count only. A failure point with a small
probability ``p`` (below :data:`~riskgraph.analyses._mc_model.DENSE_PROB`) draws a binomial
count of failing trials and then that many distinct trial positions; a point with a larger
``p`` draws one uniform number per trial. Both give independent Bernoulli(p) failures.
"""

from __future__ import annotations

import numpy as np

from riskgraph.analyses._mc_evaluate import Counts, evaluate
from riskgraph.analyses._mc_model import ChunkModel
from riskgraph.model.propagation import WORD_BITS, pack_trials


def chunk_counts(model: ChunkModel, seed: int, chunk: int, trials: int) -> dict:
    """Integer counts of one chunk of trials (runs in process or on a Dask worker)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    failed = draw(model, rng, trials)
    return evaluate(model, failed, Counts(trials))


def draw(model: ChunkModel, rng: np.random.Generator, trials: int) -> np.ndarray:
    """Failed-words ``(plan nodes, W)`` of one chunk: independent Bernoulli(p) per point."""
    words = -(-trials // WORD_BITS)
    failed = np.zeros((len(model.plan.nodes), words), dtype=np.uint64)
    ns = model.n_sparse
    if ns:
        _draw_sparse(model, rng, trials, failed)
    if len(model.rand_rows) > ns:
        p = model.rand_p[ns:]
        flags = rng.random((len(p), trials)) < p[:, None]
        failed[model.rand_rows[ns:]] = pack_trials(flags)
    return failed


def _draw_sparse(model: ChunkModel, rng: np.random.Generator, trials: int,
                 failed: np.ndarray) -> None:
    """Set the bits of the sparse points: a binomial count each, at distinct positions."""
    ns = model.n_sparse
    words = failed.shape[1]
    counts = rng.binomial(trials, model.rand_p[:ns])
    total = int(counts.sum())
    if not total:
        return
    key = (np.repeat(np.arange(ns, dtype=np.int64) * trials, counts)
           + rng.integers(0, trials, size=total))
    key = distinct_positions(rng, key, trials)
    which = key // trials
    pos = key - which * trials
    flat = model.rand_rows[which] * words + (pos >> 6)
    bits = np.left_shift(np.uint64(1), (pos & 63).astype(np.uint64))
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    failed.reshape(-1)[flat[starts]] = np.bitwise_or.reduceat(bits, starts)


def distinct_positions(rng: np.random.Generator, key: np.ndarray, trials: int) -> np.ndarray:
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
