"""The allocation LP of docs/design.md §4.11, built from the BOM with its quantities.

Per platform P: ``p[v]`` units of component v delivered to P's fielders, ``r[e]`` units
along BOM edge e (parent u needs q of child w); per capability c (fielded quantity Q_c) its
fielded fraction f_c, with ``sum(Q_c f_c) <= p[P]``. A plain edge needs ``r = q p[u]``; a
substitute group needs ``sum(r_m / q_m) >= p[u]`` over its members; a component delivers
what its parents draw, ``p[w] >= sum(r into w)``; and every component's deliveries, summed
over platforms, stay within its available supply ``sigma_v * D_v`` (its sourcing's supply
fraction in the scenario times its full demand). A platform's flows split among its
fielders in proportion to Q_c f_c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

__all__ = ["Tree", "AllocationLP", "platform_tree", "prune", "build_lp", "solve_weighted",
           "solve_maxmin"]


@dataclass
class Tree:
    """A platform's BOM below it: nodes (component ids, the platform first), edges
    ``(parent position, child position, quantity, group)``, and units of each node per
    platform with every substitute counted as if it alone filled its group."""

    nodes: list
    edges: list
    units: np.ndarray
    topo: list      # node positions, parents before children


def platform_tree(platform: str, children: dict) -> Tree:
    """The tree of ``platform``; ``children[u]`` is a list of ``(child, quantity, group)``."""
    order, pos, stack = [platform], {platform: 0}, [platform]
    while stack:
        u = stack.pop()
        for w, _, _ in children.get(u, ()):
            if w not in pos:
                pos[w] = len(order)
                order.append(w)
                stack.append(w)
    edges = [(pos[u], pos[w], q, g) for u in order for w, q, g in children.get(u, ())]
    # units per platform, in topological order of the BOM (parents before children)
    indeg = np.zeros(len(order), dtype=int)
    for _, w, _, _ in edges:
        indeg[w] += 1
    units = np.zeros(len(order))
    units[0] = 1.0
    out: dict[int, list] = {}
    for u, w, q, _ in edges:
        out.setdefault(u, []).append((w, q))
    ready, topo = [0], []
    while ready:
        u = ready.pop()
        topo.append(u)
        for w, q in out.get(u, ()):
            units[w] += q * units[u]
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(w)
    return Tree(order, edges, units, topo)


def prune(tree: Tree, cut: set) -> Tree | None:
    """The part of a tree the cut components can constrain, or None when they cannot
    constrain the platform at all.

    A node matters when it is cut, or a plain child matters, or every member of one of
    its substitute groups matters (a group with an uncut member is always met).
    """
    plain: dict[int, list] = {}
    groups: dict[tuple, list] = {}
    for k, (u, w, _, g) in enumerate(tree.edges):
        (groups.setdefault((u, g), []) if g else plain.setdefault(u, [])).append((k, w))
    by_node: dict[int, list] = {}
    for (u, _), members in groups.items():
        by_node.setdefault(u, []).append(members)
    matters = np.zeros(len(tree.nodes), dtype=bool)
    for u in reversed(tree.topo):
        matters[u] = (tree.nodes[u] in cut or any(matters[w] for _, w in plain.get(u, ()))
                      or any(all(matters[w] for _, w in m) for m in by_node.get(u, ())))
    if not matters[0]:
        return None
    keep_edges = [k for u, ws in plain.items() if matters[u] for k, w in ws if matters[w]]
    keep_edges += [k for (u, _), m in groups.items() if matters[u]
                   and all(matters[w] for _, w in m) for k, _ in m]
    reach = {0}
    for u in tree.topo:  # parents first: keep what the kept edges reach from the root
        if u in reach:
            reach.update(tree.edges[k][1] for k in keep_edges if tree.edges[k][0] == u)
    nodes = sorted(reach)
    pos = {v: i for i, v in enumerate(nodes)}
    edges = [(pos[u], pos[w], q, g) for k in sorted(keep_edges)
             for u, w, q, g in [tree.edges[k]] if u in pos]
    return Tree([tree.nodes[v] for v in nodes], edges, tree.units[nodes],
                [pos[v] for v in tree.topo if v in pos])


@dataclass
class AllocationLP:
    A_ub: object
    b_ub: np.ndarray
    n_vars: int
    f_index: np.ndarray          # per capability, the column of f_c
    p_index: dict                # per platform, the columns of its flows p[v] (tree order)
    cap_rows: dict               # component id -> row of its capacity constraint


def build_lp(caps: list, trees: dict, quantity: np.ndarray, sigma: dict,
             demand: dict) -> AllocationLP:
    """Rows ``A_ub x <= b_ub`` of the LP for capabilities ``caps`` = [(platform, ...)].

    One tree of flows per *platform* (in units, summed over its fielders) and one fielded
    fraction f_c per capability with ``sum(Q_c f_c) <= p[P]``: the tree rows are a cone, so
    any platform flow splits among its fielders in proportion to Q_c f_c, and the LP is as
    many times smaller as a platform has fielders.

    Size: one pass writing five kinds of rows; split, it would pass six arrays around.
    """
    rows, cols, vals, rhs = [], [], [], []
    platforms = list(dict.fromkeys(p for p, *_ in caps))
    f_index = np.arange(len(caps))
    col = len(caps)
    p_of: dict[str, np.ndarray] = {}
    cap_terms: dict[str, list] = {}

    def row(entries, b):
        r = len(rhs)
        for cidx, v in entries:
            rows.append(r)
            cols.append(cidx)
            vals.append(v)
        rhs.append(b)

    for platform in platforms:
        t = trees[platform]
        p = p_of[platform] = np.arange(col, col + len(t.nodes))
        col += len(t.nodes)
        r = np.arange(col, col + len(t.edges))
        col += len(t.edges)
        into: dict[int, list] = {}
        groups: dict[tuple, list] = {}
        for k, (u, w, q, g) in enumerate(t.edges):
            into.setdefault(w, []).append(r[k])
            if g:
                groups.setdefault((u, g), []).append((r[k], q))
            else:
                row([(p[u], q), (r[k], -1.0)], 0.0)          # r >= q p[u]
        for (u, _), members in groups.items():
            row([(p[u], 1.0)] + [(rk, -1.0 / q) for rk, q in members], 0.0)
        for w, rs in into.items():
            row([(rk, 1.0) for rk in rs] + [(p[w], -1.0)], 0.0)   # p[w] >= sum r
        for k, comp in enumerate(t.nodes):
            cap_terms.setdefault(comp, []).append((p[k], 1.0))
    for platform in platforms:  # what is fielded is at most what is delivered
        row([(ci, quantity[ci]) for ci, (pl, *_) in enumerate(caps) if pl == platform]
            + [(p_of[platform][0], -1.0)], 0.0)
    cap_rows = {}
    for comp, terms in cap_terms.items():
        if sigma.get(comp, 1.0) >= 1.0:
            continue  # never binding: every f <= 1 and the full demand fits
        cap_rows[comp] = len(rhs)
        row(terms, sigma.get(comp, 1.0) * demand.get(comp, 0.0))
    A = coo_matrix((vals, (rows, cols)), shape=(len(rhs), col)).tocsr()
    return AllocationLP(A, np.asarray(rhs, dtype=float), col, f_index, p_of, cap_rows)


def _bounds(lp: AllocationLP, extra: int = 0):
    ub = np.full(lp.n_vars + extra, np.inf)
    ub[lp.f_index] = 1.0
    return list(zip(np.zeros(lp.n_vars + extra), ub))


def solve_weighted(lp: AllocationLP, weight: np.ndarray, *, floor=None) -> np.ndarray:
    """Maximise sum(weight * f); ``floor = (matrix, values)`` adds ``matrix @ f >= values``.
    Returns the full solution vector."""
    c = np.zeros(lp.n_vars)
    c[lp.f_index] = -np.asarray(weight, dtype=float)
    A, b = lp.A_ub, lp.b_ub
    if floor is not None:
        from scipy.sparse import vstack

        M, values = floor
        A = vstack([A, _f_rows(lp, -M)]).tocsr()
        b = np.r_[b, -values]
    res = linprog(c, A_ub=A, b_ub=b, bounds=_bounds(lp), method="highs")
    if res.status != 0:
        raise RuntimeError(f"allocation LP failed: {res.message}")
    return res.x


def _f_rows(lp: AllocationLP, M: np.ndarray):
    """Rows over the f columns from a dense (rows x capabilities) matrix."""
    r, k = np.nonzero(M)
    return coo_matrix((M[r, k], (r, lp.f_index[k])), shape=(M.shape[0], lp.n_vars))


def solve_maxmin(lp: AllocationLP, weight: np.ndarray, groups: np.ndarray,
                 in_lp: np.ndarray) -> tuple[np.ndarray, float]:
    """Max-min fairness across groups (nations): first the largest t with every group's
    weighted share ``sum(w f) / sum(w) >= t``; then, holding every group at t, the most
    weighted capability. ``weight`` and ``groups`` cover every capability, ``in_lp`` the
    positions of those in the LP (the others are fielded whole). Returns the solution and
    t."""
    from scipy.sparse import hstack, vstack

    labels = np.unique(groups)
    full = np.zeros((len(labels), len(weight)))
    for i, g in enumerate(labels):
        mine = groups == g
        total = weight[mine].sum()
        full[i, mine] = weight[mine] / total if total > 0 else 1.0 / mine.sum()
    outside = np.ones(len(weight), dtype=bool)
    outside[in_lp] = False
    offset = full[:, outside].sum(axis=1)
    M = full[:, in_lp]
    weight = weight[in_lp]
    # variables: x, then t; rows: t - M f <= offset
    c = np.zeros(lp.n_vars + 1)
    c[-1] = -1.0
    A = vstack([hstack([lp.A_ub, coo_matrix((lp.A_ub.shape[0], 1))]),
                hstack([_f_rows(lp, -M), coo_matrix(np.ones((len(labels), 1)))])]).tocsr()
    b = np.r_[lp.b_ub, offset]
    bounds = _bounds(lp, 1)
    bounds[-1] = (0.0, 1.0)
    res = linprog(c, A_ub=A, b_ub=b, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"allocation LP failed: {res.message}")
    t = float(res.x[-1])
    x = solve_weighted(lp, weight, floor=(M, np.maximum(t - 1e-9 - offset, 0.0)))
    return x, t
