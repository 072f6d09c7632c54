"""Exact single points of failure and critical pairs (docs/design.md §4.1–4.2).

``crit(v)`` is the set of failure points whose failure alone makes ``v`` unavailable. In
one topological pass over the compiled groups::

    crit(v) = {v if v is a failure point}  ∪  ⋃ over v's groups of crit(group)
    crit(group with k of n members) = points in at least n − k + 1 members' crit sets

(``k = 1``: the intersection; a single required input: its set). This is exact on a DAG.
Dominator trees are only right when every node needs *any one* of its inputs, and
articulation points ignore direction and AND/OR altogether: neither is used here
(``tests/test_spof.py`` shows both missing a true SPOF).

Critical pairs follow the same recursion one order up: ``pairs(v)``, the {x, y} (neither
in crit(v)) whose joint failure makes ``v`` unavailable, is the union over v's groups of
the members' pairs (a group that any one member down fails) or of the pairs that take
``n − k + 1`` members down (a k-of-n group that needs two or more). A pair that needs no
alternative group below ``v`` cannot exist, so only those groups create pairs.

Both recursions run level by level on flat arrays (a CSR of sets per node, sorted), so a
level is a few sorts whatever its width; ``tests/test_spof.py`` checks them against brute
force and against the per-failure-point propagation they replaced.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd

from riskgraph.model.network import CAPABILITY, SupplyNetwork
from riskgraph.model.topology import ranges

__all__ = ["single_points_of_failure", "blast_radius", "critical_pairs", "crit_sets"]

logger = logging.getLogger(__name__)

#: Marker for a node that is already down (failed, or cut off by failures).
DEAD = None

class _Buffer:
    """A growable int64 array (amortised doubling): CSR values appended level by level."""

    def __init__(self, size: int = 1 << 16):
        self.data = np.empty(size, dtype=np.int64)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            grown = np.empty(max(end, 2 * len(self.data)), dtype=np.int64)
            grown[:self.size] = self.data[:self.size]
            self.data = grown
        self.data[self.size:end] = values
        self.size = end

    def view(self) -> np.ndarray:
        return self.data[:self.size]


def _sorted_runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``keys`` and the start of each run of equal keys."""
    keys = np.sort(keys)  # np.unique's hashing is ten times slower here
    if not len(keys):
        return keys, np.zeros(0, dtype=np.int64)
    return keys, np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


class _Level(NamedTuple):
    """The requirement groups of one topological level, alive members only."""

    g0: int  # first group of the level
    groups: np.ndarray  # group index of each alive member entry (absolute)
    members: np.ndarray  # the alive member entries
    alive: np.ndarray  # alive members per group of the level
    need: np.ndarray  # dead members that fail each group (alive - k + 1)


def _level_groups(c, lo: int, hi: int, dead: np.ndarray) -> _Level:
    g0, g1 = int(c.group_ptr[lo]), int(c.group_ptr[hi])
    e0, e1 = int(c.member_ptr[g0]), int(c.member_ptr[g1])
    members = c.member[e0:e1].astype(np.int64)
    groups = np.repeat(np.arange(g0, g1), np.diff(c.member_ptr[g0:g1 + 1]))
    ok = ~dead[members]
    alive = np.bincount(groups[ok] - g0, minlength=g1 - g0)
    need = alive - c.group_k[g0:g1].astype(np.int64) + 1
    return _Level(g0, groups[ok], members[ok], alive, need)


