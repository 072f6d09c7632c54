"""Monte Carlo results made ready to show: the two kinds of importance (docs/design.md §4.7).

A point can matter a great deal *if* it fails and yet almost never fail: its risk
achievement worth (RAW) is high while its disruption probability is 0. A planner asks two
different questions, so they are two tables, never one ranking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["importance_views"]


def importance_views(ranking: pd.DataFrame, top: int = 20) -> dict[str, pd.DataFrame]:
    """The scored points ranked two ways.

    Parameters
    ----------
    ranking
        ``MonteCarloResult.ranking``.
    top
        Rows kept in each table.

    Returns
    -------
    dict
        ``if_failed``: by ``raw_max`` (how many times likelier the capability it matters most
        to is lost when the point fails), highest first; infinite RAW (a point of
        probability 0 that alone can take a capability down) ranks first and is shown as
        the largest finite value seen, flagged in ``raw_infinite``. ``given_probability``:
        by ``birnbaum_x_p`` = ``birnbaum_sum`` × ``disruption_prob`` (the expected number of
        capabilities lost in a year through this point's failures), highest first; points
        that cannot fail (probability 0) are left out. Both keep ``kind``, ``name`` and
        ``disruption_prob``; the index is the failure point.

    Examples
    --------
    >>> r = pd.DataFrame({"kind": ["nation", "component"], "name": ["China", "Wafer"],
    ...                   "disruption_prob": [0.3, 0.0], "birnbaum_sum": [56.0, 89.0],
    ...                   "raw_max": [2.5, 10.2]}, index=["nation:CHN", "component:W"])
    >>> v = importance_views(r)
    >>> v["if_failed"].index.tolist(), v["given_probability"]["birnbaum_x_p"].round(1).tolist()
    (['component:W', 'nation:CHN'], [16.8])
    """
    cols = ["kind", "name", "disruption_prob"]
    raw = ranking["raw_max"].astype(float)
    infinite = np.isinf(raw.to_numpy())
    finite = raw[~infinite & raw.notna().to_numpy()]
    shown = raw.where(~infinite, finite.max() if len(finite) else np.nan)
    if_failed = ranking[cols].assign(raw_max=shown, raw_infinite=infinite,
                                     _inf=infinite.astype(int))
    if_failed = if_failed[if_failed["raw_max"].notna()].sort_values(
        ["_inf", "raw_max"], ascending=False, kind="stable").drop(columns="_inf")
    weighted = ranking[cols].assign(
        birnbaum_x_p=ranking["birnbaum_sum"].astype(float) * ranking["disruption_prob"])
    weighted = weighted[weighted["birnbaum_x_p"] > 0].sort_values(
        "birnbaum_x_p", ascending=False, kind="stable")
    return {"if_failed": if_failed.head(top), "given_probability": weighted.head(top)}
