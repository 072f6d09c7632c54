"""Matrices ready to draw as heatmaps: nation × platform, failing nation × capability."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import SupplyNetwork

from .lookup import nation_names

__all__ = ["Heatmap", "capability_matrix", "exposure_heatmap"]


@dataclass(frozen=True)
class Heatmap:
    """A matrix ready to draw: values with row and column ids and readable labels."""

    z: pd.DataFrame
    row_labels: list
    col_labels: list


def capability_matrix(network: SupplyNetwork, table: pd.DataFrame, value: str) -> Heatmap:
    """Nation × platform matrix of one column of a per-capability table.

    ``table`` is any table with ``nation_id`` and ``platform_id`` columns and one row per
    capability (survivability, one scenario's what-if rows, Monte Carlo results). Cells
    where a nation does not field the platform are NaN; labels are names.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import alliance_survivability
    >>> net = load_network("tests/fixtures/worked")
    >>> m = capability_matrix(net, alliance_survivability(net), "supply_fraction")
    >>> m.z.round(2).to_dict("index")
    {'USA': {'P1': 1.0, 'P2': 1.0}}
    """
    for col in ("nation_id", "platform_id", value):
        if col not in table.columns:
            raise UsageError(f"the table has no {col!r} column")
    if value in ("nation_id", "platform_id", "scenario"):
        raise UsageError(f"{value!r} is not a value column")
    z = table.pivot_table(index="nation_id", columns="platform_id", values=value,
                          aggfunc="first", dropna=False, observed=True)
    z = z.astype(float).sort_index().sort_index(axis=1)
    nations = nation_names(network)
    comps = network.package.components["name"]
    return Heatmap(z=z, row_labels=[nations.get(n, n) for n in z.index],
                   col_labels=[comps.get(p, p) for p in z.columns])


def _platform_columns(caps: pd.DataFrame, platforms) -> pd.Series:
    """Which capability columns belong to ``platforms`` (all when None)."""
    if platforms is None:
        return pd.Series(True, index=caps.index)
    platforms = [platforms] if isinstance(platforms, str) else list(platforms)
    unknown = sorted(set(platforms) - set(caps["platform_id"]))
    if unknown:
        raise UsageError(f"no capability with platform {', '.join(map(repr, unknown))}")
    return caps["platform_id"].isin(platforms)


def exposure_heatmap(network: SupplyNetwork, exposure: pd.DataFrame, *,
                     platforms: Iterable[str] | None = None,
                     impacted_only: bool = True) -> Heatmap:
    """Failing nation × capability loss fraction, for a heatmap (docs/design.md §4.4).

    Rows are failing nations, most damaging first (by mean loss); with ``impacted_only``
    nations whose failure costs nothing are left out. Columns are capabilities ordered by
    platform then nation, optionally only of ``platforms``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.exposure import nation_exposure
    >>> net = load_network("tests/fixtures/worked")
    >>> h = exposure_heatmap(net, nation_exposure(net))
    >>> h.row_labels, h.col_labels
    (['United States (USA)', 'Germany (DEU)'], ['USA P1', 'USA P2'])
    """
    from riskgraph.analyses.exposure import exposure_matrix

    m = exposure_matrix(exposure, value="loss_fraction")
    caps = network.capabilities.reindex(m.columns)
    keep = _platform_columns(caps, platforms).to_numpy()
    m, caps = m.loc[:, keep], caps[keep]
    col_order = caps.sort_values(["platform_id", "nation_id"], kind="stable").index
    m = m[col_order]
    caps = caps.reindex(col_order)
    mean = m.mean(axis=1)
    if impacted_only:
        m = m[(m > 0).any(axis=1)]
        mean = mean.reindex(m.index)
    m = m.loc[mean.sort_values(ascending=False, kind="stable").index]
    names = nation_names(network)
    rows = [f"{names.get(r.split(':', 1)[1], r)} ({r.split(':', 1)[1]})" for r in m.index]
    cols = [f"{n} {p}" for n, p in zip(caps["nation_id"], caps["platform_id"])]
    return Heatmap(z=m, row_labels=rows, col_labels=cols)
