"""What-if runs: scripted disruptions, their effect and their time to impact.

The semantics are docs/design.md §4.6 and §3.3.

A batch of :class:`~riskgraph.model.scenario.Scenario` objects is run in two passes over the
compiled network, which is shared and never changed:

* **State while the failures last** (before stock is drawn down): one call of
  :func:`~riskgraph.model.propagation.available` and one of
  :func:`~riskgraph.model.propagation.supply`
  for the whole batch (baseline as an extra column), failed points at capacity 0 and
  throttled points at their factor. This gives ``up`` (§3.1) and ``supply_fraction`` (§3.2,
  relative to the baseline).
* **Time** (§3.3, exact): each failed point is down on ``[0, d)``; down sets travel through
  the graph as interval sets (:mod:`riskgraph.model.intervals`): a node is down on the union of
  its own window and its requirement groups' down sets; a k-of-n group is down on the days
  when fewer than k members are up; a component's ``stock_days`` s turns each interval
  ``[a, b)`` of its down set into ``[a + s, b)`` as seen downstream. The pass runs level
  by level in NumPy (every group of a level swept at once by
  :func:`~riskgraph.model.intervals.covered_flat`) and visits only nodes that a down node
  feeds. A capability's down set is its platform's, clipped to the horizon.
* **Exposure**: the time each capability survives a failed point *alone* (down over the
  whole horizon) needs no interval lists: every down set is then ``[t, horizon)``, and one
  scalar pass over the points' cones gives ``t`` for all the scenario's points at once.

A ``capacity`` factor of exactly 0 for a point not in ``fail`` counts as a failure for the
whole horizon; factors above 0 lower supply but never make anything "down". A point both in
``fail`` and in ``capacity`` is at 0 while the failure lasts (the state reported by ``up``
and ``supply_fraction``); its factor is kept for the record only.

``up`` and ``supply_fraction`` describe day 0, with no stock drawn down: a capability can be
not ``up`` and yet lose no day (its stock outlasts the outage). The time columns include
stock; they say whether and when it is actually lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import SupplyNetwork
from riskgraph.model.propagation import available, relative_supply, supply
from riskgraph.model.scenario import Scenario, check_scenarios
from riskgraph.model.vetoes import scenario_columns, split_scenario
from riskgraph.model.downtime import (down_set_arrays, first_down_alone, outage_days,
                                      stock_delays)

__all__ = ["WhatIfResult", "run_scenario", "run_scenarios", "compare_scenarios", "down_sets",
           "outage_margins", "CAPABILITY_COLUMNS", "NATION_COLUMNS", "EXPOSED_COLUMNS",
           "MARGIN_COLUMNS"]

CAPABILITY_COLUMNS = ("scenario", "nation_id", "platform_id", "up", "supply_fraction",
                      "loss_fraction", "time_to_impact_days", "days_lost",
                      "baseline_supply_fraction")
NATION_COLUMNS = ("scenario", "nation_id", "capabilities", "capabilities_lost", "share_lost",
                  "capabilities_impacted", "mean_loss_fraction")
EXPOSED_COLUMNS = ("scenario", "failure_point", "nation_id", "platform_id", "down_days",
                   "time_to_impact_days", "time_to_survive_days", "exposed")
MARGIN_COLUMNS = ("nation_id", "platform_id", "outage_days", "time_to_impact_days",
                  "sustained_impact_days", "margin_days", "shortest_outage_days")


@dataclass(frozen=True, eq=False)
class WhatIfResult:
    """The three tables of a what-if batch (scenarios stacked, in the order given).

    Attributes
    ----------
    capabilities
        Indexed by ``capability`` (typed id), one row per (scenario, capability):
        ``scenario``; ``nation_id``; ``platform_id``; ``up`` (available while the failures
        last, before stock is drawn down, §3.1); ``supply_fraction`` (a(c) / baseline
        a(c) in the same state, §3.2; 0 where the baseline is 0); ``loss_fraction``
        (1 − supply_fraction); ``baseline_supply_fraction`` (a(c) with nothing failed, below
        1 where shares sum below 1); ``time_to_impact_days`` (first day the capability is
        down within the horizon, stock drawn down; NaN if never); ``days_lost`` (days down
        within the horizon).
    nations
        Indexed by ``nation`` (typed id), one row per (scenario, fielding nation):
        ``capabilities`` fielded, ``capabilities_lost`` (not ``up``), ``share_lost``
        (lost / fielded), ``capabilities_impacted`` (down on some day within the horizon,
        stock included), ``mean_loss_fraction``.
    exposed
        Indexed by ``capability``, one row per (scenario, failed point, capability
        downstream of it that is down within the horizon): ``failure_point``,
        ``nation_id``, ``platform_id``, ``down_days`` (the point's outage: its ``days``, its
        recovery_days, or the horizon for a capacity of 0), ``time_to_impact_days`` (the
        capability's, in this scenario), ``time_to_survive_days`` (the capability's first
        down day if this point *alone* were down for the whole horizon; NaN when the
        capability survives it alone, e.g. it is dual-sourced, or stock outlasts the
        horizon) and ``exposed`` (down_days > time_to_impact_days: the outage outlasts
        what stock bridges in this scenario, Simchi-Levi's TTR > TTS; rows with
        ``exposed`` true and no ``time_to_survive_days`` matter only in combination).
    """

    capabilities: pd.DataFrame
    nations: pd.DataFrame
    exposed: pd.DataFrame

    # Used where a DataFrame is expected, the result is its capability table:
    # ``result["loss_fraction"]``, ``result.loc[...]``, ``len(result)``.
    def __getitem__(self, key):
        return self.capabilities[key]

    def __getattr__(self, name):
        if name.startswith("__") or name in ("capabilities", "nations", "exposed"):
            raise AttributeError(name)
        return getattr(self.capabilities, name)

    def __len__(self) -> int:
        return len(self.capabilities)

    def tables(self, compare: bool = False) -> dict[str, pd.DataFrame]:
        """The CSV tables of ``riskgraph whatif`` by file name, in the order written.

        Parameters
        ----------
        compare
            Also ``whatif_compare.csv`` (:func:`compare_scenarios`), as with ``--compare``.

        Returns
        -------
        dict
            ``whatif_capabilities.csv``, ``whatif_nations.csv``, ``whatif_exposed.csv``
            (and ``whatif_compare.csv``): the three tables (and the comparison) with their
            index dropped, since ``nation_id`` and ``platform_id`` already name each row's
            capability. The CLI and the dashboard's download both write exactly these
            (docs/design.md §5).

        Examples
        --------
        >>> from riskgraph import load_network
        >>> net = load_network("tests/fixtures/worked")
        >>> res = run_scenarios(net, [Scenario("A", fail=["supplier:S_A"])])
        >>> list(res.tables(compare=True))  # doctest: +NORMALIZE_WHITESPACE
        ['whatif_capabilities.csv', 'whatif_nations.csv', 'whatif_exposed.csv',
         'whatif_compare.csv']
        >>> list(res.tables()["whatif_capabilities.csv"].columns[:3])
        ['scenario', 'nation_id', 'platform_id']
        """
        tables = {
            "whatif_capabilities.csv": self.capabilities.reset_index(drop=True),
            "whatif_nations.csv": self.nations.reset_index(drop=True),
            "whatif_exposed.csv": self.exposed.reset_index(drop=True),
        }
        if compare:
            tables["whatif_compare.csv"] = compare_scenarios(self).reset_index(drop=True)
        return tables


def _as_scenario(item) -> Scenario:
    """A Scenario, or one built from a mapping with the TOML keys (name, fail, days, ...)."""
    from collections.abc import Mapping

    if isinstance(item, Scenario) or not isinstance(item, Mapping):
        return item
    valid = ("name", "fail", "capacity", "days", "horizon_days")
    unknown = [k for k in item if k not in valid]
    if unknown or "name" not in item:
        from riskgraph.errors import UsageError

        what = f"unknown key {unknown[0]!r}" if unknown else "no 'name'"
        raise UsageError(f"scenario mapping has {what}; valid keys: {', '.join(valid)}")
    return Scenario(**dict(item))


def run_scenario(network: SupplyNetwork, scenario: Scenario) -> WhatIfResult:
    """Run one scenario; see :func:`run_scenarios`.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> net = load_network("tests/fixtures/worked")
    >>> res = run_scenario(net, Scenario("S_B2 out", fail=["supplier:S_B2"]))
    >>> res.capabilities[["up", "supply_fraction", "time_to_impact_days"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                          up  supply_fraction  time_to_impact_days
    capability
    capability:USA/P1   True              0.6                  NaN
    capability:USA/P2   True              0.6                  NaN
    """
    return run_scenarios(network, [_as_scenario(scenario)])


def run_scenarios(network: SupplyNetwork, scenarios: Iterable[Scenario]) -> WhatIfResult:
    """Run a batch of scenarios over one network.

    Parameters
    ----------
    network
        The compiled supply network (not modified).
    scenarios
        :class:`~riskgraph.model.scenario.Scenario` objects with unique names, e.g. from
        :func:`~riskgraph.model.scenario.read_scenarios`.

    Returns
    -------
    WhatIfResult
        Capability, nation and exposure tables, scenarios stacked in the order given.

    Raises
    ------
    ScenarioError
        When a scenario is invalid (every problem of the batch at once).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> net = load_network("tests/fixtures/worked")
    >>> s = Scenario("S_A 100 days", fail=["supplier:S_A"], days={"supplier:S_A": 100})
    >>> res = run_scenarios(net, [s])
    >>> res.exposed[["failure_point", "time_to_impact_days", "exposed"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                       failure_point  time_to_impact_days  exposed
    capability
    capability:USA/P1   supplier:S_A                  0.0     True
    """
    from collections.abc import Mapping

    if isinstance(scenarios, (Scenario, Mapping)):
        scenarios = [scenarios]
    scenarios = [_as_scenario(s) for s in scenarios]
    check_scenarios(network, scenarios)
    c = network.compiled
    caps = c.capabilities
    # vetoes (docs/design.md §3.4): one evaluation column per class of fielding nations
    split = [split_scenario(network, s) for s in scenarios]
    outages = [outage_days(c, physical) for physical, _ in split]
    columns = [(j, col) for j, (_, vetoes) in enumerate(split)
               for col in scenario_columns(network, vetoes, outages[j])]
    capacity = np.ones((c.n, len(columns) + 1))  # column 0: the baseline
    failed = np.zeros((c.n, len(columns) + 1), dtype=bool)
    for i, (j, (outage, _, _)) in enumerate(columns, start=1):
        for typed, factor in split[j][0].capacity.items():
            capacity[c.index[typed], i] = factor
        for v in outage:
            capacity[v, i] = 0.0
            failed[v, i] = True

    a = supply(c, capacity)
    up_all = available(c, failed)
    base = a[caps, 0]
    frac_all, _ = relative_supply(a[caps, 1:], base[:, None])  # the one rule, §3.2

    stock = stock_delays(c)
    info = network.capabilities.reindex(c.ids[caps])
    frames, exposed = [], []
    for j, s in enumerate(scenarios):
        up, frac, first, total = _class_results(c, stock, columns, j, s.horizon_days,
                                                up_all, frac_all)
        df = pd.DataFrame(
            {
                "scenario": s.name,
                "nation_id": info["nation_id"].to_numpy(),
                "platform_id": info["platform_id"].to_numpy(),
                "up": up,
                "supply_fraction": frac,
                "loss_fraction": 1.0 - frac,
                "baseline_supply_fraction": base,
                "time_to_impact_days": first,
                "days_lost": total,
            },
            index=pd.Index(c.ids[caps], name="capability"),
        )
        df = df.assign(_node=caps).sort_values(["nation_id", "platform_id"], kind="stable")
        nodes = df.pop("_node").to_numpy()
        frames.append(df)
        exposed.append(_exposed(c, stock, split[j][0], outages[j], df, nodes))

    capabilities = _stack(frames, CAPABILITY_COLUMNS, "capability")
    return WhatIfResult(capabilities=capabilities, nations=_nations(capabilities),
                        exposed=_stack(exposed, EXPOSED_COLUMNS, "capability"))


def compare_scenarios(result: WhatIfResult, *,
                      metrics: Sequence[str] = ("up", "loss_fraction", "time_to_impact_days",
                                                "days_lost")) -> pd.DataFrame:
    """Scenarios side by side: one row per capability, one column group per scenario.

    Parameters
    ----------
    result
        From :func:`run_scenarios`.
    metrics
        Columns of ``result.capabilities`` to line up.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability``: ``nation_id``, ``platform_id``, then for each scenario
        (in run order) the columns ``<metric>[<scenario name>]``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> net = load_network("tests/fixtures/worked")
    >>> res = run_scenarios(net, [Scenario("A", fail=["supplier:S_A"]),
    ...                           Scenario("B2", fail=["supplier:S_B2"])])
    >>> compare_scenarios(res, metrics=["loss_fraction"])  # doctest: +NORMALIZE_WHITESPACE
                      nation_id platform_id  loss_fraction[A]  loss_fraction[B2]
    capability
    capability:USA/P1       USA          P1               1.0                0.4
    capability:USA/P2       USA          P2               0.0                0.4
    """
    caps = result.capabilities
    unknown = [m for m in metrics if m not in caps.columns or m in ("scenario", "nation_id",
                                                                    "platform_id")]
    if unknown:
        valid = [m for m in CAPABILITY_COLUMNS if m not in ("scenario", "nation_id",
                                                            "platform_id")]
        raise UsageError(f"unknown metric(s) {', '.join(map(repr, unknown))}; valid: "
                         f"{', '.join(valid)}")
    names = list(dict.fromkeys(caps["scenario"]))
    keys = caps[["nation_id", "platform_id"]]
    out = keys[~keys.index.duplicated()].copy()
    for name in names:
        sub = caps[caps["scenario"] == name]
        for m in metrics:
            out[f"{m}[{name}]"] = sub[m].reindex(out.index)
    return out


def down_sets(network: SupplyNetwork, scenario: Scenario) -> dict[str, list]:
    """The exact down intervals (docs/design.md §3.3) of every node a scenario takes down.

    Returns
    -------
    dict
        Typed id -> sorted, merged ``[(start_day, end_day), ...]`` within the horizon, as
        seen downstream (stock-delayed); nodes never down are left out.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> net = load_network("tests/fixtures/worked")
    >>> s = Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 100})
    >>> down_sets(net, s)["capability:USA/P1"]
    [(0.0, 100.0)]
    """
    check_scenarios(network, [scenario])
    c = network.compiled
    down = down_set_arrays(c, stock_delays(c), outage_days(c, scenario), scenario.horizon_days)
    return {c.ids[v]: down.of(v) for v in np.flatnonzero(down.count).tolist()}


def outage_margins(network: SupplyNetwork, scenario: Scenario) -> pd.DataFrame:
    """How close each capability comes to going down: its stock margin and what it would
    take (docs/design.md §4.6).

    With every failed point down for the same ``D`` days, every down set is ``[t, D)``
    (outages start on day 0 and stock only delays starts), so a capability is down within
    the horizon exactly when ``D`` exceeds its *sustained* time to impact ``T`` (its first
    down day were every failure to last the whole horizon). That makes both answers exact:

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability``, ordered like :func:`run_scenarios`: ``nation_id``,
        ``platform_id``; ``outage_days`` (the scenario's longest outage); ``time_to_impact_days``
        (first down day in the scenario, NaN if never); ``sustained_impact_days`` (``T``;
        NaN: not down within the horizon however long the failures last);
        ``margin_days`` (``T - outage_days``: days of stock to spare, negative when the
        outage outlasts the stock; exact when the failures share one length, and with
        mixed lengths a margin >= 0 still guarantees survival); ``shortest_outage_days``
        (the shortest whole-day outage of every failed point that takes the capability
        down within the horizon: ``floor(T) + 1``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> net = load_network("tests/fixtures/worked")
    >>> s = Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 100})
    >>> outage_margins(net, s)[["margin_days", "shortest_outage_days"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                       margin_days  shortest_outage_days
    capability
    capability:USA/P1       -100.0                   1.0
    capability:USA/P2          NaN                   NaN
    """
    check_scenarios(network, [scenario])
    c = network.compiled
    caps = c.capabilities
    stock = stock_delays(c)
    horizon = scenario.horizon_days
    outage = outage_days(c, scenario)
    actual = down_set_arrays(c, stock, outage, horizon).first(caps)
    sustained = down_set_arrays(c, stock, {v: horizon for v in outage}, horizon).first(caps)
    longest = max(outage.values()) if outage else np.nan
    info = network.capabilities.reindex(c.ids[caps])
    df = pd.DataFrame(
        {
            "nation_id": info["nation_id"].to_numpy(),
            "platform_id": info["platform_id"].to_numpy(),
            "outage_days": float(longest),
            "time_to_impact_days": actual,
            "sustained_impact_days": sustained,
            "margin_days": sustained - longest,
            "shortest_outage_days": np.floor(sustained) + 1.0,
        },
        index=pd.Index(c.ids[caps], name="capability"),
    )
    return df.sort_values(["nation_id", "platform_id"], kind="stable")


# ------------------------------------------------------------------------------ helpers


def _class_results(c, stock, columns, j: int, horizon: float, up_all, frac_all):
    """(up, supply_fraction, time_to_impact, days_lost) per capability of scenario ``j``,
    each capability read from its class's column (docs/design.md §3.4)."""
    caps = c.capabilities
    up, frac = np.zeros(len(caps), bool), np.zeros(len(caps))
    first, total = np.full(len(caps), np.nan), np.zeros(len(caps))
    for i, (jj, (outage, _, pos)) in enumerate(columns, start=1):
        if jj != j:
            continue
        down = down_set_arrays(c, stock, outage, horizon)
        up[pos], frac[pos] = up_all[caps[pos], i], frac_all[pos, i - 1]
        first[pos], total[pos] = down.first(caps[pos]), down.total(caps[pos])
    return up, frac, first, total


def _exposed(c, stock: np.ndarray, s: Scenario, outage: dict[int, float],
             caps: pd.DataFrame, nodes: np.ndarray) -> pd.DataFrame:
    """The exposed rows of one scenario; ``nodes`` are the node indices of ``caps``' rows."""
    is_hit = caps["time_to_impact_days"].notna().to_numpy()
    hit = caps[is_hit]
    if hit.empty or not outage:
        return pd.DataFrame(columns=list(EXPOSED_COLUMNS))
    hit_idx = nodes[is_hit]
    order = [c.index[x] for x in s.fail] + [v for v in outage if c.ids[v] not in s.fail]
    survive, reached = first_down_alone(c, stock, np.array(order, dtype=np.int64),
                                         s.horizon_days, hit_idx)
    rows = []
    for j, x in enumerate(order):
        reach = reached[:, j]
        sub = hit[reach]
        days = outage[x]
        rows.append(pd.DataFrame(
            {
                "scenario": s.name,
                "failure_point": c.ids[x],
                "nation_id": sub["nation_id"],
                "platform_id": sub["platform_id"],
                "down_days": float(days),
                "time_to_impact_days": sub["time_to_impact_days"],
                "time_to_survive_days": survive[reach, j],
                "exposed": days > sub["time_to_impact_days"],
            },
            index=sub.index,
        ))
    return pd.concat(rows) if rows else pd.DataFrame(columns=list(EXPOSED_COLUMNS))


_DTYPES = {
    "scenario": object, "nation_id": object, "platform_id": object, "failure_point": object,
    "up": bool, "exposed": bool, "capabilities": np.int64, "capabilities_lost": np.int64,
    "capabilities_impacted": np.int64,
}


def _stack(frames: list[pd.DataFrame], columns: Sequence[str], index: str) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if frames:
        df = pd.concat(frames)
    else:
        df = pd.DataFrame(columns=list(columns))
    df = df[list(columns)]
    df = df.astype({col: _DTYPES.get(col, np.float64) for col in columns})
    df.index.name = index
    return df


def _nations(caps: pd.DataFrame) -> pd.DataFrame:
    if caps.empty:
        return _stack([], NATION_COLUMNS, "nation")
    df = caps.assign(lost=~caps["up"], impacted=caps["time_to_impact_days"].notna())
    scen_order = {name: i for i, name in enumerate(dict.fromkeys(caps["scenario"]))}
    g = df.groupby(["scenario", "nation_id"], sort=False)
    out = pd.DataFrame({
        "capabilities": g.size(),
        "capabilities_lost": g["lost"].sum(),
        "capabilities_impacted": g["impacted"].sum(),
        "mean_loss_fraction": g["loss_fraction"].mean(),
    }).reset_index()
    out["share_lost"] = out["capabilities_lost"] / out["capabilities"]
    out["_order"] = out["scenario"].map(scen_order)
    out = out.sort_values(["_order", "nation_id"], kind="stable")
    out.index = pd.Index(["nation:" + n for n in out["nation_id"]], name="nation")
    return _stack([out], NATION_COLUMNS, "nation")

