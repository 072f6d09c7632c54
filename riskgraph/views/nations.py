"""Nations: how much each depends on another, and what an alliance-only supply keeps up.

Both summarise the exposure analyses of docs/design.md §4.4; nothing is recomputed.
"""

from __future__ import annotations

import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import NATION, SupplyNetwork

from .lookup import nation_names, node_index

__all__ = ["nation_dependence", "survivability_summary"]


def survivability_summary(survivability: pd.DataFrame) -> dict:
    """The headline of an alliance-only survivability table.

    Parameters
    ----------
    survivability
        :func:`riskgraph.analyses.exposure.alliance_survivability`.

    Returns
    -------
    dict
        ``capabilities``, ``up`` (still available), ``mean_supply_fraction`` and
        ``failed_nations`` (ids of the nations cut off).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import alliance_survivability
    >>> s = survivability_summary(alliance_survivability(load_network("tests/fixtures/worked")))
    >>> s["up"], s["capabilities"], s["failed_nations"]
    (2, 2, [])
    """
    n = len(survivability)
    return {
        "capabilities": int(n),
        "up": int(survivability["up"].sum()),
        "mean_supply_fraction": float(survivability["supply_fraction"].mean()) if n else 1.0,
        "failed_nations": list(survivability.attrs.get("failed_nations", [])),
    }


def _failing_nation(network: SupplyNetwork, failing_nation) -> str:
    """The typed id of a nation given as ``'CHN'`` or ``'nation:CHN'``."""
    if not isinstance(failing_nation, str) or not failing_nation:
        raise UsageError(f"nation must be an id such as 'CHN', got {failing_nation!r}")
    typed = failing_nation if failing_nation.startswith("nation:") else f"nation:{failing_nation}"
    i = node_index(network, typed, "nation")
    if network.compiled.kind[i] != NATION:
        raise UsageError(f"{failing_nation!r} is not a nation")
    return typed


def nation_dependence(network: SupplyNetwork, exposure: pd.DataFrame,
                      failing_nation: str) -> pd.DataFrame:
    """How much each fielding nation depends on one nation (for a choropleth).

    Parameters
    ----------
    exposure
        :func:`riskgraph.analyses.exposure.nation_exposure` of ``network``.
    failing_nation
        ``'CHN'`` or ``'nation:CHN'``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``nation_id`` of each fielding nation: ``name``, ``capabilities``
        (fielded), ``capabilities_lost`` (not up when the nation fails),
        ``mean_loss_fraction`` and ``max_loss_fraction`` over its capabilities.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import nation_exposure
    >>> net = load_network("tests/fixtures/worked")
    >>> nation_dependence(net, nation_exposure(net), "DEU").round(2).to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'name': 'United States', 'capabilities': 2, 'capabilities_lost': 0,
      'mean_loss_fraction': 0.4, 'max_loss_fraction': 0.4}]
    """
    typed = _failing_nation(network, failing_nation)
    levels = exposure.index.get_level_values("failing_nation")
    if typed not in set(levels):
        raise UsageError(f"the exposure table has no rows for {typed}")
    sub = exposure.loc[typed]
    g = sub.groupby("nation_id", sort=True)
    out = pd.DataFrame({
        "capabilities": g.size(),
        "capabilities_lost": (~sub["up"]).groupby(sub["nation_id"], sort=True).sum(),
        "mean_loss_fraction": g["loss_fraction"].mean(),
        "max_loss_fraction": g["loss_fraction"].max(),
    })
    out.insert(0, "name", nation_names(network).reindex(out.index).to_numpy())
    out["capabilities"] = out["capabilities"].astype(int)
    out["capabilities_lost"] = out["capabilities_lost"].astype(int)
    out.index.name = "nation_id"
    return out
