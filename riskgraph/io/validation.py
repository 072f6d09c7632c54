"""Reading and validating a data package: every problem, at once, with its place.

:func:`validate_package` never raises on bad data: it returns a :class:`ValidationReport`
listing each problem as ``file:line:column: message`` (line 1 is the header). The typed
tables it builds on the way are what :func:`riskgraph.read_package` returns when the report
holds no error.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from riskgraph.io.schema import TABLES, Column, Table

__all__ = ["Issue", "ValidationReport", "validate_package", "DEFAULT_MAX_FILE_BYTES"]

#: Files larger than this are refused before they are parsed (override per call).
DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024
#: Issues kept per (file, code); past it one summary issue says how many more there were.
MAX_ISSUES_PER_KIND = 1000

_COMPRESSED_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"7z\xbc\xaf\x27\x1c": "7z",
}
_COMPRESSED_SUFFIXES = (".gz", ".zip", ".bz2", ".xz", ".zst", ".7z", ".tgz", ".tar")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_DECIMAL_RE = re.compile(_DECIMAL)


@dataclass(frozen=True)
class Issue:
    """One problem found in a package.

    ``line`` counts physical lines from 1 (the header); ``None`` for a whole-file problem.
    ``column`` is the column's name where there is one. ``code`` is a short stable tag
    (e.g. ``dangling-reference``) for scripts and tests.
    """

    severity: str
    code: str
    file: str
    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{place}: {tag}{self.message}"


@dataclass
class ValidationReport:
    """All issues found in one package, errors and warnings."""

    source: str
    issues: list[Issue] = field(default_factory=list)
    _counts: dict = field(default_factory=lambda: defaultdict(int), repr=False)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def add(self, severity, code, file, message, line=None, column=None, value=None):
        key = (file, code, severity)
        self._counts[key] += 1
        n = self._counts[key]
        if n <= MAX_ISSUES_PER_KIND:
            self.issues.append(Issue(severity, code, file, message, line, column, value))

    def finish(self) -> None:
        """Add one summary line for each kind of issue that was capped."""
        for (file, code, severity), n in sorted(self._counts.items()):
            if n > MAX_ISSUES_PER_KIND:
                self.issues.append(
                    Issue(severity, code, file,
                          f"... and {n - MAX_ISSUES_PER_KIND} more '{code}' problems")
                )

    def frame(self) -> pd.DataFrame:
        """The issues as a table (for the dashboard and for scripts)."""
        cols = ["severity", "code", "file", "line", "column", "value", "message"]
        return pd.DataFrame([{c: getattr(i, c) for c in cols} for i in self.issues],
                            columns=cols)

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


@dataclass
class _Raw:
    """A parsed table: string cells, with the physical line of each row."""

    table: Table
    frame: pd.DataFrame
    lines: np.ndarray
    sha256: str


def _show(value: str, limit: int = 60) -> str:
    text = value if len(value) <= limit else value[:limit] + "..."
    return repr(text)


def _suggest(value: str, choices, limit: int = 20000) -> str:
    """' (did you mean 'X'?)' for a near miss, if the candidate set is small enough."""
    if len(choices) > limit:
        return ""
    stripped = value.strip()
    if stripped != value and stripped in choices:
        return f" (did you mean {stripped!r}? the value has surrounding whitespace)"
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------- files


def _check_path(path, report: ValidationReport) -> Path | None:
    text = os.fspath(path)
    name = str(text)
    if _URL.match(name):
        report.add("error", "url", name,
                   "URLs are not read: download the package and pass a local folder")
        return None
    p = Path(text)
    if not p.exists():
        report.add("error", "missing-package", name,
                   "no such folder: pass the folder that holds nations.csv, suppliers.csv, ...")
        return None
    if p.is_file():
        kind = _compressed_kind(p)
        if kind:
            report.add("error", "compressed", name,
                       f"this is a {kind} archive: compressed packages are not read; "
                       "extract it and pass the folder")
        else:
            report.add("error", "not-a-folder", name,
                       "a data package is a folder of CSV files, not a single file")
        return None
    return p


def _compressed_kind(p: Path) -> str | None:
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    for magic, kind in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            return kind
    if p.name.lower().endswith(_COMPRESSED_SUFFIXES):
        return p.suffix.lstrip(".")
    return None


def _read_file(folder: Path, table: Table, report: ValidationReport,
               max_file_bytes: int) -> _Raw | None:
    fname = table.filename
    path = folder / fname
    if not path.is_file():
        others = sorted(q.name for q in folder.glob(fname + ".*")) if folder.is_dir() else []
        others += sorted(q.name for q in folder.iterdir()
                         if q.is_file() and q.name.lower() == fname and q.name != fname)
        if others:
            hint = f"; found {', '.join(others)}"
            if any(o.lower().endswith(_COMPRESSED_SUFFIXES) for o in others):
                hint += " (compressed files are not read: decompress it)"
            elif any(o.lower() == fname for o in others):
                hint += " (file names are lower case)"
        else:
            hint = ""
        if table.required:
            report.add("error", "missing-file", fname,
                       f"required file {fname} is missing{hint}")
        elif hint:
            report.add("warning", "missing-file", fname, f"optional file {fname} not found{hint}")
        return None
    size = path.stat().st_size
    if size > max_file_bytes:
        report.add("error", "file-too-large", fname,
                   f"file is {size:,} bytes, over the cap of {max_file_bytes:,} bytes; "
                   "raise the cap (--max-file-mb) if this is intended")
        return None
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    for magic, kind in _COMPRESSED_MAGIC.items():
        if data.startswith(magic):
            report.add("error", "compressed", fname,
                       f"file is {kind}-compressed: compressed files are not read; "
                       "save it as plain UTF-8 CSV")
            return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.add("error", "bad-encoding", fname,
                   "file is UTF-16: save it as UTF-8 (a UTF-8 byte-order mark is fine)")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        bad = data[start:start + 1].hex()
        report.add("error", "bad-encoding", fname,
                   f"byte 0x{bad} at byte {col} of the line is not valid UTF-8: "
                   "save the file as UTF-8 (e.g. not Latin-1 or Windows-1252)",
                   line=line, column=None, value=f"0x{bad}")
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        report.add("error", "bad-encoding", fname,
                   "file contains NUL bytes: it is binary or not UTF-8", line=line)
        return None
    if not text.strip():
        report.add("error", "empty-file", fname,
                   f"file is empty{_omit(table)}: it needs a header row ({', '.join(table.names)}) "
                   "and data rows")
        return None
    return _parse_csv(text, table, report, sha)


def _omit(table: Table) -> str:
    return "" if table.required else f" (delete {table.filename} if there are no such rows)"


def _parse_fast(text: str):
    """rows and their line numbers when every record is one physical line, else None."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if len(rows) != n_lines or text.count("\r") not in (0, n_lines) or not rows:
        return None
    if any(not r or (len(r) == 1 and r[0] == "") for r in rows):
        return None
    return rows


