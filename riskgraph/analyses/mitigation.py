"""Mitigation plans: the cheapest candidate actions that meet a goal, verified
(docs/design.md §4.10).

Goals:

- ``spof``: no single point of failure of the chosen kinds (default suppliers; nations,
  components) for the chosen capabilities (default all);
- ``survive``: every chosen capability loses no day (time to impact beyond the outage)
  under each given scenario;
- ``budget``: the most (capability, SPOF) pairs of the chosen kinds broken for a total
  cost at most ``budget``.

The plan is found by a MILP on HiGHS with cuts from exact verification
(:mod:`riskgraph.analyses._mit_solve`) and is reported ``verified`` only when the goal
holds on the mitigated network, re-analysed from scratch.

Examples
--------
>>> from riskgraph import load_network
>>> net = load_network("data/allied-defence")
>>> res = plan_mitigation(net, capabilities=["capability:POL/F-35A"])
>>> res.status, res.verified
('optimal', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskgraph.analyses._mit_engine import Engine
from riskgraph.analyses._mit_solve import Solution, solve_budget, solve_cover
from riskgraph.errors import UsageError
from riskgraph.model.network import SupplyNetwork

__all__ = ["GOALS", "SPOF_KINDS", "MitigationResult", "plan_mitigation"]

GOALS = ("spof", "survive", "budget")
SPOF_KINDS = ("supplier", "nation", "component")
#: Default time limit of one plan, in seconds.
DEFAULT_TIME_LIMIT = 60.0


@dataclass
class MitigationResult:
    """A verified (or not) plan: the chosen actions, what they remove, what is left."""

    goal: str
    plan: pd.DataFrame
    residual: pd.DataFrame
    summary: dict
    unbreakable: pd.DataFrame
    engine: Engine = field(repr=False)
    chosen: list = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return bool(self.summary["verified"])

    @property
    def status(self) -> str:
        return str(self.summary["status"])

    def mitigated_package(self):
        """The package with the plan's actions applied (write it with write_package)."""
        return self.engine.mitigated(self.chosen, whole=True).package

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"mitigation_plan.csv": self.plan, "residual_risk.csv": self.residual,
                "mitigation_summary.csv": pd.DataFrame([self.summary])}

    def comparison(self) -> pd.DataFrame:
        """Before and after, per capability with at least one target: ``before`` (targets:
        SPOFs of the goal's kinds, or scenarios losing days), ``after`` (of those, left on
        the mitigated network), ``removed``, and ``other_left`` (SPOFs of other kinds left;
        0 for goal survive).

        >>> from riskgraph import load_network
        >>> res = plan_mitigation(load_network("data/allied-defence"),
        ...                       capabilities=["capability:POL/F-35A"])
        >>> res.comparison()[["before", "after", "removed"]].to_dict("records")
        [{'before': 12, 'after': 0, 'removed': 12}]
        """
        t = self.engine.targets
        before = pd.Series(t.capability).value_counts()
        left = self.residual[self.residual["in_goal"]]["capability"].value_counts()
        other = self.residual[~self.residual["in_goal"]]["capability"].value_counts()
        caps = self.engine.network.capabilities.reindex(sorted(before.index))
        out = pd.DataFrame({"nation_id": caps["nation_id"], "platform_id": caps["platform_id"],
                            "name": caps["name"]}, index=caps.index)
        out["before"] = before.reindex(caps.index).fillna(0).astype(int)
        out["after"] = left.reindex(caps.index).fillna(0).astype(int)
        out["removed"] = out["before"] - out["after"]
        out["other_left"] = other.reindex(caps.index).fillna(0).astype(int)
        out.index.name = "capability"
        return out


def _check(network, actions, goal, capabilities, kinds, scenarios, budget, time_limit):
    if goal not in GOALS:
        raise UsageError(f"unknown goal {goal!r}; valid: {', '.join(GOALS)}")
    bad = [k for k in kinds if k not in SPOF_KINDS]
    if bad or not kinds:
        raise UsageError(f"unknown SPOF kind(s) {bad}; valid: {', '.join(SPOF_KINDS)}")
    if actions is None or not len(actions):
        raise UsageError("no candidate actions: the package has no mitigations.csv rows")
    if goal == "survive" and not scenarios:
        raise UsageError("goal survive needs scenarios")
    if goal == "budget" and (budget is None or not budget >= 0):
        raise UsageError(f"goal budget needs a budget >= 0, got {budget!r}")
    if not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise UsageError(f"time limit must be a number of seconds > 0, got {time_limit!r}")
    for cap in capabilities or ():
        if cap not in network.compiled.index or not cap.startswith("capability:"):
            raise UsageError(f"unknown capability {cap!r}; write capability:NATION/PLATFORM")


