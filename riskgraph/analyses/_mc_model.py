"""The Monte Carlo chunk model: what to draw, what to evaluate, and in which batches
(docs/design.md §4.7).

:func:`build_model` is run once per call of :func:`~riskgraph.analyses.montecarlo.monte_carlo`
(and shipped to Dask workers once). It holds

* the plan over every node upstream of a capability and the rows drawn at random
  (sparse ones first, see :mod:`riskgraph.analyses._mc_sampling`);
* the capabilities grouped by nation, for "at least one lost";
* the importance pairs (scored point, capability downstream of it) and the *forced
  blocks* that estimate them: point ``x`` forced down over the live part of its cone
  (the nodes ``x`` takes down alone are down anyway), and ``x`` forced up over its cone
  on the trials where it failed;
* the blocks packed side by side into batches of at most :data:`BATCH_WORDS` words of
  state, each batch one plan over the union of its blocks' nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from riskgraph.analyses._mc_points import SingleFailures
from riskgraph.model.network import CAPABILITY, SupplyNetwork
from riskgraph.model.propagation import PropagationPlan, make_plan, split_by_step
from riskgraph.model.topology import ranges

#: Failure probabilities from here up are drawn one uniform number per trial; smaller
#: ones as a binomial count plus distinct positions.
DENSE_PROB = 1 / 16
#: Words (8 bytes each) of state one importance batch may hold per chunk.
BATCH_WORDS = 1 << 22


@dataclass(frozen=True, eq=False)
class ForcedBlock:
    """One forced scenario of a batch: point ``x`` forced down on every trial, or forced
    up on the trials where it failed (elsewhere forced up *is* the unforced run)."""

    point: int  # index into the scored points
    x_row: int  # the point's row in the chunk's failed-words
    up: bool
    forced: dict  # plan step -> local positions forced (x; when down, also dead(x))
    cap_rows: np.ndarray  # batch-plan rows of the capabilities read
    cap_pos: np.ndarray  # their positions in the capability list
    slots: np.ndarray  # the (point, capability) pairs' positions in the importance table


@dataclass(frozen=True, eq=False)
class Batch:
    """Blocks evaluated side by side, as column blocks of one plan."""

    plan: PropagationPlan  # union of the blocks' nodes; outside members from the base
    failed_rows: np.ndarray  # rows of the chunk's failed-words for the plan's nodes
    base_rows: np.ndarray  # rows of the chunk's base state for the outside members
    blocks: tuple


@dataclass(frozen=True, eq=False)
class ChunkModel:
    """Everything a chunk needs; built once per run and shipped to workers once."""

    plan: PropagationPlan  # every node upstream of a capability
    cap_rows: np.ndarray  # plan rows of the capabilities, compiled order
    nation_order: np.ndarray  # capability positions grouped by nation
    nation_starts: np.ndarray
    rand_rows: np.ndarray  # plan rows of failure points with p > 0: sparse first
    rand_p: np.ndarray
    n_sparse: int
    batches: tuple
    n_pairs: int
    pair_cap: np.ndarray  # capability position of every (point, capability) pair
    sure_slots: np.ndarray  # pairs whose capability always falls with the point (dead)
    base_up_slots: np.ndarray  # pairs of points that never fail: forced up = unforced
    x_rows: np.ndarray  # failed-words row of every pair's point


class Pairs(NamedTuple):
    """The importance pairs, grouped by point: pair ``s`` is (``point[s]``, capability
    position ``cap[s]``); point ``j`` owns ``start[j]:start[j + 1]``."""

    point: np.ndarray
    cap: np.ndarray
    start: np.ndarray
    cones: list  # per point: its downstream cone within the evaluated nodes


class BlockSpec(NamedTuple):
    """A forced block before batching."""

    point: int  # index into the scored points
    up: bool  # forced up (on the trials where it failed) or forced down
    nodes: np.ndarray  # global nodes to evaluate (sorted)
    forced: np.ndarray  # global nodes forced (x; forced down: also the dead members)
    slots: np.ndarray  # importance pairs it estimates
    share: float  # expected share of the chunk's words it needs


def build_model(network: SupplyNetwork, points: np.ndarray, words: int
                ) -> tuple[ChunkModel, Pairs]:
    """The chunk model and the importance pairs of ``points`` (compiled indices).

    ``words`` (of the blocks of trials the model will see) only sizes the batches.
    """
    c = network.compiled
    caps = c.capabilities
    need = c.topology.ancestor_mask(caps)
    nodes = np.flatnonzero(need)
    row = np.full(c.n, -1, dtype=np.int64)
    row[nodes] = np.arange(len(nodes))
    rand_rows, n_sparse = _random_rows(c, nodes)
    nation_order, nation_starts = _nation_groups(network)
    pairs = _importance_pairs(c, points, need)
    dead = SingleFailures(c).dead_sets(points)
    specs, sure, base_up = _block_specs(c, points, pairs, dead, words)
    batches = tuple(_make_batch(c, group, points, row, pairs.cap)
                    for group in _pack(specs, c.n, words))
    model = ChunkModel(
        plan=make_plan(c, nodes), cap_rows=row[caps], nation_order=nation_order,
        nation_starts=nation_starts, rand_rows=rand_rows,
        rand_p=c.disruption_prob[nodes][rand_rows], n_sparse=n_sparse, batches=batches,
        n_pairs=len(pairs.cap), pair_cap=pairs.cap, sure_slots=np.flatnonzero(sure),
        base_up_slots=np.flatnonzero(base_up),
        x_rows=row[points[pairs.point]] if len(pairs.point) else pairs.point)
    return model, pairs


def _random_rows(c, nodes: np.ndarray) -> tuple[np.ndarray, int]:
    """Plan rows of the failure points that can fail (sparse first) and how many are
    sparse."""
    p = c.disruption_prob[nodes]
    random = (p > 0) & (c.kind[nodes] != CAPABILITY)
    sparse = np.flatnonzero(random & (p < DENSE_PROB))
    dense = np.flatnonzero(random & (p >= DENSE_PROB))
    return np.r_[sparse, dense].astype(np.int64), len(sparse)


def _nation_groups(network: SupplyNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Capability positions grouped by nation (sorted ids) and where each group starts."""
    cap_nation = network.capabilities["nation_id"].to_numpy(dtype=object)
    codes, uniques = pd.factorize(pd.Series(cap_nation), sort=True)
    order = np.argsort(codes, kind="stable")
    starts = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]]
    return order, starts.astype(np.int64)


