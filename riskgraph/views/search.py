"""Searching long lists on the server, so a front end never ships 100,000 options.

The rule is the dashboard pickers' own (``assets/dmc_functions.js``, ``everyWord``): every
word typed must appear, in any order and case, in the row's text.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["search_options", "search_table", "search_words", "table_text"]

_SPLIT = re.compile(r"[\s—,()]+")


def search_words(text) -> list[str]:
    """The lower-case words of a search text (none for None or blanks).

    Examples
    --------
    >>> search_words("Poland, F-35 (POL)")
    ['poland', 'f-35', 'pol']
    """
    if not isinstance(text, str):
        return []
    return [w for w in _SPLIT.split(text.lower()) if w]


def _hits(haystack: pd.Series, words: list[str]) -> pd.Series:
    mask = pd.Series(True, index=haystack.index)
    for word in words:
        mask &= haystack.str.contains(word, regex=False)
    return mask


def search_options(options: pd.DataFrame, text, *, limit: int = 100,
                   label: str = "label") -> pd.DataFrame:
    """The first ``limit`` rows of an options table whose ``label`` has every word of
    ``text`` (all rows' first ``limit`` when ``text`` is empty).

    Examples
    --------
    >>> opts = pd.DataFrame({"label": ["Supplier: Acme (S1, USA)", "Nation: Chad (TCD)"]},
    ...                     index=["supplier:S1", "nation:TCD"])
    >>> search_options(opts, "usa acme").index.tolist()
    ['supplier:S1']
    """
    words = search_words(text)
    if not words:
        return options.head(limit)
    found = _hits(options[label].astype(str).str.lower(), words)
    return options[found.to_numpy()].head(limit)


def table_text(table: pd.DataFrame) -> pd.Series:
    """The lower-case text :func:`search_table` searches: each row's index and cells.

    Build it once for a table searched often (it is the slow part of a search).
    """
    haystack = pd.Series(table.index.astype(str), index=table.index)
    for col in table.columns:
        haystack = haystack + "\t" + table[col].astype(str).to_numpy()
    return haystack.str.lower()


def search_table(table: pd.DataFrame, text, *, limit: int = 500,
                 haystack: pd.Series | None = None) -> pd.DataFrame:
    """The first ``limit`` rows of ``table`` whose text (index and every column) has every
    word of ``text``; its first ``limit`` rows when ``text`` is empty.

    Parameters
    ----------
    haystack
        :func:`table_text` of ``table``, when already built.

    Examples
    --------
    >>> reg = pd.DataFrame({"name": ["Acme", "Bolt"], "why": ["sole source", "dual"]},
    ...                    index=pd.Index(["supplier:S1", "supplier:S2"], name="fp"))
    >>> search_table(reg, "SOLE s1").index.tolist()
    ['supplier:S1']
    """
    words = search_words(text)
    if not words:
        return table.head(limit)
    if haystack is None:
        haystack = table_text(table)
    found = _hits(haystack, words)
    return table[found.to_numpy()].head(limit)
