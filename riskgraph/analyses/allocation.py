"""Allocation in a shortage: who gets the reduced supply (docs/design.md §4.11).

For one scenario, each component's available supply (its sourcing's supply fraction in the
scenario, §3.2, times the alliance's full demand for it through the BOM quantities) is
shared among the capabilities by a linear program (:mod:`riskgraph.analyses._alloc_lp`):
``weighted`` maximises fielded capability (the sum of fielded quantity), ``maxmin`` first
maximises the worst-off nation's share. Both sit beside the proportional reading of §3.2,
where every capability of a platform gets the platform's supply fraction. With stock, the
days each capability lasts under each allocation (time to survive).

Examples
--------
>>> from riskgraph import load_network
>>> from riskgraph.model.scenario import Scenario
>>> net = load_network("tests/fixtures/worked")
>>> res = allocate(net, Scenario("S_B2 out", fail=["supplier:S_B2"]))
>>> caps = res.summary[res.summary["level"] == "capability"].set_index("platform_id")
>>> caps.loc[["P1", "P2"], ["quantity", "proportional", "optimal"]]
... # doctest: +NORMALIZE_WHITESPACE
             quantity  proportional  optimal
platform_id
P1               10.0           0.6      0.5
P2                5.0           0.6      1.0

B is cut to 60 % of its demand of 25 (P1 needs 2 a unit through C, P2 one): 15 units.
Proportionally both get 0.6 (9 units fielded); the LP gives P2, which needs less B
per unit, all it needs and P1 the rest (10 units fielded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskgraph.analyses._alloc_lp import (build_lp, platform_tree, prune, solve_maxmin,
                                          solve_weighted)
from riskgraph.errors import UsageError
from riskgraph.model.network import SupplyNetwork
from riskgraph.model.scenario import Scenario

__all__ = ["AllocationResult", "OBJECTIVES", "allocate"]

OBJECTIVES = ("weighted", "maxmin")
_EPS = 1e-9


@dataclass
class AllocationResult:
    scenario: Scenario
    objective: str
    allocation: pd.DataFrame
    summary: pd.DataFrame
    fair_floor: float
    verified: bool = False

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"allocation.csv": self.allocation, "allocation_summary.csv": self.summary}

    def text(self) -> str:
        caps = self.summary[self.summary["level"] == "capability"]
        nat = self.summary[self.summary["level"] == "nation"]
        w = caps["quantity"]
        lines = [f"{self.scenario.name}: fielded capability (sum of quantity x fraction) "
                 f"proportional {(w * caps['proportional']).sum():,.1f}, optimal "
                 f"{(w * caps['optimal']).sum():,.1f}, fair {(w * caps['fair']).sum():,.1f}"
                 f" of {w.sum():,.0f}",
                 f"worst-off nation's share: proportional {nat['proportional'].min():.3f}, "
                 f"optimal {nat['optimal'].min():.3f}, fair {nat['fair'].min():.3f}",
                 "verified: every allocation within each component's supply; the "
                 "proportional column equals the what-if's supply" if self.verified else
                 "NOT verified: an allocation exceeds a supply or the proportional column "
                 "differs from the what-if"]
        short = caps[caps["proportional"] < 1 - _EPS].sort_values(["nation_id", "platform_id"])
        for row in short.head(12).itertuples():
            lines.append(f"    {row.nation_id}/{row.platform_id}: proportional "
                         f"{row.proportional:.3f}, optimal {row.optimal:.3f}, fair "
                         f"{row.fair:.3f}")
        return "\n".join(lines)


def _capacity(network: SupplyNetwork, s: Scenario) -> np.ndarray:
    from riskgraph.model.downtime import outage_days
    from riskgraph.model.scenario import check_scenarios

    check_scenarios(network, [s])
    c = network.compiled
    m = np.ones(c.n)
    for typed, factor in s.capacity.items():
        m[c.index[typed]] = factor
    for v in outage_days(c, s):
        m[v] = 0.0
    return m


def _sourcing_supply(network: SupplyNetwork, m: np.ndarray, a: np.ndarray) -> dict:
    """sigma(v): the component's own sourcing term of §3.2 times its capacity factor (its
    BOM is the LP's business); m(v) for a component made in-house."""
    pkg, c = network.package, network.compiled
    src = pkg.sourcing
    sup_a = np.array([a[c.index[f"supplier:{s}"]] for s in src["supplier_id"]])
    frame = pd.DataFrame({"comp": src["component_id"].to_numpy(),
                          "w": src["share"].to_numpy(dtype=float) * sup_a,
                          "up": sup_a > 0})
    agg = frame.groupby("comp").agg(total=("w", "sum"), up=("up", "sum"))
    k = pkg.components["min_sources"].reindex(agg.index).to_numpy()
    s_term = np.where(agg["up"].to_numpy() >= k, np.minimum(1.0, agg["total"].to_numpy()), 0.0)
    sigma = {comp: m[c.index[f"component:{comp}"]] for comp in pkg.components.index}
    for comp, value in zip(agg.index, s_term):
        sigma[comp] *= value
    return sigma


