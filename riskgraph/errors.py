"""The public exception hierarchy."""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from riskgraph.io.validation import ValidationReport

__all__ = ["RiskgraphError", "ValidationError", "UsageError", "Terminated", "EXIT_OK",
           "EXIT_USAGE", "EXIT_INVALID", "EXIT_IO", "EXIT_INTERRUPTED", "EXIT_TERMINATED",
           "describe_os_error"]

#: Exit statuses of every front end (the CLI and the dashboard server): success (warnings
#: go to stderr), a usage error, invalid input, a file-system error (disk full, file too
#: large for the limit, read-only file system, no permission, ...), interrupted by Ctrl-C
#: (SIGINT, 128 + 2) and stopped by SIGTERM (128 + 15). After any of the last three the
#: previous export in the output folder is intact (docs/design.md §5).
EXIT_OK, EXIT_USAGE, EXIT_INVALID, EXIT_IO = 0, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

#: What an errno means to someone whose export failed.
_REASONS = {
    errno.ENOSPC: "disk full (no space left on device)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the limit (ulimit -f)",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted (immutable or protected)",
    errno.EIO: "input/output error (failing disk or storage)",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a parent is a file, not a folder",
    errno.EISDIR: "is a folder",
    errno.EEXIST: "already exists",
    errno.ENOTEMPTY: "folder not empty",
    errno.EBUSY: "busy (a mount point or in use)",
    errno.EMFILE: "too many open files",
    errno.ENAMETOOLONG: "name too long",
    errno.ELOOP: "too many symbolic links",
    errno.EXDEV: "on another file system",
}


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError: the path(s) and the reason in plain words.

    >>> describe_os_error(OSError(28, "No space left on device", "out/spof.csv"))
    "'out/spof.csv': disk full (no space left on device)"
    >>> describe_os_error(OSError(5, "Input/output error"))
    'input/output error (failing disk or storage)'
    """
    reason = _REASONS.get(exc.errno) or exc.strerror or str(exc) or type(exc).__name__
    paths = [os.fsdecode(p) for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(repr(p) for p in paths)
    return f"{where}: {reason}" if where else reason


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised by the CLI's handler so that it unwinds like Ctrl-C: every clean-up
    runs and the previous export stays intact."""


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
