"""Taking in an upload: extract, validate and analyse it in a bounded child process.

An upload of a large package used to be analysed inside the request thread (a 20k-node
zip took 79 s and 770 MiB there, and a 200k-node one would have needed gigabytes). Here
the request thread only decodes the upload; :class:`Intake` then

* admits one upload at a time (a second gets "busy" at once, never a queue);
* extracts it (:func:`.uploads.extract_upload`, with its size caps), validates it and
  counts its nodes in a child process, refusing a package over ``max_nodes`` before any
  analysis; then runs the structural analysis there, into the shared result cache, so the
  server loads the result without computing it;
* kills the child when it runs past ``max_seconds`` or its memory passes
  ``max_memory_bytes``, and says which limit was hit and how to raise it.

The server process never runs the analysis of an upload, so the other users' callbacks
go on being answered meanwhile. The limits are :class:`.uploads.UploadLimits` (README,
"Dashboard"; SECURITY.md).
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import threading
import time
from dataclasses import dataclass, field

from .uploads import UploadLimits, extract_upload

log = logging.getLogger(__name__)

__all__ = ["Intake", "IntakeResult"]

_POLL = 0.1
_COLUMNS = ("severity", "code", "file", "line", "column", "value", "message")


@dataclass
class IntakeResult:
    """What became of one upload: the package key when it loaded, the problem rows (upload
    and validation issues, as the Data page shows them) and a message."""

    key: str | None
    problems: list = field(default_factory=list)
    text: str = ""
    kind: str = "error"  # error, warning, success
    title: str | None = None


def _row(code: str, message: str, severity: str = "error", file: str = "(upload)",
         value=None) -> dict:
    return {"severity": severity, "code": code, "file": file, "line": None, "column": None,
            "value": value, "message": message}


def check_package(folder: str, files, limits: UploadLimits, progress=None) -> dict:
    """Extract ``files`` into ``folder``, validate, count nodes and analyse (the child's
    work; also callable in-process). Returns ``{"problems", "ok", "key", "nodes"}``;
    ``progress(stage, **facts)`` hears of each stage (extracting, validating, analysing)."""
    import riskgraph
    from riskgraph.analyses.structural import structural_analysis
    from riskgraph.io.cache import ResultCache

    progress = progress or (lambda stage, **facts: None)
    out = {"problems": [], "ok": False, "key": None, "nodes": None}
    progress("extracting")
    extracted = extract_upload(files, folder, limits)
    out["problems"] = list(extracted.problems)
    if not extracted.ok:
        return out
    progress("validating")
    report = riskgraph.validate_package(folder, max_file_bytes=limits.max_file_bytes)
    out["problems"] += [{c: getattr(i, c) for c in _COLUMNS} for i in report.issues]
    if not report.ok:
        return out
    network = riskgraph.load_network(folder)
    out["nodes"] = nodes = len(network.nodes)
    out["key"] = network.package.content_hash
    if nodes > limits.max_nodes:
        out["problems"].append(_row(
            "too-many-nodes",
            f"package too large: {nodes:,} nodes, the limit is {limits.max_nodes:,} "
            "(riskgraph dashboard --max-nodes)", value=nodes))
        return out
    progress("analysing", nodes=nodes)
    structural_analysis(network, cache=ResultCache())
    out["ok"] = True
    return out


def _child(conn, folder, files, limits) -> None:  # pragma: no cover - runs in the child
    def progress(stage, **facts):
        conn.send({"stage": stage, **facts})

    try:
        conn.send({"result": check_package(folder, files, limits, progress)})
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which logs it
        conn.send({"result": {"crash": f"{type(err).__name__}: {err}"}})
    finally:
        conn.close()


class _ProcessSlot:
    """An exclusive, non-blocking lock on a file, shared by the worker processes of one
    server (``with _ProcessSlot(path) as free``); always free where ``fcntl`` is missing."""

    def __init__(self, path):
        self.path = path
        self._fh = None

    def __enter__(self) -> bool:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: one process anyway
            return True
        self._fh = open(self.path, "a+b")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            self._fh.close()
            self._fh = None
            return False

    def __exit__(self, *exc):
        if self._fh is not None:
            self._fh.close()  # closing releases the lock
        return False


class Intake:
    """One upload at a time, checked and analysed in a child process within limits."""

    def __init__(self, limits: UploadLimits | None = None):
        self.limits = limits or UploadLimits()
        self._slot = threading.Lock()
        self._progress: dict | None = None

    def progress(self) -> dict | None:
        """What the upload being taken in is doing, for a page to poll: ``{"stage":
        "starting" | "extracting" | "validating" | "analysing", "seconds": elapsed,
        "nodes": n (once known)}``; None when no upload is being taken in here."""
        current = self._progress
        if current is None:
            return None
        return dict(current, seconds=round(time.monotonic() - current["since"], 1))

    @property
    def busy(self) -> bool:
        return self._slot.locked()

    def take(self, ws, files, name: str) -> IntakeResult:
        """Check ``files`` (``(filename, bytes)`` pairs) and, when they make a valid
        package within the limits, register it with workspace ``ws`` and load it."""
        busy = IntakeResult(None, [], "Another upload is being checked and analysed; "
                            "try again when it is done.", "warning", "Busy")
        if not self._slot.acquire(blocking=False):
            return busy
        try:
            with _ProcessSlot(ws.work_dir / "intake.lock") as free:
                if not free:  # another worker process of this server has one
                    return busy
                folder = ws.new_upload_folder()
                try:
                    outcome = self._run_child(folder, files)
                    return self._finish(ws, folder, outcome, name)
                finally:
                    shutil.rmtree(folder, ignore_errors=True)  # moved away when taken in
        finally:
            self._slot.release()

    def _run_child(self, folder, files) -> dict:
        """The child's answer, or a ``limit`` entry saying why it was stopped."""
        import psutil

        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, str(folder), files, self.limits),
                           daemon=True, name="riskgraph-upload")
        proc.start()
        send.close()
        deadline = time.monotonic() + self.limits.max_seconds
        self._progress = {"stage": "starting", "since": time.monotonic()}
        try:
            watched = psutil.Process(proc.pid)
            while True:
                if receive.poll(_POLL):
                    message = receive.recv()
                    if "result" in message:
                        return message["result"]
                    self._progress = {**self._progress, **message}
                    continue
                if not proc.is_alive():
                    return {"crash": f"the checking process ended (status {proc.exitcode})"}
                if time.monotonic() > deadline:
                    return {"limit": f"checking and analysing it took longer than "
                                     f"{self.limits.max_seconds:.0f} s"}
                try:
                    rss = watched.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                if rss > self.limits.max_memory_bytes:
                    return {"limit": f"analysing it needed more than "
                                     f"{self.limits.max_memory_bytes / 2**20:,.0f} MiB"}
        except EOFError:
            return {"crash": "the checking process ended without an answer"}
        finally:
            self._progress = None
            receive.close()
            if proc.is_alive():
                proc.kill()
            proc.join(10)

    def _finish(self, ws, folder, outcome: dict, name: str) -> IntakeResult:
        if "limit" in outcome:
            return IntakeResult(None, [_row("upload-limit", outcome["limit"])],
                                f"Not loaded: {outcome['limit']}; the package in use is "
                                "unchanged.", "error", "Upload too large")
        if "crash" in outcome:
            log.error("upload check failed: %s", outcome["crash"])
            return IntakeResult(None, [], "Not loaded: checking the upload failed "
                                "unexpectedly (logged on the server).", "error")
        problems = outcome["problems"]
        errors = [p for p in problems if p["severity"] == "error"]
        if not outcome["ok"]:
            return IntakeResult(None, problems, f"Not loaded: {len(errors)} error(s) in the "
                                "upload — see the table below. The package in use is "
                                "unchanged.", "error", "Invalid package")
        known = {ref.key: ref for ref in ws.refs()}
        if outcome["key"] in known:
            ref = known[outcome["key"]]
            ws.get(ref.key)
            return IntakeResult(ref.key, problems, f"This package was already loaded, as "
                                f"{ref.name} (same content); now using it.", "warning",
                                "Already loaded")
        ref = ws.add_upload(folder, name)
        ws.get(ref.key)
        warnings = len(problems) - len(errors)
        return IntakeResult(ref.key, problems, f"Loaded {name}: {outcome['nodes']:,} nodes, "
                            f"{warnings} warning(s).", "success")
