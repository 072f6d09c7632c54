"""The propagation kernel: push many scenarios at once through the compiled network.

Every analysis that propagates availability or supply runs through this module (and its
bit-packed half, :mod:`riskgraph.model.bitpacked`), level by level over the flat group
arrays of :class:`~riskgraph.model.network.CompiledNetwork` — no Python loop over nodes
or scenarios:

* :func:`supply` — supply fractions (docs/design.md §3.2), scenarios as float columns of an
  ``(n, B)`` array. A node's supply is its capacity factor times the minimum over its
  requirement groups, a group giving ``min(1, sum(weight * a(member)))``, or 0 when fewer
  than ``k`` of its members have supply above 0. With factors of 0 and 1 a node has supply
  above 0 exactly when it is available under the boolean rules of §3.1.
* :func:`available` — boolean availability (§3.1) of many failure masks, through the
  bit-packed kernel :func:`~riskgraph.model.bitpacked.available_packed` (whose names this
  module re-exports).
* :func:`relative_supply` — the one rule for supply relative to the baseline (§3.2);
  :func:`failure_supply` runs chunks of failure sets through :func:`supply`;
  :func:`single_failure_supply` runs single failures of many points (the risk register's
  loss) on their downstream cones only.

Example: the worked fixture under three scenarios — nothing failed, ``S_A`` failed, both
``S_B`` suppliers failed.

>>> from riskgraph import load_network
>>> c = load_network("tests/fixtures/worked").compiled
>>> failed = np.zeros((c.n, 3), dtype=bool)
>>> failed[c.index["supplier:S_A"], 1] = True
>>> failed[[c.index["supplier:S_B1"], c.index["supplier:S_B2"]], 2] = True
>>> up = available(c, failed)
>>> up[c.index["capability:USA/P1"]].tolist(), up[c.index["capability:USA/P2"]].tolist()
([True, False, False], [True, True, False])
>>> words = available_packed(c, pack_trials(failed))
>>> words.shape, bool((unpack_trials(words, 3) == up).all())
((12, 1), True)
"""

from __future__ import annotations

import weakref

import numpy as np

from riskgraph.model.network import CAPABILITY, CompiledNetwork
from riskgraph.model.bitpacked import (COLUMN_WORDS, WORD_BITS, PropagationPlan,
                                       available_packed, full_plan, make_plan, pack_trials,
                                       popcount, release_scratch, run_plan, split_by_step,
                                       trial_mask, unpack_trials)
from riskgraph.model.topology import ranges

__all__ = [
    "supply",
    "available",
    "available_packed",
    "baseline_supply",
    "pack_trials",
    "unpack_trials",
    "trial_mask",
    "popcount",
    "PropagationPlan",
    "make_plan",
    "run_plan",
    "release_scratch",
    "split_by_step",
    "full_plan",
    "WORD_BITS",
    "COLUMN_WORDS",
    "relative_supply",
    "failure_supply",
    "single_failure_supply",
    "SNAP",
    "DEFAULT_MAX_CELLS",
]

