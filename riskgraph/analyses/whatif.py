"""What-if runs: scripted disruptions, their effect and their time to impact (DESIGN §4.6).

A batch of :class:`~riskgraph.model.scenario.Scenario` objects is run in two passes over the
compiled network, which is shared and never changed:

* **State while the failures last** (before stock is drawn down): one call of
  :func:`~riskgraph.model.propagation.available` and one of :func:`~riskgraph.model.propagation.supply`
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
from typing import NamedTuple

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.intervals import covered_flat
from riskgraph.model.network import COMPONENT, SupplyNetwork
from riskgraph.model.propagation import available, relative_supply, supply
from riskgraph.model.scenario import Scenario, check_scenarios
from riskgraph.model.topology import ranges

__all__ = ["WhatIfResult", "run_scenario", "run_scenarios", "compare_scenarios", "down_sets",
           "CAPABILITY_COLUMNS", "NATION_COLUMNS", "EXPOSED_COLUMNS"]

CAPABILITY_COLUMNS = ("scenario", "nation_id", "platform_id", "up", "supply_fraction",
                      "loss_fraction", "time_to_impact_days", "days_lost",
                      "baseline_supply_fraction")
NATION_COLUMNS = ("scenario", "nation_id", "capabilities", "capabilities_lost", "share_lost",
                  "capabilities_impacted", "mean_loss_fraction")
EXPOSED_COLUMNS = ("scenario", "failure_point", "nation_id", "platform_id", "down_days",
                   "time_to_impact_days", "time_to_survive_days", "exposed")


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
    index = c.index
    batch = len(scenarios)

    capacity = np.ones((c.n, batch + 1))  # column 0: the baseline
    failed = np.zeros((c.n, batch + 1), dtype=bool)
    outages: list[dict[int, float]] = []  # per scenario: failed index -> days down
    for j, s in enumerate(scenarios, start=1):
        for typed, factor in s.capacity.items():
            capacity[index[typed], j] = factor
        out = _outage(c, s)
        for v in out:
            capacity[v, j] = 0.0
            failed[v, j] = True
        outages.append(out)

    a = supply(c, capacity)
    up = available(c, failed)
    caps = c.capabilities
    base = a[caps, 0]
    frac, _ = relative_supply(a[caps, 1:], base[:, None])  # the one rule, §3.2

    stock = _stock(c)
    info = network.capabilities.reindex(c.ids[caps])
    frames, exposed = [], []
    for j, s in enumerate(scenarios):
        down = _down_sets(c, stock, outages[j], s.horizon_days)
        df = pd.DataFrame(
            {
                "scenario": s.name,
                "nation_id": info["nation_id"].to_numpy(),
                "platform_id": info["platform_id"].to_numpy(),
                "up": up[caps, j + 1],
                "supply_fraction": frac[:, j],
                "loss_fraction": 1.0 - frac[:, j],
                "baseline_supply_fraction": base,
                "time_to_impact_days": down.first(caps),
                "days_lost": down.total(caps),
            },
            index=pd.Index(c.ids[caps], name="capability"),
        )
        df = df.assign(_node=caps).sort_values(["nation_id", "platform_id"], kind="stable")
        nodes = df.pop("_node").to_numpy()
        frames.append(df)
        exposed.append(_exposed(c, stock, s, outages[j], df, nodes))

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
    """The exact down intervals (DESIGN §3.3) of every node a scenario takes down.

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
    down = _down_sets(c, _stock(c), _outage(c, scenario), scenario.horizon_days)
    return {c.ids[v]: down.of(v) for v in np.flatnonzero(down.count).tolist()}


# ------------------------------------------------------------------------------ helpers


def _outage(c, s: Scenario) -> dict[int, float]:
    """Failed index -> days down: ``fail`` points for their days (default recovery_days),
    capacity-0 points for the whole horizon."""
    out: dict[int, float] = {}
    for typed, factor in s.capacity.items():
        if factor == 0.0:
            out[c.index[typed]] = s.horizon_days
    for typed in s.fail:
        v = c.index[typed]
        out[v] = float(s.days.get(typed, c.recovery_days[v]))
    return out


