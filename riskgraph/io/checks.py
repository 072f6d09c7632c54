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

from riskgraph.io.report import ValidationReport, show_value, suggest
from riskgraph.io.schema import TABLES

__all__ = ["check_references", "check_nation_ids", "check_platforms", "check_sourcing",
           "check_unmapped", "check_bom_cycles", "cross_checks"]

_KEYED = ("nations", "suppliers", "components")


def check_references(tables: dict, lines: dict, report: ValidationReport) -> None:
    """Every reference names a row of the table it points to."""
    keys = {name: pd.Index(df.index.dropna().unique()) for name, df in tables.items()
            if name in _KEYED}
    for name, df in tables.items():
        table = TABLES[name]
        for col in table.columns:
            if col.type != "ref" or col.ref not in keys:
                continue
            values = df[col.name] if col.name in df.columns else df.index.to_series()
            values = values.reset_index(drop=True)
            present = values.notna().to_numpy()
            known = keys[col.ref].get_indexer(values) >= 0
            where = np.flatnonzero(present & ~known)
            if len(where):
                _dangling(table.filename, col, values, where, lines[name], keys[col.ref],
                          report)


def _dangling(fname, col, values, where, lines, known: pd.Index, report) -> None:
    choices = set(known) if len(known) <= 20000 else ()

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
                   report: ValidationReport) -> None:
    """Enough suppliers for ``min_sources``; a warning where shares sum below 1."""
    n_src = sourcing.groupby("component_id").size()
    need = comps["min_sources"]
    have = n_src.reindex(comps.index).fillna(0).astype(int)
    for i in np.flatnonzero(((have > 0) & (need > have)).to_numpy()):
        cid = comps.index[i]
        report.add("error", "min-sources", "components.csv",
                   f"min_sources {int(need.iat[i])} for {cid!r} but sourcing.csv lists "
                   f"only {int(have.iat[i])} supplier(s): it could never be produced",
                   line=int(lines[i]), column="min_sources", value=str(int(need.iat[i])))
    shares = sourcing.groupby("component_id")["share"].sum()
    short = shares[shares < 1 - 1e-9]
    at = comps.index.get_indexer(short.index)
    short, at = short[at >= 0], at[at >= 0]

    def describe(k):
        cid, i = short.index[k], at[k]
        return (f"shares of {cid!r} sum to {short.iat[k]:g} < 1: a baseline shortfall",
                int(lines[i]), "component_id", cid)

    report.add_many("warning", "shortfall", "components.csv", len(short), describe)


def check_unmapped(comps: pd.DataFrame, bom: pd.DataFrame | None, sourcing: pd.DataFrame,
                   lines: np.ndarray, report: ValidationReport) -> None:
    """A warning for each non-material component with neither sourcing nor BOM rows."""
    kind = comps["kind"]
    mapped = comps.index.isin(sourcing["component_id"]) | (kind == "material").to_numpy()
    if bom is not None:
        mapped |= comps.index.isin(bom["parent_id"].dropna())
    where = np.flatnonzero(~mapped)

    def describe(k):
        i = where[k]
        cid = comps.index[i]
        return (f"{kind.iat[i]} {cid!r} has neither sourcing nor BOM rows: treated as "
                f"available (unmapped)", int(lines[i]), "component_id", cid)

    report.add_many("warning", "unmapped", "components.csv", len(where), describe)


def cross_checks(tables: dict, lines: dict, unreadable: set,
                 report: ValidationReport) -> None:
    """The checks across tables; each runs when the tables it needs were read."""
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
        check_sourcing(sourcing, comps, lines["components"], report)
    # unmapped items: only meaningful when sourcing and bom were both read
    if sourcing is not None and "bom" not in unreadable:
        check_unmapped(comps, bom, sourcing, lines["components"], report)
    if bom is not None and len(bom):
        check_bom_cycles(bom, lines["bom"], report)


def _acyclic_core(parents: np.ndarray, children: np.ndarray) -> np.ndarray:
    """Mask of edges left after peeling every node with no incoming edge (Kahn): the
    edges on or between cycles. All False for a DAG."""
    codes, uniques = pd.factorize(np.concatenate([parents, children]))
    src, dst = codes[:len(parents)], codes[len(parents):]
    n = len(uniques)
    alive = np.ones(len(src), dtype=bool)
    indeg = np.bincount(dst, minlength=n)
    removed = np.zeros(n, dtype=bool)
    while True:
        frontier = np.flatnonzero((indeg == 0) & ~removed)
        if not len(frontier):
            return alive
        removed[frontier] = True
        hit = alive & removed[src]
        alive &= ~hit
        indeg -= np.bincount(dst[hit], minlength=n)


def check_bom_cycles(bom: pd.DataFrame, lines: np.ndarray, report: ValidationReport) -> None:
    """Report each BOM cycle once, as a path, with the lines of its rows."""
    import networkx as nx

    usable = (bom["parent_id"].notna() & bom["child_id"].notna()).to_numpy()
    parents = bom["parent_id"].to_numpy(dtype=object)[usable]
    children = bom["child_id"].to_numpy(dtype=object)[usable]
    lines = lines[usable]
    core = _acyclic_core(parents, children)
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
        path = [cycle[0][0]] + [v for _, v in cycle]
        at = ", ".join(str(where[e]) for e in cycle)
        report.add("error", "bom-cycle", "bom.csv",
                   f"BOM cycle: {' -> '.join(path)} (rows on lines {at}); a component "
                   f"cannot contain itself",
                   line=where[cycle[0]], column="child_id", value=cycle[0][1])