def supply(compiled: CompiledNetwork, capacity: np.ndarray | None = None) -> np.ndarray:
    """Supply fraction a(x) of every node under each scenario (docs/design.md §3.2).

    Parameters
    ----------
    compiled
        The compiled network.
    capacity
        ``(n,)`` or ``(n, B)`` capacity factors m(x) in [0, 1], one column per scenario;
        ``None`` for the baseline. Factors of capabilities are ignored (always 1).

    Returns
    -------
    numpy.ndarray
        ``(n, B)`` (or ``(n,)`` for 1-d input) supply fractions, relative to full demand.
    """
    c = compiled
    if capacity is None:
        capacity = np.ones(c.n)
    capacity = np.asarray(capacity, dtype=np.float64)
    flat = capacity.ndim == 1
    m = capacity.reshape(c.n, -1).copy()
    m[c.capabilities] = 1.0  # a capability has no capacity of its own: a = a(platform)
    a = m.copy()
    weight = c.weight[:, None]
    for lvl in range(1, len(c.level_ptr) - 1):
        lo, hi = int(c.level_ptr[lvl]), int(c.level_ptr[lvl + 1])
        g0, g1 = int(c.group_ptr[lo]), int(c.group_ptr[hi])
        if g1 == g0:
            continue
        m0, m1 = int(c.member_ptr[g0]), int(c.member_ptr[g1])
        starts = c.member_ptr[g0:g1] - m0
        vals = a[c.member[m0:m1]]
        gsum = np.add.reduceat(vals * weight[m0:m1], starts, axis=0)
        np.minimum(gsum, 1.0, out=gsum)
        k = c.group_k[g0:g1]
        multi = k > 1
        if multi.any():
            count = np.add.reduceat((vals > 0).astype(np.int32), starts, axis=0)
            gsum[(count < k[:, None]) & multi[:, None]] = 0.0
        ng = np.diff(c.group_ptr[lo:hi + 1])
        has = ng > 0
        node_val = np.ones((hi - lo, a.shape[1]))
        node_val[has] = np.minimum.reduceat(gsum, c.group_ptr[lo:hi][has] - g0, axis=0)
        a[lo:hi] = m[lo:hi] * node_val
    return a[:, 0] if flat else a


def available(compiled: CompiledNetwork, failed: np.ndarray) -> np.ndarray:
    """Boolean availability (docs/design.md §3.1) under failure masks.

    Runs the bit-packed kernel (:func:`available_packed`); results are identical to
    ``supply(compiled, ~failed) > 0``.

    Parameters
    ----------
    failed
        ``(n,)`` or ``(n, B)`` booleans, True where a failure point fails. Flags on
        capabilities are ignored (a capability is up iff its platform is).

    Returns
    -------
    numpy.ndarray
        Booleans of the same shape: True where the node is up.
    """
    failed = np.asarray(failed, dtype=bool)
    flat = failed.ndim == 1
    f2 = failed.reshape(compiled.n, -1)
    up = unpack_trials(available_packed(compiled, pack_trials(f2)), f2.shape[1])
    return up[:, 0] if flat else up


def baseline_supply(compiled: CompiledNetwork) -> np.ndarray:
    """Supply of every node with nothing failed (below 1 where shares sum below 1)."""
    return supply(compiled)


# ------------------------------------------------------------ the supply ratio, one rule

#: Ratios within this distance of 0 or 1 are snapped to it (docs/design.md §3.2).
SNAP = 1e-12
#: Default bound on node-scenario cells held at once by the batched failure passes.
DEFAULT_MAX_CELLS = 2 ** 23


