"""Single failures and the default choice of Monte Carlo points (docs/design.md §4.7).

What one failure point takes down *on its own* decides both which points Monte Carlo
scores by default (by SPOF count and blast radius, as
:func:`riskgraph.analyses.spof.blast_radius` counts them) and which nodes a forced-down
importance run may skip. Both are found here by a sparse propagation of single failures,
vectorised over (point, node) pairs: a failure can only spread along the edges leaving a
node that went down, so the work is proportional to the dead sets and their out-edges —
not to the whole network times the number of points, as a packed trial per point over
every node would be. It gives exactly the boolean rules of docs/design.md §3.1 (the
kernel of :mod:`riskgraph.model.propagation`):

* a group is met while at least ``k`` of its member entries are up (a group of one: its
  member; ``k = 1``: any member), so with ``alive(g)`` its members up at baseline, the
  group fails under point ``x`` once more than ``alive(g) − k`` of them are down;
* a node is down once any of its groups fails (or it is ``x``);
* nothing down at baseline (nothing failed) changes, and nothing up at baseline goes down
  unless one of its members does.

Levels are processed in topological order, so every dead member of a node's groups is
known before the node is decided.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from riskgraph.model.network import CompiledNetwork
from riskgraph.model.topology import ranges

logger = logging.getLogger(__name__)

#: Candidates evaluated together at first, then doubling up to the largest block (the
#: schedule is part of the choice: see :func:`choose_points`).
_FIRST_BLOCK = 64
_LAST_BLOCK = 4096


@dataclass(frozen=True, eq=False)
class SingleFailures:
    """The arrays the sparse propagation needs, built once per compiled network."""

    c: CompiledNetwork

    @cached_property
    def base_up(self) -> np.ndarray:
        """Availability of every node with nothing failed."""
        from riskgraph.model.propagation import available_packed

        words = available_packed(self.c, np.zeros((self.c.n, 1), dtype=np.uint64))
        return (words[:, 0] & np.uint64(1)).astype(bool)

    @cached_property
    def slack(self) -> np.ndarray:
        """Per group: member entries up at baseline minus ``k`` (down once exceeded)."""
        c = self.c
        alive = np.bincount(c.member_group, weights=self.base_up[c.member],
                            minlength=len(c.group_k))
        return alive.astype(np.int64) - c.group_k.astype(np.int64)

    @cached_property
    def uses(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR node -> the groups listing it (once per member entry), only groups of nodes
        up at baseline (a node down at baseline cannot go down again)."""
        c = self.c
        keep = self.base_up[c.group_node[c.member_group]]
        entry = np.flatnonzero(keep)
        order = entry[np.argsort(c.member[entry], kind="stable")]
        ptr = np.r_[0, np.cumsum(np.bincount(c.member[entry], minlength=c.n))]
        return ptr.astype(np.int64), c.member_group[order].astype(np.int64)

    def dead_pairs(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(which, node)``: node is up at baseline and down when ``points[which]``
        alone fails (``which`` sorted, then ``node``)."""
        c = self.c
        points = np.asarray(points, dtype=np.int64)
        n_groups = len(c.group_k)
        ptr, groups = self.uses
        seed = np.flatnonzero(self.base_up[points])
        seed_level = c.level[points[seed]]
        pending: dict[int, list] = {}  # level -> arrays of keys which * n_groups + group
        found_w, found_v = [], []
        for lvl in range(len(c.level_ptr) - 1):
            at = seed[seed_level == lvl]
            w, v = at, points[at]
            keys = pending.pop(lvl, None)
            if keys is not None:
                key, count = np.unique(np.concatenate(keys), return_counts=True)
                g = key % n_groups
                down = count > self.slack[g]
                node_key = np.unique((key[down] // n_groups) * c.n + c.group_node[g[down]])
                w = np.r_[w, node_key // c.n]
                v = np.r_[v, node_key % c.n]
                if len(at):  # a seed may also fall through its own inputs: count it once
                    pair = np.unique(w * c.n + v)
                    w, v = pair // c.n, pair % c.n
            if not len(w):
                continue
            found_w.append(w)
            found_v.append(v)
            self._spread(w, v, ptr, groups, pending)
        if not found_w:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        pair = np.sort(np.concatenate(found_w) * c.n + np.concatenate(found_v))
        return pair // c.n, pair % c.n

    def _spread(self, w, v, ptr, groups, pending) -> None:
        """File the groups that use the newly dead nodes under the level of their node."""
        c = self.c
        size = ptr[v + 1] - ptr[v]
        g = groups[ranges(ptr[v], size)]
        key = np.repeat(w, size) * len(c.group_k) + g
        lvl = c.level[c.group_node[g]]
        order = np.argsort(lvl, kind="stable")
        key, lvl = key[order], lvl[order]
        cuts = np.flatnonzero(np.diff(lvl)) + 1
        for part in np.split(np.arange(len(key)), cuts):
            if len(part):
                pending.setdefault(int(lvl[part[0]]), []).append(key[part])

    def lost_alone(self, points: np.ndarray) -> np.ndarray:
        """Capabilities down when each point alone fails (those down at baseline too)."""
        c = self.c
        caps = c.capabilities
        base_lost = int((~self.base_up[caps]).sum())
        which, node = self.dead_pairs(points)
        is_cap = np.zeros(c.n, dtype=bool)
        is_cap[caps] = True
        return base_lost + np.bincount(which[is_cap[node]], minlength=len(points))

    def dead_sets(self, points: np.ndarray) -> np.ndarray:
        """``(len(points), n)`` booleans: the nodes down when that point alone fails."""
        c = self.c
        dead = np.zeros((len(points), c.n), dtype=bool)
        dead[:, ~self.base_up] = True
        which, node = self.dead_pairs(points)
        dead[which, node] = True
        return dead


def choose_points(c: CompiledNetwork, max_points: int) -> np.ndarray:
    """Compiled indices of the default points (see
    :func:`riskgraph.analyses.montecarlo.default_points` for the order).

    A point's SPOF count is at most the capabilities downstream of it plus those down at
    baseline, so candidates are taken in decreasing order of that bound, in blocks of 64,
    128, ... up to 4096, until it falls below the last place's SPOF count: the choice is
    the exact top ``max_points`` over all candidates.
    """
    caps = c.capabilities
    reach = c.topology.capability_reach()
    fp = c.failure_points
    cand = fp[reach[fp] > 0]
    cand = cand[np.lexsort((cand, -c.disruption_prob[cand], -reach[cand]))]
    platform = c.member[c.member_ptr[c.group_ptr[caps]]]
    trivial = np.bincount(platform, minlength=c.n)
    single = SingleFailures(c)
    # capabilities down at baseline count as lost for every point
    base_lost = int((~single.base_up[caps]).sum())
    spof, lost, idx = [], [], []
    block, start = _FIRST_BLOCK, 0
    while start < len(cand):
        if start >= max_points:
            spof_cut = np.sort(np.concatenate(spof))[-max_points]
            if spof_cut > reach[cand[start]] + base_lost:
                break  # nobody left can reach the last place
        these = cand[start:start + block]
        n_lost = single.lost_alone(these)
        spof.append(n_lost - trivial[these])
        lost.append(n_lost)
        idx.append(these)
        start += len(these)
        block = min(block * 2, _LAST_BLOCK)
    logger.debug("default_points: %d of %d candidates evaluated", start, len(cand))
    if not idx:
        return np.zeros(0, np.int64)
    spof, lost, idx = np.concatenate(spof), np.concatenate(lost), np.concatenate(idx)
    order = np.lexsort((idx, -c.disruption_prob[idx], -reach[idx], -lost, -spof))
    return idx[order[:max_points]]