def plan_mitigation(network: SupplyNetwork, actions: pd.DataFrame | None = None, *,
                    goal: str = "spof", capabilities=None, kinds=("supplier",),
                    scenarios=(), budget: float | None = None, weights=None,
                    time_limit: float = DEFAULT_TIME_LIMIT) -> MitigationResult:
    """The cheapest verified plan for a goal (or the best within a budget).

    Parameters
    ----------
    network
        The supply network (its package's ``mitigations`` table holds the candidates
        unless ``actions`` is given, indexed by ``action_id``).
    goal
        ``spof``, ``survive`` or ``budget`` (see the module docstring).
    capabilities
        Typed capability ids (default: every capability).
    kinds
        SPOF kinds to remove (``supplier``, ``nation``, ``component``).
    scenarios
        :class:`~riskgraph.model.scenario.Scenario` objects (goal ``survive``).
    budget
        Largest total cost (goal ``budget``).
    weights
        Goal ``budget``: weight of each capability's pairs, a mapping typed capability id
        -> weight >= 0 (default 1 each); ``"quantity"`` weighs by fielded quantity.
    time_limit
        Seconds for the whole solve; past it the best verified plan found is reported
        with its gap (status ``time_limit`` or ``greedy``).
    """
    import time

    start = time.monotonic()
    if actions is None:
        actions = getattr(network.package, "mitigations", None)
    kinds = tuple(kinds)
    _check(network, actions, goal, capabilities, kinds, scenarios, budget, time_limit)
    engine = Engine(network, actions, goal="survive" if goal == "survive" else "spof",
                    capabilities=capabilities, kinds=kinds, scenarios=scenarios)
    T = len(engine.targets)
    cost = actions["cost"].to_numpy(dtype=float)
    every = engine.met(range(len(actions))) if T else np.zeros(0, bool)
    ok = np.flatnonzero(every)
    relevant = [engine.relevant[t] for t in ok]

    def met_fn(chosen):
        return engine.met(chosen)[ok] if len(ok) else np.zeros(0, bool)

    # the limit counts from the call: finding targets and the all-actions check included
    time_limit = max(0.05, time_limit - (time.monotonic() - start))

    if goal == "budget":
        w = _weights(network, weights, engine.targets.capability)[ok]
        sol = solve_budget(cost, w, relevant, float(budget), met_fn,
                           time_limit) if len(ok) else Solution(objective=0.0, bound=0.0,
                                                                lp_bound=0.0)
    else:
        sol = solve_cover(cost, relevant, met_fn, time_limit) if len(ok) else \
            Solution(objective=0.0, bound=0.0, lp_bound=0.0)
    met = np.zeros(T, dtype=bool)
    met[ok] = sol.met if sol.met is not None else False
    return _result(goal, engine, actions, sol, met, every, budget)


def _weights(network: SupplyNetwork, weights, caps: list) -> np.ndarray:
    if weights is None:
        return np.ones(len(caps))
    if isinstance(weights, str):
        if weights != "quantity":
            raise UsageError(f"unknown weights {weights!r}; valid: quantity or a mapping")
        f = network.package.fielding
        weights = dict(zip("capability:" + f["nation_id"] + "/" + f["platform_id"],
                           f["quantity"].fillna(1.0)))
    out = np.array([float(weights.get(c, 1.0)) for c in caps])
    if not (np.isfinite(out).all() and (out >= 0).all()):
        raise UsageError("weights must be finite numbers >= 0")
    return out


def _gap(goal: str, sol: Solution) -> float:
    if goal == "budget":
        return 0.0 if sol.bound <= 0 else max(0.0, (sol.bound - sol.objective) / sol.bound)
    return 0.0 if sol.objective <= 0 else max(0.0, (sol.objective - sol.bound) / sol.objective)


