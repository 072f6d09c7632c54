"""An on-disk cache of analysis results, keyed by what they are a pure function of.

Every analysis is a pure function of the validated package, the compile options and its
parameters (docs/design.md §4), so a result can be reused whenever those are unchanged.
The key is a sha256 over the package's content hash (every input byte), the riskgraph
version, a kind label and the parameters; any input byte change, version change or
parameter change gives a different key, so stale entries are never read — they are only
left behind, and :meth:`ResultCache.clear` removes them.

The folder is ``$RISKGRAPH_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/riskgraph`` or
``~/.cache/riskgraph``; the CLI's ``--cache-dir`` overrides both and ``--no-cache`` turns
the cache off. Users may move or delete the folder at any time.

Tables go to Arrow IPC files (:meth:`ResultCache.put_frames`: index, dtypes and values
round-trip exactly, so a cached result exports byte-identical CSVs; a test checks it);
the small values beside them are pickled. Like any cache of Python objects, the folder must be writable
only by its user: riskgraph creates it with mode 0700 and refuses to read entries from a
folder another user can write to.

>>> import tempfile
>>> cache = ResultCache(tempfile.mkdtemp())
>>> key = cache.key("demo", "0" * 64, {"seed": 1})
>>> cache.get_frames(key) is None
True
>>> import pandas as pd
>>> cache.put_frames(key, {"t": pd.DataFrame({"x": [1, 2]}, index=["a", "b"])}, {"seed": 1})
>>> frames, meta = cache.get_frames(key)
>>> frames["t"].loc["b", "x"], meta
(np.int64(2), {'seed': 1})
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import stat
import tempfile
from pathlib import Path


__all__ = ["ResultCache", "default_cache_dir"]

logger = logging.getLogger(__name__)


#: Rows converted to Arrow at a time: a table is written in slices, so converting it never
#: needs a second copy of the whole table in memory (about 3 GB at a million nodes).
ARROW_BATCH_ROWS = 1 << 20


def _write_arrow(path: Path, frame) -> None:
    import pyarrow as pa

    # the index is stored as columns in every slice (preserve_index=True), so each slice
    # carries the same pandas metadata and the file reads back as the whole frame
    # Tables, not record batches: a pandas string column converts to a chunked Arrow
    # array, which RecordBatch.from_pandas refuses
    first = pa.Table.from_pandas(frame.iloc[:ARROW_BATCH_ROWS], preserve_index=True)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, first.schema) as writer:
        writer.write_table(first)
        for lo in range(ARROW_BATCH_ROWS, len(frame), ARROW_BATCH_ROWS):
            part = frame.iloc[lo:lo + ARROW_BATCH_ROWS]
            writer.write_table(pa.Table.from_pandas(part, schema=first.schema,
                                                    preserve_index=True))


def default_cache_dir() -> Path:
    """``$RISKGRAPH_CACHE_DIR``, else ``$XDG_CACHE_HOME/riskgraph``, else
    ``~/.cache/riskgraph``."""
    env = os.environ.get("RISKGRAPH_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "riskgraph"


class ResultCache:
    """A folder of pickled results, one file per key, written atomically."""

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()

    @staticmethod
    def key(kind: str, content_hash: str, parameters: dict) -> str:
        """The entry name for ``kind`` on a package with ``content_hash`` and
        ``parameters`` (JSON-serialisable), under this riskgraph version."""
        from riskgraph import __version__

        blob = json.dumps({"kind": kind, "package": content_hash, "version": __version__,
                           "parameters": parameters}, sort_keys=True, default=str)
        return f"{kind}-{hashlib.sha256(blob.encode()).hexdigest()[:40]}"

    def _safe_folder(self) -> bool:
        try:
            st = self.folder.stat()
        except OSError:
            return False
        if not stat.S_ISDIR(st.st_mode):
            return False
        if hasattr(os, "getuid") and (st.st_uid != os.getuid()
                                      or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            logger.warning("not reading the analysis cache %s: it is writable by another "
                           "user", self.folder)
            return False
        return True

    def put_frames(self, key: str, frames: dict, meta) -> None:
        """Store named DataFrames as Arrow IPC files (with ``meta``, any picklable value,
        beside them) in one folder, renamed into place at once.

        Arrow files hold pandas' own metadata (index, dtypes); each table is converted
        and written in slices of :data:`ARROW_BATCH_ROWS` rows, so storing never holds a
        second copy of a whole table (one pickle of a million-node analysis took 16 s and
        3 GB more memory), and reading memory-maps the files."""
        try:
            self._store(key, frames, meta)
        except OSError as exc:  # a full or read-only cache must not cost the user the run
            logger.warning("not storing the analysis in the cache %s: %s (choose another "
                           "folder with --cache-dir or turn it off with --no-cache)",
                           self.folder, exc.strerror or exc)

    def _store(self, key: str, frames: dict, meta) -> None:
        self._mkdir()
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".tmp", dir=self.folder))
        try:
            for name, frame in frames.items():
                _write_arrow(tmp / f"{name}.arrow", frame)
            with open(tmp / "meta.pickle", "wb") as fh:
                pickle.dump({"names": list(frames), "meta": meta}, fh)
            final = self.folder / key
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def get_frames(self, key: str):
        """``(frames, meta)`` stored by :meth:`put_frames`, or None (a broken entry is a
        miss)."""
        import pyarrow as pa

        folder = self.folder / key
        if not (folder / "meta.pickle").is_file() or not self._safe_folder():
            return None
        try:
            with open(folder / "meta.pickle", "rb") as fh:
                stored = pickle.load(fh)
            frames = {}
            for name in stored["names"]:
                with pa.memory_map(str(folder / f"{name}.arrow")) as source:
                    frames[name] = pa.ipc.open_file(source).read_all().to_pandas()
            return frames, stored["meta"]
        except Exception as exc:  # a truncated or foreign entry: recompute, never fail
            logger.warning("ignoring unreadable cache entry %s: %s", folder, exc)
            return None

    def _mkdir(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        removed = 0
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.is_dir() and (path / "meta.pickle").exists():
                    shutil.rmtree(path, ignore_errors=True)
                    removed += 1
        return removed
