"""All structural analyses of docs/design.md §4.1–4.5 and §4.8, computed once and shared.

The CLI's ``riskgraph analyse``, its summary and the dashboard call
:func:`structural_analysis` and read its tables; none of them computes a metric itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from riskgraph.model.network import SupplyNetwork
from riskgraph.model.vetoes import controls_of
from riskgraph.analyses.register import RegisterWeights

__all__ = ["StructuralAnalysis", "structural_analysis"]


@dataclass(frozen=True)
class StructuralAnalysis:
    """The results of every structural analysis for one network and parameter set."""

    spof: pd.DataFrame
    blast_radius: pd.DataFrame
    critical_pairs: pd.DataFrame
    concentration: pd.DataFrame
    nation_exposure: pd.DataFrame
    survivability: pd.DataFrame
    centrality: pd.DataFrame
    risk_register: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    #: per (veto, capability), with controls.csv only (docs/design.md §3.4)
    veto_exposure: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The export tables, keyed by CSV file name, with flat columns (no index)."""
        return {
            "spof.csv": self.spof.reset_index(drop=True),
            "critical_pairs.csv": self.critical_pairs.reset_index(drop=True),
            "concentration.csv": _flat(self.concentration),
            "nation_exposure.csv": _flat(self.nation_exposure, keep_index=False),
            "survivability.csv": _flat(self.survivability, keep_index=False),
            "centrality.csv": _flat(self.centrality),
            "blast_radius.csv": _flat(self.blast_radius),
            "risk_register.csv": _flat(self.risk_register),
        } | ({} if self.veto_exposure is None else
             {"veto_exposure.csv": _flat(self.veto_exposure)})


def _flat(df: pd.DataFrame, *, keep_index: bool = True) -> pd.DataFrame:
    """The index as ordinary leading columns, unless its values are already columns."""
    if not keep_index:
        return df.reset_index(drop=True)
    return df.reset_index()


def _parameters(network: SupplyNetwork, *, seed, keep_partners, weights, betweenness_k,
                sample_threshold, max_pairs_per_capability) -> dict:
    """Everything a structural analysis is a function of, besides the package's bytes."""
    return {
        "seed": seed,
        "keep_partners": keep_partners,
        "ownership": network.ownership,
        "weights": weights.to_dict(),
        "betweenness_k": betweenness_k,
        "sample_threshold": sample_threshold,
        "max_pairs_per_capability": max_pairs_per_capability,
        "defaults": network.defaults.to_dict(),
    }


def structural_analysis(network: SupplyNetwork, *, seed: int = 0,
                        keep_partners: bool = False,
                        weights: RegisterWeights | None = None,
                        betweenness_k: int | None = None,
                        sample_threshold: int = 5000,
                        max_pairs_per_capability: int | None = None,
                        cache=None) -> StructuralAnalysis:
    """Run SPOFs, critical pairs, concentration, exposure, survivability, centrality and
    the risk register on one network.

    Parameters
    ----------
    seed
        Seed of the sampled betweenness on large networks.
    keep_partners
        Alliance-only survivability keeps ``partner`` nations as well as members.
    weights
        Risk-register weights.
    betweenness_k, sample_threshold
        Betweenness is exact below ``sample_threshold`` nodes, else sampled from
        ``betweenness_k`` sources.
    max_pairs_per_capability
        Keep at most this many critical pairs per capability (``None``: all).
    cache
        A :class:`~riskgraph.io.cache.ResultCache` (or None): the result is read from it
        when the package bytes, riskgraph version and every parameter match, else computed
        and stored. ``result.parameters["cache"]`` says which (``"hit"`` or ``"miss"``).
    """
    weights = weights if weights is not None else RegisterWeights()
    params = _parameters(network, seed=seed, keep_partners=keep_partners, weights=weights,
                         betweenness_k=betweenness_k, sample_threshold=sample_threshold,
                         max_pairs_per_capability=max_pairs_per_capability)
    if cache is None:
        return _compute(network, params, weights)
    key = cache.key("structural", network.package.content_hash, params)
    hit = cache.get_frames(key)
    if hit is not None and set(_TABLES) <= set(hit[0]):
        frames, (parameters, attrs) = hit
        for name, frame in frames.items():
            frame.attrs.update(attrs.get(name, {}))
        return StructuralAnalysis(**frames, parameters={**parameters, "cache": "hit"})
    result = _compute(network, params, weights)
    frames = {name: getattr(result, name) for name in _TABLES}
    if result.veto_exposure is not None:
        frames["veto_exposure"] = result.veto_exposure
    cache.put_frames(key, frames, (result.parameters,
                                   {name: dict(f.attrs) for name, f in frames.items()}))
    return replace(result, parameters={**result.parameters, "cache": "miss"})


