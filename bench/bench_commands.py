"""Command-level benchmark: each CLI command run as a user runs it, against naive baselines.

Usage: python bench/bench_commands.py [--sizes 20000,100000,300000,1000000]
       [--commands validate,analyse,whatif,montecarlo,summary] [--timeout 1800]
       [--baseline-budget 30] [--skip-baselines] [--no-sample] [--out bench/RESULTS.md]

Packages: the bundled sample ``data/allied-defence`` (with its own ``scenarios.toml``) and
synthetic packages from ``riskgraph generate --nodes N --seed 1``, cached under
``bench/.cache/`` (keyed by a hash of the generator's source) with a ``scenarios.toml`` of
eight scenarios written for them (:func:`write_scenarios`).

Each command is a subprocess ``riskgraph <cmd> ...`` started by a small Python wrapper
process of its own, which reports the command's wall time and its peak RSS
(``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of the wrapper: the only child it ever had).
A command that fails or runs past ``--timeout`` is recorded as such.

Naive baselines, each in a worker process of its own (same timeout), on the compiled
graph read into plain Python lists once (docs/design.md §3.1-3.3 evaluated node by node in
topological order):

* analyse   -- brute-force deletion: for each failure point, fail it alone and walk the
               whole graph to see which capabilities stay up (the SPOF table only);
* whatif    -- per-scenario traversal: supply fractions (§3.2) and down-interval sets with
               stock delays (§3.3) walked node by node, one scenario at a time;
* montecarlo -- per-trial traversal: draw each failure point with its probability, walk.

A baseline runs units (points, scenarios, trials) for ``--baseline-budget`` seconds at
most; when it could not do them all its time is *extrapolated* linearly (load time plus
time per unit times all units) and the table says from how many units.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "allied-defence"
CACHE = ROOT / "bench" / ".cache"
#: ``analyse`` runs cold (a fresh analysis cache per package); ``analyse-again`` and
#: ``summary`` then read the cache, as a user's second run on an unchanged package does.
COMMANDS = ("validate", "analyse", "analyse-again", "whatif", "montecarlo", "summary")
#: Run only when named in --commands (issue 14): ``mitigate`` (no supplier SPOFs; on a
#: generated package for its first 100 capabilities, with 1,000 synthetic candidate
#: actions) and ``allocate`` (one scenario; the LP grows with the BOM trees, so keep it to
#: the sample and small packages).
EXTRA_COMMANDS = ("mitigate", "allocate", "import-sipri", "diff")
#: issue 15: ``import-sipri`` imports a made-up trade register of this many deals (the
#: package size does not matter to it); ``diff`` compares the package with an edited copy
#: (bench/bench_interchange.py's ``edited_copy``), analyses not cached.
SIPRI_DEALS = 30_000
MITIGATION_ACTIONS = 1000
MITIGATION_CAPABILITIES = 100
DEFAULT_SIZES = (20_000, 100_000, 300_000, 1_000_000)
TRIALS = 10_000
GiB = 2 ** 30

#: (command, nodes) -> (seconds, peak RSS bytes or None): the targets of issue 10.
TARGETS = {
    ("validate", 100_000): (3, None), ("validate", 1_000_000): (15, None),
    ("analyse", 100_000): (30, None), ("analyse", 1_000_000): (180, 8 * GiB),
    ("whatif", 100_000): (5, None), ("whatif", 1_000_000): (30, None),
    ("montecarlo", 100_000): (15, None), ("montecarlo", 1_000_000): (90, None),
    ("mitigate", 100_000): (60, None),  # within its default time limit (issue 14)
    ("diff", 100_000): (60, None),  # two 100k-node packages (issue 15)
    ("import-sipri", 100_000): (10, None), ("import-sipri", 1_000_000): (10, None),
}
#: time(1M) / time(100k) at most this, for every command.
MAX_GROWTH = 12

# Runs the command given as its arguments and prints one JSON line about it. Its own
# RUSAGE_CHILDREN then covers that one command only (the wrapper starts nothing else).
_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "maxrss_kib": ru.ru_maxrss, "returncode": p.returncode,
                  "cpu_seconds": ru.ru_utime + ru.ru_stime,
                  "stderr": p.stderr[-1500:].decode("utf-8", "replace")}))
"""