class _Down(NamedTuple):
    """Down sets (as seen downstream, clipped to the horizon) of every node, as flat arrays.

    Node ``v`` is down on ``[a[i], b[i])`` for ``i`` in ``start[v]:start[v] + count[v]``
    (sorted and merged, as in :mod:`riskgraph.model.intervals`); ``count[v] = 0``: never.
    """

    count: np.ndarray
    start: np.ndarray
    a: np.ndarray
    b: np.ndarray

    def of(self, v: int) -> list[tuple[float, float]]:
        lo = int(self.start[v])
        hi = lo + int(self.count[v])
        return list(zip(self.a[lo:hi].tolist(), self.b[lo:hi].tolist()))

    def first(self, nodes: np.ndarray) -> np.ndarray:
        """:func:`~riskgraph.model.intervals.first` of each node's set (NaN: never down)."""
        out = np.full(len(nodes), np.nan)
        down = self.count[nodes] > 0
        out[down] = self.a[self.start[nodes[down]]]
        return out

    def total(self, nodes: np.ndarray) -> np.ndarray:
        """:func:`~riskgraph.model.intervals.total` of each node's set, summed interval by
        interval in the same order (so the same float)."""
        count, start = self.count[nodes], self.start[nodes]
        out = np.zeros(len(nodes))
        for i in range(int(count.max()) if len(nodes) else 0):
            more = count > i
            j = start[more] + i
            out[more] += self.b[j] - self.a[j]
        return out


def _stock(c) -> np.ndarray:
    """Days of stock per node (only components hold stock)."""
    return np.where(c.kind == COMPONENT, c.stock_days, 0.0)


def _levels_from(c, seeds: np.ndarray):
    """Yield ``(nodes, mark)`` level by level, from the lowest level of ``seeds``: the nodes
    of the level marked so far (sorted), and ``mark``, a boolean array over all nodes that
    the caller sets for the successors it wants visited. A level-synchronous walk: no sort,
    one scan of each level's slice of ``mark``."""
    mark = np.zeros(c.n, dtype=bool)
    mark[seeds] = True
    level_ptr = c.level_ptr
    first = int(c.level[seeds].min()) if len(seeds) else len(level_ptr) - 1
    for lvl in range(first, len(level_ptr) - 1):
        lo, hi = int(level_ptr[lvl]), int(level_ptr[lvl + 1])
        nodes = lo + np.flatnonzero(mark[lo:hi])
        if len(nodes):
            yield nodes, mark


def _mark_successors(c, mark: np.ndarray, nodes: np.ndarray) -> None:
    succ_ptr = c.topology.succ_ptr
    mark[c.topology.succ[ranges(succ_ptr[nodes], succ_ptr[nodes + 1] - succ_ptr[nodes])]] = True


