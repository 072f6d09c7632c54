"""A validated data package: the typed tables of docs/design.md §2."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from riskgraph.errors import ValidationError
from riskgraph.io.validation import DEFAULT_MAX_FILE_BYTES, ValidationReport, validate_tables

__all__ = ["DataPackage", "read_package", "write_package"]


@dataclass(frozen=True)
class DataPackage:
    """The validated tables of one package.

    ``nations``, ``suppliers`` and ``components`` are indexed by their id; ``bom``,
    ``sourcing`` and ``fielding`` have a plain index. Ids are strings exactly as written;
    numeric columns are floats (``min_sources`` an integer) with the schema's defaults
    filled in; unknown extra columns are kept as strings.
    """

    nations: pd.DataFrame
    suppliers: pd.DataFrame
    components: pd.DataFrame
    bom: pd.DataFrame
    sourcing: pd.DataFrame
    fielding: pd.DataFrame
    controls: pd.DataFrame | None = None  # optional controls.csv (docs/design.md §3.4)
    mitigations: pd.DataFrame | None = None  # optional mitigations.csv (§4.10)
    path: str = ""
    sha256: dict = field(default_factory=dict)
    report: ValidationReport | None = None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        tables = {name: getattr(self, name) for name in
                  ("nations", "suppliers", "components", "bom", "sourcing", "fielding")}
        if self.controls is not None:
            tables["controls"] = self.controls
        if self.mitigations is not None:
            tables["mitigations"] = self.mitigations
        return tables

    @property
    def content_hash(self) -> str:
        """One sha256 over the package's files: a cache key for analyses."""
        import hashlib

        h = hashlib.sha256()
        for name in sorted(self.sha256):
            h.update(f"{name}={self.sha256[name]}\n".encode())
        return h.hexdigest()


def read_package(path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> DataPackage:
    """Read and validate a data package folder.

    Parameters
    ----------
    path
        Folder holding ``nations.csv``, ``suppliers.csv``, ``components.csv``,
        ``sourcing.csv``, ``fielding.csv`` and optionally ``bom.csv``.
    max_file_bytes
        Files larger than this are refused before they are parsed.

    Returns
    -------
    DataPackage
        With ``report`` holding any warnings.

    Raises
    ------
    ValidationError
        With the full report when any error was found.
    """
    report, result = validate_tables(path, max_file_bytes=max_file_bytes)
    if result is None:
        raise ValidationError(report)
    tables, hashes = result
    return DataPackage(**tables, path=str(os.fspath(path)), sha256=hashes, report=report)


def write_package(package: DataPackage, folder) -> None:
    """Write a package's tables as a data package folder (the inverse of read_package).

    Each file is written to a temporary name in ``folder`` and renamed into place, so a
    reader never sees a half-written table. ``read_package(folder)`` gives equal tables.
    """
    import tempfile
    from pathlib import Path

    from riskgraph.io.schema import TABLES

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in package.tables.items():
        table = TABLES[name]
        if len(table.key) == 1:
            df = df.reset_index()
        fd, tmp = tempfile.mkstemp(prefix=f".{table.filename}.", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                df.to_csv(fh, index=False, lineterminator="\n")
            os.replace(tmp, folder / table.filename)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
