"""The propagation kernel: push many scenarios at once through the compiled network.

Every analysis that propagates availability or supply runs through :func:`supply` (or
:func:`available`, its boolean reading). Scenarios are columns of an ``(n, B)`` array and
are pushed level by level over the flat group arrays of
:class:`~riskgraph.network.CompiledNetwork` with ``np.add.reduceat`` — no Python loop over
nodes or scenarios.

The supply rule is DESIGN §3.2: a node's supply is its capacity factor times the minimum
over its requirement groups, a group giving ``min(1, sum(weight * a(member)))``, or 0 when
fewer than ``k`` of its members have supply above 0. With factors of 0 and 1 a node has
supply above 0 exactly when it is available under the boolean rules of §3.1.
"""

from __future__ import annotations

import numpy as np

from riskgraph.network import CompiledNetwork

__all__ = ["supply", "available", "baseline_supply", "capacity_matrix"]


def capacity_matrix(compiled: CompiledNetwork, batch: int) -> np.ndarray:
    """An ``(n, batch)`` array of ones: every node at full capacity."""
    return np.ones((compiled.n, batch), dtype=np.float64)


def supply(compiled: CompiledNetwork, capacity: np.ndarray | None = None) -> np.ndarray:
    """Supply fraction a(x) of every node under each scenario (DESIGN §3.2).

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
    """Boolean availability (DESIGN §3.1) under failure masks.

    Parameters
    ----------
    failed
        ``(n,)`` or ``(n, B)`` booleans, True where a failure point fails.

    Returns
    -------
    numpy.ndarray
        Booleans of the same shape: True where the node is up.
    """
    failed = np.asarray(failed, dtype=bool)
    return supply(compiled, (~failed).astype(np.float64)) > 0


def baseline_supply(compiled: CompiledNetwork) -> np.ndarray:
    """Supply of every node with nothing failed (below 1 where shares sum below 1)."""
    return supply(compiled)
