"""``riskgraph import usgs --into PACKAGE``: USGS sourcing onto a package's own materials
(docs/design.md §7.3)."""

from __future__ import annotations

import re

import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.importers.common import normalise
from riskgraph.io.report import ValidationReport
from riskgraph.io.schema import TABLES

__all__ = ["merge", "match_materials"]


def _plain(text: str) -> str:
    return normalise(re.sub(r"\([^)]*\)", " ", text))


def match_materials(commodities, components: pd.DataFrame, explicit: dict
                    ) -> tuple[dict, dict]:
    """commodity -> (component id, rule) for each commodity matched, and the rest.

    Rules, first that applies: ``--match`` given; the id equals the commodity (or its
    slug, ignoring case); the name equals it (ignoring case and parentheses); exactly one
    material's id or name starts with the commodity's first word.
    """
    from riskgraph.importers.usgs import slug

    mats = components[components["kind"] == "material"]
    by_id = {str(i).lower(): i for i in components.index}
    found, missing, taken = {}, {}, set()
    for commodity in sorted(commodities):
        hit, rule = None, ""
        if commodity in explicit:
            hit, rule = explicit[commodity], "--match"
            if hit not in components.index:
                raise UsageError(f"--match {commodity}={hit}: no component {hit!r} in the "
                                 f"package")
        for key in (commodity.lower(), slug(commodity).lower()):
            if hit is None and key in by_id:
                hit, rule = by_id[key], "same id"
        if hit is None:
            names = [i for i, n in mats["name"].items()
                     if _plain(str(n)) in (normalise(commodity), _plain(commodity))]
            if len(names) == 1:
                hit, rule = names[0], "same name"
        if hit is None:
            word = re.escape(_plain(commodity).split(" ")[0]) if _plain(commodity) else "^$"
            starts = [i for i, n in mats["name"].items()
                      if re.match(rf"{word}\b", _plain(str(n)))
                      or re.match(rf"{word}(\b|_)", str(i).lower())]
            if len(starts) == 1:
                hit, rule = starts[0], f"only material starting with {commodity.split()[0]!r}"
        if hit is None or hit in taken:
            missing[commodity] = "already matched by another commodity" if hit else \
                "no material with that id or name"
            continue
        taken.add(hit)
        found[commodity] = (hit, rule)
    return found, missing


def _rows(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.reset_index() if len(TABLES[name].key) == 1 else df.reset_index(drop=True)


def merge(into, shares: dict, year: str, alliances, report: ValidationReport, file: str,
          explicit: dict) -> tuple[dict, list]:
    """The package at ``into`` with USGS sourcing on its matched materials."""
    from riskgraph.importers.usgs import nation_rows, sourcing_rows
    from riskgraph.io.package import read_package

    pkg = read_package(into)
    found, missing = match_materials(shares, pkg.components, explicit)
    for commodity, why in missing.items():
        report.add("warning", "not-matched", file,
                   f"{commodity!r} matches no material of {into} ({why}): not added; "
                   f"use --match '{commodity}=ID'", value=commodity)
    tables = {name: _rows(df, name) for name, df in pkg.tables.items() if df is not None}
    countries = {c for commodity in found for c in shares[commodity]}
    new_nations = nation_rows(countries, alliances, report, file,
                               existing=set(pkg.nations.index))
    add_sup, add_src, notes = [], [], []
    for commodity, (material, rule) in sorted(found.items()):
        sup, src = sourcing_rows(material, shares[commodity], year, commodity)
        taken = set(tables["suppliers"]["supplier_id"])
        for s, r in zip(sup, src):
            if s["supplier_id"] in taken:
                s["supplier_id"] = r["supplier_id"] = f"{s['supplier_id']} USGS"
        old = tables["sourcing"]["component_id"] == material
        notes.append(f"{commodity} -> {material} ({rule}): {len(src)} sourcing row(s) "
                     f"replace {int(old.sum())}")
        tables["sourcing"] = tables["sourcing"][~old]
        comps = tables["components"]
        at = comps["component_id"] == material
        if int(comps.loc[at, "min_sources"].iloc[0]) > len(src):
            comps.loc[at, "min_sources"] = 1
            report.add("warning", "min-sources", file,
                       f"min_sources of {material!r} set to 1: USGS lists {len(src)} "
                       f"producer(s)")
        add_sup += sup
        add_src += src
    mats = pkg.components.index[pkg.components["kind"] == "material"]
    unmatched = sorted(set(mats) - {m for m, _ in found.values()})
    if unmatched:
        notes.append(f"{len(unmatched)} material(s) of the package had no USGS figure: "
                     f"{', '.join(unmatched[:10])}{' …' if len(unmatched) > 10 else ''}")
    if missing:
        notes.append(f"{len(missing)} commodit(ies) matched nothing: "
                     f"{', '.join(sorted(missing))}")
    tables["nations"] = pd.concat([tables["nations"], pd.DataFrame(list(
        new_nations.values()))], ignore_index=True)
    tables["suppliers"] = pd.concat([tables["suppliers"], pd.DataFrame(add_sup)],
                                    ignore_index=True)
    tables["sourcing"] = pd.concat([tables["sourcing"], pd.DataFrame(add_src)],
                                   ignore_index=True)
    return tables, notes
