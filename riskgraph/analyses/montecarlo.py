"""Monte Carlo disruption risk with importance measures (docs/design.md §4.7).

Each failure point (nation, supplier, component) fails independently with its
``disruption_prob`` (defaults of docs/design.md §2 applied); failures propagate by the boolean
rules of §3.1 through the bit-packed kernel of :mod:`riskgraph.model.propagation`, 64 trials to
a machine word. :func:`monte_carlo` estimates

* per capability, P(unavailable) with a 95% Wilson interval;
* per nation, the expected number and share of its capabilities lost, and the probability
  of losing at least one;
* per scored failure point ``x`` and capability ``c`` downstream of it, Birnbaum importance
  ``I_B = P(c down | x down) − P(c down | x up)`` and risk achievement worth
  ``RAW = P(c down | x down) / P(c down)``, and an overall ranking of the scored points.

Sampling
--------
Trials come in fixed chunks of :data:`CHUNK_TRIALS`; chunk ``i`` draws from its own stream
``numpy.random.SeedSequence(seed, spawn_key=(i,))`` (the ``i``-th child of
``SeedSequence(seed).spawn``), so results depend on the seed and the trial count only —
never on PYTHONHASHSEED, the scheduler, the number of workers or the order in which chunks
finish. Chunk results are integer counts, summed at the end. Within a chunk a failure
point with a small probability ``p`` (below :data:`DENSE_PROB`) draws a binomial count of
failing trials and then that many distinct trial positions; points with larger ``p`` draw
one uniform number per trial. Both give independent Bernoulli(p) failures per trial.

Importance
----------
"x down" and "x up" force the *failure flag* of ``x`` (its own disruption); forced up,
``x`` still needs its inputs. Each trial is evaluated with ``x`` forced down and forced up
on the same random draws of everything else (common random numbers), only for the scored
points and only where it can differ from the unforced run:

* forced down, the nodes that ``x`` takes down on its own (found by one packed trial per
  point) are down in every trial and skip evaluation — P(c down | x down) = 1 for a
  capability among them; the rest of the downstream cone is evaluated;
* forced up, a trial differs from the unforced run only when ``x`` failed in it, so for a
  point that rarely fails only those trials are picked out and evaluated (a point that
  never fails needs nothing: forced up *is* the unforced run).

``I_B`` is then the fraction of trials in which ``x`` is critical for ``c`` — a binomial
proportion, reported with its own Wilson interval. RAW's denominator is ``P(c down) =
p·P(c down | x down) + (1 − p)·P(c down | x up)`` (exact by independence; lower variance
than the plain estimate), so it agrees with exact enumeration. Capabilities not downstream
of ``x`` are omitted (I_B = 0, RAW = 1). RAW is empty (NaN) when ``c`` is never down even
with ``x`` down.

By default the points scored are the top ``max_points`` failure points by SPOF count and
blast radius (as in :func:`riskgraph.analyses.spof.blast_radius`), then by the number of
capabilities downstream, then by disruption probability (:func:`default_points`), so the
cost stays bounded on large networks.

Examples
--------
>>> from riskgraph import load_network
>>> net = load_network("tests/fixtures/worked")
>>> mc = monte_carlo(net, trials=20_000, seed=1)
>>> row = mc.capabilities.loc["capability:USA/P1"]
>>> round(float(row.p_unavailable), 3), bool(row.ci_low < 0.0304 < row.ci_high)
(0.029, True)
>>> exact = exact_unavailability(net, points=mc.parameters["points"])
>>> round(float(exact.capabilities.loc["capability:USA/P1", "p_unavailable"]), 4)
0.0304
>>> mc.ranking.index[:3].tolist()
['component:B', 'nation:USA', 'component:P2']
>>> sorted(mc.tables())
['mc_capabilities.csv', 'mc_importance.csv', 'mc_nations.csv', 'mc_ranking.csv']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from riskgraph.analyses._mc_evaluate import Weights, evaluate
from riskgraph.analyses._mc_model import DENSE_PROB, build_model
from riskgraph.analyses._mc_vetoes import veto_probabilities, veto_unavailability
from riskgraph.analyses._mc_points import choose_points
from riskgraph.analyses._mc_sampling import chunk_counts
from riskgraph.analyses._mc_tables import (CAPABILITY_COLUMNS, IMPORTANCE_COLUMNS,
                                           NATION_COLUMNS, RANKING_COLUMNS, Estimates,
                                           assemble)
from riskgraph.errors import UsageError
from riskgraph.model.network import CAPABILITY, SupplyNetwork
from riskgraph.model.propagation import WORD_BITS, pack_trials

logger = logging.getLogger(__name__)

__all__ = [
    "MonteCarloResult",
    "monte_carlo",
    "exact_unavailability",
    "wilson_interval",
    "default_points",
    "CHUNK_TRIALS",
    "DENSE_PROB",
    "CAPABILITY_COLUMNS",
    "NATION_COLUMNS",
    "IMPORTANCE_COLUMNS",
    "RANKING_COLUMNS",
]

#: Trials per chunk: each chunk has its own random stream. Fixed, so that results never
#: depend on how chunks are scheduled.
CHUNK_TRIALS = 4096
_CONFIDENCE = 0.95

@dataclass(frozen=True)
class MonteCarloResult:
    """Estimates of one Monte Carlo run (or of an exact enumeration).

    Attributes
    ----------
    capabilities
        Indexed by capability id: ``nation_id``, ``platform_id``, ``p_unavailable``,
        ``ci_low``, ``ci_high`` (95% Wilson interval), ``trials``.
    nations
        Indexed by ``nation:X`` (nations fielding something): ``nation_id``,
        ``capabilities``, ``expected_capabilities_lost``, ``expected_share_lost``,
        ``p_any_lost`` (at least one capability down).
    importance
        Indexed by ``failure_point``, one row per (scored point, capability downstream of
        it): ``nation_id``, ``platform_id``, ``birnbaum``, ``raw``, ``p_down_given_down``,
        ``p_down_given_up``, ``birnbaum_ci_low``, ``birnbaum_ci_high``; ``capability``
        holds the capability id.
    ranking
        Indexed by ``failure_point``, the scored points from most to least important:
        ``rank``, ``kind``, ``name``, ``disruption_prob``, ``capabilities_affected``,
        ``birnbaum_sum`` (expected extra capabilities lost when the point fails rather
        than not), ``birnbaum_max``, ``raw_max``.
    parameters
        Everything needed to reproduce the run.
    """

    capabilities: pd.DataFrame
    nations: pd.DataFrame
    importance: pd.DataFrame
    ranking: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    #: per capability with licence refusals drawn (docs/design.md §3.4); None unless a
    #: controlling nation has veto_prob > 0 (:mod:`riskgraph.analyses._mc_vetoes`)
    vetoes: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The export tables, keyed by CSV file name, with flat columns (no index)."""
        imp = self.importance.reset_index()
        return {
            "mc_capabilities.csv": self.capabilities.reset_index(drop=True),
            "mc_nations.csv": self.nations.reset_index(drop=True),
            "mc_importance.csv": imp[["failure_point", *IMPORTANCE_COLUMNS]],
            "mc_ranking.csv": self.ranking.reset_index(),
        } | ({} if self.vetoes is None else {"mc_vetoes.csv": self.vetoes.reset_index()})


