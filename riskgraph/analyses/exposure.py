"""Nation exposure and alliance-only survivability (docs/design.md §4.4).

Both questions fail nations and read how much of each capability is still supplied under
the supply rule of docs/design.md §3.2, through the whole deep tree (a nation takes down its
suppliers' sites and, with ownership on, the suppliers it owns; everything downstream
follows). Every scenario is a column of one batched call of
:func:`riskgraph.model.propagation.supply`; columns are processed in chunks of at most
``max_cells`` node-scenario cells so memory stays bounded on large networks.

Results are relative to the baseline (nothing failed), which is below 1 where sourcing
shares sum below 1: ``supply_fraction = a(c) / baseline a(c)`` (0 where the baseline is 0,
which a validated package cannot produce) and ``loss_fraction = 1 - supply_fraction``,
under the one rounding rule of :func:`riskgraph.model.propagation.relative_supply` (clipped
to [0, 1], values within ``1e-12`` of 0 or 1 snapped, docs/design.md §3.2).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.model.network import NATION, SupplyNetwork, split_node_id
from riskgraph.model.propagation import DEFAULT_MAX_CELLS, baseline_supply, failure_supply, \
    relative_supply, supply

__all__ = [
    "nation_exposure",
    "exposure_matrix",
    "exposure_summary",
    "alliance_survivability",
    "non_allied_nations",
    "DEFAULT_MAX_CELLS",
]

def _nation_indices(network: SupplyNetwork, nations: Iterable[str] | None) -> np.ndarray:
    """Compiled indices of the nations asked for (all, in compiled order, for None)."""
    c = network.compiled
    if nations is None:
        return np.flatnonzero(c.kind == NATION)
    if isinstance(nations, str):
        nations = [nations]
    out: list[int] = []
    for nid in nations:
        if not isinstance(nid, str):
            raise UsageError(f"nation ids are strings such as 'DEU' or 'nation:DEU', "
                             f"got {nid!r}")
        typed = nid if ":" in nid else f"nation:{nid}"
        kind, _ = split_node_id(typed)
        if kind != "nation":
            raise UsageError(f"{nid!r} is a {kind}, not a nation; write 'DEU' or "
                             f"'nation:DEU'")
        i = network.index_of(typed)
        if i not in out:
            out.append(i)
    return np.asarray(out, dtype=np.int64)


def nation_exposure(network: SupplyNetwork, *, nations: Iterable[str] | None = None,
                    max_cells: int = DEFAULT_MAX_CELLS) -> pd.DataFrame:
    """What each capability loses when one nation fails (docs/design.md §4.4).

    For every failing nation X and capability c: ``loss_fraction = 1 - a(c | X fails) /
    baseline a(c)`` under docs/design.md §3.2, through the whole deep tree. All nations are failed
    in one batched propagation (a column per nation, chunked by ``max_cells``).

    Parameters
    ----------
    network
        The network; not modified.
    nations
        Nation ids to fail, one at a time (``'DEU'`` or ``'nation:DEU'``); default every
        nation, in compiled (alphabetical) order. Duplicates are dropped.
    max_cells
        Upper bound on nodes × scenarios per kernel call.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per (failing nation, capability), indexed by the MultiIndex
        (``failing_nation``, ``capability``) of typed ids, failing nations in the order
        asked and capabilities in compiled order. Columns: ``failing_nation_id``,
        ``nation_id`` (the fielding nation), ``platform_id``, ``baseline_supply`` (a(c) with
        nothing failed), ``supply`` (a(c) with X failed, as a fraction of full demand),
        ``supply_fraction`` (relative to the baseline), ``loss_fraction`` and ``up``
        (available under §3.1 with X failed, i.e. supply above 0).

    Raises
    ------
    UsageError
        For an unknown nation or an id of another kind.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> exp = nation_exposure(load_network("tests/fixtures/worked"))
    >>> exp.loc[("nation:USA", "capability:USA/P2"), "loss_fraction"].round(6)
    np.float64(0.4)
    >>> exp.loc["nation:USA", "up"].to_dict()
    {'capability:USA/P2': True, 'capability:USA/P1': False}
    """
    c = network.compiled
    failing = _nation_indices(network, nations)
    caps = c.capabilities
    base = baseline_supply(c)[caps]
    n_f, n_c = len(failing), len(caps)
    a = np.empty((n_c, n_f))
    for lo, hi, chunk in failure_supply(c, [np.array([x]) for x in failing],
                                         max_cells=max_cells, rows=caps):
        a[:, lo:hi] = chunk
    # long format: failing nation major, capability minor
    a = a.T.reshape(-1)
    base_long = np.tile(base, n_f)
    frac, loss = relative_supply(a, base_long)
    failing_ids = c.ids[failing]
    cap_ids = c.ids[caps]
    info = network.capabilities.reindex(cap_ids)
    index = pd.MultiIndex.from_arrays(
        [np.repeat(failing_ids, n_c), np.tile(cap_ids, n_f)],
        names=["failing_nation", "capability"])
    return pd.DataFrame(
        {
            "failing_nation_id": np.repeat([s.split(":", 1)[1] for s in failing_ids], n_c),
            "nation_id": np.tile(info["nation_id"].to_numpy(dtype=object), n_f),
            "platform_id": np.tile(info["platform_id"].to_numpy(dtype=object), n_f),
            "baseline_supply": base_long,
            "supply": a,
            "supply_fraction": frac,
            "loss_fraction": loss,
            "up": a > 0,
        },
        index=index,
    )


def exposure_matrix(exposure: pd.DataFrame, *, value: str = "loss_fraction"
                    ) -> pd.DataFrame:
    """Failing nation × capability table of one column of :func:`nation_exposure`.

    Parameters
    ----------
    exposure
        The result of :func:`nation_exposure`.
    value
        The column to spread (``loss_fraction`` for the heatmap, ``up``, ...).

    Returns
    -------
    pandas.DataFrame
        Index ``failing_nation``, columns ``capability`` (typed ids, in the order of
        ``exposure``).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> m = exposure_matrix(nation_exposure(load_network("tests/fixtures/worked")))
    >>> m.round(6).to_dict("index")["nation:DEU"]
    {'capability:USA/P2': 0.4, 'capability:USA/P1': 0.4}
    """
    if value not in exposure.columns:
        raise UsageError(f"{value!r} is not a column of the exposure table; valid: "
                         f"{', '.join(exposure.columns)}")
    rows = pd.unique(exposure.index.get_level_values("failing_nation"))
    cols = pd.unique(exposure.index.get_level_values("capability"))
    wide = exposure[value].unstack("capability")
    wide = wide.reindex(index=pd.Index(rows, name="failing_nation"),
                        columns=pd.Index(cols, name="capability"))
    return wide


def exposure_summary(exposure: pd.DataFrame) -> pd.DataFrame:
    """Per failing nation: how much its failure costs the alliance.

    Parameters
    ----------
    exposure
        The result of :func:`nation_exposure`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failing_nation`` (typed id, order of ``exposure``): ``failing_nation_id``,
        ``capabilities_lost`` (not up), ``capabilities_impacted`` (loss above 0),
        ``nations_impacted`` (distinct fielding nations with a loss above 0),
        ``mean_loss_fraction`` and ``max_loss_fraction`` over all capabilities.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> s = exposure_summary(nation_exposure(load_network("tests/fixtures/worked")))
    >>> s.loc["nation:USA", ["capabilities_lost", "capabilities_impacted"]].tolist()
    [1, 2]
    """
    rows = pd.unique(exposure.index.get_level_values("failing_nation"))
    df = exposure.reset_index()
    hit = df["loss_fraction"] > 0
    g = df.groupby("failing_nation", sort=False)
    out = pd.DataFrame(index=pd.Index(rows, name="failing_nation"))
    out["failing_nation_id"] = g["failing_nation_id"].first().reindex(rows).to_numpy()
    out["capabilities_lost"] = (~df["up"]).groupby(df["failing_nation"], sort=False).sum() \
        .reindex(rows).astype(int).to_numpy()
    out["capabilities_impacted"] = hit.groupby(df["failing_nation"], sort=False).sum() \
        .reindex(rows).astype(int).to_numpy()
    out["nations_impacted"] = df[hit].groupby("failing_nation", sort=False)["nation_id"] \
        .nunique().reindex(rows).fillna(0).astype(int).to_numpy()
    out["mean_loss_fraction"] = g["loss_fraction"].mean().reindex(rows).to_numpy()
    out["max_loss_fraction"] = g["loss_fraction"].max().reindex(rows).to_numpy()
    return out


def non_allied_nations(network: SupplyNetwork, *, keep_partners: bool = False) -> list[str]:
    """Ids of the nations that fail in :func:`alliance_survivability` (compiled order).

    >>> from riskgraph import load_network
    >>> non_allied_nations(load_network("tests/fixtures/worked"))
    []
    """
    keep = ("member", "partner") if keep_partners else ("member",)
    alignment = network.package.nations["alignment"]
    c = network.compiled
    ids = [s.split(":", 1)[1] for s in c.ids[c.kind == NATION]]
    return [nid for nid in ids if alignment[nid] not in keep]


def alliance_survivability(network: SupplyNetwork, *, keep_partners: bool = False
                           ) -> pd.DataFrame:
    """What each capability keeps when every non-allied nation fails at once (docs/design.md §4.4).

    All nations whose alignment is not ``member`` (with ``keep_partners=True``: neither
    ``member`` nor ``partner``) fail together; with ownership on, so do the suppliers they
    own, wherever those produce.

    Parameters
    ----------
    network
        The network; not modified.
    keep_partners
        Keep ``partner`` nations as allied sources.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability`` (typed id, compiled order): ``nation_id``,
        ``platform_id``, ``up`` (§3.1), ``baseline_supply``, ``supply`` (a(c) with the
        non-allied nations failed), ``supply_fraction`` (relative to the baseline) and
        ``loss_fraction``. ``attrs["failed_nations"]`` lists the failed nation ids.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> alliance_survivability(load_network("tests/fixtures/worked"))["up"].tolist()
    [True, True]
    """
    c = network.compiled
    failed_ids = non_allied_nations(network, keep_partners=keep_partners)
    failed = np.array([network.index_of(f"nation:{n}") for n in failed_ids], dtype=np.int64)
    capacity = np.ones(c.n)
    capacity[failed] = 0.0
    caps = c.capabilities
    both = supply(c, np.stack([np.ones(c.n), capacity], axis=1))[caps]
    base, a = both[:, 0], both[:, 1]
    frac, loss = relative_supply(a, base)
    cap_ids = c.ids[caps]
    info = network.capabilities.reindex(cap_ids)
    out = pd.DataFrame(
        {
            "nation_id": info["nation_id"].to_numpy(dtype=object),
            "platform_id": info["platform_id"].to_numpy(dtype=object),
            "up": a > 0,
            "baseline_supply": base,
            "supply": a,
            "supply_fraction": frac,
            "loss_fraction": loss,
        },
        index=pd.Index(cap_ids, name="capability"),
    )
    out.attrs["failed_nations"] = failed_ids
    return out
