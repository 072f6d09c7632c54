"""The public exception hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from riskgraph.io.validation import ValidationReport

__all__ = ["RiskgraphError", "ValidationError", "UsageError", "EXIT_OK", "EXIT_USAGE",
           "EXIT_INVALID"]

#: Exit statuses of every front end (the CLI and the dashboard server): success (warnings
#: go to stderr), a usage error, invalid input.
EXIT_OK, EXIT_USAGE, EXIT_INVALID = 0, 2, 3


class RiskgraphError(Exception):
    """Base class of every error riskgraph raises on purpose."""


class UsageError(RiskgraphError):
    """A call's arguments are wrong (unknown id, bad parameter value)."""


class ValidationError(RiskgraphError):
    """The input failed validation; ``report`` holds every problem found.

    Parameters
    ----------
    report
        The full report: all errors and warnings, each with file, line, column and value.
    """

    def __init__(self, report: "ValidationReport"):
        self.report = report
        errors = report.errors
        head = f"{len(errors)} problem(s) in {report.source}"
        lines = [str(issue) for issue in errors[:20]]
        if len(errors) > 20:
            lines.append(f"... and {len(errors) - 20} more")
        super().__init__("\n".join([head, *lines]))