def _down_sets(c, stock: np.ndarray, outage: dict[int, float], horizon: float) -> _Down:
    """The down sets (DESIGN §3.3) of a scenario's failed points and everything they reach.

    Level by level from the failed points, visiting only the successors of nodes found
    down (as the node-by-node heap pass did): the intervals of each
    group's down members are combined by :func:`~riskgraph.model.intervals.covered_flat`
    (at least ``n - k + 1`` members down), then each node's own window and its groups'
    sets are joined (covered once) and delayed by its stock. A set that is the only one
    combined (one down member of a group needing one, one part of a node) passes through
    as it is, as in :func:`~riskgraph.model.intervals.covered`. No Python loop over nodes.
    """
    n, horizon = c.n, float(horizon)
    count = np.zeros(n, np.int64)
    start = np.zeros(n, np.int64)
    store_a, store_b, used = np.empty(1024), np.empty(1024), 0
    points = np.array(sorted(outage), dtype=np.int64)
    if not len(points):
        return _Down(count, start, store_a[:0], store_b[:0])
    # own windows: clip([(0, d)], horizon)
    own_end = np.full(n, np.nan)
    days = np.array([outage[v] for v in points.tolist()], dtype=float)
    own_end[points] = np.where((days > 0) & (horizon > 0), np.minimum(days, horizon), np.nan)
    gp, mp, member, group_k = c.group_ptr, c.member_ptr, c.member, c.group_k
    for vs, mark in _levels_from(c, points):
        ng = gp[vs + 1] - gp[vs]
        gidx = ranges(gp[vs], ng)
        msz = mp[gidx + 1] - mp[gidx]
        mem = member[ranges(mp[gidx], msz)]
        mgrp = np.repeat(np.arange(len(gidx)), msz)
        mc = count[mem]
        live = mc > 0
        mem, mgrp, mc = mem[live], mgrp[live], mc[live]
        iv = ranges(start[mem], mc)
        seg = np.repeat(mgrp, mc)
        need = msz - group_k[gidx] + 1
        n_live = np.bincount(mgrp, minlength=len(gidx))
        sweep = ((n_live >= np.maximum(need, 2)) & (need >= 1))[seg]
        alone = ((n_live == 1) & (need == 1))[seg]
        gseg, ga, gb = covered_flat(seg[sweep], store_a[iv[sweep]], store_b[iv[sweep]], need)
        # need <= 0 (k above the group size): down over the whole horizon once any member is
        whole = np.flatnonzero((need <= 0) & (n_live > 0)) if horizon > 0 else []
        gseg = np.r_[gseg, seg[alone], whole]
        ga = np.r_[ga, store_a[iv[alone]], np.zeros(len(whole))]
        gb = np.r_[gb, store_b[iv[alone]], np.full(len(whole), horizon)]
        # a node: its own window joined with its groups' sets, then its stock
        own = np.flatnonzero(~np.isnan(own_end[vs]))
        node = np.r_[np.repeat(np.arange(len(vs)), ng)[gseg], own]
        na, nb = np.r_[ga, np.zeros(len(own))], np.r_[gb, own_end[vs[own]]]
        down_groups = np.zeros(len(gidx) + len(vs), dtype=bool)
        down_groups[gseg] = True
        down_groups[len(gidx) + own] = True
        parts = np.bincount(np.r_[np.repeat(np.arange(len(vs)), ng), np.arange(len(vs))],
                            weights=down_groups, minlength=len(vs))
        many = parts[node] > 1
        node1, na1, nb1 = covered_flat(node[many], na[many], nb[many],
                                       np.ones(len(vs), np.int64))
        node = np.r_[node1, node[~many]]
        if not len(node):
            continue
        order = np.argsort(node, kind="stable")
        node, na, nb = node[order], np.r_[na1, na[~many]][order], np.r_[nb1, nb[~many]][order]
        s = stock[vs[node]]
        na = np.where(s > 0, na + s, na)
        keep = na < nb
        node, na, nb = node[keep], na[keep], nb[keep]
        if not len(node):
            continue
        if used + len(node) > len(store_a):
            size = max(2 * len(store_a), used + len(node))
            store_a = np.r_[store_a[:used], np.empty(size - used)]
            store_b = np.r_[store_b[:used], np.empty(size - used)]
        per = np.bincount(node, minlength=len(vs))
        _mark_successors(c, mark, vs[per > 0])
        count[vs] = per
        start[vs] = used + np.cumsum(per) - per
        store_a[used:used + len(node)] = na
        store_b[used:used + len(node)] = nb
        used += len(node)
    return _Down(count, start, store_a[:used], store_b[:used])


def _segments(ufunc, rows: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
              empty) -> np.ndarray:
    """``ufunc`` over the segments ``rows[starts[i]:starts[i] + sizes[i]]`` (``empty`` for
    none); segments of one row are copied, not reduced."""
    if (sizes == 1).all():
        return rows[starts]
    out = np.full((len(sizes),) + rows.shape[1:], empty, dtype=rows.dtype)
    one = np.flatnonzero(sizes == 1)
    out[one] = rows[starts[one]]
    many = np.flatnonzero(sizes > 1)
    if len(many):
        sub = rows[ranges(starts[many], sizes[many])]
        out[many] = ufunc.reduceat(sub, np.cumsum(sizes[many]) - sizes[many], axis=0)
    return out


