"""USGS Mineral Commodity Summaries world production → materials and their sourcing
(docs/design.md §7.3).

Two layouts are read (USGS data are public domain):

- *long*: one row per (commodity, country, year) with a production column, as in
  ``MCS2026_cobalt_world_mine_production.csv``: ``commodity, country, year,
  <production>, status``;
- *wide*: the MCS world data release, one row per (commodity, country, type) with
  ``PROD_<year>`` / ``PROD_EST_<year>`` columns: ``COMMODITY, COUNTRY, TYPE, UNIT_MEAS,
  PROD_2023, PROD_EST_2024, …``.

Each commodity becomes a material; each producing country a nation and a supplier
``<material> (<ISO>)`` whose share is the country's part of world production (the "World
total" row, else the sum of the rows). ``--into PACKAGE`` puts that sourcing on the
package's matching materials instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from riskgraph.importers.common import (
    Alliances, ImportResult, SourceFile, country_id, country_name, empty_tables, frame,
    made_up_id, normalise, number, skip, wrong_source,
)
from riskgraph.io.report import ValidationReport

__all__ = ["import_usgs", "CITATION", "nation_rows", "sourcing_rows", "slug"]

CITATION = "U.S. Geological Survey, Mineral Commodity Summaries"
_WORLD = re.compile(r"^world\s+total", re.I)
_OTHER = re.compile(r"^other\s+countries", re.I)
_YEAR_COL = re.compile(r"^prod(?:_est)?_(\d{4})$", re.I)


@dataclass
class _Figure:
    line: int
    commodity: str
    country: str
    year: str
    text: str


def _layout(src: SourceFile):
    """The header's line and how to read each row: a list of ``_Figure`` makers."""
    first = []
    for line, cells in src.rows():
        first.append(cells)
        names = [normalise(c) for c in cells]
        if "commodity" in names and "country" in names:
            return line, cells, names
        if len(first) >= 10:
            break
    raise wrong_source(src.name, "USGS Mineral Commodity Summaries production",
                       ["commodity", "country", "year and a production column, or "
                        "PROD_<year> columns"], first)


def _figures(src: SourceFile, report: ValidationReport):
    """Every (commodity, country, year, value) in the file, long or wide."""
    line0, header, names = _layout(src)
    ci, ki = names.index("commodity"), names.index("country")
    ti = names.index("type") if "type" in names else None
    wide = [(i, m.group(1)) for i, c in enumerate(header) if (m := _YEAR_COL.match(c.strip()))]
    value_col = next((i for i, n in enumerate(names) if "production" in n or n == "value"),
                     None)
    if not wide and ("year" not in names or value_col is None):
        raise wrong_source(src.name, "USGS Mineral Commodity Summaries production",
                           ["commodity", "country", "year", "a production column"], [header])
    yi = names.index("year") if "year" in names else None
    out, read = [], 0
    for line, cells in src.rows(line0):
        if not any(c.strip() for c in cells):
            continue
        read += 1
        if len(cells) < len(header):
            skip(report, src.name, line, f"{len(cells)} cells, the header has {len(header)}")
            continue
        commodity = cells[ci].strip()
        if ti is not None and cells[ti].strip():
            commodity = f"{commodity} ({cells[ti].strip()})"
        cols = wide or [(value_col, cells[yi].strip())]
        for i, year in cols:
            out.append(_Figure(line, commodity, cells[ki].strip(), year, cells[i].strip()))
    return out, read


def _pick_year(figures, year: str | None) -> str:
    years = sorted({f.year for f in figures if f.text.strip()})
    if year is None:
        return years[-1] if years else ""
    if str(year) not in years:
        from riskgraph.errors import UsageError

        raise UsageError(f"--year {year}: the file has {', '.join(years) or 'no years'}")
    return str(year)


def _shares(figures, src, report):
    """commodity -> {(country name): share}; rows left out are reported."""
    world, by_country, lines = {}, defaultdict(dict), defaultdict(set)
    for f in figures:
        if _OTHER.match(f.country):
            by_country[f.commodity].setdefault("__other__", 0.0)
            value = number(f.text)
            by_country[f.commodity]["__other__"] += value or 0.0
            continue
        value = number(f.text) if not re.match(r"^[<>]", f.text) else None
        if value is None:
            skip(report, src.name, f.line, f"production {f.text!r} of {f.commodity} in "
                 f"{f.country} is not a figure (W withheld, NA, a bound or empty)")
            continue
        if _WORLD.match(f.country):
            world[f.commodity] = value
        elif value > 0:
            by_country[f.commodity][f.country] = value
            lines[f.commodity].add(f.line)
        else:
            skip(report, src.name, f.line, f"{f.country} produced no {f.commodity}")
    shares = {}
    for commodity, rows in by_country.items():
        other = rows.pop("__other__", 0.0)
        total = world.get(commodity) or (sum(rows.values()) + other)
        if rows and total > 0:
            shares[commodity] = {c: min(1.0, v / total) for c, v in rows.items()}
    return shares, lines