def _parse_csv(text: str, table: Table, report: ValidationReport, sha: str) -> _Raw | None:
    fname = table.filename
    fast = _parse_fast(text)
    if fast is not None and all(len(r) == len(fast[0]) for r in fast):
        header, header_line = fast[0], 1
        rows = fast[1:]
        lines = np.arange(2, len(fast) + 1, dtype=np.int64)
        ragged = False
        return _checked_header(header, header_line, rows, lines, ragged, table, report, sha)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    header_line = 1
    prev = 0
    ragged = False
    try:
        for row in reader:
            start = prev + 1
            prev = reader.line_num
            if not row or (len(row) == 1 and row[0] == ""):
                continue  # blank line
            if header is None:
                header, header_line = row, start
                continue
            if len(row) != len(header):
                ragged = True
                what = "few" if len(row) < len(header) else "many"
                shown = ",".join(row)
                report.add("error", "ragged-row", fname,
                           f"row {_show(shown)} has {len(row)} fields but the header has "
                           f"{len(header)} (too {what}; check for a missing or extra comma, "
                           f"or an unquoted comma inside a value)",
                           line=start, value=shown[:200])
                continue
            rows.append(row)
            lines.append(start)
    except csv.Error as exc:
        line = prev + 1
        msg = str(exc)
        if "unexpected end of data" in msg or "EOF" in msg:
            lines_ = text.splitlines()
            start_text = lines_[line - 1] if 0 < line <= len(lines_) else ""
            report.add("error", "unterminated-quote", fname,
                       f"a quoted field opened on this line ({_show(start_text)}) is never "
                       "closed (unterminated \"); the rest of the file cannot be read",
                       line=line, value=start_text[:200])
        else:
            report.add("error", "bad-quoting", fname,
                       f"malformed CSV quoting ({msg}); quote a field containing "
                       "commas or quotes as \"...\" and double inner quotes",
                       line=line)
        return None
    if header is None:
        report.add("error", "empty-file", fname, "file has no header row")
        return None
    return _checked_header(header, header_line, rows, np.asarray(lines, dtype=np.int64),
                           ragged, table, report, sha)


