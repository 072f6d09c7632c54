"""The risk register: one explained, ranked row per failure point (docs/design.md §4.8).

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

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from riskgraph.model.network import SupplyNetwork
from riskgraph.model.cones import single_failure_supply
from riskgraph.model.propagation import DEFAULT_MAX_CELLS, relative_supply, supply
from riskgraph.analyses.rowsums import dense_row_sums

__all__ = ["RegisterWeights", "risk_register", "single_failure_loss", "register_scores"]

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

    def to_dict(self) -> dict:
        """The weights by measure name; :meth:`from_dict` inverts it.

        >>> RegisterWeights.from_dict(RegisterWeights(spof=5).to_dict()).spof
        5
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> "RegisterWeights":
        """Weights from :meth:`to_dict`'s form; missing measures keep their defaults."""
        from riskgraph.errors import UsageError

        unknown = sorted(set(data) - set(asdict(cls())))
        if unknown:
            raise UsageError(f"unknown register weight(s) {', '.join(map(repr, unknown))}; "
                             f"valid: {', '.join(asdict(cls()))}")
        return cls(**dict(data))


def single_failure_loss(network: SupplyNetwork, *, points=None,
                        max_cells: int = DEFAULT_MAX_CELLS) -> pd.DataFrame:
    """Capability supply loss when each failure point fails alone (docs/design.md §3.2).

    Only a point's downstream cone can change, so each point is evaluated there
    (:func:`~riskgraph.model.cones.single_failure_supply`): the work follows the
    sum of the cones, not points × nodes.

    Parameters
    ----------
    points
        Typed ids to fail (default: every failure point).
    max_cells
        Bound on the cells held at once by the cone pass.

    Returns
    -------
    pandas.DataFrame
        Long table of the non-zero losses, one row per (``failure_point``, ``capability``)
        with ``loss_fraction`` = 1 − a(c | x fails) / baseline a(c); points in the order
        given (default compiled order), capabilities in compiled order. A pair missing
        from the table loses nothing. For the points × capabilities matrix::

            loss.pivot(index="failure_point", columns="capability",
                       values="loss_fraction")  # then fill the gaps with 0

    Examples
    --------
    >>> from riskgraph import load_network
    >>> loss = single_failure_loss(load_network("tests/fixtures/worked"),
    ...                            points=["supplier:S_B1"])
    >>> loss.round(6).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'failure_point': ['supplier:S_B1', 'supplier:S_B1'],
     'capability': ['capability:USA/P2', 'capability:USA/P1'], 'loss_fraction': [0.4, 0.4]}
    """
    c = network.compiled
    idx = c.failure_points if points is None else np.array(
        [network.index_of(p) for p in points], dtype=np.int64)
    point, cap, loss = _loss_cells(c, idx, max_cells=max_cells)
    return pd.DataFrame({"failure_point": c.ids[idx][point],
                         "capability": c.ids[c.capabilities][cap],
                         "loss_fraction": loss})