def _result(goal, engine: Engine, actions, sol: Solution, met, every, budget
            ) -> MitigationResult:
    t = engine.targets
    chosen = sorted(sol.chosen)
    other = "scenario" if engine.goal == "survive" else "failure_point"
    targets = pd.DataFrame({"capability": t.capability, other: t.other})
    unbreakable = targets[~every].reset_index(drop=True)
    holds = bool(met.all()) if goal != "budget" else True
    summary = {
        "goal": goal, "status": sol.status, "feasible": bool(every.all()),
        "verified": holds and sol.met is not None, "actions": len(chosen),
        "cost": float(actions["cost"].to_numpy(dtype=float)[chosen].sum()),
        "objective": sol.objective, "bound": sol.bound, "lp_bound": sol.lp_bound,
        "gap": _gap(goal, sol), "targets": len(t), "targets_met": int(met.sum()),
        "unbreakable": int((~every).sum()), "iterations": sol.iterations,
        "cuts": sol.cuts, "checks": engine.checks,
        "budget": float(budget) if budget is not None else None,
    }
    plan = _plan_table(engine, actions, chosen, met)
    why = pd.Series(np.where(~every, "no candidate action can remove it",
                             "not in the plan" if goal == "budget" else "time limit"),
                    index=pd.MultiIndex.from_arrays([t.capability, t.other]))
    residual = _residual(engine, chosen, why)
    return MitigationResult(goal, plan, residual, summary, unbreakable, engine, chosen)


def _residual(engine: Engine, chosen: list, why: pd.Series) -> pd.DataFrame:
    """What still breaks on the mitigated network, re-analysed: every non-trivial SPOF of
    the chosen capabilities (goals spof, budget) or every (scenario, capability) still
    losing days (goal survive), with whether the goal covers it and why it is left."""
    net = engine.mitigated(chosen)
    wanted = set(engine.capabilities)
    if engine.goal == "survive":
        from riskgraph.analyses.whatif import run_scenarios

        table = run_scenarios(net, engine.scenarios).tables()["whatif_capabilities.csv"]
        table.insert(0, "capability", "capability:" + table["nation_id"].astype(str) + "/"
                     + table["platform_id"].astype(str))
        left = table[table["capability"].isin(wanted) & (table["days_lost"].fillna(0) > 0)]
        left = left[["capability", "scenario", "time_to_impact_days", "days_lost"]].copy()
        left["in_goal"] = True
        keys = list(zip(left["capability"], left["scenario"]))
    else:
        from riskgraph.analyses.spof import single_points_of_failure

        spof = single_points_of_failure(net).reset_index()
        left = spof[spof["capability"].isin(wanted) & ~spof["trivial"]]
        left = left[["capability", "failure_point", "kind", "name"]].copy()
        left["in_goal"] = left["kind"].isin(engine.kinds).to_numpy()
        keys = list(zip(left["capability"], left["failure_point"]))
    reason = [why.get(k, "kind not in the goal") if goal else "kind not in the goal"
              for k, goal in zip(keys, left["in_goal"])]
    left["reason"] = reason
    return left.reset_index(drop=True)


def _plan_table(engine: Engine, actions: pd.DataFrame, chosen: list, met,
                exact_seconds: float = 10.0) -> pd.DataFrame:
    """One row per chosen action: what it is, its cost, and the targets it removes.

    A target is credited to each chosen action without which the plan no longer meets it
    (re-verified once per action, when that should take at most ``exact_seconds`` of CPU
    at the verifications' pace so far); a target no single action is indispensable for
    (met twice over), and every target when re-verifying would take longer, is credited
    to every chosen action that can change it.
    """
    t = engine.targets
    credit: dict[int, set] = {a: set() for a in chosen}
    pace = engine.check_seconds / max(engine.checks, 1)
    if len(chosen) * pace <= exact_seconds and met.any():
        for a in chosen:
            credit[a] = set(np.flatnonzero(met & ~engine.met([b for b in chosen if b != a]))
                            .tolist())
    owned = set().union(*credit.values()) if credit else set()
    inside = set(chosen)
    for i in np.flatnonzero(met).tolist():
        if i not in owned:
            for a in engine.relevant[i].tolist():
                if a in inside:
                    credit[a].add(i)
    cols = [c for c in ("kind", "component_id", "supplier_id", "share", "stock_days",
                        "parent_id", "substitute_group", "cost", "lead_time_days",
                        "description") if c in actions.columns]
    plan = actions.iloc[chosen][cols].reset_index()
    plan["removes_count"] = [len(credit[a]) for a in chosen]
    plan["removes"] = ["; ".join(f"{t.capability[i].split(':', 1)[1]} {t.other[i]}"
                                 for i in sorted(credit[a])) for a in chosen]
    return plan
