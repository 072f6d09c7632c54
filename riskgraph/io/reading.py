"""Reading one CSV file of a package into raw string cells, each with its physical line.

Everything about a file short of the meaning of its cells lives here, after
:mod:`~riskgraph.io.files` has found and read its bytes: compression, encoding, CSV
quoting, field length, ragged rows and the header (width, names). A file is parsed
by one of two parsers that give identical results:

* the fast one (pyarrow, column-wise) for a well-formed file whose every record is one
  physical line, so that row ``i`` sits on line ``i + 2``;
* the careful one (Python's :mod:`csv`, row by row) for any other file: quoted newlines,
  blank or ragged lines, bad quoting, mixed line endings. It knows each record's line and
  reports what is wrong with it.

The fast parser refuses (and hands the file to the careful one) whenever it cannot vouch
for exact line numbers; ``tests/test_validation.py`` checks both give the same report and
tables.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from riskgraph.io.files import COMPRESSED_MAGIC, check_path, file_bytes, wide_encoding
from riskgraph.io.report import ValidationReport, show_value, suggest
from riskgraph.io.schema import LIMITS, Table

__all__ = ["DEFAULT_MAX_FILE_BYTES", "RawTable", "check_path", "read_table", "parse_csv",
           "wide_encoding"]

#: Files larger than this are refused before they are parsed (override per call).
DEFAULT_MAX_FILE_BYTES = LIMITS.max_file_bytes


# A whole file in which every quote is well placed and no quoted field spans lines: each
# field is empty, "quoted" (with "" inside) or unquoted (not starting with a quote).
# Possessive repeats keep the match linear.
_FIELD = rb'(?:"(?:[^"\r\n]|"")*+"|[^",\r\n][^,\r\n]*+)?+'
_LINE = _FIELD + rb"(?:," + _FIELD + rb")*+"
_ONE_LINE_RECORDS = re.compile(rb"(?:" + _LINE + rb"\r?\n)*+" + _LINE)


@dataclass
class RawTable:
    """A parsed table: string cells by column (header order), each row's physical line."""

    table: Table
    columns: dict[str, pa.ChunkedArray]
    lines: np.ndarray
    sha256: str

    @property
    def n_rows(self) -> int:
        return len(self.lines)


def read_table(folder: Path, table: Table, report: ValidationReport, max_file_bytes: int,
               *, fast: bool = True) -> RawTable | None:
    """Read one file of the package; None (with the reasons in ``report``) if unreadable.

    ``fast=False`` parses with the careful parser only (to check the fast one against).
    """
    data = file_bytes(folder, table, report, max_file_bytes)
    if data is None:
        return None
    sha = hashlib.sha256(data).hexdigest()
    data = _decoded_bytes(data, table, report)
    if data is None:
        return None
    return parse_csv(data, table, report, sha, fast=fast)


def _decoded_bytes(data: bytes, table: Table, report: ValidationReport) -> bytes | None:
    """The file as UTF-8 bytes without a byte-order mark, or None if it is not text."""
    fname = table.filename
    for magic, kind in COMPRESSED_MAGIC.items():
        if data.startswith(magic):
            report.add("error", "compressed", fname,
                       f"file is {kind}-compressed: compressed files are not read; "
                       "save it as plain UTF-8 CSV")
            return None
    wide = wide_encoding(data)
    if wide:
        report.add("error", "bad-encoding", fname,
                   f"file is {wide}: save it as UTF-8 (a UTF-8 byte-order mark is fine)")
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
    blank = not text or text.isspace()
    del text
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        report.add("error", "bad-encoding", fname,
                   "file contains NUL bytes: it is binary or not UTF-8",
                   line=data.count(b"\n", 0, nul) + 1)
        return None
    if blank:
        report.add("error", "empty-file", fname,
                   f"file is empty{_omit(table)}: it needs a header row "
                   f"({', '.join(table.names)}) and data rows")
        return None
    return data


def _omit(table: Table) -> str:
    return "" if table.required else f" (delete {table.filename} if there are no such rows)"


def parse_csv(data: bytes, table: Table, report: ValidationReport, sha: str,
              *, fast: bool = True) -> RawTable | None:
    """Parse a file's UTF-8 bytes (no byte-order mark, no NUL) into string cells.

    The fast parser is tried first when ``fast``; the careful one takes any file it refuses.
    """
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    if first.count(b",") >= LIMITS.max_columns and _too_wide(
            next(csv.reader([first.decode("utf-8")]), []), 1, table, report):
        return None
    parsed = _parse_fast(data) if fast else None
    if parsed is None:
        return _parse_careful(data.decode("utf-8"), table, report, sha)
    header, columns = parsed
    n = len(columns[0]) if columns else 0
    lines = np.arange(2, n + 2, dtype=np.int64)
    return _checked_header(header, 1, columns, lines, False, table, report, sha)