def relative_supply(a, base) -> tuple[np.ndarray, np.ndarray]:
    """``(supply_fraction, loss_fraction)`` of supplies ``a`` against ``base`` (§3.2).

    The one rounding rule of every analysis that reports supply relative to the baseline:
    ``a / base`` where ``base > 0``, else 0; clipped to [0, 1]; values within
    :data:`SNAP` (1e-12) of 0 or 1 snapped to it, so floating-point noise never shows as
    a 0.0000000001 loss. ``loss_fraction = 1 - supply_fraction``. Arrays broadcast.

    >>> frac, loss = relative_supply(np.array([0.5, 0.3, 1e-15, 0.3]),
    ...                              np.array([1.0, 0.3 - 1e-17, 1.0, 0.0]))
    >>> frac.tolist(), loss.tolist()
    ([0.5, 1.0, 0.0, 0.0], [0.5, 0.0, 1.0, 1.0])
    """
    a = np.asarray(a, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    frac = np.zeros(np.broadcast(a, base).shape)
    np.divide(a, base, out=frac, where=np.broadcast_to(base > 0, frac.shape))
    np.clip(frac, 0.0, 1.0, out=frac)
    frac[frac > 1.0 - SNAP] = 1.0
    frac[frac < SNAP] = 0.0
    return frac, 1.0 - frac


def failure_supply(compiled: CompiledNetwork, fail_sets, *, max_cells: int = DEFAULT_MAX_CELLS,
                   rows: np.ndarray | None = None):
    """Supply with each set of nodes failed, one :func:`supply` call per chunk of scenarios.

    Parameters
    ----------
    fail_sets
        A sequence of node-index arrays; scenario ``j`` puts ``fail_sets[j]`` at capacity
        0 and every other node at 1.
    max_cells
        Upper bound on nodes × scenarios per kernel call.
    rows
        Node indices to return (default: every node).

    Yields
    ------
    tuple
        ``(lo, hi, a)``: column ``j`` of ``a`` is scenario ``lo + j``, rows ``rows``.
    """
    from riskgraph.errors import UsageError

    if max_cells < 1:
        raise UsageError(f"max_cells must be a positive number of cells, got {max_cells!r}")
    n = compiled.n
    batch = max(1, int(max_cells) // max(n, 1))
    for lo in range(0, len(fail_sets), batch):
        hi = min(lo + batch, len(fail_sets))
        capacity = np.ones((n, hi - lo))
        for j, idx in enumerate(fail_sets[lo:hi]):
            capacity[idx, j] = 0.0
        a = supply(compiled, capacity)
        yield lo, hi, (a if rows is None else a[rows])


def single_failure_supply(compiled: CompiledNetwork, points, *, base: np.ndarray | None = None,
                          rows: np.ndarray | None = None,
                          max_cells: int = DEFAULT_MAX_CELLS):
    """Supply that changes when each point fails alone, computed on its downstream cone.

    A failure only changes nodes downstream of it, and only those whose inputs changed:
    the pass walks the levels once per batch of points, evaluating a node for a point
    only when one of its members changed for that point and reading every other member
    from the baseline. Work and memory follow the changed cells, not points × nodes.
    Values are bit-identical to a column of :func:`supply` with the point at capacity 0
    (the same products, group sums — ``reduceat`` per segment — minima and clips).

    Parameters
    ----------
    points
        Node indices to fail, one at a time.
    base
        The baseline supply (default: computed).
    rows
        Node indices whose changed cells are wanted (default: every node).
    max_cells
        Bound on changed and candidate cells held at once; batches of points shrink (a
        point with a huge cone runs alone) to keep under it.

    Yields
    ------
    tuple
        ``(point, node, a)`` arrays, one entry per changed cell: ``point`` a position in
        ``points``, ``a`` the node's supply when that point fails (differs from ``base``).
        Each point's cells come in one batch, sorted by node.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> c = load_network("tests/fixtures/worked").compiled
    >>> for p, v, a in single_failure_supply(c, [c.index["supplier:S_B1"]],
    ...                                      rows=c.capabilities):
    ...     print([c.ids[i] for i in v], a.round(6).tolist())
    ['capability:USA/P2', 'capability:USA/P1'] [0.6, 0.6]
    """
    c = compiled
    points = np.asarray(points, dtype=np.int64).ravel()
    if base is None:
        base = supply(c)
    keep = None
    if rows is not None:
        keep = np.zeros(c.n, dtype=bool)
        keep[np.asarray(rows, dtype=np.int64)] = True
    max_cells = max(1, int(max_cells))
    # size batches from an upper bound on each point's cells (its cone's nodes and edges,
    # shared nodes counted once per path) scaled by the ratio of cells to bound seen in
    # the last batch, so that a huge cone (a nation) runs alone instead of overflowing a
    # batch and running again. The ratio differs between kinds and levels: a batch stays
    # within one (level, kind) run of points, and a run's first batch trusts the bound
    bound = _cell_bounds(c)[points]
    group = c.level[points].astype(np.int64) * 4 + c.kind[points]
    group_end = np.r_[np.flatnonzero(group[1:] != group[:-1]) + 1, len(points)]
    ratio, pos = 1.0, 0
    while pos < len(points):
        stop = min(int(group_end[np.searchsorted(group_end, pos, side="right")]),
                   pos + (1 << 16))
        room = 0.5 * max_cells / ratio
        end = pos + max(1, int(np.searchsorted(np.cumsum(bound[pos:stop]), room,
                                               side="right")))
        batch = np.arange(pos, min(end, stop))
        out = _cone_batch(c, base, points[batch], keep, max_cells if len(batch) > 1 else None)
        if out is None:  # too many cells: halve the batch and try again
            ratio = max(ratio, max_cells / bound[batch].sum())
            continue
        cells, (b, v, a) = out
        yield batch[b], v, a
        pos += len(batch)
        ratio = min(1.0, max(cells / bound[batch].sum(), ratio / 4, 1e-6))
        if pos < len(points) and group[pos] != group[pos - 1]:
            ratio = 1.0


def _cone_batch(c: CompiledNetwork, base: np.ndarray, pts: np.ndarray, keep, limit):
    """Changed cells of one batch of single failures, or None past ``limit`` cells."""
    n = c.n
    t = c.topology
    b = np.arange(len(pts), dtype=np.int64)
    seed = (base[pts] != 0) & (c.kind[pts] != CAPABILITY)  # else failing changes nothing
    keys = (b * n + pts)[seed]
    vals = np.zeros(len(keys))
    n_levels = len(c.level_ptr) - 1
    pending: list[list[np.ndarray]] = [[] for _ in range(n_levels)]
    zeroed: list[list[np.ndarray]] = [[] for _ in range(n_levels)]  # known 0, no gather
    copied: list[list[tuple]] = [[] for _ in range(n_levels)]  # relayed (keys, values)
    # the changed cells that made each level's candidates, with their values: every
    # changed member of a candidate is among them, so lookups search this level's
    # sources only instead of every changed cell of the batch
    sources: list[list[tuple]] = [[] for _ in range(n_levels)]
    kill = _sole_member_edges(c)
    relay = _relay_edges(c)
    got_b, got_v, got_a = [], [], []
    total = 0

    def expand(new_keys, new_vals):
        u = new_keys % n
        deg = t.succ_ptr[u + 1] - t.succ_ptr[u]
        edge = ranges(t.succ_ptr[u], deg)
        w = t.succ[edge]
        cand = np.repeat(new_keys - u, deg) + w
        if not len(cand):
            return 0
        # a node with a group whose only member dropped to 0 is 0 itself (0 * weight,
        # min with the other groups, all >= 0): the supply() arithmetic gives exactly 0.0
        zero = np.repeat(new_vals == 0, deg) & kill[edge]
        # a relay (one group, one member, weight 1, e.g. a capability of its platform)
        # takes its member's value exactly and changes with it: no evaluation needed
        copy = relay[edge]
        val = np.repeat(new_vals, deg)
        src = np.repeat(new_keys, deg)
        lw = c.level[w]
        order = np.argsort(lw, kind="stable")
        cand, lw, zero, copy, val, src = cand[order], lw[order], zero[order], copy[order], \
            val[order], src[order]
        cuts = np.flatnonzero(np.diff(lw)) + 1
        for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(lw)].tolist()):
            lvl = int(lw[lo])
            ck, cz, cc, cv, cs = cand[lo:hi], zero[lo:hi], copy[lo:hi], val[lo:hi], \
                src[lo:hi]
            if cc.any():
                copied[lvl].append((ck[cc], cv[cc]))
                if cc.all():
                    continue
                ck, cz, cv, cs = ck[~cc], cz[~cc], cv[~cc], cs[~cc]
            pending[lvl].append(ck)
            sources[lvl].append((cs, cv))
            if cz.any():
                zeroed[lvl].append(ck[cz])
        return len(cand)

    def record(new_keys, new_vals):
        v = new_keys % n
        sel = slice(None) if keep is None else keep[v]
        got_b.append((new_keys // n)[sel])
        got_v.append(v[sel])
        got_a.append(new_vals[sel])

    touched = np.zeros(n, dtype=bool)  # nodes changed for at least one point
    touched[keys % n] = True
    record(keys, vals)
    total = len(keys) + expand(keys, vals)
    for lvl in range(n_levels):
        if not pending[lvl] and not copied[lvl]:
            continue
        new_keys, new_vals = np.zeros(0, dtype=np.int64), np.zeros(0)
        if pending[lvl]:
            cand = _sorted_unique(np.concatenate(pending[lvl]))
            pending[lvl] = []
            a = np.zeros(len(cand))
            todo = np.ones(len(cand), dtype=bool)
            if zeroed[lvl]:
                todo[np.searchsorted(cand, _sorted_unique(np.concatenate(zeroed[lvl])))] = \
                    False
                zeroed[lvl] = []
            sk = np.concatenate([k for k, _ in sources[lvl]])
            sv = np.concatenate([v for _, v in sources[lvl]])
            sources[lvl] = []
            order = np.argsort(sk, kind="stable")
            sk, sv = sk[order], sv[order]
            first = np.r_[True, sk[1:] != sk[:-1]]
            a[todo] = _evaluate(c, base, cand[todo], sk[first], sv[first], touched)
            changed = a != base[cand % n]
            new_keys, new_vals = cand[changed], a[changed]
        if copied[lvl]:  # each relay cell comes from its one member: no duplicates
            ck = np.concatenate([new_keys] + [k for k, _ in copied[lvl]])
            cv = np.concatenate([new_vals] + [v for _, v in copied[lvl]])
            copied[lvl] = []
            order = np.argsort(ck, kind="stable")
            new_keys, new_vals = ck[order], cv[order]
        if not len(new_keys):
            continue
        record(new_keys, new_vals)
        touched[new_keys % n] = True
        total += len(new_keys) + expand(new_keys, new_vals)
        if limit is not None and total > limit:
            return None
    bb, vv, aa = (np.concatenate(x) if x else np.zeros(0, dt)
                  for x, dt in ((got_b, np.int64), (got_v, np.int64), (got_a, np.float64)))
    order = np.lexsort((vv, bb))
    return total, (bb[order], vv[order], aa[order])


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique`` of int keys by sort and adjacent test (faster than its hash path)."""
    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]]


_SOLE_EDGES: "weakref.WeakKeyDictionary[CompiledNetwork, np.ndarray]" = \
    weakref.WeakKeyDictionary()


def _sole_member_edges(c: CompiledNetwork) -> np.ndarray:
    """Per topology successor edge ``u -> w``: is ``u`` the only member of a group of
    ``w``? (Cached per compiled network.)"""
    hit = _SOLE_EDGES.get(c)
    if hit is None:
        t = c.topology
        single = np.flatnonzero(np.diff(c.member_ptr) == 1)
        n = max(c.n, 1)
        sole = _sorted_unique(c.member[c.member_ptr[single]].astype(np.int64) * n
                              + c.group_node[single].astype(np.int64))
        edge = t.edge_src * n + t.succ
        at = np.minimum(np.searchsorted(sole, edge), max(len(sole) - 1, 0))
        hit = _SOLE_EDGES[c] = (sole[at] == edge) if len(sole) else np.zeros(len(edge), bool)
    return hit


_RELAY_EDGES: "weakref.WeakKeyDictionary[CompiledNetwork, np.ndarray]" = \
    weakref.WeakKeyDictionary()


def _relay_edges(c: CompiledNetwork) -> np.ndarray:
    """Per topology successor edge ``u -> w``: is ``w`` a relay of ``u`` (one group whose
    one member is ``u``, weight 1, k <= 1)? Then a(w) = m(w) * min(1, 1 * a(u)) is a(u)
    bit for bit whenever m(w) = 1, as for every node but the failed point. (Cached per
    compiled network.)"""
    hit = _RELAY_EDGES.get(c)
    if hit is None:
        t = c.topology
        n_groups = np.diff(c.group_ptr)
        single = np.flatnonzero(np.diff(c.member_ptr) == 1)
        slot = c.member_ptr[single]
        ok = (n_groups[c.group_node[single]] == 1) & (c.weight[slot] == 1.0) \
            & (c.group_k[single] <= 1)
        relay = np.zeros(c.n, dtype=bool)  # w is a relay of its one member
        relay[c.group_node[single][ok]] = True
        hit = _RELAY_EDGES[c] = relay[t.succ]
    return hit


_CELL_BOUNDS: "weakref.WeakKeyDictionary[CompiledNetwork, np.ndarray]" = \
    weakref.WeakKeyDictionary()


def _cell_bounds(c: CompiledNetwork) -> np.ndarray:
    """Per node, an upper bound on the cells :func:`_cone_batch` holds for it alone: its
    downstream cone's nodes plus their successor edges, counted along every path and
    capped at the whole network's. (Cached per compiled network.)"""
    hit = _CELL_BOUNDS.get(c)
    if hit is None:
        t = c.topology
        hit = 1.0 + np.diff(t.succ_ptr).astype(np.float64)
        cap = float(c.n + len(t.succ))
        for lvl in range(len(c.level_ptr) - 2, -1, -1):
            block = t.out_block(lvl)
            if block is not None:
                hit[block.nodes] += np.add.reduceat(hit[block.dst], block.starts)
                hit[block.nodes] = np.minimum(hit[block.nodes], cap)
        _CELL_BOUNDS[c] = hit
    return hit


def _evaluate(c: CompiledNetwork, base: np.ndarray, cand: np.ndarray, keys: np.ndarray,
              vals: np.ndarray, touched: np.ndarray) -> np.ndarray:
    """Supply of the cells ``cand`` (keys ``point * n + node``), members read from the
    changed cells ``keys``/``vals`` or else the baseline."""
    n = c.n
    if not len(cand):
        return np.zeros(0)
    w = cand % n
    ng = c.group_ptr[w + 1] - c.group_ptr[w]
    gidx = ranges(c.group_ptr[w], ng)
    msz = c.member_ptr[gidx + 1] - c.member_ptr[gidx]
    slots = ranges(c.member_ptr[gidx], msz)
    mem = c.member[slots].astype(np.int64)
    mvals = base[mem]
    # look up only members changed for some point of the batch (most are not)
    ask = np.flatnonzero(touched[mem])
    # a node's groups, and so its members, are contiguous: one repeat per cell
    per_cell = c.member_ptr[c.group_ptr[w + 1]] - c.member_ptr[c.group_ptr[w]]
    query = np.repeat(cand - w, per_cell)[ask] + mem[ask]
    at = np.searchsorted(keys, query)
    at[at == len(keys)] = 0
    hit = keys[at] == query
    mvals[ask[hit]] = vals[at[hit]]
    # the same arithmetic as supply(): per-segment reduceat, then min(1, .), k-of-n
    mstart = np.r_[0, np.cumsum(msz)[:-1]].astype(np.int64)
    gsum = np.add.reduceat(mvals * c.weight[slots], mstart)
    np.minimum(gsum, 1.0, out=gsum)
    k = c.group_k[gidx]
    multi = k > 1
    if multi.any():
        count = np.add.reduceat((mvals > 0).astype(np.int32), mstart)
        gsum[(count < k) & multi] = 0.0
    gstart = np.r_[0, np.cumsum(ng)[:-1]].astype(np.int64)
    return np.minimum.reduceat(gsum, gstart)
