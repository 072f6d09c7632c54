"""The mitigation MILPs (SciPy's HiGHS) with cuts found by exact verification.

The master problem knows, per target, only the actions that *can* matter (a superset). It
is solved, its plan is verified by the exact engine, and every target the plan claims but
does not meet gets a cut "some relevant action outside this plan" (valid because meeting a
target is monotone in the actions). The loop ends when the master's plan verifies: then it
is optimal. Each master is a relaxation of the true problem, so its bound is a valid bound
of the true optimum whenever the time limit stops the loop (docs/design.md §4.10).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, vstack

__all__ = ["Solution", "solve_budget", "solve_cover"]


@dataclass
class Solution:
    chosen: list = field(default_factory=list)   # action positions
    met: np.ndarray | None = None                # per target, verified
    objective: float = float("nan")              # verified plan: cost (cover) / value
    bound: float = float("nan")                  # best bound of the true optimum
    lp_bound: float = float("nan")               # LP relaxation of the last master
    status: str = "optimal"                      # optimal | time_limit | greedy
    iterations: int = 0
    cuts: int = 0


def _rows(sets: list[np.ndarray], n_cols: int, extra: list[int] | None = None,
          sign: float = 1.0) -> csr_matrix:
    """One row per set: ``sign`` on its columns (and +1 on column ``extra[i]``)."""
    indptr, indices, data = [0], [], []
    for i, s in enumerate(sets):
        indices.extend(s.tolist())
        data.extend([sign] * len(s))
        if extra is not None:
            indices.append(extra[i])
            data.append(1.0)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(sets), n_cols))


def _milp(c, A, lo, hi, integral: bool, time_limit: float, n_int: int | None = None):
    cons = [LinearConstraint(A, lo, hi)] if A.shape[0] else None
    integrality = np.zeros(len(c))
    if integral:
        integrality[: (len(c) if n_int is None else n_int)] = 1
    return milp(c, integrality=integrality, bounds=Bounds(0, 1), constraints=cons,
                options={"time_limit": max(time_limit, 0.05), "disp": False})


def _picked(x, n: int) -> list[int]:
    return [] if x is None else np.flatnonzero(np.asarray(x[:n]) > 0.5).tolist()


def solve_cover(cost: np.ndarray, relevant: list, met_fn, time_limit: float) -> Solution:
    """Cheapest set of actions meeting every target (all must be meetable).

    Size: the cut loop and its time-limit exit read best as one piece.
    """
    deadline = time.monotonic() + time_limit
    n = len(cost)
    rows = [np.asarray(r, dtype=np.int64) for r in relevant]
    # the first incumbent: every action relevant to some target (meets them all: actions
    # outside every relevant set change no target)
    sol = Solution(chosen=sorted(set().union(*(r.tolist() for r in rows))))
    sol.met = met_fn(sol.chosen)
    sol.objective = float(cost[sol.chosen].sum())
    bound = 0.0
    while True:
        sol.iterations += 1
        A = _rows(rows, n)
        res = _milp(cost, A, 1.0, np.inf, True, deadline - time.monotonic())
        if res.x is None:
            sol.status = "time_limit"
            break
        bound = max(bound, float(getattr(res, "mip_dual_bound", res.fun) or 0.0))
        S = _picked(res.x, n)
        met = met_fn(S)
        if met.all():
            if cost[S].sum() <= sol.objective:
                sol.chosen, sol.met, sol.objective = S, met, float(cost[S].sum())
            if res.status == 0:
                bound = sol.objective
                sol.status = "optimal"
            else:
                sol.status = "time_limit"
            break
        inside = np.zeros(n, dtype=bool)
        inside[S] = True
        for t in np.flatnonzero(~met):
            rows.append(rows[t][~inside[rows[t]]])
            sol.cuts += 1
        if time.monotonic() >= deadline:
            sol.status = "time_limit"
            greedy = _repair(S, cost, relevant, met, met_fn, deadline)
            if greedy is not None and cost[greedy[0]].sum() < sol.objective:
                sol.chosen, sol.met = greedy
                sol.objective = float(cost[sol.chosen].sum())
                sol.status = "greedy"
            break
    sol.bound = min(bound, sol.objective)
    lp = _milp(cost, _rows(rows, n), 1.0, np.inf, False, 10.0)
    sol.lp_bound = float(lp.fun) if lp.x is not None else float("nan")
    return sol


def _repair(S, cost, relevant, met, met_fn, deadline, rounds: int = 50):
    """Greedy completion of an unverified plan: add the cheapest relevant action outside it
    for each target still unmet, verify, repeat (bounded by ``rounds``)."""
    S = set(S)
    for _ in range(rounds):
        if met.all():
            return sorted(S), met
        for t in np.flatnonzero(~met):
            out = [a for a in relevant[t].tolist() if a not in S]
            if out:
                S.add(min(out, key=lambda a: (cost[a], a)))
        met = met_fn(sorted(S))
    return (sorted(S), met) if met.all() else None


def solve_budget(cost: np.ndarray, weight: np.ndarray, relevant: list, budget: float,
                 met_fn, time_limit: float) -> Solution:
    """Most target weight met with total cost at most ``budget``.

    Size: the cut loop and its time-limit exit read best as one piece.
    """
    deadline = time.monotonic() + time_limit
    n, T = len(cost), len(relevant)
    links = [(t, np.asarray(r, dtype=np.int64)) for t, r in enumerate(relevant)]
    c = np.r_[np.zeros(n), -np.asarray(weight, dtype=float)]
    sol = Solution(chosen=[], objective=0.0)
    sol.met = met_fn([])
    best_bound = float(weight.sum())
    while True:
        sol.iterations += 1
        A, lo, hi = _budget_rows(links, cost, n, T, budget)
        res = _milp(c, A, lo, hi, True, deadline - time.monotonic(), n_int=n)
        if res.x is None:
            sol.status = "time_limit"
            break
        best_bound = min(best_bound, -float(getattr(res, "mip_dual_bound", res.fun)
                                            if res.status != 0 else res.fun))
        S = _picked(res.x, n)
        met = met_fn(S)
        value = float(weight[met].sum())
        if value >= sol.objective:
            sol.chosen, sol.met, sol.objective = S, met, value
        claimed = np.asarray(res.x[n:]) > 0.5
        wrong = np.flatnonzero(claimed & ~met)
        if not len(wrong):
            sol.status = "optimal" if res.status == 0 else "time_limit"
            if res.status == 0:
                best_bound = -float(res.fun)
            break
        inside = np.zeros(n, dtype=bool)
        inside[S] = True
        for t in wrong:
            links.append((t, relevant[t][~inside[relevant[t]]]))
            sol.cuts += 1
        if time.monotonic() >= deadline:
            sol.status = "time_limit"
            break
    sol.bound = max(best_bound, sol.objective)
    A, lo, hi = _budget_rows(links, cost, n, T, budget)
    lp = _milp(c, A, lo, hi, False, 10.0)
    sol.lp_bound = -float(lp.fun) if lp.x is not None else float("nan")
    return sol


def _budget_rows(links, cost, n: int, T: int, budget: float):
    """Budget row, then z_t - sum(y over the link's actions) <= 0 per link."""
    link_rows = _rows([s for _, s in links], n + T, extra=[n + t for t, _ in links],
                      sign=-1.0)
    budget_row = csr_matrix(np.r_[cost, np.zeros(T)][None, :])
    A = vstack([budget_row, link_rows]).tocsr()
    lo = np.r_[-np.inf, np.full(len(links), -np.inf)]
    hi = np.r_[budget, np.zeros(len(links))]
    return A, lo, hi
