"""Vetoes in the structural analyses: SPOFs, critical pairs, blast radius, exposure and
the register rows of the failure points ``veto:X`` (docs/design.md §3.4, §4.1, §4.2, §4.4,
§4.8).

Each function but :func:`veto_exposure` returns the rows a veto adds, in the shape of the
physical table it joins (:func:`with_vetoes` joins them), and nothing for a package
without ``controls.csv``, so such packages keep their exports byte for byte.

* SPOF: ``veto:X`` is a SPOF of capability c when c is down with the items X blocks for
  c's fielding nation failed (one availability pass per controller, a column per class).
* Pairs: ``{y, veto:X}`` for a physical y when y is a SPOF of c once X's blocked items are
  failed (the crit recursion of §4.1 on the network with those items dead) but neither is
  a SPOF of c alone; ``{veto:X, veto:Y}`` when c is down under both vetoes and up under
  each alone.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd

from riskgraph.model.network import CAPABILITY, SupplyNetwork
from riskgraph.model.propagation import available, baseline_supply, relative_supply
from riskgraph.model.vetoes import (class_available, class_supply, controls_of, veto_classes,
                                    veto_id)

__all__ = ["crit_under", "veto_spofs", "veto_pairs", "veto_blast_radius",
           "veto_exposure", "with_vetoes", "register_with_vetoes"]


def crit_under(network: SupplyNetwork, dead: np.ndarray, targets=None) -> dict[int, object]:
    """crit(v) (docs/design.md §4.1) of each target node with the nodes ``dead`` already
    failed: the failure points whose failure *in addition* makes v unavailable; ``None``
    where v is already down. ``targets``: compiled indices (default: capabilities).

    Size: the recursion of §4.1 node by node in Python over the targets' ancestors (used
    for the few classes of a veto, not on the fast path).
    """
    c = network.compiled
    dead = np.asarray(dead, dtype=bool)
    targets = c.capabilities if targets is None else np.asarray(targets, dtype=np.int64)
    up = available(c, dead)
    need = np.zeros(c.n, dtype=bool)
    need[targets] = True
    for v in range(c.n - 1, -1, -1):  # members precede their node: mark ancestors
        if need[v]:
            need[c.member[c.member_ptr[c.group_ptr[v]]:c.member_ptr[c.group_ptr[v + 1]]]] = True
    crit: dict[int, object] = {}
    for v in np.flatnonzero(need).tolist():
        if not up[v]:
            crit[v] = None
            continue
        s = set() if c.kind[v] == CAPABILITY else {v}
        for g in range(int(c.group_ptr[v]), int(c.group_ptr[v + 1])):
            members = [m for m in c.member[c.member_ptr[g]:c.member_ptr[g + 1]].tolist()
                       if up[m]]
            threshold = len(members) - int(c.group_k[g]) + 1
            counts = Counter(p for m in members for p in crit[m])
            s |= {p for p, k in counts.items() if k >= threshold}
        crit[v] = s
    return {int(t): crit[int(t)] for t in targets}


def _name(network: SupplyNetwork, nation: str) -> str:
    return f"{network.package.nations['name'].get(nation, nation)} refuses licences"


def _frame(network: SupplyNetwork, cap_pos: list[int], **columns) -> pd.DataFrame:
    c = network.compiled
    ids = c.ids[c.capabilities][np.asarray(cap_pos, dtype=np.int64)]
    info = network.capabilities.reindex(ids)
    df = pd.DataFrame({"nation_id": info["nation_id"].to_numpy(dtype=object),
                       "platform_id": info["platform_id"].to_numpy(dtype=object),
                       **columns}, index=pd.Index(ids, name="capability"))
    return df


def _down_alone(network: SupplyNetwork) -> dict[str, np.ndarray]:
    """Per controlling nation, capabilities down under its veto alone (booleans)."""
    c = network.compiled
    none = np.zeros(c.n, dtype=bool)
    return {x: ~class_available(network, none, [x]) for x in controls_of(network).controllers}


def veto_spofs(network: SupplyNetwork) -> pd.DataFrame:
    """The SPOF rows ``veto:X`` adds (columns of
    :func:`~riskgraph.analyses.spof.single_points_of_failure`; kind ``veto``, never
    trivial, always hidden), capability-major in compiled order, then by nation."""
    rows = [(pos, x) for x, down in _down_alone(network).items()
            for pos in np.flatnonzero(down).tolist()]
    rows.sort()
    pos = [p for p, _ in rows]
    return _frame(network, pos, failure_point=[veto_id(x) for _, x in rows],
                  kind=["veto"] * len(rows), name=[_name(network, x) for _, x in rows],
                  trivial=np.zeros(len(rows), bool), hidden=np.ones(len(rows), bool))


def veto_pairs(network: SupplyNetwork) -> pd.DataFrame:
    """The critical-pair rows vetoes add (columns of
    :func:`~riskgraph.analyses.spof.critical_pairs`): ``{physical, veto:X}`` with the
    physical point as ``a``, and ``{veto:X, veto:Y}`` with X < Y."""
    from riskgraph.analyses.spof import crit_sets

    c = network.compiled
    alone = _down_alone(network)
    if not alone:
        return _frame(network, [], failure_point_a=[], failure_point_b=[], kind_a=[],
                      kind_b=[])
    caps = c.capabilities
    physical = crit_sets(network, capabilities_only=True)
    kinds = network.nodes["kind"].to_numpy(dtype=object)
    rows = []
    for x, down in alone.items():
        for blocked, members in veto_classes(network, [x]):
            members = [p for p in members.tolist() if not down[p]]
            if not blocked.size or not members:
                continue
            dead = np.zeros(c.n, dtype=bool)
            dead[blocked] = True
            crit = crit_under(network, dead, caps[members])
            for p in members:
                base = physical[caps[p]] or frozenset()
                for y in sorted(crit[int(caps[p])] - base):
                    rows.append((p, 0, y, c.ids[y], veto_id(x), kinds[y], "veto"))
    for x, y in combinations(sorted(alone), 2):
        both = ~class_available(network, np.zeros(c.n, dtype=bool), [x, y])
        for p in np.flatnonzero(both & ~alone[x] & ~alone[y]).tolist():
            rows.append((p, 1, x, veto_id(x), veto_id(y), "veto", "veto"))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[4]))
    return _frame(network, [r[0] for r in rows], failure_point_a=[r[3] for r in rows],
                  failure_point_b=[r[4] for r in rows], kind_a=[r[5] for r in rows],
                  kind_b=[r[6] for r in rows])


def veto_blast_radius(network: SupplyNetwork, spofs: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """Blast-radius rows (columns of :func:`~riskgraph.analyses.spof.blast_radius`), one per
    controlling nation's veto."""
    from riskgraph.analyses.spof import joined_lists

    spofs = veto_spofs(network) if spofs is None else spofs
    nations = controls_of(network).controllers
    out = pd.DataFrame(index=pd.Index([veto_id(x) for x in nations], name="failure_point"))
    out["kind"] = "veto"
    out["name"] = [_name(network, x) for x in nations]
    groups = [spofs[spofs["failure_point"] == v] for v in out.index]
    out["capabilities_lost"] = [len(g) for g in groups]
    out["nations_lost"] = [g["nation_id"].nunique() for g in groups]
    out["spof_count"] = out["capabilities_lost"]
    out["hidden_count"] = out["capabilities_lost"]
    out["capabilities"] = joined_lists(pd.array([i for g in groups for i in g.index],
                                                dtype=object),
                                       out["capabilities_lost"].to_numpy())
    return out