def slug(commodity: str) -> str:
    """A material id from a commodity name.

    >>> slug("Graphite (natural)"), slug("Aluminum (bauxite)")
    ('GRAPHITE_NATURAL', 'ALUMINUM_BAUXITE')
    """
    return re.sub(r"[^A-Za-z0-9]+", "_", commodity).strip("_").upper()


def nation_rows(names, alliances, report, file, existing=()) -> dict:
    """ISO id -> nation row for each country name (those not already in ``existing``)."""
    rows = {}
    for name in sorted(names):
        nid = country_id(name)
        if nid is None:
            nid = made_up_id(name)
            report.add("warning", "unknown-country", file,
                       f"no ISO 3166 code known for {name!r}: nation id {nid!r} made up",
                       value=name)
        if nid not in existing:
            rows[nid] = {"nation_id": nid, "name": country_name(nid) or name,
                         "alignment": alliances.alignment(nid),
                         "alliances": alliances.tags(nid) or None}
    return rows


def sourcing_rows(material: str, shares: dict, year: str, label: str) -> tuple[list, list]:
    sup, src = [], []
    for country, share in sorted(shares.items()):
        nid = country_id(country) or made_up_id(country)
        sid = f"{material} ({nid})"
        sup.append({"supplier_id": sid, "name": f"{label} production in {country}",
                    "nation_id": nid})
        src.append({"component_id": material, "supplier_id": sid, "share": share,
                    "source": f"USGS MCS world production {year}"})
    return sup, src


def import_usgs(path, *, into=None, year: str | None = None, nation: str = "XXX",
                alliances: Alliances | None = None, match: dict | None = None
                ) -> ImportResult:
    """Read USGS MCS world production as materials with sourcing (docs/design.md §7.3).

    Parameters
    ----------
    into
        A package folder: the sourcing goes onto its matching materials (see
        :func:`~riskgraph.importers.usgs_merge.merge`) instead of a package of its own.
    year
        The production year to use (default: the latest in the file).
    nation
        Standalone only: the nation fielding one ``<material> supply`` platform per
        material (a package needs fielding rows).
    alliances
        Decides the alignment of nations added.
    match
        Commodity name -> component id, overriding the automatic matching of ``into``.
    """
    report = ValidationReport(str(path))
    src = SourceFile(path, report)
    figures, read = _figures(src, report)
    chosen = _pick_year(figures, year)
    in_year = [f for f in figures if f.year == chosen]
    shares, lines = _shares(in_year, src, report)
    if not shares:
        from riskgraph.importers.common import refuse

        raise refuse(src.name, f"no usable production figure for {chosen or 'any year'} "
                               f"in {read:,} rows; nothing written")
    alliances = alliances or Alliances(["NATO"])
    kept = len({line for ls in lines.values() for line in ls})
    if into is not None:
        from riskgraph.importers.usgs_merge import merge

        tables, notes = merge(into, shares, chosen, alliances, report, src.name,
                              match or {})
    else:
        tables, notes = _standalone(shares, chosen, alliances, report, src.name, nation)
    cite = f"{CITATION}, world production {chosen} ({src.name})"
    md = "\n".join([
        "# Sources", "",
        f"Imported by `riskgraph import usgs` from `{src.name}` (sha256 {src.sha256}).", "",
        f"Source: {cite}. USGS data are in the public domain.", "",
        f"- production year {chosen}; kept {kept:,} of {read:,} rows",
        "- share = the country's production / world total (the 'World total' row, else "
        "the sum); 'Other countries' counts in the total but is no supplier, so shares "
        "may sum below 1 (a baseline shortfall)",
        f"- {alliances.describe()}", *[f"- {n}" for n in notes], ""])
    return ImportResult(source="usgs", input_path=str(path), tables=tables, citation=cite,
                        sources_md=md, report=report, rows_read=read, rows_kept=kept,
                        notes=notes, parameters={"year": chosen, "into": into,
                                                 "input_sha256": src.sha256})


def _standalone(shares, year, alliances, report, file, nation):
    t = empty_tables()
    countries = {c for s in shares.values() for c in s}
    nations = nation_rows(countries, alliances, report, file)
    if nation not in nations:
        nations[nation] = {"nation_id": nation, "name": country_name(nation) or
                           "Operator (USGS import)", "alignment": alliances.alignment(nation)}
    t["nations"] = [nations[k] for k in sorted(nations)]
    for commodity in sorted(shares):
        material = slug(commodity)
        t["components"].append({"component_id": material, "name": commodity,
                                "kind": "material"})
        t["components"].append({"component_id": f"{material}_SUPPLY",
                                "name": f"{commodity} supply", "kind": "platform"})
        t["bom"].append({"parent_id": f"{material}_SUPPLY", "child_id": material})
        t["fielding"].append({"nation_id": nation, "platform_id": f"{material}_SUPPLY"})
        sup, src = sourcing_rows(material, shares[commodity], year, commodity)
        t["suppliers"] += sup
        t["sourcing"] += src
    notes = [f"{len(shares)} material(s); each has a platform '<ID>_SUPPLY' fielded by "
             f"{nation} so that every analysis runs on it"]
    return {name: frame(name, rows) for name, rows in t.items()}, notes
