"""The interchange commands: import (public sources → package), export (Open-PSA, GraphML,
GEXF) and diff (what changed between two packages or two analyse folders)."""

from __future__ import annotations

import sys

from riskgraph.cli.common import (
    CliUsage, add_cache_arguments, add_package_arguments, open_cache, print_warnings,
)
from riskgraph.errors import EXIT_OK

IMPORT_SOURCES = ("sipri", "usgs", "openpsa", "willems")


def register(sub) -> None:
    """Add this module's commands to the subparsers ``sub``."""
    _add_import(sub)
    _add_export(sub)
    _add_diff(sub)


# --------------------------------------------------------------------------- import

def _add_import(sub) -> None:
    p = sub.add_parser(
        "import", help="turn a public source file into a data package (sipri, usgs, "
                       "openpsa, willems)",
        description="Write a validated data package (plus SOURCES.md citing the input) "
                    "from a SIPRI trade register, USGS Mineral Commodity Summaries "
                    "production data, an Open-PSA fault tree or a Willems (2008) chain. "
                    "Nothing is written on error (exit 3).")
    p.add_argument("source", choices=IMPORT_SOURCES, help="what kind of file FILE is")
    p.add_argument("file", help="the source file")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="new folder for the package (must not exist or be empty)")
    g = p.add_argument_group("sipri and usgs: nations")
    g.add_argument("--alliance", action="append", default=None, metavar="NAME",
                   help="members of this alliance (NATO or EU; repeatable) are 'member' "
                        "(default NATO)")
    g.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                   help="membership date (default: 31 December of --to-year, else today)")
    g.add_argument("--others", default="neutral", metavar="ALIGNMENT",
                   help="alignment of every other nation (default neutral)")
    g.add_argument("--alignment", action="append", default=[], metavar="ISO=ALIGNMENT",
                   help="set one nation's alignment by hand, e.g. CHN=adversary "
                        "(repeatable)")
    g = p.add_argument_group("sipri")
    g.add_argument("--from-year", type=int, default=None, help="first year of order kept")
    g.add_argument("--to-year", type=int, default=None, help="last year of order kept")
    g = p.add_argument_group("usgs")
    g.add_argument("--into", default=None, metavar="PACKAGE",
                   help="merge the sourcing into this package's materials (matched by id "
                        "or name); the result goes to --out")
    g.add_argument("--match", action="append", default=[], metavar="COMMODITY=ID",
                   help="with --into: put COMMODITY's sourcing on component ID "
                        "(repeatable; overrides the automatic matching)")
    g.add_argument("--year", default=None,
                   help="production year to use (default: the latest in the file)")
    g = p.add_argument_group("openpsa and willems")
    g.add_argument("--nation", default="XXX", metavar="ID",
                   help="openpsa, willems and usgs without --into: the nation fielding "
                        "the platforms (default XXX, an ISO user-assigned code)")
    g.add_argument("--links", default=None, metavar="FILE",
                   help="willems: the link list CSV (default: FILE with _SD replaced by "
                        "_LL)")
    p.add_argument("--verbose", action="store_true", help="print every warning")
    p.add_argument("--warnings", metavar="FILE", default=None,
                   help="also write every warning to FILE")
    p.set_defaults(run=_cmd_import)


