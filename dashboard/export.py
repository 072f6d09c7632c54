"""Downloads: tables written by the library's export code, zipped with their manifest.

Every download is what ``riskgraph analyse --out DIR`` (or ``whatif`` / Monte Carlo) would
write: :func:`riskgraph.io.export.write_outputs` writes the formula-safe CSV files and
``manifest.json`` into a private temporary folder, and that folder is zipped. So a
downloaded CSV is byte for byte the CLI's, and the manifest records the package's input
hashes and the parameters.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from riskgraph.io.export import MANIFEST_NAME, write_outputs

__all__ = ["zip_outputs"]


def zip_outputs(tables: dict, *, command: str, package, parameters: dict | None = None,
                seed: int | None = None) -> bytes:
    """A zip of ``tables`` as CSV files plus ``manifest.json``, via the export code."""
    with tempfile.TemporaryDirectory(prefix="riskgraph-download-") as tmp:
        out = write_outputs(Path(tmp) / "out", tables, command=command, package=package,
                            parameters=parameters, seed=seed)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in [*sorted(tables), MANIFEST_NAME]:
                zf.write(out / name, arcname=name)
        return buf.getvalue()
