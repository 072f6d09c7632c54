"""Finding and opening the files of a package: the folder, each table's file, its bytes.

Everything the operating system can say about an input ends here as a validation error
naming the path (exit 3), never as a traceback and never as silence: a missing or
unreadable folder, ``/dev/null`` or a FIFO given as a package, a folder or FIFO where a CSV
is expected, a broken symbolic link or one leading out of the package, a file name that
differs only in case, a compressed file, a file over the size cap. Files are read whole
(at most the cap plus one byte) so a file growing while read cannot exceed the cap.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from riskgraph.io.report import ValidationReport
from riskgraph.io.schema import Table

__all__ = ["COMPRESSED_MAGIC", "check_path", "file_bytes", "wide_encoding"]

#: File signatures of compressed formats (first bytes), by name.
COMPRESSED_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"7z\xbc\xaf\x27\x1c": "7z",
}
_COMPRESSED_SUFFIXES = (".gz", ".zip", ".bz2", ".xz", ".zst", ".7z", ".tgz", ".tar")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def check_path(path, report: ValidationReport) -> Path | None:
    """The package folder, or None (and an error) when ``path`` is not one."""
    name = str(os.fspath(path))
    if _URL.match(name):
        report.add("error", "url", name,
                   "URLs are not read: download the package and pass a local folder")
        return None
    p = Path(name)
    try:
        mode = p.stat().st_mode
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and not p.is_symlink():
            report.add("error", "missing-package", name, "no such folder: pass the folder "
                       "that holds nations.csv, suppliers.csv, ...")
        else:
            report.add("error", "unreadable", name, f"cannot open the package: {_why(exc)}")
        return None
    if stat.S_ISDIR(mode):
        try:
            os.listdir(p)
        except OSError as exc:
            report.add("error", "unreadable", name,
                       f"cannot list the package folder: {_why(exc)}")
            return None
        return p
    if stat.S_ISREG(mode):
        kind = _compressed_kind(p)
        if kind:
            report.add("error", "compressed", name,
                       f"this is a {kind} archive: compressed packages are not read; "
                       "extract it and pass the folder")
        else:
            report.add("error", "not-a-folder", name,
                       "a data package is a folder of CSV files, not a single file")
        return None
    report.add("error", "not-a-folder", name,
               f"this is {_kind(mode)}, not a folder: a data package is a folder of CSV files")
    return None


def _why(exc: OSError) -> str:
    """An OS error in words, without the Python exception's class or repr."""
    return exc.strerror or str(exc) or type(exc).__name__


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return kind
    return "not a regular file"


def _compressed_kind(p: Path) -> str | None:
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    for magic, kind in COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            return kind
    if p.name.lower().endswith(_COMPRESSED_SUFFIXES):
        return p.suffix.lstrip(".")
    return None


def _file_path(folder: Path, table: Table, report: ValidationReport) -> Path | None:
    """The path to read for ``table``, or None (with an error when something is wrong).

    An optional file that is absent is no error; one that is there but is not a regular
    file inside the package (a folder, a FIFO, a broken symbolic link, a link leading out
    of the package, unreadable) is one, never silence: its rows would be missing from
    every result. So is a file whose name differs only in case or by a compression suffix.
    """
    fname = table.filename
    path = folder / fname
    try:
        link = path.lstat()
    except FileNotFoundError:
        _missing_file(folder, table, report)
        return None
    except OSError as exc:
        report.add("error", "unreadable", fname, f"cannot open {fname}: {_why(exc)}")
        return None
    if stat.S_ISLNK(link.st_mode):
        target = os.path.realpath(path)
        if not os.path.exists(target):
            report.add("error", "broken-link", fname,
                       f"{fname} is a symbolic link to {os.readlink(path)!r}, which does not "
                       "exist: copy the file itself into the package")
            return None
        base = os.path.realpath(folder)
        if os.path.commonpath([base, target]) != base:
            report.add("error", "outside-link", fname,
                       f"{fname} is a symbolic link to {target!r}, outside the package "
                       "folder: copy the file itself into the package")
            return None
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        report.add("error", "unreadable", fname, f"cannot open {fname}: {_why(exc)}")
        return None
    if not stat.S_ISREG(mode):
        report.add("error", "not-a-file", fname,
                   f"{fname} is {_kind(mode)}, not a CSV file")
        return None
    return path


