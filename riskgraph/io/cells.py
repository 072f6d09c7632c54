"""Typing the cells of one table: empty required cells, ids, enums, numbers, unique keys.

Every check runs column-wise on pyarrow string arrays. Where Python's own rules decide
(``str.strip`` and ``str.isprintable`` know all of Unicode; ``float`` reads any decimal
digits), a vectorised test first clears the plain-ASCII cells that surely pass, and only
the rest are looked at one by one in Python: the verdicts are Python's, the cost is that
of the odd cells.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgraph.io.characters import HIDDEN_TEXT_PATTERN, first_hidden, skeleton, visible
from riskgraph.io.reading import RawTable
from riskgraph.io.report import MAX_ISSUES_PER_KIND, ValidationReport, show_value
from riskgraph.io.schema import Column, Table

__all__ = ["look_alikes", "type_cells", "unique_keys"]

_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_DECIMAL_RE = re.compile(_DECIMAL)
# RE2 patterns (pyarrow) that only ever accept cells Python would accept too.
_SURELY_TRIMMED = r"(?s)^[!-~](?:.*[!-~])?$"  # non-empty, no surrounding whitespace
_SURELY_PRINTABLE = r"^[ -~]*$"
_SURELY_DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_LONGEST_FAST_NUMBER = 50  # longer decimals go through Python's float (overflow to inf)


def _mask(result) -> np.ndarray:
    return np.asarray(result.to_numpy(zero_copy_only=False), dtype=bool)


def _pick(arr: pa.ChunkedArray, idx: np.ndarray) -> list[str]:
    return arr.take(pa.array(idx, pa.int64())).to_pylist() if len(idx) else []


def _strings(arr: pa.ChunkedArray) -> np.ndarray:
    """The cells as a numpy object array; equal strings share one Python object."""
    enc = arr.combine_chunks().dictionary_encode()
    uniques = enc.dictionary.to_numpy(zero_copy_only=False)
    return uniques[enc.indices.to_numpy(zero_copy_only=False)]


def _series(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=values.dtype if values.dtype != object else object,
                     copy=False)


def type_cells(raw: RawTable, report: ValidationReport
               ) -> tuple[pd.DataFrame, dict[str, pa.Array]]:
    """Type every schema column; report empty required cells and bad values.

    Columns keep the file's order, then absent schema columns follow (filled with their
    default); unknown extra columns pass through as strings, an empty cell as None. The
    id and ref columns come back a second time as pyarrow arrays (null for empty), for
    checks that hash ids.
    """
    table = raw.table
    out: dict[str, pd.Series] = {}
    ids: dict[str, pa.Array] = {}
    for name, arr in raw.columns.items():
        if name in table.names:
            col = table.column(name)
            values = _typed(col, arr, raw, report)
            out[name] = _series(values)
            if col.type in ("id", "ref"):
                ids[name] = pa.array(values, pa.string(), from_pandas=True) \
                    if raw.n_rows == 0 else _nulled(arr, values)
        else:
            values = _strings(arr)
            _hidden_text(name, arr, values, raw.lines, table.filename, report)
            values[_mask(pc.equal(arr, ""))] = None
            out[name] = _series(values)
    for col in table.columns:
        if col.name not in raw.columns:
            out[col.name] = _missing_column(col, raw.n_rows)
            if col.type in ("id", "ref"):
                ids[col.name] = pa.nulls(raw.n_rows, pa.string())
    return pd.DataFrame(out, index=pd.RangeIndex(raw.n_rows)), ids


def _nulled(arr: pa.ChunkedArray, values: np.ndarray) -> pa.Array:
    """The raw cells with null where the typed value is None."""
    missing = pa.array(np.equal(values, None))
    return pc.if_else(missing, pa.scalar(None, pa.string()), arr.combine_chunks())


def _typed(col: Column, arr: pa.ChunkedArray, raw: RawTable,
           report: ValidationReport) -> np.ndarray:
    fname, lines = raw.table.filename, raw.lines
    values = None if col.numeric else _strings(arr)
    if col.type in ("id", "ref"):
        empty, spaced = _blank_or_spaced(arr, values)
    else:
        empty = _mask(pc.equal(arr, ""))
    if col.required and empty.any():
        for i in np.flatnonzero(empty)[:MAX_ISSUES_PER_KIND + 1]:
            report.add("error", "empty-cell", fname,
                       f"required value {col.name!r} is empty", line=int(lines[i]),
                       column=col.name, value=arr[int(i)].as_py())
    if col.numeric:
        return _numbers(col, arr, empty, lines, fname, report)
    if col.type == "enum":
        _enum_values(col, arr, values, empty, lines, fname, report)
        if not col.required:
            values[empty] = None
        return values
    if col.type in ("id", "ref"):
        _id_characters(col, arr, values, empty, spaced, lines, fname, report)
        values[empty] = None
        return values
    _hidden_text(col.name, arr, values, lines, fname, report)
    values[empty] = col.default if col.default is not None else None
    return values


def _hidden_text(name, arr, values, lines, fname, report) -> None:
    """An error for each free-text cell holding a control or bidi control character
    (docs/design.md §2): it can hide or reorder what a planner reads."""
    for i in np.flatnonzero(_mask(pc.match_substring_regex(arr, HIDDEN_TEXT_PATTERN))):
        v = values[i]
        report.add("error", "hidden-character", fname,
                   f"{name} {show_value(visible(v))} "
                   f"contains {first_hidden(v, free_text=True)}: control and bidi "
                   "characters can hide or reorder text on screen; remove it",
                   line=int(lines[i]), column=name, value=v)


def _unprintable(v: str) -> str:
    """The first character of ``v`` that does not print, as 'U+XXXX (NAME)'."""
    hidden = first_hidden(v)
    if hidden:
        return hidden
    ch = next(c for c in v if not c.isprintable())
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed')})"


def _blank_or_spaced(arr: pa.ChunkedArray, values: np.ndarray):
    """Cells with nothing but whitespace, and cells with surrounding whitespace."""
    empty = _mask(pc.equal(arr, ""))
    spaced = np.zeros(len(values), dtype=bool)
    sure = _mask(pc.match_substring_regex(arr, _SURELY_TRIMMED))
    for i in np.flatnonzero(~sure & ~empty):
        v = values[i]
        stripped = v.strip()
        empty[i] = not stripped
        spaced[i] = bool(stripped) and stripped != v
    return empty, spaced


def _enum_values(col, arr, values, empty, lines, fname, report) -> None:
    bad = ~empty & ~_mask(pc.is_in(arr, value_set=pa.array(col.values, pa.string())))
    for i in np.flatnonzero(bad):
        v = values[i]
        hint = ""
        if v.strip().lower() in col.values:
            hint = f" (write it as {v.strip().lower()!r})"
        report.add("error", "unknown-value", fname,
                   f"unknown {col.name} {show_value(v)}{hint}; valid: "
                   f"{', '.join(col.values)}",
                   line=int(lines[i]), column=col.name, value=v)


def _id_characters(col, arr, values, empty, spaced, lines, fname, report) -> None:
    for i in np.flatnonzero(spaced):
        v = values[i]
        report.add("error", "whitespace-id", fname,
                   f"{col.name} {v!r} has leading or trailing whitespace; "
                   f"ids are compared exactly as written",
                   line=int(lines[i]), column=col.name, value=v)
    odd = np.flatnonzero(~empty & ~_mask(pc.match_substring_regex(arr, _SURELY_PRINTABLE)))
    for i in odd:
        v = values[i]
        if v.isprintable():
            continue
        report.add("error", "control-character", fname,
                   f"{col.name} {show_value(visible(v))} "
                   f"contains {_unprintable(v)}, a control, bidi or invisible character "
                   f"(e.g. newline, tab, no-break space, zero-width space)",
                   line=int(lines[i]), column=col.name, value=v)


def _missing_column(col: Column, n: int) -> pd.Series:
    if col.type == "int" and col.default is not None:
        return pd.Series(np.full(n, col.default, dtype=np.int64))
    if col.numeric:
        value = np.nan if col.default is None else float(col.default)
        return pd.Series(np.full(n, value, dtype=float))
    return pd.Series([col.default] * n, dtype=object)


def _decimals(arr: pa.ChunkedArray, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's value (NaN if not a finite decimal) and whether it is one."""
    fast = _mask(pc.and_(pc.match_substring_regex(arr, _SURELY_DECIMAL),
                         pc.less_equal(pc.binary_length(arr), _LONGEST_FAST_NUMBER)))
    values = np.full(len(arr), np.nan)
    if fast.any():
        picked = arr.filter(pa.array(fast))
        values[fast] = pc.cast(picked, pa.float64()).to_numpy(zero_copy_only=False)
    ok = fast.copy()
    rest = np.flatnonzero(~fast & ~empty)
    match = _DECIMAL_RE.fullmatch
    for i, v in zip(rest, _pick(arr, rest)):
        text = v.strip()
        if match(text) is not None:
            values[i] = float(text)
            ok[i] = True
    ok &= np.isfinite(values)  # a decimal too long for a float overflows to inf
    values[~ok] = np.nan
    return values, ok


