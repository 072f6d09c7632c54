"""Export-control vetoes: the failure point ``veto:X`` (docs/design.md §3.4).

A row of ``controls.csv`` says that an item (component or supplier) needs a licence from a
controlling nation X, except for its exempt nations. When ``veto:X`` fails ("X refuses
licences"), every item X controls is unavailable to each capability whose fielding nation
is neither X nor exempt from that row; physical supply is untouched.

For a set V of failed vetoes, the items *blocked* for fielding nation N are those of the
rows whose controller is in V, is not N, and does not exempt N. Fielding nations with the
same blocked set form a *class*; each class is one ordinary evaluation of §3.1–3.3 with
its blocked items failed (capacity 0, down while the veto lasts), and each capability
takes its class's result. With no vetoes failed there is one class, blocking nothing, so
every evaluation is exactly the physical one.

Examples
--------
>>> veto_id("USA"), is_veto("veto:USA"), veto_nation("veto:USA")
('veto:USA', True, 'USA')
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from riskgraph.errors import UsageError
from riskgraph.io.controls import resolve_item, split_exempt
from riskgraph.model.propagation import available, supply

__all__ = ["VETO", "Controls", "controls_of", "veto_id", "is_veto", "veto_nation",
           "capability_nations", "veto_classes", "class_available", "class_supply",
           "check_vetoes", "split_scenario", "scenario_columns"]

#: The kind prefix of veto failure points.
VETO = "veto"


def veto_id(nation: str) -> str:
    """The failure point ``veto:X`` of nation X."""
    return f"{VETO}:{nation}"


def is_veto(typed: str) -> bool:
    """Whether a typed id names a veto."""
    return str(typed).startswith(VETO + ":")


def veto_nation(typed: str) -> str:
    """X of ``veto:X``."""
    if not is_veto(typed):
        raise UsageError(f"{typed!r} is not a veto (write veto:NATION, e.g. veto:USA)")
    return str(typed)[len(VETO) + 1:]


@dataclass(frozen=True, eq=False)
class Controls:
    """The rows of ``controls.csv`` resolved to compiled node indices (empty without it).

    Row ``r``: item ``item[r]`` (typed id ``item_id[r]``) is controlled by
    ``controller[r]``, except for the nations in ``exempt[r]``.
    """

    item: np.ndarray  # int64 compiled indices
    item_id: np.ndarray  # object, typed ids
    controller: np.ndarray  # object, nation ids
    exempt: tuple  # frozensets of nation ids
    regime: np.ndarray  # object ('' when empty)
    source: np.ndarray  # object (None when empty)
    confidence: np.ndarray  # float (NaN when empty)

    def __len__(self) -> int:
        return len(self.item)

    @property
    def controllers(self) -> list[str]:
        """Controlling nations, sorted."""
        return sorted(set(self.controller.tolist()))

    def rows_blocking(self, vetoes: Iterable[str], nation: str) -> np.ndarray:
        """Rows whose item is blocked for ``nation`` when the nations ``vetoes`` veto."""
        vetoes = set(vetoes)
        return np.array([r for r in range(len(self)) if self.controller[r] in vetoes
                         and self.controller[r] != nation and nation not in self.exempt[r]],
                        dtype=np.int64)

    def blocked(self, vetoes: Iterable[str], nation: str) -> np.ndarray:
        """Sorted compiled indices of the items blocked for ``nation``."""
        return np.unique(self.item[self.rows_blocking(vetoes, nation)])


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def controls_of(network) -> Controls:
    """The network's :class:`Controls` (built once per network)."""
    hit = _CACHE.get(network)
    if hit is not None:
        return hit
    df = network.package.controls
    c = network.compiled
    if df is None or not len(df):
        out = Controls(np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0, object), (),
                       np.zeros(0, object), np.zeros(0, object), np.zeros(0))
    else:
        comps = set(network.package.components.index)
        sups = set(network.package.suppliers.index)
        typed = [resolve_item(i, comps, sups)[0] for i in df["item_id"]]
        conf = df["confidence"] if "confidence" in df else np.full(len(df), np.nan)
        out = Controls(
            np.array([c.index[t] for t in typed], dtype=np.int64),
            np.array(typed, dtype=object),
            df["controlling_nation_id"].to_numpy(dtype=object),
            tuple(frozenset(split_exempt(e)) for e in df["exempt_nation_ids"]),
            np.array([r if isinstance(r, str) else "" for r in df["regime"]], dtype=object),
            df["source"].to_numpy(dtype=object) if "source" in df
            else np.full(len(df), None, dtype=object),
            np.asarray(conf, dtype=float),
        )
    _CACHE[network] = out
    return out


def capability_nations(network) -> np.ndarray:
    """The fielding nation of each capability, in compiled capability order."""
    c = network.compiled
    return np.array([s.split(":", 1)[1].split("/", 1)[0] for s in c.ids[c.capabilities]],
                    dtype=object)


def check_vetoes(network, vetoes: Iterable[str]) -> list[str]:
    """The nations of typed veto ids, checked against nations.csv (UsageError if unknown)."""
    known = set(network.package.nations.index)
    out = []
    for v in vetoes:
        x = veto_nation(v) if is_veto(v) else str(v)
        if x not in known:
            raise UsageError(f"veto:{x}: {x!r} is not a nation of the package")
        out.append(x)
    return out


