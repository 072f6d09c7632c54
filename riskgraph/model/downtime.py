"""The time pass of a what-if: the down sets of the nodes a scenario reaches.

The rules are docs/design.md §3.3.

Failed points are down over ``[0, days)``; down sets combine like availability, level by
level over the compiled graph from the failed points (only nodes a down node feeds are
visited): a requirement group is down on the days at least ``n - k + 1`` of its members
are down (:func:`~riskgraph.model.intervals.covered_flat` does every group of a level at
once), a node on the union of its own window and its groups', and stock delays each
interval as seen downstream. :func:`first_down_alone` is the scalar special case used for
the exposed table: one point down over the whole horizon, for many points at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from riskgraph.model.intervals import covered_flat
from riskgraph.model.network import COMPONENT
from riskgraph.model.scenario import Scenario
from riskgraph.model.topology import ranges

__all__ = ["outage_days", "stock_delays", "down_set_arrays", "first_down_alone"]


def outage_days(c, s: Scenario) -> dict[int, float]:
    """Failed index -> days down: ``fail`` points for their days (default recovery_days),
    capacity-0 points for the whole horizon."""
    out: dict[int, float] = {}
    for typed, factor in s.capacity.items():
        if factor == 0.0:
            out[c.index[typed]] = s.horizon_days
    for typed in s.fail:
        v = c.index[typed]
        out[v] = float(s.days.get(typed, c.recovery_days[v]))
    return out


class _Down(NamedTuple):
    """Down sets (as seen downstream, clipped to the horizon) of every node, as flat arrays.

    Node ``v`` is down on ``[a[i], b[i])`` for ``i`` in ``start[v]:start[v] + count[v]``
    (sorted and merged, as in :mod:`riskgraph.model.intervals`); ``count[v] = 0``: never.
    """

    count: np.ndarray
    start: np.ndarray
    a: np.ndarray
    b: np.ndarray

    def of(self, v: int) -> list[tuple[float, float]]:
        lo = int(self.start[v])
        hi = lo + int(self.count[v])
        return list(zip(self.a[lo:hi].tolist(), self.b[lo:hi].tolist()))

    def first(self, nodes: np.ndarray) -> np.ndarray:
        """:func:`~riskgraph.model.intervals.first` of each node's set (NaN: never down)."""
        out = np.full(len(nodes), np.nan)
        down = self.count[nodes] > 0
        out[down] = self.a[self.start[nodes[down]]]
        return out

    def total(self, nodes: np.ndarray) -> np.ndarray:
        """:func:`~riskgraph.model.intervals.total` of each node's set, summed interval by
        interval in the same order (so the same float)."""
        count, start = self.count[nodes], self.start[nodes]
        out = np.zeros(len(nodes))
        for i in range(int(count.max()) if len(nodes) else 0):
            more = count > i
            j = start[more] + i
            out[more] += self.b[j] - self.a[j]
        return out


def stock_delays(c) -> np.ndarray:
    """Days of stock per node (only components hold stock)."""
    return np.where(c.kind == COMPONENT, c.stock_days, 0.0)


def _levels_from(c, seeds: np.ndarray):
    """Yield ``(nodes, mark)`` level by level, from the lowest level of ``seeds``: the nodes
    of the level marked so far (sorted), and ``mark``, a boolean array over all nodes that
    the caller sets for the successors it wants visited. A level-synchronous walk: no sort,
    one scan of each level's slice of ``mark``."""
    mark = np.zeros(c.n, dtype=bool)
    mark[seeds] = True
    level_ptr = c.level_ptr
    first = int(c.level[seeds].min()) if len(seeds) else len(level_ptr) - 1
    for lvl in range(first, len(level_ptr) - 1):
        lo, hi = int(level_ptr[lvl]), int(level_ptr[lvl + 1])
        nodes = lo + np.flatnonzero(mark[lo:hi])
        if len(nodes):
            yield nodes, mark


def _mark_successors(c, mark: np.ndarray, nodes: np.ndarray) -> None:
    succ_ptr = c.topology.succ_ptr
    mark[c.topology.succ[ranges(succ_ptr[nodes], succ_ptr[nodes + 1] - succ_ptr[nodes])]] = True


