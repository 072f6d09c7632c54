"""The prescriptive commands: mitigate (docs/design.md §4.10) and allocate (§4.11)."""

from __future__ import annotations

from pathlib import Path

from riskgraph.cli.common import CliUsage, add_package_arguments, load_network_for
from riskgraph.errors import EXIT_OK

#: Lines of a list printed before "... and N more".
_SHOWN = 20
#: riskgraph.analyses.mitigation.DEFAULT_TIME_LIMIT, without importing SciPy for --help.
DEFAULT_TIME_LIMIT = 60.0


def register(sub) -> None:
    """Add this module's commands to the subparsers ``sub``."""
    _add_mitigate(sub)
    _add_allocate(sub)


def _add_mitigate(sub) -> None:
    p = sub.add_parser("mitigate", help="cheapest candidate actions (mitigations.csv) that "
                                        "remove SPOFs or survive scenarios, verified")
    add_package_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for mitigation_plan.csv, residual_risk.csv, "
                        "mitigation_summary.csv and manifest.json")
    p.add_argument("--capability", action="append", default=[], metavar="NATION/PLATFORM",
                   help="plan for this capability (repeatable; default: every capability)")
    p.add_argument("--kinds", default="supplier", metavar="KINDS",
                   help="SPOF kinds to remove, comma-separated: supplier, nation, component "
                        "(default supplier)")
    p.add_argument("--scenarios", metavar="FILE.toml",
                   help="goal: survive every scenario of this file (no day lost)")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="only this scenario of the file (repeatable)")
    p.add_argument("--budget", type=float, default=None, metavar="B",
                   help="goal: remove the most capability-SPOF pairs for a total cost <= B")
    p.add_argument("--weight", choices=("count", "quantity"), default="count",
                   help="--budget: weigh each capability-SPOF pair 1 (count) or by the "
                        "capability's fielded quantity (default count)")
    p.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="SECONDS",
                   help=f"stop the solve after this long and report the best verified plan "
                        f"and its gap (default {DEFAULT_TIME_LIMIT:g})")
    p.add_argument("--write-package", metavar="DIR", default=None,
                   help="also write the mitigated package (actions applied) to DIR")
    p.set_defaults(run=_cmd_mitigate)


def _add_allocate(sub) -> None:
    p = sub.add_parser("allocate", help="share a scenario's reduced supply among the "
                                        "capabilities (LP) against the proportional reading")
    add_package_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for allocation.csv, allocation_summary.csv and manifest.json")
    p.add_argument("--scenarios", required=True, metavar="FILE.toml",
                   help="scenario file ([[scenario]] tables)")
    p.add_argument("--scenario", default=None, metavar="NAME",
                   help="the scenario to allocate (default: the file's only or first one)")
    p.add_argument("--objective", choices=("weighted", "maxmin"), default="weighted",
                   help="weighted: most fielded capability (weights: fielding quantity); "
                        "maxmin: the worst-off nation's share first (default weighted)")
    p.set_defaults(run=_cmd_allocate)


def _capabilities(values) -> list[str] | None:
    if not values:
        return None
    return [v if v.startswith("capability:") else f"capability:{v}" for v in values]


def _pick_scenarios(path, names, net) -> list:
    from riskgraph.model.scenario import read_scenarios

    scenarios = read_scenarios(path, net)
    if names:
        known = [s.name for s in scenarios]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise CliUsage(f"no scenario named {unknown[0]!r} in {path}; it has: "
                           f"{', '.join(repr(n) for n in known)}")
        scenarios = [s for s in scenarios if s.name in names]
    return scenarios