def _children(bom: pd.DataFrame) -> dict:
    groups = bom["substitute_group"].fillna("").astype(str)
    out: dict = {}
    for p, ch, q, g in zip(bom["parent_id"], bom["child_id"], bom["quantity"], groups):
        out.setdefault(p, []).append((ch, float(q), g))
    return out


def allocate(network: SupplyNetwork, scenario: Scenario, *, objective: str = "weighted"
             ) -> AllocationResult:
    """Share a scenario's reduced supply among the capabilities.

    Parameters
    ----------
    network
        The supply network.
    scenario
        The scenario (failed points, capacity factors, days, horizon).
    objective
        ``weighted`` (most fielded capability, weights = fielding quantity, 1 where empty)
        or ``maxmin`` (the worst-off nation's share first); the allocation written to
        ``allocation.csv`` as ``optimal``. The summary shows both.
    """
    from riskgraph.model.propagation import supply

    if objective not in OBJECTIVES:
        raise UsageError(f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
    m = _capacity(network, scenario)
    c = network.compiled
    a = supply(c, np.c_[np.ones(c.n), m])
    sigma = _sourcing_supply(network, m, a[:, 1])
    caps = network.capabilities.reindex(c.ids[c.capabilities])
    fielding = network.package.fielding
    qty = pd.Series(fielding["quantity"].to_numpy(dtype=float),
                    index="capability:" + fielding["nation_id"] + "/" + fielding["platform_id"])
    quantity = qty.reindex(caps.index).fillna(1.0).to_numpy()
    children = _children(network.package.bom)
    trees = {p: platform_tree(p, children) for p in caps["platform_id"].unique()}
    demand: dict = {}
    for p, q in zip(caps["platform_id"], quantity):
        for comp, u in zip(trees[p].nodes, trees[p].units):
            demand[comp] = demand.get(comp, 0.0) + q * u
    cut = {comp for comp, v in sigma.items() if v < 1.0}
    pruned = {p: prune(t, cut) for p, t in trees.items()}
    in_lp = np.flatnonzero([pruned[p] is not None for p in caps["platform_id"]])
    lp = build_lp([(caps["platform_id"].iat[i],) for i in in_lp], pruned, quantity[in_lp],
                  sigma, demand)
    f_w, f_f = np.ones(len(caps)), np.ones(len(caps))
    floor = 1.0
    if len(in_lp):
        x_w = _snap(solve_weighted(lp, quantity[in_lp]))
        x_f, floor = solve_maxmin(lp, quantity, caps["nation_id"].to_numpy(), in_lp)
        x_f = _snap(x_f)
        f_w[in_lp], f_f[in_lp] = x_w[lp.f_index], x_f[lp.f_index]
    prop = np.array([a[c.index[k], 1] for k in caps.index])
    chosen = None if not len(in_lp) else x_w if objective == "weighted" else x_f
    alloc = _allocation_table(scenario, caps, pruned, lp, in_lp, quantity, sigma, chosen,
                              prop)
    summary = _summary_table(network, scenario, caps, trees, quantity, sigma, prop, f_w, f_f)
    ok = len(in_lp) == 0 or (_within_supply(lp, x_w) and _within_supply(lp, x_f))
    ok = ok and _matches_whatif(network, scenario, caps, prop)
    return AllocationResult(scenario, objective, alloc, summary, floor, ok)


def _within_supply(lp, x: np.ndarray) -> bool:
    """Every cut component's deliveries fit its supply (the LP's rows, re-evaluated)."""
    rows = np.fromiter(lp.cap_rows.values(), dtype=np.int64, count=len(lp.cap_rows))
    if not len(rows):
        return True
    used = lp.A_ub[rows] @ x
    return bool((used <= lp.b_ub[rows] * (1 + 1e-7) + 1e-7).all())


def _matches_whatif(network, scenario, caps, prop) -> bool:
    """The proportional column is the what-if's supply (§4.6), re-run independently."""
    from riskgraph.analyses.whatif import run_scenario

    w = run_scenario(network, scenario).capabilities.reindex(caps.index)
    expect = (w["supply_fraction"] * w["baseline_supply_fraction"]).to_numpy(dtype=float)
    return bool(np.allclose(expect, prop, atol=1e-9))


def _snap(x: np.ndarray) -> np.ndarray:
    """LP noise off: values within 1e-9 of 0 (or of 1 for fractions) snapped, none negative."""
    x = np.maximum(x, 0.0)
    x[x < _EPS] = 0.0
    x[np.abs(x - 1.0) < _EPS] = 1.0
    return x


def _allocation_table(s, caps, pruned, lp, in_lp, quantity, sigma, x, prop) -> pd.DataFrame:
    """Component x capability rows for the components whose supply the scenario cuts and
    that constrain the capability (a cut member of a group with an uncut one does not)."""
    rows = []
    fielded = {}  # per platform: units fielded in the LP, to split its flows
    for li, ci in enumerate(in_lp.tolist()):
        p = caps["platform_id"].iat[ci]
        fielded[p] = fielded.get(p, 0.0) + quantity[ci] * x[lp.f_index[li]]
    for li, ci in enumerate(in_lp.tolist()):
        row = caps.iloc[ci]
        t = pruned[row["platform_id"]]
        total = fielded[row["platform_id"]]
        share = quantity[ci] * x[lp.f_index[li]] / total if total > 0 else 0.0
        for k, comp in enumerate(t.nodes):
            if sigma.get(comp, 1.0) >= 1 - _EPS:
                continue
            need = quantity[ci] * t.units[k]
            got = share * x[lp.p_index[row["platform_id"]][k]]
            rows.append((s.name, row["nation_id"], row["platform_id"], comp, need, got,
                         got / need if need > 0 else 0.0, need * prop[ci],
                         prop[ci], sigma.get(comp, 1.0)))
    cols = ["scenario", "nation_id", "platform_id", "component_id", "need", "allocated",
            "fraction", "allocated_proportional", "fraction_proportional",
            "component_supply_fraction"]
    return pd.DataFrame(rows, columns=cols)


def _buffer_days(tree, stock: dict, short: np.ndarray) -> float:
    """Least stock on any BOM path from a short component up to the platform (stock adds
    up along a path, §3.3); inf when nothing in the tree is short."""
    best = np.full(len(tree.nodes), np.inf)
    best[0] = stock.get(tree.nodes[0], 0.0)
    parents: dict = {}
    for u, w, _, _ in tree.edges:
        parents.setdefault(w, []).append(u)
    changed = True  # relax to a fixed point (a DAG: at most depth rounds)
    while changed:
        changed = False
        for w, us in parents.items():
            v = min(best[u] for u in us) + stock.get(tree.nodes[w], 0.0)
            if v < best[w]:
                best[w], changed = v, True
    return float(best[short].min()) if short.any() else np.inf


def _survival(days_buffer: float, f: float, horizon: float) -> float:
    """Days the capability lasts at fielded fraction f with ``days_buffer`` of stock:
    the buffer drains at (1 - f) of demand a day; the horizon when it outlasts it."""
    if f >= 1 - _EPS or not np.isfinite(days_buffer):
        return horizon
    return min(horizon, days_buffer / (1.0 - f))


def _summary_table(network, s, caps, trees, quantity, sigma, prop, f_w, f_f) -> pd.DataFrame:
    stock = network.package.components["stock_days"].to_dict()
    rows = []
    buffers: dict = {}  # per platform, computed only where some fraction falls short
    for ci, (cap, row) in enumerate(caps.iterrows()):
        t = trees[row["platform_id"]]
        if min(prop[ci], f_w[ci], f_f[ci]) >= 1 - _EPS:
            buf = np.inf
        elif row["platform_id"] in buffers:
            buf = buffers[row["platform_id"]]
        else:
            short = np.array([sigma.get(comp, 1.0) < 1 - _EPS for comp in t.nodes])
            buf = buffers[row["platform_id"]] = _buffer_days(t, stock, short)
        rows.append(("capability", s.name, row["nation_id"], row["platform_id"],
                     quantity[ci], prop[ci], f_w[ci], f_f[ci],
                     *(_survival(buf, f, s.horizon_days) for f in (prop[ci], f_w[ci], f_f[ci]))))
    cols = ["level", "scenario", "nation_id", "platform_id", "quantity", "proportional",
            "optimal", "fair", "days_survived_proportional", "days_survived_optimal",
            "days_survived_fair"]
    table = pd.DataFrame(rows, columns=cols)
    nat = []
    for n, grp in table.groupby("nation_id", sort=True):
        q = grp["quantity"]
        nat.append(("nation", s.name, n, "", q.sum(),
                    *((q * grp[k]).sum() / q.sum() for k in ("proportional", "optimal", "fair")),
                    *(grp[k].min() for k in cols[-3:])))
    return pd.concat([table, pd.DataFrame(nat, columns=cols)], ignore_index=True)
