"""The analysis commands: validate, summary, analyse, whatif, montecarlo."""

from __future__ import annotations

import sys

from riskgraph.cli.common import (
    CliUsage, ProgressBar, add_cache_arguments, add_package_arguments, load_network_for,
    open_cache, print_issues, print_warnings, read_options,
)
from riskgraph.errors import EXIT_INVALID, EXIT_OK


def register(sub) -> None:
    """Add this module's commands to the subparsers ``sub``."""
    _add_validate(sub)
    _add_summary(sub)
    _add_analyse(sub)
    _add_whatif(sub)
    _add_montecarlo(sub)


def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check a data package and report every problem")
    add_package_arguments(p)
    p.add_argument("--format", choices=("text", "csv"), default="text",
                   help="how to print the problems (default text: file:line:column: message)")
    p.set_defaults(run=_cmd_validate)


def _add_summary(sub) -> None:
    p = sub.add_parser("summary", help="print a short summary of a package and its top risks")
    add_package_arguments(p)
    p.add_argument("--top", type=int, default=10, help="risks to list (default 10)")
    add_cache_arguments(p)
    p.set_defaults(run=_cmd_summary)


def _add_analyse(sub) -> None:
    p = sub.add_parser("analyse", aliases=["analyze"],
                       help="run the structural analyses and write CSV exports")
    add_package_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the CSV files and manifest.json (created if missing)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for sampled betweenness on large networks (default 0)")
    p.add_argument("--keep-partners", action="store_true",
                   help="alliance-only survivability keeps partner nations too")
    p.add_argument("--top", type=int, default=10, help="risks to list in the summary")
    p.add_argument("--max-pairs", type=int, default=None, metavar="N",
                   help="keep at most N critical pairs per capability (large networks)")
    add_cache_arguments(p)
    p.set_defaults(run=_cmd_analyse)


def _add_whatif(sub) -> None:
    p = sub.add_parser("whatif", help="run scripted disruption scenarios (time to impact)")
    add_package_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the CSV files and manifest.json (created if missing)")
    p.add_argument("--scenarios", metavar="FILE.toml",
                   help="scenario file ([[scenario]] tables); see README")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="run only this scenario of the file (repeatable)")
    p.add_argument("--max-scenarios", type=int, default=None, metavar="N",
                   help="refuse a scenario file of more than N scenarios (default 1,000)")
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
    p.add_argument("--unknown-failed", action="store_true",
                   help="treat unknown sourcing as failed: every component with neither "
                        "sourcing nor BOM rows fails too (what the data gaps could hide)")
    p.set_defaults(run=_cmd_whatif)


def _add_montecarlo(sub) -> None:
    p = sub.add_parser("montecarlo", help="random independent disruptions: probabilities of "
                                          "loss and importance of failure points")
    add_package_arguments(p)
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


def _cmd_validate(args) -> int:
    from riskgraph.io.validation import validate_package

    report = validate_package(args.package, **read_options(args))
    if args.format == "csv":
        from riskgraph.io.formulas import to_csv_bytes

        # the values are the input's cells: formula-neutralised like every CSV we write
        sys.stdout.buffer.write(to_csv_bytes(report.frame()))
        sys.stdout.flush()
    else:
        print_issues(report.errors, sys.stderr)
        print_warnings(report.warnings, args)
    if not report.ok:
        print(f"invalid: {len(report.errors)} error(s), {len(report.warnings)} warning(s) "
              f"in {args.package}", file=sys.stderr)
        return EXIT_INVALID
    if args.format == "text":
        print(f"valid: {args.package} ({len(report.warnings)} warning(s))")
    return EXIT_OK


def _cmd_summary(args) -> int:
    from riskgraph.io.summary import summary_text

    if args.top < 0:
        raise CliUsage("--top must be >= 0")
    from riskgraph.analyses.structural import structural_analysis

    net = load_network_for(args)
    print(summary_text(net, structural_analysis(net, cache=open_cache(args)), top=args.top))
    return EXIT_OK


