"""The validation report: each problem found in a package, with its place.

An :class:`Issue` prints as ``file:line:column: message`` (line 1 is the header). A
:class:`ValidationReport` gathers every issue of one package, capping each kind at
:data:`MAX_ISSUES_PER_KIND` so that a broken million-row file gives a readable report.

Examples
--------
>>> report = ValidationReport("pkg")
>>> report.add("error", "unknown-value", "nations.csv", "unknown alignment 'ally'",
...            line=3, column="alignment", value="ally")
>>> print(report)
nations.csv:3:alignment: unknown alignment 'ally'
>>> report.ok
False
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Issue", "ValidationReport", "MAX_ISSUES_PER_KIND", "show_value", "suggest"]

#: Issues kept per (file, code); past it one summary issue says how many more there were.
MAX_ISSUES_PER_KIND = 1000


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

    def add_many(self, severity, code, file, count, describe) -> None:
        """Add ``count`` issues of one kind; ``describe(k)`` gives the k-th one's
        ``(message, line, column, value)``.

        The same as ``count`` calls of :meth:`add`, but ``describe`` is only called for
        the issues kept under the cap, so a million bad rows cost no more than a thousand.
        """
        key = (file, code, severity)
        room = max(0, MAX_ISSUES_PER_KIND - self._counts[key])
        for k in range(min(count, room)):
            message, line, column, value = describe(k)
            self.issues.append(Issue(severity, code, file, message, line, column, value))
        self._counts[key] += count

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


def show_value(value: str, limit: int = 60) -> str:
    """A cell's value for a message: quoted, and cut after ``limit`` characters.

    >>> show_value("x" * 70, limit=3)
    "'xxx...'"
    """
    text = value if len(value) <= limit else value[:limit] + "..."
    return repr(text)


def suggest(value: str, choices, limit: int = 20000) -> str:
    """' (did you mean 'X'?)' for a near miss, if the candidate set is small enough.

    >>> suggest("USA ", {"USA", "DEU"})
    " (did you mean 'USA'? the value has surrounding whitespace)"
    """
    if len(choices) > limit:
        return ""
    stripped = value.strip()
    if stripped != value and stripped in choices:
        return f" (did you mean {stripped!r}? the value has surrounding whitespace)"
    if not value.isascii():
        from riskgraph.io.characters import skeleton

        plain = skeleton(value)
        if plain != value and plain in choices:
            odd = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in value if ord(c) > 126))
            return (f" (did you mean {plain!r}? the value has look-alike characters: "
                    f"{odd})")
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
