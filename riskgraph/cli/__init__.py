"""The ``riskgraph`` command line: a thin front end over the library.

Exit codes: 0 success (warnings go to stderr), 2 usage error, 3 invalid input, 4 a
file-system error (one line naming the path and the reason), 130 interrupted (Ctrl-C),
143 stopped by SIGTERM; after 4, 130 and 143 the previous export is intact.
Heavy imports (pandas, networkx) happen inside the commands so ``--help`` stays fast.
Each module of this package registers its commands (``register(subparsers)``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from riskgraph.cli import analysis, interchange, mitigation, sovereignty, tools
from riskgraph.cli.common import WARNINGS_PER_KIND, CliUsage, print_issues, print_warnings
from riskgraph.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE

__all__ = ["main", "EXIT_OK", "EXIT_USAGE", "EXIT_INVALID", "WARNINGS_PER_KIND"]

#: The modules whose commands make up the CLI, in the order ``--help`` lists them.
COMMAND_MODULES = [analysis, tools, interchange, mitigation, sovereignty]


def _parser() -> argparse.ArgumentParser:
    from riskgraph import __version__

    parser = argparse.ArgumentParser(
        prog="riskgraph",
        description="Exact supply-chain dependency risk analysis for allied defence "
                    "procurement.",
        epilog="Exit codes: 0 ok, 2 usage error, 3 invalid input, 4 file-system error (disk "
               "full, file too large, read-only, no permission), 130 interrupted (Ctrl-C), "
               "143 terminated (SIGTERM); the previous export is kept intact on 4, 130, 143.",
    )
    parser.add_argument("--version", action="version", version=f"riskgraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def _raise_terminated(signum, frame):
    from riskgraph.errors import Terminated

    raise Terminated(signum)


def _say(message: str) -> None:
    """One line on stderr; a failing stderr (itself full, closed) must not hide the exit
    code."""
    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it).

    SIGTERM is turned into :class:`~riskgraph.errors.Terminated` (a KeyboardInterrupt) while
    a command runs, so it unwinds like Ctrl-C: temp files go, the previous export stays.
    """
    from riskgraph.errors import (EXIT_INTERRUPTED, EXIT_IO, EXIT_TERMINATED, RiskgraphError,
                                  Terminated, UsageError, ValidationError, describe_os_error)

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave signals to the caller
        previous = None
    try:
        code = args.run(args)
        sys.stdout.flush()  # a full disk or closed pipe under stdout shows here, not at exit
        return code
    except ValidationError as exc:
        print_issues(exc.report.errors, sys.stderr)
        print_warnings(exc.report.warnings, args)
        _say(f"invalid: {len(exc.report.errors)} error(s) in {exc.report.source}")
        return EXIT_INVALID
    except (UsageError, CliUsage) as exc:
        _say(f"riskgraph {args.command}: error: {exc}")
        return EXIT_USAGE
    except RiskgraphError as exc:
        _say(f"riskgraph {args.command}: error: {exc}")
        return EXIT_INVALID
    except BrokenPipeError:  # e.g. piped into head
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:
        if exc.filename is None and getattr(args, "out", None):  # e.g. a bare write error
            exc = OSError(exc.errno, exc.strerror or str(exc), str(args.out))
        _say(f"riskgraph {args.command}: error: {describe_os_error(exc)}")
        return EXIT_IO
    except KeyboardInterrupt as exc:
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        _say(f"riskgraph {args.command}: {what}")
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
