"""The export folder as one unit: pre-flight, staging, swap-in, sweep (docs/design.md §5).

:func:`riskgraph.io.export.write_outputs` never writes into a live export folder file by
file. It builds the whole new set (tables, then ``manifest.json``) in a fresh sibling folder
``.<name>.riskgraph-tmp-<random>`` on the same file system, fsyncs every file and the
folder, and exchanges the two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``);
the old set, now under the temp name, is then removed. Where the exchange is unavailable
the old folder is renamed aside to ``.<name>.riskgraph-old-<random>`` and the new one
renamed in; a crash between those two renames is undone by the next run, which renames the
old set back. So at every instant the folder holds the previous complete set or the new
one, never a mix, whatever kills the process.

Files that riskgraph did not write (not listed in the previous ``manifest.json``) are hard
linked (copied where links are impossible) into the new set before the swap, so they
survive it; files the previous export listed and this one does not write go with the old
set. The folder keeps its permission bits (and, written by root, its owner); other
metadata of the folder itself (ACLs, extended attributes) is not carried over.

The folder is updated *in place* instead (each file written to a temp name and renamed,
the old manifest removed first and the new one renamed last, as the commit marker) when a
swap is impossible or unwelcome: the folder is a mount point, the current working
directory or one of its ancestors, holds sub-folders, or its parent is not writable.

Leftovers of interrupted runs (temp and old folders beside the export folder, temp files
inside it) are swept by the next run; a folder that another run is still building (it
holds an ``flock`` on it) is left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import secrets
import shutil
import stat
import tempfile
from pathlib import Path

from riskgraph.errors import UsageError

__all__ = ["TMP_MARK", "OLD_MARK", "build_folder", "check_output_dir", "exchange_folders", "stage",
           "sweep"]

#: Marks a temp file or folder: ``.<name>.riskgraph-tmp-<random>``.
TMP_MARK = ".riskgraph-tmp-"
#: Marks an old set renamed aside (the fallback swap): ``.<name>.riskgraph-old-<random>``.
OLD_MARK = ".riskgraph-old-"
MANIFEST_NAME = "manifest.json"

_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _renameat2():
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # pragma: no cover - not glibc >= 2.28
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                     ctypes.c_uint]
    return func


_RENAMEAT2 = _renameat2()


# --------------------------------------------------------------------------- pre-flight


def _os_error(exc: OSError, path: Path) -> OSError:
    """``exc`` re-raised against ``path`` (the folder the user named, not a probe)."""
    return OSError(exc.errno, exc.strerror or os.strerror(exc.errno or 0), os.fspath(path))


def _nearest_existing(path: Path) -> Path:
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            return folder
    return Path("/")  # pragma: no cover - the root always exists


def _probe(folder: Path, name: str, reported: Path) -> None:
    """Create and remove something in ``folder``: the one test of writability that also
    holds for root (read-only mounts, immutable folders). An unnamed O_TMPFILE file leaves
    no trace even if the process dies here; a probe folder is the fallback."""
    try:
        try:
            os.close(os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600))
            return
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
        probe = folder / f".{name}{TMP_MARK}probe-{secrets.token_hex(4)}"
        os.mkdir(probe, 0o700)
    except OSError as exc:
        raise _os_error(exc, reported) from None
    os.rmdir(probe)


def check_output_dir(out_dir, *, package_dir=None) -> Path:
    """Pre-flight: fail fast, before any analysis, if ``out_dir`` cannot take an export.

    Recovers and sweeps what interrupted runs left (see the module docstring), then checks
    that the folder (or, where it does not exist yet, its nearest existing parent, in which
    the missing parents will be created) is a writable folder, outside ``package_dir``.

    Returns
    -------
    pathlib.Path
        ``out_dir`` with symlinks resolved: the folder that will be written.

    Raises
    ------
    UsageError
        ``out_dir`` or a parent is a file, or ``out_dir`` is ``package_dir`` or inside it.
    OSError
        The folder cannot be written (read-only file system, no permission, ...), with
        ``filename`` the folder named.
    """
    given = Path(out_dir)
    out = Path(os.path.realpath(given))
    if package_dir is not None:
        pkg = Path(os.path.realpath(package_dir))
        if out == pkg or pkg in out.parents:
            raise UsageError(f"refusing to write outputs to {os.fspath(given)!r}: it is the "
                             f"input package folder {os.fspath(package_dir)!r} or inside "
                             "it; choose an --out folder elsewhere")
    existing = _nearest_existing(out)
    if not existing.is_dir():
        what = "output folder" if existing == out else "a parent of the output folder"
        raise UsageError(f"{what} {os.fspath(existing)!r} exists and is not a folder")
    if existing == out:
        sweep(out)
        _probe(out, "probe", given)  # the old set must be removable, the folder writable
        if _swap_possible(out):
            _probe(out.parent, out.name, given)
    else:
        if existing == out.parent:
            sweep(out)  # an interrupted fallback swap may have left the folder aside
        if os.path.isdir(out):
            return check_output_dir(out_dir, package_dir=package_dir)
        _probe(existing, out.name, given)
    return out


# --------------------------------------------------------------------------- sweeping


def _leftovers(out: Path, mark: str) -> list[Path]:
    prefix = f".{out.name}{mark}"
    try:
        names = os.listdir(out.parent)
    except OSError:
        return []
    return sorted(out.parent / n for n in names if n.startswith(prefix))


@contextlib.contextmanager
def _unless_busy(folder: Path):
    """Yield True while holding ``folder``'s lock, False if another run holds it."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _remove_tree(folder: Path) -> None:
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            folder.unlink()