#: The tables of a StructuralAnalysis, as its fields are named.
_TABLES = ("spof", "blast_radius", "critical_pairs", "concentration", "nation_exposure",
           "survivability", "centrality", "risk_register")


def _compute(network: SupplyNetwork, params: dict, weights: RegisterWeights
             ) -> StructuralAnalysis:
    from riskgraph.analyses.centrality import centrality
    from riskgraph.analyses.concentration import concentration
    from riskgraph.analyses.exposure import alliance_survivability, nation_exposure
    from riskgraph.analyses.register import risk_register
    from riskgraph.analyses.spof import blast_radius, critical_pairs, single_points_of_failure

    spof = single_points_of_failure(network)
    pairs = critical_pairs(network,
                           max_pairs_per_capability=params["max_pairs_per_capability"])
    conc = concentration(network)
    cent = centrality(network, k=params["betweenness_k"], seed=params["seed"],
                      sample_threshold=params["sample_threshold"])
    blast = blast_radius(network, spof)
    register = risk_register(network, weights=weights, spof=spof, pairs=pairs,
                             concentration_table=conc, centrality_table=cent, blast=blast)
    # the search is complete; only the table may be cut, and the manifest says by how much
    dropped = pairs.attrs.get("pairs_dropped_by_capability", {})
    params = {**params, "critical_pairs": {
        "found": int(pairs.attrs.get("pairs_found", len(pairs))),
        "written": int(len(pairs)),
        "dropped": int(pairs.attrs.get("pairs_dropped", 0)),
        "capabilities_cut": len(dropped)}}
    exposure, v_exposure = nation_exposure(network), None
    if len(controls_of(network)):  # vetoes join every table (docs/design.md §3.4)
        spof, blast, pairs, v_exposure, register = _with_vetoes(
            network, spof, blast, pairs, register, weights)
        params["critical_pairs"]["veto_pairs"] = int((pairs["kind_b"] == "veto").sum())
    return StructuralAnalysis(
        spof=spof,
        blast_radius=blast,
        critical_pairs=pairs,
        concentration=conc,
        nation_exposure=exposure,
        survivability=alliance_survivability(network, keep_partners=params["keep_partners"]),
        centrality=cent,
        risk_register=register,
        parameters=dict(params),
        veto_exposure=v_exposure,
    )


def _with_vetoes(network, spof, blast, pairs, register, weights):
    """The tables with the rows of the failure points ``veto:X`` joined."""
    from riskgraph.analyses import vetoes

    v_spof, v_pairs = vetoes.veto_spofs(network), vetoes.veto_pairs(network)
    v_exposure = vetoes.veto_exposure(network)
    all_pairs = vetoes.with_vetoes(network, pairs, v_pairs)
    register = vetoes.register_with_vetoes(network, register, v_spof, all_pairs, v_exposure,
                                           weights)
    return (vetoes.with_vetoes(network, spof, v_spof),
            vetoes.with_vetoes(network, blast, vetoes.veto_blast_radius(network, v_spof),
                               by_capability=False),
            all_pairs, v_exposure, register)
