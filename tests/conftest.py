"""Shared fixtures: the tiny hand-checkable data packages under ``tests/fixtures``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


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
