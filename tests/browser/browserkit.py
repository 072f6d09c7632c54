"""Helpers of the browser tests: starting and stopping a dashboard server, watching a page.

(Kept out of ``conftest.py`` so test modules can import them by a unique name.)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "allied-defence"

#: Path -> a selector that shows the page has been filled by its callbacks.
PAGES = {
    "/": "#ov-headlines .rg-stat",
    "/network": "#net-graph canvas",
    "/register": "#reg-grid .ag-row",
    "/nations": "#nat-heatmap .heatmaplayer",
    "/whatif": "#wi-load",
    "/montecarlo": "#mc-run",
    "/data": "#data-current b",
}

#: Where the tests save page screenshots: build/screenshots (ignored by git) unless
#: RISKGRAPH_SCREENSHOTS names another folder; `RISKGRAPH_SCREENSHOTS=docs/screenshots
#: make test` refreshes the README's images.
SCREENSHOTS = Path(os.environ.get("RISKGRAPH_SCREENSHOTS", ROOT / "build" / "screenshots"))
if not SCREENSHOTS.is_absolute():
    SCREENSHOTS = ROOT / SCREENSHOTS
CHROMIUM = os.environ.get("RISKGRAPH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
#: Largest screenshot kept for the docs.
MAX_SCREENSHOT_BYTES = 300 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path
    auth: tuple | None = None


def start_server(tmp: Path, *args: str, auth: str | None = None,
                 timeout: float = 90.0) -> Server:
    """Start the dashboard on a free loopback port; return once it answers."""
    port = free_port()
    log = tmp / f"server-{port}.log"
    cmd = [sys.executable, "-m", "riskgraph_dashboard.server", str(SAMPLE), "--port",
           str(port), *args]
    if auth:
        cmd += ["--auth", auth]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard exited with {proc.returncode}:\n"
                               + log.read_text(errors="replace"))
        try:
            urllib.request.urlopen(url + "/_dash-layout", timeout=2).close()
            break
        except urllib.error.HTTPError:  # e.g. 401: it is up
            break
        except OSError:
            if time.time() > deadline:
                stop_server(proc)
                raise RuntimeError("dashboard did not start:\n" + log.read_text())
            time.sleep(0.25)
    return Server(url=url, proc=proc, log=log,
                  auth=tuple(auth.split(":", 1)) if auth else None)


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # stray job processes of the group
    except ProcessLookupError:
        pass
    proc.wait(timeout=15)


class Watched:
    """A page plus everything it said: console errors, failed and off-site requests."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base = base_url
        self.errors: list[str] = []
        self.external: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("request", lambda r: None if r.url.startswith((base_url, "data:", "blob:"))
                else self.external.append(r.url))

    def goto(self, path: str):
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")

    def assert_clean(self):
        assert not self.errors, "\n".join(self.errors)
        assert not self.external, f"requests left the machine: {self.external}"

    def screenshot(self, name: str, *, full_page: bool = False, clip=None) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page, clip=clip)
        size = path.stat().st_size
        assert size < MAX_SCREENSHOT_BYTES, f"{path.name} is {size // 1024} KiB"
        return path