def _loss_cells(c, idx: np.ndarray, *, max_cells: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero single-failure losses as ``(point position, capability position, loss)``,
    sorted by point then capability."""
    caps = c.capabilities
    base = supply(c)
    cap_pos = np.full(c.n, -1, dtype=np.int64)
    cap_pos[caps] = np.arange(len(caps))
    parts = [(p, cap_pos[v], relative_supply(a, base[v])[1])
             for p, v, a in single_failure_supply(c, idx, base=base, rows=caps,
                                                  max_cells=max_cells)]
    # a capability without baseline supply counts as wholly lost to every point (the
    # ratio rule's 0 where the baseline is 0); a validated package has none
    dead = np.flatnonzero(base[caps] == 0)
    if len(dead):
        parts.append((np.repeat(np.arange(len(idx)), len(dead)), np.tile(dead, len(idx)),
                      np.ones(len(idx) * len(dead))))
    point, cap, loss = (np.concatenate([x[i] for x in parts]) if parts else
                        np.zeros(0, dt) for i, dt in enumerate((np.int64, np.int64, float)))
    if len(dead):  # the cone pass yields cells sorted by (point, capability) already
        order = np.lexsort((cap, point))
        point, cap, loss = point[order], cap[order], loss[order]
    hit = loss != 0
    return point[hit], cap[hit], loss[hit]


def risk_register(network: SupplyNetwork, *, weights: RegisterWeights | None = None,
                  spof: pd.DataFrame | None = None, pairs: pd.DataFrame | None = None,
                  concentration_table: pd.DataFrame | None = None,
                  centrality_table: pd.DataFrame | None = None,
                  blast: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank every failure point by a weighted, explained score.

    Precomputed analysis tables (``spof``, ``pairs``, ``concentration_table``,
    ``centrality_table``, ``blast`` from :func:`~riskgraph.analyses.spof.blast_radius`)
    may be passed in to avoid recomputing them.

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
    blast = blast_radius(network, spof) if blast is None else blast
    reg = blast[["kind", "name", "capabilities_lost", "nations_lost", "spof_count",
                 "hidden_count"]].copy()
    reg.insert(2, "nation_id", nodes["nation_id"].reindex(fps).to_numpy())
    reg.insert(3, "alignment", nodes["alignment"].reindex(fps).to_numpy())
    reg["pair_count"] = _pair_counts(pairs, fps)

    # supply loss when the point fails alone, platform itself excluded
    point, cap, loss = _loss_cells(c, c.failure_points, max_cells=DEFAULT_MAX_CELLS)
    platform = c.topology.capability_platform
    own = c.failure_points[point] == platform[cap]
    reg["loss_sum"] = dense_row_sums(point[~own], cap[~own], loss[~own], len(fps),
                                     len(c.capabilities))
    trivial_caps = np.bincount(platform, minlength=c.n)[c.failure_points]

    sole, concentration_measure, hhi = _concentration_measures(reg, pkg.sourcing, conc, fps)
    reg["sole_source_of"] = sole
    reg["concentration"] = concentration_measure
    reg["downstream_capabilities"] = cent["downstream_capabilities"].reindex(fps) \
        .fillna(0).astype(int).to_numpy()
    reg["betweenness"] = cent["betweenness"].reindex(fps).fillna(0.0).to_numpy()

    # a component fails as a type only when its whole supply does, so its consequences
    # count in proportion to how concentrated that supply is (1 when made in one place)
    fragility = pd.Series(1.0, index=fps)
    is_comp = (reg["kind"] == "component").to_numpy()
    fragility[is_comp] = (hhi.reindex(fps[is_comp]).fillna(10_000.0) / 10_000).to_numpy()
    reg["fragility"] = fragility.to_numpy()
    reg["score"] = register_scores(reg, w, n_caps=max(len(c.capabilities), 1),
                           fielding_nations=max(network.capabilities["nation_id"].nunique(), 1))
    order = np.lexsort((np.arange(len(reg)), -reg["score"].to_numpy()))
    reg = reg.iloc[order]
    reg["rank"] = np.arange(1, len(reg) + 1)
    reg["why"] = _why_column(reg, _sole_components(network), trivial_caps[order])
    cols = ["kind", "name", "nation_id", "alignment", "score", "rank", "why",
            "capabilities_lost", "nations_lost", "spof_count", "hidden_count", "pair_count",
            "loss_sum", "sole_source_of", "concentration", "fragility",
            "downstream_capabilities", "betweenness"]
    return reg[cols]


def _pair_counts(pairs: pd.DataFrame, fps: np.ndarray) -> np.ndarray:
    """Per failure point, the capabilities for which it is in at least one critical pair."""
    if not len(pairs):
        return np.zeros(len(fps), dtype=np.int64)
    points = pd.Index(fps)
    cap = pd.factorize(pairs.index)[0].astype(np.int64) * len(fps)
    keys = []
    for column in ("failure_point_a", "failure_point_b"):
        # factorize first: the strings are hashed once, the distinct ones looked up once
        codes, uniques = pd.factorize(pairs[column])
        point = points.get_indexer(uniques)[codes]
        keys.append((cap + point)[point >= 0])
    key = np.sort(np.concatenate(keys))
    key = key[np.r_[True, key[1:] != key[:-1]]]  # each (capability, point) once
    return np.bincount(key % len(fps), minlength=len(fps))


def _concentration_measures(reg: pd.DataFrame, src: pd.DataFrame, conc: pd.DataFrame,
                            fps: np.ndarray) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(sole_source_of, the concentration measure, supplier HHI by component) per point:
    suppliers the share of their components they alone supply, components their HHI,
    nations the largest top-nation share of a component (module docs)."""
    # on integer codes: each distinct id is looked up once, rows are counted by bincount
    comp, _ = pd.factorize(src["component_id"])
    rows_of = np.bincount(comp[comp >= 0], minlength=1)
    alone = np.where(comp >= 0, rows_of[np.maximum(comp, 0)], 0) == 1
    sup, sup_ids = pd.factorize(src["supplier_id"])
    point = np.where(sup >= 0, pd.Index(fps).get_indexer("supplier:" + pd.Index(sup_ids))[
        np.maximum(sup, 0)], -1) if len(sup_ids) else np.full(len(sup), -1)
    has = point >= 0
    supplied = pd.Series(np.bincount(point[has], minlength=len(fps)), index=fps)
    sole = pd.Series(np.bincount(point[has & alone], minlength=len(fps)), index=fps)
    measure = pd.Series(0.0, index=fps)
    is_sup = reg["kind"] == "supplier"
    measure[is_sup] = (sole[is_sup] / supplied[is_sup].clip(lower=1)).to_numpy()
    is_comp = reg["kind"] == "component"
    hhi = conc["hhi_supplier"] if "hhi_supplier" in conc else pd.Series(dtype=float)
    measure[is_comp] = (hhi.reindex(fps[is_comp.to_numpy()]).fillna(0.0) / 10_000).to_numpy()
    is_nat = reg["kind"] == "nation"
    if "top_nation_id" in conc and len(conc):
        top = conc.groupby("top_nation_id")["top_nation_share"].max()
        top.index = "nation:" + top.index.astype(str)
        measure[is_nat] = top.reindex(fps[is_nat.to_numpy()]).fillna(0.0).to_numpy()
    return sole.to_numpy(), measure.to_numpy(), hhi


def register_scores(reg: pd.DataFrame, w: RegisterWeights, *, n_caps: int,
                    fielding_nations: int) -> pd.Series:
    """The weighted score in [0, 100] of every row (module docs); also scores the veto
    rows of :mod:`riskgraph.analyses.vetoes`."""
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
    return (100.0 * (measures[wv.index] * wv).sum(axis=1) / wv.sum()).round(6)


def _why_column(reg: pd.DataFrame, sole_of: dict, trivial_caps: np.ndarray) -> list[str]:
    return [_why(kind, spofs, nations, hidden, sole, loss_sum, pairs_, conc_, align,
                 sole_of.get(fp, ()), trivial)
            for fp, kind, spofs, nations, hidden, sole, loss_sum, pairs_, conc_, align,
            trivial in zip(reg.index.tolist(), reg["kind"].tolist(),
                           reg["spof_count"].tolist(), reg["nations_lost"].tolist(),
                           reg["hidden_count"].tolist(),
                           reg["sole_source_of"].tolist(), reg["loss_sum"].tolist(),
                           reg["pair_count"].tolist(), reg["concentration"].tolist(),
                           reg["alignment"].tolist(), trivial_caps.tolist())]


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word[:-1] + 'ies' if word.endswith('y') else word + 's'}"


