"""The on-disk analysis cache and the CLI's capped warnings (issue 10, items 5 and 6)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import riskgraph
from riskgraph.analyses.structural import structural_analysis
from riskgraph.cli import WARNINGS_PER_KIND, main
from riskgraph.io.cache import ResultCache

GOLDEN = Path(__file__).parent / "golden"
SAMPLE = Path(__file__).parents[1] / "data" / "allied-defence"


def _analyse(pkg, out, cache_dir, *extra):
    code = main(["analyse", str(pkg), "--out", str(out), "--cache-dir", str(cache_dir),
                 *extra])
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    files = {f.name: f.read_bytes() for f in out.glob("*.csv")}
    return manifest["parameters"].get("cache"), files


def test_second_run_reuses_the_result_and_writes_identical_files(tmp_path, worked_dir,
                                                                 capsys):
    cache = tmp_path / "cache"
    state1, files1 = _analyse(worked_dir, tmp_path / "a", cache)
    state2, files2 = _analyse(worked_dir, tmp_path / "b", cache)
    assert (state1, state2) == ("miss", "hit")
    assert files1 == files2 and len(files1) == 8
    _, fresh = _analyse(worked_dir, tmp_path / "c", cache, "--no-cache")
    assert fresh == files1
    assert main(["summary", str(worked_dir), "--cache-dir", str(cache)]) == 0
    assert "nation:USA" in capsys.readouterr().out


def test_any_input_byte_parameter_or_version_change_misses(tmp_path, worked_copy,
                                                           monkeypatch):
    cache = tmp_path / "cache"
    assert _analyse(worked_copy, tmp_path / "a", cache)[0] == "miss"
    assert _analyse(worked_copy, tmp_path / "b", cache, "--seed", "3")[0] == "miss"
    assert _analyse(worked_copy, tmp_path / "c", cache, "--no-ownership")[0] == "miss"
    nations = worked_copy / "nations.csv"
    nations.write_bytes(nations.read_bytes() + b"\n")  # one byte more, same content
    assert _analyse(worked_copy, tmp_path / "d", cache)[0] == "miss"
    assert _analyse(worked_copy, tmp_path / "e", cache)[0] == "hit"
    monkeypatch.setattr(riskgraph, "__version__", "99.0.0")
    assert _analyse(worked_copy, tmp_path / "f", cache)[0] == "miss"


def test_a_broken_entry_is_recomputed(tmp_path, worked_dir):
    net = riskgraph.load_network(worked_dir)
    cache = ResultCache(tmp_path / "cache")
    first = structural_analysis(net, cache=cache)
    (entry,) = [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]
    (entry / "spof.arrow").write_bytes(b"not an arrow file")
    again = structural_analysis(net, cache=cache)
    assert again.parameters["cache"] == "miss"
    assert again.risk_register.equals(first.risk_register)
    assert cache.clear() == 1
    assert not any((tmp_path / "cache").iterdir())


@pytest.mark.parametrize("batch_rows", [1 << 20, 7])
@pytest.mark.parametrize("name", ["gen-1500", "gen-4000"])
def test_cached_tables_export_byte_identical_files(tmp_path, name, batch_rows, monkeypatch):
    """Arrow files round-trip every table exactly: index, dtypes, missing values, attrs,
    whether a table is written in one slice or in many."""
    monkeypatch.setattr("riskgraph.io.cache.ARROW_BATCH_ROWS", batch_rows)
    pkg = GOLDEN / name
    cache = tmp_path / "cache"
    _, fresh = _analyse(pkg, tmp_path / "a", cache, "--no-cache")
    assert _analyse(pkg, tmp_path / "b", cache)[0] == "miss"
    state, cached = _analyse(pkg, tmp_path / "c", cache)
    assert state == "hit" and cached == fresh
    net = riskgraph.load_network(pkg)
    hit = structural_analysis(net, cache=ResultCache(cache))
    assert hit.centrality.attrs == structural_analysis(net).centrality.attrs


def test_a_cache_folder_others_can_write_is_not_read(tmp_path, worked_dir):
    net = riskgraph.load_network(worked_dir)
    cache = ResultCache(tmp_path / "cache")
    structural_analysis(net, cache=cache)
    (tmp_path / "cache").chmod(0o777)
    assert structural_analysis(net, cache=cache).parameters["cache"] == "miss"


@pytest.fixture
def noisy(tmp_path):
    """A generated package with more baseline-shortfall warnings than the cap."""
    pkg = tmp_path / "noisy"
    shutil.copytree(GOLDEN / "gen-4000", pkg)
    n = len(riskgraph.validate_package(pkg).warnings)
    assert n > WARNINGS_PER_KIND + 5
    return pkg, n


def test_warnings_are_capped_per_kind_with_a_count(noisy, capsys, tmp_path):
    pkg, n = noisy
    assert main(["validate", str(pkg)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert sum("warning:" in line for line in err) == WARNINGS_PER_KIND
    assert err[-1] == (f"... and {n - WARNINGS_PER_KIND} more shortfall warning(s) "
                       "(--verbose or --warnings FILE shows them all)")
    assert main(["validate", str(pkg), "--verbose"]) == 0
    assert sum("warning:" in line for line in capsys.readouterr().err.splitlines()) == n
    every = tmp_path / "warnings.txt"
    assert main(["validate", str(pkg), "--warnings", str(every)]) == 0
    assert len(every.read_text().splitlines()) == n
    assert str(every) in capsys.readouterr().err


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_run(tmp_path, caplog):
    # a file where the cache folder should be: storing fails with an OSError
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder")
    out = tmp_path / "out"
    with caplog.at_level("WARNING", logger="riskgraph.io.cache"):
        code = main(["analyse", str(SAMPLE), "--out", str(out), "--cache-dir", str(blocked)])
    assert code == 0
    assert (out / "manifest.json").is_file()
    assert any("not storing the analysis in the cache" in r.getMessage()
               for r in caplog.records)


def test_tables_with_pandas_string_columns_round_trip(tmp_path):
    frame = pd.DataFrame({"name": pd.array(["a", "b", None], dtype="string"),
                          "x": [1.0, 2.0, 3.0]}, index=pd.Index(["p", "q", "r"], name="id"))
    cache = ResultCache(tmp_path / "c")
    cache.put_frames("k", {"t": frame}, None)
    frames, meta = cache.get_frames("k")
    pd.testing.assert_frame_equal(frames["t"], frame, check_dtype=False)