# ----------------------------------------------------------------------------- measuring


@dataclass
class Measurement:
    """Outcome of one timed subprocess: ``status`` is ``ok``, ``failed`` or ``timeout``."""

    status: str
    seconds: float | None = None
    peak_rss_mib: float | None = None
    cpu_seconds: float | None = None  # user + system: wall far above it means a busy CPU
    detail: str = ""
    data: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _run_json(argv: list[str], timeout: float) -> Measurement:
    """Run ``argv`` (which prints one JSON object last) in a new session; kill the whole
    session on timeout."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Measurement("timeout", detail=f"timed out after {timeout:g} s")
    lines = out.strip().splitlines()
    try:
        data = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return Measurement("failed", detail=f"exit {proc.returncode}: {err.strip()[-300:]}")
    return Measurement("ok", data=data)


def measure(argv: list[str], *, timeout: float = 1800) -> Measurement:
    """Wall time and peak RSS of running ``argv`` in a fresh wrapper process.

    Examples
    --------
    >>> m = measure([sys.executable, "-c", "pass"])
    >>> m.status, m.seconds > 0, m.peak_rss_mib > 1
    ('ok', True, True)
    """
    m = _run_json([sys.executable, "-c", _WRAPPER, *map(str, argv)], timeout)
    if m.status != "ok":
        return m
    d = m.data
    m.seconds, m.peak_rss_mib = d["seconds"], d["maxrss_kib"] / 1024
    m.cpu_seconds = d["cpu_seconds"]
    if d["returncode"] != 0:
        tail = d["stderr"].strip().splitlines()[-1:] or [""]
        m.status, m.detail = "failed", f"exit {d['returncode']}: {tail[0][:200]}"
    return m


def riskgraph_argv() -> list[str]:
    """The installed ``riskgraph`` console script next to this Python, else ``-m``."""
    script = Path(sys.executable).with_name("riskgraph")
    return [str(script)] if script.exists() else [sys.executable, "-m", "riskgraph"]


def command_argv(command: str, package: Path, out: Path, *, trials: int = TRIALS) -> list[str]:
    rg = riskgraph_argv()
    pkg = str(package)
    argv = {
        "validate": rg + ["validate", pkg],
        "summary": rg + ["summary", pkg],
        "analyse": rg + ["analyse", pkg, "--out", str(out / "analyse")],
        "analyse-again": rg + ["analyse", pkg, "--out", str(out / "analyse-again")],
        "whatif": rg + ["whatif", pkg, "--scenarios", str(package / "scenarios.toml"),
                        "--out", str(out / "whatif")],
        "montecarlo": rg + ["montecarlo", pkg, "--trials", str(trials), "--no-progress",
                            "--out", str(out / "montecarlo")],
        "mitigate": lambda: _mitigate_argv(rg, package, out),
        "allocate": lambda: _allocate_argv(rg, package, out),
        "import-sipri": lambda: _import_sipri_argv(rg, out),
        "diff": lambda: _diff_argv(rg, package, out),
    }[command]
    return argv() if callable(argv) else argv


def _mitigate_argv(rg: list[str], package: Path, out: Path) -> list[str]:
    if package.resolve() == SAMPLE.resolve():
        return rg + ["mitigate", str(package), "--out", str(out / "mitigate")]
    import pandas as pd

    mit = mitigation_package(package)
    f = pd.read_csv(mit / "fielding.csv", dtype=str, keep_default_na=False)
    caps = sorted(f["nation_id"] + "/" + f["platform_id"])[:MITIGATION_CAPABILITIES]
    return rg + ["mitigate", str(mit), "--out", str(out / "mitigate"),
                 *(a for c in caps for a in ("--capability", c))]


def _allocate_argv(rg: list[str], package: Path, out: Path) -> list[str]:
    argv = rg + ["allocate", str(package), "--scenarios", str(package / "scenarios.toml"),
                 "--out", str(out / "allocate")]
    if package.resolve() == SAMPLE.resolve():
        argv += ["--scenario", "Rare-earth supply halved (China at half output)"]
    return argv


def _import_sipri_argv(rg: list[str], out: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from fakesources import write_fake_sipri

    register = out / "sipri-register.csv"
    write_fake_sipri(random.Random(1), register, deals=SIPRI_DEALS,
                     designs=SIPRI_DEALS // 6, bad_rows=SIPRI_DEALS // 1000)
    shutil.rmtree(out / "import-sipri", ignore_errors=True)
    return rg + ["import", "sipri", str(register), "--out", str(out / "import-sipri")]


def _diff_argv(rg: list[str], package: Path, out: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_interchange import edited_copy

    new = package.with_name(f"{package.name}-edited")
    if not (new / "nations.csv").exists():
        shutil.rmtree(new, ignore_errors=True)
        edited_copy(package, new, 1)
    return rg + ["diff", str(package), str(new), "--no-cache", "--out", str(out / "diff")]


def mitigation_package(package: Path) -> Path:
    """A cached copy of a generated package with ``mitigations.csv`` of
    MITIGATION_ACTIONS synthetic candidates (riskgraph.io.mitigations)."""
    from riskgraph import read_package
    from riskgraph.io.mitigations import synthetic_mitigations

    folder = package.with_name(f"{package.name}-mit{MITIGATION_ACTIONS}")
    if not (folder / "mitigations.csv").exists():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(package, tmp)
        acts = synthetic_mitigations(read_package(tmp), actions=MITIGATION_ACTIONS, seed=1)
        acts.reset_index().to_csv(tmp / "mitigations.csv", index=False)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder


# ----------------------------------------------------------------------------- packages


def count_nodes(package: Path) -> int:
    """Nodes of the compiled graph: nations + suppliers + components + fielding rows."""
    total = 0
    for name in ("nations.csv", "suppliers.csv", "components.csv", "fielding.csv"):
        with open(package / name, "rb") as f:
            total += sum(1 for line in f if line.strip()) - 1
    return total


def generated_package(nodes: int, *, seed: int = 1, timeout: float = 1800) -> Path:
    """The cached ``riskgraph generate --nodes N --seed S`` package, made on first use."""
    stamp = hashlib.sha256((ROOT / "riskgraph" / "io" / "synthetic.py").read_bytes())
    folder = CACHE / f"gen-{nodes}-seed{seed}-{stamp.hexdigest()[:10]}"
    if not (folder / "scenarios.toml").exists():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        _log(f"generating {nodes:,} nodes (seed {seed}) into {folder}")
        subprocess.run(riskgraph_argv() + ["generate", "--nodes", str(nodes), "--seed",
                                           str(seed), "--out", str(tmp)],
                       check=True, stdout=subprocess.DEVNULL, timeout=timeout)
        write_scenarios(tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder


def write_scenarios(package: Path) -> Path:
    """Write eight sample-style scenarios for a generated package to ``scenarios.toml``."""
    import pandas as pd

    nat = pd.read_csv(package / "nations.csv", keep_default_na=False)
    sup = pd.read_csv(package / "suppliers.csv", keep_default_na=False)
    src = pd.read_csv(package / "sourcing.csv", keep_default_na=False)
    comps = pd.read_csv(package / "components.csv", keep_default_na=False)
    bom = pd.read_csv(package / "bom.csv", keep_default_na=False)
    rows = src.groupby("supplier_id").size().sort_values(ascending=False, kind="stable")
    top = [f"supplier:{s}" for s in rows.index[:15]]
    hosted = sup.groupby("nation_id").size()
    align = nat.set_index("nation_id")["alignment"]
    adversaries = list(nat["nation_id"][nat["alignment"] == "adversary"])
    adv = max(adversaries, key=lambda n: (hosted.get(n, 0), n))
    member = max(align.index[align == "member"], key=lambda n: (hosted.get(n, 0), n))
    kind = comps.set_index("component_id")["kind"]
    uses = bom.groupby("child_id").size()
    mats = uses[kind.reindex(uses.index).to_numpy() == "material"]
    mats = [f"component:{c}" for c in mats.sort_values(ascending=False, kind="stable").index[:3]]
    systems = src[kind.reindex(src["component_id"]).to_numpy() == "system"]
    sys_top = f"supplier:{systems.groupby('supplier_id').size().idxmax()}"
    scenarios = [
        (f"{adv} embargo, 180 days", [f"nation:{adv}"], {f"nation:{adv}": 180}, {}, None),
        ("All adversaries down for their recovery time",
         [f"nation:{n}" for n in adversaries], {}, {}, None),
        ("Five largest suppliers, staggered", top[:5],
         dict(zip(top[:5], (30, 60, 90, 180, 365))), {}, None),
        ("Three most-used materials down 120 days", mats, {m: 120 for m in mats}, {}, None),
        ("Capacity cut: ten large suppliers at 60%", [], {}, {s: 0.6 for s in top[5:15]}, None),
        (f"{member} export freeze, 90 days", [f"nation:{member}"], {f"nation:{member}": 90},
         {}, None),
        ("Largest systems supplier fire, 6 months", [sys_top], {sys_top: 180}, {}, 200),
        (f"{adv} ban, top supplier 120 days, next three at half capacity",
         [f"nation:{adv}", top[0]], {top[0]: 120}, {s: 0.5 for s in top[1:4]}, None),
    ]
    lines = ["# Benchmark scenarios written by bench/bench_commands.py for this package."]
    for name, fail, days, capacity, horizon in scenarios:
        lines += ["", "[[scenario]]", f"name = {json.dumps(name)}"]
        if horizon is not None:
            lines.append(f"horizon_days = {horizon}")
        lines.append(f"fail = [{', '.join(json.dumps(x) for x in dict.fromkeys(fail))}]")
        for key, table in (("days", days), ("capacity", capacity)):
            if table:
                cells = ", ".join(f"{json.dumps(k)} = {v}" for k, v in table.items())
                lines.append(f"{key} = {{ {cells} }}")
    path = package / "scenarios.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- baselines


class NaiveGraph:
    """The compiled graph as plain Python lists, evaluated node by node (slow on purpose).

    ``groups[v]`` lists ``(kind, k, members, weights)``; nodes are in topological order.
    """

    def __init__(self, net):
        c = net.compiled
        gp, mp = c.group_ptr.tolist(), c.member_ptr.tolist()
        mem, w = c.member.tolist(), c.weight.tolist()
        gk, gkind = c.group_k.tolist(), c.group_kind.tolist()
        self.n = c.n
        self.groups = [[(gkind[g], gk[g], mem[mp[g]:mp[g + 1]], w[mp[g]:mp[g + 1]])
                        for g in range(gp[v], gp[v + 1])] for v in range(c.n)]
        self.capabilities = c.capabilities.tolist()
        self.points = c.failure_points.tolist()
        self.prob = c.disruption_prob.tolist()
        self.stock = c.stock_days.tolist()
        self.recovery = c.recovery_days.tolist()
        self.index = c.index

    def up(self, failed: set) -> list[bool]:
        """docs/design.md §3.1: up unless failed, with every group meeting its ``k``."""
        up = [False] * self.n
        for v, groups in enumerate(self.groups):
            up[v] = v not in failed and all(sum(up[u] for u in ms) >= k
                                            for _, k, ms, _ in groups)
        return up

    def scenario(self, failed_days: dict, capacity: dict, horizon: float):
        """docs/design.md §3.2-3.3 for one scenario: ``(supply fraction, down intervals)`` per node."""
        from riskgraph.model.network import GROUP_SOURCING, GROUP_SUBSTITUTE

        a, seen, down = [0.0] * self.n, [None] * self.n, [None] * self.n
        for v, groups in enumerate(self.groups):
            m = 0.0 if v in failed_days else capacity.get(v, 1.0)
            value, sets = 1.0, []
            if v in failed_days:
                sets.append([(0.0, min(failed_days[v], horizon))])
            for kind, k, ms, ws in groups:
                if kind == GROUP_SOURCING:
                    ok = sum(a[u] > 0 for u in ms) >= k
                    value = min(value, min(1.0, sum(w * a[u] for u, w in zip(ms, ws))) if ok
                                else 0.0)
                    sets.append(_at_least([seen[u] for u in ms], len(ms) - k + 1))
                elif kind == GROUP_SUBSTITUTE:
                    value = min(value, min(1.0, sum(a[u] for u in ms)))
                    sets.append(_at_least([seen[u] for u in ms], len(ms)))
                else:
                    value = min(value, a[ms[0]])
                    sets.append(seen[ms[0]])
            a[v] = m * value
            down[v] = _at_least(sets, 1)
            s = self.stock[v]
            seen[v] = [(x + s, y) for x, y in down[v] if x + s < y] if s > 0 else down[v]
        return a, down


def _at_least(sets: list[list[tuple]], m: int) -> list[tuple]:
    """Days covered by at least ``m`` of the interval lists (union: 1, intersection: all)."""
    if m <= 0:
        return [(0.0, float("inf"))]
    events = sorted((x, d) for intervals in sets for a, b in intervals
                    for x, d in ((a, 1), (b, -1)))
    out, depth, start = [], 0, None
    for x, d in events:
        depth += d
        if depth >= m and start is None:
            start = x
        elif depth < m and start is not None:
            if x > start:
                out.append((start, x))
            start = None
    return out


def _units(run_one, units: list, budget: float) -> tuple[int, float]:
    """Run ``run_one`` on units until done or past ``budget`` s: ``(units run, seconds)``."""
    t = time.perf_counter()
    done = 0
    for unit in units:
        run_one(unit)
        done += 1
        if time.perf_counter() - t > budget:
            break
    return done, time.perf_counter() - t


def baseline(kind: str, package: Path, *, budget: float, trials: int = TRIALS) -> dict:
    """Time one naive baseline: seconds (extrapolated when not every unit ran) and notes."""
    from riskgraph.model.network import load_network

    t = time.perf_counter()
    net = load_network(package)
    g = NaiveGraph(net)
    setup = time.perf_counter() - t
    rng = random.Random(0)
    if kind == "analyse":
        units, what = rng.sample(g.points, len(g.points)), "failure points"
        caps = g.capabilities
        run_one = lambda p: [v for v, u in zip(caps, g.up({p})) if not u]  # noqa: E731
    elif kind == "montecarlo":
        units, what = list(range(trials)), "trials"
        draw = [(p, g.prob[p]) for p in g.points if g.prob[p] > 0]
        run_one = lambda _: g.up({p for p, q in draw if rng.random() < q})  # noqa: E731
    elif kind == "whatif":
        from riskgraph.model.scenario import read_scenarios

        units, what = read_scenarios(package / "scenarios.toml", net), "scenarios"

        def run_one(s):
            failed = {g.index[x]: s.days.get(x, g.recovery[g.index[x]]) for x in s.fail}
            capacity = {g.index[x]: f for x, f in s.capacity.items()}
            failed.update({v: s.horizon_days for v, f in capacity.items() if f == 0})
            return g.scenario(failed, capacity, s.horizon_days)
    else:
        raise ValueError(f"no baseline for {kind!r}")
    done, seconds = _units(run_one, units, budget)
    return {"seconds": setup + seconds / done * len(units), "setup_s": setup,
            "done": done, "total": len(units), "what": what}


def measure_baseline(kind: str, package: Path, *, budget: float, timeout: float,
                     trials: int = TRIALS) -> Measurement:
    """:func:`baseline` in a worker process of its own (killed after ``timeout`` s)."""
    m = _run_json([sys.executable, str(Path(__file__).resolve()), "--baseline-worker", kind,
                   str(package), "--baseline-budget", str(budget), "--trials", str(trials)],
                  timeout)
    if m.ok:
        m.seconds = m.data["seconds"]
    return m


# ----------------------------------------------------------------------------- the table


@dataclass
class Row:
    package: str
    nodes: int
    command: str
    run: Measurement
    base: Measurement | None = None
    nominal: int | None = None  # a generated package's --nodes (targets are set for these)

    def target(self) -> tuple[float, float | None] | None:
        return TARGETS.get((self.command, self.nominal))

    def met(self) -> str:
        target = self.target()
        if target is None:
            return "—"
        if not self.run.ok:
            return "**no**"
        secs, rss = target
        ok = self.run.seconds < secs and (rss is None or self.run.peak_rss_mib * 2**20 < rss)
        return "yes" if ok else "**no**"

    def cells(self) -> list[str]:
        r = self.run
        wall = f"{r.seconds:.2f}" if r.ok else f"{r.status} ({r.detail})"
        cpu = f"{r.cpu_seconds:.2f}" if r.cpu_seconds is not None else "—"
        rss = f"{r.peak_rss_mib:,.0f}" if r.peak_rss_mib is not None else "—"
        base, speed = "—", "—"
        if self.base is not None and self.base.ok:
            d = self.base.data
            base = f"{self.base.seconds:,.1f}"
            if d["done"] < d["total"]:
                base += f" (extrapolated from {d['done']:,}/{d['total']:,} {d['what']})"
            if r.ok:
                x = self.base.seconds / r.seconds
                speed = f"{x:,.0f}×" if x >= 10 else f"{x:.2g}×"
        elif self.base is not None:
            base = f"{self.base.status} ({self.base.detail})"
        target = self.target()
        tcell = "—" if target is None else f"< {target[0]:g} s" + (
            f", < {target[1] / GiB:g} GiB" if target[1] else "")
        return [self.package, f"{self.nodes:,}", self.command, wall, cpu, rss, base, speed,
                tcell,
                self.met()]


HEADER = ["package", "nodes", "command", "wall s", "cpu s", "peak RSS MiB", "baseline s",
          "speed-up", "target", "met?"]


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---:|---|---:|---:|---:|---:|---:|---|---|"]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def growth_table(rows: list[Row]) -> str:
    """time(1M) / time(100k) per command, where both ran."""
    by = {(r.command, r.nominal): r.run for r in rows if r.run.ok}
    lines = []
    for cmd in COMMANDS:
        a, b = by.get((cmd, 100_000)), by.get((cmd, 1_000_000))
        if a and b:
            ratio = b.seconds / a.seconds
            lines.append(f"| {cmd} | {a.seconds:.2f} | {b.seconds:.2f} | {ratio:.1f} | "
                         f"{'yes' if ratio <= MAX_GROWTH else '**no**'} |")
    if not lines:
        return ""
    return "\n".join([f"| command | 100k s | 1M s | growth | ≤ {MAX_GROWTH}? |",
                      "|---|---:|---:|---:|---|", *lines])


def machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       "?")
        with open("/proc/meminfo") as f:
            ram = f"{int(f.readline().split()[1]) / 2**20:.0f} GiB"
    except OSError:
        ram = "?"
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"nproc {nproc}, {ram} RAM, {cpu}, {platform.machine()}, Python "
            f"{platform.python_version()}; load average at start {load}")


def report(rows: list[Row], argv: list[str], machine_line: str) -> str:
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [f"## Commands (`bench/bench_commands.py`), {stamp}", "",
             f"Machine: {machine_line}.", f"Command: `python bench/bench_commands.py "
             f"{' '.join(argv)}`".rstrip() + ". Each command is a fresh `riskgraph` "
             "subprocess (start-up, reading and writing included); *cpu s* is its user + system "
             "time (a wall time far above it would mean the CPU was busy with other work); peak RSS is its "
             "own. Baselines are naive Python walks in a worker process, timed from loading "
             "the package (no interpreter start-up; see the script's docstring); the analyse "
             "baseline covers the SPOF table only.",
             "", markdown_table(rows)]
    growth = growth_table(rows)
    if growth:
        parts += ["", growth]
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------- running


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bench_package(label: str, package: Path, nominal: int | None, args) -> list[Row]:
    nodes = count_nodes(package)
    rows = []
    cache = tempfile.TemporaryDirectory(prefix="rg-bench-cache-")
    old_cache = os.environ.get("RISKGRAPH_CACHE_DIR")
    os.environ["RISKGRAPH_CACHE_DIR"] = cache.name  # the commands inherit it
    try:
        for cmd in args.commands:
            rows.append(_bench_command(label, package, nominal, nodes, cmd, args))
    finally:
        if old_cache is None:
            os.environ.pop("RISKGRAPH_CACHE_DIR", None)
        else:
            os.environ["RISKGRAPH_CACHE_DIR"] = old_cache
        cache.cleanup()
    return rows


def _bench_command(label, package, nominal, nodes, cmd, args) -> Row:
    with tempfile.TemporaryDirectory(prefix="rg-bench-") as tmp:
        _log(f"{label}: riskgraph {cmd} ...")
        run = measure(command_argv(cmd, package, Path(tmp), trials=args.trials),
                      timeout=args.timeout)
    base = None
    if cmd in ("analyse", "whatif", "montecarlo") and not args.skip_baselines:
        _log(f"{label}: naive baseline for {cmd} ...")
        base = measure_baseline(cmd, package, budget=args.baseline_budget,
                                timeout=args.timeout, trials=args.trials)
    row = Row(label, nodes, cmd, run, base, nominal)
    _log("  " + " | ".join(row.cells()[3:]))
    return row


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                   help="generated package sizes, comma-separated ('' for none)")
    p.add_argument("--commands", default=",".join(COMMANDS), help="commands, comma-separated")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per command and "
                   "per baseline (default 1800)")
    p.add_argument("--baseline-budget", type=float, default=30,
                   help="seconds of measured baseline work before extrapolating (default 30)")
    p.add_argument("--skip-baselines", action="store_true")
    p.add_argument("--no-sample", action="store_true", help="leave out data/allied-defence")
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument("--trials", type=int, default=TRIALS, help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"),
                   help="markdown file to append the dated section to")
    p.add_argument("--baseline-worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("package", nargs="?", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> list[Row]:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.baseline_worker:  # a worker process: one baseline, one JSON line
        print(json.dumps(baseline(args.baseline_worker, Path(args.package),
                                  budget=args.baseline_budget, trials=args.trials)))
        return []
    args.commands = [c for c in args.commands.split(",") if c]
    unknown = set(args.commands) - set(COMMANDS) - set(EXTRA_COMMANDS)
    if unknown:
        raise SystemExit(f"unknown command(s) {sorted(unknown)}; choose from "
                         f"{COMMANDS + EXTRA_COMMANDS}")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    machine_line = machine()
    rows = [] if args.no_sample else bench_package("allied-defence", SAMPLE, None, args)
    for n in sizes:
        try:
            package = generated_package(n, seed=args.seed, timeout=args.timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            _log(f"could not generate {n:,} nodes: {exc}")
            continue
        rows += bench_package(f"generated {n:,}", package, n, args)
    text = report(rows, argv, machine_line)
    print(text)
    with open(args.out, "a", encoding="utf-8") as f:
        f.write("\n" + text)
    return rows


if __name__ == "__main__":
    main()
