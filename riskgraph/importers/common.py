"""What every importer shares: reading a source file, reporting unusable rows, nations,
alliances, and writing the package atomically (docs/design.md §7.1).

An importer turns one public source file into an :class:`ImportResult`: the six tables of a
data package as DataFrames, the rows it could not use (as warnings with file, line and
reason), how many rows it kept, and the citation of its input. :func:`write_import` then
writes the package all-or-nothing: into a temporary folder next to the target, validated
there, and renamed into place only when validation finds no error.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from riskgraph.errors import UsageError, ValidationError
from riskgraph.io.report import ValidationReport, show_value
from riskgraph.io.schema import ALIGNMENTS, TABLES

__all__ = ["ImportResult", "SourceFile", "Alliances", "country_id", "country_name",
           "refuse", "write_import", "empty_tables", "frame", "MAX_SOURCE_BYTES"]

#: Source files larger than this are refused before they are read.
MAX_SOURCE_BYTES = 512 * 1024 * 1024

_DATA = Path(__file__).with_name("data")


@dataclass
class ImportResult:
    """One importer's output, before it is written.

    ``tables`` maps table names (``nations`` …) to DataFrames with the schema's columns
    (ids as plain columns); ``report`` holds the rows left out (warnings, code
    ``skipped-row``) and anything else worth saying; ``rows_read`` / ``rows_kept`` count
    the source's data rows.
    """

    source: str
    input_path: str
    tables: dict
    citation: str
    sources_md: str
    report: ValidationReport
    rows_read: int = 0
    rows_kept: int = 0
    parameters: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    unit: str = "rows"

    def summary(self) -> str:
        """One line per table written, and how many source rows were kept."""
        sizes = ", ".join(f"{len(df):,} {name}" for name, df in self.tables.items()
                          if TABLES[name].required or len(df))
        return (f"{self.source}: kept {self.rows_kept:,} of {self.rows_read:,} {self.unit} of "
                f"{self.input_path}; {sizes}")


class SourceFile:
    """A source file read as text, with its sha256 and physical line numbers.

    Text is decoded as UTF-8 (a byte-order mark is dropped); a file that is not UTF-8 is
    read as Windows-1252, as spreadsheet exports often are, with a warning.
    """

    def __init__(self, path, report: ValidationReport):
        self.path = Path(path)
        self.name = self.path.name
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise UsageError(f"cannot read {os.fspath(path)!r}: {exc.strerror or exc}") \
                from None
        if self.path.is_dir():
            raise UsageError(f"{os.fspath(path)!r} is a folder; give the source file")
        if size > MAX_SOURCE_BYTES:
            raise UsageError(f"{self.name} is {size:,} bytes; the limit is "
                             f"{MAX_SOURCE_BYTES:,}")
        data = self.path.read_bytes()
        self.sha256 = hashlib.sha256(data).hexdigest()
        try:
            self.text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.text = data.decode("cp1252", errors="replace")
            report.add("warning", "encoding", self.name,
                       f"not UTF-8 (byte {exc.start}); read as Windows-1252")
        self.modified = dt.datetime.fromtimestamp(self.path.stat().st_mtime,
                                                  dt.timezone.utc).date().isoformat()

    def rows(self, start: int = 0):
        """``(line, cells)`` for each CSV record from physical line ``start + 1`` on;
        ``line`` is the record's first physical line (1-based)."""
        lines = self.text.splitlines(keepends=True)[start:]
        reader = csv.reader(io.StringIO("".join(lines)))
        first = start + 1
        try:
            for cells in reader:
                yield first, cells
                first = start + reader.line_num + 1
        except csv.Error as exc:
            raise ValidationError(_one(self.name, "malformed-csv",
                                       f"malformed CSV: {exc}", start + reader.line_num)) \
                from None


def _one(file: str, code: str, message: str, line: int | None = None,
         column: str | None = None, value: str | None = None) -> ValidationReport:
    report = ValidationReport(file)
    report.add("error", code, file, message, line=line, column=column, value=value)
    return report


def refuse(file: str, message: str, line: int | None = None) -> ValidationError:
    """A ValidationError for a file that cannot be imported at all (exit 3)."""
    return ValidationError(_one(file, "wrong-source", message, line))


def normalise(text: str) -> str:
    """A column name or country name for matching: lower case, single spaces."""
    return re.sub(r"\s+", " ", text.strip().strip("*").strip()).lower()


# --------------------------------------------------------------------------- countries