def _parse_fast(data: bytes) -> tuple[list[str], list[pa.ChunkedArray]] | None:
    """Header and string columns when every record is one physical line, else None."""
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    n_lines = len(newlines) + (0 if data.endswith(b"\n") else 1)
    if data.count(b"\r") not in (0, n_lines):
        return None
    bounds = np.concatenate(([-1], newlines, [len(data)]))
    if int(np.diff(bounds).max()) > csv.field_size_limit():
        return None  # the careful parser refuses such a field: let it say so
    if b'"' in data and _ONE_LINE_RECORDS.fullmatch(data) is None:
        return None
    first = data[:newlines[0]] if len(newlines) else data
    header = next(csv.reader([first.rstrip(b"\r").decode("utf-8")]), [])
    if not header or header == [""]:
        return None  # a blank first line: the careful parser skips it
    if n_lines == 1:
        return header, [pa.chunked_array([], pa.string()) for _ in header]
    names = [f"c{i}" for i in range(len(header))]
    try:
        parsed = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names}, null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None  # ragged rows and the like: the careful parser reports them
    if parsed.num_rows != n_lines - 1:
        return None  # blank lines were skipped: line numbers would shift
    return header, [parsed.column(c) for c in names]


def _parse_careful(text: str, table: Table, report: ValidationReport,
                   sha: str) -> RawTable | None:
    """Row by row with Python's csv, knowing each record's first physical line."""
    fname = table.filename
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
                if _too_wide(row, start, table, report):
                    return None
                header, header_line = row, start
                continue
            if len(row) != len(header):
                ragged = True
                _ragged_row(row, header, start, fname, report)
                continue
            rows.append(row)
            lines.append(start)
    except csv.Error as exc:
        _bad_quoting(str(exc), text, prev + 1, fname, report)
        return None
    if header is None:
        report.add("error", "empty-file", fname, "file has no header row")
        return None
    columns = [pa.chunked_array([pa.array(list(c), pa.string())])
               for c in zip(*rows)] if rows else \
        [pa.chunked_array([], pa.string()) for _ in header]
    return _checked_header(header, header_line, columns, np.asarray(lines, dtype=np.int64),
                           ragged, table, report, sha)


def _too_wide(header: list[str], line: int, table: Table, report: ValidationReport) -> bool:
    """Refuse a header of more than ``LIMITS.max_columns`` columns (True when refused)."""
    if len(header) <= LIMITS.max_columns:
        return False
    report.add("error", "too-many-columns", table.filename,
               f"the header has {len(header):,} columns, over the limit of "
               f"{LIMITS.max_columns:,}; {table.filename} needs {', '.join(table.names)} "
               f"and a few extra columns at most", line=line)
    return True


def _ragged_row(row, header, line, fname, report) -> None:
    what = "few" if len(row) < len(header) else "many"
    shown = ",".join(row)
    report.add("error", "ragged-row", fname,
               f"row {show_value(shown)} has {len(row)} fields but the header has "
               f"{len(header)} (too {what}; check for a missing or extra comma, "
               f"or an unquoted comma inside a value)",
               line=line, value=shown[:200])


def _bad_quoting(msg: str, text: str, line: int, fname: str, report) -> None:
    if "unexpected end of data" in msg or "EOF" in msg:
        lines_ = text.splitlines()
        start_text = lines_[line - 1] if 0 < line <= len(lines_) else ""
        report.add("error", "unterminated-quote", fname,
                   f"a quoted field opened on this line ({show_value(start_text)}) is never "
                   "closed (unterminated \"); the rest of the file cannot be read",
                   line=line, value=start_text[:200])
    elif "field larger than field limit" in msg:
        report.add("error", "field-too-long", fname,
                   f"a field on this line is longer than {csv.field_size_limit():,} "
                   "characters, the limit of one cell; is a closing quote missing?",
                   line=line)
    else:
        report.add("error", "bad-quoting", fname,
                   f"malformed CSV quoting ({msg}); quote a field containing "
                   "commas or quotes as \"...\" and double inner quotes",
                   line=line)


def _checked_header(header, header_line, columns, lines, ragged, table, report, sha):
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
    if not _header_names_ok(header, header_line, table, report):
        return None
    if not len(lines) and not ragged:
        report.add("error", "no-rows", fname,
                   f"file has a header but no data rows{_omit(table)}", line=header_line)
        return None
    return RawTable(table, dict(zip(header, columns)), lines, sha)


def _header_names_ok(header, header_line, table, report) -> bool:
    fname = table.filename
    seen: dict[str, int] = {}
    folded: dict[str, tuple[str, int]] = {}
    ok = True
    for i, h in enumerate(header, start=1):
        if h == "":
            report.add("error", "empty-header", fname,
                       f"column {i} of the header has no name", line=header_line)
            ok = False
        elif h in seen:
            report.add("error", "duplicate-header", fname,
                       f"column {h!r} appears twice in the header (columns {seen[h]} and {i})",
                       line=header_line, column=h)
            ok = False
        elif h.casefold() in folded:
            other, j = folded[h.casefold()]
            report.add("error", "duplicate-header", fname,
                       f"columns {other!r} (column {j}) and {h!r} (column {i}) differ only "
                       "in case; rename or remove one", line=header_line, column=h)
            ok = False
        else:
            seen[h] = i
            folded[h.casefold()] = (h, i)
    for col in table.columns:
        if col.required and col.name not in seen:
            hint = suggest(col.name, [h for h in header if h not in table.names]) or ""
            if not hint:
                lower = {h.lower(): h for h in header}
                if col.name.lower() in lower:
                    hint = f" (found {lower[col.name.lower()]!r}: names are lower case)"
            report.add("error", "missing-column", fname,
                       f"required column {col.name!r} is missing{hint}; "
                       f"the header has: {', '.join(header)}",
                       line=header_line, column=col.name)
            ok = False
    return ok
