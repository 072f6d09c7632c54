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

Size: the SPOF and pair recursions share the crit-set arrays and their helpers, and
the tables built from them; split, those helpers would cross a module boundary.
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
        # dedupe first: each distinct pair is searched once, and the ``a`` queries come
        # sorted; the level's own slice of the table: a search in it stays in cache
        v, code, _ = _dedupe(v - lo, code, hi - lo, n)
        here = ckey[cptr[lo]:cptr[hi]]
        keep = ~dead[v + lo] & ~_isin_sorted(here, (v + lo) * n + code // n) \
            & ~_isin_sorted(here, (v + lo) * n + code % n)
        v, code = v[keep], code[keep]
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


def _column(values) -> pd.api.extensions.ExtensionArray:
    """``values`` as the array pandas makes of them for a column (``str`` for text), to take
    rows from by position: taking from an Arrow string array copies bytes in C, where a
    column built from an object array parses every Python string again (seconds per
    million rows)."""
    if isinstance(values, pd.Series) and values.dtype != object:
        return values.array
    return pd.Series(np.asarray(values, dtype=object)).array


def _capability_order(network: SupplyNetwork) -> np.ndarray:
    """Positions in ``compiled.capabilities`` in output order: by (nation_id,
    platform_id), compiled order among equals (one row per capability, so sorting the
    capabilities is sorting their rows)."""
    c = network.compiled
    table = network.capabilities.reindex(c.ids[c.capabilities]).reset_index(drop=True)
    return table.sort_values(["nation_id", "platform_id"], kind="stable").index.to_numpy()


def _cap_rows(network: SupplyNetwork, ptr: np.ndarray, limit: int | None = None):
    """Rows of every capability's CSR segment in output order (see :func:`_capability_order`):
    each row's capability (position in ``compiled.capabilities``) and its entry in the CSR
    values; ``limit`` keeps the first entries of each segment."""
    caps = network.compiled.capabilities
    order = _capability_order(network)
    size = ptr[caps[order] + 1] - ptr[caps[order]]
    if limit is not None:
        size = np.minimum(size, limit)
    return np.repeat(order, size), ranges(ptr[caps[order]], size)


def _capability_frame(network: SupplyNetwork, row: np.ndarray, ids, **columns
                      ) -> pd.DataFrame:
    """Rows of capabilities ``row`` (positions in ``compiled.capabilities``) with their nation
    and platform, then ``columns``; every text column is taken by position from a column
    built once (``ids``: the compiled ids as one)."""
    c = network.compiled
    table = network.capabilities.reindex(c.ids[c.capabilities])
    data = {"nation_id": _column(table["nation_id"]).take(row),
            "platform_id": _column(table["platform_id"]).take(row), **columns}
    index = pd.Index(ids.take(c.capabilities[row]), name="capability")
    return pd.DataFrame(data, index=index, copy=False)


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
    row, entry = _cap_rows(network, ptr)
    x = points[entry]
    del ptr, points, entry
    topo = c.topology
    platform = topo.capability_platform[row]
    # visible: the platform and its direct inputs (tier 1); other SPOFs are hidden
    plat = topo.capability_platform
    inputs = topo.pred_ptr[plat + 1] - topo.pred_ptr[plat]
    seen = np.sort(np.r_[np.repeat(plat, inputs) * c.n
                           + topo.pred[ranges(topo.pred_ptr[plat], inputs)],
                           plat * c.n + plat])
    hidden = ~_isin_sorted(seen, platform * c.n + x)
    nodes = network.nodes
    ids = _column(c.ids)
    return _capability_frame(
        network, row, ids, failure_point=ids.take(x),
        kind=_column(nodes["kind"]).take(x), name=_column(nodes["name"]).take(x),
        trivial=x == platform, hidden=hidden)


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
    fps = c.failure_points
    fp_ids = c.ids[fps]
    # each row's failure point as a position in ``fps`` (-1: none), strings hashed once
    codes, uniques = pd.factorize(spof["failure_point"], use_na_sentinel=True)
    fp = np.r_[pd.Index(fp_ids).get_indexer(uniques), -1][codes]
    keep = fp >= 0
    out = pd.DataFrame(index=pd.Index(fp_ids, name="failure_point"))
    out["kind"] = _column(nodes["kind"]).take(fps)
    out["name"] = _column(nodes["name"]).take(fps)
    count = len(fps)
    out["capabilities_lost"] = np.bincount(fp[keep], minlength=count)
    out["nations_lost"] = _distinct_counts(fp, spof["nation_id"], count)
    out["spof_count"] = np.bincount(fp[keep & ~spof["trivial"].to_numpy(bool)],
                                    minlength=count)
    out["hidden_count"] = np.bincount(fp[keep & spof["hidden"].to_numpy(bool)],
                                      minlength=count)
    order = np.flatnonzero(keep)[np.argsort(fp[keep], kind="stable")]
    out["capabilities"] = joined_lists(_column(spof.index.to_series()).take(order),
                                  out["capabilities_lost"].to_numpy())
    return out


def _distinct_counts(group: np.ndarray, values: pd.Series, n_groups: int) -> np.ndarray:
    """Distinct non-missing ``values`` per group (``group`` -1: no group), as nunique."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    ok = (group >= 0) & (codes >= 0)
    key = group[ok].astype(np.int64) * len(uniques) + codes[ok]
    if n_groups * len(uniques) <= 1 << 26:
        seen = np.zeros(n_groups * len(uniques), dtype=bool)
        seen[key] = True
        return seen.reshape(n_groups, len(uniques)).sum(axis=1)
    return np.bincount(np.unique(key) // len(uniques), minlength=n_groups)


def joined_lists(values, counts: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values`` joined with ';' in consecutive runs of ``counts`` (0: ''), in C through
    Arrow when the values are Arrow strings (a Python join per group costs minutes at a
    million failure points)."""
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        flat = pa.array(values)
        if isinstance(flat, pa.ChunkedArray):
            flat = flat.combine_chunks()
        flat = flat.cast(pa.large_string())
        lists = pa.LargeListArray.from_arrays(pa.array(offsets), flat)
        return pd.array(pc.binary_join(lists, pa.scalar(";", pa.large_string())),
                        dtype=values.dtype)
    items = np.asarray(values, dtype=object).tolist()
    return _column(np.array([";".join(items[a:b]) for a, b in
                             zip(offsets[:-1].tolist(), offsets[1:].tolist())], dtype=object))


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
    caps = c.capabilities
    size = pptr[caps + 1] - pptr[caps]
    found = int(size.sum())
    dropped: dict[str, int] = {}
    if max_pairs_per_capability is not None:
        over = size - max_pairs_per_capability
        lost = np.flatnonzero(over > 0)
        dropped = dict(zip(c.ids[caps[lost]].tolist(), over[lost].tolist()))
        if dropped:
            logger.warning("critical_pairs: max_pairs_per_capability=%d left out %d of %d "
                           "pairs (%d capabilities)", max_pairs_per_capability,
                           int(over[lost].sum()), found, len(dropped))
    row, entry = _cap_rows(network, pptr, max_pairs_per_capability)
    code = codes[entry]
    del pptr, codes, entry
    a, b = code // n, code % n
    del code
    ids = _column(c.ids)
    kind = _column(network.nodes["kind"])
    out = _capability_frame(network, row, ids, failure_point_a=ids.take(a),
                            failure_point_b=ids.take(b), kind_a=kind.take(a),
                            kind_b=kind.take(b))
    out.attrs["pairs_found"] = found
    out.attrs["pairs_dropped"] = found - len(out)
    out.attrs["pairs_dropped_by_capability"] = dropped
    return out