def _cmd_analyse(args) -> int:
    from riskgraph.analyses.structural import structural_analysis
    from riskgraph.io.export import check_output_dir, write_outputs
    from riskgraph.io.summary import summary_text

    if args.top < 0:
        raise CliUsage("--top must be >= 0")
    if args.max_pairs is not None and args.max_pairs < 0:
        raise CliUsage("--max-pairs must be >= 0")
    check_output_dir(args.out, package_dir=args.package)  # fail before the analysis
    net = load_network_for(args)
    result = structural_analysis(net, seed=args.seed, keep_partners=args.keep_partners,
                                 max_pairs_per_capability=args.max_pairs, cache=open_cache(args))
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
    from riskgraph.io.export import check_output_dir, write_outputs
    from riskgraph.model.scenario import read_scenarios, scenario_from_options
    from riskgraph.analyses.whatif import run_scenarios

    adhoc = bool(args.fail or args.capacity or args.days is not None)
    if args.scenarios and adhoc:
        raise CliUsage("give either --scenarios FILE or the ad-hoc --fail/--capacity/--days "
                     "options, not both")
    if not args.scenarios and not adhoc:
        raise CliUsage("nothing to run: give --scenarios FILE.toml or at least one --fail or "
                     "--capacity")
    if args.scenario and not args.scenarios:
        raise CliUsage("--scenario selects from a --scenarios file")
    check_output_dir(args.out, package_dir=args.package)  # fail before the analysis
    if args.max_scenarios is not None and args.max_scenarios < 1:
        raise CliUsage("--max-scenarios must be at least 1")
    net = load_network_for(args)
    if args.scenarios:
        scenarios = read_scenarios(args.scenarios, net, max_scenarios=args.max_scenarios)
        if args.scenario:
            names = [s.name for s in scenarios]
            unknown = [n for n in args.scenario if n not in names]
            if unknown:
                raise CliUsage(f"no scenario named {unknown[0]!r} in {args.scenarios}; "
                             f"it has: {', '.join(repr(n) for n in names)}")
            scenarios = [s for s in scenarios if s.name in args.scenario]
    else:
        scenarios = [scenario_from_options(net, args.fail, args.capacity, days=args.days,
                                           horizon_days=args.horizon_days, name=args.name)]
    if args.unknown_failed:  # docs/design.md §3.5: what the data gaps could hide
        from riskgraph.analyses.confidence import with_unknown_failed

        scenarios = [with_unknown_failed(net, s) for s in scenarios]
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
    """Per scenario: capabilities down, run out, mean supply, the first five to run out.

    The table is grouped once and read as plain arrays: linear in the scenarios
    (filtering it per scenario was quadratic, 58 s of printing for 2,000 scenarios)."""
    caps = result.capabilities
    impacted = caps["time_to_impact_days"].notna()
    stats = caps.assign(down=~caps["up"].astype(bool), impacted=impacted) \
        .groupby("scenario", sort=False) \
        .agg(n=("up", "size"), down=("down", "sum"), impacted=("impacted", "sum"),
             supply=("supply_fraction", "mean")).to_dict("index")
    first = caps[impacted].sort_values(["scenario", "time_to_impact_days", "nation_id",
                                        "platform_id"], kind="stable") \
        .groupby("scenario", sort=False).head(5)
    firsts: dict = {}
    for name, nation, platform, day, lost in zip(
            *(first[c].tolist() for c in ("scenario", "nation_id", "platform_id",
                                          "time_to_impact_days", "days_lost"))):
        firsts.setdefault(name, []).append(f"    {nation}/{platform}: down from day "
                                           f"{day:g} for {lost:g} days")
    lines = []
    none = {"n": 0, "down": 0, "impacted": 0, "supply": float("nan")}
    for s in scenarios:
        st = stats.get(s.name, none)
        lines.append(f"{s.name}: {int(st['down'])} of {int(st['n'])} capabilities down "
                     f"while the failures last; {int(st['impacted'])} run out within "
                     f"{s.horizon_days:g} days; mean supply {100 * st['supply']:.0f}%")
        lines.extend(firsts.get(s.name, ()))
    return "\n".join(lines)


def _cmd_montecarlo(args) -> int:
    from riskgraph.io.export import check_output_dir, write_outputs
    from riskgraph.analyses.montecarlo import monte_carlo

    if args.trials < 1:
        raise CliUsage("--trials must be at least 1")
    if args.seed < 0:
        raise CliUsage("--seed must be >= 0")
    if args.max_points < 0:
        raise CliUsage("--max-points must be >= 0")
    check_output_dir(args.out, package_dir=args.package)  # fail before the analysis
    net = load_network_for(args)
    bar = ProgressBar("trials") if sys.stderr.isatty() and not args.no_progress else None
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