def wilson_interval(successes, trials, *, confidence: float = _CONFIDENCE):
    """Wilson score interval of a binomial proportion.

    Returns
    -------
    (low, high)
        Arrays (or floats) in [0, 1]; exactly 0 / 1 at 0 / all successes.

    >>> low, high = wilson_interval(10, 100)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0552, 0.1744)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    phat = k / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    low = np.where(k <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k >= n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


# ----------------------------------------------------------------------- choosing points


def default_points(network: SupplyNetwork, max_points: int = 20) -> list[str]:
    """The failure points scored by default: the top ``max_points`` by non-trivial SPOF
    count, then blast radius (capabilities lost alone), then capabilities downstream,
    then disruption probability (ties: compiled order). Points with no capability
    downstream are never chosen.

    The counts are those of :func:`riskgraph.analyses.spof.blast_radius` (``spof_count``,
    ``capabilities_lost``), computed by propagating each candidate's failure alone through
    the nodes it takes down (:class:`~riskgraph.analyses._mc_points.SingleFailures`), and
    only for as many candidates as can still make the cut: both counts are bounded by the
    capabilities downstream, so candidates are taken in decreasing order of that bound
    until it falls below the last place.

    >>> from riskgraph import load_network
    >>> default_points(load_network("tests/fixtures/worked"), 3)
    ['component:B', 'nation:USA', 'supplier:S_A']
    """
    if max_points <= 0:
        return []
    c = network.compiled
    return c.ids[choose_points(c, int(max_points))].tolist()


def _resolve_points(network: SupplyNetwork, points, max_points) -> tuple[np.ndarray, bool]:
    if not isinstance(max_points, (int, np.integer)) or isinstance(max_points, bool) \
            or max_points < 0:
        raise UsageError(f"max_points must be a whole number >= 0, got {max_points!r}")
    if points is None:
        ids = default_points(network, int(max_points))
        chosen = True
    else:
        if isinstance(points, str):
            points = [points]
        ids = list(dict.fromkeys(points))
        chosen = False
    c = network.compiled
    idx = []
    for typed in ids:
        i = network.index_of(typed)
        if c.kind[i] == CAPABILITY:
            raise UsageError(f"{typed} is a capability, not a failure point: score a "
                             "nation, supplier or component")
        idx.append(i)
    return np.asarray(idx, dtype=np.int64), chosen


# ---------------------------------------------------------------------------- front ends


def _check_int(name: str, value, low: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise UsageError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def monte_carlo(network: SupplyNetwork, *, trials: int = 10_000, seed: int = 0,
                points: Iterable[str] | None = None, max_points: int = 20,
                scheduler=None,
                progress: Callable[[int, int], None] | None = None) -> MonteCarloResult:
    """Monte Carlo estimates of capability loss and importance measures (docs/design.md §4.7).

    Parameters
    ----------
    network
        The compiled network; its ``disruption_prob`` (with defaults) drives the draws.
    trials
        Number of independent trials.
    seed
        Non-negative seed; with ``trials`` it fixes every number of the result.
    points
        Typed ids of the failure points to score for importance (``None``: the default
        choice of :func:`default_points`); ``[]`` scores none.
    max_points
        How many points the default choice takes.
    scheduler
        ``None`` (in process), ``"local"`` (a Dask LocalCluster for this call),
        ``"tcp://host:port"`` or a ``distributed.Client``; see
        :mod:`riskgraph.analyses.distributed`. Results are identical for every choice.
    progress
        Called as ``progress(done_trials, total_trials)`` after each chunk; an exception
        it raises stops the run (remaining chunks are cancelled) and propagates.

    Returns
    -------
    MonteCarloResult
    """
    trials = _check_int("trials", trials, 1)
    seed = _check_int("seed", seed, 0)
    if progress is not None and not callable(progress):
        raise UsageError("progress must be a callable progress(done_trials, total_trials)")
    from riskgraph.analyses.distributed import check_scheduler, describe_scheduler, run_chunks

    check_scheduler(scheduler)
    point_idx, chosen = _resolve_points(network, points, max_points)
    model, pairs = build_model(network, point_idx, -(-CHUNK_TRIALS // WORD_BITS))
    tasks = [(seed, i, min(CHUNK_TRIALS, trials - i * CHUNK_TRIALS))
             for i in range(-(-trials // CHUNK_TRIALS))]
    totals: dict[str, np.ndarray] = {}
    done = [0]

    def on_result(i: int, counts: dict) -> None:
        for key, value in counts.items():
            totals[key] = totals[key] + value if key in totals else value.copy()
        done[0] += tasks[i][2]
        if progress is not None:
            progress(done[0], trials)

    run_chunks(chunk_counts, model, tasks, scheduler=scheduler, on_result=on_result)

    n = float(trials)
    down = totals["down"]
    low, high = wilson_interval(down, trials)
    dd, du = totals["down_given_down"], totals["down_given_up"]
    b_low, b_high = wilson_interval(dd - du, trials)
    c = network.compiled
    params = {
        "method": "monte_carlo",
        "trials": trials,
        "seed": seed,
        "chunk_trials": CHUNK_TRIALS,
        "dense_prob": DENSE_PROB,
        "confidence": _CONFIDENCE,
        "points": c.ids[point_idx].tolist(),
        "points_chosen_by_default": chosen,
        "max_points": int(max_points),
        "scheduler": describe_scheduler(scheduler),
        "ownership": network.ownership,
        "defaults": _defaults(network),
    }
    est = Estimates(p_down=down / n, ci=(low, high), p_any=totals["any_lost"] / n,
                    pdd=dd / n, pdu=du / n, b_ci=(b_low, b_high), trials=trials)
    vetoes = veto_unavailability(network, trials=trials, seed=seed,
                                 chunk_trials=CHUNK_TRIALS)
    if vetoes is not None:
        params["veto_probabilities"] = veto_probabilities(network)
    return MonteCarloResult(**assemble(network, point_idx, pairs.point, pairs.cap, est),
                            parameters=params, vetoes=vetoes)


def exact_unavailability(network: SupplyNetwork, *, points: Iterable[str] | None = None,
                         max_points: int = 20,
                         max_random_points: int = 16) -> MonteCarloResult:
    """The exact values that :func:`monte_carlo` estimates, by enumerating every state of
    the failure points with ``disruption_prob > 0`` (upstream of some capability),
    weighted by its probability.

    Intended for small networks and tests: the cost doubles with every such point. The
    result has the shape of a Monte Carlo result, with ``trials`` the number of states and
    intervals of zero width.

    >>> from riskgraph import load_network
    >>> ex = exact_unavailability(load_network("tests/fixtures/worked"), points=["component:B"])
    >>> round(float(ex.capabilities.loc["capability:USA/P2", "p_unavailable"]), 6)
    0.000888
    >>> ex.parameters["states"]
    32
    """
    max_random_points = _check_int("max_random_points", max_random_points, 0)
    point_idx, chosen = _resolve_points(network, points, max_points)
    c = network.compiled
    need = c.topology.ancestor_mask(c.capabilities)
    k = int((need & (c.disruption_prob > 0) & (c.kind != CAPABILITY)).sum())
    if k > max_random_points:
        raise UsageError(f"exact enumeration of {k} failure points with disruption_prob > 0 "
                         f"needs 2^{k} states; the limit is {max_random_points} "
                         "(use monte_carlo)")
    states = 1 << k
    words = -(-states // WORD_BITS)
    model, pairs = build_model(network, point_idx, words)
    flags = ((np.arange(states)[None, :] >> np.arange(k)[:, None]) & 1).astype(bool)
    p = model.rand_p[:, None]
    weight = np.prod(np.where(flags, p, 1.0 - p), axis=0) if k else np.ones(1)
    failed = np.zeros((len(model.plan.nodes), words), dtype=np.uint64)
    assert len(model.rand_rows) == k
    if k:
        failed[model.rand_rows] = pack_trials(flags)
    res = evaluate(model, failed, Weights(weight))
    params = {
        "method": "exact",
        "states": states,
        "random_points": c.ids[model.plan.nodes[model.rand_rows]].tolist(),
        "points": c.ids[point_idx].tolist(),
        "points_chosen_by_default": chosen,
        "max_points": int(max_points),
        "ownership": network.ownership,
        "defaults": _defaults(network),
    }
    pdd, pdu = res["down_given_down"], res["down_given_up"]
    est = Estimates(p_down=res["down"], ci=(res["down"], res["down"]), p_any=res["any_lost"],
                    pdd=pdd, pdu=pdu, b_ci=(pdd - pdu, pdd - pdu), trials=states)
    return MonteCarloResult(**assemble(network, point_idx, pairs.point, pairs.cap, est),
                            parameters=params)


def _defaults(network: SupplyNetwork) -> dict:
    return network.defaults.to_dict()
