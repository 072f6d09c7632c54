"""Formula-safe, deterministic CSV bytes of one table (docs/design.md §5).

:func:`neutralize_formulas` makes text that a spreadsheet would run as a formula inert and
:func:`to_csv_bytes` turns a table into the bytes every export writes; the CLI's files and
the dashboard's downloads both come from here, through :mod:`riskgraph.io.export`.

CSV dialect
-----------
UTF-8 without a byte-order mark, comma-separated, ``\\n`` line endings, minimal quoting (but
every text field is quoted in a table where some text holds a carriage return, which older
``csv`` modules would otherwise leave unquoted). Floats are written in Python's shortest
round-trip form (``0.30000000000000004``, ``1e-300``), which ``pd.read_csv`` (pandas >= 3;
older pandas with ``float_precision="round_trip"``) reads back to the very same bits.
Booleans are pandas' ``True``/``False``, which ``pd.read_csv`` parses back to ``bool``.
Missing values (``NaN``, ``None``, ``pd.NA``) are empty fields; note that an empty string is
also an empty field, so the two read back alike.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError

__all__ = ["FORMULA_TRIGGERS", "neutralize_formulas", "to_csv_bytes"]

#: First characters that make a spreadsheet treat a cell as a formula (docs/design.md §5).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n")


# --------------------------------------------------------------------------- neutralising


def _neutral(value):
    """``value`` with a leading ``'`` if it is text starting with a formula trigger."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _is_text_dtype(dtype) -> bool:
    # Numbers, booleans, datetimes and the like can never hold a formula; only object,
    # string and categorical columns can hold ``str`` cells.
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def _text_scan(series: pd.Series) -> tuple[np.ndarray | None, bool]:
    """(positions of cells starting with a formula trigger, whether any cell holds a CR)
    of a text column, computed column-wise by pyarrow when every cell is text or missing;
    None positions when the column holds other objects too (then scan cell by cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(series, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None, False
    first = pc.utf8_slice_codeunits(arr, 0, 1)
    hit = pc.fill_null(pc.is_in(first, value_set=pa.array(FORMULA_TRIGGERS)), False)
    has_cr = bool(pc.any(pc.match_substring(arr, "\r")).as_py() or False)
    return np.flatnonzero(hit.to_numpy(zero_copy_only=False)), has_cr


def _neutral_column(series: pd.Series) -> pd.Series | None:
    """The neutralised column, or None when nothing in it needs changing."""
    dtype = series.dtype
    if not _is_text_dtype(dtype):
        return None
    hits, _ = _text_scan(series)
    if hits is not None and not len(hits):
        return None
    values = series.to_numpy(dtype=object)
    if hits is None:
        hits = [i for i, v in enumerate(values)
                if isinstance(v, str) and v.startswith(FORMULA_TRIGGERS)]
        if not hits:
            return None
    fixed = values.copy()  # to_numpy may return a view of the caller's data
    for i in hits:
        fixed[i] = "'" + fixed[i]
    # A categorical's prefixed labels could collide with existing ones: fall back to object.
    keep = object if isinstance(dtype, pd.CategoricalDtype) else dtype
    return pd.Series(fixed, index=series.index, name=series.name, dtype=keep)


def _neutral_labels(labels: pd.Index) -> pd.Index:
    """Row or column labels (and their names) with text labels neutralised."""
    names = [_neutral(n) for n in labels.names]
    if isinstance(labels, pd.MultiIndex):
        tuples = [tuple(_neutral(v) for v in t) for t in labels]
        return pd.MultiIndex.from_tuples(tuples, names=names) if tuples else \
            labels.set_names(names)
    if _is_text_dtype(labels.dtype):
        dtype = object if isinstance(labels.dtype, pd.CategoricalDtype) else labels.dtype
        labels = pd.Index([_neutral(v) for v in labels], dtype=dtype)
    return labels.set_names(names)


def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` whose text cannot run as a spreadsheet formula.

    Every text cell (a ``str`` in an object, string or categorical column) that begins with
    ``=``, ``+``, ``-``, ``@``, tab, CR or LF gets a leading ``'``. Numeric, boolean and
    datetime columns are left as they are, so ``-5`` in an integer column stays the number
    ``-5`` while the text ``"-5"`` becomes ``"'-5"``. Missing values stay missing. Text row
    and column labels and their names are treated the same way, since unknown extra input
    columns are passed through to exports. Categorical columns with a changed cell come back
    as object columns.

    Parameters
    ----------
    df
        Any table; it is not modified.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> df = pd.DataFrame({"note": ["=1+1", "-5", "ok", None], "delta": [-5, 1, 2, 3]})
    >>> out = neutralize_formulas(df)
    >>> out["note"].tolist()[:3], out["delta"].tolist()
    (["'=1+1", "'-5", 'ok'], [-5, 1, 2, 3])
    """
    if not isinstance(df, pd.DataFrame):
        raise UsageError(f"expected a pandas DataFrame, got {type(df).__name__}")
    out = df.copy(deep=False)  # columns that change are replaced, never written into
    for position in range(out.shape[1]):  # by position: column labels may repeat
        fixed = _neutral_column(out.iloc[:, position])
        if fixed is not None:
            out.isetitem(position, fixed)
    out.index = _neutral_labels(out.index)
    out.columns = _neutral_labels(out.columns)
    return out


