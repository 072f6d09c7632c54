"""Server-side state: packages known to this server and their analyses, keyed by content hash.

Nothing here is per user. A browser tab holds only the content hash of the package it
looks at (a ``dcc.Store``); the :class:`Workspace` maps that hash to the package folder and
computes each package's analyses once, on first use, keeping the most recently used few in
memory. Every entry is immutable once built, so several users and threads can share it.

The workspace belongs to one app (``create_app`` puts it in the Flask config); callbacks
reach it through :func:`workspace`, which also works inside a background job's process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import riskgraph
from riskgraph.errors import RiskgraphError, UsageError

log = logging.getLogger(__name__)

__all__ = ["InputError", "JobGate", "Loaded", "PackageRef", "Workspace", "workspace",
           "CONFIG_KEY"]

#: Key of the workspace in the Flask app's config.
CONFIG_KEY = "RISKGRAPH_WORKSPACE"


class InputError(RiskgraphError):
    """A callback input the user can fix (unknown id, bad number): shown as a message."""


@dataclass(frozen=True)
class PackageRef:
    """A package this server can load: its content hash, a display name and its folder."""

    key: str
    name: str
    path: str
    origin: str  # "bundled" or "upload"


class Loaded:
    """One package, read, validated and compiled, with its analyses computed once.

    The structural analysis is computed when the entry is built; slower or rarer views
    (partner-inclusive survivability, the scenario file) are computed on first use, once.
    """

    def __init__(self, ref: PackageRef):
        from riskgraph.analyses.structural import structural_analysis
        from riskgraph.io.cache import ResultCache
        from riskgraph.io.summary import headline_figures

        self.ref = ref
        t0 = time.perf_counter()
        self.network = riskgraph.load_network(ref.path)
        # the same cache and parameters as `riskgraph analyse`: a package analysed once,
        # by either front end, opens at once (docs/architecture.md, "Caching")
        self.analysis = structural_analysis(self.network, cache=ResultCache())
        self.headline = headline_figures(self.network, self.analysis)
        self._lock = threading.Lock()
        log.info("analysed %s (%s) in %.2f s", ref.name, ref.key[:12],
                 time.perf_counter() - t0)

    # Each cached_property below is computed under the entry's lock so two threads never
    # compute it twice; the results are never modified afterwards.
    def _once(self, name, build):
        with self._lock:
            if name not in self.__dict__:
                self.__dict__[name] = build()
        return self.__dict__[name]

    @property
    def capability_options(self):
        from riskgraph.views import capability_options
        return self._once("_capability_options", lambda: capability_options(self.network))

    @property
    def failure_point_options(self):
        from riskgraph.views import failure_point_options
        return self._once("_failure_point_options",
                          lambda: failure_point_options(self.network))

    @property
    def node_options(self):
        from riskgraph.views import node_options
        return self._once("_node_options", lambda: node_options(self.network))

    @property
    def register_text(self):
        """The risk register's searchable text (built once: the slow part of a search)."""
        from riskgraph.views import table_text
        return self._once("_register_text",
                          lambda: table_text(self.analysis.risk_register))

    @property
    def supplier_sites(self):
        from riskgraph.views import supplier_sites
        return self._once("_supplier_sites", lambda: supplier_sites(self.network, self.analysis))

    @property
    def survivability_with_partners(self):
        from riskgraph.analyses.exposure import alliance_survivability
        return self._once("_surv_partners",
                          lambda: alliance_survivability(self.network, keep_partners=True))

    @property
    def scenarios(self):
        """``(scenarios, problems)``: the package's ``scenarios.toml`` read against the
        network; ``([], None)`` when there is no such file, ``([], report frame)`` when it
        is invalid."""
        return self._once("_scenarios", self._read_scenarios)

    def _read_scenarios(self):
        from riskgraph.model.scenario import read_scenarios
        from riskgraph.io.validation import ValidationReport

        path = Path(self.ref.path) / "scenarios.toml"
        if not path.is_file():
            return [], None
        try:
            return read_scenarios(path, self.network), None
        except riskgraph.ValidationError as err:
            return [], err.report.frame()
        except UsageError as err:
            report = ValidationReport(str(path))
            report.add("error", "scenario-file", "scenarios.toml", str(err))
            return [], report.frame()


