"""What-if results made ready to show: matrices, down intervals, the headline numbers.

Everything here reads a :class:`~riskgraph.analyses.whatif.WhatIfResult` or runs the
what-if engine's own interval pass (docs/design.md §3.3, §4.6).
"""

from __future__ import annotations

import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import SupplyNetwork

from .heatmap import Heatmap, capability_matrix

__all__ = ["down_intervals", "margin_rows", "scenario_rows", "whatif_headline",
           "whatif_matrix", "whatif_story", "scenario_differences", "DIFFERENCE_METRICS"]

#: What the side-by-side table compares, in its column order.
DIFFERENCE_METRICS = ("time_to_impact_days", "days_lost", "loss_fraction")


def scenario_rows(capabilities: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The rows of one scenario in a stacked what-if capability table.

    Raises
    ------
    UsageError
        When ``scenario`` is not a name or the table has no rows for it.
    """
    if not isinstance(scenario, str):
        raise UsageError(f"scenario must be a scenario name, got {scenario!r}")
    rows = capabilities[capabilities["scenario"] == scenario]
    if rows.empty:
        known = list(dict.fromkeys(capabilities["scenario"]))
        raise UsageError(f"no results for scenario {scenario!r}; known: {known}")
    return rows


def whatif_matrix(network: SupplyNetwork, capabilities: pd.DataFrame, scenario: str, *,
                  value: str = "loss_fraction") -> Heatmap:
    """Nation × platform matrix of one what-if column for one scenario (see
    :func:`~riskgraph.views.heatmap.capability_matrix`).

    Parameters
    ----------
    capabilities
        ``WhatIfResult.capabilities`` (scenarios stacked).
    scenario
        The scenario's name.
    value
        ``loss_fraction``, ``days_lost``, ``time_to_impact_days``, ...

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> from riskgraph.analyses.whatif import run_scenarios
    >>> net = load_network("tests/fixtures/worked")
    >>> res = run_scenarios(net, [Scenario("A", fail=["supplier:S_A"])])
    >>> whatif_matrix(net, res.capabilities, "A").z.to_dict("index")
    {'USA': {'P1': 1.0, 'P2': 0.0}}
    """
    return capability_matrix(network, scenario_rows(capabilities, scenario), value)


def down_intervals(network: SupplyNetwork, scenario) -> pd.DataFrame:
    """When each capability is down and when it recovers, within the scenario's horizon.

    The exact down sets of docs/design.md §3.3 (stock included) that
    :func:`riskgraph.analyses.whatif.run_scenarios` summarises as ``time_to_impact_days``
    (the first start) and ``days_lost`` (the total length).

    Returns
    -------
    pandas.DataFrame
        One row per down interval: ``capability``, ``nation_id``, ``platform_id``, ``name``,
        ``start_day``, ``end_day`` (down on ``[start_day, end_day)``); capabilities never
        down are left out. Sorted by start day, then capability.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> net = load_network("tests/fixtures/worked")
    >>> s = Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 100})
    >>> down_intervals(net, s)[["capability", "start_day", "end_day"]].values.tolist()
    [['capability:USA/P1', 0.0, 100.0]]
    """
    # The interval pass is the what-if engine's own (one implementation of §3.3).
    from riskgraph.analyses.whatif import down_sets
    from riskgraph.model.scenario import Scenario

    if not isinstance(scenario, Scenario):
        raise UsageError(f"expected a Scenario, got {type(scenario).__name__}")
    down = down_sets(network, scenario)
    caps = network.capabilities
    rows = []
    for cap in caps.index[caps.index.isin(list(down))]:
        for a, b in down[cap]:
            rows.append((cap, caps.at[cap, "nation_id"], caps.at[cap, "platform_id"],
                         caps.at[cap, "name"], float(a), float(b)))
    df = pd.DataFrame(rows, columns=["capability", "nation_id", "platform_id", "name",
                                     "start_day", "end_day"])
    return df.sort_values(["start_day", "capability"], kind="stable", ignore_index=True)


def whatif_headline(capabilities: pd.DataFrame, scenario: str,
                    capability: str | None = None) -> dict:
    """The few numbers that sum up one what-if run.

    Returns
    -------
    dict
        ``capabilities`` (in the run), ``capabilities_down`` (down on some day within the
        horizon, stock included), ``capabilities_not_up`` (not available while the failures
        last), ``nations_affected`` (fielding nations with a capability down),
        ``mean_loss_fraction``; and with ``capability``: ``focus`` = its row as a dict
        (``up``, ``loss_fraction``, ``time_to_impact_days`` (None if never),
        ``days_lost``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> from riskgraph.analyses.whatif import run_scenarios
    >>> net = load_network("tests/fixtures/worked")
    >>> res = run_scenarios(net, [Scenario("A", fail=["supplier:S_A"],
    ...                                    days={"supplier:S_A": 180})])
    >>> h = whatif_headline(res.capabilities, "A", "capability:USA/P1")
    >>> h["capabilities_down"], h["focus"]["days_lost"], h["focus"]["time_to_impact_days"]
    (1, 180.0, 0.0)
    """
    rows = scenario_rows(capabilities, scenario)
    down = rows["days_lost"] > 0
    out = {
        "capabilities": int(len(rows)),
        "capabilities_down": int(down.sum()),
        "capabilities_not_up": int((~rows["up"]).sum()),
        "nations_affected": int(rows.loc[down, "nation_id"].nunique()),
        "mean_loss_fraction": float(rows["loss_fraction"].mean()) if len(rows) else 0.0,
    }
    if capability is not None:
        if capability not in rows.index:
            raise UsageError(f"{capability!r} is not a capability of this run")
        r = rows.loc[capability]
        tti = r["time_to_impact_days"]
        out["focus"] = {
            "up": bool(r["up"]),
            "loss_fraction": float(r["loss_fraction"]),
            "time_to_impact_days": None if pd.isna(tti) else float(tti),
            "days_lost": float(r["days_lost"]),
        }
    return out


def margin_rows(network: SupplyNetwork, margins: pd.DataFrame) -> pd.DataFrame:
    """The capabilities a scenario's failures reach within the horizon, closest call first.

    ``margins`` is :func:`riskgraph.analyses.whatif.outage_margins`. Capabilities that go
    down come first (earliest first), then the survivors by margin (fewest days to spare
    first); capabilities not down however long the failures last are left out.

    Returns
    -------
    pandas.DataFrame
        The rows of ``margins`` that have a ``sustained_impact_days``, with ``capability``
        as a column, its ``name``, and ``down`` (down within the horizon in the scenario).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> from riskgraph.analyses.whatif import outage_margins
    >>> net = load_network("tests/fixtures/worked")
    >>> s = Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 100})
    >>> margin_rows(net, outage_margins(net, s))[["capability", "down", "margin_days"]]
    ... # doctest: +NORMALIZE_WHITESPACE
              capability  down  margin_days
    0  capability:USA/P1  True       -100.0
    """
    reached = margins[margins["sustained_impact_days"].notna()]
    df = reached.assign(name=network.capabilities["name"].reindex(reached.index).to_numpy(),
                        down=reached["time_to_impact_days"].notna().to_numpy())
    df = df.assign(_first=df["time_to_impact_days"].fillna(float("inf")))
    df = df.sort_values(["_first", "margin_days", "nation_id", "platform_id"], kind="stable")
    return df.drop(columns="_first").reset_index()


def whatif_story(network: SupplyNetwork, capabilities: pd.DataFrame, margins: pd.DataFrame,
                 scenario: str) -> dict:
    """What a what-if run says, in the order a planner asks: what goes down within the
    horizon and when; if nothing, how close the nearest call is and what would take it down.

    ``capabilities`` is ``WhatIfResult.capabilities`` and ``margins`` the scenario's
    :func:`riskgraph.analyses.whatif.outage_margins`.

    Returns
    -------
    dict
        The numbers of :func:`whatif_headline`, plus ``first_day`` (earliest down day, None
        if nothing goes down), ``down`` (the capabilities down: ``capability``, ``name``,
        ``nation_id``, ``time_to_impact_days``, ``days_lost``, earliest first), ``reached``
        (capabilities that would go down were the failures long enough) and ``closest``
        (None, or for the survivors with the fewest days to spare: ``margin_days``,
        ``count``, ``names`` (up to 5), ``shortest_outage_days``, ``sustained_impact_days``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> from riskgraph.analyses.whatif import outage_margins, run_scenarios
    >>> net = load_network("tests/fixtures/worked")
    >>> s = Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 100})
    >>> story = whatif_story(net, run_scenarios(net, [s]).capabilities,
    ...                      outage_margins(net, s), "A")
    >>> story["capabilities_down"], story["first_day"], story["closest"]
    (1, 0.0, None)
    """
    out = whatif_headline(capabilities, scenario)
    rows = scenario_rows(capabilities, scenario)
    down = rows[rows["days_lost"] > 0]
    down = down.assign(name=network.capabilities["name"].reindex(down.index).to_numpy())
    down = down.sort_values(["time_to_impact_days", "nation_id", "platform_id"],
                            kind="stable").reset_index()
    out["first_day"] = float(down["time_to_impact_days"].iloc[0]) if len(down) else None
    out["down"] = down[["capability", "name", "nation_id", "time_to_impact_days",
                        "days_lost"]]
    table = margin_rows(network, margins)
    out["reached"] = int(len(table))
    survivors = table[~table["down"]]
    out["closest"] = None
    if len(survivors):
        best = survivors["margin_days"].iloc[0]
        near = survivors[survivors["margin_days"] == best]
        out["closest"] = {
            "margin_days": float(best),
            "count": int(len(near)),
            "names": near["name"].head(5).tolist(),
            "shortest_outage_days": float(near["shortest_outage_days"].iloc[0]),
            "sustained_impact_days": float(near["sustained_impact_days"].iloc[0]),
        }
    return out


def scenario_differences(network: SupplyNetwork, capabilities: pd.DataFrame) -> pd.DataFrame:
    """Scenarios side by side, only the capabilities where they differ.

    ``capabilities`` is ``WhatIfResult.capabilities`` of several scenarios. A capability
    is kept when any of :data:`DIFFERENCE_METRICS` differs between two scenarios (NaN, never
    down, equals NaN).

    Returns
    -------
    pandas.DataFrame
        ``capability``, ``name``, then ``<metric>[<scenario>]`` for each scenario in run
        order and each metric; rows ordered by nation and platform.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.model.scenario import Scenario
    >>> from riskgraph.analyses.whatif import run_scenarios
    >>> net = load_network("tests/fixtures/worked")
    >>> res = run_scenarios(net, [Scenario("A", fail=["supplier:S_A"]),
    ...                           Scenario("B", fail=["supplier:S_A", "supplier:S_B2"])])
    >>> scenario_differences(net, res.capabilities)["capability"].tolist()
    ['capability:USA/P2']
    """
    names = list(dict.fromkeys(capabilities["scenario"]))
    first = scenario_rows(capabilities, names[0]) if names else capabilities
    out = pd.DataFrame({"capability": first.index,
                        "name": network.capabilities["name"].reindex(first.index).to_numpy()})
    differs = pd.Series(False, index=first.index)
    for metric in DIFFERENCE_METRICS:
        base = first[metric]
        for scenario in names:
            col = scenario_rows(capabilities, scenario)[metric].reindex(first.index)
            differs |= ~((col == base) | (col.isna() & base.isna()))
            out[f"{metric}[{scenario}]"] = col.to_numpy()
    return out[differs.to_numpy()].reset_index(drop=True)
