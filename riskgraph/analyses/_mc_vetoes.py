"""Monte Carlo with licence refusals (docs/design.md §3.4, §4.7): each nation that controls
an item vetoes independently with its ``veto_prob``, beside the physical failures.

Chunk ``i`` of :data:`~riskgraph.analyses.montecarlo.CHUNK_TRIALS` trials draws from
``SeedSequence(seed, spawn_key=(i, VETO_STREAM))``: a stream of its own, so the physical
tables of :func:`~riskgraph.analyses.montecarlo.monte_carlo` are unchanged. Every failure
point with ``disruption_prob > 0`` and every controlling nation with ``veto_prob > 0`` gets
one uniform number per trial. Fielding nations are grouped by *signature* (for each
controls row, whether it binds them); per group, a controlled item fails in a trial when it
fails physically or a controller binding the group vetoes it, and one availability pass
(64 trials a word) gives the group's capabilities. The same draws without vetoes give
``p_unavailable_physical``, so ``p_added_by_vetoes`` has no sampling noise of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.model.network import SupplyNetwork
from riskgraph.model.propagation import available
from riskgraph.model.vetoes import capability_nations, controls_of

__all__ = ["veto_unavailability", "veto_probabilities", "VETO_STREAM"]

#: The second spawn-key element of the veto stream (the physical chunks use none).
VETO_STREAM = 1


def veto_probabilities(network: SupplyNetwork) -> dict[str, float]:
    """``veto_prob`` of each controlling nation (nations.csv; default 0)."""
    probs = network.package.nations["veto_prob"] if "veto_prob" in network.package.nations \
        else pd.Series(dtype=float)
    return {x: float(np.nan_to_num(probs.get(x, 0.0))) for x in controls_of(network).controllers}


def _groups(network: SupplyNetwork) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows binding the group, capability positions) per signature of fielding nations."""
    ctl = controls_of(network)
    out: dict[tuple, list[int]] = {}
    for pos, nation in enumerate(capability_nations(network).tolist()):
        key = tuple(r for r in range(len(ctl)) if ctl.controller[r] != nation
                    and nation not in ctl.exempt[r])
        out.setdefault(key, []).append(pos)
    return [(np.array(k, dtype=np.int64), np.array(v, dtype=np.int64)) for k, v in out.items()]


def veto_unavailability(network: SupplyNetwork, *, trials: int, seed: int,
                        chunk_trials: int = 4096) -> pd.DataFrame | None:
    """Per capability, the probability it is down with vetoes drawn (None when no
    controlling nation has ``veto_prob > 0``).

    Returns
    -------
    pandas.DataFrame or None
        Indexed by ``capability`` (compiled order): ``nation_id``, ``platform_id``,
        ``p_unavailable`` (physical failures and vetoes), ``ci_low``, ``ci_high`` (95%
        Wilson), ``p_unavailable_physical`` (the same draws without vetoes),
        ``p_added_by_vetoes``, ``trials``.
    """
    from riskgraph.analyses.montecarlo import wilson_interval

    probs = veto_probabilities(network)
    if not any(p > 0 for p in probs.values()):
        return None
    c = network.compiled
    ctl = controls_of(network)
    nations = list(probs)
    ctrl_pos = np.array([nations.index(x) for x in ctl.controller], dtype=np.int64)
    vp = np.array([probs[x] for x in nations])
    caps = c.capabilities
    groups = _groups(network)
    down = np.zeros(len(caps))
    down_phys = np.zeros(len(caps))
    for i in range(-(-trials // chunk_trials)):
        t = min(chunk_trials, trials - i * chunk_trials)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, VETO_STREAM)))
        failed = rng.random((c.n, t)) < c.disruption_prob[:, None]
        veto = rng.random((len(nations), t)) < vp[:, None]
        down_phys += (~available(c, failed)[caps]).sum(axis=1)
        for rows, pos in groups:
            mine = failed.copy()
            for r in rows.tolist():
                mine[ctl.item[r]] |= veto[ctrl_pos[r]]
            down[pos] += (~available(c, mine)[caps[pos]]).sum(axis=1)
    low, high = wilson_interval(down, trials)
    info = network.capabilities.reindex(c.ids[caps])
    return pd.DataFrame({
        "nation_id": info["nation_id"].to_numpy(dtype=object),
        "platform_id": info["platform_id"].to_numpy(dtype=object),
        "p_unavailable": down / trials, "ci_low": low, "ci_high": high,
        "p_unavailable_physical": down_phys / trials,
        "p_added_by_vetoes": (down - down_phys) / trials,
        "trials": trials,
    }, index=pd.Index(c.ids[caps], name="capability"))
