"""Characters that mislead a reader: hidden controls, bidi overrides, look-alike ids.

* **Hidden characters** (docs/design.md §2): C0/C1 control characters (but tab, newline
  and carriage return in free text) and the Unicode bidirectional controls — U+200E/U+200F
  (marks), U+061C (Arabic letter mark), U+202A–U+202E (embeddings and overrides),
  U+2066–U+2069 (isolates). A bidi override can make ``S_1<U+202E>2_S`` show as ``S_1S_2``
  on screen and in a spreadsheet, so a planner reads a different id or name from the one
  the analysis uses. Any cell holding one is an error naming the code point.
* **Look-alike ids**: two ids of one table whose *skeletons* are equal although the ids
  differ, e.g. ``S_A`` and ``S_А`` (Cyrillic А). The skeleton is NFKC (which folds
  full-width and compatibility forms) followed by :data:`CONFUSABLES`, a small map of the
  Cyrillic and Greek capitals and small letters that look like Latin ones and of the
  Unicode dashes that look like ``-``. Such pairs get a warning naming both rows.

Examples
--------
>>> skeleton("S_\\u0410") == skeleton("S_A")
True
>>> first_hidden("ok\\u202eko")
'U+202E (RIGHT-TO-LEFT OVERRIDE)'
"""

from __future__ import annotations

import unicodedata

__all__ = ["CONFUSABLES", "HIDDEN_PATTERN", "HIDDEN_TEXT_PATTERN", "first_hidden", "skeleton",
           "visible"]

_BIDI = r"\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}"
#: RE2 class of every character refused in an id (controls, bidi controls).
HIDDEN_PATTERN = r"[\x00-\x1f\x{7f}-\x{9f}" + _BIDI + "]"
#: The same for free text, where tab, newline and carriage return are allowed.
HIDDEN_TEXT_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{7f}-\x{9f}" + _BIDI + "]"

_HIDDEN = {chr(c) for c in (*range(0x20), *range(0x7f, 0xa0), 0x61c, 0x200e, 0x200f,
                            *range(0x202a, 0x202f), *range(0x2066, 0x206a))}
_TEXT_OK = {"\t", "\n", "\r"}

#: Look-alikes folded to the Latin letter they imitate (after NFKC).
CONFUSABLES = str.maketrans({
    # Cyrillic capitals and small letters
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ԛ": "Q",
    "Ԝ": "W", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w",
    # Greek capitals and small letters
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v",
    "α": "a", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    # dashes and minus signs
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2212": "-", "\ufe63": "-",
})


def skeleton(text: str) -> str:
    """What ``text`` looks like: NFKC, then look-alike letters folded to Latin."""
    return unicodedata.normalize("NFKC", text).translate(CONFUSABLES)


def visible(text: str) -> str:
    """``text`` with every character that does not print written as ``<U+XXXX>``.

    >>> visible("S_1\u202e2_S")
    'S_1<U+202E>2_S'
    """
    return "".join(c if c.isprintable() else f"<U+{ord(c):04X}>" for c in text)


def first_hidden(text: str, *, free_text: bool = False) -> str | None:
    """The first hidden character of ``text`` as 'U+XXXX (NAME)', or None.

    ``free_text`` allows tab, newline and carriage return."""
    for ch in text:
        if ch in _HIDDEN and not (free_text and ch in _TEXT_OK):
            name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ch, "control character")
            return f"U+{ord(ch):04X} ({name})"
    return None


_CONTROL_NAMES = {"\x00": "NUL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN",
                  "\x1b": "ESCAPE", "\x7f": "DELETE"}
