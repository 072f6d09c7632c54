"""Reading one CSV file of a package into raw string cells, each with its physical line.

Everything about a file short of the meaning of its cells lives here: the package path,
size cap, compression, encoding, CSV quoting, ragged rows and the header. A file is parsed
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
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from riskgraph.io.report import ValidationReport, show_value, suggest
from riskgraph.io.schema import Table

__all__ = ["DEFAULT_MAX_FILE_BYTES", "RawTable", "check_path", "read_table", "parse_csv"]

#: Files larger than this are refused before they are parsed (override per call).
DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024

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


def check_path(path, report: ValidationReport) -> Path | None:
    """The package folder, or None (and an error) when ``path`` is not one."""
    name = str(os.fspath(path))
    if _URL.match(name):
        report.add("error", "url", name,
                   "URLs are not read: download the package and pass a local folder")
        return None
    p = Path(name)
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


def read_table(folder: Path, table: Table, report: ValidationReport, max_file_bytes: int,
               *, fast: bool = True) -> RawTable | None:
    """Read one file of the package; None (with the reasons in ``report``) if unreadable.

    ``fast=False`` parses with the careful parser only (to check the fast one against).
    """
    path = folder / table.filename
    if not path.is_file():
        _missing_file(folder, table, report)
        return None
    size = path.stat().st_size
    if size > max_file_bytes:
        report.add("error", "file-too-large", table.filename,
                   f"file is {size:,} bytes, over the cap of {max_file_bytes:,} bytes; "
                   "raise the cap (--max-file-mb) if this is intended")
        return None
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    data = _decoded_bytes(data, table, report)
    if data is None:
        return None
    return parse_csv(data, table, report, sha, fast=fast)


def _missing_file(folder: Path, table: Table, report: ValidationReport) -> None:
    fname = table.filename
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
        report.add("error", "missing-file", fname, f"required file {fname} is missing{hint}")
    elif hint:
        report.add("warning", "missing-file", fname, f"optional file {fname} not found{hint}")


def _decoded_bytes(data: bytes, table: Table, report: ValidationReport) -> bytes | None:
    """The file as UTF-8 bytes without a byte-order mark, or None if it is not text."""
    fname = table.filename
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
        else:
            seen[h] = i
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
