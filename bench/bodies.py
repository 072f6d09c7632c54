"""Six concurrent large request bodies against the real server, twice per kind.

Issue 11 found six concurrent 72 MiB JSON posts each answered 500 and the server left
660 MiB larger. This posts, six at a time, 72 MiB bodies of two kinds: a callback request
Dash fails on (500) and an upload of the Data page (whose content is then refused), and
prints the answers, how long they took and the server's RSS before, at its peak and
after each round::

    python bench/bodies.py [--mib 72]

Figures in bench/RESULTS.md ("Large request bodies").
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
import load  # noqa: E402  (bench/load.py: server start and callback bodies)

WORKED = load.ROOT / "tests" / "fixtures" / "worked"


def post(url: str, body: bytes, out: list) -> None:
    t0 = time.perf_counter()
    req = urllib.request.Request(url + "/_dash-update-component", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            out.append((r.status, round(time.perf_counter() - t0, 1)))
    except urllib.error.HTTPError as err:
        out.append((err.code, round(time.perf_counter() - t0, 1)))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mib", type=int, default=72)
    p.add_argument("--log", default=str(load.ROOT / "build" / "bodies-server.log"))
    args = p.parse_args(argv)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    proc, url = load.start_server(WORKED, 1, Path(args.log))
    server = psutil.Process(proc.pid)
    size = args.mib * 2**20
    deps = load.fetch_json(url + "/_dash-dependencies")
    bodies = {
        "failing callback": {"output": "x.children", "outputs": {"id": "x", "property":
                             "children"}, "inputs": [{"id": "x", "property": "y",
                                                      "value": "a" * size}],
                             "changedPropIds": []},
        "upload": load.callback_body(deps, "data-upload.contents", {
            "data-upload.contents": "data:application/zip;base64," + "A" * size,
            "data-upload.filename": "big.zip"}),
    }
    peak, stop = [0], threading.Event()

    def watch():
        while not stop.wait(0.05):
            peak[0] = max(peak[0], server.memory_info().rss)

    threading.Thread(target=watch, daemon=True).start()
    try:
        for label, body in bodies.items():
            data = json.dumps(body).encode()
            for round_ in (1, 2):
                base = peak[0] = server.memory_info().rss
                out: list = []
                threads = [threading.Thread(target=post, args=(url, data, out))
                           for _ in range(6)]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                time.sleep(1)
                print(f"{label}, round {round_}: 6 × {len(data) >> 20} MiB; answers "
                      f"{sorted(out)} in {time.perf_counter() - t0:.1f} s; RSS "
                      f"{base >> 20} → peak {peak[0] >> 20} → after "
                      f"{server.memory_info().rss >> 20} MiB", flush=True)
    finally:
        stop.set()
        load.stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
