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


@pytest.fixture(autouse=True)
def _no_leftover_dash_app_context():
    """Start every test with Dash's app context unset, so ``dash.get_app()`` is the app
    created last. Dash's ``with_app_context`` sets that context variable in its caller's
    context: one Flask test-client request leaves its app as the current one for every
    later test in the thread, and callbacks then look in a closed workspace."""
    import dash._get_app as dash_app

    dash_app.app_context.set(None)
    yield


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