def _numbers(col: Column, arr: pa.ChunkedArray, empty: np.ndarray, lines: np.ndarray,
             fname: str, report: ValidationReport) -> np.ndarray:
    values, ok = _decimals(arr, empty)
    wrong = np.flatnonzero(~ok & ~empty)
    for i, v in zip(wrong, _pick(arr, wrong)):
        code, message = _why_not_number(col, v)
        report.add("error", code, fname, message,
                   line=int(lines[i]), column=col.name, value=v)
    checked = ok & ~empty
    bad = np.zeros(len(values), dtype=bool)
    if col.low is not None:
        bad |= checked & ((values <= col.low) if col.low_open else (values < col.low))
    if col.high is not None:
        bad |= checked & ((values >= col.high) if col.high_open else (values > col.high))
    frac = np.zeros(len(values), dtype=bool)
    if col.type == "int":
        # past 2**53 a float no longer holds every whole number (and int64 overflows)
        bad |= checked & (np.abs(values) >= 2.0 ** 53)
        frac = checked & ~bad & (values != np.floor(values))
        where = np.flatnonzero(frac)
        for i, v in zip(where, _pick(arr, where)):
            report.add("error", "not-an-integer", fname,
                       f"{col.name} {v!r} must be a whole number",
                       line=int(lines[i]), column=col.name, value=v)
        bad |= frac
    where = np.flatnonzero(checked & bad & ~frac)
    for i, v in zip(where, _pick(arr, where)):
        report.add("error", "out-of-range", fname,
                   f"{col.name} {v!r} is out of range; valid: {col.range_text()}",
                   line=int(lines[i]), column=col.name, value=v)
    if col.default is not None:
        values[empty] = float(col.default)
    if col.type == "int" and col.default is not None:
        return np.where(np.isfinite(values) & ~bad, values, col.default).astype(np.int64)
    return values


