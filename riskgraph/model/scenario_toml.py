"""Reading a scenario file: bytes, encoding, TOML, nesting, the ``[[scenario]]`` tables.

The text-level half of :func:`riskgraph.model.scenario.read_scenarios`: everything that can
be wrong with a file before its scenarios are checked one by one. A UTF-8 byte-order mark
is accepted (as in CSVs); UTF-16/32, invalid UTF-8, TOML syntax, nesting deeper than
``LIMITS.max_toml_depth`` and more scenarios than allowed are each one
:class:`ScenarioError` with the line (exit 3); a file that cannot be opened at all is a
``UsageError`` (exit 2).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

from riskgraph.errors import UsageError, ValidationError
from riskgraph.io.files import wide_encoding
from riskgraph.io.report import ValidationReport
from riskgraph.io.schema import LIMITS

__all__ = ["ScenarioError", "block_lines", "key_line", "raise_if_errors", "scenario_tables",
           "scenario_text", "too_many"]


class ScenarioError(ValidationError):
    """A scenario (or a scenario file) is invalid; ``report`` lists every problem.

    Each issue names the file (``<code>`` for scenarios built in code), the scenario (its
    name, or ``#i`` counting from 1 when it has none) and the key (in ``column``).
    """



def raise_if_errors(report: ValidationReport) -> None:
    """Raise :class:`ScenarioError` when ``report`` holds an error."""
    report.finish()
    if not report.ok:
        raise ScenarioError(report)


def block_lines(text: str) -> list[tuple[int, list[str]]]:
    """Start line (from 1) and lines of each ``[[scenario]]`` block, for error positions."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines)
              if re.match(r"\s*\[\[\s*scenario\s*\]\]", line)]
    return [(s + 1, lines[s:e]) for s, e in zip(starts, starts[1:] + [len(lines)])]


def key_line(block: tuple[int, list[str]] | None, key: str) -> int | None:
    if block is None:
        return None
    start, lines = block
    pattern = re.compile(rf"\s*\[?\s*[\"']?{re.escape(key)}[\"']?\s*[=.\]]")
    for j, line in enumerate(lines):
        if pattern.match(line):
            return start + j
    return start


_TOML_TOKEN = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'
                         r"'[^'\n]*'|#[^\n]*|[\[\]{}]|\n")


def _too_deep(text: str) -> int | None:
    """The line where arrays and inline tables nest deeper than ``LIMITS.max_toml_depth``
    (strings and comments skipped), or None. tomllib parses nesting by recursion, so a
    file of ``[[[[...`` would end in a RecursionError."""
    depth, line = 0, 1
    for m in _TOML_TOKEN.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > LIMITS.max_toml_depth:
                return line
        elif tok in "]}":
            depth = max(0, depth - 1)
        else:
            line += tok.count("\n")
    return None


def scenario_tables(text: str, source: str, report: ValidationReport) -> list:
    """The ``[[scenario]]`` tables of a TOML text; syntax and shape problems go to
    ``report`` (a syntax error raises at once: nothing else can be read)."""
    deep = _too_deep(text)
    if deep is not None:
        report.add("error", "toml-nesting", source,
                   f"arrays or inline tables nest more than {LIMITS.max_toml_depth} levels "
                   "deep; a scenario needs two at most (fail = [...], days = { ... })",
                   line=deep)
        raise_if_errors(report)
    try:
        data = tomllib.loads(text)
    except RecursionError:  # pragma: no cover - _too_deep stops such files first
        report.add("error", "toml-nesting", source, "arrays or inline tables nest too deeply")
        raise_if_errors(report)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        where = re.search(r"at line (\d+), column (\d+)", msg)
        line = int(where.group(1)) if where else None
        if where is None and "end of document" in msg:
            line = max(1, len(text.splitlines()))
        report.add("error", "toml-syntax", source,
                   f"TOML syntax error: {msg}; scenarios are [[scenario]] tables of "
                   f"key = value lines", line=line)
        raise_if_errors(report)

    for key in data:
        if key != "scenario":
            report.add("error", "scenario-key", source,
                       f"unknown top-level key {key!r}; a scenario file holds only "
                       f"[[scenario]] tables", line=key_line((1, text.splitlines()), key),
                       column=key)
    tables = data.get("scenario")
    if tables is None:
        report.add("error", "scenario-missing", source,
                   "no [[scenario]] tables found; start each scenario with [[scenario]]",
                   column="scenario")
        tables = []
    elif not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        report.add("error", "scenario-key", source,
                   "'scenario' must be an array of tables: write [[scenario]] (double "
                   "brackets) before each scenario", column="scenario")
        tables = []
    _deep_values(tables, text, source, report)
    return tables


def _depth(value) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a plain value); iterative, so
    that a 5,000-deep dotted key (``a.b.c...``), which tomllib builds without recursion,
    is measured without recursion too."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
        else:
            deepest = max(deepest, d)
            continue
        deepest = max(deepest, d + 1)
    return deepest


def _deep_values(tables: list, text: str, source: str, report: ValidationReport) -> None:
    """Refuse a scenario key whose value nests deeper than ``LIMITS.max_toml_depth`` (e.g.
    through dotted keys): printing or checking it would recurse without bound."""
    blocks = block_lines(text)
    deep = False
    for i, table in enumerate(tables):
        for key, value in table.items():
            if _depth(value) > LIMITS.max_toml_depth:
                block = blocks[i] if len(blocks) == len(tables) else None
                report.add("error", "toml-nesting", source,
                           f"scenario #{i + 1}, key {key!r}: its value nests more than "
                           f"{LIMITS.max_toml_depth} levels deep (dotted keys count too); "
                           "a scenario needs two at most", line=key_line(block, key),
                           column=str(key)[:60])
                deep = True
    if deep:  # the other problems are gathered later, with the scenarios' own
        raise_if_errors(report)


def scenario_text(path: Path, report: ValidationReport) -> str:
    """The file's text: UTF-8, a byte-order mark dropped. An unreadable file raises
    UsageError; UTF-16/32 or invalid UTF-8 raises ScenarioError naming the place."""
    source = str(path)
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise UsageError(f"cannot read scenario file {source}: it is {what}")
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size > LIMITS.max_file_bytes:
                raise UsageError(f"cannot read scenario file {source}: over "
                                 f"{LIMITS.max_file_bytes:,} bytes")
            data = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read scenario file {source}: "
                         f"{exc.strerror or exc}") from None
    wide = wide_encoding(data)
    if wide:
        report.add("error", "bad-encoding", source,
                   f"file is {wide}: save it as UTF-8 (a UTF-8 byte-order mark is fine)")
        raise_if_errors(report)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.start + 1].hex()
        report.add("error", "bad-encoding", source,
                   f"byte 0x{bad} is not valid UTF-8: save the file as UTF-8 (e.g. not "
                   "Latin-1 or Windows-1252)", line=line, value=f"0x{bad}")
        raise_if_errors(report)
        raise  # pragma: no cover - raise_if_errors raised


def too_many(tables: list, blocks, source: str, limit: int, report) -> None:
    if len(tables) <= limit:
        return
    line = blocks[limit][0] if len(blocks) == len(tables) else None
    report.add("error", "too-many-scenarios", source,
               f"the file holds {len(tables):,} scenarios, over the limit of {limit:,} per "
               f"file (scenario #{limit + 1} starts here); split the file or raise the "
               "limit (--max-scenarios)", line=line, column="scenario")
    raise_if_errors(report)
