"""The sovereignty command (docs/design.md §4.9): what a nation or coalition fields alone
when everyone outside fails and refuses licences, who controls the rest, and the data
gaps behind the answer (§3.5)."""

from __future__ import annotations

from riskgraph.cli.common import CliUsage, add_package_arguments, load_network_for
from riskgraph.errors import EXIT_OK

#: Lines of a list printed before "... and N more".
_SHOWN = 15


def register(sub) -> None:
    """Add this module's commands to the subparsers ``sub``."""
    p = sub.add_parser("sovereignty", help="what a nation or coalition can field alone when "
                                           "everyone outside fails and vetoes; who controls "
                                           "the rest")
    add_package_arguments(p)
    p.add_argument("--coalition", metavar="TAG|N1,N2",
                   help="an alliances tag (EU, NATO) or comma-separated nation ids")
    p.add_argument("--nation", metavar="NATION", help="one nation alone")
    p.add_argument("--regime", default="ITAR", metavar="REGIME",
                   help="control regime of the 'free_of_regime' column (default ITAR)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for coalition_survivability.csv, foreign_control.csv, "
                        "findings_confidence.csv, data_gaps.csv and manifest.json")
    p.set_defaults(run=_cmd_sovereignty)


def _cmd_sovereignty(args) -> int:
    from riskgraph.analyses.sovereignty import (coalition_members, coalition_survivability,
                                                foreign_control)
    from riskgraph.io.export import check_output_dir, write_outputs

    if (args.coalition is None) == (args.nation is None):
        raise CliUsage("give exactly one of --coalition TAG|N1,N2 and --nation NATION")
    check_output_dir(args.out, package_dir=args.package)
    net = load_network_for(args)
    coalition = args.coalition if args.nation is None else [args.nation]
    label, members = coalition_members(net, coalition)  # bad coalition: exit 3, no file
    surv = coalition_survivability(net, coalition)
    control = foreign_control(net, coalition=coalition, regime=args.regime)
    tables = {"coalition_survivability.csv": surv.reset_index(),
              "foreign_control.csv": control.reset_index()}
    tables.update(_confidence_tables(net))
    out = write_outputs(args.out, tables, command="sovereignty", package=net.package,
                        parameters={"coalition": label, "members": members,
                                    "regime": args.regime})
    _print(label, members, surv, control, args.regime)
    print(f"\nwrote {len(tables)} tables and manifest.json to {out}")
    return EXIT_OK


def _confidence_tables(net) -> dict:
    try:
        from riskgraph.analyses.confidence import confidence_tables
    except ImportError:  # pragma: no cover - the confidence module is optional here
        return {}
    return confidence_tables(net)


def _print(label, members, surv, control, regime) -> None:
    up = surv[surv["up"]]
    lost = surv[~surv["up"]]
    shown = ", ".join(members[:12]) + (f", ... ({len(members)})" if len(members) > 12 else "")
    print(f"coalition {label} ({shown}): everyone outside fails and refuses licences")
    print(f"  {len(up)} of {len(surv)} capabilities survive; mean supply "
          f"{surv['supply_fraction'].mean():.0%} of baseline" if len(surv) else
          "  no member fields a capability")
    for cap, row in list(lost.iterrows())[:_SHOWN]:
        need = row["needs_nations"] or "nothing outside brings it back"
        print(f"    lost {cap.split(':', 1)[1]}: needs {need}")
    if len(lost) > _SHOWN:
        print(f"    ... and {len(lost) - _SHOWN} more (coalition_survivability.csv)")
    vetoed = control[control["vetoed_by"] != ""]
    print(f"  {len(vetoed)} capabilities can be stopped by one nation's licence refusal; "
          f"{int(control['free_of_regime'].sum())} of {len(control)} are {regime}-free")
    for cap, row in list(vetoed.iterrows())[:_SHOWN]:
        print(f"    {cap.split(':', 1)[1]}: veto by {row['vetoed_by']}")
    if len(vetoed) > _SHOWN:
        print(f"    ... and {len(vetoed) - _SHOWN} more (foreign_control.csv)")
