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


# ------------------------------------------------------------------- beyond the corpus


def _reference_summary(caps, scenarios) -> str:
    """The whatif summary the slow, obvious way: filter the table per scenario."""
    lines = []
    for s in scenarios:
        mine = caps[caps["scenario"] == s.name]
        down = mine[~mine["up"]]
        hit = mine[mine["time_to_impact_days"].notna()]
        lines.append(f"{s.name}: {len(down)} of {len(mine)} capabilities down while the "
                     f"failures last; {len(hit)} run out within {s.horizon_days:g} days; "
                     f"mean supply {100 * mine['supply_fraction'].mean():.0f}%")
        for row in hit.sort_values(["time_to_impact_days", "nation_id", "platform_id"]) \
                .head(5).itertuples():
            lines.append(f"    {row.nation_id}/{row.platform_id}: down from day "
                         f"{row.time_to_impact_days:g} for {row.days_lost:g} days")
    return "\n".join(lines)


def test_whatif_summary_matches_the_obvious_one_on_the_sample(tmp_path, capsys):
    from riskgraph import load_network
    from riskgraph.analyses.whatif import run_scenarios
    from riskgraph.model.scenario import read_scenarios

    sample = Path(__file__).resolve().parents[1] / "data" / "allied-defence"
    assert main(["whatif", str(sample), "--scenarios", str(sample / "scenarios.toml"),
                 "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out.split("\n\nwrote ")[0]
    net = load_network(sample)
    scenarios = read_scenarios(sample / "scenarios.toml", net)
    caps = run_scenarios(net, scenarios).capabilities
    assert printed == _reference_summary(caps, scenarios)


def test_whatif_summary_is_linear_in_scenarios(tmp_path, capsys, monkeypatch):
    """2,000 scenarios x 100 capabilities: reading, summary and export take 0.3 CPU s (the
    filter-per-scenario summary alone took 5.7 CPU s at this size, 58 s on the sample at
    2,000 scenarios); the analysis itself is faked so that only the CLI's own work is
    timed (CPU seconds: the machine is shared)."""
    import numpy as np
    import pandas as pd

    import riskgraph.analyses.whatif as whatif

    n_s, n_c = 2000, 100
    rng = np.random.default_rng(1)
    names = [f"s{i}" for i in range(n_s)]
    lost = rng.random(n_s * n_c) < 0.3
    caps = pd.DataFrame({
        "scenario": np.repeat(names, n_c),
        "nation_id": rng.choice(["USA", "DEU", "POL"], n_s * n_c),
        "platform_id": np.tile([f"P{j}" for j in range(n_c)], n_s),
        "up": ~lost,
        "time_to_impact_days": np.where(lost, rng.integers(0, 300, n_s * n_c), np.nan),
        "days_lost": np.where(lost, rng.integers(1, 60, n_s * n_c), 0),
        "supply_fraction": rng.random(n_s * n_c),
    })

    class Fake:
        capabilities = caps

        def tables(self, compare=False):
            return {"whatif_capabilities.csv": caps.head(10)}

    monkeypatch.setattr(whatif, "run_scenarios", lambda net, scenarios: Fake())
    scn = tmp_path / "s.toml"
    scn.write_text("".join(f'[[scenario]]\nname = "{n}"\nfail = ["supplier:S_A"]\n'
                           for n in names))
    argv = ["whatif", str(Path(__file__).parent / "fixtures" / "worked"), "--scenarios",
            str(scn), "--max-scenarios", str(n_s), "--out", str(tmp_path / "out")]
    start = time.process_time()
    assert main(argv) == 0
    cpu = time.process_time() - start
    printed = capsys.readouterr().out.split("\n\nwrote ")[0]
    from riskgraph.model.scenario import read_scenarios

    scenarios = read_scenarios(scn, max_scenarios=n_s)
    some = scenarios[:100] + scenarios[-100:]  # the reference is itself quadratic
    expected = _reference_summary(caps[caps["scenario"].isin({s.name for s in some})], some)
    blocks = printed.split("\ns")
    head = blocks[0] + "".join("\ns" + b for b in blocks[1:100])
    tail = "s" + "\ns".join(blocks[-100:])
    assert head + "\n" + tail == expected
    assert cpu < 2.5, f"whatif with {n_s} scenarios took {cpu:.1f} CPU s"


def test_max_scenarios_raises_the_limit(tmp_path, capsys):
    from riskgraph.model.scenario import read_scenarios

    scn = tmp_path / "s.toml"
    scn.write_text("".join(f'[[scenario]]\nname = "s{i}"\nfail = ["supplier:S_A"]\n'
                           for i in range(1001)))
    assert len(read_scenarios(scn, max_scenarios=1001)) == 1001
    worked = str(Path(__file__).parent / "fixtures" / "worked")
    out = tmp_path / "out"
    assert main(["whatif", worked, "--scenarios", str(scn), "--out", str(out)]) == 3
    assert "s.toml:3001:scenario: " in capsys.readouterr().err and not out.exists()
    assert main(["whatif", worked, "--scenarios", str(scn), "--out", str(out),
                 "--max-scenarios", "0"]) == 2


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "0", "-3"])
def test_max_file_mb_must_be_positive_and_finite(value, capsys):
    worked = str(Path(__file__).parent / "fixtures" / "worked")
    assert main(["validate", worked, f"--max-file-mb={value}"]) == 2
    err = capsys.readouterr().err
    assert "--max-file-mb must be a positive, finite number" in err and "Traceback" not in err