def veto_exposure(network: SupplyNetwork) -> pd.DataFrame | None:
    """What each capability loses when one controlling nation vetoes (docs/design.md §4.4),
    shown apart from the nation's physical failure (``nation_exposure``).

    Indexed by (``veto``, ``capability``), vetoes by nation, capabilities in compiled
    order: ``veto_nation_id``, ``nation_id`` (fielding), ``platform_id``,
    ``baseline_supply``, ``supply``, ``supply_fraction``, ``loss_fraction``, ``up``.
    None without controls.
    """
    c = network.compiled
    caps = c.capabilities
    base = baseline_supply(c)[caps]
    frames = []
    for x in controls_of(network).controllers:
        a = class_supply(network, None, [x])
        frac, loss = relative_supply(a, base)
        df = _frame(network, list(range(len(caps))), veto_nation_id=x,
                    baseline_supply=base, supply=a, supply_fraction=frac,
                    loss_fraction=loss, up=a > 0)
        df.index = pd.MultiIndex.from_arrays([[veto_id(x)] * len(caps), df.index],
                                             names=["veto", "capability"])
        frames.append(df[["veto_nation_id", "nation_id", "platform_id", "baseline_supply",
                          "supply", "supply_fraction", "loss_fraction", "up"]])
    return pd.concat(frames) if frames else None


