"""Running the dashboard: ``riskgraph dashboard [PACKAGE] [--host H] [--port P] [--auth U:P]
[--workers N] [--threads T] [--max-request-mb M] [--max-nodes N]``.

:func:`serve` is what the CLI calls. Secure defaults: it binds 127.0.0.1; any other
address needs ``--auth user:password`` (HTTP basic auth on every request) or it refuses
with exit status 2; debug mode and Dash's dev tools are off whatever ``DASH_DEBUG``,
``FLASK_DEBUG``, ``HOST`` or ``PORT`` say (host and port come only from the arguments);
request bodies are capped (see :mod:`.auth`). It serves with waitress, a production WSGI
server in pure Python: ``--workers`` processes (default one) on one listening socket, each
answering with ``--threads`` threads (Werkzeug's development server is never used). Put a
TLS-terminating proxy in front of it when it is reachable from a network, since basic auth
sends the password with every request (SECURITY.md).
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from riskgraph.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE

from .auth import SERVER_NAME, is_loopback, parse_auth, security_headers

__all__ = ["serve", "default_packages", "make_server", "return_large_blocks",
           "DEFAULT_THREADS", "DEFAULT_WORKERS", "EXIT_OK",
           "EXIT_USAGE", "EXIT_INVALID"]

#: Request threads of each server process: enough for a team of planners (each callback
#: holds one only while it runs; long work runs in a child process).
DEFAULT_THREADS = 8
#: Server processes (``--workers``): one holds everything in one place; more use more
#: cores (each has its own copy of the analyses in memory).
DEFAULT_WORKERS = 1

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
          max_request_mb: float | None = None, workers: int = DEFAULT_WORKERS,
          threads: int = DEFAULT_THREADS, max_nodes: int | None = None) -> int:
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
    workers
        Server processes sharing the port (each with ``threads`` request threads); more
        than one needs ``fork``-free process start-up and uses one core each.
    threads
        Request threads of each process.
    max_nodes
        Largest uploaded package accepted, in nodes (default
        :data:`~.uploads.DEFAULT_MAX_NODES`).

    Returns
    -------
    int
        0 after a clean stop, 2 for a usage problem (non-loopback host without auth, bad
        ``--auth``, bad port or limits, missing package folder, port in use), 3 when the
        first package is invalid.
    """
    problem, credentials = _check_options(host, port, auth, workers, threads,
                                          max_request_mb, max_nodes)
    if problem:
        return _fail(problem, EXIT_USAGE)
    paths = default_packages(packages or ())
    problem = _check_packages(paths)
    if problem:
        return _fail(problem, EXIT_USAGE)
    problem = _check_first_package(paths[0])
    if problem:
        return _fail(problem, EXIT_INVALID)

    from .app import DEFAULT_MAX_REQUEST_BYTES, create_app
    from .state import CONFIG_KEY

    return_large_blocks()

    limit = DEFAULT_MAX_REQUEST_BYTES if max_request_mb is None \
        else int(float(max_request_mb) * 2**20)
    if workers > 1:
        spec = dict(packages=[str(p) for p in paths], auth=credentials, limit=limit,
                    max_nodes=max_nodes, threads=threads)
        return _serve_processes(spec, host, port, workers)
    app = create_app([str(p) for p in paths], auth=credentials, max_request_bytes=limit,
                     max_nodes=max_nodes)
    workspace = app.server.config[CONFIG_KEY]
    try:
        server = make_server(app.server.wsgi_app, host, port, threads=threads,
                             max_request_bytes=limit)
    except OSError as err:
        workspace.close()
        return _fail(f"cannot listen on {host}:{port}: {err.strerror or err}", EXIT_USAGE)

    shown = f"[{host}]" if ":" in host else host
    print(f"riskgraph dashboard on http://{shown}:{server.effective_port}/ — package "
          f"{paths[0]}{' (basic auth on)' if credentials else ''}; 1 process, {threads} "
          "thread(s); Ctrl+C to stop", file=sys.stderr, flush=True)
    _serve_until_stopped(server, workspace)
    return EXIT_OK


