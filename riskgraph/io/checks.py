"""Checks across the tables of a package: references, nation ids, platforms, sourcing
counts and shares, unmapped components, BOM cycles.

Each ``check_*`` takes the typed tables (keyed by id where the table has one), the
physical line of each of their rows, and the report to add to. They run column-wise; a
Python loop only ever visits rows that are reported, and at most as many as are kept.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgraph.io.characters import visible
from riskgraph.io.report import ValidationReport, show_value, suggest
from riskgraph.io.schema import LIMITS, TABLES

__all__ = ["check_references", "check_nation_ids", "check_platforms", "check_sourcing",
           "check_unmapped", "check_bom_cycles", "cross_checks"]

_KEYED = ("nations", "suppliers", "components")


def arrow_strings(values) -> pa.Array:
    """Strings (None for missing) as a pyarrow array: its hashing is C++ on UTF-8 bytes,
    many times faster than pandas' on Python objects at a million rows."""
    if isinstance(values, pa.Array):
        return values
    values = values.to_numpy(dtype=object) if hasattr(values, "to_numpy") else values
    return pa.array(values, type=pa.string(), from_pandas=True)


def positions(values, keys) -> np.ndarray:
    """For each value, its position in ``keys`` (-1 when absent or missing)."""
    found = pc.index_in(arrow_strings(values), value_set=arrow_strings(keys),
                        skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def check_references(tables: dict, lines: dict, ids: dict, report: ValidationReport) -> None:
    """Every reference names a row of the table it points to.

    ``ids[table][column]`` is each id and ref column as a pyarrow array (null: missing).
    """
    keys = {name: df.index.dropna() for name, df in tables.items() if name in _KEYED}
    key_arrays = {name: pc.drop_null(ids[name][TABLES[name].key[0]]) for name in keys}
    for name, df in tables.items():
        table = TABLES[name]
        for col in table.columns:
            if col.type != "ref" or col.ref not in keys:
                continue
            values = df[col.name] if col.name in df.columns else df.index.to_series()
            values = values.reset_index(drop=True)
            arrow = ids[name][col.name]
            present = arrow.is_valid().to_numpy(zero_copy_only=False)
            known = pc.is_in(arrow, value_set=key_arrays[col.ref])
            where = np.flatnonzero(present & ~known.to_numpy(zero_copy_only=False))
            if len(where):
                _dangling(table.filename, col, values, where, lines[name], keys[col.ref],
                          report)


def _dangling(fname, col, values, where, lines, known: pd.Index, report) -> None:
    choices = set(known) if len(known.unique()) <= 20000 else ()

    def describe(k):
        i = where[k]
        v = values.iat[i]
        hint = suggest(v, choices) if choices else ""
        return (f"{col.name} {show_value(v)} is not in {col.ref}.csv{hint}",
                int(lines[i]), col.name, v)

    report.add_many("error", "dangling-reference", fname, len(where), describe)


def check_nation_ids(nations: pd.DataFrame, lines: np.ndarray,
                     report: ValidationReport) -> None:
    """Nation ids hold no '/'; a warning for ids that are not ISO 3166-1 codes."""
    for i, nid in enumerate(nations.index):
        line = int(lines[i])
        if nid is not None and "/" in nid:
            report.add("error", "bad-id", "nations.csv",
                       f"nation_id {nid!r} must not contain '/' (it separates nation and "
                       f"platform in capability ids)", line=line, column="nation_id",
                       value=nid)
        elif nid is not None and not re.fullmatch(r"[A-Z]{2,3}", nid):
            report.add("warning", "not-iso3", "nations.csv",
                       f"nation_id {nid!r} is not an ISO 3166-1 code (3 capital letters, "
                       f"e.g. NAM); kept as written", line=line, column="nation_id",
                       value=nid)


def check_platforms(fielding: pd.DataFrame, comps: pd.DataFrame, lines: np.ndarray,
                    report: ValidationReport) -> None:
    """Only components of kind platform are fielded."""
    plat_kind = fielding["platform_id"].map(comps["kind"])
    for i in np.flatnonzero((plat_kind.notna() & (plat_kind != "platform")).to_numpy()):
        pid = fielding["platform_id"].iat[i]
        report.add("error", "not-a-platform", "fielding.csv",
                   f"platform_id {pid!r} is a {plat_kind.iat[i]}, not a platform; only "
                   f"components of kind 'platform' can be fielded",
                   line=int(lines[i]), column="platform_id", value=pid)


def check_sourcing(sourcing: pd.DataFrame, comps: pd.DataFrame, lines: np.ndarray,
                   report: ValidationReport, *, ids: dict | None = None,
                   sourcing_lines: np.ndarray | None = None) -> None:
    """Enough suppliers for ``min_sources``; a warning where shares sum below 1.

    The shortfall warning points at the component's first sourcing.csv row and lists the
    lines of all of them (its cause is there); without ``sourcing_lines`` it points at
    the component's components.csv row. ``ids`` (optional, for speed): the id columns as
    pyarrow arrays, by table."""
    ids = ids or {}
    # rows grouped by their component's position: no hashing of Python strings
    at = positions(ids.get("sourcing", {}).get("component_id", sourcing["component_id"]),
                   ids.get("components", {}).get("component_id", comps.index))
    known = at >= 0
    have = np.bincount(at[known], minlength=len(comps))
    need = comps["min_sources"].to_numpy()
    for i in np.flatnonzero((have > 0) & (need > have)):
        cid = comps.index[i]
        report.add("error", "min-sources", "components.csv",
                   f"min_sources {int(need[i])} for {cid!r} but sourcing.csv lists "
                   f"only {int(have[i])} supplier(s): it could never be produced",
                   line=int(lines[i]), column="min_sources", value=str(int(need[i])))
    shares = sourcing["share"].reset_index(drop=True)[known].groupby(at[known]).sum()
    short = shares[shares < 1 - 1e-9]
    cids = comps.index.to_numpy(dtype=object)[short.index.to_numpy()]
    order = np.argsort(cids, kind="stable")  # the order of a groupby on the ids
    at_all = at
    at, totals, cids = short.index.to_numpy()[order], short.to_numpy()[order], cids[order]

    if sourcing_lines is None:
        def describe(k):
            return (f"shares of {cids[k]!r} sum to {totals[k]:g} < 1: a baseline shortfall",
                    int(lines[at[k]]), "component_id", cids[k])

        report.add_many("warning", "shortfall", "components.csv", len(cids), describe)
        return
    rows = np.flatnonzero(known)
    rows = rows[np.argsort(at_all[rows], kind="stable")]  # by component, then line
    starts = np.searchsorted(at_all[rows], at, side="left")
    ends = np.searchsorted(at_all[rows], at, side="right")

    def describe_rows(k):
        mine = sourcing_lines[rows[starts[k]:ends[k]]]
        shown = ", ".join(str(int(x)) for x in mine[:10])
        more = f" and {len(mine) - 10} more" if len(mine) > 10 else ""
        return (f"shares of {cids[k]!r} sum to {totals[k]:g} < 1 over its "
                f"{len(mine)} sourcing row(s) (lines {shown}{more}): a baseline shortfall",
                int(mine[0]), "share", cids[k])

    report.add_many("warning", "shortfall", "sourcing.csv", len(cids), describe_rows)


def check_unmapped(comps: pd.DataFrame, bom: pd.DataFrame | None, sourcing: pd.DataFrame,
                   lines: np.ndarray, report: ValidationReport, *,
                   ids: dict | None = None) -> None:
    """A warning for each non-material component with neither sourcing nor BOM rows.

    ``ids`` (optional, for speed): the id columns as pyarrow arrays, by table."""
    ids = ids or {}
    kind = comps["kind"]
    own = arrow_strings(ids.get("components", {}).get("component_id", comps.index))
    sourced = arrow_strings(ids.get("sourcing", {}).get("component_id",
                                                        sourcing["component_id"]))
    mapped = np.array(kind == "material", dtype=bool)
    mapped |= pc.is_in(own, value_set=sourced).to_numpy(zero_copy_only=False)
    if bom is not None:
        parents = arrow_strings(ids.get("bom", {}).get("parent_id", bom["parent_id"]))
        mapped |= pc.is_in(own, value_set=pc.drop_null(parents)) \
            .to_numpy(zero_copy_only=False)
    where = np.flatnonzero(~mapped)

    def describe(k):
        i = where[k]
        cid = comps.index[i]
        return (f"{kind.iat[i]} {cid!r} has neither sourcing nor BOM rows: treated as "
                f"available (unmapped)", int(lines[i]), "component_id", cid)

    report.add_many("warning", "unmapped", "components.csv", len(where), describe)


def cross_checks(tables: dict, lines: dict, ids: dict, unreadable: set,
                 report: ValidationReport) -> None:
    """The checks across tables; each runs when the tables it needs were read.

    ``ids[table][column]`` is each id and ref column as a pyarrow array (null: missing).
    """
    comps = tables.get("components")
    bom = tables.get("bom")
    sourcing = tables.get("sourcing")
    fielding = tables.get("fielding")
    if "nations" in tables:
        check_nation_ids(tables["nations"], lines["nations"], report)
    if comps is None:
        return
    if fielding is not None:
        check_platforms(fielding, comps, lines["fielding"], report)
    if sourcing is not None:
        check_sourcing(sourcing, comps, lines["components"], report, ids=ids,
                       sourcing_lines=lines["sourcing"])
    # unmapped items: only meaningful when sourcing and bom were both read
    if sourcing is not None and "bom" not in unreadable:
        check_unmapped(comps, bom, sourcing, lines["components"], report, ids=ids)
    if bom is not None and len(bom):
        check_bom_cycles(bom, lines["bom"], report, ids=ids.get("bom"))


def _acyclic_core(both: pa.Array, usable: np.ndarray,
                  max_levels: int | None = None) -> tuple[np.ndarray, bool]:
    """Mask of the usable edges left after peeling every node with no incoming edge
    (Kahn): the edges on or between cycles. All False for a DAG. ``both`` holds the
    parents then the children.

    Peeling stops after ``max_levels`` rounds (one per BOM level): the second result is
    True when it stopped there with edges left, i.e. the BOM is deeper than that (or the
    edges left hold a cycle below that depth); the mask is then the edges not yet peeled.
    """
    encoded = both.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    m = len(usable)
    src, dst = codes[:m][usable], codes[m:][usable]
    n = len(encoded.dictionary)
    alive = np.ones(len(src), dtype=bool)
    indeg = np.bincount(dst, minlength=n)
    removed = np.zeros(n, dtype=bool)
    rounds = 0
    while True:
        frontier = np.flatnonzero((indeg == 0) & ~removed)
        if not len(frontier):
            return alive, False
        if max_levels is not None and rounds >= max_levels:
            return alive, bool(alive.any())
        rounds += 1
        removed[frontier] = True
        hit = alive & removed[src]
        alive &= ~hit
        indeg -= np.bincount(dst[hit], minlength=n)


def _cut(items: list[str], sep: str, head: int = 10, tail: int = 3) -> str:
    """Items joined by ``sep``; a long list keeps its first and last few items.

    >>> _cut([str(i) for i in range(100)], ",", 2, 1)
    '0,1,... 97 more ...,99'
    """
    if len(items) <= head + tail + 1:
        return sep.join(items)
    return sep.join([*items[:head], f"... {len(items) - head - tail:,} more ...",
                     *items[-tail:]])


def check_bom_cycles(bom: pd.DataFrame, lines: np.ndarray, report: ValidationReport, *,
                     ids: dict | None = None) -> None:
    """Report each BOM cycle once, as a path, with the lines of its rows.

    ``ids`` (optional, for speed): bom's id columns as pyarrow arrays."""
    import networkx as nx

    ids = ids or {}
    both = pa.concat_arrays([arrow_strings(ids.get(c, bom[c]))
                             for c in ("parent_id", "child_id")])
    usable = both.is_valid().to_numpy(zero_copy_only=False).reshape(2, -1).all(axis=0)
    parents = bom["parent_id"].to_numpy(dtype=object)[usable]
    children = bom["child_id"].to_numpy(dtype=object)[usable]
    lines = lines[usable]
    core, deep = _acyclic_core(both, usable, LIMITS.max_bom_depth)
    if deep:
        i = int(np.flatnonzero(core)[0])
        report.add("error", "bom-too-deep", "bom.csv",
                   f"the bill of materials is more than {LIMITS.max_bom_depth:,} levels deep "
                   f"(parts inside parts: {parents[i]!r} still has a parent chain of "
                   f"{LIMITS.max_bom_depth:,} levels above it); riskgraph refuses deeper "
                   "BOMs, which real products never reach", line=int(lines[i]),
                   column="parent_id", value=parents[i])
        return
    if not core.any():
        return
    g = nx.DiGraph()
    where: dict[tuple[str, str], int] = {}
    for parent, child, line in zip(parents[core], children[core], lines[core]):
        if parent == child:
            report.add("error", "bom-cycle", "bom.csv",
                       f"{parent!r} lists itself as a child (self-loop)",
                       line=int(line), column="child_id", value=child)
            continue
        g.add_edge(parent, child)
        where.setdefault((parent, child), int(line))
    for comp in nx.strongly_connected_components(g):
        if len(comp) < 2:
            continue
        start = min(comp)
        cycle = nx.find_cycle(g.subgraph(comp), source=start)
        path = [visible(str(x)) for x in [cycle[0][0]] + [v for _, v in cycle]]
        at = _cut([str(where[e]) for e in cycle], ", ")
        report.add("error", "bom-cycle", "bom.csv",
                   f"BOM cycle of {len(cycle):,} components: {_cut(path, ' -> ')} (rows on "
                   f"lines {at}); a component cannot contain itself",
                   line=where[cycle[0]], column="child_id", value=cycle[0][1])
