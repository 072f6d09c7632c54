"""Load and soak test of the dashboard as served by ``riskgraph dashboard`` (waitress).

Starts the server on 127.0.0.1 in a subprocess, then runs N concurrent sessions, each
posting the What-if page's real ``/_dash-update-component`` request (a random failure
point down for a random number of days) about ``--rate`` times a second, for
``--seconds``; it stops early after ``--max-requests``. It reports latency percentiles,
errors (any status but 200, any exception or time-out) and the server's memory (RSS of
its main process, sampled each second).

Modes::

    python bench/load.py --sessions 25 --seconds 60          # issue 11: p95 <= 400 ms
    python bench/load.py --sessions 50 --seconds 60          # p95 <= 1 s, no errors
    python bench/load.py --sessions 25 --seconds 60 --montecarlo
        # while a Monte Carlo job runs; a second job must be refused as busy within 0.5 s
    python bench/load.py --sessions 25 --seconds 600 --soak  # memory growth after warm-up
    python bench/load.py --sessions 5 --seconds 5            # the smoke run of `make test`

``--json`` prints the figures as JSON (the smoke test reads them). The machine these run
on matters: record it with the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "allied-defence"
RUN = "wi-run.n_clicks"  # the What-if page's Run button
MC_RUN = "mc-run.n_clicks"
MC_TICKET = "mc-ticket.data"


# ------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(package: Path, workers: int, log: Path, timeout: float = 120.0,
                 threads: int = 8):
    """``(process, url)`` of a dashboard serving ``package``, once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "riskgraph_dashboard.server", str(package), "--port",
           str(port), "--workers", str(workers), "--threads", str(threads)]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')}")
        try:
            urllib.request.urlopen(url + "/_dash-layout", timeout=5).close()
            return proc, url
        except OSError:
            if time.time() > deadline:
                stop_server(proc)
                raise RuntimeError("server did not start")
            time.sleep(0.3)


def stop_server(proc) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=20)


# ------------------------------------------------------------------- requests


