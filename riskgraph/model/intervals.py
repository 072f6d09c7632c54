"""Sets of days as sorted lists of half-open intervals ``[a, b)`` (docs/design.md §3.3).

An interval set is a list of ``(start, end)`` float pairs, sorted, non-empty, pairwise
disjoint and non-adjacent (``[0, 10)`` and ``[10, 20)`` are stored as ``[0, 20)``), so two
sets are equal exactly when they cover the same days. The what-if engine combines the
down-sets of a node's inputs with :func:`covered` and applies stock buffers with
:func:`delay`; :func:`covered_flat` is :func:`covered` for many groups of sets at once, on
flat NumPy arrays (the vectorised what-if pass).

Examples
--------
>>> covered([[(0.0, 10.0)], [(5.0, 20.0)]], 1)   # union
[(0.0, 20.0)]
>>> covered([[(0.0, 10.0)], [(5.0, 20.0)]], 2)   # intersection
[(5.0, 10.0)]
>>> delay([(0.0, 20.0), (30.0, 32.0)], 5.0)      # 5 days of stock
[(5.0, 20.0)]
>>> seg, a, b = covered_flat(np.array([0, 0, 1, 1]), np.array([0.0, 5.0, 0.0, 5.0]),
...                          np.array([10.0, 20.0, 10.0, 20.0]), np.array([1, 2]))
>>> seg.tolist(), a.tolist(), b.tolist()   # set 0: union, set 1: intersection
([0, 1], [0.0, 5.0], [20.0, 10.0])
"""

from __future__ import annotations

import numpy as np

__all__ = ["covered", "covered_flat", "delay", "clip", "total", "first"]

Intervals = list[tuple[float, float]]


def covered(sets: list[Intervals], need: int, *, horizon: float = float("inf")) -> Intervals:
    """The days covered by at least ``need`` of ``sets``.

    ``need = 1`` is the union, ``need = len(sets)`` the intersection; for a k-of-n group
    the days on which fewer than k members are up are those covered by at least
    ``n - k + 1`` members' down sets. ``need <= 0`` covers every day, i.e. ``[0, horizon)``.
    """
    if need <= 0:
        return [(0.0, float(horizon))] if horizon > 0 else []
    live = [s for s in sets if s]
    if len(live) < need:
        return []
    if len(live) == 1:
        return live[0]  # interval sets are never changed in place: sharing is safe
    events = []
    for s in live:
        for a, b in s:
            events.append((a, 1))
            events.append((b, -1))
    events.sort()  # at one position ends (-1) come before starts (+1): half-open intervals
    out: Intervals = []
    count = 0
    start = 0.0
    for x, step in events:
        count += step
        if step == 1 and count == need:
            start = x
        elif step == -1 and count == need - 1 and x > start:
            if out and out[-1][1] >= start:
                out[-1] = (out[-1][0], x)
            else:
                out.append((start, x))
    return out


def covered_flat(seg: np.ndarray, a: np.ndarray, b: np.ndarray, need: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`covered` of many groups of interval sets at once.

    Interval ``[a[i], b[i])`` belongs to one of the sets of group ``seg[i]`` (each set sorted
    and merged, as everywhere in this module; which set it belongs to does not matter).
    Returns ``(seg, a, b)`` of the days each group ``s`` covers at least ``need[s] >= 1``
    times, sorted by group then day and merged exactly as :func:`covered` merges them, so
    the endpoints are the same floats.
    """
    m = len(a)
    pos = np.concatenate([a, b])
    step = np.concatenate([np.ones(m, np.int8), np.full(m, -1, np.int8)])
    group = np.concatenate([seg, seg])
    # as in covered: by position, ends (-1) before starts (+1) at one position
    order = np.lexsort((step, pos, group))
    pos, step, group = pos[order], step[order], group[order]
    # every group has as many ends as starts, so the running count restarts at 0 per group
    count = np.cumsum(step, dtype=np.int64)
    need_at = need[group]
    # the crossings of need - 1 <-> need alternate: start, end, start, end ... per group
    up = (step == 1) & (count == need_at)
    down = (step == -1) & (count == need_at - 1)
    out_seg, start, end = group[up], pos[up], pos[down]
    if not len(start):
        return out_seg, start, end
    # an interval ending where the next one of its group starts is merged into it
    touch = (start[1:] == end[:-1]) & (out_seg[1:] == out_seg[:-1])
    keep_start = np.r_[True, ~touch]
    keep_end = np.r_[~touch, True]
    return out_seg[keep_start], start[keep_start], end[keep_end]


def delay(intervals: Intervals, days: float) -> Intervals:
    """Each ``[a, b)`` becomes ``[a + days, b)``, dropped when empty (a stock buffer)."""
    if days <= 0:
        return intervals
    return [(a + days, b) for a, b in intervals if a + days < b]


def clip(intervals: Intervals, horizon: float) -> Intervals:
    """The part of ``intervals`` inside ``[0, horizon)``."""
    return [(max(a, 0.0), min(b, horizon)) for a, b in intervals
            if b > 0 and a < horizon and max(a, 0.0) < min(b, horizon)]


def total(intervals: Intervals) -> float:
    """The number of days covered."""
    return float(sum(b - a for a, b in intervals))


def first(intervals: Intervals) -> float:
    """The first day covered, NaN when empty."""
    return float(intervals[0][0]) if intervals else float("nan")
