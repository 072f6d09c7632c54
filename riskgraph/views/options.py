"""Picker options: every capability and every failure point with a readable label."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.model.network import NODE_KINDS, SupplyNetwork

from .lookup import nation_names

__all__ = ["KIND_LABELS", "capability_options", "failure_point_options", "node_options"]

#: Display name of each node kind.
KIND_LABELS = {"nation": "Nation", "supplier": "Supplier", "component": "Component",
               "capability": "Capability"}


def capability_options(network: SupplyNetwork) -> pd.DataFrame:
    """Every capability with a label for pickers, sorted by label.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability`` (typed id): ``nation_id``, ``nation_name``,
        ``platform_id``, ``platform_name`` and ``label`` (e.g. ``"Poland — F-35A Lightning II
        (POL/F-35A)"``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> capability_options(load_network("tests/fixtures/worked"))["label"].tolist()
    ['United States — Platform 1 (USA/P1)', 'United States — Platform 2 (USA/P2)']
    """
    caps = network.capabilities
    nations = nation_names(network)
    comps = network.package.components["name"]
    out = pd.DataFrame(index=caps.index.copy())
    out["nation_id"] = caps["nation_id"]
    out["nation_name"] = caps["nation_id"].map(nations).fillna(caps["nation_id"])
    out["platform_id"] = caps["platform_id"]
    out["platform_name"] = caps["platform_id"].map(comps).fillna(caps["platform_id"])
    out["label"] = (out["nation_name"] + " — " + out["platform_name"] + " ("
                    + out["nation_id"] + "/" + out["platform_id"] + ")")
    return out.sort_values("label", kind="stable")


def failure_point_options(network: SupplyNetwork) -> pd.DataFrame:
    """Every failure point (nation, supplier, component) with a label for pickers.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failure_point`` (typed id), nations first, then suppliers, then
        components, each by name: ``kind``, ``id``, ``name``, ``nation_id`` (site nation of a
        supplier; the nation itself for a nation), ``recovery_days`` (the default outage of
        a what-if) and ``label`` (e.g. ``"Supplier: Supplier A (S_A, USA)"``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> opts = failure_point_options(load_network("tests/fixtures/worked"))
    >>> opts.loc["supplier:S_A", "label"], float(opts.loc["supplier:S_A", "recovery_days"])
    ('Supplier: Supplier A (S_A, USA)', 90.0)
    """
    c = network.compiled
    nodes = network.nodes
    idx = c.failure_points
    ids = c.ids[idx]
    out = nodes.loc[ids, ["kind", "id", "name", "nation_id"]].copy()
    out.index.name = "failure_point"
    out["recovery_days"] = c.recovery_days[idx]
    where = out["nation_id"].where(out["kind"] == "supplier")
    extra = np.where(where.notna(), out["id"] + ", " + where.fillna(""), out["id"])
    out["label"] = out["kind"].map(KIND_LABELS) + ": " + out["name"].fillna(out["id"]) + \
        " (" + extra + ")"
    out["_order"] = out["kind"].map({k: i for i, k in enumerate(NODE_KINDS)})
    out = out.sort_values(["_order", "name", "id"], kind="stable").drop(columns="_order")
    return out


def node_options(network: SupplyNetwork) -> pd.DataFrame:
    """Every node a view can focus on: the failure points, then the capabilities.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``node`` (typed id): ``kind`` and ``label`` (a capability's is
        ``"Capability: "`` and its :func:`capability_options` label).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> node_options(load_network("tests/fixtures/worked"))["label"].tolist()[-1]
    'Capability: United States — Platform 2 (USA/P2)'
    """
    fps = failure_point_options(network)[["kind", "label"]]
    caps = capability_options(network)
    caps = pd.DataFrame({"kind": "capability", "label": "Capability: " + caps["label"]},
                        index=caps.index)
    out = pd.concat([fps, caps])
    out.index.name = "node"
    return out