def _checked_header(header, header_line, rows, lines, ragged, table, report, sha):
    fname = table.filename
    cleaned = [h.strip() for h in header]
    for h, c in zip(header, cleaned):
        if h != c:
            report.add("warning", "header-whitespace", fname,
                       f"column name {h!r} has surrounding whitespace; read as {c!r}",
                       line=header_line, column=c)
    header = cleaned
    if len(header) == 1 and any(d in header[0] for d in (";", "\t", "|")):
        delim = next(d for d in (";", "\t", "|") if d in header[0])
        shown = {"\t": "tab"}.get(delim, repr(delim))
        report.add("error", "wrong-delimiter", fname,
                   f"the header looks {shown}-separated; riskgraph reads comma-separated "
                   "CSV (save as 'CSV UTF-8 (comma delimited)')",
                   line=header_line, value=header[0][:80])
        return None
    seen: dict[str, int] = {}
    bad_header = False
    for i, h in enumerate(header, start=1):
        if h == "":
            report.add("error", "empty-header", fname,
                       f"column {i} of the header has no name", line=header_line)
            bad_header = True
        elif h in seen:
            report.add("error", "duplicate-header", fname,
                       f"column {h!r} appears twice in the header (columns {seen[h]} and {i})",
                       line=header_line, column=h)
            bad_header = True
        else:
            seen[h] = i
    for col in table.columns:
        if col.required and col.name not in seen:
            hint = _suggest(col.name, [h for h in header if h not in table.names]) or ""
            if not hint:
                lower = {h.lower(): h for h in header}
                if col.name.lower() in lower:
                    hint = f" (found {lower[col.name.lower()]!r}: names are lower case)"
            report.add("error", "missing-column", fname,
                       f"required column {col.name!r} is missing{hint}; "
                       f"the header has: {', '.join(header)}",
                       line=header_line, column=col.name)
            bad_header = True
    if bad_header:
        return None
    if not rows and not ragged:
        report.add("error", "no-rows", fname,
                   f"file has a header but no data rows{_omit(table)}", line=header_line)
        return None
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else \
        pd.DataFrame({h: pd.Series([], dtype=object) for h in header})
    return _Raw(table, frame, lines, sha)


# --------------------------------------------------------------------------- cells


def _cells(raw: _Raw, report: ValidationReport) -> pd.DataFrame:
    """Type every schema column; report empty required cells and bad values."""
    table, frame, lines = raw.table, raw.frame, raw.lines
    out = frame.copy()
    fname = table.filename
    for col in table.columns:
        if col.name not in frame.columns:
            out[col.name] = _missing_column(col, len(frame))
            continue
        s = frame[col.name]
        empty = (s == "").to_numpy()
        if col.type in ("id", "ref"):
            empty = np.fromiter((not v.strip() for v in s.to_numpy()), bool, len(s))
        if col.required and empty.any():
            for i in np.flatnonzero(empty)[:MAX_ISSUES_PER_KIND + 1]:
                report.add("error", "empty-cell", fname,
                           f"required value {col.name!r} is empty", line=int(lines[i]),
                           column=col.name, value=s.iat[i])
        if col.numeric:
            out[col.name] = _numbers(col, s, empty, lines, fname, report)
        elif col.type == "enum":
            bad = ~empty & ~s.isin(col.values).to_numpy()
            for i in np.flatnonzero(bad):
                v = s.iat[i]
                hint = ""
                if v.strip().lower() in col.values:
                    hint = f" (write it as {v.strip().lower()!r})"
                report.add("error", "unknown-value", fname,
                           f"unknown {col.name} {_show(v)}{hint}; valid: "
                           f"{', '.join(col.values)}",
                           line=int(lines[i]), column=col.name, value=v)
            out[col.name] = s.where(~empty, None) if not col.required else s
        elif col.type in ("id", "ref"):
            values = s.to_numpy()
            ws = ~empty & np.fromiter((v != v.strip() for v in values), bool, len(values))
            for i in np.flatnonzero(ws):
                v = s.iat[i]
                report.add("error", "whitespace-id", fname,
                           f"{col.name} {v!r} has leading or trailing whitespace; "
                           f"ids are compared exactly as written",
                           line=int(lines[i]), column=col.name, value=v)
            ctrl = ~empty & ~np.fromiter((v.isprintable() for v in values), bool, len(values))
            for i in np.flatnonzero(ctrl):
                v = s.iat[i]
                report.add("error", "control-character", fname,
                           f"{col.name} {v!r} contains a control or invisible character "
                           f"(e.g. newline, tab, no-break space)",
                           line=int(lines[i]), column=col.name, value=v)
            out[col.name] = s.where(~empty, None)
        else:
            out[col.name] = s.where(~empty, col.default) if col.default is not None else \
                s.where(~empty, None)
    for name in frame.columns:  # unknown extra columns pass through; empty = missing
        if name not in table.names:
            out[name] = frame[name].where(frame[name] != "", None)
    return out