def _pair(item: str, option: str, form: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise CliUsage(f"{option} {item!r}: expected {form}")
    return key.strip(), value.strip()


def _alliances(args):
    from riskgraph.importers.common import Alliances

    overrides = dict(_pair(item, "--alignment", "ISO=ALIGNMENT, e.g. CHN=adversary")
                     for item in args.alignment)
    studied = [a for item in (args.alliance or ["NATO"]) for a in item.split(",")]
    as_of = args.as_of or (f"{args.to_year}-12-31" if args.to_year else None)
    return Alliances(studied, as_of=as_of, others=args.others, overrides=overrides)


def _importer(args):
    """The import to run, as a call with its options."""
    import importlib

    from riskgraph.importers import SOURCES

    module = importlib.import_module(SOURCES[args.source])
    if args.source == "sipri":
        return lambda: module.import_sipri(args.file, from_year=args.from_year,
                                           to_year=args.to_year, alliances=_alliances(args))
    if args.source == "usgs":
        match = dict(_pair(item, "--match", "COMMODITY=ID") for item in args.match)
        return lambda: module.import_usgs(args.file, into=args.into, year=args.year,
                                          nation=args.nation, alliances=_alliances(args),
                                          match=match)
    if args.source == "openpsa":
        return lambda: module.import_openpsa(args.file, nation=args.nation)
    return lambda: module.import_willems(args.file, links=args.links, nation=args.nation)


def _cmd_import(args) -> int:
    from riskgraph.importers import write_import

    only = {"sipri": ("from_year", "to_year"), "usgs": ("into", "year")}
    if args.match and args.into is None:
        raise CliUsage("--match applies with 'usgs --into PACKAGE' only")
    for source, names in only.items():
        for name in names:
            if getattr(args, name) is not None and args.source != source:
                raise CliUsage(f"--{name.replace('_', '-')} applies to '{source}' only")
    if args.from_year and args.to_year and args.from_year > args.to_year:
        raise CliUsage("--from-year is after --to-year")
    result = _importer(args)()
    print_warnings(result.report.warnings, args)
    command = "riskgraph " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["import"] else \
        f"riskgraph import {args.source} {args.file} --out {args.out}"
    out = write_import(result, args.out, command=command)
    print(result.summary())
    for note in result.notes:
        print(f"  {note}")
    print(f"wrote a data package to {out} (with SOURCES.md and manifest.json)")
    return EXIT_OK


# --------------------------------------------------------------------------- export

def _add_export(sub) -> None:
    p = sub.add_parser("export", help="write a package for other tools: an Open-PSA fault "
                                      "tree, GraphML or GEXF")
    p.add_argument("format", choices=("openpsa", "graphml", "gexf"))
    add_package_arguments(p)
    p.add_argument("--out", required=True, metavar="FILE", help="file to write")
    p.add_argument("--capability", default=None, metavar="ID",
                   help="openpsa: the capability (NATION/PLATFORM or capability:...)")
    p.set_defaults(run=_cmd_export)


def _cmd_export(args) -> int:
    from riskgraph.cli.common import load_network_for

    if args.format == "openpsa" and not args.capability:
        raise CliUsage("export openpsa needs --capability NATION/PLATFORM")
    if args.format != "openpsa" and args.capability:
        raise CliUsage("--capability applies to 'export openpsa' only")
    net = load_network_for(args)
    if args.format == "openpsa":
        from riskgraph.interchange.openpsa import write_fault_tree

        info = write_fault_tree(net, args.capability, args.out)
        print(f"wrote the fault tree of {info['capability']} to {args.out}: "
              f"{info['basic_events']:,} basic events, {info['gates']:,} gates")
    else:
        from riskgraph.interchange.graphs import write_graph

        info = write_graph(net, args.out, fmt=args.format)
        print(f"wrote {args.format} to {args.out}: {info['nodes']:,} nodes, "
              f"{info['edges']:,} edges")
    return EXIT_OK


# --------------------------------------------------------------------------- diff

def _add_diff(sub) -> None:
    p = sub.add_parser("diff", help="what changed between two packages (or two analyse "
                                    "output folders), and what it did to the risks")
    p.add_argument("old", help="the old package (or analyse output folder)")
    p.add_argument("new", help="the new package (or analyse output folder)")
    p.add_argument("--out", default=None, metavar="DIR", help="write the diff tables here")
    p.add_argument("--threshold", type=float, default=0.01,
                   help="report exposure and register score changes above this "
                        "(default 0.01)")
    p.add_argument("--scenario", default=None, metavar="TOML",
                   help="time to impact under these scenarios (default: each failure "
                        "point's baseline recovery)")
    p.add_argument("--no-ownership", action="store_true", help="ignore owner_nation_id")
    add_cache_arguments(p)
    p.add_argument("--verbose", action="store_true", help="print every warning")
    p.add_argument("--warnings", metavar="FILE", default=None,
                   help="also write every warning to FILE")
    p.set_defaults(run=_cmd_diff)


def _cmd_diff(args) -> int:
    from riskgraph.analyses.diff import diff_folders

    from pathlib import Path

    if not args.threshold >= 0:
        raise CliUsage("--threshold must be a number >= 0")
    if args.out and any(Path(args.out).resolve() == Path(p).resolve()
                        for p in (args.old, args.new)):
        raise CliUsage("--out must not be OLD or NEW: choose a new folder")
    result = diff_folders(args.old, args.new, threshold=args.threshold,
                          scenarios=args.scenario, ownership=not args.no_ownership,
                          cache=open_cache(args))
    print_warnings(result.warnings, args)
    print(result.text())
    if args.out:
        from riskgraph.io.export import write_outputs

        write_outputs(args.out, result.tables(),
                      command="riskgraph " + " ".join(sys.argv[1:]),
                      parameters={"old": args.old, "new": args.new,
                                  "threshold": args.threshold, "scenario": args.scenario})
        print(f"wrote {len(result.tables())} tables to {args.out}")
    return EXIT_OK