def down_set_arrays(c, stock: np.ndarray, outage: dict[int, float], horizon: float) -> _Down:
    """The down sets (docs/design.md §3.3) of a scenario's failed points and everything
    they reach.

    Level by level from the failed points, visiting only the successors of nodes found
    down (as the node-by-node heap pass did): the intervals of each
    group's down members are combined by :func:`~riskgraph.model.intervals.covered_flat`
    (at least ``n - k + 1`` members down), then each node's own window and its groups'
    sets are joined (covered once) and delayed by its stock. A set that is the only one
    combined (one down member of a group needing one, one part of a node) passes through
    as it is, as in :func:`~riskgraph.model.intervals.covered`. No Python loop over nodes.

    Length: one loop over the levels whose steps share the growing interval store and
    the per-node offsets; split into functions they would pass all of them around.
    """
    n, horizon = c.n, float(horizon)
    count = np.zeros(n, np.int64)
    start = np.zeros(n, np.int64)
    store_a, store_b, used = np.empty(1024), np.empty(1024), 0
    points = np.array(sorted(outage), dtype=np.int64)
    if not len(points):
        return _Down(count, start, store_a[:0], store_b[:0])
    # own windows: clip([(0, d)], horizon)
    own_end = np.full(n, np.nan)
    days = np.array([outage[v] for v in points.tolist()], dtype=float)
    own_end[points] = np.where((days > 0) & (horizon > 0), np.minimum(days, horizon), np.nan)
    gp, mp, member, group_k = c.group_ptr, c.member_ptr, c.member, c.group_k
    for vs, mark in _levels_from(c, points):
        ng = gp[vs + 1] - gp[vs]
        gidx = ranges(gp[vs], ng)
        msz = mp[gidx + 1] - mp[gidx]
        mem = member[ranges(mp[gidx], msz)]
        mgrp = np.repeat(np.arange(len(gidx)), msz)
        mc = count[mem]
        live = mc > 0
        mem, mgrp, mc = mem[live], mgrp[live], mc[live]
        iv = ranges(start[mem], mc)
        seg = np.repeat(mgrp, mc)
        need = msz - group_k[gidx] + 1
        n_live = np.bincount(mgrp, minlength=len(gidx))
        sweep = ((n_live >= np.maximum(need, 2)) & (need >= 1))[seg]
        alone = ((n_live == 1) & (need == 1))[seg]
        gseg, ga, gb = covered_flat(seg[sweep], store_a[iv[sweep]], store_b[iv[sweep]], need)
        # need <= 0 (k above the group size): down over the whole horizon once any member is
        whole = np.flatnonzero((need <= 0) & (n_live > 0)) if horizon > 0 else []
        gseg = np.r_[gseg, seg[alone], whole]
        ga = np.r_[ga, store_a[iv[alone]], np.zeros(len(whole))]
        gb = np.r_[gb, store_b[iv[alone]], np.full(len(whole), horizon)]
        # a node: its own window joined with its groups' sets, then its stock
        own = np.flatnonzero(~np.isnan(own_end[vs]))
        node = np.r_[np.repeat(np.arange(len(vs)), ng)[gseg], own]
        na, nb = np.r_[ga, np.zeros(len(own))], np.r_[gb, own_end[vs[own]]]
        down_groups = np.zeros(len(gidx) + len(vs), dtype=bool)
        down_groups[gseg] = True
        down_groups[len(gidx) + own] = True
        parts = np.bincount(np.r_[np.repeat(np.arange(len(vs)), ng), np.arange(len(vs))],
                            weights=down_groups, minlength=len(vs))
        many = parts[node] > 1
        node1, na1, nb1 = covered_flat(node[many], na[many], nb[many],
                                       np.ones(len(vs), np.int64))
        node = np.r_[node1, node[~many]]
        if not len(node):
            continue
        order = np.argsort(node, kind="stable")
        node, na, nb = node[order], np.r_[na1, na[~many]][order], np.r_[nb1, nb[~many]][order]
        s = stock[vs[node]]
        na = np.where(s > 0, na + s, na)
        keep = na < nb
        node, na, nb = node[keep], na[keep], nb[keep]
        if not len(node):
            continue
        if used + len(node) > len(store_a):
            size = max(2 * len(store_a), used + len(node))
            store_a = np.r_[store_a[:used], np.empty(size - used)]
            store_b = np.r_[store_b[:used], np.empty(size - used)]
        per = np.bincount(node, minlength=len(vs))
        _mark_successors(c, mark, vs[per > 0])
        count[vs] = per
        start[vs] = used + np.cumsum(per) - per
        store_a[used:used + len(node)] = na
        store_b[used:used + len(node)] = nb
        used += len(node)
    return _Down(count, start, store_a[:used], store_b[:used])


