"""SIPRI Arms Transfers Database trade register (CSV export) → data package
(docs/design.md §7.2).

The user downloads the register from SIPRI's site; riskgraph ships none of it (SIPRI's terms
forbid redistribution). The export has a few preamble lines, then a header row with
``Recipient``, ``Supplier``, ``Year of order``, ``Number ordered``, ``Weapon designation``,
``Weapon description``, ``Number delivered``, ``Year(s) of delivery``, ``status``,
``Comments`` and the TIV columns (unnamed columns between them hold uncertainty marks).

Mapping: recipients and suppliers become nations; each weapon designation a component
(a platform, or a system when every row of it is delivered "for" another known
designation); one supplier per (designation, exporting nation) with a share equal to its
part of the designation's deliveries; fielding per (recipient, platform) with the numbers
delivered; "for <designation>" comments become BOM rows.
"""

from __future__ import annotations

import re
from collections import defaultdict

from riskgraph.importers.common import (
    Alliances, ImportResult, SourceFile, country_id, country_name, empty_tables, frame,
    made_up_id, normalise, number, reaches, skip, wrong_source,
)
from riskgraph.io.report import ValidationReport

__all__ = ["import_sipri", "CITATION", "COLUMNS", "ALIASES"]

#: The columns the importer reads (the first four are required).
COLUMNS = ("Recipient", "Supplier", "Weapon designation", "Number delivered",
           "Year of order", "Weapon description", "Year(s) of delivery", "Comments")
#: The citation SIPRI asks users of the database to give.
CITATION = ("SIPRI Arms Transfers Database, Stockholm International Peace Research "
            "Institute (SIPRI), https://www.sipri.org/databases/armstransfers")

_FOR = re.compile(r"\bfor\s+(?:the\s+|use\s+on\s+|use\s+with\s+)?([^;.,()]+)", re.I)
_UNKNOWN = re.compile(r"^unknown\b", re.I)


#: Older exports' names for the same columns.
ALIASES = {"no. delivered": "number delivered", "no. delivered/produced": "number delivered",
           "year of order/licence": "year of order", "no. ordered": "number ordered",
           "year(s) of deliveries": "year(s) of delivery"}


def _header(src: SourceFile):
    """The header row's line and column positions, or a wrong-source error."""
    first = []
    for line, cells in src.rows():
        first.append(cells)
        names = [ALIASES.get(normalise(c), normalise(c)) for c in cells]
        if all(normalise(c) in names for c in COLUMNS[:4]):
            pos = {c: names.index(normalise(c)) for c in COLUMNS if normalise(c) in names}
            return line, pos
        if len(first) >= 40:
            break
    raise wrong_source(src.name, "SIPRI trade register", COLUMNS[:4] + COLUMNS[4:], first)


def _generated(src: SourceFile) -> str:
    m = re.search(r"Information generated:\s*([^\r\n\",]+)", src.text[:4000])
    return m.group(1).strip() if m else f"file dated {src.modified}"


class _Register:
    """The deals kept, aggregated as the package needs them."""

    def __init__(self):
        self.delivered = defaultdict(lambda: defaultdict(float))  # design -> nation -> n
        self.fielded = defaultdict(float)                          # (nation, design) -> n
        self.description: dict[str, str] = {}
        self.targets = defaultdict(set)   # design -> phrases after "for"
        self.rows = defaultdict(int)      # design -> rows
        self.rows_for = defaultdict(int)  # design -> rows with a "for" phrase
        self.names: dict[str, str] = {}   # nation id -> name as written


def _nation(name: str, reg: _Register, report: ValidationReport, file: str,
            line: int) -> str:
    clean = name.strip().rstrip("*").strip()
    nid = country_id(clean)
    if nid is None:
        nid = made_up_id(clean)
        if nid not in reg.names:
            report.add("warning", "unknown-country", file,
                       f"no ISO 3166 code known for {clean!r}: nation id {nid!r} made up",
                       line=line, value=clean)
    reg.names.setdefault(nid, country_name(nid) or clean)
    return nid


