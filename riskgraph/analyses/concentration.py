"""Supply concentration per component (docs/design.md §4.3).

Direct concentration reads each component's sourcing rows. Shares are *normalised* to sum
to 1 per component before anything is computed, ``w_i = share_i / sum(share)``: the
Herfindahl–Hirschman index measures how the capacity that exists is spread over suppliers,
whether that capacity covers 60 % or 180 % of demand. How much is covered is reported on its
own (``share_total``, the raw sum, below 1 a baseline shortfall). Then

* ``hhi_supplier = 10,000 · Σ w_i²`` (10,000: one supplier; 5,000: two equal ones);
* ``hhi_nation`` the same over shares aggregated by the supplier's *site* nation;
* ``top_nation_id`` / ``top_nation_share``: the site nation with the largest aggregated
  share (ties: the first nation id in alphabetical order);
* ``non_member_share``: the share from suppliers whose site nation is not a ``member``;
  ``non_member_owner_share`` the same by *owner* nation (the site where no owner is given).

Deep concentration (``deep=True``) looks through every tier with the supply rule of DESIGN
§3.2 — the same batched propagation as :func:`riskgraph.analyses.exposure.nation_exposure`
(:func:`riskgraph.model.propagation.failure_supply`, ratios by
:func:`~riskgraph.model.propagation.relative_supply`), but read at every component rather
than at capabilities: ``deep_top_nation_id`` is the nation whose
failure alone cuts the component's supply most, ``deep_top_nation_loss_fraction`` that loss
relative to the baseline, and ``deep_non_member_loss_fraction`` the loss when every
non-member nation fails together. A system made in-house has no direct sourcing but still a
deep concentration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.analyses.exposure import non_allied_nations
from riskgraph.model.network import COMPONENT, NATION, SupplyNetwork
from riskgraph.model.propagation import DEFAULT_MAX_CELLS, baseline_supply, failure_supply, \
    relative_supply

__all__ = ["concentration", "hhi"]


def hhi(shares) -> float:
    """Herfindahl–Hirschman index (0–10,000) of shares, normalised to sum to 1.

    >>> hhi([0.6, 0.6])
    5000.0
    >>> hhi([1.0])
    10000.0
    >>> hhi([])
    nan
    """
    s = np.asarray(shares, dtype=float)
    if s.size == 0 or s.sum() <= 0:
        return float("nan")
    w = s / s.sum()
    return float(10_000.0 * np.sum(w * w))


def concentration(network: SupplyNetwork, *, deep: bool = True,
                  max_cells: int = DEFAULT_MAX_CELLS) -> pd.DataFrame:
    """Direct (and deep) supply concentration of every component.

    Parameters
    ----------
    network
        The network; not modified.
    deep
        Also compute the deep-tier columns (one batched propagation with a scenario per
        nation, plus one with every non-member failed).
    max_cells
        Upper bound on nodes × scenarios per kernel call for the deep columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``component`` (typed id), every component in compiled order. Columns:
        ``component_id``, ``name``, ``kind`` (platform/system/part/material),
        ``min_sources``, ``suppliers`` (count of sourcing rows), ``share_total`` (raw sum
        of shares), ``nations`` (distinct site nations), ``hhi_supplier``, ``hhi_nation``,
        ``top_nation_id``, ``top_nation_share``, ``non_member_share``,
        ``non_member_owner_share``, ``sole_source`` (exactly one supplier),
        ``single_nation`` (all suppliers in one site nation); with ``deep``:
        ``deep_top_nation_id``, ``deep_top_nation_loss_fraction``,
        ``deep_non_member_loss_fraction``. Components without sourcing rows have
        ``suppliers`` 0, missing values (NaN) in the direct share columns and
        ``sole_source``/``single_nation`` False. Shares are fractions in [0, 1].

    Examples
    --------
    >>> from riskgraph import load_network
    >>> conc = concentration(load_network("tests/fixtures/worked"))
    >>> conc.loc[["component:A", "component:B"], ["hhi_supplier", "hhi_nation"]].to_numpy()
    array([[10000., 10000.],
           [ 5000.,  5000.]])
    >>> conc.loc["component:C", "deep_top_nation_id"]
    'USA'
    >>> float(conc.loc["component:C", "deep_top_nation_loss_fraction"])
    1.0
    """
    pkg = network.package
    c = network.compiled
    comp_nodes = np.flatnonzero(c.kind == COMPONENT)
    typed = c.ids[comp_nodes]
    ids = pd.Index([s.split(":", 1)[1] for s in typed])
    comps = pkg.components.reindex(ids)

    n_comp = len(ids)
    src = pkg.sourcing
    sup = pkg.suppliers
    comp = ids.get_indexer(src["component_id"])
    sup_pos = sup.index.get_indexer(src["supplier_id"])
    nation_ids = pd.Index(sorted(pkg.nations.index))  # alphabetical: ties go to the first
    site_of = nation_ids.get_indexer(sup["nation_id"])
    owner_ids = sup["owner_nation_id"] if "owner_nation_id" in sup.columns else None
    owner_of = site_of if owner_ids is None else np.where(
        owner_ids.notna().to_numpy(), nation_ids.get_indexer(owner_ids.fillna("")), site_of)
    member = (pkg.nations["alignment"].reindex(nation_ids) == "member").to_numpy()
    site, owner = site_of[sup_pos], owner_of[sup_pos]
    share = src["share"].to_numpy(dtype=float)

    count = np.bincount(comp, minlength=n_comp)
    has = count > 0
    total = np.bincount(comp, share, minlength=n_comp)
    w = share / total[comp]

    def per_comp(values: np.ndarray, where=comp) -> np.ndarray:
        out = np.bincount(where, values, minlength=n_comp)
        out[~has] = np.nan
        return out

    pair_comp, pair_nation, pair_w, top_id, top_share = _by_nation(comp, site, w, n_comp,
                                                                   nation_ids)
    out = pd.DataFrame(
        {
            "component_id": ids.to_numpy(dtype=object),
            "name": comps["name"].to_numpy(dtype=object),
            "kind": comps["kind"].to_numpy(dtype=object),
            "min_sources": comps["min_sources"].to_numpy(),
            "suppliers": count.astype(np.int64),
            "share_total": np.where(has, total, np.nan),
            "nations": np.bincount(pair_comp, minlength=n_comp).astype(np.int64),
            "hhi_supplier": 10_000.0 * per_comp(w * w),
            "hhi_nation": 10_000.0 * per_comp(pair_w * pair_w, pair_comp),
            "top_nation_id": top_id,
            "top_nation_share": top_share,
            "non_member_share": per_comp(np.where(member[site], 0.0, w)),
            "non_member_owner_share": per_comp(np.where(member[owner], 0.0, w)),
            "sole_source": count == 1,
            "single_nation": np.bincount(pair_comp, minlength=n_comp) == 1,
        },
        index=pd.Index(typed, name="component"),
    )
    if deep:
        out = out.join(_deep(network, comp_nodes, max_cells=max_cells))
    return out


def _by_nation(comp: np.ndarray, site: np.ndarray, w: np.ndarray, n_comp: int,
               nation_ids: pd.Index) -> tuple:
    """Shares aggregated per (component, site nation), and each component's top nation:
    the largest aggregated share, ties to the first nation id alphabetically."""
    pair, pair_of = np.unique(comp.astype(np.int64) * len(nation_ids) + site,
                              return_inverse=True)
    pair_comp, pair_nation = pair // len(nation_ids), pair % len(nation_ids)
    pair_w = np.bincount(pair_of, w, minlength=len(pair))
    order = np.lexsort((pair_nation, -pair_w, pair_comp))
    first = order[np.r_[True, pair_comp[order][1:] != pair_comp[order][:-1]]] \
        if len(order) else order
    top_id = np.full(n_comp, None, dtype=object)
    top_id[pair_comp[first]] = nation_ids.to_numpy(dtype=object)[pair_nation[first]]
    top_share = np.full(n_comp, np.nan)
    top_share[pair_comp[first]] = pair_w[first]
    return pair_comp, pair_nation, pair_w, top_id, top_share


def _deep(network: SupplyNetwork, rows: np.ndarray, *, max_cells: int) -> pd.DataFrame:
    """Worst single-nation loss and all-non-member loss at every node in ``rows``."""
    c = network.compiled
    nations = np.flatnonzero(c.kind == NATION)
    non_member = np.array([network.index_of(f"nation:{n}")
                           for n in non_allied_nations(network)], dtype=np.int64)
    scenarios = [np.array([x]) for x in nations] + [non_member]
    base = baseline_supply(c)[rows][:, None]
    best = np.zeros(len(rows))
    best_at = np.full(len(rows), -1, dtype=np.int64)
    non_member_loss = np.zeros(len(rows))
    for lo, hi, a in failure_supply(c, scenarios, max_cells=max_cells, rows=rows):
        _, loss = relative_supply(a, base)
        single = loss[:, : max(0, min(hi, len(nations)) - lo)]
        if single.shape[1]:
            j = np.argmax(single, axis=1)
            val = single[np.arange(len(rows)), j]
            better = val > best  # strict: ties keep the earlier (alphabetical) nation
            best[better] = val[better]
            best_at[better] = nations[lo + j[better]]
        if hi == len(scenarios):
            non_member_loss = loss[:, -1]
    top = np.where(best_at >= 0, c.ids[np.maximum(best_at, 0)], None)
    return pd.DataFrame(
        {
            "deep_top_nation_id": [None if t is None else t.split(":", 1)[1] for t in top],
            "deep_top_nation_loss_fraction": best,
            "deep_non_member_loss_fraction": non_member_loss,
        },
        index=pd.Index(c.ids[rows], name="component"),
    )