def _missing_column(col: Column, n: int) -> pd.Series:
    if col.type == "int" and col.default is not None:
        return pd.Series(np.full(n, col.default, dtype=np.int64))
    if col.numeric:
        value = np.nan if col.default is None else float(col.default)
        return pd.Series(np.full(n, value, dtype=float))
    return pd.Series([col.default] * n, dtype=object)


def _numbers(col: Column, s: pd.Series, empty: np.ndarray, lines: np.ndarray, fname: str,
             report: ValidationReport) -> pd.Series:
    text = pd.Series([v.strip() for v in s.to_numpy()], index=s.index, dtype=object)
    match = _DECIMAL_RE.fullmatch
    ok = np.fromiter((match(v) is not None for v in text.to_numpy()), bool, len(text))
    values = np.full(len(s), np.nan)
    values[ok] = text[ok].astype(float).to_numpy()
    ok = ok & np.isfinite(values)  # a decimal too long for a float overflows to inf
    values[~ok] = np.nan
    for i in np.flatnonzero(~ok & ~empty):
        v = s.iat[i]
        code, message = _why_not_number(col, v)
        report.add("error", code, fname, message,
                   line=int(lines[i]), column=col.name, value=v)
    checked = ok & ~empty
    bad = np.zeros(len(s), dtype=bool)
    if col.low is not None:
        bad |= checked & ((values <= col.low) if col.low_open else (values < col.low))
    if col.high is not None:
        bad |= checked & ((values >= col.high) if col.high_open else (values > col.high))
    frac = np.zeros(len(s), dtype=bool)
    if col.type == "int":
        # past 2**53 a float no longer holds every whole number (and int64 overflows)
        bad |= checked & (np.abs(values) >= 2.0 ** 53)
        frac = checked & ~bad & (values != np.floor(values))
        for i in np.flatnonzero(frac):
            report.add("error", "not-an-integer", fname,
                       f"{col.name} {s.iat[i]!r} must be a whole number",
                       line=int(lines[i]), column=col.name, value=s.iat[i])
        bad |= frac
    for i in np.flatnonzero(checked & bad & ~frac):
        report.add("error", "out-of-range", fname,
                   f"{col.name} {s.iat[i]!r} is out of range; valid: {col.range_text()}",
                   line=int(lines[i]), column=col.name, value=s.iat[i])
    if col.default is not None:
        values[empty] = float(col.default)
    result = pd.Series(values, index=s.index)
    if col.type == "int" and col.default is not None:
        filled = np.where(np.isfinite(values) & ~bad, values, col.default)
        result = pd.Series(filled.astype(np.int64), index=s.index)
    return result


