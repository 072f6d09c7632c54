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
  :func:`riskgraph.model.cones.single_failure_supply` runs single failures of many points
  (the risk register's loss) on their downstream cones only.

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


import numpy as np

from riskgraph.model.network import CompiledNetwork
from riskgraph.model.bitpacked import (COLUMN_WORDS, WORD_BITS, PropagationPlan,
                                       available_packed, full_plan, make_plan, pack_trials,
                                       popcount, release_scratch, run_plan, split_by_step,
                                       trial_mask, unpack_trials)

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
