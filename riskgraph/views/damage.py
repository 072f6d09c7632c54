"""Which nation's failure does most damage: the Nations heatmap with its ranking shown.

:func:`nation_damage` is :func:`~.heatmap.exposure_heatmap` (docs/design.md §4.4) turned
for reading: one row per capability grouped by platform (names, not ids), one column per
failing nation, most damaging first, and the measure that ranks them beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from riskgraph.model.network import SupplyNetwork

from .heatmap import exposure_heatmap
from .lookup import nation_names

__all__ = ["NationDamage", "most_damaging_text", "nation_damage"]


@dataclass(frozen=True)
class NationDamage:
    """Capability × failing-nation supply loss, and the nations' ranking.

    Attributes
    ----------
    z
        Loss fraction (0–1): rows are capability ids ordered by platform name then
        fielding nation name, columns failing nation ids, most damaging first.
    nations
        Indexed like ``z``'s columns: ``name``, ``mean_loss`` (mean loss fraction over the
        capabilities shown: the ranking measure), ``capabilities_down`` (capabilities
        shown that lose all their supply) and ``capabilities_hit`` (that lose any).
    capabilities
        Indexed like ``z``'s rows: ``platform`` and ``nation`` (names), ``label``.
    """

    z: pd.DataFrame
    nations: pd.DataFrame
    capabilities: pd.DataFrame


def nation_damage(network: SupplyNetwork, exposure: pd.DataFrame, *,
                  platforms: Iterable[str] | None = None) -> NationDamage:
    """The Nations heatmap's data: loss per capability if one nation fails, ranked.

    Only nations whose failure costs something appear (as in
    :func:`~.heatmap.exposure_heatmap`); ``platforms`` keeps only their capabilities.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import nation_exposure
    >>> net = load_network("tests/fixtures/worked")
    >>> d = nation_damage(net, nation_exposure(net))
    >>> d.nations["name"].tolist(), d.capabilities["label"].tolist()
    (['United States', 'Germany'], ['Platform 1 — United States', 'Platform 2 — United States'])
    """
    hm = exposure_heatmap(network, exposure, platforms=platforms)
    m = hm.z
    names = nation_names(network)
    caps = network.capabilities.reindex(m.columns)
    comps = network.package.components["name"]
    info = pd.DataFrame({
        "platform": [comps.get(p, p) for p in caps["platform_id"]],
        "nation": [names.get(n, n) for n in caps["nation_id"]],
    }, index=m.columns)
    info = info.sort_values(["platform", "nation"], kind="stable")
    info["label"] = info["platform"] + " — " + info["nation"]
    z = m.T.reindex(info.index)
    ids = [r.split(":", 1)[1] for r in m.index]
    nations = pd.DataFrame({
        "name": [names.get(n, n) for n in ids],
        "mean_loss": m.mean(axis=1).to_numpy(),
        "capabilities_down": (m >= 1.0).sum(axis=1).to_numpy(),
        "capabilities_hit": (m > 0).sum(axis=1).to_numpy(),
    }, index=pd.Index(ids, name="nation_id"))
    z.columns = ids
    z.index.name = "capability"
    return NationDamage(z=z, nations=nations, capabilities=info)


def most_damaging_text(d: NationDamage) -> str:
    """One sentence naming the most damaging nation and what its failure costs.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import nation_exposure
    >>> net = load_network("tests/fixtures/worked")
    >>> most_damaging_text(nation_damage(net, nation_exposure(net)))[:60]
    'Most damaging: United States (USA). If it fails, the 2 capab'
    """
    if d.nations.empty:
        return "No nation's failure costs any of these capabilities anything."
    top = d.nations.iloc[0]
    n = len(d.z)
    text = (f"Most damaging: {top['name']} ({d.nations.index[0]}). If it fails, the {n} "
            f"capabilit{'y' if n == 1 else 'ies'} shown lose {100 * top['mean_loss']:.0f}% "
            f"of their supply on average; {top['capabilities_down']} go down entirely and "
            f"{top['capabilities_hit']} lose some.")
    if len(d.nations) > 1:
        nxt = d.nations.iloc[1]
        text += f" Next: {nxt['name']} ({100 * nxt['mean_loss']:.0f}% on average)."
    return text
