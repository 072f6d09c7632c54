"""Validating a data package: every problem, at once, with its place.

:func:`validate_package` never raises on bad data: it returns a :class:`ValidationReport`
listing each problem as ``file:line:column: message`` (line 1 is the header). The typed
tables it builds on the way are what :func:`validate_tables` returns, and
:func:`riskgraph.read_package` wraps, when the report holds no error.

The work is split by concern: :mod:`~riskgraph.io.reading` (files, encodings, CSV),
:mod:`~riskgraph.io.cells` (typing cells, unique keys), :mod:`~riskgraph.io.checks`
(across tables) and :mod:`~riskgraph.io.report` (the issues).
"""

from __future__ import annotations

import os

import pandas as pd

from riskgraph.io.cells import type_cells, unique_keys
from riskgraph.io.checks import check_references, cross_checks
from riskgraph.io.reading import DEFAULT_MAX_FILE_BYTES, RawTable, check_path, read_table
from riskgraph.io.report import MAX_ISSUES_PER_KIND, Issue, ValidationReport
from riskgraph.io.schema import TABLES

__all__ = ["Issue", "ValidationReport", "validate_package", "validate_tables",
           "DEFAULT_MAX_FILE_BYTES", "MAX_ISSUES_PER_KIND"]


def validate_package(path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
                     ) -> ValidationReport:
    """Check a data package and report every problem found.

    Parameters
    ----------
    path
        The package folder.
    max_file_bytes
        Files larger than this are refused before they are parsed.

    Returns
    -------
    ValidationReport
        ``report.ok`` is True when there is no error (warnings are allowed).

    Examples
    --------
    >>> validate_package("no/such/folder").errors[0].code
    'missing-package'
    """
    report, _ = validate_tables(path, max_file_bytes=max_file_bytes)
    return report


def validate_tables(path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                    fast: bool = True
                    ) -> tuple[ValidationReport, tuple[dict, dict] | None]:
    """Check a data package; the report and, when it holds no error, the typed tables.

    Parameters
    ----------
    path
        The package folder.
    max_file_bytes
        Files larger than this are refused before they are parsed.
    fast
        Parse well-formed files with the fast (pyarrow) parser; ``False`` parses every
        file with the careful one. Both give the same report and tables.

    Returns
    -------
    report, result
        ``result`` is None when the report holds an error, else ``(tables, sha256)``:
        the typed tables by name (``bom`` empty when absent) and each file's sha256.
    """
    report = ValidationReport(source=str(os.fspath(path)))
    folder = check_path(path, report)
    if folder is None:
        report.finish()
        return report, None
    raws: dict[str, RawTable] = {}
    for name, table in TABLES.items():
        raw = read_table(folder, table, report, max_file_bytes, fast=fast)
        if raw is not None:
            raws[name] = raw
    tables, lines = {}, {}
    for name, raw in raws.items():
        df = type_cells(raw, report)
        unique_keys(raw.table, df, raw.lines, report)
        tables[name], lines[name] = _keyed(df, raw)
    check_references(tables, lines, report)
    unreadable = {name for name, t in TABLES.items() if name not in raws and
                  any(i.file == t.filename for i in report.errors)}
    cross_checks(tables, lines, unreadable, report)
    report.finish()
    if report.errors:
        return report, None
    if "bom" not in tables:
        tables["bom"] = pd.DataFrame({c.name: pd.Series([], dtype=float if c.numeric else object)
                                      for c in TABLES["bom"].columns})
    hashes = {raw.table.filename: raw.sha256 for raw in raws.values()}
    return report, (tables, hashes)


def _keyed(df: pd.DataFrame, raw: RawTable):
    """A table with one key column indexed by it (first row of a repeated id kept), and
    the physical line of each row left."""
    key = raw.table.key
    if len(key) != 1:
        return df, raw.lines
    first = ~df[key[0]].duplicated(keep="first").to_numpy()
    df = df.set_index(key[0], drop=True)
    return df[first], raw.lines[first]