def _first_down_alone(c, stock: np.ndarray, points: np.ndarray, horizon: float,
                      targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First down day of each of ``targets`` (rows) if ``points[j]`` alone (column ``j``)
    were down over the whole horizon (NaN when never), and whether it is downstream of
    ``points[j]`` at all.

    With one point down on ``[0, horizon)`` every down set is empty or ``[t, horizon)``, so
    §3.3 reduces to a scalar per node: a group needing ``need = n - k + 1`` members down
    falls at the need-th smallest member time, a node at the earliest of its own time and
    its groups', plus its stock (never, once at or past the horizon). One sweep of the
    levels of the points' cones does all points at once; "downstream of point j" travels
    along as bit j of a bitset.
    """
    horizon = float(horizon)
    n_pts = len(points)
    t = np.full((c.n, n_pts), np.inf)  # nodes outside the points' cones stay at inf / 0
    if horizon > 0:
        t[points, np.arange(n_pts)] = 0.0
    reach = np.zeros((c.n, -(-n_pts // 64)), dtype=np.uint64)
    np.bitwise_or.at(reach, (points, np.arange(n_pts) // 64),
                     np.left_shift(np.uint64(1), (np.arange(n_pts) % 64).astype(np.uint64)))
    words = reach[:, 0] if reach.shape[1] == 1 else reach  # one word: a flat array, faster
    # times are computed only for the points and the successors of nodes down for some
    # point ("hot"); the rest of the cone only carries the reach bits
    hot = np.zeros(c.n, dtype=bool)
    hot[points] = True
    gp, mp, member, group_k = c.group_ptr, c.member_ptr, c.member, c.group_k
    for vs, mark in _levels_from(c, points):
        _mark_successors(c, mark, vs)
        # a node's members, all groups together, are consecutive entries
        per_node = mp[gp[vs + 1]] - mp[gp[vs]]
        if per_node.any():
            members = member[ranges(mp[gp[vs]], per_node)]
            words[vs] |= _segments(np.bitwise_or, words[members], np.cumsum(per_node) - per_node,
                                   per_node, 0)
        vs = vs[hot[vs]]
        ng = gp[vs + 1] - gp[vs]
        if ng.any():
            gidx = ranges(gp[vs], ng)
            msz = mp[gidx + 1] - mp[gidx]
            vals = t[member[ranges(mp[gidx], msz)]]
            mstart = np.cumsum(msz) - msz
            need = msz - group_k[gidx] + 1
            g = np.full((len(gidx), n_pts), np.inf)
            low = np.flatnonzero(need <= 1)  # need 1: the earliest member; need <= 0: day 0
            lowest = _segments(np.minimum, vals, mstart[low], msz[low], np.inf)
            g[low] = np.where((need[low] == 1)[:, None], lowest,
                              np.where(lowest < np.inf, 0.0, np.inf))
            top = np.flatnonzero((need == msz) & (need > 1))  # every member: the latest
            g[top] = _segments(np.maximum, vals, mstart[top], msz[top], np.inf)
            mid = np.flatnonzero((need > 1) & (need < msz))
            if len(mid):
                sub = ranges(mstart[mid], msz[mid])
                seg = np.repeat(np.arange(len(mid)), msz[mid])
                pick = np.cumsum(msz[mid]) - msz[mid] + need[mid] - 1
                for j in range(n_pts):
                    col = vals[sub, j]
                    g[mid, j] = col[np.lexsort((col, seg))][pick]
            t[vs] = np.minimum(t[vs], _segments(np.minimum, g, np.cumsum(ng) - ng, ng, np.inf))
        s = stock[vs][:, None]
        late = np.where(s > 0, t[vs] + s, t[vs])
        t[vs] = late = np.where(late < horizon, late, np.inf)
        _mark_successors(c, hot, vs[(late < np.inf).any(axis=1)])
    out = t[targets]
    out[np.isinf(out)] = np.nan
    bits = reach[targets]
    j = np.arange(n_pts)
    downstream = (bits[:, j // 64] >> (j % 64).astype(np.uint64)) & np.uint64(1) == 1
    return out, downstream


def _exposed(c, stock: np.ndarray, s: Scenario, outage: dict[int, float],
             caps: pd.DataFrame, nodes: np.ndarray) -> pd.DataFrame:
    """The exposed rows of one scenario; ``nodes`` are the node indices of ``caps``' rows."""
    is_hit = caps["time_to_impact_days"].notna().to_numpy()
    hit = caps[is_hit]
    if hit.empty or not outage:
        return pd.DataFrame(columns=list(EXPOSED_COLUMNS))
    hit_idx = nodes[is_hit]
    order = [c.index[x] for x in s.fail] + [v for v in outage if c.ids[v] not in s.fail]
    survive, reached = _first_down_alone(c, stock, np.array(order, dtype=np.int64),
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

