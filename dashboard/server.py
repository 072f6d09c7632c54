"""Running the dashboard: ``riskgraph dashboard [PACKAGE] [--host H] [--port P] [--auth U:P]``.

:func:`serve` is what the CLI calls. Secure defaults: it binds 127.0.0.1; any other
address needs ``--auth user:password`` (HTTP basic auth on every request) or it refuses
with exit status 2; debug mode and Dash's dev tools are off whatever ``DASH_DEBUG``,
``FLASK_DEBUG``, ``HOST`` or ``PORT`` say (host and port come only from the arguments);
request bodies are capped. It serves with Werkzeug's threaded server, which is fine for a
team on one machine or a small intranet; put a TLS-terminating proxy in front of it when
it is reachable from a network, since basic auth sends the password with every request.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from riskgraph.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE

from .auth import is_loopback, parse_auth

__all__ = ["serve", "default_packages", "EXIT_OK", "EXIT_USAGE", "EXIT_INVALID"]

_REPO_DATA = Path(__file__).resolve().parents[1] / "data"


def _is_package(path: Path) -> bool:
    return path.is_dir() and (path / "nations.csv").is_file()


def default_packages(packages=()) -> list[Path]:
    """The packages to offer: those given, then every package folder under the source
    tree's ``data/`` (when running from a checkout), without duplicates."""
    out: list[Path] = [Path(p) for p in packages]
    if _REPO_DATA.is_dir():
        for child in sorted(_REPO_DATA.iterdir()):
            if _is_package(child) and all(child.resolve() != p.resolve() for p in out):
                out.append(child)
    return out


def _fail(message: str, status: int) -> int:
    print(f"riskgraph dashboard: {message}", file=sys.stderr)
    return status


def serve(packages, *, host: str = "127.0.0.1", port: int = 8050, auth=None,
          max_request_mb: float | None = None) -> int:
    """Run the dashboard until interrupted; returns the exit status.

    Parameters
    ----------
    packages
        Package folders (the first is shown first); empty: the bundled sample(s).
    host, port
        Where to listen. A host other than localhost / a loopback address requires
        ``auth``.
    auth
        ``"user:password"`` (or a ``(user, password)`` pair): HTTP basic auth on every
        route, assets and callbacks included.
    max_request_mb
        Largest request body accepted, in MiB (default 80: a 50 MiB upload, base64).

    Returns
    -------
    int
        0 after a clean stop, 2 for a usage problem (non-loopback host without auth, bad
        ``--auth``, bad port, missing package folder, port in use), 3 when the first
        package is invalid.
    """
    from werkzeug.serving import make_server

    problem = _check_listen(host, port)
    if problem:
        return _fail(problem, EXIT_USAGE)
    credentials = None
    if auth is not None:
        try:
            credentials = parse_auth(auth) if isinstance(auth, str) else parse_auth(
                ":".join(auth))
        except (ValueError, TypeError) as err:
            return _fail(str(err), EXIT_USAGE)
    if not is_loopback(host) and credentials is None:
        return _fail(
            f"refusing to listen on {host!r} without authentication: anyone who can reach "
            "it could read the data. Add --auth user:password (and put TLS in front), or "
            "keep the default --host 127.0.0.1.", EXIT_USAGE)
    paths = default_packages(packages or ())
    problem = _check_packages(paths)
    if problem:
        return _fail(problem, EXIT_USAGE)
    problem = _check_first_package(paths[0])
    if problem:
        return _fail(problem, EXIT_INVALID)

    from .app import DEFAULT_MAX_REQUEST_BYTES, create_app
    from .state import CONFIG_KEY

    limit = DEFAULT_MAX_REQUEST_BYTES if max_request_mb is None \
        else int(float(max_request_mb) * 2**20)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app([str(p) for p in paths], auth=credentials, max_request_bytes=limit)
    workspace = app.server.config[CONFIG_KEY]
    try:
        server = make_server(host, port, app.server, threaded=True)
    except OSError as err:
        workspace.close()
        return _fail(f"cannot listen on {host}:{port}: {err.strerror or err}", EXIT_USAGE)

    shown = f"[{host}]" if ":" in host else host
    print(f"riskgraph dashboard on http://{shown}:{server.server_port}/ — package "
          f"{paths[0]}{' (basic auth on)' if credentials else ''}; Ctrl+C to stop",
          file=sys.stderr, flush=True)
    _serve_until_stopped(server, workspace)
    return EXIT_OK


def _check_listen(host, port) -> str | None:
    """What is wrong with ``--host`` / ``--port`` (None when both are usable)."""
    if not isinstance(host, str) or not host.strip():
        return "--host must be a host name or address"
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        return f"--port must be a whole number from 0 to 65535, got {port!r}"
    return None


def _check_packages(paths: list[Path]) -> str | None:
    """What is wrong with the package folders to serve (None when they all exist)."""
    if not paths:
        return ("no data package given and no bundled sample found; run "
                "'riskgraph dashboard PACKAGE_FOLDER'")
    for path in paths:
        if not path.is_dir():
            return f"package folder {str(path)!r} does not exist"
    return None


def _check_first_package(path: Path) -> str | None:
    """Validate the package shown first; prints its report and returns the message when
    it is invalid (None when it is valid)."""
    import riskgraph

    report = riskgraph.validate_package(path)
    if report.ok:
        return None
    print(str(report), file=sys.stderr)
    return (f"{path} is not a valid package ({len(report.errors)} problem(s) "
            "above); fix it or run 'riskgraph validate' for details")


def _serve_until_stopped(server, workspace) -> None:
    """Serve until Ctrl+C or SIGTERM, then close the server, any Monte Carlo job and the
    workspace."""
    def stop(signum, frame):  # SIGTERM: stop like Ctrl+C, so the clean-up below runs
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        _stop_job(workspace)
        workspace.close()


def _stop_job(workspace) -> None:
    """Kill a Monte Carlo job still running when the server stops."""
    import psutil

    holder = workspace.gate.holder()
    pid = holder.get("pid") if holder else None
    if pid:
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass


if __name__ == "__main__":  # pragma: no cover - `python -m riskgraph_dashboard.server`
    import argparse

    parser = argparse.ArgumentParser(prog="python -m riskgraph_dashboard.server")
    parser.add_argument("packages", nargs="*")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--auth", default=None, metavar="USER:PASSWORD")
    args = parser.parse_args()
    sys.exit(serve(args.packages, host=args.host, port=args.port, auth=args.auth))
