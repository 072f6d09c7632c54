"""The hostile-input corpus through the real CLI (issue 11); cases in tests/hostile_cases.py.

For each case: the exit code, the message's place (``file:line:column``) and words in
stderr, no traceback, nothing written to ``--out`` when the input is refused, and the
input itself left exactly as it was.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from hostile_cases import CASES, Case
from riskgraph.cli import main


def _snapshot(folder: Path, skip: Path) -> dict[str, str]:
    """Every entry under ``folder`` but ``skip``: its kind and, for files, its sha256."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d != skip]
        for name in sorted(dirnames + filenames):
            p = here / name
            if p.is_symlink():
                out[str(p)] = "link:" + os.readlink(p)
            elif p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[str(p)] = "other"
    return out


def _argv(argv: list[str], tmp: Path) -> list[str]:
    names = {"PKG": tmp / "pkg", "OUT": tmp / "out", "SCN": tmp / "s.toml"}
    return [str(names.get(a, a)) for a in argv]


def test_the_corpus_is_large_and_named_uniquely():
    ids = [c.id for c in CASES]
    assert len(ids) >= 60 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path, capsys, monkeypatch):
    argv = _argv(case.build(tmp_path), tmp_path)
    capsys.readouterr()
    if case.patch is not None:
        case.patch(monkeypatch, tmp_path)
    out = tmp_path / "out"
    before = _snapshot(tmp_path, out)
    start = time.process_time()
    code = main(argv)
    cpu = time.process_time() - start
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert code == case.code, text[-3000:]
    assert "Traceback" not in text
    assert case.where in text, text[-3000:]
    for word in case.words:
        assert word in text, text[-3000:]
    if case.code != 0:
        assert not out.exists(), f"{out} was written although the input was refused"
        assert text.count("\n") < 50  # one line per problem, not a dump
    elif argv[0] != "validate":
        assert (out / "manifest.json").is_file()
    assert _snapshot(tmp_path, out) == before  # the input is never touched
    assert cpu < 30, f"{case.id} took {cpu:.1f} CPU s"
