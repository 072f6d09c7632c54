"""The risk register: one explained, ranked row per failure point (DESIGN §4.8).

Each failure point (nation, supplier, component) gets measures from the other analyses and
a weighted score in [0, 100]::

    score = 100 * Σ_i w_i * measure_i / Σ_i w_i

with every measure scaled to [0, 1]:

==================  =======================================================================
measure             meaning (scaled to 0–1)
==================  =======================================================================
``spof``            capabilities it alone takes down, platform itself excluded / all
                    capabilities
``nations``         nations that lose a capability when it alone fails / fielding nations
``loss``            supply lost summed over capabilities when it alone fails (§3.2), platform
                    itself excluded / all capabilities
``pairs``           capabilities for which it is in a critical pair / all capabilities
``hidden``          capabilities for which it is a *hidden* SPOF / all capabilities
``concentration``   components: supplier HHI / 10,000; suppliers: share of the components
                    it supplies for which it is the sole source; nations: the largest share
                    of any component's supply located there
``alignment``       member 0, partner 0.25, neutral 0.5, adversary 1 (site nation for
                    suppliers; none for components)
``reach``           capabilities downstream of it / all capabilities
==================  =======================================================================

For a component, the consequence measures (spof, nations, loss, hidden, pairs) are
multiplied by its ``fragility``: its supplier HHI / 10,000 (1 when it has no sourcing rows,
i.e. one maker). A component fails as a type only when its whole supply does; a part made
by five firms in five nations is far less likely to vanish than a sole-sourced one, and
its suppliers and nations carry their own rows.

The default weights (:class:`RegisterWeights`) put exact consequences first: being a
single point of failure (3) and the supply it removes (2) dominate, nations affected (1),
hidden SPOFs (1), critical pairs (1) and concentration (1) refine, alignment (0.5) and
reach (0.5) break ties. Each row's ``why`` says in words what drives its rank.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from riskgraph.model.network import SupplyNetwork
from riskgraph.model.propagation import supply

__all__ = ["RegisterWeights", "risk_register", "single_failure_loss"]

_ALIGNMENT_RISK = {"member": 0.0, "partner": 0.25, "neutral": 0.5, "adversary": 1.0}


@dataclass(frozen=True)
class RegisterWeights:
    """Weights of the risk-register score (see the module docs for each measure)."""

    spof: float = 3.0
    loss: float = 2.0
    nations: float = 1.0
    hidden: float = 1.0
    pairs: float = 1.0
    concentration: float = 1.0
    alignment: float = 0.5
    reach: float = 0.5

    def __post_init__(self) -> None:
        from riskgraph.errors import UsageError

        values = asdict(self)
        for name, w in values.items():
            if not (isinstance(w, (int, float)) and np.isfinite(w) and w >= 0):
                raise UsageError(f"register weight {name} must be a number >= 0, got {w!r}")
        if sum(values.values()) <= 0:
            raise UsageError("at least one register weight must be positive")


def single_failure_loss(network: SupplyNetwork, *, points=None, chunk: int = 512
                        ) -> pd.DataFrame:
    """Capability supply loss when each failure point fails alone (DESIGN §3.2).

    Parameters
    ----------
    points
        Typed ids to fail (default: every failure point).
    chunk
        Scenarios propagated per batch (memory is about ``8 * n * chunk`` bytes).

    Returns
    -------
    pandas.DataFrame
        Failure points × capabilities, ``loss_fraction`` = 1 − a(c | x fails) / baseline.
    """
    c = network.compiled
    idx = c.failure_points if points is None else np.array(
        [network.index_of(p) for p in points], dtype=np.int64)
    caps = c.capabilities
    base = supply(c)[caps]
    out = np.zeros((len(idx), len(caps)))
    for lo in range(0, len(idx), chunk):
        part = idx[lo:lo + chunk]
        cap = np.ones((c.n, len(part)))
        cap[part, np.arange(len(part))] = 0.0
        a = supply(c, cap)[caps].T
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(base > 0, a / np.where(base > 0, base, 1.0), 0.0)
        out[lo:lo + len(part)] = 1.0 - np.clip(frac, 0.0, 1.0)
    return pd.DataFrame(out, index=pd.Index(c.ids[idx], name="failure_point"),
                        columns=pd.Index(c.ids[caps], name="capability"))


def risk_register(network: SupplyNetwork, *, weights: RegisterWeights | None = None,
                  spof: pd.DataFrame | None = None, pairs: pd.DataFrame | None = None,
                  concentration_table: pd.DataFrame | None = None,
                  centrality_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank every failure point by a weighted, explained score.

    Precomputed analysis tables may be passed in to avoid recomputing them.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failure_point`` and sorted by ``rank`` (1 = highest risk): ``kind``,
        ``name``, ``nation_id``, ``alignment``, ``score`` (0–100), ``rank``, ``why``, and the
        measures behind it: ``capabilities_lost``, ``nations_lost``, ``spof_count``,
        ``hidden_count``, ``pair_count``, ``loss_sum``, ``sole_source_of``,
        ``concentration``, ``downstream_capabilities``, ``betweenness``.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> reg = risk_register(load_network("tests/fixtures/worked"))
    >>> reg.index[0], int(reg["rank"].iloc[0])
    ('nation:USA', 1)
    """
    from riskgraph.analyses.centrality import centrality
    from riskgraph.analyses.concentration import concentration
    from riskgraph.analyses.spof import blast_radius, critical_pairs, single_points_of_failure

    w = weights if weights is not None else RegisterWeights()
    c = network.compiled
    nodes = network.nodes
    pkg = network.package
    spof = single_points_of_failure(network) if spof is None else spof
    pairs = critical_pairs(network) if pairs is None else pairs
    conc = concentration(network) if concentration_table is None else concentration_table
    cent = centrality(network) if centrality_table is None else centrality_table

    fps = c.ids[c.failure_points]
    n_caps = max(len(c.capabilities), 1)
    fielding_nations = max(network.capabilities["nation_id"].nunique(), 1)
    reg = blast_radius(network, spof)[["kind", "name", "capabilities_lost", "nations_lost",
                                        "spof_count", "hidden_count"]].copy()
    reg.insert(2, "nation_id", nodes["nation_id"].reindex(fps).to_numpy())
    reg.insert(3, "alignment", nodes["alignment"].reindex(fps).to_numpy())

    # critical pairs: capabilities for which the point is in at least one pair
    long = pd.concat([
        pairs.reset_index()[["capability", "failure_point_a"]].set_axis(
            ["capability", "failure_point"], axis=1),
        pairs.reset_index()[["capability", "failure_point_b"]].set_axis(
            ["capability", "failure_point"], axis=1),
    ])
    reg["pair_count"] = long.drop_duplicates().groupby("failure_point").size() \
        .reindex(fps).fillna(0).astype(int).to_numpy()

    # supply loss when the point fails alone, platform itself excluded
    loss = single_failure_loss(network)
    platform_of = network.capabilities["platform_id"].map(lambda p: f"component:{p}")
    own = loss.index.to_numpy()[:, None] == platform_of.reindex(loss.columns).to_numpy()[None, :]
    reg["loss_sum"] = np.where(own, 0.0, loss.to_numpy()).sum(axis=1)
    trivial_caps = pd.Series(own.sum(axis=1), index=loss.index)

    # concentration
    sole = pd.Series(0, index=fps, dtype=int)
    supplied = pd.Series(0, index=fps, dtype=int)
    src = pkg.sourcing
    n_src = src.groupby("component_id")["supplier_id"].transform("size")
    sup_ids = "supplier:" + src["supplier_id"]
    supplied_counts = sup_ids.value_counts()
    sole_counts = sup_ids[n_src == 1].value_counts()
    supplied.update(supplied_counts.reindex(supplied.index).dropna().astype(int))
    sole.update(sole_counts.reindex(sole.index).dropna().astype(int))
    reg["sole_source_of"] = sole.to_numpy()
    concentration_measure = pd.Series(0.0, index=fps)
    is_sup = reg["kind"] == "supplier"
    concentration_measure[is_sup] = (sole[is_sup] / supplied[is_sup].clip(lower=1)).to_numpy()
    is_comp = reg["kind"] == "component"
    hhi = conc["hhi_supplier"] if "hhi_supplier" in conc else pd.Series(dtype=float)
    concentration_measure[is_comp] = (hhi.reindex(fps[is_comp.to_numpy()]).fillna(0.0)
                                      / 10_000).to_numpy()
    is_nat = reg["kind"] == "nation"
    if "top_nation_id" in conc and len(conc):
        top = conc.groupby("top_nation_id")["top_nation_share"].max()
        top.index = "nation:" + top.index.astype(str)
        concentration_measure[is_nat] = top.reindex(fps[is_nat.to_numpy()]).fillna(0.0) \
            .to_numpy()
    reg["concentration"] = concentration_measure.to_numpy()

    reg["downstream_capabilities"] = cent["downstream_capabilities"].reindex(fps) \
        .fillna(0).astype(int).to_numpy()
    reg["betweenness"] = cent["betweenness"].reindex(fps).fillna(0.0).to_numpy()

    # a component fails as a type only when its whole supply does, so its consequences
    # count in proportion to how concentrated that supply is (1 when made in one place)
    fragility = pd.Series(1.0, index=fps)
    fragility[is_comp] = (hhi.reindex(fps[is_comp.to_numpy()]).fillna(10_000.0)
                          / 10_000).to_numpy()
    reg["fragility"] = fragility.to_numpy()
    f = reg["fragility"]
    measures = pd.DataFrame({
        "spof": f * reg["spof_count"] / n_caps,
        "loss": f * reg["loss_sum"] / n_caps,
        "nations": f * reg["nations_lost"] / fielding_nations,
        "hidden": f * reg["hidden_count"] / n_caps,
        "pairs": f * reg["pair_count"] / n_caps,
        "concentration": reg["concentration"],
        "alignment": reg["alignment"].map(_ALIGNMENT_RISK).fillna(0.0),
        "reach": reg["downstream_capabilities"] / n_caps,
    }).clip(0.0, 1.0)
    wv = pd.Series(asdict(w))
    reg["score"] = (100.0 * (measures[wv.index] * wv).sum(axis=1) / wv.sum()).round(6)
    order = np.lexsort((np.arange(len(reg)), -reg["score"].to_numpy()))
    reg = reg.iloc[order]
    reg["rank"] = np.arange(1, len(reg) + 1)
    reg["why"] = [_why(row, network, trivial_caps.get(fp, 0))
                  for fp, row in zip(reg.index, reg.itertuples())]
    cols = ["kind", "name", "nation_id", "alignment", "score", "rank", "why",
            "capabilities_lost", "nations_lost", "spof_count", "hidden_count", "pair_count",
            "loss_sum", "sole_source_of", "concentration", "fragility",
            "downstream_capabilities", "betweenness"]
    return reg[cols]


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word[:-1] + 'ies' if word.endswith('y') else word + 's'}"