def _missing_file(folder: Path, table: Table, report: ValidationReport) -> None:
    fname = table.filename
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        names = []
    others = [n for n in names if n.lower().startswith(fname + ".") or
              (n.lower() == fname and n != fname)]
    if others:
        hint = f"; found {', '.join(others)}"
        if any(o.lower().endswith(_COMPRESSED_SUFFIXES) for o in others):
            hint += " (compressed files are not read: decompress it)"
        elif any(o.lower() == fname for o in others):
            hint += f" (file names are lower case: rename it to {fname})"
    else:
        hint = ""
    if table.required:
        report.add("error", "missing-file", fname, f"required file {fname} is missing{hint}")
    elif hint:
        report.add("error", "missing-file", fname, f"optional file {fname} not found{hint}")


_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32 LE"), (b"\x00\x00\xfe\xff", "UTF-32 BE"),
              (b"\xff\xfe", "UTF-16 LE"), (b"\xfe\xff", "UTF-16 BE"))


def wide_encoding(data: bytes) -> str | None:
    """'UTF-16 LE' etc. when ``data`` is UTF-16 or UTF-32 text, by its byte-order mark or,
    without one, by the NUL bytes beside an ASCII first character; else None.

    >>> wide_encoding("a,b".encode("utf-32-be")), wide_encoding(b"a,b")
    ('UTF-32 BE without a byte-order mark', None)
    """
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name
    head = data[:4]
    if len(head) < 2 or b"\x00" not in head:
        return None
    for pattern, name in (((1, 0, 0, 0), "UTF-32 LE"), ((0, 0, 0, 1), "UTF-32 BE"),
                          ((1, 0), "UTF-16 LE"), ((0, 1), "UTF-16 BE")):
        if len(head) >= len(pattern) and all(
                (b != 0) == bool(want) for b, want in zip(head, pattern)):
            if max(head) < 0x80:
                return f"{name} without a byte-order mark"
    return None


def file_bytes(folder: Path, table: Table, report: ValidationReport,
               max_file_bytes: int) -> bytes | None:
    """The bytes of ``table``'s file in ``folder``; None when absent or refused (the reason,
    if any, in ``report``)."""
    path = _file_path(folder, table, report)
    if path is None:
        return None
    fname = table.filename
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_file_bytes:
                report.add("error", "file-too-large", fname,
                           f"file is {size:,} bytes, over the cap of {max_file_bytes:,} "
                           "bytes; raise the cap (--max-file-mb) if this is intended")
                return None
            data = _read_capped(fh, size, max_file_bytes)
    except OSError as exc:
        report.add("error", "unreadable", fname, f"cannot read {fname}: {_why(exc)}")
        return None
    if len(data) > max_file_bytes:  # it grew while being read
        report.add("error", "file-too-large", fname,
                   f"file is over the cap of {max_file_bytes:,} bytes; raise the cap "
                   "(--max-file-mb) if this is intended")
        return None
    return data


def _read_capped(fh, size: int, cap: int) -> bytes:
    """The file's bytes, at most ``cap + 1`` of them (more than ``cap``: too large).

    One read of the size ``fstat`` gave (read() allocates what it is asked for, so never
    the cap itself); a file that grew meanwhile is read on in 1 MiB pieces."""
    data = fh.read(min(size, cap) + 1)
    if len(data) <= size:
        return data
    parts, total = [data], len(data)
    while total <= cap:
        chunk = fh.read(min(1 << 20, cap + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)
