"""The structure of the compiled graph, built once: successors, predecessors and cones.

Every analysis and view that walks the graph reads the :class:`Topology` of its compiled
network (``network.compiled.topology``): the unique edges as two CSR arrays (successors:
node -> the nodes that list it in a requirement group; predecessors: node -> its inputs),
the platform of each capability, per-level edge blocks for level-synchronous sweeps, and
vectorised :meth:`Topology.descendants` / :meth:`Topology.ancestors` cones.

Because nodes are numbered in topological order (``docs/design.md`` §3), every edge points
from a lower to a higher index, and a cone can be found by frontier sweeps over the CSR
arrays with no Python loop over nodes.

Example: the worked fixture (docs/design.md, "the worked example").

>>> from riskgraph import load_network
>>> c = load_network("tests/fixtures/worked").compiled
>>> t = c.topology
>>> [c.ids[v] for v in t.successors(c.index["supplier:S_A"])]
['component:A']
>>> [c.ids[v] for v in t.descendants([c.index["component:A"]]) if c.kind[v] == 3]
['capability:USA/P1']
>>> c.index["nation:USA"] in t.ancestors([c.index["supplier:S_A"]])
True
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

__all__ = ["Topology", "build_topology", "ranges", "LevelBlock"]

#: Cones kept per network (keyed by the sorted start points), at most this many nodes in
#: all (128 MiB of indices), so a million-node network cannot fill memory with them.
_CONE_CACHE_NODES = 1 << 24
#: Default bound on nodes × bitset words held at once by the reach sweeps.
_MAX_CELLS = 1 << 24


def ranges(starts, sizes) -> np.ndarray:
    """Concatenated ``arange(s, s + size)`` for every ``(s, size)``, vectorised.

    >>> ranges([5, 0], [2, 3]).tolist()
    [5, 6, 0, 1, 2]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.asarray(starts, np.int64) - np.r_[0, np.cumsum(sizes)[:-1]], sizes)
    return offsets + np.arange(total, dtype=np.int64)


class LevelBlock(NamedTuple):
    """The edges leaving (or entering) the nodes of one level, grouped by that node.

    ``nodes`` are the level's nodes that have such edges; edge ``e`` of ``src``/``dst``
    belongs to ``nodes[i]`` for ``starts[i] <= e < starts[i + 1]`` (ready for
    ``np.ufunc.reduceat``).
    """

    nodes: np.ndarray
    starts: np.ndarray
    src: np.ndarray
    dst: np.ndarray


