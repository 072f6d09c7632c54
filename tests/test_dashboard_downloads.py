"""Every dashboard download is byte for byte the file the CLI writes (docs/design.md §5).

Each test takes one download the dashboard offers (its callback called directly), runs the
CLI on the same package with the same parameters, and compares every CSV in the zip with
the CLI's file of the same name. The manifests differ only in what they record (command,
time), so they are checked for their outputs' hashes instead.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest

from riskgraph.cli import main
from riskgraph_dashboard.app import create_app
from riskgraph_dashboard.callbacks import montecarlo, register, whatif
from riskgraph_dashboard.state import CONFIG_KEY

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "allied-defence"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    app = create_app([str(SAMPLE)], work_dir=tmp_path_factory.mktemp("dashboard-work"))
    yield app.server.config[CONFIG_KEY]
    app.server.config[CONFIG_KEY].close()


def unzip(download: dict) -> dict[str, bytes]:
    zf = zipfile.ZipFile(io.BytesIO(base64.b64decode(download["content"])))
    return {n: zf.read(n) for n in zf.namelist()}


def cli_files(tmp_path: Path, *args: str) -> dict[str, bytes]:
    out = tmp_path / "cli"
    assert main([*args, "--out", str(out)]) == 0
    return {f.name: f.read_bytes() for f in out.iterdir()}


def assert_same_files(download: dict, cli: dict[str, bytes]) -> None:
    files = unzip(download)
    csvs = sorted(n for n in files if n.endswith(".csv"))
    assert csvs == sorted(n for n in cli if n.endswith(".csv"))
    for name in csvs:
        assert files[name] == cli[name], name
    ours = json.loads(files["manifest.json"])["outputs"]
    theirs = json.loads(cli["manifest.json"])["outputs"]
    assert {n: ours[n] for n in csvs} == {n: theirs[n] for n in csvs}


def test_every_analysis_table_download_is_the_cli_file(ws, tmp_path):
    cli = cli_files(tmp_path, "analyse", str(SAMPLE))
    offered = [o["value"] for o in register.fill_register(None, "page", None)[1]]
    assert sorted(offered) == sorted(n for n in cli if n.endswith(".csv"))
    for table in offered:
        download, msg = register.download_table(1, table, None)
        assert msg is None
        files = unzip(download)
        assert set(files) == {table, "manifest.json"}
        assert files[table] == cli[table], table


def _toml(specs: list[dict]) -> str:
    """A scenarios.toml holding the dashboard's scenario specs (JSON strings are TOML)."""
    out = []
    for s in specs:
        table = ", ".join(f"{json.dumps(k)} = {v!r}" for k, v in s["days"].items())
        cap = ", ".join(f"{json.dumps(k)} = {v!r}" for k, v in s["capacity"].items())
        out += ["[[scenario]]", f"name = {json.dumps(s['name'])}",
                f"fail = {json.dumps(s['fail'])}", f"days = {{ {table} }}",
                f"capacity = {{ {cap} }}", f"horizon_days = {s['horizon_days']!r}", ""]
    return "\n".join(out)


def test_whatif_download_is_the_cli_files(ws, tmp_path):
    rows = [{"failure_point": "supplier:AMPAC", "action": "fail", "days": 180}]
    spec = whatif.rows_to_spec(ws.get(None), rows, "AMPAC down", 365)
    download, msg = whatif.download_whatif(1, spec, None, None)
    assert msg is None
    assert_same_files(download, cli_files(
        tmp_path, "whatif", str(SAMPLE), "--fail", "supplier:AMPAC", "--days", "180",
        "--name", "AMPAC down"))


def test_whatif_download_with_a_comparison_is_the_cli_files(ws, tmp_path):
    entry = ws.get(None)
    scenarios, _ = entry.scenarios
    a, b = scenarios[0], scenarios[3]  # b has capacity factors too
    specs = [whatif.rows_to_spec(entry, whatif.scenario_rows(entry, s), s.name,
                                 s.horizon_days) for s in (a, b)]
    download, msg = whatif.download_whatif(1, specs[0], specs[1], None)
    assert msg is None
    path = tmp_path / "scenarios.toml"
    path.write_text(_toml(specs), encoding="utf-8")
    assert_same_files(download, cli_files(tmp_path, "whatif", str(SAMPLE), "--scenarios",
                                          str(path), "--compare"))


def test_monte_carlo_download_is_the_cli_files(ws, tmp_path):
    ticket, _, msg = montecarlo.admit_job(1, 2000, 7, None)
    assert msg is None
    ref, msg = montecarlo.run_job(lambda _progress: None, ticket)
    assert msg is None
    download, msg = montecarlo.download_result(1, ref, None)
    assert msg is None
    assert_same_files(download, cli_files(tmp_path, "montecarlo", str(SAMPLE), "--trials",
                                          "2000", "--seed", "7", "--no-progress"))