def _in_range(col: Column, x: float) -> bool:
    """Whether ``x`` is a finite number inside the column's bounds."""
    if not np.isfinite(x):
        return False
    if col.low is not None and ((x <= col.low) if col.low_open else (x < col.low)):
        return False
    return col.high is None or ((x < col.high) if col.high_open else (x <= col.high))


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
    if re.fullmatch(_DECIMAL + r"(?:[eE][+-]?\d+)?", t) and not _in_range(col, float(t)):
        return "out-of-range", (f"{col.name} {show_value(v)} is out of range; "
                                f"valid: {col.range_text()}")
    if re.fullmatch(_DECIMAL + r"[eE][+-]?\d+", t):
        plain = np.format_float_positional(float(t), trim="-")
        return "spreadsheet-artefact", (f"{col.name} {v!r} is in scientific notation "
                                        f"(spreadsheet formatting); write it as a plain "
                                        f"decimal: {plain}")
    if re.fullmatch(r"[+-]?\d+,\d+", t):
        return "spreadsheet-artefact", (f"{col.name} {v!r} uses a decimal comma; "
                                        f"write {t.replace(',', '.')}")
    return "not-a-number", (f"{col.name} {show_value(v)} is not a number; "
                            f"valid: {col.range_text()}")


def unique_keys(table: Table, df: pd.DataFrame, ids: dict[str, pa.Array],
                lines: np.ndarray, report: ValidationReport) -> None:
    """Report rows repeating a key, and ids that differ only by surrounding whitespace.

    ``ids`` holds the key columns as pyarrow arrays (null for missing), as
    :func:`type_cells` returns them.
    """
    key = list(table.key)
    columns = [ids[k].dictionary_encode() for k in key]
    usable = np.logical_and.reduce([c.indices.is_valid().to_numpy(zero_copy_only=False)
                                    for c in columns])
    sub = df.loc[usable, key]
    sub_lines = lines[usable]
    # one integer per distinct key: duplicates found without hashing Python strings
    code = np.zeros(int(usable.sum()), dtype=np.int64)
    for c in columns:
        code = code * len(c.dictionary) + \
            c.indices.to_numpy(zero_copy_only=False)[usable].astype(np.int64)
    dup = pd.Series(code).duplicated(keep=False).to_numpy()
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
        _whitespace_clashes(table, key[0], sub[key[0]], ids[key[0]].filter(usable),
                            sub_lines, report)
        look_alikes(table.filename, key[0], ids[key[0]].filter(usable), sub_lines, report)