def _why_not_number(col: Column, v: str) -> tuple[str, str]:
    t = v.strip()
    low = t.lower()
    if low.lstrip("+-") in ("nan", "inf", "infinity", "na", "n/a", "null", "none", "-"):
        return "not-a-number", (f"{col.name} {v!r} is not a finite number; leave the cell "
                                f"empty if unknown; valid: {col.range_text()}")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", t):
        return "spreadsheet-artefact", (f"{col.name} {v!r} has a thousands separator "
                                        f"(spreadsheet formatting); write {t.replace(',', '')}")
    if re.fullmatch(_DECIMAL + r"\s*%", t):
        pct = float(t.rstrip("% "))
        return "spreadsheet-artefact", (f"{col.name} {v!r} is a percentage (spreadsheet "
                                        f"formatting); write it as a fraction: {pct / 100:g}")
    if re.fullmatch(_DECIMAL + r"[eE][+-]?\d+", t):
        plain = np.format_float_positional(float(t), trim="-")
        return "spreadsheet-artefact", (f"{col.name} {v!r} is in scientific notation "
                                        f"(spreadsheet formatting); write it as a plain "
                                        f"decimal: {plain}")
    if re.fullmatch(r"[+-]?\d+,\d+", t):
        return "spreadsheet-artefact", (f"{col.name} {v!r} uses a decimal comma; "
                                        f"write {t.replace(',', '.')}")
    return "not-a-number", f"{col.name} {_show(v)} is not a number; valid: {col.range_text()}"


# --------------------------------------------------------------------------- tables


def _unique_keys(table: Table, df: pd.DataFrame, lines: np.ndarray,
                 report: ValidationReport) -> None:
    key = list(table.key)
    usable = df[key].notna().all(axis=1).to_numpy()
    sub = df.loc[usable, key]
    sub_lines = lines[usable]
    dup = sub.duplicated(keep=False).to_numpy()
    if dup.any():
        first: dict[tuple, int] = {}
        for row, line in zip(sub[dup].itertuples(index=False), sub_lines[dup]):
            row = tuple(row)
            if row not in first:
                first[row] = int(line)
                continue
            what = " and ".join(f"{k} {v!r}" for k, v in zip(key, row))
            label = "id" if len(key) == 1 else "row"
            report.add("error", "duplicate-id", table.filename,
                       f"duplicate {label}: {what} already on line {first[row]}",
                       line=int(line), column=key[-1], value=str(row[-1]))
    if len(key) == 1:
        col = key[0]
        ids = sub[col]
        stripped = ids.str.strip()
        clash = stripped.duplicated(keep=False).to_numpy() & ~ids.duplicated(keep=False).to_numpy()
        if clash.any():
            by: dict[str, list[tuple[str, int]]] = defaultdict(list)
            for v, s, line in zip(ids[clash], stripped[clash], sub_lines[clash]):
                by[s].append((v, int(line)))
            for s, items in by.items():
                for v, line in items[1:]:
                    report.add("error", "whitespace-id", table.filename,
                               f"{col} {v!r} differs from {items[0][0]!r} (line {items[0][1]}) "
                               f"only by surrounding whitespace",
                               line=line, column=col, value=v)


def _references(tables: dict, raws: dict, report: ValidationReport) -> None:
    keys = {name: pd.Index(df.index.dropna().unique()) for name, df in tables.items()
            if name in ("nations", "suppliers", "components")}
    for name, df in tables.items():
        table = TABLES[name]
        lines = raws[name].lines
        for col in table.columns:
            if col.type != "ref" or col.ref not in keys:
                continue
            values = df[col.name] if col.name in df.columns else df.index.to_series()
            values = values.reset_index(drop=True)
            present = values.notna().to_numpy()
            known = keys[col.ref].get_indexer(values) >= 0
            choices = None
            for i in np.flatnonzero(present & ~known):
                v = values.iat[i]
                if choices is None:
                    choices = set(keys[col.ref]) if len(keys[col.ref]) <= 20000 else ()
                hint = _suggest(v, choices) if choices else ""
                report.add("error", "dangling-reference", table.filename,
                           f"{col.name} {_show(v)} is not in {col.ref}.csv{hint}",
                           line=int(lines[i]), column=col.name, value=v)