@lru_cache(maxsize=1)
def _countries() -> tuple[dict, dict]:
    by_name, names = {}, {}
    with open(_DATA / "countries.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            names[row["nation_id"]] = row["name"]
            for alias in [row["name"], row["nation_id"], *row["aliases"].split(";")]:
                if alias.strip():
                    by_name[normalise(alias)] = row["nation_id"]
    return by_name, names


def country_id(name: str) -> str | None:
    """The ISO 3166-1 alpha-3 code of a country name as SIPRI or USGS write it, or None.

    >>> country_id("Congo (Kinshasa)"), country_id("UK"), country_id("Atlantis")
    ('COD', 'GBR', None)
    """
    return _countries()[0].get(normalise(name))


def country_name(nation_id: str) -> str | None:
    """The display name of an ISO alpha-3 code in the shipped table, or None."""
    return _countries()[1].get(nation_id)


def made_up_id(name: str) -> str:
    """An id for a name with no known ISO code: its letters and digits, upper case.

    >>> made_up_id("Hezbollah (Lebanon)*")
    'HEZBOLLAHLEBANON'
    """
    return re.sub(r"[^A-Za-z0-9]", "", name).upper() or "UNKNOWN"


# --------------------------------------------------------------------------- alliances

class Alliances:
    """Alliance membership with dates (``data/alliances.csv``: NATO and EU), deciding
    each nation's ``alignment`` and ``alliances`` tags (docs/design.md §7.1).

    A nation is ``member`` when it belongs to one of ``studied`` on ``as_of``; other
    nations take ``others`` unless ``overrides`` names them.

    >>> a = Alliances(["NATO"], as_of="2023-01-01")
    >>> a.alignment("FIN"), a.alignment("POL"), a.tags("POL")
    ('neutral', 'member', 'EU;NATO')
    """

    def __init__(self, studied=("NATO",), *, as_of: str | None = None,
                 others: str = "neutral", overrides: dict | None = None, path=None):
        try:
            self.as_of = dt.date.fromisoformat(as_of).isoformat() if as_of else \
                dt.date.today().isoformat()
        except ValueError:
            raise UsageError(f"--as-of {as_of!r}: expected a date YYYY-MM-DD") from None
        self.studied = [s.strip() for s in studied if s.strip()]
        self.others = others
        self.overrides = dict(overrides or {})
        self.members: dict[str, set] = {}
        with open(path or _DATA / "alliances.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["joined"] <= self.as_of and (not row["left"]
                                                     or row["left"] > self.as_of):
                    self.members.setdefault(row["nation_id"], set()).add(row["alliance"])
        known = {a for tags in self.members.values() for a in tags} | {"NATO", "EU"}
        unknown = [s for s in self.studied if s not in known]
        if unknown:
            raise UsageError(f"unknown alliance(s) {', '.join(unknown)}; the shipped table "
                             f"has {', '.join(sorted(known))}")
        bad = {k: v for k, v in self.overrides.items() if v not in ALIGNMENTS}
        if others not in ALIGNMENTS or bad:
            raise UsageError(f"alignments must be one of {', '.join(ALIGNMENTS)}")

    def tags(self, nation_id: str) -> str:
        return ";".join(sorted(self.members.get(nation_id, ())))

    def alignment(self, nation_id: str) -> str:
        if nation_id in self.overrides:
            return self.overrides[nation_id]
        if self.members.get(nation_id, set()) & set(self.studied):
            return "member"
        return self.others

    def describe(self) -> str:
        return (f"alignment: members of {' or '.join(self.studied)} on {self.as_of} are "
                f"'member', other nations '{self.others}'"
                + (f", set by hand: {', '.join(f'{k}={v}' for k, v in sorted(self.overrides.items()))}"
                   if self.overrides else ""))


# --------------------------------------------------------------------------- tables

def empty_tables() -> dict[str, list]:
    """Row lists for each table, to fill and pass to :func:`frame`."""
    return {name: [] for name in TABLES}


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """A table's rows as a DataFrame: its required columns, the optional ones that hold a
    value, then any extra columns that hold one (kept by the reader, docs/design.md §2)."""
    table = TABLES[name]
    df = pd.DataFrame(rows)
    filled = [c for c in df.columns if df[c].notna().any()]
    cols = [c.name for c in table.columns if c.required or c.name in filled]
    extra = [c for c in filled if c not in table.names]
    return df.reindex(columns=cols + extra)


# --------------------------------------------------------------------------- writing

def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{os.fspath(out)!r} exists and is not an empty folder: "
                         f"choose a new folder for the package")