class Workspace:
    """The packages one dashboard server knows, and a cache of their analyses.

    Parameters
    ----------
    packages
        Package folders offered on the Data page; the first is the default.
    work_dir
        Private folder for uploads and the job cache (a fresh temporary folder if None;
        removed by :meth:`close` then).
    max_loaded
        Packages kept analysed in memory (least recently used dropped first).
    max_uploads
        Uploaded packages kept on disk (oldest removed first).
    upload_limits
        :class:`~.uploads.UploadLimits` of uploads (sizes, nodes, time, memory).
    """

    def __init__(self, packages, *, work_dir=None, max_loaded: int = 6, max_uploads: int = 8,
                 upload_limits=None):
        from .intake import Intake

        paths = [Path(p) for p in packages]
        if not paths:
            raise UsageError("the dashboard needs at least one data package folder")
        self._own_dir = work_dir is None
        self.work_dir = Path(tempfile.mkdtemp(prefix="riskgraph-dashboard-")) \
            if work_dir is None else Path(work_dir)
        self.upload_dir = self.work_dir / "uploads"
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.max_loaded = max_loaded
        self.max_uploads = max_uploads
        self._lock = threading.RLock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._refs: dict[str, PackageRef] = {}
        self._loaded: OrderedDict[str, Loaded] = OrderedDict()
        self._uploads: list[str] = []
        self.bundled: dict[str, Path] = {}
        for p in paths:
            name = p.name or str(p)
            while name in self.bundled:
                name += "'"
            self.bundled[name] = p
        self._bundled_keys: dict[str, str] = {}
        self.gate = JobGate(self.work_dir / "jobs")
        #: Checks and analyses uploads, one at a time, in a bounded child process.
        self.intake = Intake(upload_limits)

    def results(self):
        """The on-disk cache of background results, keyed by package hash and parameters
        (a fresh handle: use it in a ``with`` block; job processes open their own)."""
        import diskcache

        return diskcache.Cache(str(self.work_dir / "results"), size_limit=512 * 2**20)

    # ------------------------------------------------------------------ registry
    def bundled_key(self, name: str) -> str:
        """Content hash of a bundled package (reads and validates it once).

        Raises
        ------
        InputError
            For an unknown name or an invalid package (the message says why).
        """
        if not isinstance(name, str) or name not in self.bundled:
            raise InputError(f"unknown bundled package {name!r}; choose one of "
                             f"{', '.join(self.bundled)}")
        with self._lock:
            if name in self._bundled_keys:
                return self._bundled_keys[name]
        path = self.bundled[name]
        report = riskgraph.validate_package(path)
        if not report.ok:
            raise InputError(f"bundled package {name} is invalid: {len(report.errors)} "
                             f"problem(s), first: {report.errors[0]}")
        package = riskgraph.read_package(path)
        key = package.content_hash
        with self._lock:
            self._bundled_keys[name] = key
            self._refs.setdefault(key, PackageRef(key, name, str(path), "bundled"))
        return key

    def default_key(self) -> str:
        """The content hash of the first bundled package."""
        return self.bundled_key(next(iter(self.bundled)))

    def ref(self, key) -> PackageRef:
        """The package of a content hash (None: the default package); InputError when
        this server does not know it."""
        if key is None:
            key = self.default_key()
        if not isinstance(key, str):
            raise InputError(f"a package key is a content hash, got {type(key).__name__}; "
                             "choose a package on the Data page")
        with self._lock:
            ref = self._refs.get(key)
        if ref is None:
            ref = self._adopt_upload(key)
        if ref is None:
            raise InputError("this package is no longer loaded on the server (it may have "
                             "restarted); choose a package on the Data page")
        return ref

    def _adopt_upload(self, key: str) -> PackageRef | None:
        """An upload another worker process of this server took in (same work folder):
        its folder ``uploads/<content hash>`` and ``uploads/<content hash>.json``."""
        import json
        import re

        if not re.fullmatch(r"[0-9a-f]{64}", key):
            return None
        folder, meta = self.upload_dir / key, self.upload_dir / f"{key}.json"
        try:
            name = json.loads(meta.read_text(encoding="utf-8"))["name"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not folder.is_dir():
            return None
        with self._lock:
            if key not in self._refs:
                self._refs[key] = PackageRef(key, str(name), str(folder), "upload")
                self._uploads.append(key)
            return self._refs[key]

    def refs(self) -> list[PackageRef]:
        with self._lock:
            return list(self._refs.values())

    def get(self, key) -> Loaded:
        """The analysed package of a content hash (None: the default package), built on
        first use, then cached."""
        ref = self.ref(key)
        key = ref.key
        with self._lock:
            hit = self._loaded.get(key)
            if hit is not None:
                self._loaded.move_to_end(key)
                return hit
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one build per package, other threads wait for it
            with self._lock:
                hit = self._loaded.get(key)
            if hit is not None:
                return hit
            try:
                entry = Loaded(ref)
            except riskgraph.ValidationError as err:
                raise InputError(f"package {ref.name} no longer validates: {err}") from None
            with self._lock:
                self._loaded[key] = entry
                while len(self._loaded) > self.max_loaded:
                    self._loaded.popitem(last=False)
            return entry

    def add_upload(self, folder: Path, name: str) -> PackageRef:
        """Register a validated package folder made by :mod:`.uploads` (moved under the
        workspace, named by its content hash) and return its reference."""
        import json

        package = riskgraph.read_package(folder)  # raises ValidationError if invalid
        key = package.content_hash
        known = self._refs.get(key) or self._adopt_upload(key)
        if known is not None:
            shutil.rmtree(folder, ignore_errors=True)
            return known
        with self._lock:
            dest = self.upload_dir / key
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(folder, dest)
            # for the other worker processes of this server (see _adopt_upload)
            (self.upload_dir / f"{key}.json").write_text(json.dumps({"name": name}),
                                                          encoding="utf-8")
            ref = PackageRef(key, name, str(dest), "upload")
            self._refs[key] = ref
            self._uploads.append(key)
            while len(self._uploads) > self.max_uploads:
                old = self._uploads.pop(0)
                old_ref = self._refs.pop(old, None)
                self._loaded.pop(old, None)
                if old_ref is not None and old_ref.origin == "upload":
                    (self.upload_dir / f"{old}.json").unlink(missing_ok=True)
                    shutil.rmtree(old_ref.path, ignore_errors=True)
            return ref

    def new_upload_folder(self) -> Path:
        """A fresh private folder to extract one upload into."""
        return Path(tempfile.mkdtemp(prefix="incoming-", dir=self.upload_dir))

    def close(self) -> None:
        """Remove the private folder when the workspace made it."""
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)


