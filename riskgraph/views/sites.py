"""Supplier sites for a world map, with the damage each does alone (docs/design.md §4.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.model.network import SupplyNetwork

__all__ = ["supplier_sites"]


def supplier_sites(network: SupplyNetwork, analysis) -> pd.DataFrame:
    """Supplier sites for a world map: where they are and how much they take down alone.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``supplier`` (typed id): ``name``, ``nation_id``, ``nation_name``,
        ``alignment`` (of the site nation), ``owner_nation_id``, ``lat``, ``lon`` (NaN when
        the package does not give them), ``capabilities_lost``, ``nations_lost``,
        ``spof_count``, ``score``, ``rank`` and ``why``. Ordered by score, highest first.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> from riskgraph.analyses.structural import structural_analysis
    >>> net = load_network("tests/fixtures/worked")
    >>> supplier_sites(net, structural_analysis(net))["capabilities_lost"].to_dict()
    {'supplier:S_A': 1, 'supplier:S_B1': 0, 'supplier:S_B2': 0}
    """
    sup = network.package.suppliers
    ids = pd.Index(["supplier:" + s for s in sup.index], name="supplier")
    nations = network.package.nations
    owner = sup["owner_nation_id"] if "owner_nation_id" in sup else pd.Series(np.nan, sup.index)
    out = pd.DataFrame(index=ids)
    out["name"] = sup["name"].to_numpy()
    out["nation_id"] = sup["nation_id"].to_numpy()
    out["nation_name"] = nations["name"].reindex(sup["nation_id"]).to_numpy()
    out["alignment"] = nations["alignment"].reindex(sup["nation_id"]).to_numpy()
    out["owner_nation_id"] = owner.where(owner.notna(), sup["nation_id"]).to_numpy()
    for col in ("lat", "lon"):
        out[col] = pd.to_numeric(sup[col], errors="coerce").to_numpy() if col in sup \
            else np.nan
    br = analysis.blast_radius.reindex(ids)
    reg = analysis.risk_register.reindex(ids)
    out["capabilities_lost"] = br["capabilities_lost"].fillna(0).astype(int).to_numpy()
    out["nations_lost"] = br["nations_lost"].fillna(0).astype(int).to_numpy()
    out["spof_count"] = br["spof_count"].fillna(0).astype(int).to_numpy()
    out["score"] = reg["score"].to_numpy(dtype=float)
    out["rank"] = reg["rank"].to_numpy()
    out["why"] = reg["why"].to_numpy()
    return out.sort_values(["score"], ascending=False, kind="stable")