def return_large_blocks() -> bool:
    """Make glibc's malloc give large blocks back to the system when freed.

    By default glibc raises its mmap threshold after each large block is freed, so later
    request bodies and JSON strings of a few MiB land in the heaps of the server's request
    threads and stay there: six concurrent 72 MiB posts left the server 660 MiB larger.
    A fixed threshold (128 KiB) and two arenas keep it flat. Returns whether it applied
    (glibc only; elsewhere nothing changes).
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(name)
        m_mmap_threshold, m_arena_max = -3, -8
        return bool(libc.mallopt(m_mmap_threshold, 128 * 1024)) and \
            bool(libc.mallopt(m_arena_max, 2))
    except (OSError, AttributeError):
        return False


def make_server(wsgi, host: str | None, port: int | None, *,
                threads: int = DEFAULT_THREADS, max_request_bytes: int, sockets=None):
    """A waitress server for ``wsgi`` (not started: call ``run()``; ``close()`` stops it).

    Its ``Server`` header names no version, bodies over ``max_request_bytes`` are refused
    (413) from their ``Content-Length`` before they are read, and its own error answers
    carry the same security headers as the app's.

    ``sockets``: listening sockets to serve instead of binding ``host`` and ``port`` (the
    worker processes of :func:`serve` share the one their parent bound).

    Raises
    ------
    OSError
        When the address cannot be bound (e.g. the port is in use).
    """
    from waitress.server import create_server

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" noise
    where = dict(sockets=sockets) if sockets else dict(host=host, port=port)
    server = create_server(
        wsgi, **where, threads=int(threads), ident=SERVER_NAME,
        max_request_body_size=int(max_request_bytes), channel_timeout=60,
        connection_limit=200, clear_untrusted_proxy_headers=True, expose_tracebacks=False)
    server.channel_class = _channel_class()
    return server


def _channel_class():
    """waitress's connection class whose error answers (400, 413, 500 ...) carry
    :func:`~.auth.security_headers`."""
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class GuardedErrorTask(ErrorTask):
        def execute(self):  # ErrorTask.execute, plus our headers before the body is written
            status, headers, body = self.request.error.to_response(
                self.channel.server.adj.ident)
            self.status = status
            self.response_headers.extend(headers)
            self.response_headers.extend(security_headers())
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class GuardedChannel(HTTPChannel):
        error_task_class = GuardedErrorTask

    return GuardedChannel


def _serve_processes(spec: dict, host: str, port: int, workers: int) -> int:
    """Bind once, run ``workers`` server processes on that socket (restarting any that
    dies) until Ctrl+C or SIGTERM, then stop them, any Monte Carlo job and the shared
    work folder. They share the work folder, so uploads, the job slot and background
    results are seen by all."""
    import multiprocessing
    import shutil
    import socket
    import tempfile
    import time

    from .state import JobGate

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host.strip("[]"), port), family=family, backlog=1024)
    except OSError as err:
        return _fail(f"cannot listen on {host}:{port}: {err.strerror or err}", EXIT_USAGE)
    spec["work_dir"] = tempfile.mkdtemp(prefix="riskgraph-dashboard-")
    ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads

    def start():
        proc = ctx.Process(target=_worker, args=(sock, spec), name="riskgraph-worker")
        proc.start()
        proc.started_at = time.monotonic()
        return proc

    procs = [start() for _ in range(workers)]
    shown = f"[{host}]" if ":" in host else host
    print(f"riskgraph dashboard on http://{shown}:{sock.getsockname()[1]}/ — package "
          f"{spec['packages'][0]}{' (basic auth on)' if spec['auth'] else ''}; {workers} "
          f"processes of {spec['threads']} thread(s); Ctrl+C to stop",
          file=sys.stderr, flush=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    status = EXIT_OK
    try:
        status = _supervise(procs, start)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(20)
            if proc.is_alive():
                proc.kill()
        sock.close()
        _stop_job_of(JobGate(Path(spec["work_dir"]) / "jobs"))
        shutil.rmtree(spec["work_dir"], ignore_errors=True)
    return status


def _supervise(procs: list, start) -> int:
    """Start a new worker for each that ends; 1 when they keep ending within a minute of
    starting (a crash at start-up would otherwise loop for ever)."""
    import time

    quick = 0
    while True:
        time.sleep(1.0)
        for i, proc in enumerate(procs):
            if proc.is_alive():
                continue
            quick = quick + 1 if time.monotonic() - proc.started_at < 60 else 0
            if quick >= 3 * len(procs):
                print("riskgraph dashboard: the worker processes keep failing as they "
                      "start (see above); stopping", file=sys.stderr, flush=True)
                return 1
            print(f"riskgraph dashboard: worker {proc.pid} ended ({proc.exitcode}); "
                  "starting another", file=sys.stderr, flush=True)
            procs[i] = start()


def _worker(sock, spec: dict) -> None:  # pragma: no cover - runs in a worker process
    """One server process of :func:`_serve_processes`: the app on the shared socket."""
    from .app import create_app
    from .state import CONFIG_KEY

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    return_large_blocks()
    app = create_app(spec["packages"], auth=spec["auth"], work_dir=spec["work_dir"],
                     max_request_bytes=spec["limit"], max_nodes=spec["max_nodes"])
    server = make_server(app.server.wsgi_app, None, None, threads=spec["threads"],
                         max_request_bytes=spec["limit"], sockets=[sock])
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.server.config[CONFIG_KEY].close()


def _check_options(host, port, auth, workers, threads, max_request_mb, max_nodes):
    """``(problem, credentials)``: what is wrong with the listening and limit options
    (None when nothing is) and the parsed ``--auth``."""
    problem = _check_listen(host, port)
    if problem:
        return problem, None
    for value, name, hi in ((workers, "--workers", 64), (threads, "--threads", 256),
                            (max_nodes, "--max-nodes", 10**8)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 1 <= value <= hi):
            return f"{name} must be a whole number from 1 to {hi:,}, got {value!r}", None
    if max_request_mb is not None and not (isinstance(max_request_mb, (int, float))
                                           and 0 < max_request_mb <= 4096):
        return f"--max-request-mb must be from 0 to 4096, got {max_request_mb!r}", None
    credentials = None
    if auth is not None:
        try:
            credentials = parse_auth(auth) if isinstance(auth, str) else parse_auth(
                ":".join(auth))
        except (ValueError, TypeError) as err:
            return str(err), None
    if not is_loopback(host) and credentials is None:
        return (f"refusing to listen on {host!r} without authentication: anyone who can "
                "reach it could read the data. Add --auth user:password (and put TLS in "
                "front), or keep the default --host 127.0.0.1."), None
    return None, credentials


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
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
        _stop_job(workspace)
        workspace.close()


def _stop_job(workspace) -> None:
    """Kill a Monte Carlo job still running when the server stops."""
    _stop_job_of(workspace.gate)


def _stop_job_of(gate) -> None:
    import psutil

    holder = gate.holder()
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
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--max-request-mb", type=float, default=None)
    parser.add_argument("--max-nodes", type=int, default=None)
    args = parser.parse_args()
    sys.exit(serve(args.packages, host=args.host, port=args.port, auth=args.auth,
                   workers=args.workers, threads=args.threads,
                   max_request_mb=args.max_request_mb,
                   max_nodes=args.max_nodes))
