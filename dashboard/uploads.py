"""Turning an upload (one zip, or several CSV files) into a package folder, safely.

Nothing from an upload decides where a file is written: a member is written only when its
base name is one of the package's known file names (``nations.csv`` ... ``scenarios.toml``),
straight into a fresh private folder. So no name can climb out of it (zip-slip), no link
is followed, and unknown members are skipped and listed. Sizes are checked before anything
is decoded and again while each member is inflated, so a zip bomb stops at the limit.

Problems come back as rows shaped like a validation report (``severity``, ``code``,
``file``, ``line``, ``column``, ``value``, ``message``), so the Data page shows upload
problems and validation problems in one table.
"""

from __future__ import annotations

import base64
import binascii
import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from riskgraph.io.schema import TABLES

__all__ = ["DEFAULT_MAX_NODES", "PACKAGE_FILES", "UploadLimits", "UploadResult", "decode_data_url", "extract_upload"]

#: The only file names an upload may bring in.
PACKAGE_FILES = frozenset([t.filename for t in TABLES.values()] + ["scenarios.toml"])
_JUNK_PREFIXES = ("__MACOSX/",)
_CHUNK = 1 << 16


#: Largest uploaded package analysed, in nodes (``riskgraph dashboard --max-nodes``).
DEFAULT_MAX_NODES = 50_000


@dataclass(frozen=True)
class UploadLimits:
    """Caps on one upload; the defaults suit a browser upload of a national package."""

    max_upload_bytes: int = 50 * 1024 * 1024  # all files as sent, decoded
    max_file_bytes: int = 100 * 1024 * 1024  # one extracted file
    max_total_bytes: int = 200 * 1024 * 1024  # all extracted files
    max_members: int = 200  # entries in a zip
    max_ratio: float = 200.0  # inflated / compressed size of a zip member above 1 MiB
    max_nodes: int = DEFAULT_MAX_NODES  # nodes of the compiled package
    max_seconds: float = 600.0  # extracting, validating and analysing it
    max_memory_bytes: int = 4 * 2**30  # resident memory of the process that analyses it


@dataclass
class UploadResult:
    """What :func:`extract_upload` wrote and what it refused or skipped."""

    written: list
    problems: list  # rows of severity, code, file, line, column, value, message

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p["severity"] == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _problem(severity: str, code: str, file: str, message: str, value=None) -> dict:
    return {"severity": severity, "code": code, "file": file, "line": None, "column": None,
            "value": value, "message": message}


def decode_data_url(contents: str, limits: UploadLimits = UploadLimits()) -> bytes:
    """The bytes of a ``data:...;base64,...`` URL as ``dcc.Upload`` sends them.

    Raises
    ------
    ValueError
        When it is not a base64 data URL or would decode past ``max_upload_bytes``.

    Examples
    --------
    >>> decode_data_url("data:text/csv;base64,YSxiCg==")
    b'a,b\\n'
    """
    if not isinstance(contents, str) or "," not in contents:
        raise ValueError("not a file upload (expected a base64 data URL)")
    head, _, body = contents.partition(",")
    if not head.startswith("data:") or not head.endswith(";base64"):
        raise ValueError("not a base64 data URL")
    if len(body) * 3 // 4 > limits.max_upload_bytes:
        raise ValueError(f"upload larger than {limits.max_upload_bytes // (1024 * 1024)} MiB")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the upload is not valid base64") from None


def _base_name(name: str) -> str:
    """The last path component, whichever separator the client used."""
    return PureWindowsPath(PurePosixPath(name).name).name


def _unsafe(name: str) -> str | None:
    """Why a member name is unsafe to take at face value, or None."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or PureWindowsPath(name).drive or "\0" in name:
        return "absolute path"
    if any(part == ".." for part in norm.split("/")):
        return "path climbs out of the folder ('..')"
    return None


def extract_upload(files, dest, limits: UploadLimits = UploadLimits()) -> UploadResult:
    """Write the package files of an upload into ``dest`` (an empty private folder).

    Parameters
    ----------
    files
        ``(filename, bytes)`` pairs: either one ``.zip`` or several CSV / TOML files.
    dest
        The folder to write into (made by the caller, e.g. ``tempfile.mkdtemp``).
    limits
        Size caps.

    Returns
    -------
    UploadResult
        Files written and problems; with an error nothing should be loaded (the caller
        removes ``dest``).

    Examples
    --------
    >>> import tempfile
    >>> r = extract_upload([("../../etc/nations.csv", b"x"), ("evil.sh", b"x")],
    ...                    tempfile.mkdtemp())
    >>> r.written, [p["code"] for p in r.problems]
    (['nations.csv'], ['ignored'])
    """
    dest = Path(dest)
    files = list(files)
    result = UploadResult(written=[], problems=[])
    total = sum(len(data) for _, data in files)
    if total > limits.max_upload_bytes:
        result.problems.append(_problem(
            "error", "upload-too-large", "(upload)",
            f"the upload is {total / 2**20:.1f} MiB; the limit is "
            f"{limits.max_upload_bytes / 2**20:.0f} MiB"))
        return result
    zips = [(n, d) for n, d in files if str(n).lower().endswith(".zip")]
    if zips:
        if len(files) > 1:
            result.problems.append(_problem(
                "error", "upload-mixed", "(upload)",
                "upload either one .zip of the package or its CSV files, not both"))
            return result
        _extract_zip(zips[0][0], zips[0][1], dest, limits, result)
    else:
        _write_plain(files, dest, limits, result)
    if not result.written and result.ok:
        result.problems.append(_problem(
            "error", "upload-empty", "(upload)",
            f"no package file found; expected {', '.join(sorted(PACKAGE_FILES))}"))
    return result


def _write_plain(files, dest: Path, limits: UploadLimits, result: UploadResult) -> None:
    seen = set()
    for name, data in files:
        base = _base_name(str(name))
        if base not in PACKAGE_FILES:
            result.problems.append(_problem("warning", "ignored", str(name),
                                            "not a package file: ignored", value=str(name)))
            continue
        if base in seen:
            result.problems.append(_problem("error", "duplicate-file", base,
                                            f"{base} was uploaded twice"))
            continue
        if len(data) > limits.max_file_bytes:
            result.problems.append(_problem("error", "file-too-large", base,
                                            f"{base} is larger than the "
                                            f"{limits.max_file_bytes / 2**20:.0f} MiB limit"))
            continue
        seen.add(base)
        with open(dest / base, "xb") as fh:  # base is one of PACKAGE_FILES: stays in dest
            fh.write(data)
        result.written.append(base)


def _extract_zip(zname, data: bytes, dest: Path, limits: UploadLimits,
                 result: UploadResult) -> None:
    """Write the package members of zip ``data`` into ``dest``: every member is checked
    (names, links, encryption, declared sizes and ratios) before anything is inflated."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        result.problems.append(_problem("error", "bad-zip", str(zname),
                                        f"not a readable zip file: {exc}"))
        return
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            result.problems.append(_problem(
                "error", "zip-members", str(zname),
                f"the zip has {len(infos)} entries; at most {limits.max_members} are accepted"))
            return
        chosen = _choose_members(zname, infos, limits, result)
        if not result.ok:
            return
        _inflate_members(zf, chosen, dest, limits, result)


def _is_junk(name: str) -> bool:
    """Whether a zip entry is archiver clutter (macOS resource forks, .DS_Store)."""
    base = _base_name(name)
    return name.startswith(_JUNK_PREFIXES) or base.startswith("._") or base == ".DS_Store"


def _member_refusal(info: zipfile.ZipInfo, chosen: dict, limits: UploadLimits) -> dict | None:
    """The problem row refusing (or ignoring) one zip member, or None to take it."""
    name = info.filename
    why = _unsafe(name)
    if why:
        return _problem("error", "unsafe-path", name, f"refused zip entry: {why}", value=name)
    if stat.S_ISLNK(info.external_attr >> 16):
        return _problem("error", "unsafe-link", name, "refused zip entry: symbolic link",
                        value=name)
    if info.flag_bits & 0x1:
        return _problem("error", "encrypted", name, "encrypted zip entries are not supported",
                        value=name)
    base = _base_name(name)
    if base not in PACKAGE_FILES:
        return _problem("warning", "ignored", name, "not a package file: ignored", value=name)
    if base in chosen:
        return _problem("error", "duplicate-file", name, f"{base} appears twice in the zip "
                                                         f"({chosen[base].filename} and {name})")
    if info.file_size > limits.max_file_bytes:
        return _problem("error", "file-too-large", name,
                        f"{base} inflates to {info.file_size / 2**20:.0f} MiB; the limit is "
                        f"{limits.max_file_bytes / 2**20:.0f} MiB")
    if info.file_size > 2**20 and \
            info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return _problem("error", "zip-bomb", name,
                        f"{base} is compressed {info.file_size / max(info.compress_size, 1):.0f}"
                        ":1, which looks like a zip bomb; refused")
    return None


def _choose_members(zname, infos, limits: UploadLimits,
                    result: UploadResult) -> dict[str, zipfile.ZipInfo]:
    """The members to extract by base name; refusals go to ``result``, as does a declared
    total over ``max_total_bytes``."""
    chosen: dict[str, zipfile.ZipInfo] = {}
    declared = 0
    for info in infos:
        if info.is_dir() or _is_junk(info.filename):
            continue
        refusal = _member_refusal(info, chosen, limits)
        if refusal is not None:
            result.problems.append(refusal)
            continue
        declared += info.file_size
        chosen[_base_name(info.filename)] = info
    if declared > limits.max_total_bytes:
        result.problems.append(_problem(
            "error", "upload-too-large", str(zname),
            f"the package inflates to {declared / 2**20:.0f} MiB; the limit is "
            f"{limits.max_total_bytes / 2**20:.0f} MiB"))
    return chosen


def _inflate_members(zf: zipfile.ZipFile, chosen: dict, dest: Path, limits: UploadLimits,
                     result: UploadResult) -> None:
    """Inflate the chosen members into ``dest``, stopping at the first that is too big or
    unreadable (its partial file removed)."""
    budget = limits.max_total_bytes
    for base, info in chosen.items():
        # Declared sizes can lie: count what is really inflated and stop at the caps.
        cap = min(limits.max_file_bytes, budget)
        try:
            written = _inflate(zf, info, dest / base, cap)
        except _TooBig:
            (dest / base).unlink(missing_ok=True)
            result.problems.append(_problem("error", "zip-bomb", info.filename,
                                            f"{base} inflates past the "
                                            f"{cap / 2**20:.0f} MiB limit; refused"))
            return
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            (dest / base).unlink(missing_ok=True)
            result.problems.append(_problem("error", "bad-zip", info.filename,
                                            f"cannot extract {base}: {exc}"))
            return
        budget -= written
        result.written.append(base)


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, cap: int) -> int:
    """Inflate one member to a new file ``path``; the bytes written.

    Raises
    ------
    _TooBig
        As soon as more than ``cap`` bytes come out (the partial file is left for the
        caller to remove).
    """
    written = 0
    with zf.open(info) as src, open(path, "xb") as out:
        while True:
            chunk = src.read(_CHUNK)
            if not chunk:
                break
            written += len(chunk)
            if written > cap:
                raise _TooBig()
            out.write(chunk)
    return written


class _TooBig(Exception):
    pass
