"""Willems (2008, MSOM) multi-echelon supply chains → data package (docs/design.md §7.5).

Willems published 38 real-world chains as one workbook with two sheets per chain: stage data
``NN_SD`` (``Stage Name``, ``stageCost``, ``relDepth``, ``stageClassification``,
``avgDemand``, ``stdDevDemand``, ``maxServiceTime``, ``serviceLevel``, ``stageTime``,
``stdDev stageTime``) and the link list ``NN_LL`` (``sourceStage``, ``destinationStage``).
riskgraph reads the two sheets saved as CSV files; a link list may carry a ``quantity``
column (units of the source per unit of the destination, default 1).

Mapping: stages → components (``stageTime`` → ``lead_time_days``), links → BOM rows
(the destination needs the source), stages with external demand (or classified Retail) →
platforms fielded by ``--nation``.
"""

from __future__ import annotations

import re
from pathlib import Path

from riskgraph.errors import UsageError
from riskgraph.importers.common import (
    ImportResult, SourceFile, add_placeholder, empty_tables, frame, normalise, number,
    reaches, refuse, skip, wrong_source,
)
from riskgraph.io.report import ValidationReport

__all__ = ["import_willems", "CITATION", "STAGE_COLUMNS", "LINK_COLUMNS"]

CITATION = ("Willems, S. P. (2008). Real-world multiechelon supply chains used for "
            "inventory optimization. Manufacturing & Service Operations Management 10(1), "
            "19-23. https://doi.org/10.1287/msom.1070.0176")
STAGE_COLUMNS = ("Stage Name", "stageTime", "stageClassification", "avgDemand",
                 "stageCost")
LINK_COLUMNS = ("sourceStage", "destinationStage")
_EXTRA = {"stageClassification": "stage_classification", "stageCost": "stage_cost",
          "avgDemand": "avg_demand", "relDepth": "rel_depth"}


def _table(src: SourceFile, required, kind: str):
    """Header positions (normalised name -> index) and the data rows, or wrong source."""
    first = []
    for line, cells in src.rows():
        first.append(cells)
        names = [normalise(c) for c in cells]
        if all(normalise(c) in names for c in required):
            rows = [(n, c) for n, c in src.rows(line) if any(x.strip() for x in c)]
            return {n: i for i, n in reversed(list(enumerate(names)))}, rows
        if len(first) >= 5:
            break
    raise wrong_source(src.name, kind, required, first)


def _links_path(path: Path, links) -> Path:
    if links is not None:
        return Path(links)
    guess = re.sub(r"_SD(?=[^/\\]*$)", "_LL", str(path), flags=re.I)
    if guess == str(path) or not Path(guess).exists():
        raise UsageError(f"no link list found for {path} (looked for a name with _SD "
                         f"replaced by _LL): give it with --links FILE")
    return Path(guess)


def _cell(cells, pos, name) -> str:
    i = pos.get(normalise(name))
    return cells[i].strip() if i is not None and i < len(cells) else ""


def _stages(src, report) -> tuple[dict, int]:
    pos, rows = _table(src, ("Stage Name", "stageTime"), "Willems stage data (NN_SD)")
    stages = {}
    for line, cells in rows:
        name = _cell(cells, pos, "Stage Name")
        time_text = _cell(cells, pos, "stageTime")
        lead = number(time_text) if time_text else None
        if not name:
            skip(report, src.name, line, "no Stage Name")
        elif name in stages:
            skip(report, src.name, line, f"stage {name!r} already defined on line "
                                         f"{stages[name]['line']}", name)
        elif time_text and (lead is None or lead < 0):
            skip(report, src.name, line, f"stageTime {time_text!r} is not a number of "
                                         f"days >= 0", time_text)
        else:
            demand = number(_cell(cells, pos, "avgDemand"))
            extra = {col: _cell(cells, pos, k) or None for k, col in _EXTRA.items()}
            stages[name] = {"line": line, "lead": lead, "demand": demand, **extra}
    return stages, len(rows)


