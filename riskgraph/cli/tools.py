"""The tool commands: dashboard and generate."""

from __future__ import annotations

from riskgraph.cli.common import CliUsage
from riskgraph.errors import EXIT_OK


def register(sub) -> None:
    """Add this module's commands to the subparsers ``sub``."""
    _add_dashboard(sub)
    _add_generate(sub)


def _add_dashboard(sub) -> None:
    p = sub.add_parser("dashboard", help="start the planners' dashboard (http://127.0.0.1:8050)")
    p.add_argument("package", nargs="*", help="package folder(s) to offer (default: the "
                                              "bundled sample)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; any other needs --auth)")
    p.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    p.add_argument("--auth", default=None, metavar="USER:PASSWORD",
                   help="HTTP basic auth on every route (required off loopback)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="server processes sharing the port, one core each (default 1)")
    p.add_argument("--threads", type=int, default=8, metavar="T",
                   help="request threads of each server process (default 8)")
    p.add_argument("--max-request-mb", type=float, default=None, metavar="MB",
                   help="largest request body accepted, in MiB (default 80: a 50 MiB "
                        "upload, base64-encoded)")
    p.add_argument("--max-nodes", type=int, default=None, metavar="N",
                   help="largest uploaded package analysed, in nodes (default 50,000)")
    p.set_defaults(run=_cmd_dashboard)


def _add_generate(sub) -> None:
    p = sub.add_parser("generate", help="write a synthetic data package for benchmarks")
    p.add_argument("--nodes", type=int, required=True, help="approximate node count (>= 200)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the CSVs to")
    p.add_argument("--defects", action="store_true",
                   help="leave some components' shares summing below 1 (baseline "
                        "shortfalls, each a validation warning), as real data often do")
    p.add_argument("--force", action="store_true",
                   help="overwrite the CSV files of a non-empty folder that riskgraph "
                        "generate did not write (e.g. a real package)")
    p.set_defaults(run=_cmd_generate)


def _cmd_dashboard(args) -> int:
    from riskgraph_dashboard.server import serve

    return serve(args.package, host=args.host, port=args.port, auth=args.auth,
                 workers=args.workers, threads=args.threads,
                 max_request_mb=args.max_request_mb,
                 max_nodes=args.max_nodes)


def _cmd_generate(args) -> int:
    import os
    from pathlib import Path

    from riskgraph.io.export import check_output_dir
    from riskgraph.io.outdir import build_folder
    from riskgraph.io.synthetic import MARKER, generate_package, is_generated

    out = Path(args.out)
    check_output_dir(out)  # a read-only or misplaced --out fails before generating
    if out.is_dir():
        try:
            present = sorted(os.listdir(out))
        except OSError as exc:
            raise CliUsage(f"cannot list {out}: {exc.strerror or exc}") from None
        if present and not args.force and not is_generated(out):
            shown = ", ".join(present[:8]) + (f", ... ({len(present)} in all)"
                                              if len(present) > 8 else "")
            raise CliUsage(f"{out} is not empty and was not written by riskgraph generate "
                           f"(no {MARKER}; it holds {shown}): choose a new or empty folder, "
                           "or pass --force to overwrite its CSV files with synthetic ones")
    # built whole beside --out and swapped in: a full disk or a kill leaves the folder as it was
    build_folder(out, lambda folder: generate_package(folder, nodes=args.nodes, seed=args.seed,
                                                      defects=args.defects))
    print(f"wrote a synthetic package of about {args.nodes:,} nodes (seed {args.seed}) to {out}")
    return EXIT_OK