def _cross_checks(tables: dict, raws: dict, unreadable: set, report: ValidationReport) -> None:
    """Checks across tables; each runs when the tables it needs were read."""
    comps = tables.get("components")
    bom = tables.get("bom")
    sourcing = tables.get("sourcing")
    fielding = tables.get("fielding")
    nations = tables.get("nations")

    if nations is not None:
        for i, nid in enumerate(nations.index):
            line = int(raws["nations"].lines[i])
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

    if comps is None:
        return
    kind = comps["kind"]
    if fielding is not None:
        plat_kind = fielding["platform_id"].map(kind)
        for i in np.flatnonzero((plat_kind.notna() & (plat_kind != "platform")).to_numpy()):
            pid = fielding["platform_id"].iat[i]
            report.add("error", "not-a-platform", "fielding.csv",
                       f"platform_id {pid!r} is a {plat_kind.iat[i]}, not a platform; only "
                       f"components of kind 'platform' can be fielded",
                       line=int(raws["fielding"].lines[i]), column="platform_id", value=pid)

    if sourcing is not None:
        n_src = sourcing.groupby("component_id").size()
        need = comps["min_sources"]
        have = n_src.reindex(comps.index).fillna(0).astype(int)
        for i in np.flatnonzero(((have > 0) & (need > have)).to_numpy()):
            cid = comps.index[i]
            report.add("error", "min-sources", "components.csv",
                       f"min_sources {int(need.iat[i])} for {cid!r} but sourcing.csv lists "
                       f"only {int(have.iat[i])} supplier(s): it could never be produced",
                       line=int(raws["components"].lines[i]), column="min_sources",
                       value=str(int(need.iat[i])))
        shares = sourcing.groupby("component_id")["share"].sum()
        for cid, total in shares[shares < 1 - 1e-9].items():
            if cid in comps.index:
                i = comps.index.get_loc(cid)
                report.add("warning", "shortfall", "components.csv",
                           f"shares of {cid!r} sum to {total:g} < 1: a baseline shortfall",
                           line=int(raws["components"].lines[i]), column="component_id",
                           value=cid)

    # unmapped items (warning): only meaningful when sourcing and bom were both read
    if sourcing is not None and "bom" not in unreadable:
        has_bom = set(bom["parent_id"].dropna()) if bom is not None else set()
        has_src = set(sourcing["component_id"])
        for i, cid in enumerate(comps.index):
            if cid in has_bom or cid in has_src or kind.iat[i] == "material":
                continue
            report.add("warning", "unmapped", "components.csv",
                       f"{kind.iat[i]} {cid!r} has neither sourcing nor BOM rows: treated as "
                       f"available (unmapped)", line=int(raws["components"].lines[i]),
                       column="component_id", value=cid)

    if bom is not None and len(bom):
        _bom_cycles(bom, raws["bom"].lines, report)


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
        np.subtract.at(indeg, dst[hit], 1)


def _bom_cycles(bom: pd.DataFrame, lines: np.ndarray, report: ValidationReport) -> None:
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
        if parent is None or child is None:
            continue
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


# --------------------------------------------------------------------------- entry


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
    """
    report, _ = _validate(path, max_file_bytes=max_file_bytes)
    return report


def _validate(path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES):
    """The report and, when there is no error, the typed tables and file hashes."""
    report = ValidationReport(source=str(os.fspath(path)))
    folder = _check_path(path, report)
    if folder is None:
        report.finish()
        return report, None
    raws: dict[str, _Raw] = {}
    for name, table in TABLES.items():
        raw = _read_file(folder, table, report, max_file_bytes)
        if raw is not None:
            raws[name] = raw
    tables: dict[str, pd.DataFrame] = {}
    for name, raw in raws.items():
        df = _cells(raw, report)
        _unique_keys(raw.table, df, raw.lines, report)
        tables[name] = df
    keyed = {}
    for name, df in tables.items():
        table = TABLES[name]
        if len(table.key) == 1:
            df = df.set_index(table.key[0], drop=True)
            df = df[~df.index.duplicated(keep="first")]
            raws[name].lines = raws[name].lines[~tables[name][table.key[0]]
                                                .duplicated(keep="first").to_numpy()]
        keyed[name] = df
    _references(keyed, raws, report)
    unreadable = {name for name, t in TABLES.items() if name not in raws and
                  any(i.file == t.filename for i in report.errors)}
    _cross_checks(keyed, raws, unreadable, report)
    report.finish()
    if report.errors:
        return report, None
    if "bom" not in keyed:
        keyed["bom"] = pd.DataFrame({c.name: pd.Series([], dtype=float if c.numeric else object)
                                     for c in TABLES["bom"].columns})
    hashes = {raw.table.filename: raw.sha256 for raw in raws.values()}
    return report, (keyed, hashes)