def _read_row(cells, pos, line, src, reg, report, years) -> str | None:
    """Add one deal; returns why it was left out, or None when it was kept."""
    def cell(name):
        i = pos.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    recipient, supplier, design = cell("Recipient"), cell("Supplier"), \
        cell("Weapon designation")
    if not recipient or not supplier or not design:
        missing = [n for n, v in (("Recipient", recipient), ("Supplier", supplier),
                                  ("Weapon designation", design)) if not v]
        return f"no {' or '.join(missing)}"
    if _UNKNOWN.match(supplier) or _UNKNOWN.match(recipient):
        return f"unknown {'supplier' if _UNKNOWN.match(supplier) else 'recipient'}"
    year = number(cell("Year of order"))
    if years != (None, None) and year is None:
        return f"Year of order {cell('Year of order')!r} is not a year"
    if year is not None and ((years[0] is not None and year < years[0])
                             or (years[1] is not None and year > years[1])):
        return "outside"
    text = cell("Number delivered")
    delivered = number(text) if text else 0.0
    if delivered is None or delivered < 0:
        return f"Number delivered {text!r} is not a count"
    if delivered == 0:
        return "undelivered"
    exporter = _nation(supplier, reg, report, src.name, line)
    importer = _nation(recipient, reg, report, src.name, line)
    reg.delivered[design][exporter] += delivered
    reg.fielded[(importer, design)] += delivered
    reg.rows[design] += 1
    reg.description.setdefault(design, cell("Weapon description"))
    phrases = [m.group(1).strip() for m in _FOR.finditer(cell("Comments"))]
    if phrases:
        reg.rows_for[design] += 1
        reg.targets[design].update(phrases)
    return None


def _target(phrase: str, known: dict) -> str | None:
    """The longest known designation the phrase starts with (whole words)."""
    words = phrase.split()
    for n in range(len(words), 0, -1):
        hit = known.get(normalise(" ".join(words[:n])))
        if hit is not None:
            return hit
    return None


def _bom(reg: _Register, report: ValidationReport, file: str) -> list[dict]:
    """BOM rows from "for <designation>" comments, dropping any that close a cycle."""
    known = {normalise(d): d for d in reg.delivered}
    parents = defaultdict(set)
    for design, phrases in reg.targets.items():
        for phrase in phrases:
            parent = _target(phrase, known)
            if parent is not None and parent != design:
                parents[design].add(parent)
    children = defaultdict(set)
    rows = []
    for child in sorted(parents):
        for parent in sorted(parents[child]):
            if reaches(children, child, parent):
                report.add("warning", "bom-cycle", file,
                           f"'{child}' for '{parent}' would close a cycle: left out")
                continue
            children[parent].add(child)
            rows.append({"parent_id": parent, "child_id": child, "quantity": 1.0})
    return rows


def _tables(reg: _Register, bom: list[dict], alliances: Alliances) -> dict:
    t = empty_tables()
    children = {r["child_id"] for r in bom}
    # a designation is a system when every row of it is delivered "for" a known one
    system = {d for d in children if reg.rows_for[d] == reg.rows[d]}
    for nid in sorted(reg.names):
        t["nations"].append({"nation_id": nid, "name": reg.names[nid],
                             "alignment": alliances.alignment(nid),
                             "alliances": alliances.tags(nid) or None})
    for design in sorted(reg.delivered):
        t["components"].append({"component_id": design, "name": design,
                                "kind": "system" if design in system else "platform",
                                "weapon_description": reg.description.get(design) or None})
        total = sum(reg.delivered[design].values())
        for nid, n in sorted(reg.delivered[design].items()):
            sid = f"{design} ({nid})"
            t["suppliers"].append({"supplier_id": sid,
                                   "name": f"{design} from {reg.names[nid]}",
                                   "nation_id": nid})
            t["sourcing"].append({"component_id": design, "supplier_id": sid,
                                  "share": n / total, "source": "SIPRI trade register"})
    for (nid, design), n in sorted(reg.fielded.items()):
        if design not in system:
            t["fielding"].append({"nation_id": nid, "platform_id": design, "quantity": n})
    t["bom"] = bom
    return {name: frame(name, rows) for name, rows in t.items()}