def _cmd_mitigate(args) -> int:
    from riskgraph.analyses.mitigation import SPOF_KINDS, plan_mitigation
    from riskgraph.io.export import check_output_dir, write_outputs

    if args.scenarios and args.budget is not None:
        raise CliUsage("give either --scenarios (survive) or --budget, not both")
    if args.scenario and not args.scenarios:
        raise CliUsage("--scenario selects from a --scenarios file")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    bad = [k for k in kinds if k not in SPOF_KINDS]
    if bad or not kinds:
        raise CliUsage(f"--kinds: unknown kind {bad[0] if bad else args.kinds!r}; valid: "
                       f"{', '.join(SPOF_KINDS)}")
    if not args.time_limit > 0:
        raise CliUsage("--time-limit must be a number of seconds > 0")
    if args.budget is not None and not args.budget >= 0:
        raise CliUsage("--budget must be >= 0")
    check_output_dir(args.out, package_dir=args.package)
    if args.write_package and _same_place(args.write_package, args.package):
        raise CliUsage("--write-package must not be the input package folder")
    net = load_network_for(args)
    if net.package.mitigations is None:
        raise CliUsage(f"{args.package} has no mitigations.csv: nothing to choose from")
    goal = "survive" if args.scenarios else "budget" if args.budget is not None else "spof"
    scenarios = _pick_scenarios(args.scenarios, args.scenario, net) if args.scenarios else ()
    caps = _capabilities(args.capability)
    res = plan_mitigation(net, goal=goal, capabilities=caps, kinds=kinds,
                          scenarios=scenarios, budget=args.budget,
                          weights="quantity" if args.weight == "quantity" else None,
                          time_limit=args.time_limit)
    params = {"goal": goal, "capabilities": caps, "kinds": kinds, "budget": args.budget,
              "weight": args.weight,
              "time_limit": args.time_limit, "scenario_file": args.scenarios,
              "scenarios": [s.to_dict() for s in scenarios], "ownership": net.ownership}
    out = write_outputs(args.out, res.tables(), command="mitigate", package=net.package,
                        parameters=params)
    if args.write_package:
        from riskgraph.io.package import write_package

        write_package(res.mitigated_package(), args.write_package)
    print(_mitigate_text(res))
    print(f"\nwrote {len(res.tables())} tables and manifest.json to {out}")
    if args.write_package:
        print(f"wrote the mitigated package to {args.write_package}")
    return EXIT_OK


def _same_place(a, b) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _mitigate_text(res) -> str:
    s = res.summary
    what = {"spof": "pairs", "budget": "pairs", "survive": "capability-scenario pairs"}
    if s["verified"]:
        check = "verified by re-running the analyses"
    elif not s["feasible"]:
        check = (f"NOT verified: the goal cannot hold ({s['unbreakable']} pair(s) no "
                 f"candidate can remove); every other pair is removed, re-checked")
    else:
        check = "NOT verified"
    lines = [f"goal {s['goal']}: {s['status']}, {check}",
             f"plan: {s['actions']} action(s), total cost {s['cost']:g}; "
             f"{s['targets_met']} of {s['targets']} {what[s['goal']]} removed"]
    bound = "upper" if s["goal"] == "budget" else "lower"
    lines.append(f"objective {s['objective']:g}, {bound} bound {s['bound']:g}, "
                 f"LP bound {s['lp_bound']:g}, gap {100 * s['gap']:.2f}% "
                 f"({s['iterations']} MILP solve(s), {s['cuts']} cut(s), "
                 f"{s['checks']} verification(s))")
    for row in res.plan.itertuples():
        lines.append(f"    {row.action_id} {row.kind} {row.component_id}: cost {row.cost:g}, "
                     f"removes {row.removes_count}")
    if s["unbreakable"]:
        lines.append(f"INFEASIBLE: {s['unbreakable']} pair(s) no candidate action can "
                     f"remove (all in residual_risk.csv):")
        u = res.unbreakable
        for row in u.head(_SHOWN).itertuples(index=False):
            lines.append(f"    {row[0]} {row[1]}")
        if len(u) > _SHOWN:
            lines.append(f"    ... and {len(u) - _SHOWN} more")
    return "\n".join(lines)


def _cmd_allocate(args) -> int:
    from riskgraph.analyses.allocation import allocate
    from riskgraph.io.export import check_output_dir, write_outputs

    check_output_dir(args.out, package_dir=args.package)
    net = load_network_for(args)
    scenarios = _pick_scenarios(args.scenarios, [args.scenario] if args.scenario else [], net)
    if not scenarios:
        raise CliUsage(f"{args.scenarios} holds no scenario")
    scenario = scenarios[0]
    res = allocate(net, scenario, objective=args.objective)
    params = {"scenario": scenario.to_dict(), "objective": args.objective,
              "scenario_file": args.scenarios, "ownership": net.ownership}
    out = write_outputs(args.out, res.tables(), command="allocate", package=net.package,
                        parameters=params)
    print(res.text())
    print(f"\nwrote {len(res.tables())} tables and manifest.json to {out}")
    return EXIT_OK