def callback_body(deps: list, trigger: str, values: dict) -> dict:
    """The JSON body the browser posts for the callback fired by ``trigger``
    (``"id.property"``), with ``values`` for its inputs and states (None elsewhere)."""
    cb = next(c for c in deps if any(f"{i['id']}.{i['property']}" == trigger
                                     for i in c["inputs"]))
    out = cb["output"]
    parts = out[2:-2].split("...") if out.startswith("..") else [out]
    outputs = [dict(zip(("id", "property"), p.split(".", 1))) for p in parts]

    def fill(items):
        return [{"id": i["id"], "property": i["property"],
                 "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    return {"output": out, "outputs": outputs if out.startswith("..") else outputs[0],
            "inputs": fill(cb["inputs"]), "state": fill(cb["state"]),
            "changedPropIds": [trigger]}


def fetch_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def failure_points(package: Path) -> list[str]:
    with open(package / "suppliers.csv", newline="", encoding="utf-8") as fh:
        return [f"supplier:{row['supplier_id']}" for row in csv.DictReader(fh)]


def whatif_values(point: str, days: float) -> dict:
    rows = [{"failure_point": point, "action": "fail", "days": days, "capacity": None}]
    return {RUN: 1, "wi-rows.rowData": rows, "wi-rows.virtualRowData": rows,
            "wi-name.value": "load test", "wi-horizon.value": 365,
            "wi-metric.value": "loss_fraction"}


class Client:
    """One keep-alive HTTP connection posting callback requests."""

    def __init__(self, url: str, timeout: float = 30.0):
        host, port = url.split("//", 1)[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)

    def post(self, body: dict) -> tuple[int, bytes]:
        data = json.dumps(body).encode()
        try:
            self.conn.request("POST", "/_dash-update-component", body=data,
                              headers={"Content-Type": "application/json"})
            r = self.conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect on the next request
            raise

    def close(self):
        self.conn.close()


# ------------------------------------------------------------------- the run


@dataclass
class Stats:
    latencies: list = field(default_factory=list)  # seconds, successful requests
    errors: list = field(default_factory=list)
    rss: list = field(default_factory=list)  # (seconds since start, bytes)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float | None, error: str | None = None):
        with self.lock:
            if error is None:
                self.latencies.append(seconds)
            else:
                self.errors.append(error)


def percentile(values, q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; NaN when empty.

    >>> percentile([1, 2, 3, 4], 50), percentile(range(1, 101), 95)
    (2, 95)
    """
    xs = sorted(values)
    if not xs:
        return float("nan")
    rank = max(1, -(-len(xs) * q // 100))
    return xs[int(rank) - 1]


def session(url, deps, points, deadline, rate, stats, budget, seed) -> None:
    """One user: a what-if about ``rate`` times a second until ``deadline``."""
    rng = random.Random(seed)
    client = Client(url)
    next_at = time.monotonic() + rng.random() / rate  # spread the sessions' starts
    try:
        while True:
            now = time.monotonic()
            if now >= deadline or not budget.take():
                return
            if next_at > now:
                time.sleep(next_at - now)
            next_at = max(next_at + 1 / rate, time.monotonic())
            body = callback_body(deps, RUN, whatif_values(rng.choice(points),
                                                          rng.choice([7, 30, 90, 180])))
            t0 = time.perf_counter()
            try:
                status, data = client.post(body)
            except (OSError, http.client.HTTPException) as err:
                stats.add(None, f"{type(err).__name__}: {err}")
                continue
            took = time.perf_counter() - t0
            if status != 200 or b"wi-summary" not in data:
                stats.add(None, f"status {status}: {data[:200]!r}")
            else:
                stats.add(took)
    finally:
        client.close()


class Budget:
    """At most ``n`` requests in all."""

    def __init__(self, n: int):
        self.left, self.lock = n, threading.Lock()

    def take(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left >= 0


def server_processes(pid: int, workers: int) -> list:
    """The server's process, and its worker processes when there are several (a Monte
    Carlo job or an upload check, children of those, is not counted)."""
    main = psutil.Process(pid)
    return [main] + (main.children() if workers > 1 else [])


def watch_memory(pid: int, workers: int, stats: Stats, stop: threading.Event,
                 every: float = 1.0):
    t0 = time.monotonic()
    while not stop.wait(every):
        try:
            rss = sum(p.memory_info().rss for p in server_processes(pid, workers))
        except psutil.NoSuchProcess:
            continue
        stats.rss.append((time.monotonic() - t0, rss))


def start_montecarlo(url: str, deps: list, trials: int) -> dict:
    """Admit a Monte Carlo job and start it (the page's two requests); a second admission
    is then timed: it must be refused as busy."""
    client = Client(url, timeout=60)
    try:
        values = {MC_RUN: 1, "mc-trials.value": trials, "mc-seed.value": 1}
        status, data = client.post(callback_body(deps, MC_RUN, values))
        ticket = json.loads(data)["response"]["mc-ticket"]["data"]
        assert status == 200 and ticket, data[:300]
        status, data = client.post(callback_body(deps, MC_TICKET, {MC_TICKET: ticket}))
        assert status == 200, data[:300]
        time.sleep(1.0)
        t0 = time.perf_counter()
        status, data = client.post(callback_body(deps, MC_RUN, values))
        refused_in = time.perf_counter() - t0
        busy = status == 200 and b"busy" in data
        return {"second_job_refused": busy, "refused_in_s": round(refused_in, 3)}
    finally:
        client.close()


def run(args) -> dict:
    """Size: one load run end to end (server, sessions, memory, figures)."""
    package = Path(args.package)
    log = Path(args.log)
    proc, url = start_server(package, args.workers, log, threads=args.threads)
    stats, stop = Stats(), threading.Event()
    try:
        deps = fetch_json(url + "/_dash-dependencies")
        points = failure_points(package)
        # warm the server's caches (the package's analyses) before timing
        warm = Client(url)
        warm.post(callback_body(deps, RUN, whatif_values(points[0], 30)))
        warm.close()
        monitor = threading.Thread(target=watch_memory,
                                   args=(proc.pid, args.workers, stats, stop), daemon=True)
        monitor.start()
        extra = {}
        if args.montecarlo:
            extra = start_montecarlo(url, deps, args.mc_trials)
        deadline = time.monotonic() + args.seconds
        budget = Budget(args.max_requests)
        threads = [threading.Thread(target=session, args=(url, deps, points, deadline,
                                                          args.rate, stats, budget, i))
                   for i in range(args.sessions)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + 120)
        wall = time.monotonic() - t0
        if args.montecarlo:
            busy_now = start_montecarlo_busy_check(url, deps, args.mc_trials)
            extra["job_still_running_at_end"] = busy_now
    finally:
        stop.set()
        cpu = _cpu_seconds(proc.pid, args.workers)
        stop_server(proc)
    return summarise(args, stats, wall, cpu, extra)


def start_montecarlo_busy_check(url, deps, trials) -> bool:
    """Whether the server still refuses a job as busy (the first job still runs)."""
    client = Client(url)
    try:
        values = {MC_RUN: 1, "mc-trials.value": trials, "mc-seed.value": 2}
        status, data = client.post(callback_body(deps, MC_RUN, values))
        return status == 200 and b"busy" in data
    finally:
        client.close()


def _cpu_seconds(pid: int, workers: int) -> float | None:
    try:
        times = [p.cpu_times() for p in server_processes(pid, workers)]
    except psutil.NoSuchProcess:
        return None
    return round(sum(t.user + t.system for t in times), 1)


def summarise(args, stats: Stats, wall: float, cpu, extra: dict) -> dict:
    lat = stats.latencies
    rss = [b for _, b in stats.rss]
    warm = [b for t, b in stats.rss if t <= args.warmup]
    after = [b for t, b in stats.rss if t > args.warmup]
    out = {
        "sessions": args.sessions, "seconds": args.seconds, "rate_per_session": args.rate,
        "workers": args.workers, "threads": args.threads, "requests": len(lat) + len(stats.errors),
        "errors": len(stats.errors), "first_errors": stats.errors[:5],
        "throughput_per_s": round((len(lat) + len(stats.errors)) / wall, 1),
        "p50_ms": round(percentile(lat, 50) * 1000), "p95_ms": round(percentile(lat, 95) * 1000),
        "p99_ms": round(percentile(lat, 99) * 1000),
        "max_ms": round(max(lat) * 1000) if lat else None,
        "server_cpu_s": cpu,
        "rss_start_mib": round(rss[0] / 2**20) if rss else None,
        "rss_peak_mib": round(max(rss) / 2**20) if rss else None,
        "rss_end_mib": round(rss[-1] / 2**20) if rss else None,
        **extra,
    }
    if args.soak and warm and after:
        base = warm[-1]
        tail = sorted(after[-30:])[len(after[-30:]) // 2]  # median of the last 30 samples
        out["rss_after_warmup_mib"] = round(base / 2**20)
        out["rss_growth_after_warmup_pct"] = round(100 * (tail - base) / base, 1)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=25)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--rate", type=float, default=1.0, help="what-ifs per second per session")
    p.add_argument("--max-requests", type=int, default=200_000)
    p.add_argument("--workers", type=int, default=1, help="server processes (--workers)")
    p.add_argument("--threads", type=int, default=8, help="threads per process (--threads)")
    p.add_argument("--package", default=str(SAMPLE))
    p.add_argument("--montecarlo", action="store_true",
                   help="run a Monte Carlo job meanwhile (and time a refused second one)")
    p.add_argument("--mc-trials", type=int, default=5_000_000,
                   help="trials of the Monte Carlo job (the page allows up to 5,000,000)")
    p.add_argument("--soak", action="store_true", help="report memory growth after warm-up")
    p.add_argument("--warmup", type=float, default=60.0, help="seconds of warm-up (soak)")
    p.add_argument("--log", default=str(ROOT / "build" / "load-server.log"))
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    out = run(args)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>30}: {v}")
    return 0 if out["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
