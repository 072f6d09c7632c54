"""Shared fixtures: the tiny hand-checkable data packages under ``tests/fixtures``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def _private_analysis_cache(tmp_path_factory):
    """Every test (and every CLI it runs) caches analyses in a fresh folder, never in the
    user's ~/.cache."""
    folder = tmp_path_factory.mktemp("riskgraph-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("RISKGRAPH_CACHE_DIR", str(folder))
    yield folder
    mp.undo()


@pytest.fixture
def worked_dir() -> Path:
    """The valid worked-example package (read only: copy it before changing anything)."""
    return FIXTURES / "worked"


@pytest.fixture
def worked_copy(tmp_path, worked_dir) -> Path:
    """A private copy of the worked-example package in ``tmp_path``, free to break."""
    dest = tmp_path / "pkg"
    shutil.copytree(worked_dir, dest)
    return dest
