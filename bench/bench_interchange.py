"""Benchmark of the interchange commands (issue 15 targets), each run as a user runs it.

Usage: python bench/bench_interchange.py [--deals 30000] [--nodes 100000] [--seed 1]

* ``import-sipri``: a made-up trade register of ``--deals`` deals in SIPRI's export layout
  (``tests/fakesources.py``; no SIPRI data), imported with ``riskgraph import sipri``.
  Target: under 10 s.
* ``diff``: ``riskgraph generate --nodes N --seed S`` and an edited copy (2 % of the
  sourcing rows that have an alternative removed, 5 % of the shares changed, 1 % of the
  suppliers renamed), compared with ``riskgraph diff OLD NEW --out DIR``. Target: two
  100,000-node packages under 60 s.

The diff runs twice with a fresh analysis cache: cold (both packages analysed), then again
(their structural analyses read from the cache, as after ``riskgraph analyse``).

Each command is a subprocess; the table gives its wall time, its CPU time (user + system
of the child, from ``resource.getrusage``: a wall time far above it means the CPU was busy
with other work) and its peak RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
RISKGRAPH = str(Path(sys.executable).with_name("riskgraph"))


def run(argv: list[str], env=None) -> tuple[float, float, float]:
    """(wall s, cpu s, peak RSS MiB) of one subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def edited_copy(src: Path, dst: Path, seed: int) -> None:
    """A valid edited copy of a generated package."""
    import shutil

    import pandas as pd

    rng = random.Random(seed)
    shutil.copytree(src, dst)
    comps = pd.read_csv(dst / "components.csv", dtype=str, keep_default_na=False)
    need = dict(zip(comps["component_id"], comps.get("min_sources", "1").replace("", "1")
                    .astype(int)))
    s = pd.read_csv(dst / "sourcing.csv", dtype=str, keep_default_na=False)
    counts = s["component_id"].value_counts()
    drop = [i for i, c in zip(s.index, s["component_id"])
            if counts[c] > need.get(c, 1) and rng.random() < 0.02]
    seen = set()
    keep = []
    for i in drop:  # at most one row per component, so min_sources still holds
        c = s.at[i, "component_id"]
        if c not in seen:
            seen.add(c)
            keep.append(i)
    s = s.drop(index=keep)
    change = [rng.random() < 0.05 for _ in range(len(s))]
    s.loc[change, "share"] = [f"{rng.uniform(0.05, 1):.3f}" for _ in range(sum(change))]
    s.to_csv(dst / "sourcing.csv", index=False)
    sup = pd.read_csv(dst / "suppliers.csv", dtype=str, keep_default_na=False)
    rename = [rng.random() < 0.01 for _ in range(len(sup))]
    sup.loc[rename, "name"] = sup.loc[rename, "name"] + " (renamed)"
    sup.to_csv(dst / "suppliers.csv", index=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deals", type=int, default=30_000)
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from fakesources import write_fake_sipri

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        write_fake_sipri(random.Random(args.seed), t / "register.csv", deals=args.deals,
                         designs=max(10, args.deals // 6), bad_rows=args.deals // 1000)
        rows.append((f"import sipri, {args.deals:,} deals",
                     run([RISKGRAPH, "import", "sipri", str(t / "register.csv"), "--out",
                          str(t / "sipri")]), "< 10 s"))
        run([RISKGRAPH, "generate", "--nodes", str(args.nodes), "--seed", str(args.seed),
             "--out", str(t / "old")])
        edited_copy(t / "old", t / "new", args.seed)
        env = {**os.environ, "RISKGRAPH_CACHE_DIR": str(t / "cache")}
        diff = [RISKGRAPH, "diff", str(t / "old"), str(t / "new"), "--out", str(t / "diff")]
        rows.append((f"diff, two {args.nodes:,}-node packages (cold cache)",
                     run(diff, env), "< 60 s"))
        rows.append(("diff again (analyses from the cache)", run(diff, env), ""))
        lines = (t / "diff" / "diff_summary.csv").read_text().splitlines()[2:6]
    print("| command | wall s | cpu s | peak RSS MiB | target |")
    print("|---|---:|---:|---:|---|")
    for name, (wall, cpu, rss), target in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {rss:,.0f} | {target} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