def _links(src, stages, report) -> tuple[list, int]:
    pos, rows = _table(src, LINK_COLUMNS, "Willems link list (NN_LL)")
    out, children = [], {}
    for line, cells in rows:
        a, b = _cell(cells, pos, "sourceStage"), _cell(cells, pos, "destinationStage")
        qty_text = _cell(cells, pos, "quantity")
        qty = number(qty_text) if qty_text else 1.0
        missing = [s for s in (a, b) if s not in stages]
        if missing:
            skip(report, src.name, line, f"unknown stage {missing[0]!r}", missing[0])
        elif a == b:
            skip(report, src.name, line, f"stage {a!r} linked to itself", a)
        elif qty is None or qty <= 0:
            skip(report, src.name, line, f"quantity {qty_text!r} is not > 0", qty_text)
        elif reaches(children, a, b):
            skip(report, src.name, line, f"{a!r} -> {b!r} would close a cycle")
        elif b in children and a in children[b]:
            skip(report, src.name, line, f"link {a!r} -> {b!r} given twice")
        else:
            children.setdefault(b, set()).add(a)
            out.append({"parent_id": b, "child_id": a, "quantity": qty})
    return out, len(rows)


def import_willems(path, *, links=None, nation: str = "XXX") -> ImportResult:
    """Read one Willems (2008) chain as a data package (docs/design.md §7.5).

    Parameters
    ----------
    path
        The stage data sheet saved as CSV (``NN_SD``).
    links
        The link list sheet as CSV (default: ``path`` with ``_SD`` replaced by ``_LL``).
    nation
        The nation fielding the demand stages.
    """
    report = ValidationReport(str(path))
    src = SourceFile(path, report)
    stages, n_stages = _stages(src, report)
    lsrc = SourceFile(_links_path(Path(path), links), report)
    bom, n_links = _links(lsrc, stages, report)
    if not stages:
        raise refuse(src.name, f"none of the {n_stages} stages could be used; nothing "
                               f"written")
    upstream = {r["parent_id"] for r in bom}
    t = empty_tables()
    t["nations"].append({"nation_id": nation, "name": "Operator (Willems import)",
                         "alignment": "member"})
    platforms = []
    for name, s in stages.items():
        demand = (s["demand"] or 0) > 0 or normalise(s["stage_classification"] or "") \
            == "retail"
        kind = "platform" if demand else "system" if name in upstream else "material"
        t["components"].append({"component_id": name, "name": name, "kind": kind,
                                "lead_time_days": s["lead"],
                                **{k: s[k] for k in _EXTRA.values()}})
        if demand:
            platforms.append(name)
            t["fielding"].append({"nation_id": nation, "platform_id": name})
    if not platforms:
        raise refuse(src.name, "no stage has external demand (avgDemand > 0) or is "
                               "classified Retail: nothing to field")
    t["bom"] = bom
    add_placeholder(t, nation)
    tables = {name: frame(name, rows) for name, rows in t.items()}
    md = "\n".join([
        "# Sources", "",
        f"Imported by `riskgraph import willems` from `{src.name}` and `{lsrc.name}` "
        f"(sha256 {src.sha256}, {lsrc.sha256}).", "", f"Source: {CITATION}.", "",
        f"- {len(stages):,} of {n_stages:,} stages and {len(bom):,} of {n_links:,} links "
        f"kept; {len(platforms):,} demand stage(s) fielded by {nation}",
        "- stage -> component (stageTime -> lead_time_days); link -> BOM row (the "
        "destination needs the source); demand stage -> platform", ""])
    return ImportResult(source="willems", input_path=str(path), tables=tables,
                        citation=CITATION, sources_md=md, report=report,
                        rows_read=n_stages + n_links, rows_kept=len(stages) + len(bom),
                        unit="stages and links",
                        parameters={"links": str(lsrc.path), "nation": nation,
                                    "input_sha256": src.sha256,
                                    "links_sha256": lsrc.sha256})
