"""pytest: run this folder's doctests under the installed name ``riskgraph_dashboard``.

By default ``--doctest-modules`` would import ``dashboard/x.py`` as ``dashboard.x``: a second
copy of every module beside ``riskgraph_dashboard.x``, under a generic name that can clash
with another installed ``dashboard`` package. Each doctest module here is instead the
installed module itself (the setuptools ``package-dir`` mapping ``riskgraph_dashboard =
"dashboard"``), so the doctests test what users import.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from _pytest.doctest import DoctestModule

HERE = Path(__file__).resolve().parent
PACKAGE = "riskgraph_dashboard"


def installed_name(path: Path) -> str:
    """The importable name of a module of this folder, e.g. ``riskgraph_dashboard.auth``."""
    parts = Path(path).resolve().relative_to(HERE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


class InstalledDoctestModule(DoctestModule):
    """The doctests of a module imported by its installed name."""

    def _getobj(self):
        return importlib.import_module(installed_name(self.path))


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    found = yield
    if Path(file_path).name == "conftest.py":
        return [x for x in found if not isinstance(x, DoctestModule)]
    return [InstalledDoctestModule.from_parent(parent, path=file_path)
            if type(x) is DoctestModule else x for x in found]