@dataclass(frozen=True, eq=False)
class Topology:
    """Unique edges of a compiled network as successor and predecessor CSR arrays.

    ``succ[succ_ptr[v]:succ_ptr[v + 1]]`` are the nodes that need ``v`` (sorted);
    ``pred[pred_ptr[v]:pred_ptr[v + 1]]`` the nodes ``v`` needs (sorted).
    """

    n: int
    succ_ptr: np.ndarray  # int64, n + 1
    succ: np.ndarray  # int64
    pred_ptr: np.ndarray  # int64, n + 1
    pred: np.ndarray  # int64
    level_ptr: np.ndarray  # int64, levels + 1
    capability_platform: np.ndarray  # int64: the platform node of each capability
    _cones: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_levels(self) -> int:
        return len(self.level_ptr) - 1

    @property
    def n_edges(self) -> int:
        return len(self.succ)

    @property
    def edge_src(self) -> np.ndarray:
        """Source of every edge, in successor (source-major) order."""
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.succ_ptr))

    def successors(self, v: int) -> np.ndarray:
        return self.succ[self.succ_ptr[v]:self.succ_ptr[v + 1]]

    def predecessors(self, v: int) -> np.ndarray:
        return self.pred[self.pred_ptr[v]:self.pred_ptr[v + 1]]

    def out_block(self, lvl: int) -> LevelBlock | None:
        """Edges leaving the nodes of level ``lvl`` (None when it has none)."""
        return self._block(lvl, self.succ_ptr, self.succ, out=True)

    def in_block(self, lvl: int) -> LevelBlock | None:
        """Edges entering the nodes of level ``lvl`` (None when it has none)."""
        return self._block(lvl, self.pred_ptr, self.pred, out=False)

    def _block(self, lvl, ptr, nbr, *, out: bool) -> LevelBlock | None:
        lo, hi = int(self.level_ptr[lvl]), int(self.level_ptr[lvl + 1])
        e0, e1 = int(ptr[lo]), int(ptr[hi])
        if e0 == e1:
            return None
        deg = np.diff(ptr[lo:hi + 1])
        has = deg > 0
        nodes = np.arange(lo, hi)[has]
        own = np.repeat(np.arange(lo, hi, dtype=np.int64), deg)
        src, dst = (own, nbr[e0:e1]) if out else (nbr[e0:e1], own)
        return LevelBlock(nodes, ptr[lo:hi][has] - e0, src, dst)

    def descendants(self, points) -> np.ndarray:
        """``points`` and every node downstream of them, sorted (cached per start set)."""
        return self._cone(points, self.succ_ptr, self.succ, "down")

    def ancestors(self, points) -> np.ndarray:
        """``points`` and every node they depend on, sorted (cached per start set)."""
        return self._cone(points, self.pred_ptr, self.pred, "up")

    def descendant_mask(self, points) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        mask[self.descendants(points)] = True
        return mask

    def ancestor_mask(self, points) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        mask[self.ancestors(points)] = True
        return mask

    def _cone(self, points, ptr, nbr, direction: str) -> np.ndarray:
        start = np.unique(np.asarray(points, dtype=np.int64).ravel())
        key = (direction, start.tobytes())
        hit = self._cones.get(key)
        if hit is not None:
            self._cones.move_to_end(key)
            return hit
        cone = _sweep(ptr, nbr, start, self.n)
        cone.setflags(write=False)
        if len(cone) <= _CONE_CACHE_NODES:
            self._cones[key] = cone
            while sum(len(v) for v in self._cones.values()) > _CONE_CACHE_NODES:
                self._cones.popitem(last=False)
        return cone

    def reach_counts(self, seeds, bits, word_weight, *, max_cells: int = _MAX_CELLS
                     ) -> np.ndarray:
        """Per node, the weighted count of distinct bits among the seed nodes it reaches
        (itself included): seed node ``seeds[i]`` carries bit ``bits[i]``, and every bit of
        word ``w`` counts ``word_weight[w]``.

        One backward sweep of the levels OR-ing bitsets (a DAG dynamic programme), in
        blocks of words so that at most about ``max_cells`` words are held at once.
        """
        n = self.n
        seeds = np.asarray(seeds, dtype=np.int64)
        bits = np.asarray(bits, dtype=np.int64)
        word_weight = np.asarray(word_weight, dtype=np.int64)
        counts = np.zeros(n, dtype=np.int64)
        if len(seeds) == 0:
            return counts
        n_words = len(word_weight)
        # nothing above the highest seed's level reaches one
        top = int(np.searchsorted(self.level_ptr, seeds.max(), side="right")) - 1
        step = max(1, int(max_cells) // max(n, 1))
        for w0 in range(0, n_words, step):
            w1 = min(n_words, w0 + step)
            word = (bits >> 6) - w0
            inside = (word >= 0) & (word < w1 - w0)
            reach = np.zeros((n, w1 - w0), dtype=np.uint64)
            np.bitwise_or.at(reach, (seeds[inside], word[inside]),
                             np.left_shift(np.uint64(1), (bits[inside] & 63).astype(np.uint64)))
            for lvl in range(top - 1, -1, -1):
                block = self.out_block(lvl)
                if block is None:
                    continue
                reach[block.nodes] |= np.bitwise_or.reduceat(reach[block.dst], block.starts,
                                                             axis=0)
            counts += np.bitwise_count(reach).astype(np.int64) @ word_weight[w0:w1]
        return counts

    def capability_reach(self) -> np.ndarray:
        """Capabilities downstream of every node (0 for capabilities themselves).

        A node reaches capability (N, P) exactly when it reaches platform P (or is P), so
        it suffices to know which fielded platforms each node reaches; a platform counts as
        many capabilities as it has fielders. Platforms are taken 64 at a time, each a bit
        of one word, and the bits are OR-ed backwards over the union of their ancestor
        cones only, level by level: the work is about the sum of the platforms' ancestor
        cones (one sweep over the whole network per 64 platforms would grow with nodes ×
        platforms). Cached (read only).
        """
        hit = self._memo.get("capability_reach")
        if hit is not None:
            return hit
        platforms, fielders = np.unique(self.capability_platform, return_counts=True)
        counts = np.zeros(self.n, dtype=np.int64)
        local = np.full(self.n, -1, dtype=np.int64)
        for b0 in range(0, len(platforms), 64):
            cone, reached = self._platform_bits(platforms[b0:b0 + 64], local)
            counts[cone] += reached @ fielders[b0:b0 + 64].astype(np.int64)
        counts.setflags(write=False)
        self._memo["capability_reach"] = counts
        return counts

    def _platform_bits(self, block: np.ndarray, local: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """(ancestor cone of ``block``, a cone × len(block) 0/1 matrix of which of the
        block's platforms each cone node reaches). ``local`` is scratch: all -1 in and
        out."""
        cone = _sweep(self.pred_ptr, self.pred, block, self.n)
        local[cone] = np.arange(len(cone))
        bits = np.zeros(len(cone), dtype=np.uint64)
        bits[local[block]] = np.left_shift(np.uint64(1),
                                           np.arange(len(block), dtype=np.uint64))
        deg = self.succ_ptr[cone + 1] - self.succ_ptr[cone]
        src = np.repeat(np.arange(len(cone)), deg)
        dst = local[self.succ[ranges(self.succ_ptr[cone], deg)]]
        inside = dst >= 0
        src, dst = src[inside], dst[inside]
        # cone nodes are in index order, so a level's nodes and their edges are contiguous
        node_level = np.searchsorted(self.level_ptr, cone, side="right") - 1
        edge_level = node_level[src]
        for lvl in np.unique(edge_level)[::-1]:
            e0, e1 = np.searchsorted(edge_level, [lvl, lvl + 1])  # ascending by source
            s, d = src[e0:e1], dst[e0:e1]
            starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
            bits[s[starts]] |= np.bitwise_or.reduceat(bits[d], starts)
        local[cone] = -1
        reached = np.unpackbits(bits.view(np.uint8).reshape(-1, 8), axis=1,
                                bitorder="little")[:, :len(block)]
        return cone, reached

    def distances(self, starts, *, downstream: bool, depth: int | None = None
                  ) -> dict[int, int]:
        """Hops from the nearest of ``starts`` to every node within ``depth`` hops."""
        ptr, nbr = (self.succ_ptr, self.succ) if downstream else (self.pred_ptr, self.pred)
        dist = np.full(self.n, -1, dtype=np.int64)
        frontier = np.unique(np.asarray(list(starts), dtype=np.int64))
        dist[frontier] = 0
        hop = 0
        while len(frontier) and (depth is None or hop < depth):
            hop += 1
            nxt = nbr[ranges(ptr[frontier], ptr[frontier + 1] - ptr[frontier])]
            nxt = np.unique(nxt[dist[nxt] < 0])
            dist[nxt] = hop
            frontier = nxt
        found = np.flatnonzero(dist >= 0)
        return dict(zip(found.tolist(), dist[found].tolist()))


def _sweep(ptr: np.ndarray, nbr: np.ndarray, start: np.ndarray, n: int) -> np.ndarray:
    """Every node reachable from ``start`` along one CSR (start included), sorted.

    Work is about the cone's size and edges, not the network's: frontiers are deduplicated
    through a scratch array instead of sorting, and only a large cone is read back from
    the whole mask."""
    seen = np.zeros(n, dtype=bool)
    where = np.empty(n, dtype=np.int64)  # scratch: position of a node in the frontier
    start = np.unique(start)
    seen[start] = True
    parts, size, frontier = [start], len(start), start
    while len(frontier):
        nxt = nbr[ranges(ptr[frontier], ptr[frontier + 1] - ptr[frontier])]
        nxt = nxt[~seen[nxt]]
        if not len(nxt):
            break
        seen[nxt] = True
        slot = np.arange(len(nxt))
        where[nxt] = slot
        frontier = nxt[where[nxt] == slot]  # one copy of each node
        parts.append(frontier)
        size += len(frontier)
    if size * 8 > n:
        return np.flatnonzero(seen)
    return np.sort(np.concatenate(parts))


def build_topology(n: int, member: np.ndarray, member_node: np.ndarray,
                   level_ptr: np.ndarray, capability_platform: np.ndarray) -> Topology:
    """The :class:`Topology` of a compiled network from its flat group arrays.

    Parameters
    ----------
    member, member_node
        Every member entry and the node whose group lists it (an edge member -> node;
        repeats are merged).
    capability_platform
        The (only) member of each capability's group: its platform.
    """
    src = np.asarray(member, np.int64)
    dst = np.asarray(member_node, np.int64)
    key = np.unique(src * max(n, 1) + dst) if len(src) else np.zeros(0, np.int64)
    src, dst = key // max(n, 1), key % max(n, 1)
    succ_ptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))].astype(np.int64)
    order = np.lexsort((src, dst))
    pred_ptr = np.r_[0, np.cumsum(np.bincount(dst, minlength=n))].astype(np.int64)
    for a in (succ_ptr, dst, pred_ptr):
        a.setflags(write=False)
    pred = src[order]
    pred.setflags(write=False)
    platform = np.asarray(capability_platform, np.int64)
    platform.setflags(write=False)
    return Topology(n=n, succ_ptr=succ_ptr, succ=dst, pred_ptr=pred_ptr, pred=pred,
                    level_ptr=np.asarray(level_ptr, np.int64),
                    capability_platform=platform)
