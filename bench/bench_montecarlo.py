"""Monte Carlo benchmark: the bit-packed kernel against a naive per-trial traversal.

Usage: python bench/bench_montecarlo.py [--sizes 20000 100000] [--trials 10000]
       [--naive-trials 40] [--seed 1] [--sample-trials 100000] [--no-dask]

For every synthetic size (riskgraph.io.synthetic.generate_package, into a temp folder):

* naive — per trial, draw one uniform number per failure point and walk the networkx
  graph in topological order applying docs/design.md §3.1 node by node (predecessor edges and
  their attributes). It runs on ``--naive-trials`` trials only and is extrapolated to
  ``--trials`` (said so in the table); its per-trial results are checked against the
  kernel on the same draws;
* kernel — ``available_packed`` alone on the same draws (propagation only);
* monte_carlo — the full estimate (sampling, propagation, counts, tables) with no
  importance points, then with the default 20 points (their choice, which runs the
  single-failure pass, is timed separately), and on a Dask LocalCluster (checked identical).

Then the sample package with ``--sample-trials`` trials and default points (the issue's
"done when"). Peak memory: tracemalloc peak of each timed call (allocations made inside
it; a second, traced run) and the process's peak RSS so far.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except OSError:
        pass
    return (f"{os.cpu_count()} cores, {mem} RAM, {platform.machine()}, "
            f"Python {platform.python_version()}, NumPy {np.__version__}")


def timed(fn, *, memory: bool = True):
    """(result, seconds, tracemalloc peak MB of a second run or None)."""
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    peak = None
    if memory:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, dt, peak


class Naive:
    """Per-trial evaluation of docs/design.md §3.1 off the networkx graph, node by node.

    A fair baseline: the graph's structure (each node's required inputs, sources with
    ``min_sources``, substitute groups) is read from networkx once; each trial is then
    one Python walk over the nodes in topological order.
    """

    def __init__(self, net):
        import networkx as nx

        g = net.graph
        comps = net.package.components
        k = {f"component:{i}": int(v) for i, v in comps["min_sources"].items()}
        self.plan = []
        for v in nx.topological_sort(g):
            required, sources, groups = [], [], {}
            for u, attrs in g.pred[v].items():
                rel = attrs["relation"]
                if rel == "sourcing":
                    sources.append(u)
                elif rel == "bom" and attrs.get("substitute_group"):
                    groups.setdefault(attrs["substitute_group"], []).append(u)
                else:  # site, owner, plain BOM child, fielded platform
                    required.append(u)
            self.plan.append((v, required, sources, k.get(v, 1), list(groups.values())))

    def available(self, failed: set) -> dict:
        up = {}
        for v, required, sources, k, groups in self.plan:
            up[v] = (v not in failed
                     and all(up[u] for u in required)
                     and (not sources or sum(up[u] for u in sources) >= k)
                     and all(any(up[u] for u in g) for g in groups))
        return up


def row(size, step, seconds, trials, peak, note=""):
    per = f"{seconds / trials * 1e6:9.1f}" if trials else f"{'':>9}"
    pk = f"{peak:8.0f}" if peak is not None else f"{'':>8}"
    print(f"| {size:>9,} | {step:<40} | {seconds:9.2f} | {per} | {pk} | {rss_mb():8.0f} | "
          f"{note}", flush=True)


def bench_size(size: int, args) -> None:
    from riskgraph import load_network
    from riskgraph.analyses._mc_model import build_model
    from riskgraph.analyses._mc_sampling import draw
    from riskgraph.analyses.montecarlo import default_points, monte_carlo
    from riskgraph.model.propagation import available_packed, unpack_trials
    from riskgraph.io.synthetic import generate_package

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pkg"
        _, dt, _ = timed(lambda: generate_package(folder, nodes=size, seed=args.seed),
                         memory=False)
        row(size, "generate package", dt, 0, None)
        net, dt, _ = timed(lambda: load_network(folder), memory=False)
        c = net.compiled
        row(size, "read + validate + compile", dt, 0, None,
            f"{c.n:,} nodes, {len(c.capabilities):,} capabilities, "
            f"{len(c.level_ptr) - 1} levels, {len(c.member):,} edges")

    n = args.trials
    # the same draws for the naive walk and the kernel: one chunk of the Monte Carlo model
    model, _ = build_model(net, np.zeros(0, np.int64), -(-n // 64))
    words = draw(model, np.random.default_rng(args.seed), n)
    failed = np.zeros((c.n, words.shape[1]), dtype=np.uint64)
    failed[model.plan.nodes] = words

    up_words, dt_kernel, peak = timed(lambda: available_packed(c, failed))
    row(size, f"kernel: available_packed, {n:,} trials", dt_kernel, n, peak,
        "propagation only (pre-drawn failures)")

    naive = Naive(net)
    k = args.naive_trials
    flags = unpack_trials(failed, k)
    ids = c.ids
    t = time.perf_counter()
    naive_up = [naive.available({ids[i] for i in np.flatnonzero(flags[:, j])})
                for j in range(k)]
    dt_naive = (time.perf_counter() - t) / k * n
    kernel_up = unpack_trials(up_words, k)
    caps = c.capabilities
    agree = all(naive_up[j][ids[v]] == bool(kernel_up[v, j]) for j in range(k) for v in caps)
    row(size, f"naive networkx walk, {n:,} trials", dt_naive, n, None,
        f"EXTRAPOLATED from {k} trials; same per-trial capability results as the "
        f"kernel: {agree}")
    speed = dt_naive / dt_kernel
    print(f"|           | {'-> kernel speed-up (propagation)':<40} | {speed:8.0f}x |")

    mc, dt_mc, peak = timed(lambda: monte_carlo(net, trials=n, seed=args.seed, points=[]))
    row(size, f"monte_carlo, {n:,} trials, no points", dt_mc, n, peak,
        f"median p_unavailable {mc.capabilities['p_unavailable'].median():.2f}")
    print(f"|           | {'-> monte_carlo speed-up vs naive':<40} | {dt_naive / dt_mc:8.0f}x |")

    pts, dt_pts, _ = timed(lambda: default_points(net, 20), memory=False)
    row(size, "default_points (single-failure pass)", dt_pts, 0, None)
    res, dt_imp, peak = timed(lambda: monte_carlo(net, trials=n, seed=args.seed, points=pts))
    row(size, f"monte_carlo, {n:,} trials, 20 points", dt_imp, n, peak,
        f"{len(res.importance):,} importance rows; + {dt_pts:.1f} s to choose the points")
    if not args.no_dask:
        res_d, dt_d, _ = timed(lambda: monte_carlo(net, trials=n, seed=args.seed, points=pts,
                                                   scheduler="local"), memory=False)
        same = all(a.equals(b) for a, b in zip(res.tables().values(), res_d.tables().values()))
        row(size, "  same on Dask LocalCluster (threads)", dt_d, n, None,
            f"identical tables: {same}")


def bench_sample(args) -> None:
    from riskgraph import load_network
    from riskgraph.analyses.montecarlo import monte_carlo

    net = load_network(ROOT / "data" / "allied-defence")
    n = args.sample_trials
    res, dt, peak = timed(lambda: monte_carlo(net, trials=n, seed=args.seed))
    row(net.compiled.n, f"sample: monte_carlo, {n:,} trials", dt, n, peak,
        f"data/allied-defence, default 20 points, {len(res.importance):,} importance rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--naive-trials", type=int, default=40)
    parser.add_argument("--sample-trials", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    print(f"machine: {machine()}")
    print(f"| {'nodes':>9} | {'step':<40} | {'seconds':>9} | {'us/trial':>9} | "
          f"{'peak MB':>8} | {'RSS MB':>8} | note")
    print(f"|{'-' * 11}|{'-' * 42}|{'-' * 11}|{'-' * 11}|{'-' * 10}|{'-' * 10}|------")
    for size in args.sizes:
        bench_size(size, args)
    if args.sample_trials:
        bench_sample(args)


if __name__ == "__main__":
    main()