def sweep(out) -> None:
    """Undo or remove what interrupted runs left beside and inside the folder ``out``.

    An old set renamed aside while ``out`` is missing is renamed back (the crash fell
    between the two renames of the fallback swap); other old sets and temp folders not
    locked by a running export are removed, and so are temp files inside ``out``.
    """
    out = Path(out)
    olds = _leftovers(out, OLD_MARK)
    if olds and not os.path.lexists(out):
        newest = max(olds, key=lambda p: p.stat().st_mtime_ns)
        os.rename(newest, out)
        olds.remove(newest)
    for left in olds + _leftovers(out, TMP_MARK):
        with _unless_busy(left) as free:
            if free:
                _remove_tree(left)
    if out.is_dir():
        for name in os.listdir(out):
            if name.startswith(".") and TMP_MARK in name:
                _remove_tree(out / name)


# --------------------------------------------------------------------------- staging


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to the new file ``path`` and fsync it."""
    fd = os.open(path, _OPEN_FLAGS, 0o666)  # 0o666: the umask applies as for any file
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _previous_outputs(out: Path) -> set[str]:
    """The files the previous export listed in its manifest (none if it has none)."""
    try:
        manifest = json.loads((out / MANIFEST_NAME).read_text("utf-8"))
        return {str(name) for name in manifest["outputs"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _swap_possible(out: Path) -> bool:
    if not out.exists():
        return True
    if os.path.ismount(out):
        return False
    cwd = Path(os.path.realpath(os.getcwd()))
    if cwd == out or out in cwd.parents:
        return False
    if not os.access(out.parent, os.W_OK | os.X_OK):
        return False
    with os.scandir(out) as entries:
        return not any(e.is_dir(follow_symlinks=False) for e in entries)


class _InPlace:
    """Each file to a temp name in ``out``, renamed over its final name; manifest last."""

    def __init__(self, out: Path):
        self.out = out
        self.pending: dict[str, Path] = {}

    def add(self, name: str, data: bytes) -> None:
        while True:
            tmp = self.out / f".{name}{TMP_MARK}{secrets.token_hex(8)}"
            if not os.path.lexists(tmp):
                break
        self.pending[name] = tmp
        _write_file(tmp, data)

    def commit(self) -> None:
        # The old manifest would describe tables about to be replaced: drop it first.
        with contextlib.suppress(FileNotFoundError):
            (self.out / MANIFEST_NAME).unlink()
        for name in [n for n in self.pending if n != MANIFEST_NAME]:
            os.replace(self.pending[name], self.out / name)
            del self.pending[name]
        _fsync_folder(self.out)
        os.replace(self.pending[MANIFEST_NAME], self.out / MANIFEST_NAME)
        del self.pending[MANIFEST_NAME]
        _fsync_folder(self.out)

    def abort(self) -> None:
        for tmp in self.pending.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


class _Swap:
    """The new set in a locked sibling temp folder, exchanged with ``out`` at commit."""

    def __init__(self, out: Path):
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        while True:
            self.folder = out.parent / f".{out.name}{TMP_MARK}{secrets.token_hex(8)}"
            try:
                os.mkdir(self.folder, 0o777)  # the umask applies as for any folder
                break
            except FileExistsError:  # pragma: no cover - 64 random bits collided
                continue
        self.lock = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.names: set[str] = set()

    def add(self, name: str, data: bytes) -> None:
        self.names.add(name)
        _write_file(self.folder / name, data)

    def _carry_over(self) -> None:
        """Hard link the files riskgraph did not write into the new set."""
        if not self.out.is_dir():
            return
        mine = _previous_outputs(self.out) | self.names | {MANIFEST_NAME}
        for name in sorted(os.listdir(self.out)):
            if name in mine or (name.startswith(".") and TMP_MARK in name):
                continue
            source, dest = self.out / name, self.folder / name
            if os.path.islink(source):
                os.symlink(os.readlink(source), dest)
                continue
            try:
                os.link(source, dest, follow_symlinks=False)
            except OSError:
                shutil.copy2(source, dest)
        st = os.stat(self.out)
        os.chmod(self.folder, stat.S_IMODE(st.st_mode))
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # root writing a user's folder
            os.chown(self.folder, st.st_uid, st.st_gid)

    def commit(self) -> None:
        self._carry_over()
        _fsync_folder(self.folder)
        if not self.out.exists():
            os.rename(self.folder, self.out)
            self.folder = None
        elif exchange_folders(self.folder, self.out):
            pass  # self.folder now holds the old set
        else:
            aside = self.out.parent / f".{self.out.name}{OLD_MARK}{secrets.token_hex(8)}"
            os.rename(self.out, aside)
            try:
                os.rename(self.folder, self.out)
            except BaseException:
                os.rename(aside, self.out)
                raise
            self.folder = aside
        _fsync_folder(self.out.parent)
        self.abort()  # removes the old set

    def abort(self) -> None:
        try:
            if self.folder is not None:
                _remove_tree(self.folder)
                self.folder = None
        finally:
            if self.lock is not None:
                os.close(self.lock)
                self.lock = None


def exchange_folders(a: Path, b: Path) -> bool:
    """Exchange folders ``a`` and ``b`` in one step; False where the system cannot."""
    if _RENAMEAT2 is None:  # pragma: no cover
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


def stage(out: Path):
    """Where ``write_outputs`` puts the new set: an object with ``add(name, bytes)``
    (``manifest.json`` last), ``commit()`` and ``abort()``."""
    return _Swap(out) if _swap_possible(out) else _InPlace(out)


def build_folder(out, build) -> Path:
    """Write a whole folder at once (``riskgraph generate``): ``build(folder)`` fills a fresh
    staging folder, which then replaces ``out`` as an export set does (:func:`stage`).

    Files of ``out`` that the new set does not hold are carried over; a failure or kill
    while building leaves ``out`` as it was. Where a swap is impossible the files are
    built in a temp folder inside ``out`` and renamed into place one by one.
    """
    out = Path(out)
    sweep(out)
    if _swap_possible(out):
        swap = _Swap(out)
        try:
            build(swap.folder)
            swap.names = set(os.listdir(swap.folder))
            for name in swap.names:
                fd = os.open(swap.folder / name, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            swap.commit()
        except OSError as exc:
            swap.abort()
            raise _os_error(exc, out) from None
        except BaseException:
            swap.abort()
            raise
        return out
    tmp = Path(tempfile.mkdtemp(prefix=f".{TMP_MARK}", dir=out))
    try:
        build(tmp)
        for name in sorted(os.listdir(tmp)):
            os.replace(tmp / name, out / name)
        _fsync_folder(out)
    finally:
        _remove_tree(tmp)
    return out
