"""Sovereignty: what a nation or coalition can field alone, and who controls the rest
(docs/design.md §4.9).

* :func:`coalition_members` turns a nation, a list of nations or an ``alliances`` tag into
  the coalition's members (:class:`CoalitionError`, exit 3 in the CLI, when it is empty or
  the tag is unknown).
* :func:`coalition_survivability`: every nation outside the coalition fails *and* vetoes
  at once (§3.4); per capability of a member, ``up``, supply and, when lost, the smallest
  set of outside nations it still needs: the fewest outside nations whose return (no
  failure, no veto) brings it back. That is a minimum hitting set of its nation-level cut
  sets, found exactly by trying sets of the candidate nations (those upstream of it, or
  controlling an item upstream of it that binds its nation) in order of size, each size in
  one batched availability pass.
* :func:`foreign_control`: per capability, the nations whose veto alone stops it, whether
  it is free of a regime (e.g. ITAR-free), and the share of its exact SPOFs held outside
  its nation and outside its coalition.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from riskgraph.errors import RiskgraphError
from riskgraph.model.network import NATION, SupplyNetwork
from riskgraph.model.propagation import available, baseline_supply, relative_supply
from riskgraph.model.vetoes import (capability_nations, class_available, class_supply,
                                    controls_of)

__all__ = ["CoalitionError", "coalition_members", "coalition_survivability",
           "foreign_control", "MAX_SEARCH_COLUMNS"]

#: Candidate sets tried per lost capability before the search settles for a greedy
#: answer (flagged ``exact = False``).
MAX_SEARCH_COLUMNS = 200_000


class CoalitionError(RiskgraphError):
    """The coalition asked for is empty or names nothing in the package (invalid input)."""


def coalition_members(network: SupplyNetwork, coalition) -> tuple[str, list[str]]:
    """``(label, sorted member ids)`` of a coalition given as a nation id, an ``alliances``
    tag (e.g. ``EU``, ``NATO``), or an iterable / comma-separated list of nation ids.

    A single name is a nation when nations.csv has it, else a tag.
    """
    nations = network.package.nations
    if coalition is None:
        raise CoalitionError("no coalition given: name a nation, nations (POL,DEU) or an "
                             "alliances tag (EU, NATO)")
    items = ([p.strip() for p in coalition.split(",")] if isinstance(coalition, str)
             else [str(p).strip() for p in coalition])
    items = [p for p in items if p]
    if not items:
        raise CoalitionError("the coalition is empty: name a nation, nations (POL,DEU) or an "
                             "alliances tag (EU, NATO)")
    tags = {t.strip() for cell in nations["alliances"].fillna("") for t in str(cell).split(";")
            if t.strip()}
    if len(items) == 1 and items[0] not in nations.index:
        tag = items[0]
        if tag not in tags:
            raise CoalitionError(f"{tag!r} is neither a nation of nations.csv nor an alliances "
                                 f"tag any nation has; tags: {', '.join(sorted(tags))}")
        members = sorted(n for n, cell in nations["alliances"].fillna("").items()
                         if tag in {t.strip() for t in str(cell).split(";")})
        return tag, members
    unknown = [p for p in items if p not in nations.index]
    if unknown:
        raise CoalitionError(f"unknown nation(s) {', '.join(map(repr, unknown))} in the "
                             f"coalition: not in nations.csv")
    members = sorted(set(items))
    return ",".join(members), members


def _candidates(network: SupplyNetwork, platform: int, nation: str, outside: set[str]
                ) -> list[str]:
    """Outside nations that can matter to a capability: upstream of its platform, or
    controlling an upstream item that binds its nation."""
    c = network.compiled
    up = c.topology.ancestor_mask(np.array([platform]))
    up[platform] = True
    found = {c.ids[v].split(":", 1)[1] for v in np.flatnonzero(up & (c.kind == NATION))}
    ctl = controls_of(network)
    for r in range(len(ctl)):
        if up[ctl.item[r]] and ctl.controller[r] != nation and nation not in ctl.exempt[r]:
            found.add(ctl.controller[r])
    return sorted(found & outside)


def _up_when_back(network, platform: int, nation: str, outside: list[str],
                  restored: list[tuple]) -> np.ndarray:
    """Whether the platform is up for ``nation`` when each tuple of ``restored`` nations
    comes back (the rest of ``outside`` failing and vetoing), one column per tuple."""
    c = network.compiled
    ctl = controls_of(network)
    nation_idx = {x: c.index[f"nation:{x}"] for x in outside}
    failed = np.zeros((c.n, len(restored)), dtype=bool)
    for j, back in enumerate(restored):
        gone = [x for x in outside if x not in back]
        failed[[nation_idx[x] for x in gone], j] = True
        failed[ctl.blocked(gone, nation), j] = True
    return available(c, failed)[platform]


def _smallest_needed(network, platform: int, nation: str, outside: list[str]
                     ) -> tuple[list[str], bool]:
    """The fewest outside nations whose return brings the capability back (first in
    alphabetical order among the smallest), and whether the search was exact.

    Nations it cannot do without (all candidates but that one fail) are in every answer,
    so the search by size runs over the other candidates only, added to them.
    """
    cands = _candidates(network, platform, nation, set(outside))
    if not cands or not _up_when_back(network, platform, nation, outside,
                                      [tuple(cands)])[0]:
        return [], True  # nothing outside brings it back: lost inside the coalition
    without = _up_when_back(network, platform, nation, outside,
                            [tuple(x for x in cands if x != y) for y in cands])
    needed = [x for x, ok in zip(cands, without) if not ok]
    rest = [x for x in cands if x not in needed]
    tried = 0
    for k in range(0, len(rest) + 1):
        sets = [tuple(sorted(needed + list(extra))) for extra in combinations(rest, k)]
        if tried + len(sets) > MAX_SEARCH_COLUMNS:
            return _greedy(network, platform, nation, outside, cands), False
        tried += len(sets)
        ok = _up_when_back(network, platform, nation, outside, sets)
        if ok.any():
            return list(min(s for s, good in zip(sets, ok) if good)), True
    return [], True  # pragma: no cover - the full set works (checked above)


def _greedy(network, platform, nation, outside, cands) -> list[str]:
    back = list(cands)  # all of them, then drop each one not needed
    if not _up_when_back(network, platform, nation, outside, [tuple(back)])[0]:
        return []
    for x in list(back):
        trial = tuple(b for b in back if b != x)
        if _up_when_back(network, platform, nation, outside, [trial])[0]:
            back = list(trial)
    return back


def coalition_survivability(network: SupplyNetwork, coalition) -> pd.DataFrame:
    """Which capabilities of the coalition's members survive when every outside nation
    fails and vetoes at once (docs/design.md §4.9).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability`` (members' capabilities, by nation then platform):
        ``coalition``, ``nation_id``, ``platform_id``, ``up``, ``baseline_supply``,
        ``supply``, ``supply_fraction``, ``loss_fraction``, ``needs_nations`` (';'-joined
        smallest set of outside nations a lost capability still needs; empty when up, or
        when nothing outside brings it back: then ``lost_inside`` is True), ``needs_count``
        and ``exact`` (False only when the search was cut at :data:`MAX_SEARCH_COLUMNS`
        and the set is a greedy, minimal but perhaps not minimum, one).
    """
    label, members = coalition_members(network, coalition)
    c = network.compiled
    outside = sorted(set(network.package.nations.index) - set(members))
    failed = np.zeros(c.n, dtype=bool)
    failed[[c.index[f"nation:{x}"] for x in outside]] = True
    capacity = np.where(failed, 0.0, 1.0)
    up = class_available(network, failed, outside)
    a = class_supply(network, capacity, outside)
    base = baseline_supply(c)[c.capabilities]
    frac, loss = relative_supply(a, base)
    nations = capability_nations(network)
    platform = c.topology.capability_platform
    rows = []
    for pos in np.flatnonzero(np.isin(nations, members)).tolist():
        needs, exact, inside = [], True, False
        if not up[pos]:
            needs, exact = _smallest_needed(network, int(platform[pos]), nations[pos],
                                            outside)
            inside = not needs
        rows.append((c.ids[c.capabilities[pos]], pos, needs, exact, inside))
    pos = [r[1] for r in rows]
    info = network.capabilities.reindex([r[0] for r in rows])
    df = pd.DataFrame({
        "coalition": label,
        "nation_id": info["nation_id"].to_numpy(dtype=object),
        "platform_id": info["platform_id"].to_numpy(dtype=object),
        "up": up[pos], "baseline_supply": base[pos], "supply": a[pos],
        "supply_fraction": frac[pos], "loss_fraction": loss[pos],
        "needs_nations": [";".join(r[2]) for r in rows],
        "needs_count": [len(r[2]) for r in rows],
        "lost_inside": [r[4] for r in rows],
        "exact": [r[3] for r in rows],
    }, index=pd.Index([r[0] for r in rows], name="capability"))
    df.attrs["members"] = members
    return df.sort_values(["nation_id", "platform_id"], kind="stable")


def _held_by(network: SupplyNetwork, point: str) -> str | None:
    """The nation holding a SPOF: a nation itself, a supplier's site, a veto's nation;
    None for a component (it is held through its suppliers' own rows)."""
    kind, _, ident = point.partition(":")
    if kind in ("nation", "veto"):
        return ident
    if kind == "supplier":
        return network.package.suppliers["nation_id"].get(ident)
    return None


def foreign_control(network: SupplyNetwork, *, coalition=None, regime: str = "ITAR",
                    spof: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per capability: who can stop it by refusing licences, whether it is free of a
    control regime, and how much of its exact SPOFs is held abroad (docs/design.md §4.9).

    Parameters
    ----------
    coalition
        Nations counted as "inside" for ``spof_share_outside_coalition`` (see
        :func:`coalition_members`); None: only capabilities' own nations, and that column
        equals ``spof_share_outside_nation``. With a coalition only its members'
        capabilities are listed.
    regime
        The regime of ``free_of_regime`` (matched case-insensitively to ``regime``).
    spof
        SPOF rows with vetoes joined (``StructuralAnalysis.spof``), to avoid recomputing.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability``: ``nation_id``, ``platform_id``, ``vetoed_by``
        (';'-joined nations whose veto alone stops it), ``regime``, ``regime_items``
        (items under the regime upstream of it that bind its nation), ``free_of_regime``
        (no such item), ``spofs_with_nation`` (non-trivial SPOFs held by a nation:
        nations, suppliers by site, vetoes), ``spof_share_outside_nation``,
        ``spof_share_outside_coalition`` (NaN without such SPOFs).
    """
    from riskgraph.analyses.spof import single_points_of_failure
    from riskgraph.analyses.vetoes import veto_spofs, with_vetoes

    members = None if coalition is None else set(coalition_members(network, coalition)[1])
    if spof is None:
        spof = with_vetoes(network, single_points_of_failure(network), veto_spofs(network))
    c = network.compiled
    ctl = controls_of(network)
    nations = capability_nations(network)
    platform = c.topology.capability_platform
    regime_rows = [r for r in range(len(ctl)) if str(ctl.regime[r]).upper() == regime.upper()]
    rows = []
    for pos, cap in enumerate(c.ids[c.capabilities].tolist()):
        nation = nations[pos]
        if members is not None and nation not in members:
            continue
        inside = members if members is not None else {nation}
        mine = spof.loc[[cap]] if cap in spof.index else spof.iloc[:0]
        mine = mine[~mine["trivial"].astype(bool)]
        vetoed = sorted(p.split(":", 1)[1] for p in mine["failure_point"] if
                        p.startswith("veto:"))
        held = [h for h in (_held_by(network, p) for p in mine["failure_point"]) if h]
        up = c.topology.ancestor_mask(np.array([platform[pos]]))
        items = {ctl.item_id[r] for r in regime_rows if up[ctl.item[r]] and
                 ctl.controller[r] != nation and nation not in ctl.exempt[r]}
        rows.append((cap, nation, vetoed, len(items), held,
                     sum(h != nation for h in held), sum(h not in inside for h in held)))
    info = network.capabilities.reindex([r[0] for r in rows])
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.array([len(r[4]) for r in rows], dtype=float)
        df = pd.DataFrame({
            "nation_id": info["nation_id"].to_numpy(dtype=object),
            "platform_id": info["platform_id"].to_numpy(dtype=object),
            "vetoed_by": [";".join(r[2]) for r in rows],
            "regime": regime,
            "regime_items": [r[3] for r in rows],
            "free_of_regime": [r[3] == 0 for r in rows],
            "spofs_with_nation": n.astype(int),
            "spof_share_outside_nation": np.array([r[5] for r in rows], float) / n,
            "spof_share_outside_coalition": np.array([r[6] for r in rows], float) / n,
        }, index=pd.Index([r[0] for r in rows], name="capability"))
    return df.sort_values(["nation_id", "platform_id"], kind="stable")

