"""The ``riskgraph`` command line: a thin front end over the library.

Exit codes: 0 success (warnings go to stderr), 2 usage error, 3 invalid input.
Heavy imports (pandas, networkx) happen inside the commands so ``--help`` stays fast.
Each module of this package registers its commands (``register(subparsers)``).
"""

from __future__ import annotations

import argparse
import sys

from riskgraph.cli import analysis, tools
from riskgraph.cli.common import WARNINGS_PER_KIND, CliUsage, print_issues, print_warnings
from riskgraph.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE

__all__ = ["main", "EXIT_OK", "EXIT_USAGE", "EXIT_INVALID", "WARNINGS_PER_KIND"]

#: The modules whose commands make up the CLI, in the order ``--help`` lists them.
COMMAND_MODULES = [analysis, tools]


def _parser() -> argparse.ArgumentParser:
    from riskgraph import __version__

    parser = argparse.ArgumentParser(
        prog="riskgraph",
        description="Exact supply-chain dependency risk analysis for allied defence "
                    "procurement.",
        epilog="Exit codes: 0 ok, 2 usage error, 3 invalid input.",
    )
    parser.add_argument("--version", action="version", version=f"riskgraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    from riskgraph.errors import RiskgraphError, UsageError, ValidationError

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValidationError as exc:
        print_issues(exc.report.errors, sys.stderr)
        print_warnings(exc.report.warnings, args)
        print(f"invalid: {len(exc.report.errors)} error(s) in {exc.report.source}",
              file=sys.stderr)
        return EXIT_INVALID
    except (UsageError, CliUsage) as exc:
        print(f"riskgraph {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RiskgraphError as exc:
        print(f"riskgraph {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK
