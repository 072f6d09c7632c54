"""Single failures on their cones: the supply of every capability when each of many
points fails alone (docs/design.md §3.2), the risk register's loss.

A failure point only changes its downstream cone, so each point's column is evaluated
only there: a node is recomputed for a point only when one of its inputs changed for that
point, every other input is read from the baseline, and points run in batches sized from
a bound on their cells. The result is bit-identical to a full
:func:`~riskgraph.model.propagation.supply` column per point (tests check it), for about
the sum of the cones' sizes in work.
"""

from __future__ import annotations

import weakref

import numpy as np

from riskgraph.model.network import CAPABILITY, CompiledNetwork
from riskgraph.model.propagation import DEFAULT_MAX_CELLS, supply
from riskgraph.model.topology import ranges

__all__ = ["single_failure_supply"]


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
    """Changed cells of one batch of single failures, or None past ``limit`` cells.

    Length: the hot loop of the register at a million nodes; its per-level steps share
    the batch's sorted keys, values and frontier, measured faster kept together.
    """
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
