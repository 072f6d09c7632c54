"""What takes one capability down: its single points of failure and critical pairs.

Both read the structural analysis (docs/design.md §4.1, §4.2); nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import SupplyNetwork

from .lookup import capability_index

__all__ = ["capability_pairs", "capability_spofs"]

_FAILURE_KINDS = ("nation", "supplier", "component", "veto")


def capability_spofs(network: SupplyNetwork, analysis, capability: str, *,
                     kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """The single points of failure of one capability, most serious first.

    The platform itself (a trivial SPOF) is left out. Rows are ordered by the risk
    register's score, so the failure that matters most across the alliance comes first.

    Parameters
    ----------
    network, analysis
        The network and its :func:`~riskgraph.analyses.structural.structural_analysis`.
    capability
        Typed id, e.g. ``"capability:POL/F-35A"``.
    kinds
        Keep only these kinds of failure point (``nation``, ``supplier``, ``component``,
        ``veto``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failure_point``: ``kind``, ``name``, ``nation_id``, ``hidden`` (not
        visible at tier 1), ``capabilities_lost`` and ``nations_lost`` (its blast radius),
        ``recovery_days``, ``score``, ``rank`` (in the whole register) and ``why``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> capability_spofs(net, structural_analysis(net), "capability:USA/P1").index.tolist()
    ['nation:USA', 'supplier:S_A', 'component:A', 'component:B', 'component:C']
    """
    capability_index(network, capability)
    spof = analysis.spof
    rows = spof.loc[spof.index == capability]
    rows = rows[~rows["trivial"]]
    if kinds is not None:
        kinds = list(kinds)
        bad = [k for k in kinds if k not in _FAILURE_KINDS]
        if bad:
            raise UsageError(f"unknown kind(s) {bad}; valid: nation, supplier, component, veto")
        rows = rows[rows["kind"].isin(kinds)]
    fps = rows["failure_point"].to_numpy(dtype=object)
    reg = analysis.risk_register.reindex(fps)
    br = analysis.blast_radius.reindex(fps)
    c = network.compiled
    out = pd.DataFrame(
        {
            "kind": rows["kind"].to_numpy(),
            "name": rows["name"].to_numpy(),
            # a veto (veto:X, docs/design.md §3.4) is held by its nation and is no node
            "nation_id": [f.split(":", 1)[1] if f.startswith("veto:") else n for f, n in
                          zip(fps, network.nodes["nation_id"].reindex(fps).to_numpy())],
            "hidden": rows["hidden"].to_numpy(dtype=bool),
            "capabilities_lost": br["capabilities_lost"].to_numpy(),
            "nations_lost": br["nations_lost"].to_numpy(),
            "recovery_days": np.array([c.recovery_days[c.index[f]] if f in c.index
                                       else network.defaults.nation_recovery_days
                                       for f in fps], dtype=float),
            "score": reg["score"].to_numpy(dtype=float),
            "rank": reg["rank"].to_numpy(),
            "why": reg["why"].to_numpy(),
        },
        index=pd.Index(fps, name="failure_point"),
    )
    return out.sort_values(["score", "capabilities_lost"], ascending=[False, False],
                           kind="stable")


def capability_pairs(network: SupplyNetwork, analysis, capability: str) -> pd.DataFrame:
    """The critical pairs (order-2 cut sets) of one capability, with names.

    Returns
    -------
    pandas.DataFrame
        Plain index: ``failure_point_a``, ``name_a``, ``kind_a``, ``failure_point_b``,
        ``name_b``, ``kind_b``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> capability_pairs(net, structural_analysis(net), "capability:USA/P1")["name_b"].tolist()
    ['Supplier B1', 'Supplier B2']
    """
    capability_index(network, capability)
    pairs = analysis.critical_pairs
    rows = pairs.loc[pairs.index == capability]
    names = network.nodes["name"]
    return pd.DataFrame({
        "failure_point_a": rows["failure_point_a"].to_numpy(),
        "name_a": names.reindex(rows["failure_point_a"]).to_numpy(),
        "kind_a": rows["kind_a"].to_numpy(),
        "failure_point_b": rows["failure_point_b"].to_numpy(),
        "name_b": names.reindex(rows["failure_point_b"]).to_numpy(),
        "kind_b": rows["kind_b"].to_numpy(),
    })