def _segments(ufunc, rows: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
              empty) -> np.ndarray:
    """``ufunc`` over the segments ``rows[starts[i]:starts[i] + sizes[i]]`` (``empty`` for
    none); segments of one row are copied, not reduced."""
    if (sizes == 1).all():
        return rows[starts]
    out = np.full((len(sizes),) + rows.shape[1:], empty, dtype=rows.dtype)
    one = np.flatnonzero(sizes == 1)
    out[one] = rows[starts[one]]
    many = np.flatnonzero(sizes > 1)
    if len(many):
        sub = rows[ranges(starts[many], sizes[many])]
        out[many] = ufunc.reduceat(sub, np.cumsum(sizes[many]) - sizes[many], axis=0)
    return out


def first_down_alone(c, stock: np.ndarray, points: np.ndarray, horizon: float,
                      targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First down day of each of ``targets`` (rows) if ``points[j]`` alone (column ``j``)
    were down over the whole horizon (NaN when never), and whether it is downstream of
    ``points[j]`` at all.

    With one point down on ``[0, horizon)`` every down set is empty or ``[t, horizon)``, so
    §3.3 reduces to a scalar per node: a group needing ``need = n - k + 1`` members down
    falls at the need-th smallest member time, a node at the earliest of its own time and
    its groups', plus its stock (never, once at or past the horizon). One sweep of the
    levels of the points' cones does all points at once; "downstream of point j" travels
    along as bit j of a bitset.
    """
    horizon = float(horizon)
    n_pts = len(points)
    t = np.full((c.n, n_pts), np.inf)  # nodes outside the points' cones stay at inf / 0
    if horizon > 0:
        t[points, np.arange(n_pts)] = 0.0
    reach = np.zeros((c.n, -(-n_pts // 64)), dtype=np.uint64)
    np.bitwise_or.at(reach, (points, np.arange(n_pts) // 64),
                     np.left_shift(np.uint64(1), (np.arange(n_pts) % 64).astype(np.uint64)))
    words = reach[:, 0] if reach.shape[1] == 1 else reach  # one word: a flat array, faster
    # times are computed only for the points and the successors of nodes down for some
    # point ("hot"); the rest of the cone only carries the reach bits
    hot = np.zeros(c.n, dtype=bool)
    hot[points] = True
    gp, mp, member, group_k = c.group_ptr, c.member_ptr, c.member, c.group_k
    for vs, mark in _levels_from(c, points):
        _mark_successors(c, mark, vs)
        # a node's members, all groups together, are consecutive entries
        per_node = mp[gp[vs + 1]] - mp[gp[vs]]
        if per_node.any():
            members = member[ranges(mp[gp[vs]], per_node)]
            words[vs] |= _segments(np.bitwise_or, words[members], np.cumsum(per_node) - per_node,
                                   per_node, 0)
        vs = vs[hot[vs]]
        ng = gp[vs + 1] - gp[vs]
        if ng.any():
            gidx = ranges(gp[vs], ng)
            msz = mp[gidx + 1] - mp[gidx]
            vals = t[member[ranges(mp[gidx], msz)]]
            mstart = np.cumsum(msz) - msz
            need = msz - group_k[gidx] + 1
            g = np.full((len(gidx), n_pts), np.inf)
            low = np.flatnonzero(need <= 1)  # need 1: the earliest member; need <= 0: day 0
            lowest = _segments(np.minimum, vals, mstart[low], msz[low], np.inf)
            g[low] = np.where((need[low] == 1)[:, None], lowest,
                              np.where(lowest < np.inf, 0.0, np.inf))
            top = np.flatnonzero((need == msz) & (need > 1))  # every member: the latest
            g[top] = _segments(np.maximum, vals, mstart[top], msz[top], np.inf)
            mid = np.flatnonzero((need > 1) & (need < msz))
            if len(mid):
                sub = ranges(mstart[mid], msz[mid])
                seg = np.repeat(np.arange(len(mid)), msz[mid])
                pick = np.cumsum(msz[mid]) - msz[mid] + need[mid] - 1
                for j in range(n_pts):
                    col = vals[sub, j]
                    g[mid, j] = col[np.lexsort((col, seg))][pick]
            t[vs] = np.minimum(t[vs], _segments(np.minimum, g, np.cumsum(ng) - ng, ng, np.inf))
        s = stock[vs][:, None]
        late = np.where(s > 0, t[vs] + s, t[vs])
        t[vs] = late = np.where(late < horizon, late, np.inf)
        _mark_successors(c, hot, vs[(late < np.inf).any(axis=1)])
    out = t[targets]
    out[np.isinf(out)] = np.nan
    bits = reach[targets]
    j = np.arange(n_pts)
    downstream = (bits[:, j // 64] >> (j % 64).astype(np.uint64)) & np.uint64(1) == 1
    return out, downstream
