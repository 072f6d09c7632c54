"""Row sums of a sparse matrix, bit for bit as NumPy sums the dense rows.

The risk register's ``loss_sum`` is the sum of a failure point's losses over every
capability (docs/design.md §4.8). Losses are kept as a long table of non-zero cells, but
the sum must equal, to the last bit, what ``dense.sum(axis=1)`` gives (the golden exports
were made that way): NumPy adds a row by pairwise summation over blocks of 8, so the
order in which non-zero values meet depends on their columns. :func:`dense_row_sums`
follows that tree using only the non-zero cells, and lets NumPy itself sum rows dense
enough to lay out.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from riskgraph.model.topology import ranges

__all__ = ["dense_row_sums"]


def dense_row_sums(row: np.ndarray, col: np.ndarray, val: np.ndarray, n_rows: int,
                   n_cols: int, *, dense_from: int | None = None) -> np.ndarray:
    """``dense.sum(axis=1)`` of the ``n_rows × n_cols`` matrix with ``val`` at
    (``row``, ``col``) and zeros elsewhere, bit for bit, without building it.

    NumPy sums a row pairwise: halves (cut at a multiple of 8) down to blocks of at most
    128, a block of 8 or more in eight interleaved accumulators combined as a tree and
    its last ``len % 8`` values added in turn, a shorter block in turn. Adding 0.0 changes
    nothing, so the same association over the non-zero entries only gives the same bits
    (the register's loss sums predate the sparse loss table; tests check against
    ``np.sum``). Entries must be non-zero and unique per (row, col).

    A row of one or two entries is their sum (a + b is exact in either order); a row of
    at least ``dense_from`` entries (default ``n_cols // 64``) is laid out dense and
    summed by NumPy itself, cheaper there than following the tree; the rest follow it.
    """
    out = np.zeros(n_rows)
    if not len(val):
        return out
    row, col = np.asarray(row, dtype=np.int64), np.asarray(col, dtype=np.int64)
    val = np.asarray(val, dtype=np.float64)
    flat = row * n_cols + col
    if not (np.diff(flat) > 0).all():  # callers pass (row, col)-sorted cells
        order = np.argsort(flat, kind="stable")
        row, col, val = row[order], col[order], val[order]
    nnz = np.bincount(row, minlength=n_rows)
    ptr = np.r_[0, np.cumsum(nnz)]
    few = np.flatnonzero((nnz == 1) | (nnz == 2))
    out[few] = val[ptr[few]]
    two = few[nnz[few] == 2]
    out[two] += val[ptr[two] + 1]
    dense_from = max(3, n_cols // _DENSE_SHARE if dense_from is None else int(dense_from))
    heavy = np.flatnonzero(nnz >= dense_from)
    if len(heavy):
        _dense_sums(out, heavy, ptr, nnz, col, val, n_cols)
    mid = (nnz >= 3) & (nnz < dense_from)
    if mid.any():
        sel = np.repeat(mid, nnz)
        rows, sums = _tree_sums(row[sel], col[sel], val[sel], n_cols)
        out[rows] = sums
    return out


#: Rows with at least ``n_cols / _DENSE_SHARE`` entries are summed dense.
_DENSE_SHARE = 64
#: Cells of one dense block of rows.
_DENSE_CELLS = 1 << 21


def _dense_sums(out, rows, ptr, nnz, col, val, n_cols) -> None:
    """NumPy's own row sums of ``rows``, laid out dense a block of rows at a time."""
    step = max(1, _DENSE_CELLS // max(n_cols, 1))
    block = np.zeros((min(step, len(rows)), n_cols))
    for lo in range(0, len(rows), step):
        part = rows[lo:lo + step]
        e = ranges(ptr[part], nnz[part])
        r = np.repeat(np.arange(len(part)), nnz[part])
        block[r, col[e]] = val[e]
        out[part] = block[:len(part)].sum(axis=1)
        block[r, col[e]] = 0.0


def _tree_sums(row, col, val, n_cols) -> tuple[np.ndarray, np.ndarray]:
    """Row sums of (row, col)-sorted entries following NumPy's pairwise tree: each leaf
    block's value, then the leaves folded up the halving tree. Returns (rows, sums)."""
    p = _column_plan(n_cols)
    leaf = p.leaf[col]
    key = row * len(p.leaf_len) + leaf
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])  # one item per (row, leaf)
    size = np.diff(np.r_[start, len(key)])
    value = val[start]
    two = size == 2  # a + b: exact in either order
    value[two] += val[start[two] + 1]
    many = np.flatnonzero(size >= 3)
    if len(many):
        value[many] = _leaf_sums(val, col, start[many], size[many], leaf[start[many]], p)
    # fold up the halving tree. Items follow the leaves' pre-order, so the items below one
    # node are adjacent, and below a node at depth d at most one per child is left once
    # depth d + 1 is folded: each fold adds at most two terms (exact in either order)
    rk, lf = row[start], leaf[start]
    for d in range(len(p.ancestor) - 1, -1, -1):
        key = rk * p.n_nodes + p.ancestor[d][lf]
        new = key[1:] != key[:-1]
        if new.all():
            continue
        first = np.flatnonzero(np.r_[True, new])
        value = np.add.reduceat(value, first)
        rk, lf = rk[first], lf[first]
    return rk, value