def _importance_pairs(c, points: np.ndarray, need: np.ndarray) -> Pairs:
    """Every (point, capability downstream of it), capabilities in compiled order."""
    cap_pos = np.full(c.n, -1, dtype=np.int64)
    cap_pos[c.capabilities] = np.arange(len(c.capabilities))
    pair_point, pair_cap, cones = [], [], []
    for j, x in enumerate(points.tolist()):
        cone = c.topology.descendants([x]) if need[x] else np.zeros(0, np.int64)
        cone = cone[need[cone]]
        cones.append(cone)
        cp = cap_pos[cone]
        cp = np.sort(cp[cp >= 0])
        pair_point.append(np.full(len(cp), j, dtype=np.int64))
        pair_cap.append(cp)
    point = np.concatenate(pair_point) if pair_point else np.zeros(0, np.int64)
    cap = np.concatenate(pair_cap) if pair_cap else np.zeros(0, np.int64)
    start = np.r_[0, np.cumsum(np.bincount(point, minlength=len(points)))]
    return Pairs(point=point, cap=cap, start=start, cones=cones)


def _block_specs(c, points: np.ndarray, pairs: Pairs, dead: np.ndarray, words: int
                 ) -> tuple[list[BlockSpec], np.ndarray, np.ndarray]:
    """The forced blocks of every point, and the pairs needing none: ``sure`` (the
    capability falls with the point alone) and ``base_up`` (the point never fails)."""
    caps = c.capabilities
    sure = np.zeros(len(pairs.cap), dtype=bool)
    base_up = np.zeros(len(pairs.cap), dtype=bool)
    specs = []
    for j, (x, cone) in enumerate(zip(points.tolist(), pairs.cones)):
        slots = np.arange(pairs.start[j], pairs.start[j + 1])
        if not len(slots):
            continue
        is_dead = dead[j, caps[pairs.cap[slots]]]
        sure[slots[is_dead]] = True
        live = cone[~dead[j, cone]]
        # dead members of live nodes are read, forced down, rather than evaluated
        killed = _as_set(_members(c, live), c.n)
        killed = killed[dead[j, killed]]
        if len(live) and not is_dead.all():
            specs.append(BlockSpec(j, False, _as_set(np.r_[live, killed], c.n), killed,
                                   slots[~is_dead], 1.0))
        if c.disruption_prob[x] > 0:
            # forced up runs on the trials where x failed: about p of them, with room
            share = min(1.0, 1.5 * c.disruption_prob[x] + 1 / max(words, 1))
            specs.append(BlockSpec(j, True, cone, np.array([x]), slots, share))
        else:
            base_up[slots] = True
    return specs, sure, base_up