def _why(kind, spofs, nations, hidden, sole_source_of, loss_sum, pair_count, concentration,
         alignment, sole: Sequence[str], trivial: int) -> str:
    """One line naming what drives the row's score."""
    parts = []
    spofs, nations, hidden = int(spofs), int(nations), int(hidden)
    where = f"in {_plural(nations, 'nation')}"
    if hidden and hidden == spofs:
        where += ", all hidden below tier 1"
    elif hidden:
        where += f", {hidden} hidden below tier 1"
    if kind == "supplier" and sole_source_of and spofs:
        what = ", ".join(sole[:3]) + (f" and {len(sole) - 3} more" if len(sole) > 3 else "")
        parts.append(f"sole source of {what}: takes down {_plural(spofs, 'capability')} "
                     f"{where}")
    elif spofs:
        parts.append(f"single point of failure for {_plural(spofs, 'capability')} {where}")
    if kind == "nation" and loss_sum > 0:
        parts.append(f"its loss removes {loss_sum:.1f} capability-equivalents of supply")
    elif not spofs and loss_sum > 0.005:
        parts.append(f"failing alone cuts supply by {loss_sum:.2f} capability-equivalents")
    if pair_count:
        parts.append(f"in a critical pair for {_plural(int(pair_count), 'capability')}")
    if kind == "component" and concentration >= 0.5:
        parts.append(f"supplier HHI {concentration * 10_000:,.0f}")
    if alignment in ("adversary", "neutral") and (spofs or loss_sum > 0):
        article = "an" if alignment[0] in "aeiou" else "a"
        parts.append(f"located in {article} {alignment} nation")
    if trivial and not parts:
        parts.append(f"the platform itself ({_plural(int(trivial), 'capability')})")
    if not parts:
        parts.append("no capability depends on it alone")
    return "; ".join(parts)


def _sole_components(network: SupplyNetwork) -> dict[str, list[str]]:
    """Typed supplier id -> the components it alone sources (sorted), grouped once."""
    src = network.package.sourcing
    comp, _ = pd.factorize(src["component_id"])
    rows_of = np.bincount(comp[comp >= 0], minlength=1)
    alone = (comp >= 0) & (rows_of[np.maximum(comp, 0)] == 1)
    keep = alone & src["supplier_id"].notna().to_numpy()
    sole = src.loc[keep, ["supplier_id", "component_id"]]
    if not len(sole):
        return {}
    # one sort by (supplier, component) instead of a Python sort per supplier
    sole = sole.sort_values(["supplier_id", "component_id"], kind="stable")
    sup = sole["supplier_id"].tolist()
    comps = sole["component_id"].tolist()
    ids = np.asarray(sup, dtype=object)
    bounds = np.r_[0, np.flatnonzero(ids[1:] != ids[:-1]) + 1, len(sup)].tolist()
    return {"supplier:" + sup[lo]: comps[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])}
