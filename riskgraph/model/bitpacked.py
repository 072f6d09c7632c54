"""Bit-packed availability: many Monte Carlo trials at once, 64 to a ``uint64`` word.

The boolean rules of docs/design.md §3.1 on packed words: a group of one is its member, a
group with ``k = 1`` a bitwise OR over its members, a k-of-n group (``k > 1``) an exact
bit-sliced count, and a node is NOT failed AND all of its groups. Segments are folded
with a pairwise tree of gathers (``log2`` of the longest segment rounds), several times
faster than ``np.bitwise_or.reduceat`` along axis 0 on these short segments.

Monte Carlo evaluates subsets of the network (a :class:`PropagationPlan` from
:func:`make_plan`: the nodes upstream of a capability, the cone downstream of a point)
with :func:`run_plan`, reading members outside the subset from a base state and forcing
chosen nodes down or up in blocks of columns. Trial ``t`` of a packed array lives in bit
``t % 64`` of word ``t // 64``; bits past the last trial are padding (mask them with
:func:`trial_mask` before counting). :func:`riskgraph.model.propagation.available` is the
boolean-array front end.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from riskgraph.model.network import CAPABILITY, CompiledNetwork
from riskgraph.model.topology import ranges

__all__ = [
    "available_packed", "pack_trials", "unpack_trials", "trial_mask", "popcount",
    "PropagationPlan", "make_plan", "run_plan", "release_scratch", "split_by_step",
    "full_plan", "WORD_BITS", "COLUMN_WORDS",
]

#: Trials per packed word.
WORD_BITS = 64
_ALL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


# ---------------------------------------------------------------------- bit-packed trials


def trial_mask(trials: int) -> np.ndarray:
    """The ``(W,)`` uint64 words with a bit set for every real trial (not padding).

    >>> [hex(w) for w in trial_mask(66)]
    ['0xffffffffffffffff', '0x3']
    """
    words = -(-int(trials) // WORD_BITS)
    mask = np.full(words, _ALL, dtype=np.uint64)
    rest = int(trials) % WORD_BITS
    if rest:
        mask[-1] = np.uint64((1 << rest) - 1)
    return mask


def pack_trials(flags: np.ndarray) -> np.ndarray:
    """``(n, B)`` booleans -> ``(n, ceil(B / 64))`` uint64 words (trial t: bit t % 64 of
    word t // 64; padding bits 0).

    >>> pack_trials(np.array([[True, False, True]])).tolist()
    [[5]]
    """
    flags = np.asarray(flags, dtype=bool)
    if flags.ndim != 2:
        raise ValueError(f"expected an (n, trials) array, got shape {flags.shape}")
    n, trials = flags.shape
    words = -(-trials // WORD_BITS)
    padded = np.zeros((n, words * WORD_BITS), dtype=bool)
    padded[:, :trials] = flags
    packed = np.packbits(padded, axis=1, bitorder="little")
    return packed.view("<u8").astype(np.uint64)


def unpack_trials(words: np.ndarray, trials: int) -> np.ndarray:
    """``(n, W)`` uint64 words -> ``(n, trials)`` booleans; the inverse of
    :func:`pack_trials`."""
    words = np.ascontiguousarray(words, dtype="<u8")
    if words.ndim != 2:
        raise ValueError(f"expected an (n, words) array, got shape {words.shape}")
    bits = np.unpackbits(words.view(np.uint8), axis=1, count=int(trials), bitorder="little")
    return bits.astype(bool)


if hasattr(np, "bitwise_count"):  # NumPy >= 2.0
    def _bit_counts(words: np.ndarray) -> np.ndarray:
        return np.bitwise_count(words)
else:  # pragma: no cover - NumPy 1.26
    _BYTE_COUNTS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)

    def _bit_counts(words: np.ndarray) -> np.ndarray:
        b = np.ascontiguousarray(words, dtype="<u8")
        return _BYTE_COUNTS[b.view(np.uint8)].reshape(*b.shape, 8).sum(axis=-1)


def popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per row of ``(r, W)`` uint64 words, as int64 ``(r,)``.

    >>> popcount(np.array([[3, 1], [0, 2**63]], dtype=np.uint64)).tolist()
    [3, 1]
    """
    words = np.asarray(words, dtype=np.uint64)
    return _bit_counts(words).sum(axis=-1, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class _Step:
    """One topological level of a plan: local nodes ``lo:hi`` and how to compute them."""

    lo: int
    hi: int
    plain: bool  # no node of the level has groups: up = NOT failed
    n_members: int = 0
    loc_pos: np.ndarray | None = None  # member slots filled from the plan's own state
    loc_idx: np.ndarray | None = None
    out_pos: np.ndarray | None = None  # member slots filled from the base state
    out_idx: np.ndarray | None = None
    group_starts: np.ndarray | None = None  # first member of each group; None: all of one
    group_rounds: tuple = ()  # (dst, src) rows of the pairwise OR tree over members
    k_pos: np.ndarray | None = None  # groups with k > 1: positions, first member, size, k
    k_start: np.ndarray | None = None
    k_size: np.ndarray | None = None
    k_need: np.ndarray | None = None
    node_has: np.ndarray | None = None  # nodes with groups; None: all of them
    node_starts: np.ndarray | None = None  # first group of each node; None: one group each
    node_rounds: tuple = ()  # (dst, src) rows of the pairwise AND tree over groups


@dataclass(frozen=True, eq=False)
class PropagationPlan:
    """A precomputed evaluation order over a subset of a compiled network's nodes.

    ``nodes`` are global indices in topological (ascending) order. Members of the plan's
    nodes that lie outside it are read from a *base* state passed to :func:`run_plan`,
    at rows ``base_index[member]``.
    """

    n: int
    nodes: np.ndarray
    steps: tuple
    has_outside: bool


def make_plan(compiled: CompiledNetwork, nodes: np.ndarray | None = None,
              base_index: np.ndarray | None = None) -> PropagationPlan:
    """Plan the evaluation of ``nodes`` (default: every node).

    Parameters
    ----------
    nodes
        Global node indices to evaluate; any subset (duplicates and order are ignored).
    base_index
        ``(n,)`` row in the base state of every global node, for members outside
        ``nodes`` (default: the global index itself).
    """
    c = compiled
    if nodes is None:
        nodes = np.arange(c.n, dtype=np.int64)
    else:
        mask = np.zeros(c.n, dtype=bool)
        mask[np.asarray(nodes, dtype=np.int64)] = True
        nodes = np.flatnonzero(mask)
    local = np.full(c.n, -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    lvl = c.level[nodes]
    cuts = np.flatnonzero(np.diff(lvl)) + 1
    bounds = np.r_[0, cuts, len(nodes)].astype(np.int64)
    steps = []
    has_outside = False
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if hi <= lo:
            continue
        gn = nodes[lo:hi]
        ng = c.group_ptr[gn + 1] - c.group_ptr[gn]
        if not ng.any():
            steps.append(_Step(lo, hi, plain=True))
            continue
        gidx = ranges(c.group_ptr[gn], ng)
        msz = c.member_ptr[gidx + 1] - c.member_ptr[gidx]
        mem = c.member[ranges(c.member_ptr[gidx], msz)].astype(np.int64)
        mstart = np.r_[0, np.cumsum(msz)[:-1]].astype(np.int64)
        lm = local[mem]
        inside = lm >= 0
        out = {}
        if inside.all():
            out["loc_idx"] = lm
        else:
            has_outside = True
            out["loc_pos"] = np.flatnonzero(inside)
            out["loc_idx"] = lm[inside]
            out["out_pos"] = np.flatnonzero(~inside)
            outside = mem[~inside]
            out["out_idx"] = outside if base_index is None else base_index[outside]
        if (msz != 1).any():
            out["group_starts"] = mstart
            out["group_rounds"] = _tree_rounds(mstart, msz)
        k = c.group_k[gidx]
        multi = np.flatnonzero(k > 1)
        if len(multi):
            out.update(k_pos=multi, k_start=mstart[multi], k_size=msz[multi],
                       k_need=k[multi].astype(np.int64))
        has = ng > 0
        if not has.all():
            out["node_has"] = has
        if not has.all() or (ng != 1).any():
            gstart = np.r_[0, np.cumsum(ng[has])[:-1]].astype(np.int64)
            out["node_starts"] = gstart
            out["node_rounds"] = _tree_rounds(gstart, ng[has])
        steps.append(_Step(lo, hi, plain=False, n_members=len(mem), **out))
    return PropagationPlan(n=c.n, nodes=nodes, steps=tuple(steps), has_outside=has_outside)


def _tree_rounds(starts: np.ndarray, sizes: np.ndarray) -> tuple:
    """Rows to combine, round by round, to reduce every segment into its first row.

    Round ``r`` folds the row at position ``j + 2**r`` of a segment into the row at ``j``
    (``j`` a multiple of ``2**(r+1)``): ``ceil(log2(longest))`` rounds, each a pair of
    gathers over at most half the rows left. (NumPy's ``reduceat`` along axis 0 was
    several times slower on these short segments.)
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    pos = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.asarray(starts, np.int64),
                                                                  sizes)
    size_of = np.repeat(sizes, sizes)
    rounds = []
    step = 1
    while step < int(sizes.max(initial=0)):
        dst = np.flatnonzero((pos % (2 * step) == 0) & (pos + step < size_of))
        rounds.append((dst, dst + step))
        step *= 2
    return tuple(rounds)


def _tree_reduce(op, rows: np.ndarray, rounds: tuple, ws: "_Workspace | None" = None
                 ) -> np.ndarray:
    """Fold every segment into its first row, in place (``rows`` must be scratch);
    temporaries come from ``ws`` when given."""
    for dst, src in rounds:
        if ws is None:
            rows[dst] = op(rows[dst], rows[src])
            continue
        a = ws.take(rows, dst, "tree_a")
        op(a, ws.take(rows, src, "tree_b"), out=a)
        rows[dst] = a
    return rows


class _Workspace(threading.local):
    """Per-thread scratch buffers reused by every :func:`run_plan` call of the thread:
    at a million nodes the temporaries are hundreds of MB, and allocating them afresh each
    call cost about a third of the CPU time in page faults."""

    def __init__(self):
        self.bufs: dict[str, np.ndarray] = {}

    def get(self, name: str, rows: int, width: int) -> np.ndarray:
        buf = self.bufs.get(name)
        size = rows * width
        if buf is None or len(buf) < size:
            buf = self.bufs[name] = np.empty(max(size, 1), dtype=np.uint64)
        return buf[:size].reshape(rows, width)

    def take(self, src: np.ndarray, idx: np.ndarray, name: str) -> np.ndarray:
        out = self.get(name, len(idx), src.shape[1])
        np.take(src, idx, axis=0, out=out, mode="clip")
        return out

    def release(self) -> None:
        self.bufs.clear()


_WS = _Workspace()


def release_scratch() -> None:
    """Free this thread's :func:`run_plan` scratch buffers (kept between calls so that
    repeated calls do not page-fault fresh memory; Monte Carlo frees them after a chunk)."""
    _WS.release()


def _at_least(vals: np.ndarray, st: _Step) -> np.ndarray:
    """Bits where at least ``k`` members of each k-of-n group are set (exact).

    ``acc[j]`` holds "at least j of the members seen so far are set", updated member by
    member (a bit-sliced counter saturating at k): the Python loops run over member
    positions and k, never over groups, nodes or trials.
    """
    size, need = st.k_size, st.k_need
    g = len(size)
    top = int(need.max())
    acc = np.zeros((top + 1, g, vals.shape[1]), dtype=np.uint64)
    acc[0] = _ALL
    for i in range(int(size.max())):
        act = np.flatnonzero(size > i)
        x = vals[st.k_start[act] + i]
        for j in range(min(i + 1, top), 0, -1):
            acc[j, act] |= acc[j - 1, act] & x
    return acc[need, np.arange(g)]


#: Words (of 64 trials) evaluated together by :func:`run_plan`: every level of a plan is
#: pushed through one block of columns at a time, so the scratch arrays stay small and are
#: reused instead of being allocated (and page-faulted) afresh at full width.
COLUMN_WORDS = 64


def run_plan(plan: PropagationPlan, failed: np.ndarray, *, base: np.ndarray | None = None,
             forced: dict | None = None, failed_rows: np.ndarray | None = None,
             base_rows: np.ndarray | None = None, out: np.ndarray | None = None
             ) -> np.ndarray:
    """Evaluate a plan: the up-words of its nodes.

    Parameters
    ----------
    failed
        ``(len(plan.nodes), width)`` failed-words of the plan's nodes (or, with
        ``failed_rows``, a larger array holding them at those rows).
    base
        ``(*, width)`` up-words of the nodes outside the plan (rows by the plan's
        ``base_index``, mapped through ``base_rows`` when given); needed when the plan
        has outside members.
    forced
        Overrides, ``{step: [(positions, col_lo, col_hi, up), ...]}`` with ``positions``
        local nodes of that step (see :func:`split_by_step`): in words
        ``col_lo:col_hi`` their failure flag is forced to ``not up`` — forced down they
        are down, forced up they still need their inputs. Blocks of columns forced
        differently evaluate different scenarios side by side.
    failed_rows, base_rows
        Row maps into ``failed`` / ``base`` (read a block of columns at a time, so the
        caller never gathers full-width copies).
    out
        A ``(len(plan.nodes), width)`` uint64 array to write the result into.

    Returns
    -------
    numpy.ndarray
        ``(len(plan.nodes), width)`` uint64 up-words.
    """
    nl = len(plan.nodes)
    width = failed.shape[1]
    if failed_rows is None and failed.shape[0] != nl:
        raise ValueError(f"failed must have {nl} rows, got {failed.shape[0]}")
    if out is None:
        state = np.empty((nl, width), dtype=np.uint64)
    else:
        state = out
        if state.shape != (nl, width) or state.dtype != np.uint64:
            raise ValueError(f"out must be a ({nl}, {width}) uint64 array")
    if plan.has_outside and base is None:
        raise ValueError("this plan reads members outside it: pass the base state")
    forced = forced or {}
    out_rows = [None if st.plain or st.out_idx is None else
                (st.out_idx if base_rows is None else base_rows[st.out_idx])
                for st in plan.steps]
    bw = max(1, min(COLUMN_WORDS, width))
    for c0 in range(0, width, bw):
        c1 = min(width, c0 + bw)
        cols = slice(c0, c1)
        sblk = state[:, cols]
        for i, st in enumerate(plan.steps):
            lo, hi = st.lo, st.hi
            dst = sblk[lo:hi]
            if failed_rows is None:
                np.invert(failed[lo:hi, cols], out=dst)
            else:
                np.take(failed[:, cols], failed_rows[lo:hi], axis=0, out=dst, mode="clip")
                np.invert(dst, out=dst)
            if st.plain:
                node = None
            else:
                node = _step_block(st, sblk, base, out_rows[i], cols)
                np.bitwise_and(dst, node, out=dst)
            for pos, f0, f1, up in forced.get(i, ()):
                a0, a1 = max(f0, c0), min(f1, c1)
                if a0 >= a1:
                    continue
                if not up:
                    state[pos, a0:a1] = 0
                elif node is None:
                    state[pos, a0:a1] = _ALL
                else:
                    state[pos, a0:a1] = node[pos - lo, a0 - c0:a1 - c0]
    return state


def _step_block(st: _Step, sblk: np.ndarray, base, out_rows, cols: slice) -> np.ndarray:
    """Up-words of one step's nodes on one block of columns before their own failure
    flags: members gathered (thread scratch), groups ORed (k-of-n counted), nodes ANDed."""
    ws = _WS
    if st.out_pos is None:
        vals = ws.take(sblk, st.loc_idx, "vals")
    else:
        vals = ws.get("vals", st.n_members, sblk.shape[1])
        if len(st.loc_pos):
            vals[st.loc_pos] = sblk[st.loc_idx]
        vals[st.out_pos] = base[out_rows, cols]
    k_met = _at_least(vals, st) if st.k_pos is not None else None
    if st.group_starts is None:
        grp = vals
    else:
        grp = ws.take(_tree_reduce(np.bitwise_or, vals, st.group_rounds, ws),
                      st.group_starts, "grp")
    if k_met is not None:
        grp[st.k_pos] = k_met
    if st.node_starts is None:
        return grp
    red = ws.take(_tree_reduce(np.bitwise_and, grp, st.node_rounds, ws), st.node_starts,
                  "node")
    if st.node_has is None:
        return red
    node = ws.get("node_all", st.hi - st.lo, sblk.shape[1])
    node[:] = _ALL
    node[st.node_has] = red
    return node


def split_by_step(plan: PropagationPlan, positions) -> dict:
    """Local node positions grouped by the plan step that computes them.

    >>> from riskgraph import load_network
    >>> plan = full_plan(load_network("tests/fixtures/worked").compiled)
    >>> {k: v.tolist() for k, v in split_by_step(plan, [0, 1, 3, 11]).items()}
    {0: [0, 1], 1: [3], 5: [11]}
    """
    positions = np.unique(np.asarray(positions, dtype=np.int64))
    bounds = np.array([st.hi for st in plan.steps], dtype=np.int64)
    step = np.searchsorted(bounds, positions, side="right")
    out = {}
    for k in np.unique(step).tolist():
        out[k] = positions[step == k]
    return out


_PLANS: "weakref.WeakKeyDictionary[CompiledNetwork, PropagationPlan]" = \
    weakref.WeakKeyDictionary()


def full_plan(compiled: CompiledNetwork) -> PropagationPlan:
    """The plan over every node (cached per compiled network)."""
    plan = _PLANS.get(compiled)
    if plan is None:
        plan = _PLANS[compiled] = make_plan(compiled)
    return plan


def available_packed(compiled: CompiledNetwork, failed_words: np.ndarray) -> np.ndarray:
    """Boolean availability (docs/design.md §3.1) of bit-packed trials.

    Parameters
    ----------
    compiled
        The compiled network.
    failed_words
        ``(n, W)`` uint64: bit ``t % 64`` of word ``t // 64`` set where the node fails in
        trial ``t`` (see :func:`pack_trials`). Bits of capabilities are ignored.

    Returns
    -------
    numpy.ndarray
        ``(n, W)`` uint64 up-words (padding bits past the last trial are meaningless).
    """
    failed_words = np.asarray(failed_words, dtype=np.uint64)
    if failed_words.ndim != 2 or failed_words.shape[0] != compiled.n:
        raise ValueError(f"failed_words must be ({compiled.n}, W), got {failed_words.shape}")
    caps = compiled.kind == CAPABILITY
    if failed_words[caps].any():
        failed_words = failed_words.copy()
        failed_words[caps] = 0
    return run_plan(full_plan(compiled), failed_words)
