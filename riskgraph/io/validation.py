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

import numpy as np
import pandas as pd
import pyarrow as pa

from riskgraph.io.cells import type_cells, unique_keys
from riskgraph.io.checks import check_references, cross_checks
from riskgraph.io.controls import check_controls
from riskgraph.io.mitigations import check_mitigations
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
    tables, lines, ids = {}, {}, {}
    for name, raw in raws.items():
        df, id_columns = type_cells(raw, report)
        unique_keys(raw.table, df, id_columns, raw.lines, report)
        tables[name], lines[name], ids[name] = _keyed(df, id_columns, raw)
    check_references(tables, lines, ids, report)
    unreadable = {name for name, t in TABLES.items() if name not in raws and
                  any(i.file == t.filename for i in report.errors)}
    cross_checks(tables, lines, ids, unreadable, report)
    if "controls" in tables:
        check_controls(tables["controls"], lines["controls"], tables.get("nations"),
                       tables.get("components"), tables.get("suppliers"), report)
    if "mitigations" in tables:
        check_mitigations(tables["mitigations"], lines["mitigations"], tables, report)
    report.finish()
    if report.errors:
        return report, None
    if "bom" not in tables:
        tables["bom"] = pd.DataFrame({c.name: pd.Series([], dtype=float if c.numeric else object)
                                      for c in TABLES["bom"].columns})
    hashes = {raw.table.filename: raw.sha256 for raw in raws.values()}
    return report, (tables, hashes)


def _keyed(df: pd.DataFrame, id_columns: dict, raw: RawTable):
    """A table with one key column indexed by it (first row of a repeated id kept), the
    physical line of each row left, and its id columns as pyarrow arrays."""
    key = raw.table.key
    if len(key) != 1:
        return df, raw.lines, id_columns
    keys = id_columns[key[0]]
    first = np.zeros(len(keys), dtype=bool)
    first[np.unique(keys.dictionary_encode().indices.fill_null(-1)
                    .to_numpy(zero_copy_only=False), return_index=True)[1]] = True
    df = df.set_index(key[0], drop=True)
    mask = pa.array(first)
    return df[first], raw.lines[first], {c: a.filter(mask) for c, a in id_columns.items()}