def test_validate_csv_neutralises_formula_cells(tmp_path, capsys):
    from hostile_cases import base, set_cell

    pkg = base(tmp_path)
    set_cell(pkg, "nations.csv", 3, "alignment", "=HYPERLINK(\"http://x\")")
    set_cell(pkg, "suppliers.csv", 2, "nation_id", "@SUM(A1)")
    assert main(["validate", str(pkg), "--format", "csv"]) == 3
    out = capsys.readouterr().out
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(out)))
    values = {r["value"] for r in rows}
    assert "'=HYPERLINK(\"http://x\")" in values and "'@SUM(A1)" in values
    for row in rows:
        for cell in row.values():
            assert not cell or cell[0] not in "=+-@\t\r\n", row


SUBPROCESS = ("package-is-dev-null", "fifo-as-csv", "toml-utf16", "toml-deep-arrays",
              "header-1m-columns", "differently-cased-bom")


@pytest.mark.parametrize("case", [c for c in CASES if c.id in SUBPROCESS],
                         ids=lambda c: c.id)
def test_hostile_input_in_a_real_process(case: Case, tmp_path):
    """A few cases through the installed entry point in a fresh process: the same exit
    code and place, one short stderr, no hang (a FIFO is never opened)."""
    import subprocess
    import sys

    argv = _argv(case.build(tmp_path), tmp_path)
    res = subprocess.run([sys.executable, "-m", "riskgraph", *argv], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == case.code, res.stderr[-2000:]
    assert case.where in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.splitlines()) <= 3 and not (tmp_path / "out").exists()


@pytest.mark.parametrize("what", ["file", "folder"])
def test_permission_denied_for_real(what, tmp_path):
    """chmod 000 on a table or on the package folder, in a real process (as root: with
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped by setpriv, so the mode applies):
    exit 3 and one line naming the path and the reason, nothing written."""
    import shutil
    import subprocess
    import sys

    from hostile_cases import base

    pkg = base(tmp_path)
    target = pkg / "suppliers.csv" if what == "file" else pkg
    drop = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv (util-linux) is needed to drop root's override")
        drop = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    target.chmod(0)
    try:
        res = subprocess.run([*drop, sys.executable, "-m", "riskgraph", "analyse", str(pkg),
                              "--out", str(tmp_path / "out"), "--no-cache"],
                             capture_output=True, text=True, timeout=120)
    finally:
        target.chmod(0o755 if what == "folder" else 0o644)
    assert res.returncode == 3, res.stderr
    where = "suppliers.csv: cannot read suppliers.csv" if what == "file" else \
        f"{pkg}: cannot list the package folder"
    assert f"{where}: Permission denied" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()