def write_import(result: ImportResult, out, *, command: str) -> Path:
    """Write an import as a data package folder, all-or-nothing.

    The tables, ``SOURCES.md`` and ``manifest.json`` (with the citation) are written to
    a temporary folder beside ``out`` and validated there; the folder is renamed to
    ``out`` only when validation finds no error. ``out`` must not exist or be empty.

    Raises
    ------
    UsageError
        ``out`` exists and is not an empty folder.
    ValidationError
        The package the import made does not validate (nothing is left behind).
    """
    from riskgraph.io.export import write_outputs
    from riskgraph.io.validation import validate_package

    out = Path(out)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.riskgraph-import-{secrets.token_hex(4)}"
    try:
        # an optional table with no rows is left out (a header-only bom.csv is an error)
        tables = {TABLES[name].filename: df for name, df in result.tables.items()
                  if TABLES[name].required or len(df)}
        parameters = {"source": result.source, "input": os.path.abspath(result.input_path),
                      "citation": result.citation, "rows_read": result.rows_read,
                      "rows_kept": result.rows_kept, **result.parameters}
        write_outputs(tmp, tables, command=command, parameters=parameters)
        (tmp / "SOURCES.md").write_text(result.sources_md, encoding="utf-8")
        report = validate_package(tmp)
        if not report.ok:
            report.source = f"the package the import made for {os.fspath(out)} (not written)"
            raise ValidationError(report)
        _check_target(out)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def skip(report: ValidationReport, file: str, line: int, reason: str,
         value: str | None = None) -> None:
    """Record a source row left out (a warning: the import goes on without it)."""
    tail = f" ({show_value(value)})" if value else ""
    report.add("warning", "skipped-row", file, f"row left out: {reason}{tail}",
               line=line, value=value)


#: The columns that identify each tabular source (normalised), to name the right
#: importer when a file is given to the wrong one.
SIGNATURES = {
    "sipri": ("recipient", "supplier", "weapon designation", "number delivered"),
    "usgs": ("commodity", "country"),
    "willems": ("stage name", "stagetime"),
    "willems links": ("sourcestage", "destinationstage"),
}


def wrong_source(file: str, source: str, expected, first_rows) -> ValidationError:
    """The error for a file that is not of ``source``'s type: names the columns expected,
    what the file starts with, and the importer it looks made for, if any."""
    seen = ""
    for cells in first_rows:
        if any(c.strip() for c in cells):
            seen = ", ".join(c.strip() for c in cells[:12] if c.strip())
            break
    hint = ""
    for cells in first_rows:
        names = {normalise(c) for c in cells}
        for other, sig in SIGNATURES.items():
            if other.split()[0] != source and all(s in names for s in sig):
                hint = f"; it looks like a {other.split()[0]} file: use " \
                       f"'riskgraph import {other.split()[0]}'"
                break
        if hint:
            break
    if not hint and any("<opsa-mef" in c for cells in first_rows for c in cells):
        hint = "; it looks like an Open-PSA file: use 'riskgraph import openpsa'"
    found = f"; the file starts with: {show_value(seen, 120)}" if seen else "; it is empty"
    return refuse(file, f"not a {source} file: expected the columns "
                        f"{', '.join(expected)}{found}{hint}")


def number(text: str) -> float | None:
    """A number as sources write it (thousands separators, '?', brackets), or None.

    >>> number("1,200"), number("(50)"), number("12?"), number("W"), number("")
    (1200.0, 50.0, 12.0, None, None)
    """
    t = text.strip().strip("()?* ").replace(",", "").replace(" ", "")
    try:
        value = float(t)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


#: The component and supplier an import adds when its source names no supplier at all
#: (a package needs at least one sourcing row); they feed no platform.
PLACEHOLDER = "placeholder"


def add_placeholder(t: dict, nation: str) -> None:
    """One supplier sourcing one material, used by nothing (docs/design.md §7.4): the
    package format needs a sourcing row, and this one changes no analysis of a platform."""
    t["components"].append({"component_id": PLACEHOLDER, "kind": "material",
                            "name": "placeholder: the package format needs one sourcing row; "
                                    "nothing uses it"})
    t["suppliers"].append({"supplier_id": PLACEHOLDER, "name": "placeholder supplier",
                           "nation_id": nation})
    t["sourcing"].append({"component_id": PLACEHOLDER, "supplier_id": PLACEHOLDER,
                          "share": 1.0, "source": "placeholder"})


def reaches(children, start: str, goal: str) -> bool:
    """Does ``start`` already (transitively) contain ``goal``?"""
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, ()))
    return False