def look_alikes(fname: str, col: str, arr: pa.Array, lines: np.ndarray,
                report: ValidationReport) -> None:
    """A warning for each id that looks like an earlier, different id of its column:
    equal skeletons (riskgraph.io.characters), e.g. ``S_A`` and ``S_А`` (Cyrillic А).

    Only ids with a non-ASCII character are looked at one by one; the rest are found by
    hashing in pyarrow.
    """
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    odd = np.flatnonzero(~_mask(pc.match_substring_regex(arr, _SURELY_PRINTABLE)))
    if not len(odd):
        return
    values = _pick(arr, odd)
    skeletons = [skeleton(v) for v in values]
    at = pc.index_in(pa.array(skeletons, pa.string()), value_set=arr) \
        .fill_null(-1).to_numpy(zero_copy_only=False)
    first: dict[str, tuple[str, int]] = {}
    for i, v, sk, j in zip(odd, values, skeletons, at):
        line = int(lines[i])
        if j >= 0 and arr[int(j)].as_py() != v:
            other = (arr[int(j)].as_py(), int(lines[j]))
        else:
            other = first.get(sk)
            first.setdefault(sk, (v, line))
            if other is None or other[0] == v:
                continue
        odd_chars = ", ".join(dict.fromkeys(
            f"U+{ord(c):04X} {unicodedata.name(c, '')}".strip() for c in v if ord(c) > 126))
        report.add("warning", "look-alike-id", fname,
                   f"{col} {show_value(v)} ({odd_chars}) looks like {show_value(other[0])} "
                   f"on {fname}:{other[1]}: they are different ids that read the same; "
                   f"use one spelling", line=line, column=col, value=v)


def _whitespace_clashes(table: Table, col: str, ids: pd.Series, arr: pa.Array,
                        lines: np.ndarray, report: ValidationReport) -> None:
    if _mask(pc.match_substring_regex(arr, _SURELY_TRIMMED)).all():
        return  # no id has surrounding whitespace, so none can clash
    stripped = ids.str.strip()
    clash = stripped.duplicated(keep=False).to_numpy() & ~ids.duplicated(keep=False).to_numpy()
    if not clash.any():
        return
    by: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for v, s, line in zip(ids[clash], stripped[clash], lines[clash]):
        by[s].append((v, int(line)))
    for s, items in by.items():
        for v, line in items[1:]:
            report.add("error", "whitespace-id", table.filename,
                       f"{col} {v!r} differs from {items[0][0]!r} (line {items[0][1]}) "
                       f"only by surrounding whitespace",
                       line=line, column=col, value=v)
