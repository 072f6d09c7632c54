"""The result tables of a Monte Carlo run or an exact enumeration (docs/design.md §4.7).

:func:`assemble` turns per-capability, per-nation and per-pair estimates into the four
DataFrames of :class:`~riskgraph.analyses.montecarlo.MonteCarloResult`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from riskgraph.model.network import SupplyNetwork

CAPABILITY_COLUMNS = ("nation_id", "platform_id", "p_unavailable", "ci_low", "ci_high",
                      "trials")
NATION_COLUMNS = ("nation_id", "capabilities", "expected_capabilities_lost",
                  "expected_share_lost", "p_any_lost")
IMPORTANCE_COLUMNS = ("nation_id", "platform_id", "birnbaum", "raw", "p_down_given_down",
                      "p_down_given_up", "birnbaum_ci_low", "birnbaum_ci_high")
RANKING_COLUMNS = ("rank", "kind", "name", "disruption_prob", "capabilities_affected",
                   "birnbaum_sum", "birnbaum_max", "raw_max")


class Estimates(NamedTuple):
    """What a run estimates, before it becomes tables.

    ``p_down``, ``ci`` per capability (compiled order); ``p_any`` per nation (sorted ids);
    ``pdd``, ``pdu``, ``b_ci`` per importance pair (P(c down | x down), P(c down | x up)
    and the Birnbaum interval); ``trials`` (or states).
    """

    p_down: np.ndarray
    ci: tuple
    p_any: np.ndarray
    pdd: np.ndarray
    pdu: np.ndarray
    b_ci: tuple
    trials: int


def assemble(network: SupplyNetwork, point_idx: np.ndarray, pair_point: np.ndarray,
             pair_cap: np.ndarray, est: Estimates) -> dict[str, pd.DataFrame]:
    """``capabilities``, ``nations``, ``importance`` and ``ranking`` tables."""
    cap_df = capability_table(network, est)
    imp = importance_table(network, point_idx, pair_point, pair_cap, est)
    return {"capabilities": cap_df, "nations": nation_table(cap_df, est.p_any),
            "importance": imp, "ranking": ranking_table(network, point_idx, imp)}


def capability_table(network: SupplyNetwork, est: Estimates) -> pd.DataFrame:
    caps = network.capabilities
    cap_df = pd.DataFrame({
        "nation_id": caps["nation_id"].to_numpy(),
        "platform_id": caps["platform_id"].to_numpy(),
        "p_unavailable": np.asarray(est.p_down, dtype=np.float64),
        "ci_low": np.asarray(est.ci[0], dtype=np.float64),
        "ci_high": np.asarray(est.ci[1], dtype=np.float64),
        "trials": np.full(len(caps), est.trials, dtype=np.int64),
    }, index=caps.index)
    return cap_df.sort_values(["nation_id", "platform_id"], kind="stable")


def nation_table(cap_df: pd.DataFrame, p_any) -> pd.DataFrame:
    nat = cap_df.groupby("nation_id", sort=True).agg(
        capabilities=("p_unavailable", "size"),
        expected_capabilities_lost=("p_unavailable", "sum"))
    nat["expected_share_lost"] = nat["expected_capabilities_lost"] / nat["capabilities"]
    nat["p_any_lost"] = np.asarray(p_any, dtype=np.float64)  # same sorted nation order
    nat = nat.reset_index()
    nat.index = pd.Index("nation:" + nat["nation_id"], name="nation")
    return nat[list(NATION_COLUMNS)]


def importance_table(network: SupplyNetwork, point_idx, pair_point, pair_cap,
                     est: Estimates) -> pd.DataFrame:
    c = network.compiled
    caps = network.capabilities
    pdd = np.asarray(est.pdd, dtype=np.float64)
    pdu = np.asarray(est.pdu, dtype=np.float64)
    px = c.disruption_prob[point_idx][pair_point] if len(pair_point) else np.zeros(0)
    # P(c down) = p·P(down | x down) + (1 − p)·P(down | x up): exact by independence
    denom = px * pdd + (1.0 - px) * pdu
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(denom > 0, pdd / np.where(denom > 0, denom, 1.0),
                       np.where(pdd > 0, np.inf, np.nan))
    imp = pd.DataFrame({
        "capability": caps.index.to_numpy()[pair_cap],
        "nation_id": caps["nation_id"].to_numpy()[pair_cap],
        "platform_id": caps["platform_id"].to_numpy()[pair_cap],
        "birnbaum": pdd - pdu,
        "raw": raw,
        "p_down_given_down": pdd,
        "p_down_given_up": pdu,
        "birnbaum_ci_low": np.asarray(est.b_ci[0], dtype=np.float64),
        "birnbaum_ci_high": np.asarray(est.b_ci[1], dtype=np.float64),
        "_point": pair_point,
    }, index=pd.Index(c.ids[point_idx][pair_point] if len(pair_point) else [],
                      name="failure_point", dtype=object))
    imp = imp.sort_values(["_point", "nation_id", "platform_id"], kind="stable")
    return imp[["capability", *IMPORTANCE_COLUMNS]]


def ranking_table(network: SupplyNetwork, point_idx, imp: pd.DataFrame) -> pd.DataFrame:
    c = network.compiled
    nodes = network.nodes
    ids = c.ids[point_idx]
    g = imp.groupby(level=0, sort=False)
    rank = pd.DataFrame({
        "kind": nodes["kind"].reindex(ids).to_numpy(),
        "name": nodes["name"].reindex(ids).to_numpy(),
        "disruption_prob": c.disruption_prob[point_idx],
        "capabilities_affected": g.size().reindex(ids).fillna(0).astype(np.int64).to_numpy(),
        "birnbaum_sum": g["birnbaum"].sum().reindex(ids).fillna(0.0).to_numpy(),
        "birnbaum_max": g["birnbaum"].max().reindex(ids).fillna(0.0).to_numpy(),
        "raw_max": g["raw"].max().reindex(ids).to_numpy(dtype=np.float64),
        "_order": np.arange(len(ids)),
    }, index=pd.Index(ids, name="failure_point", dtype=object))
    rank = rank.sort_values(["birnbaum_sum", "raw_max", "_order"],
                            ascending=[False, False, True], kind="stable", na_position="last")
    rank.insert(0, "rank", np.arange(1, len(rank) + 1, dtype=np.int64))
    return rank[list(RANKING_COLUMNS)]