def import_sipri(path, *, from_year: int | None = None, to_year: int | None = None,
                 alliances: Alliances | None = None) -> ImportResult:
    """Read a SIPRI trade register CSV as a data package (docs/design.md §7.2).

    Parameters
    ----------
    path
        The CSV file as SIPRI's site exports it.
    from_year, to_year
        Keep deals ordered in these years (inclusive; None: no bound).
    alliances
        Decides each nation's alignment (default: NATO members on 31 December of
        ``to_year``, or today, are ``member``, others ``neutral``).
    """
    report = ValidationReport(str(path))
    src = SourceFile(path, report)
    line0, pos = _header(src)
    if alliances is None:
        alliances = Alliances(["NATO"], as_of=f"{to_year}-12-31" if to_year else None)
    reg = _Register()
    counts = defaultdict(int)
    read = 0
    for line, cells in src.rows(line0):
        if not any(c.strip() for c in cells):
            continue
        read += 1
        why = _read_row(cells, pos, line, src, reg, report, (from_year, to_year))
        if why in ("outside", "undelivered"):
            counts[why] += 1
        elif why is not None:
            counts["unusable"] += 1
            skip(report, src.name, line, why)
    if not reg.delivered:
        raise _nothing_kept(src, read, counts)
    bom = _bom(reg, report, src.name)
    tables = _tables(reg, bom, alliances)
    kept = read - sum(counts.values())
    notes = [f"{counts['outside']:,} deal(s) ordered outside the years asked for"] \
        if counts["outside"] else []
    if counts["undelivered"]:
        notes.append(f"{counts['undelivered']:,} deal(s) with nothing delivered yet")
    cite = f"{CITATION} (trade register, information generated {_generated(src)})"
    return ImportResult(
        source="sipri", input_path=str(path), tables=tables, citation=cite,
        sources_md=_sources_md(src, cite, alliances, kept, read, notes, from_year, to_year),
        report=report, rows_read=read, rows_kept=kept, notes=notes,
        parameters={"from_year": from_year, "to_year": to_year,
                    "alliances": alliances.studied, "as_of": alliances.as_of,
                    "input_sha256": src.sha256})


def _nothing_kept(src: SourceFile, read: int, counts) -> Exception:
    from riskgraph.importers.common import refuse

    parts = ", ".join(f"{n:,} {k}" for k, n in sorted(counts.items()))
    return refuse(src.name, f"none of the {read:,} deals could be used ({parts}); "
                            f"nothing written")


def _sources_md(src, cite, alliances, kept, read, notes, from_year, to_year) -> str:
    years = (f"deals ordered {from_year or '…'}–{to_year or '…'}"
             if from_year or to_year else "every deal in the file")
    lines = [
        "# Sources",
        "",
        f"Imported by `riskgraph import sipri` from `{src.name}` "
        f"(sha256 {src.sha256}).",
        "",
        f"Source: {cite}.",
        "",
        "SIPRI's terms of use apply to this package: it is derived from SIPRI data, which "
        "may not be used commercially or redistributed beyond fair use.",
        "",
        f"- {years}; kept {kept:,} of {read:,} rows",
        *[f"- {n}" for n in notes],
        f"- {alliances.describe()}",
        "- one supplier per (designation, exporting nation); share = its part of the "
        "designation's deliveries; fielding quantity = numbers delivered",
        "",
    ]
    return "\n".join(lines)