def with_vetoes(network: SupplyNetwork, physical: pd.DataFrame,
                extra: pd.DataFrame | None, *, by_capability: bool = True) -> pd.DataFrame:
    """``physical`` with the veto rows ``extra`` joined (unchanged when there are none):
    after each capability's own rows, capabilities by (nation_id, platform_id) as the
    physical tables, when ``by_capability``; else at the end."""
    if extra is None or not len(extra):
        return physical
    attrs = dict(physical.attrs)
    extra = extra[list(physical.columns)]
    both = pd.concat([physical, extra])
    for col in both.columns:  # one contiguous column each (the cache writes them to Arrow)
        if not (pd.api.types.is_numeric_dtype(both[col]) or
                pd.api.types.is_bool_dtype(both[col])):
            both[col] = np.asarray(both[col], dtype=object)
    both.index = pd.Index(np.asarray(both.index, dtype=object), name=both.index.name)
    if by_capability:  # the physical tables' order: by (nation_id, platform_id)
        key = both["nation_id"].astype(str) + "\x00" + both["platform_id"].astype(str)
        both = both.iloc[np.argsort(key.to_numpy(dtype=str), kind="stable")]
    both.attrs.update(attrs)
    return both


def _reach(network: SupplyNetwork, x: str) -> int:
    """Capabilities downstream of an item X controls, for a nation X's veto can block."""
    c = network.compiled
    caps = c.capabilities
    count = 0
    for blocked, members in veto_classes(network, [x]):
        if blocked.size:
            count += int(c.topology.descendant_mask(blocked)[caps[members]].sum())
    return count


def register_with_vetoes(network: SupplyNetwork, register: pd.DataFrame,
                         spofs: pd.DataFrame, pairs: pd.DataFrame,
                         exposure: pd.DataFrame | None, weights) -> pd.DataFrame:
    """The risk register (docs/design.md §4.8) with one row per controlling nation's veto,
    scored by the same measures (fragility 1, concentration 0, the nation's alignment,
    reach = capabilities downstream of an item it can block) and ranked together; the
    register unchanged without controls."""
    from riskgraph.analyses.register import register_scores

    nations = controls_of(network).controllers
    if not nations:
        return register
    c = network.compiled
    blast = veto_blast_radius(network, spofs)
    rows = blast[["kind", "name"]].copy()
    rows.insert(2, "nation_id", nations)
    rows.insert(3, "alignment", network.package.nations["alignment"].reindex(nations).to_numpy())
    for col in ("capabilities_lost", "nations_lost", "spof_count", "hidden_count"):
        rows[col] = blast[col].to_numpy()
    in_pair = pd.concat([pairs[["failure_point_a"]].rename(columns={"failure_point_a": "p"}),
                         pairs[["failure_point_b"]].rename(columns={"failure_point_b": "p"})])
    in_pair = in_pair.reset_index().drop_duplicates()
    rows["pair_count"] = [int((in_pair["p"] == v).sum()) for v in rows.index]
    loss = exposure.groupby(level="veto")["loss_fraction"].sum()
    rows["loss_sum"] = loss.reindex(rows.index).fillna(0.0).to_numpy()
    rows["sole_source_of"] = 0
    rows["concentration"] = 0.0
    rows["fragility"] = 1.0
    rows["downstream_capabilities"] = [_reach(network, x) for x in nations]
    rows["betweenness"] = 0.0
    rows["score"] = register_scores(
        rows, weights, n_caps=max(len(c.capabilities), 1),
        fielding_nations=max(network.capabilities["nation_id"].nunique(), 1))
    rows["why"] = [f"licence refusal by {x}: {n} capabilit{'y' if n == 1 else 'ies'} "
                   f"alone ({k} nation{'' if k == 1 else 's'}), {p} more in critical pairs"
                   for x, n, k, p in zip(nations, rows["spof_count"], rows["nations_lost"],
                                         rows["pair_count"])]
    both = pd.concat([register.drop(columns="rank"), rows[[col for col in register.columns
                                                           if col != "rank"]]])
    both = both.iloc[np.lexsort((np.arange(len(both)), -both["score"].to_numpy()))]
    both.insert(list(register.columns).index("rank"), "rank", np.arange(1, len(both) + 1))
    return both[list(register.columns)]
