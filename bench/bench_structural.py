"""Time reading, validating, compiling and the structural analyses on synthetic packages.

Usage: python bench/bench_structural.py [--sizes 20000 100000 1000000] [--seed 1]
       [--skip-pairs-above 100000]

Prints one table row per (size, step) with wall time and peak RSS so far. Packages are
generated into a temporary folder (riskgraph.io.synthetic.generate_package).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-pairs-above", type=int, default=100_000)
    args = parser.parse_args()

    from riskgraph import load_network
    from riskgraph.analyses.centrality import centrality
    from riskgraph.analyses.concentration import concentration
    from riskgraph.analyses.exposure import alliance_survivability, nation_exposure
    from riskgraph.analyses.spof import critical_pairs, single_points_of_failure
    from riskgraph.io.synthetic import generate_package

    print(f"{'nodes':>9} {'step':<26} {'seconds':>8} {'peak MB':>8}  note")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "pkg"
            steps = [
                ("generate", lambda: generate_package(folder, nodes=size, seed=args.seed)),
                ("read + validate + compile", lambda: load_network(folder)),
            ]
            net = None
            for name, fn in steps:
                t = time.perf_counter()
                out = fn()
                dt = time.perf_counter() - t
                if name.startswith("read"):
                    net = out
                print(f"{size:>9} {name:<26} {dt:8.2f} {peak_mb():8.0f}", flush=True)
            note = f"{net.compiled.n:,} nodes, {len(net.capabilities):,} capabilities"
            print(f"{size:>9} {'(network)':<26} {'':>8} {'':>8}  {note}")
            analyses = [
                ("single_points_of_failure", lambda: single_points_of_failure(net)),
                ("concentration", lambda: concentration(net)),
                ("nation_exposure", lambda: nation_exposure(net)),
                ("alliance_survivability", lambda: alliance_survivability(net)),
                ("centrality (k=256)", lambda: centrality(net, seed=0)),
            ]
            if net.compiled.n <= args.skip_pairs_above:
                analyses.append(("critical_pairs", lambda: critical_pairs(net)))
            for name, fn in analyses:
                t = time.perf_counter()
                result = fn()
                dt = time.perf_counter() - t
                print(f"{size:>9} {name:<26} {dt:8.2f} {peak_mb():8.0f}  {len(result):,} rows",
                      flush=True)


if __name__ == "__main__":
    main()