def _pack(specs: list[BlockSpec], n: int, words: int) -> list[list[BlockSpec]]:
    """Consecutive specs grouped so that (union of nodes) × (columns) stays within
    :data:`BATCH_WORDS` (a spec alone may exceed it)."""
    groups: list[list[BlockSpec]] = []
    group: list[BlockSpec] = []
    in_union = np.zeros(n, dtype=bool)
    size = 0
    width = 0.0
    for spec in specs:
        grown = size + int((~in_union[spec.nodes]).sum())
        cols = max(1.0, spec.share * words)
        if group and grown * (width + cols) > BATCH_WORDS:
            groups.append(group)
            group, width = [], 0.0
            in_union[:] = False
            grown = len(spec.nodes)
        group.append(spec)
        width += cols
        in_union[spec.nodes] = True
        size = grown
    if group:
        groups.append(group)
    return groups


def _make_batch(c, group: list[BlockSpec], points: np.ndarray, row: np.ndarray,
                pair_cap: np.ndarray) -> Batch:
    """One plan over the union of the group's nodes, members outside it read from the
    chunk's base state."""
    union = _as_set(np.concatenate([s.nodes for s in group]), c.n)
    in_union = np.zeros(c.n, dtype=bool)
    in_union[union] = True
    is_member = np.zeros(c.n, dtype=bool)
    is_member[_members(c, union)] = True
    outside = np.flatnonzero(is_member & ~in_union)
    base_index = np.full(c.n, -1, dtype=np.int64)
    base_index[outside] = np.arange(len(outside))
    bplan = make_plan(c, union, base_index=base_index)
    brow = np.full(c.n, -1, dtype=np.int64)
    brow[bplan.nodes] = np.arange(len(bplan.nodes))
    caps = c.capabilities
    blocks = tuple(
        ForcedBlock(point=s.point, x_row=int(row[points[s.point]]), up=s.up,
                    forced=split_by_step(bplan, brow[s.forced]),
                    cap_rows=brow[caps[pair_cap[s.slots]]], cap_pos=pair_cap[s.slots],
                    slots=s.slots)
        for s in group)
    return Batch(plan=bplan, failed_rows=row[bplan.nodes], base_rows=row[outside],
                 blocks=blocks)


def _members(c, nodes: np.ndarray) -> np.ndarray:
    """Every member of every group of ``nodes`` (global indices, with repeats)."""
    groups = ranges(c.group_ptr[nodes], c.group_ptr[nodes + 1] - c.group_ptr[nodes])
    return c.member[ranges(c.member_ptr[groups],
                           c.member_ptr[groups + 1] - c.member_ptr[groups])].astype(np.int64)


def _as_set(nodes: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct node indices (a mask pass: faster than np.unique here)."""
    mask = np.zeros(n, dtype=bool)
    mask[nodes] = True
    return np.flatnonzero(mask)