def _crit_csr(c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """crit(v) of every node as a CSR ``(ptr, points, dead)``, one vectorised pass per level.

    Per level, every alive member's set is listed against its group; a point is in a
    group's set when it is in at least ``need`` members' sets (sort, count runs), and a
    node's set is the union of its groups' sets and itself (sort, dedupe). ``dead`` marks
    nodes down with nothing failed (a group with fewer than ``k`` alive members).
    """
    n = c.n
    is_fp = c.kind != CAPABILITY
    ptr = np.zeros(n + 1, dtype=np.int64)
    points = _Buffer()
    dead = np.zeros(n, dtype=bool)
    group_node = c.group_node.astype(np.int64)
    for lvl in range(len(c.level_ptr) - 1):
        lo, hi = int(c.level_ptr[lvl]), int(c.level_ptr[lvl + 1])
        lv = _level_groups(c, lo, hi, dead)
        size = ptr[lv.members + 1] - ptr[lv.members]
        x = points.data[ranges(ptr[lv.members], size)]
        g = np.repeat(lv.groups - lv.g0, size)
        keys, starts = _sorted_runs(g * n + x)
        counts = np.diff(np.r_[starts, len(keys)])
        keys = keys[starts]
        keys = keys[counts >= lv.need[keys // n]]
        gdead = lv.need <= 0
        node_dead = np.zeros(hi - lo, dtype=bool)
        node_dead[group_node[lv.g0 + np.flatnonzero(gdead)] - lo] = True
        dead[lo:hi] = node_dead
        own = np.flatnonzero(is_fp[lo:hi] & ~node_dead)
        node = group_node[lv.g0 + keys // n] - lo
        keys, starts = _sorted_runs(np.r_[node * n + keys % n, own * n + own + lo])
        keys = keys[starts]
        node = keys // n
        keys = keys[~node_dead[node]]
        points.extend(keys % n)
        ptr[lo + 1:hi + 1] = ptr[lo] + np.cumsum(np.bincount(keys // n, minlength=hi - lo))
    return ptr, points.view(), dead


def _isin_sorted(table: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Which ``queries`` occur in the sorted array ``table``."""
    pos = np.searchsorted(table, queries)
    pos[pos == len(table)] = 0
    return (table[pos] == queries) if len(table) else np.zeros(len(queries), dtype=bool)


def _dedupe(group: np.ndarray, code: np.ndarray, n_groups: int, n: int, mask=None):
    """Unique ``(group, code)`` rows sorted, masks OR-ed over duplicates."""
    if n_groups * n * n < 2 ** 62:
        order = np.argsort(group * (n * n) + code, kind="stable")
    else:
        order = np.lexsort((code, group))
    group, code = group[order], code[order]
    first = np.flatnonzero(np.r_[True, (group[1:] != group[:-1]) | (code[1:] != code[:-1])]) \
        if len(code) else np.zeros(0, dtype=np.int64)
    if mask is None:
        return group[first], code[first], None
    return group[first], code[first], np.bitwise_or.reduceat(mask[order], first) \
        if len(first) else mask[:0]


def _group_pairs(n, lv: _Level, sel: np.ndarray, node: np.ndarray, crit, pairs):
    """Pairs failing the k-of-n groups (need >= 2) whose alive member entries are ``sel``.

    A pair {x, y} fails a group when at least ``need`` members are down with both failed:
    members with x or y in their crit set, or {x, y} among their pairs. Candidates are the
    cross products of two members' crit sets (points in the node's own crit set left out:
    they are SPOFs) and the members' pairs; each candidate's down members are a bitmask.
    """
    (cptr, cpts, ckey), (pptr, pcodes) = crit, pairs
    g = lv.groups[sel] - lv.g0
    m = lv.members[sel]
    e = np.arange(len(g))
    rank = e - np.searchsorted(g, g)
    bit = np.left_shift(np.uint64(1), rank.astype(np.uint64))
    size = cptr[m + 1] - cptr[m]
    x = cpts[ranges(cptr[m], size)]
    xe = np.repeat(e, size)
    ag, ax, amask = _dedupe(g[xe], x, len(lv.need), n, bit[xe])
    akey = ag * n + ax  # sorted
    # reduced sets: crit(member) minus the node's crit set
    keep = ~_isin_sorted(ckey, node[g[xe]] * n + x)
    rx, re = x[keep], xe[keep]
    rcount = np.bincount(re, minlength=len(e))
    rstart = np.r_[0, np.cumsum(rcount)[:-1]]
    group_end = np.searchsorted(g, g, side="right")
    partners = group_end - e - 1
    e1 = np.repeat(e, partners)
    e2 = ranges(e + 1, partners)
    a, b = rcount[e1], rcount[e2]
    block = np.repeat(np.arange(len(e1)), a * b)
    t = np.arange(len(block)) - np.repeat(np.r_[0, np.cumsum(a * b)[:-1]], a * b)
    cx = rx[rstart[e1][block] + t // b[block]]
    cy = rx[rstart[e2][block] + t % b[block]]
    differ = cx != cy
    cx, cy, cg = cx[differ], cy[differ], g[e1][block][differ]
    psize = pptr[m + 1] - pptr[m]
    pc = pcodes[ranges(pptr[m], psize)]
    group = np.r_[cg, np.repeat(g, psize)]
    code = np.r_[np.minimum(cx, cy) * n + np.maximum(cx, cy), pc]
    mask = np.r_[np.zeros(len(cg), dtype=np.uint64), np.repeat(bit, psize)]
    group, code, mask = _dedupe(group, code, len(lv.need), n, mask)
    for point in (code // n, code % n):
        q = group * n + point
        pos = np.searchsorted(akey, q)
        pos[pos == len(akey)] = 0
        hit = akey[pos] == q if len(akey) else np.zeros(len(q), dtype=bool)
        mask[hit] |= amask[pos[hit]]
    ok = np.bitwise_count(mask) >= lv.need[group]
    return group[ok], code[ok]


def _wide_group_pairs(n, lv: _Level, sel, node, crit, pairs):
    """:func:`_group_pairs` with sets, for the rare groups of more than 62 alive members."""
    (cptr, cpts, _), (pptr, pcodes) = crit, pairs
    out_g, out_code = [], []
    g_all = lv.groups[sel] - lv.g0
    for gl in np.unique(g_all).tolist():
        ms = lv.members[sel][g_all == gl].tolist()
        need = int(lv.need[gl])
        cs = [set(cpts[cptr[m]:cptr[m + 1]].tolist()) for m in ms]
        ps = [set(pcodes[pptr[m]:pptr[m + 1]].tolist()) for m in ms]
        own = set(cpts[cptr[node[gl]]:cptr[node[gl] + 1]].tolist())
        cand = set().union(*ps)
        for i in range(len(ms)):
            for j in range(i + 1, len(ms)):
                cand.update(min(x, y) * n + max(x, y) for x in cs[i] - own
                            for y in cs[j] - own if x != y)
        for code in cand:
            x, y = divmod(code, n)
            down = sum(1 for s, p in zip(cs, ps) if x in s or y in s or code in p)
            if down >= need:
                out_g.append(gl)
                out_code.append(code)
    return np.asarray(out_g, dtype=np.int64), np.asarray(out_code, dtype=np.int64)


def _pair_csr(c, crit_csr) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of every node (neither member in its crit set) as a CSR of codes ``x·n + y``.

    ``pairs(v)`` = ⋃ over v's groups: a group that fails when any one member fails (need
    1) passes its members' pairs on; a group that needs two or more members down
    contributes the pairs that take down that many (:func:`_group_pairs`); pairs touching
    crit(v) are dropped. By induction over the topological order this is exactly the set
    of {x, y} whose joint failure, but neither alone, makes v unavailable.
    """
    n = c.n
    cptr, cpts, dead = crit_csr
    ckey = np.repeat(np.arange(n, dtype=np.int64), np.diff(cptr)) * n + cpts
    pptr = np.zeros(n + 1, dtype=np.int64)
    codes = _Buffer()
    for lvl in range(len(c.level_ptr) - 1):
        lo, hi = int(c.level_ptr[lvl]), int(c.level_ptr[lvl + 1])
        lv = _level_groups(c, lo, hi, dead)
        node = c.group_node[lv.g0:lv.g0 + len(lv.need)].astype(np.int64)
        need = lv.need[lv.groups - lv.g0]
        one = np.flatnonzero(need == 1)
        m = lv.members[one]
        size = pptr[m + 1] - pptr[m]
        parts_node = [np.repeat(node[lv.groups[one] - lv.g0], size)]
        parts_code = [codes.data[ranges(pptr[m], size)]]
        multi = need >= 2
        wide = multi & (lv.alive[lv.groups - lv.g0] > 62)
        pairs = (pptr, codes.data)
        for sel, fn in ((multi & ~wide, _group_pairs), (wide, _wide_group_pairs)):
            if sel.any():
                level_crit = (cptr, cpts, ckey[cptr[lo]:cptr[hi]])
                gl, code = fn(n, lv, np.flatnonzero(sel), node, level_crit, pairs)
                parts_node.append(node[gl])
                parts_code.append(code)
        v = np.concatenate(parts_node)
        code = np.concatenate(parts_code)
        # the level's own slice of the table: a search in it stays in cache
        here = ckey[cptr[lo]:cptr[hi]]
        keep = ~dead[v] & ~_isin_sorted(here, v * n + code // n) \
            & ~_isin_sorted(here, v * n + code % n)
        v, code, _ = _dedupe(v[keep] - lo, code[keep], hi - lo, n)
        codes.extend(code)
        pptr[lo + 1:hi + 1] = pptr[lo] + np.cumsum(np.bincount(v, minlength=hi - lo))
    return pptr, codes.view()


def crit_sets(network: SupplyNetwork, *, capabilities_only: bool = False) -> list:
    """crit(v) of every node, as frozensets of compiled indices (in compiled order).

    DEAD (None) for a node down with nothing failed. With ``capabilities_only`` only the
    capabilities' sets are built (the others come back as None).
    """
    c = network.compiled
    ptr, points, dead = _crit_csr(c)
    out: list = [DEAD] * c.n
    wanted = c.capabilities if capabilities_only else range(c.n)
    for v in np.asarray(wanted, dtype=np.int64).tolist():
        if not dead[v]:
            out[v] = frozenset(points[ptr[v]:ptr[v + 1]].tolist())
    return out


def _cap_rows(c, ptr: np.ndarray, values: np.ndarray):
    """(capability, value) for every value of every capability's CSR segment."""
    caps = np.asarray(c.capabilities, dtype=np.int64)
    size = ptr[caps + 1] - ptr[caps]
    return np.repeat(caps, size), values[ranges(ptr[caps], size)]


def _capability_frame(network: SupplyNetwork, cap: np.ndarray, **nodes) -> pd.DataFrame:
    """Rows of capability ``cap`` (compiled indices) with its nation and platform, and the
    typed ids of the compiled indices in ``nodes``; looked up by position, not by id (a
    string reindex of a million rows costs seconds)."""
    c = network.compiled
    ids = np.asarray(c.ids)
    table = network.capabilities.reindex(ids[c.capabilities])
    row = np.zeros(c.n, dtype=np.int64)
    row[c.capabilities] = np.arange(len(c.capabilities))
    df = pd.DataFrame({"capability": ids[cap]})
    for name, values in nodes.items():
        df[name] = ids[values] if values.dtype.kind == "i" else values
    df["nation_id"] = table["nation_id"].to_numpy()[row[cap]]
    df["platform_id"] = table["platform_id"].to_numpy()[row[cap]]
    return df


def single_points_of_failure(network: SupplyNetwork) -> pd.DataFrame:
    """Every SPOF of every capability.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability`` (typed id), one row per (capability, SPOF), in compiled
        order, with columns ``nation_id``, ``platform_id``, ``failure_point`` (typed id),
        ``kind``, ``name``, ``trivial`` (the platform itself) and ``hidden`` (neither the
        platform nor one of its direct inputs — a direct supplier or a BOM child — i.e.
        invisible at tier 1).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> spof = single_points_of_failure(load_network("tests/fixtures/worked"))
    >>> sorted(spof.loc["capability:USA/P2", "failure_point"])
    ['component:B', 'component:P2']
    """
    c = network.compiled
    ptr, points, _ = _crit_csr(c)
    cap, x = _cap_rows(c, ptr, points)
    topo = c.topology
    platform = topo.capability_platform[np.searchsorted(c.capabilities, cap)]
    # visible: the platform and its direct inputs (tier 1); other SPOFs are hidden
    inputs = topo.pred_ptr[platform + 1] - topo.pred_ptr[platform]
    seen = np.sort(np.r_[np.repeat(platform, inputs) * c.n
                           + topo.pred[ranges(topo.pred_ptr[platform], inputs)],
                           platform * c.n + platform])
    hidden = ~_isin_sorted(seen, platform * c.n + x)
    df = _capability_frame(network, cap, failure_point=x, trivial=x == platform,
                           hidden=hidden)
    df["kind"] = network.nodes["kind"].to_numpy()[x]
    df["name"] = network.nodes["name"].to_numpy()[x]
    df["trivial"] = df["trivial"].astype(bool)
    df["hidden"] = df["hidden"].astype(bool)
    cols = ["nation_id", "platform_id", "failure_point", "kind", "name", "trivial", "hidden"]
    return _by_capability(df.set_index("capability")[cols])


def blast_radius(network: SupplyNetwork, spof: pd.DataFrame | None = None) -> pd.DataFrame:
    """What each failure point takes down on its own.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``failure_point`` (every nation, supplier and component, compiled order)
        with ``kind``, ``name``, ``capabilities_lost`` and ``nations_lost`` (distinct nations
        that lose at least one capability), ``spof_count`` (capabilities for which it is a
        non-trivial SPOF), ``hidden_count`` and ``capabilities`` (';'-joined ids).
    """
    if spof is None:
        spof = single_points_of_failure(network)
    c = network.compiled
    nodes = network.nodes
    fps = c.ids[c.failure_points]
    long = spof.reset_index()
    grouped = long.groupby("failure_point", sort=False)
    out = pd.DataFrame(index=pd.Index(fps, name="failure_point"))
    out["kind"] = nodes["kind"].reindex(fps).to_numpy()
    out["name"] = nodes["name"].reindex(fps).to_numpy()
    out["capabilities_lost"] = grouped.size().reindex(fps).fillna(0).astype(int).to_numpy()
    out["nations_lost"] = grouped["nation_id"].nunique().reindex(fps).fillna(0) \
        .astype(int).to_numpy()
    nontrivial = long[~long["trivial"]].groupby("failure_point", sort=False)
    out["spof_count"] = nontrivial.size().reindex(fps).fillna(0).astype(int).to_numpy()
    out["hidden_count"] = long[long["hidden"]].groupby("failure_point").size() \
        .reindex(fps).fillna(0).astype(int).to_numpy()
    out["capabilities"] = grouped["capability"].agg(lambda s: ";".join(s)) \
        .reindex(fps).fillna("").to_numpy()
    return out


def _by_capability(df: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by (nation_id, platform_id), keeping compiled order inside a group."""
    return df.sort_values(["nation_id", "platform_id"], kind="stable")


def critical_pairs(network: SupplyNetwork, *, max_pairs_per_capability: int | None = None
                   ) -> pd.DataFrame:
    """Order-2 minimal cut sets per capability (docs/design.md §4.2), all of them.

    Parameters
    ----------
    max_pairs_per_capability
        Keep at most this many pairs per capability (``None``: all), the first in compiled
        order, to bound the output size. Pairs left out are counted, never silently: see
        ``attrs`` below.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``capability``, one row per pair ``{a, b}`` with ``a`` before ``b`` in
        compiled (topological) order: ``nation_id``, ``platform_id``, ``failure_point_a``,
        ``failure_point_b``, ``kind_a``, ``kind_b``. ``attrs["pairs_found"]`` is the
        number of pairs found, ``attrs["pairs_dropped"]`` how many of them
        ``max_pairs_per_capability`` left out, ``attrs["pairs_dropped_by_capability"]``
        that count per capability id (only capabilities that lost some).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> pairs = critical_pairs(load_network("tests/fixtures/worked"))
    >>> pairs.loc[["capability:USA/P1"], ["failure_point_a", "failure_point_b"]].values.tolist()
    [['nation:DEU', 'supplier:S_B1'], ['supplier:S_B1', 'supplier:S_B2']]
    >>> pairs.attrs["pairs_dropped"]
    0
    """
    c = network.compiled
    n = c.n
    pptr, codes = _pair_csr(c, _crit_csr(c))
    cap, code = _cap_rows(c, pptr, codes)
    found = len(code)
    dropped: dict[str, int] = {}
    if max_pairs_per_capability is not None:
        rank = np.arange(len(cap)) - np.searchsorted(cap, cap)
        over = rank >= max_pairs_per_capability
        lost, counts = np.unique(cap[over], return_counts=True)
        dropped = dict(zip(c.ids[lost].tolist(), counts.tolist()))
        cap, code = cap[~over], code[~over]
        if dropped:
            logger.warning("critical_pairs: max_pairs_per_capability=%d left out %d of %d "
                           "pairs (%d capabilities)", max_pairs_per_capability,
                           found - len(code), found, len(dropped))
    a, b = code // n, code % n
    df = _capability_frame(network, cap, failure_point_a=a, failure_point_b=b)
    kind = network.nodes["kind"].to_numpy()
    df["kind_a"] = kind[a]
    df["kind_b"] = kind[b]
    cols = ["nation_id", "platform_id", "failure_point_a", "failure_point_b", "kind_a", "kind_b"]
    out = _by_capability(df.set_index("capability")[cols])
    out.attrs["pairs_found"] = found
    out.attrs["pairs_dropped"] = found - len(code)
    out.attrs["pairs_dropped_by_capability"] = dropped
    return out
