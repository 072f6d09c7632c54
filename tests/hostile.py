"""A valid data package whose names are HTML and script, for the escaping tests.

:func:`hostile_package` copies a package and renames its nations, suppliers and components
to the strings of :data:`HOSTILE` (numbered, so names stay distinct). Everything else is
unchanged, so the package validates and analyses like the original.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "allied-defence"

#: Markup that must show as text wherever a name is shown.
HOSTILE = (
    '<a href="https://evil.example/">clickme</a>',
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '<span style="font-size:80px;color:red">big</span>',
    "<b>bold</b> & <i>co</i>",
)
#: What no rendered page or figure may contain as markup.
EVIL_HREF = "https://evil.example/"


def hostile_name(i: int) -> str:
    """The ``i``-th hostile name: one of :data:`HOSTILE` with a number."""
    return f"{HOSTILE[i % len(HOSTILE)]} #{i}"


def _rename(path: Path, every: int = 1) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("name")
    for i, row in enumerate(rows[1:]):
        if i % every == 0:
            row[col] = hostile_name(i)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def hostile_package(dest: Path, source: Path = SAMPLE) -> Path:
    """A copy of ``source`` in ``dest`` with hostile nation, supplier and component names."""
    dest = Path(dest)
    shutil.copytree(source, dest)
    for table in ("nations.csv", "suppliers.csv", "components.csv"):
        _rename(dest / table)
    return dest