def workspace() -> Workspace:
    """The workspace of the running dashboard app (also inside a background job)."""
    import dash

    return dash.get_app().server.config[CONFIG_KEY]


# ---------------------------------------------------------------------- job gate


@dataclass
class JobGate:
    """At most one Monte Carlo job per server, across processes.

    Background jobs run in their own processes, so the gate lives on disk (diskcache,
    whose ``add`` is atomic). A slot is taken by :meth:`acquire` (from the request that
    asks for a job), claimed by the job's process with :meth:`attach` and given back with
    :meth:`release`. A slot whose process has died (e.g. the job was cancelled, which
    kills it) or that was never claimed within ``claim_seconds`` is taken over.
    """

    folder: Path
    claim_seconds: float = 60.0
    max_seconds: float = 3600.0

    SLOT = "monte-carlo-slot"

    @contextlib.contextmanager
    def _open(self):
        # A fresh handle per use: SQLite connections must not cross a fork.
        import diskcache

        cache = diskcache.Cache(str(self.folder))
        try:
            yield cache
        finally:
            cache.close()

    def _stale(self, slot: dict) -> bool:
        import psutil

        pid = slot.get("pid")
        if pid is None:
            return time.time() - slot["since"] > self.claim_seconds
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    def acquire(self, what: str, params: dict) -> tuple[str | None, dict | None]:
        """``(ticket, None)`` when the slot was free, ``(None, holder)`` when busy.

        ``params`` (what the job is to do) stay on the server with the slot, so the job
        runs what was admitted, whatever the browser sends back.
        """
        ticket = uuid.uuid4().hex
        slot = {"ticket": ticket, "pid": None, "since": time.time(), "what": what,
                "params": dict(params)}
        with self._open() as cache:
            for _ in range(2):
                if cache.add(self.SLOT, slot, expire=self.max_seconds):
                    return ticket, None
                with cache.transact():
                    holder = cache.get(self.SLOT)
                    if holder is not None and self._stale(holder):
                        cache.delete(self.SLOT)
                        holder = None
                if holder is not None:
                    return None, holder
            return None, cache.get(self.SLOT)

    def attach(self, ticket, pid: int) -> dict | None:
        """Claim the slot for the job's process and return the admitted params; None if
        the ticket is not the holder's or was already claimed."""
        if not isinstance(ticket, str):
            return None
        with self._open() as cache, cache.transact():
            holder = cache.get(self.SLOT)
            if holder is None or holder["ticket"] != ticket or holder["pid"] is not None:
                return None
            holder["pid"] = pid
            cache.set(self.SLOT, holder, expire=self.max_seconds)
        return holder["params"]

    def release(self, ticket) -> None:
        with self._open() as cache, cache.transact():
            holder = cache.get(self.SLOT)
            if holder is not None and holder["ticket"] == ticket:
                cache.delete(self.SLOT)

    def holder(self) -> dict | None:
        """The running (or admitted) job's slot, None when free."""
        with self._open() as cache:
            holder = cache.get(self.SLOT)
        if holder is not None and self._stale(holder):
            return None
        return holder