def _why(row, network: SupplyNetwork, trivial: int) -> str:
    """One line naming what drives the row's score."""
    parts = []
    spofs, nations, hidden = int(row.spof_count), int(row.nations_lost), int(row.hidden_count)
    where = f"in {_plural(nations, 'nation')}"
    if hidden and hidden == spofs:
        where += ", all hidden below tier 1"
    elif hidden:
        where += f", {hidden} hidden below tier 1"
    if row.kind == "supplier" and row.sole_source_of and spofs:
        sole = _sole_components(network, row.Index)
        what = ", ".join(sole[:3]) + (f" and {len(sole) - 3} more" if len(sole) > 3 else "")
        parts.append(f"sole source of {what}: takes down {_plural(spofs, 'capability')} "
                     f"{where}")
    elif spofs:
        parts.append(f"single point of failure for {_plural(spofs, 'capability')} {where}")
    if row.kind == "nation" and row.loss_sum > 0:
        parts.append(f"its loss removes {row.loss_sum:.1f} capability-equivalents of supply")
    elif not spofs and row.loss_sum > 0.005:
        parts.append(f"failing alone cuts supply by {row.loss_sum:.2f} capability-equivalents")
    if row.pair_count:
        parts.append(f"in a critical pair for {_plural(int(row.pair_count), 'capability')}")
    if row.kind == "component" and row.concentration >= 0.5:
        parts.append(f"supplier HHI {row.concentration * 10_000:,.0f}")
    if row.alignment in ("adversary", "neutral") and (spofs or row.loss_sum > 0):
        article = "an" if row.alignment[0] in "aeiou" else "a"
        parts.append(f"located in {article} {row.alignment} nation")
    if trivial and not parts:
        parts.append(f"the platform itself ({_plural(int(trivial), 'capability')})")
    if not parts:
        parts.append("no capability depends on it alone")
    return "; ".join(parts)


def _sole_components(network: SupplyNetwork, failure_point: str) -> list[str]:
    src = network.package.sourcing
    sid = failure_point.split(":", 1)[1]
    counts = src.groupby("component_id").size()
    mine = src.loc[src["supplier_id"] == sid, "component_id"]
    return sorted(cid for cid in mine if counts[cid] == 1)