def to_csv_bytes(df: pd.DataFrame, *, index: bool = False) -> bytes:
    """Formula-safe, deterministic UTF-8 CSV bytes of one table.

    See the module docstring for the dialect. The same table always gives the same bytes.

    Parameters
    ----------
    df
        The table; it is not modified.
    index
        Also write the row labels, as leading column(s) named after the index (an unnamed
        index is called ``index``, as by :meth:`pandas.DataFrame.reset_index`).

    Returns
    -------
    bytes

    Raises
    ------
    UsageError
        If ``index`` is true and an index name is also a column name.

    Examples
    --------
    >>> df = pd.DataFrame({"supplier_id": ["S1", "@S2"], "share": [0.5, -0.25]})
    >>> print(to_csv_bytes(df).decode(), end="")
    supplier_id,share
    S1,0.5
    '@S2,-0.25
    """
    if not isinstance(df, pd.DataFrame):
        raise UsageError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if index:
        try:
            df = df.reset_index()
        except ValueError as exc:  # an index name that is also a column name
            raise UsageError(f"cannot write the index as a column: {exc}") from exc
    safe = neutralize_formulas(df)
    # Python < 3.12's csv module leaves a field holding a bare CR unquoted when the line
    # terminator is LF, which splits the row for every reader: quote all text then.
    if _has_cr(safe):
        quoting = csv.QUOTE_NONNUMERIC
    else:
        quoting = csv.QUOTE_MINIMAL
        fast = _plain_csv(safe)
        if fast is not None:
            return fast
    text = safe.to_csv(index=False, lineterminator="\n", na_rep="", quoting=quoting)
    return text.encode("utf-8")


#: Rows formatted per block by :func:`_plain_csv` (bounds its memory).
_CSV_BLOCK_ROWS = 1 << 20
_NEEDS_QUOTES = r'[,"\n\r]'


def _plain_csv(df: pd.DataFrame) -> bytes | None:
    """The bytes ``df.to_csv(index=False, lineterminator="\\n", na_rep="")`` writes with
    minimal quoting, joined column-wise by pyarrow (pandas' writer spends about 3 µs a row
    on text: half a minute for each ten-million-row table of a million-node package).
    None when a column is not plain (bool, integer, float64, or text with missing
    values): pandas then writes it. A test checks both give the same bytes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if df.shape[1] < 2 or not len(df):  # a lone empty field is quoted: leave it to pandas
        return None
    header = df.iloc[:0].to_csv(index=False, lineterminator="\n").encode("utf-8")
    comma, newline = pa.scalar(",", pa.large_string()), pa.scalar("\n", pa.large_string())
    out = [header]
    for lo in range(0, len(df), _CSV_BLOCK_ROWS):
        block = df.iloc[lo:lo + _CSV_BLOCK_ROWS]
        cols = [_csv_strings(block.iloc[:, i], pa, pc) for i in range(block.shape[1])]
        if any(col is None for col in cols):
            return None
        ends = pa.array([""] * len(block), type=pa.large_string())
        lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cols, comma), ends,
                                            newline)
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
        first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
        out.append(lines.buffers()[2].to_pybytes()[first:last])
    return b"".join(out)


def _csv_strings(series: pd.Series, pa, pc):
    """One column as CSV fields (pyarrow large strings), or None if it is not plain."""
    dtype = series.dtype
    if dtype == np.bool_:
        return pa.array(np.where(series.to_numpy(), "True", "False"), type=pa.large_string())
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(series.to_numpy()), pa.large_string())
    if dtype == np.float64:
        # numpy's str of a float64 is its shortest round-trip repr, pandas' own format;
        # NaN is the empty field
        values = series.to_numpy()
        text = values.astype(str).astype(object)
        text[np.isnan(values)] = ""
        return pa.array(text, type=pa.large_string())
    if not _is_text_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return None
    try:
        arr = pa.array(series, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.fill_null(arr, "")
    quote = np.flatnonzero(pc.match_substring_regex(arr, _NEEDS_QUOTES)
                           .to_numpy(zero_copy_only=False))
    if len(quote):
        fields = arr.to_numpy(zero_copy_only=False).astype(object)
        fields[quote] = ['"' + v.replace('"', '""') + '"' for v in fields[quote]]
        arr = pa.array(fields, type=pa.large_string())
    return arr


def _has_cr(df: pd.DataFrame) -> bool:
    """Whether any text cell or column label of ``df`` contains a carriage return."""
    labels = df.columns.to_flat_index()
    if any(isinstance(v, str) and "\r" in v for v in labels):
        return True
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        if not _is_text_dtype(column.dtype):
            continue
        hits, has_cr = _text_scan(column)
        if has_cr or (hits is None and any(isinstance(v, str) and "\r" in v
                                           for v in column.to_numpy(dtype=object))):
            return True
    return False