def veto_classes(network, vetoes: Iterable[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The classes of fielding nations under the vetoes of nations ``vetoes``.

    Returns ``(blocked, caps)`` pairs: the compiled indices of the items blocked for the
    class and the positions (into ``compiled.capabilities``) of its capabilities. The
    class blocking nothing comes first (present even when empty), then by first capability.
    """
    ctl = controls_of(network)
    vetoes = set(vetoes)
    nations = capability_nations(network)
    by_key: dict[tuple, list[int]] = {(): []}
    if ctl.item.size and vetoes:
        memo: dict[str, tuple] = {}
        for pos, nation in enumerate(nations.tolist()):
            if nation not in memo:
                memo[nation] = tuple(ctl.blocked(vetoes, nation).tolist())
            by_key.setdefault(memo[nation], []).append(pos)
    else:
        by_key[()] = list(range(len(nations)))
    return [(np.array(k, dtype=np.int64), np.array(v, dtype=np.int64))
            for k, v in by_key.items()]


def class_available(network, failed: np.ndarray, vetoes: Iterable[str]) -> np.ndarray:
    """§3.1 per capability with physical failures ``failed`` (``(n,)`` booleans) and the
    nations ``vetoes`` vetoing: ``(n_capabilities,)`` booleans, True where up.

    One :func:`~riskgraph.model.propagation.available` call, one column per class.
    """
    c = network.compiled
    classes = veto_classes(network, vetoes)
    cols = np.repeat(np.asarray(failed, dtype=bool).reshape(-1, 1), len(classes), axis=1)
    for j, (blocked, _) in enumerate(classes):
        cols[blocked, j] = True
    up = available(c, cols)[c.capabilities]
    out = np.zeros(len(c.capabilities), dtype=bool)
    for j, (_, caps) in enumerate(classes):
        out[caps] = up[caps, j]
    return out


def class_supply(network, capacity: np.ndarray | None, vetoes: Iterable[str]) -> np.ndarray:
    """§3.2 supply per capability with capacity factors ``capacity`` (``(n,)``, None: all
    1) and the nations ``vetoes`` vetoing (blocked items at 0)."""
    c = network.compiled
    classes = veto_classes(network, vetoes)
    base = np.ones(c.n) if capacity is None else np.asarray(capacity, dtype=float)
    cols = np.repeat(base.reshape(-1, 1), len(classes), axis=1)
    for j, (blocked, _) in enumerate(classes):
        cols[blocked, j] = 0.0
    a = supply(c, cols)[c.capabilities]
    out = np.zeros(len(c.capabilities))
    for j, (_, caps) in enumerate(classes):
        out[caps] = a[caps, j]
    return out


def split_scenario(network, scenario):
    """``(physical scenario, {veto nation: days down})`` of a what-if scenario whose
    ``fail`` may hold ``veto:X`` (docs/design.md §4.6): a veto lasts its ``days``, else the
    nation recovery default (365). A capacity factor for a veto is a UsageError."""
    from dataclasses import replace

    bad = [k for k in scenario.capacity if is_veto(k)]
    if bad:
        raise UsageError(f"scenario {scenario.name!r}: {bad[0]} has no capacity factor; a "
                         f"veto is either refused (list it in fail) or not")
    vetoes = [f for f in scenario.fail if is_veto(f)]
    if not vetoes:
        return scenario, {}
    nations = check_vetoes(network, vetoes)
    default = float(network.defaults.nation_recovery_days)
    days = {x: float(scenario.days.get(v, default)) for x, v in zip(nations, vetoes)}
    physical = replace(scenario, fail=tuple(f for f in scenario.fail if not is_veto(f)),
                       days={k: d for k, d in scenario.days.items() if not is_veto(k)})
    return physical, days


def scenario_columns(network, vetoes: dict[str, float], outage: dict[int, float]):
    """The evaluation columns of one scenario: ``(outage, blocked, capability positions)``
    per class of fielding nations. Here a class shares its blocked items *and* how long
    each stays blocked: the longest of the vetoes blocking it, joined with any physical
    outage of the item."""
    c = network.compiled
    if not vetoes:
        return [(outage, np.zeros(0, np.int64), np.arange(len(c.capabilities)))]
    ctl = controls_of(network)
    groups: dict[tuple, list[int]] = {}
    memo: dict[str, tuple] = {}
    for pos, nation in enumerate(capability_nations(network).tolist()):
        if nation not in memo:
            days: dict[int, float] = {}
            for r in ctl.rows_blocking(vetoes, nation).tolist():
                v = int(ctl.item[r])
                days[v] = max(days.get(v, 0.0), vetoes[ctl.controller[r]])
            memo[nation] = tuple(sorted(days.items()))
        groups.setdefault(memo[nation], []).append(pos)
    out = []
    for key, caps in groups.items():
        merged = dict(outage)
        for v, d in key:
            merged[v] = max(merged.get(v, 0.0), d)
        out.append((merged, np.array([v for v, _ in key], dtype=np.int64),
                    np.array(caps, dtype=np.int64)))
    return out