def _leaf_sums(val, col, start, size, leaf, p) -> np.ndarray:
    """Values of leaf blocks holding ``size`` entries from ``start``: a block of 8 or
    more sums eight interleaved chains, combined as a tree, then adds its tail in turn;
    a shorter block adds in turn. Zeros skipped add nothing, so adding each chain's
    entries in column order is adding them in the chain's order."""
    e = ranges(start, size)
    item = np.repeat(np.arange(len(start)), size)
    c = col[e]
    slot, step, v = p.slot[c], p.step[c], val[e]
    acc = np.zeros((len(start), 9))  # chains 0-7, 8 a short block
    flat_acc = acc.reshape(-1)
    tail = slot == 9
    body = np.flatnonzero(~tail)
    target = item[body] * 9 + slot[body]
    for idx in _by_step(step[body]):  # each (chain, step) holds one entry
        flat_acc[target[idx]] += v[body[idx]]
    tree = ((acc[:, 0] + acc[:, 1]) + (acc[:, 2] + acc[:, 3])) + \
        ((acc[:, 4] + acc[:, 5]) + (acc[:, 6] + acc[:, 7]))
    out = np.where(p.leaf_len[leaf] >= 8, tree, acc[:, 8])
    tl = np.flatnonzero(tail)
    for idx in _by_step(step[tl]):
        out[item[tl[idx]]] += v[tl[idx]]
    return out


def _by_step(step: np.ndarray) -> list[np.ndarray]:
    """Positions of ``step`` (small ints) grouped by value, ascending."""
    order = np.argsort(step, kind="stable")
    cuts = np.cumsum(np.bincount(step))
    return np.split(order, cuts[:-1])


class _ColumnPlan(NamedTuple):
    leaf: np.ndarray       # per column: its leaf block
    slot: np.ndarray       # per column: 0-7 a chain, 8 a short block, 9 a block's tail
    step: np.ndarray       # per column: its place in that chain
    leaf_len: np.ndarray   # per leaf: block length
    ancestor: list         # per depth d: per leaf, its tree node at depth d (the leaf
    n_nodes: int           # itself when shallower)


@functools.lru_cache(maxsize=8)
def _column_plan(n_cols: int) -> _ColumnPlan:
    """Where each column of a row of ``n_cols`` sits in NumPy's pairwise sum."""
    starts, lengths, parent, depth, leaf_node = _pairwise_tree(n_cols)
    leaf = np.repeat(np.arange(len(starts)), lengths)[:n_cols]
    rel = np.arange(n_cols) - starts[leaf]
    size = lengths[leaf]
    tcut = size - size % 8
    short = size < 8
    in_tail = ~short & (rel >= tcut)
    slot = np.where(short, 8, np.where(in_tail, 9, rel % 8)).astype(np.int8)
    step = np.where(short, rel, np.where(in_tail, rel - tcut, rel // 8)).astype(np.int8)
    max_depth = int(depth[leaf_node].max())
    ancestor = [leaf_node.copy() for _ in range(max_depth + 1)]
    for i, node in enumerate(leaf_node.tolist()):
        while node >= 0:
            ancestor[depth[node]][i] = node
            node = parent[node]
    return _ColumnPlan(leaf, slot, step, lengths, ancestor[:max_depth], len(parent))


def _pairwise_tree(n: int):
    """The halving tree NumPy's pairwise sum uses on a row of ``n``: leaf ``starts`` and
    ``lengths``, each tree node's ``parent`` and ``depth``, and each leaf's node."""
    starts, lengths, parent, depth, leaf_node = [], [], [], [], []

    def build(s, m, par, d):
        me = len(parent)
        parent.append(par)
        depth.append(d)
        if m <= 128:
            starts.append(s)
            lengths.append(m)
            leaf_node.append(me)
            return
        half = m // 2
        half -= half % 8
        build(s, half, me, d + 1)
        build(s + half, m - half, me, d + 1)

    build(0, max(n, 1), -1, 0)
    return tuple(np.asarray(x, dtype=np.int64)
                 for x in (starts, lengths, parent, depth, leaf_node))
