"""The ``riskgraph`` command line: a thin front end over the library.

Exit codes: 0 success (warnings go to stderr), 2 usage error, 3 invalid input.
Heavy imports (pandas, networkx) happen inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from riskgraph.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE

#: Warnings printed per kind (issue code) unless --verbose; the rest are counted.
WARNINGS_PER_KIND = 20

__all__ = ["main", "EXIT_OK", "EXIT_USAGE", "EXIT_INVALID"]


def _add_package(p: argparse.ArgumentParser) -> None:
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


def _add_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", metavar="DIR", default=None,
                   help="reuse analysis results stored here for an unchanged package "
                        "(default $RISKGRAPH_CACHE_DIR or ~/.cache/riskgraph)")
    p.add_argument("--no-cache", action="store_true",
                   help="compute every analysis afresh and store nothing")


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

    _add_validate(sub)
    _add_summary(sub)
    _add_analyse(sub)
    _add_whatif(sub)
    _add_montecarlo(sub)
    _add_dashboard(sub)
    _add_generate(sub)
    return parser


def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check a data package and report every problem")
    _add_package(p)
    p.add_argument("--format", choices=("text", "csv"), default="text",
                   help="how to print the problems (default text: file:line:column: message)")
    p.set_defaults(run=_cmd_validate)


def _add_summary(sub) -> None:
    p = sub.add_parser("summary", help="print a short summary of a package and its top risks")
    _add_package(p)
    p.add_argument("--top", type=int, default=10, help="risks to list (default 10)")
    _add_cache(p)
    p.set_defaults(run=_cmd_summary)


def _add_analyse(sub) -> None:
    p = sub.add_parser("analyse", aliases=["analyze"],
                       help="run the structural analyses and write CSV exports")
    _add_package(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the CSV files and manifest.json (created if missing)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for sampled betweenness on large networks (default 0)")
    p.add_argument("--keep-partners", action="store_true",
                   help="alliance-only survivability keeps partner nations too")
    p.add_argument("--top", type=int, default=10, help="risks to list in the summary")
    p.add_argument("--max-pairs", type=int, default=None, metavar="N",
                   help="keep at most N critical pairs per capability (large networks)")
    _add_cache(p)
    p.set_defaults(run=_cmd_analyse)


def _add_whatif(sub) -> None:
    p = sub.add_parser("whatif", help="run scripted disruption scenarios (time to impact)")
    _add_package(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the CSV files and manifest.json (created if missing)")
    p.add_argument("--scenarios", metavar="FILE.toml",
                   help="scenario file ([[scenario]] tables); see README")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="run only this scenario of the file (repeatable)")
    p.add_argument("--fail", action="append", default=[], metavar="ID",
                   help="ad hoc: fail this point, e.g. nation:CHN or supplier:S07 (repeatable)")
    p.add_argument("--capacity", action="append", default=[], metavar="ID=FACTOR",
                   help="ad hoc: run a point at a capacity factor in [0, 1] (repeatable)")
    p.add_argument("--days", type=float, default=None,
                   help="ad hoc: days every failed point stays down (default: its "
                        "recovery_days)")
    p.add_argument("--horizon-days", type=float, default=365.0,
                   help="ad hoc: days to look ahead (default 365)")
    p.add_argument("--name", default="ad hoc", help="ad hoc: the scenario's name")
    p.add_argument("--compare", action="store_true",
                   help="also write whatif_compare.csv: the scenarios side by side")
    p.set_defaults(run=_cmd_whatif)


def _add_montecarlo(sub) -> None:
    p = sub.add_parser("montecarlo", help="random independent disruptions: probabilities of "
                                          "loss and importance of failure points")
    _add_package(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the CSV files and manifest.json (created if missing)")
    p.add_argument("--trials", type=int, default=10_000, help="number of trials (default 10,000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--points", nargs="+", default=None, metavar="ID",
                   help="failure points to score for importance (default: the top ones by "
                        "SPOF count and blast radius)")
    p.add_argument("--max-points", type=int, default=20,
                   help="how many points the default choice scores (default 20; 0 for none)")
    p.add_argument("--scheduler", default=None, metavar="local|tcp://HOST:PORT",
                   help="run the trial chunks on Dask (needs riskgraph[distributed])")
    p.add_argument("--no-progress", action="store_true", help="never draw a progress bar")
    p.set_defaults(run=_cmd_montecarlo)


def _add_dashboard(sub) -> None:
    p = sub.add_parser("dashboard", help="start the planners' dashboard (http://127.0.0.1:8050)")
    p.add_argument("package", nargs="*", help="package folder(s) to offer (default: the "
                                              "bundled sample)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; any other needs --auth)")
    p.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    p.add_argument("--auth", default=None, metavar="USER:PASSWORD",
                   help="HTTP basic auth on every route (required off loopback)")
    p.set_defaults(run=_cmd_dashboard)


def _add_generate(sub) -> None:
    p = sub.add_parser("generate", help="write a synthetic data package for benchmarks")
    p.add_argument("--nodes", type=int, required=True, help="approximate node count (>= 200)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the CSVs to")
    p.add_argument("--defects", action="store_true",
                   help="leave some components' shares summing below 1 (baseline "
                        "shortfalls, each a validation warning), as real data often do")
    p.set_defaults(run=_cmd_generate)


def _read_options(args) -> dict:
    if args.max_file_mb is None:
        return {}
    if not args.max_file_mb > 0:
        raise _Usage("--max-file-mb must be a positive number")
    return {"max_file_bytes": int(args.max_file_mb * 1024 * 1024)}


class _Usage(Exception):
    pass


def _print_issues(issues, stream) -> None:
    for issue in issues:
        print(issue, file=stream)


def _print_warnings(warnings, args, stream=None) -> None:
    """Warnings on stderr: all with --verbose, else the first few of each kind and a count
    of the rest; with --warnings FILE, every one also goes to FILE."""
    stream = stream if stream is not None else sys.stderr
    if getattr(args, "warnings", None):
        try:
            with open(args.warnings, "w", encoding="utf-8") as fh:
                for issue in warnings:
                    print(issue, file=fh)
        except OSError as exc:
            raise _Usage(f"cannot write --warnings {args.warnings}: "
                         f"{exc.strerror or exc}") from None
    if getattr(args, "verbose", False):
        _print_issues(warnings, stream)
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


def _cache(args):
    """The analysis cache the options ask for (None with --no-cache)."""
    from riskgraph.io.cache import ResultCache

    if args.no_cache:
        return None
    return ResultCache(args.cache_dir)


def _cmd_validate(args) -> int:
    from riskgraph.io.validation import validate_package

    report = validate_package(args.package, **_read_options(args))
    if args.format == "csv":
        report.frame().to_csv(sys.stdout, index=False)
    else:
        _print_issues(report.errors, sys.stderr)
        _print_warnings(report.warnings, args)
    if not report.ok:
        print(f"invalid: {len(report.errors)} error(s), {len(report.warnings)} warning(s) "
              f"in {args.package}", file=sys.stderr)
        return EXIT_INVALID
    if args.format == "text":
        print(f"valid: {args.package} ({len(report.warnings)} warning(s))")
    return EXIT_OK


def _load(args):
    """Read and compile the package; ValidationError propagates to main()."""
    from riskgraph.model.network import load_network

    net = load_network(args.package, ownership=not args.no_ownership, **_read_options(args))
    _print_warnings(net.package.report.warnings, args)
    return net


def _cmd_summary(args) -> int:
    from riskgraph.io.summary import summary_text

    if args.top < 0:
        raise _Usage("--top must be >= 0")
    from riskgraph.analyses.structural import structural_analysis

    net = _load(args)
    print(summary_text(net, structural_analysis(net, cache=_cache(args)), top=args.top))
    return EXIT_OK


def _cmd_analyse(args) -> int:
    from riskgraph.analyses.structural import structural_analysis
    from riskgraph.io.export import write_outputs
    from riskgraph.io.summary import summary_text

    if args.top < 0:
        raise _Usage("--top must be >= 0")
    if args.max_pairs is not None and args.max_pairs < 0:
        raise _Usage("--max-pairs must be >= 0")
    net = _load(args)
    result = structural_analysis(net, seed=args.seed, keep_partners=args.keep_partners,
                                 max_pairs_per_capability=args.max_pairs, cache=_cache(args))
    out = write_outputs(args.out, result.tables(), command="analyse", package=net.package,
                        parameters=result.parameters, seed=args.seed)
    print(summary_text(net, result, top=args.top))
    cut = result.parameters["critical_pairs"]
    if cut["dropped"]:
        print(f"\ncritical_pairs.csv holds {cut['written']:,} of {cut['found']:,} critical "
              f"pairs: --max-pairs {args.max_pairs} cut {cut['dropped']:,} from "
              f"{cut['capabilities_cut']:,} capabilities (see manifest.json)")
    print(f"\nwrote {len(result.tables())} tables and manifest.json to {out}")
    return EXIT_OK


def _cmd_whatif(args) -> int:
    from riskgraph.io.export import write_outputs
    from riskgraph.model.scenario import read_scenarios, scenario_from_options
    from riskgraph.analyses.whatif import run_scenarios

    adhoc = bool(args.fail or args.capacity or args.days is not None)
    if args.scenarios and adhoc:
        raise _Usage("give either --scenarios FILE or the ad-hoc --fail/--capacity/--days "
                     "options, not both")
    if not args.scenarios and not adhoc:
        raise _Usage("nothing to run: give --scenarios FILE.toml or at least one --fail or "
                     "--capacity")
    if args.scenario and not args.scenarios:
        raise _Usage("--scenario selects from a --scenarios file")
    net = _load(args)
    if args.scenarios:
        scenarios = read_scenarios(args.scenarios, net)
        if args.scenario:
            names = [s.name for s in scenarios]
            unknown = [n for n in args.scenario if n not in names]
            if unknown:
                raise _Usage(f"no scenario named {unknown[0]!r} in {args.scenarios}; "
                             f"it has: {', '.join(repr(n) for n in names)}")
            scenarios = [s for s in scenarios if s.name in args.scenario]
    else:
        scenarios = [scenario_from_options(net, args.fail, args.capacity, days=args.days,
                                           horizon_days=args.horizon_days, name=args.name)]
    result = run_scenarios(net, scenarios)
    tables = result.tables(compare=args.compare)
    params = {"scenarios": [s.to_dict() for s in scenarios], "ownership": net.ownership,
              "scenario_file": args.scenarios}
    out = write_outputs(args.out, tables, command="whatif", package=net.package,
                        parameters=params)
    print(_whatif_summary(result, scenarios))
    print(f"\nwrote {len(tables)} tables and manifest.json to {out}")
    return EXIT_OK


def _whatif_summary(result, scenarios) -> str:
    caps = result.capabilities
    lines = []
    for s in scenarios:
        mine = caps[caps["scenario"] == s.name]
        down = mine[~mine["up"]]
        impacted = mine[mine["time_to_impact_days"].notna()]
        lines.append(f"{s.name}: {len(down)} of {len(mine)} capabilities down while the "
                     f"failures last; {len(impacted)} run out within {s.horizon_days:g} days; "
                     f"mean supply {100 * mine['supply_fraction'].mean():.0f}%")
        first = impacted.sort_values(["time_to_impact_days", "nation_id", "platform_id"])
        for row in first.head(5).itertuples():
            lines.append(f"    {row.nation_id}/{row.platform_id}: down from day "
                         f"{row.time_to_impact_days:g} for {row.days_lost:g} days")
    return "\n".join(lines)


class _ProgressBar:
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


def _cmd_montecarlo(args) -> int:
    from riskgraph.io.export import write_outputs
    from riskgraph.analyses.montecarlo import monte_carlo

    if args.trials < 1:
        raise _Usage("--trials must be at least 1")
    if args.seed < 0:
        raise _Usage("--seed must be >= 0")
    if args.max_points < 0:
        raise _Usage("--max-points must be >= 0")
    net = _load(args)
    bar = _ProgressBar("trials") if sys.stderr.isatty() and not args.no_progress else None
    try:
        result = monte_carlo(net, trials=args.trials, seed=args.seed, points=args.points,
                             max_points=args.max_points, scheduler=args.scheduler,
                             progress=bar)
    finally:
        if bar is not None:
            bar.close()
    tables = result.tables()
    out = write_outputs(args.out, tables, command="montecarlo", package=net.package,
                        parameters=result.parameters, seed=args.seed)
    caps = result.capabilities.sort_values("p_unavailable", ascending=False)
    print(f"{args.trials:,} trials, seed {args.seed}: mean P(capability unavailable) "
          f"{caps['p_unavailable'].mean():.3f}")
    for row in caps.head(5).itertuples():
        print(f"    {row.nation_id}/{row.platform_id}: P(unavailable) {row.p_unavailable:.4f} "
              f"[{row.ci_low:.4f}, {row.ci_high:.4f}]")
    if len(result.ranking):
        print("Most important failure points (sum of Birnbaum importance):")
        for fp, row in result.ranking.head(5).iterrows():
            print(f"    {fp}: {row['birnbaum_sum']:.3f}")
    print(f"\nwrote {len(tables)} tables and manifest.json to {out}")
    return EXIT_OK


def _cmd_dashboard(args) -> int:
    from riskgraph_dashboard.server import serve

    return serve(args.package, host=args.host, port=args.port, auth=args.auth)


def _cmd_generate(args) -> int:
    from pathlib import Path

    from riskgraph.io.synthetic import generate_package

    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not (out / "nations.csv").exists():
        raise _Usage(f"{out} exists and is not a data package: choose an empty folder")
    generate_package(out, nodes=args.nodes, seed=args.seed, defects=args.defects)
    print(f"wrote a synthetic package of about {args.nodes:,} nodes (seed {args.seed}) to {out}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    from riskgraph.errors import RiskgraphError, UsageError, ValidationError

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValidationError as exc:
        _print_issues(exc.report.errors, sys.stderr)
        _print_warnings(exc.report.warnings, args)
        print(f"invalid: {len(exc.report.errors)} error(s) in {exc.report.source}",
              file=sys.stderr)
        return EXIT_INVALID
    except (UsageError, _Usage) as exc:
        print(f"riskgraph {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RiskgraphError as exc:
        print(f"riskgraph {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK


