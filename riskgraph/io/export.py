"""Formula-safe, atomic CSV exports with a provenance manifest (docs/design.md §5).

The CLI's ``--out DIR`` and the dashboard's CSV downloads both go through this module:

- :func:`neutralize_formulas` makes text that a spreadsheet would run as a formula inert,
- :func:`to_csv_bytes` turns one table into deterministic, formula-safe UTF-8 CSV bytes,
- :func:`write_outputs` writes a folder of tables with ``manifest.json`` as one unit, never
  over an input,
- :func:`check_output_dir` is the pre-flight the commands run before any analysis.

The module knows nothing of particular analyses: a table is any DataFrame.

CSV dialect: see :mod:`riskgraph.io.formulas`, which makes the bytes.

Folder semantics
----------------
An export folder holds one complete set (its tables and ``manifest.json``) or, if never
written, nothing of riskgraph's: :mod:`riskgraph.io.outdir` builds the new set beside the
folder and swaps it in at once, so a killed, interrupted or failing run leaves the previous
set as it was (see that module for how, and for the few folders updated in place, where
``manifest.json`` written last is the commit marker). Files riskgraph did not write are
kept; tables the previous export listed and this one does not write go with the old set.
Two runs must not write to the same folder at the same time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import enum
import hashlib
import json
import math
import os
import platform
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from riskgraph.errors import UsageError
from riskgraph.io.formulas import FORMULA_TRIGGERS, neutralize_formulas, to_csv_bytes
from riskgraph.io.outdir import check_output_dir, stage

__all__ = [
    "FORMULA_TRIGGERS",
    "MANIFEST_NAME",
    "check_output_dir",
    "neutralize_formulas",
    "to_csv_bytes",
    "write_outputs",
]

#: The name of the provenance file in every export folder.
MANIFEST_NAME = "manifest.json"


# --------------------------------------------------------------------------- manifest


def _sort_key(value):
    return (type(value).__name__, json.dumps(value, sort_keys=True, ensure_ascii=False))


def _json_safe(value, where: str = "parameters"):
    """``value`` as plain JSON data (dict, list, str, int, float, bool, None).

    numpy scalars and arrays become Python numbers and lists, paths strings, tuples lists,
    sets sorted lists, dataclasses and mappings dicts with sorted string keys, enums their
    value, dates ISO 8601 strings; a non-finite float becomes the string ``"nan"``, ``"inf"``
    or ``"-inf"`` (JSON has no such numbers).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, enum.Enum):
        return _json_safe(value.value, where)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (_dt.timedelta, pd.Timedelta)):
        return pd.Timedelta(value).isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        items = {}
        for key, item in value.items():
            key = _json_safe(key, where)
            key = key if isinstance(key, str) else json.dumps(key, ensure_ascii=False)
            items[key] = _json_safe(item, f"{where}[{key!r}]")
        return {key: items[key] for key in sorted(items)}
    if isinstance(value, (np.ndarray, pd.Index, pd.Series)):
        value = np.asarray(value).tolist()
    if isinstance(value, (set, frozenset)):
        return sorted((_json_safe(v, where) for v in value), key=_sort_key)
    if isinstance(value, (list, tuple)):
        return [_json_safe(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise UsageError(
        f"{where}: cannot record a value of type {type(value).__name__} in the manifest; "
        "use numbers, strings, booleans, paths, lists, sets, mappings or dataclasses")


def _manifest(*, command, package, parameters, seed, outputs) -> dict:
    from riskgraph import __version__  # late: riskgraph/__init__ may import this module

    if package is not None and getattr(package, "path", ""):
        package_path = str(Path(package.path).resolve())
    else:
        package_path = None
    inputs = dict(getattr(package, "sha256", None) or {})
    return {
        "tool": "riskgraph",
        "version": __version__,
        "command": _json_safe(command, "command"),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "package_path": package_path,
        "inputs": {name: inputs[name] for name in sorted(inputs)},
        "parameters": _json_safe(parameters or {}),
        "seed": _json_safe(seed, "seed"),
        "outputs": {name: outputs[name] for name in sorted(outputs)},
    }


# --------------------------------------------------------------------------- writing


def _check_names(names) -> None:
    seen: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str) or not name:
            raise UsageError(f"output name {name!r} must be a non-empty file name")
        if (name in (".", "..") or "/" in name or "\\" in name or "\0" in name
                or name != name.strip()):
            raise UsageError(f"output name {name!r} must be a plain file name such as "
                             "'spof.csv', with no folder part or surrounding spaces")
        if name.startswith("."):
            raise UsageError(f"output name {name!r} must not start with '.'")
        if name.casefold() == MANIFEST_NAME:
            raise UsageError(f"output name {name!r} is reserved for the manifest")
        other = seen.setdefault(name.casefold(), name)
        if other != name:  # a case-insensitive file system would write one over the other
            raise UsageError(f"output names {other!r} and {name!r} differ only in case")


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_not_input(out: Path, names, package) -> None:
    """Refuse an out_dir that is, or is inside, the package folder, or that hits an input."""
    if package is None or not getattr(package, "path", ""):
        return
    pkg = Path(package.path)
    # samefile also sees through symlinks, bind mounts and case-insensitive spellings.
    resolved_pkg = pkg.resolve()
    target = out.resolve()
    for folder in (out, target, *target.parents):
        if folder == resolved_pkg or _same(folder, pkg):
            raise UsageError(
                f"refusing to write outputs to {os.fspath(out)!r}: it is the input package "
                f"folder {os.fspath(pkg)!r} or inside it; choose an --out folder elsewhere")
    inputs = [pkg / name for name in getattr(package, "sha256", None) or {}]
    for name in names:
        dest = out / name
        for source in inputs:
            if dest.resolve() == source.resolve() or _same(dest, source):
                raise UsageError(f"refusing to write {os.fspath(dest)!r}: it is the input "
                                 f"file {os.fspath(source)!r}")


def _check_tables(out: Path, tables, *, package, parameters, index) -> list[str]:
    """The file names, after every check that needs no CSV bytes: a bad name, table or
    parameter is refused before anything touches the disk."""
    if not isinstance(tables, Mapping):
        raise UsageError(f"tables must map file names to DataFrames, got "
                         f"{type(tables).__name__}")
    if parameters is not None and not isinstance(parameters, Mapping):
        raise UsageError(f"parameters must be a mapping, got {type(parameters).__name__}")
    names = list(tables)
    _check_names(names)
    _check_not_input(out, names, package)
    if out.exists() and not out.is_dir():
        raise UsageError(f"output folder {os.fspath(out)!r} exists and is not a folder")
    for name in names:
        table = tables[name]
        if not isinstance(table, pd.DataFrame):
            raise UsageError(f"table {name!r} must be a pandas DataFrame, got "
                             f"{type(table).__name__}")
        if index:
            try:  # the one way to_csv_bytes can refuse a DataFrame
                table.iloc[:0].reset_index()
            except ValueError as exc:
                raise UsageError(f"cannot write the index of {name!r} as a column: "
                                 f"{exc}") from exc
    _json_safe(parameters)  # an unrecordable parameter is refused now, not after writing
    return names


def _manifest_bytes(**manifest_args) -> bytes:
    manifest = _manifest(**manifest_args)
    return (json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False)
            + "\n").encode("utf-8")


def write_outputs(
    out_dir,
    tables: Mapping[str, pd.DataFrame],
    *,
    command: str,
    package=None,
    parameters: Mapping | None = None,
    seed: int | None = None,
    index: bool = False,
) -> Path:
    """Write tables as formula-safe CSV files plus ``manifest.json``, all or nothing.

    The whole set is written and fsynced in a temp folder beside ``out_dir``
    (``.<name>.riskgraph-tmp-<random>``) and then swapped in, in one step
    (:mod:`riskgraph.io.outdir`): whatever stops the run (a kill, Ctrl-C, a full disk), the
    folder holds the previous complete set or the new one, never a mix. Files in the folder
    that riskgraph did not write are carried over. Leftovers of earlier interrupted runs
    are swept first.

    Parameters
    ----------
    out_dir
        The export folder; created with its parents if missing.
    tables
        File name (e.g. ``"spof.csv"``) to table; names must be plain file names.
    command
        What produced the tables (e.g. ``"riskgraph analyse pkg --out out"``), recorded.
    package
        The :class:`~riskgraph.io.package.DataPackage` analysed: its input sha256s are recorded
        and its folder is protected.
    parameters
        Analysis parameters, recorded in JSON-safe form (numpy scalars become numbers, paths
        strings, tuples lists, sets sorted lists, dataclasses dicts).
    seed
        The random seed, if any.
    index
        Also write each table's index (see :func:`to_csv_bytes`).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    UsageError
        If ``out_dir`` is the package folder or inside it, an output would replace an input
        file, ``out_dir`` is not a folder, a name is not a plain file name, a table is not a
        DataFrame, or a parameter cannot be recorded. Nothing is written then.
    OSError
        The disk is full, a file size limit or a read-only file system stops a write, and
        so on: the previous set is left as it was.

    Notes
    -----
    The manifest has ``tool``, ``version``, ``command``, ``created_utc`` (ISO 8601, UTC),
    ``python``, ``package_path`` (absolute, or null), ``inputs`` ({file name: sha256} of the
    package's files as read), ``parameters``, ``seed`` and ``outputs`` ({file name:
    {"rows": n, "sha256": hex digest of the bytes written}}).
    """
    out = check_output_dir(out_dir)
    names = _check_tables(out, tables, package=package, parameters=parameters, index=index)
    given, where = Path(out_dir), Path(out_dir)
    target = None
    try:
        target = stage(out)
        # one table's bytes in memory at a time: at a million nodes a table is ~1 GB
        outputs = {}
        for name in names:
            data = to_csv_bytes(tables[name], index=index)
            outputs[name] = {"rows": int(len(tables[name])),
                             "sha256": hashlib.sha256(data).hexdigest()}
            where = given / name
            target.add(name, data)
            del data
        where = given / MANIFEST_NAME
        target.add(MANIFEST_NAME, _manifest_bytes(command=command, package=package,
                                                  parameters=parameters, seed=seed,
                                                  outputs=outputs))
        where = given
        target.commit()
    except BaseException as exc:
        if target is not None:
            with contextlib.suppress(OSError):
                target.abort()
        if isinstance(exc, OSError):  # the user's name for what failed, not a temp folder's
            raise OSError(exc.errno, exc.strerror or str(exc), os.fspath(where)) from exc
        raise
    return Path(out_dir)
