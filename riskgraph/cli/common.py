"""What every command shares: package options, usage errors, warnings, the cache."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

#: Warnings printed per kind (issue code) unless --verbose; the rest are counted.
WARNINGS_PER_KIND = 20

def add_package_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("package", help="data package folder (nations.csv, suppliers.csv, ...)")
    p.add_argument("--max-file-mb", type=float, default=None, metavar="MB",
                   help="refuse input files larger than this (default 512)")
    p.add_argument("--no-ownership", action="store_true",
                   help="ignore owner_nation_id: a supplier fails only with its site nation")
    p.add_argument("--verbose", action="store_true",
                   help=f"print every warning (default: the first {WARNINGS_PER_KIND} of "
                        "each kind and a count)")
    p.add_argument("--warnings", metavar="FILE", default=None,
                   help="also write every warning to FILE (one per line)")


def add_cache_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", metavar="DIR", default=None,
                   help="reuse analysis results stored here for an unchanged package "
                        "(default $RISKGRAPH_CACHE_DIR or ~/.cache/riskgraph)")
    p.add_argument("--no-cache", action="store_true",
                   help="compute every analysis afresh and store nothing")


def read_options(args) -> dict:
    if args.max_file_mb is None:
        return {}
    if not 0 < args.max_file_mb < float("inf"):  # nan and inf too (issue 11)
        raise CliUsage(f"--max-file-mb must be a positive, finite number of MiB, got "
                       f"{args.max_file_mb!r}")
    return {"max_file_bytes": int(args.max_file_mb * 1024 * 1024)}


class CliUsage(Exception):
    """A usage error found by a command (exit 2)."""


def print_issues(issues, stream) -> None:
    for issue in issues:
        print(issue, file=stream)


def print_warnings(warnings, args, stream=None) -> None:
    """Warnings on stderr: all with --verbose, else the first few of each kind and a count
    of the rest; with --warnings FILE, every one also goes to FILE."""
    stream = stream if stream is not None else sys.stderr
    if getattr(args, "warnings", None):
        try:
            with open(args.warnings, "w", encoding="utf-8") as fh:
                for issue in warnings:
                    print(issue, file=fh)
        except OSError as exc:
            raise CliUsage(f"cannot write --warnings {args.warnings}: "
                         f"{exc.strerror or exc}") from None
    if getattr(args, "verbose", False):
        print_issues(warnings, stream)
        return
    shown: Counter = Counter()
    for issue in warnings:
        shown[issue.code] += 1
        if shown[issue.code] <= WARNINGS_PER_KIND:
            print(issue, file=stream)
    for code, count in shown.items():
        if count > WARNINGS_PER_KIND:
            where = f"; all in {args.warnings}" if getattr(args, "warnings", None) else \
                " (--verbose or --warnings FILE shows them all)"
            print(f"... and {count - WARNINGS_PER_KIND} more {code} warning(s){where}",
                  file=stream)


def open_cache(args):
    """The analysis cache the options ask for (None with --no-cache)."""
    from riskgraph.io.cache import ResultCache

    if args.no_cache:
        return None
    return ResultCache(args.cache_dir)


def load_network_for(args):
    """Read and compile the package; ValidationError propagates to main()."""
    from riskgraph.model.network import load_network

    net = load_network(args.package, ownership=not args.no_ownership, **read_options(args))
    print_warnings(net.package.report.warnings, args)
    return net


class ProgressBar:
    """A one-line progress bar on stderr, redrawn per chunk (only on a terminal)."""

    def __init__(self, label: str):
        self.label = label
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done:,}/{total:,}")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
