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
from riskgraph_dashboard.callbacks import montecarlo, nations, overview, register, whatif
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
    # scenario B saved in the tab's session, as the What-if page keeps it
    session = {"package": entry.ref.key, "saved": [specs[1]]}
    download, msg = whatif.download_whatif(1, specs[0], session, None)
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


# ------------------------------------------------------------ downloads for spreadsheets
# Separate from the CLI-identical zips above: one table per CSV with a UTF-8 byte-order
# mark, names beside ids, numbers rounded to 4 decimals; or an .xlsx workbook.


def content(download: dict) -> bytes:
    return base64.b64decode(download["content"])


def sheet_csv(download: dict):
    import pandas as pd

    raw = content(download)
    assert raw.startswith("\ufeff".encode("utf-8"))  # Excel on Windows reads UTF-8
    return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False,
                       na_values=[""])


def read_xlsx(raw: bytes) -> dict[str, list[list]]:
    """Sheets of an .xlsx as rows of cell values (a tiny reader: no openpyxl needed)."""
    import re
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    zf = zipfile.ZipFile(io.BytesIO(raw))
    strings = []
    if "xl/sharedStrings.xml" in zf.namelist():
        for si in ET.fromstring(zf.read("xl/sharedStrings.xml")).findall("m:si", ns):
            strings.append("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
    names = [s.get("name") for s in
             ET.fromstring(zf.read("xl/workbook.xml")).find("m:sheets", ns)]
    out = {}
    for i, name in enumerate(names, start=1):
        rows = []
        for row in ET.fromstring(zf.read(f"xl/worksheets/sheet{i}.xml")).iter(
                f"{{{ns['m']}}}row"):
            cells = []
            for c in row.findall("m:c", ns):
                assert c.find("m:f", ns) is None, "a formula in a download"
                col = re.match(r"[A-Z]+", c.get("r")).group()
                idx = sum((ord(ch) - 64) * 26 ** k for k, ch in enumerate(reversed(col))) - 1
                cells += [None] * (idx - len(cells))
                v = c.find("m:v", ns)
                text = None if v is None else v.text
                if c.get("t") == "s":
                    text = strings[int(text)]
                elif c.get("t") == "b":
                    text = text == "1"
                elif text is not None:
                    text = float(text)
                cells.append(text)
            rows.append(cells)
        out[name] = rows
    return out


def test_spreadsheet_csv_of_every_table_is_rounded_named_and_complete(ws):
    import pandas as pd

    entry = ws.get(None)
    tables = entry.analysis.tables()
    nations = entry.network.package.nations["name"]
    for table, df in tables.items():
        download, msg = register.download_sheet(1, None, table, None, None, fmt="csv")
        assert msg is None and download["filename"].endswith(".csv")
        got = sheet_csv(download)
        assert len(got) == len(df), table
        for col in got.columns:
            if col.endswith("nation_id") and f"{col}_name" in got.columns:
                ids_, named = got[col], got[f"{col}_name"]
                assert (named[ids_.notna()] == ids_[ids_.notna()].map(nations)).all()
            if pd.api.types.is_float_dtype(got[col]):
                v = got[col].dropna()
                assert (v.round(4) == v).all(), (table, col)
                # the same numbers as the CLI's table, rounded to 4 decimals
                if col in df.columns:
                    want = pd.to_numeric(df[col], errors="coerce").round(4).to_numpy()
                    assert got[col].to_numpy() == pytest.approx(want, nan_ok=True), col
        assert not any(c.endswith("_id") for c in got.columns if f"{c}_name" not in
                       got.columns and c.endswith("nation_id")), table
    exposure = content(register.download_sheet(1, None, "nation_exposure.csv", None, None,
                                               fmt="csv")[0]).decode("utf-8-sig")
    assert "Türkiye" in exposure


def test_register_spreadsheet_honours_the_search(ws):
    from riskgraph.views import search_table

    entry = ws.get(None)
    reg = entry.analysis.risk_register
    want = search_table(reg, "china rare earth", limit=len(reg))
    assert 0 < len(want) < len(reg)
    got = sheet_csv(register.download_sheet(None, 1, "risk_register.csv", "china rare earth",
                                            None, fmt="csv")[0])
    assert got["failure_point"].tolist() == want.index.tolist()
    wb = read_xlsx(content(register.download_sheet(None, 1, "risk_register.csv",
                                                   "china rare earth", None, fmt="xlsx")[0]))
    assert list(wb) == ["about", "risk_register"]
    assert len(wb["risk_register"]) == len(want) + 1  # header row
    assert any("china rare earth" in str(r) for r in wb["about"])


def test_one_capability_spofs_workbook_and_csv(ws):
    from riskgraph.views.why import spof_list

    entry = ws.get(None)
    cap = "capability:POL/F-35A"
    want = spof_list(entry.network, entry.analysis, cap)
    wb = read_xlsx(content(register.download_capability(None, 1, cap, None, fmt="xlsx")[0]))
    assert list(wb) == ["about", "spofs", "critical_pairs"]
    header = wb["spofs"][0]
    assert {"failure_point", "name", "depth", "tier", "chain"} <= set(header)
    assert [r[0] for r in wb["spofs"][1:]] == want.index.tolist()
    csv = sheet_csv(overview.download_spofs(1, None, cap, "nation", None, fmt="csv")[0])
    assert set(csv["kind"]) == {"nation"} and "China" in set(csv["name"])


def test_nations_heatmap_data_download(ws):
    from riskgraph.views.damage import nation_damage

    entry = ws.get(None)
    d = nation_damage(entry.network, entry.analysis.nation_exposure, platforms=["F-35A"])
    got = sheet_csv(nations.download_heatmap(1, None, ["F-35A"], None, fmt="csv")[0])
    assert len(got) == len(d.z) and "China" in got.columns and "CHN" not in got.columns
    assert got["China"].tolist() == pytest.approx(d.z["CHN"].round(4).tolist())
    wb = read_xlsx(content(nations.download_heatmap(1, None, None, None, fmt="xlsx")[0]))
    assert list(wb) == ["about", "nation_ranking", "loss_if_nation_fails"]


def test_workbook_keeps_formula_like_text_as_text(ws):
    import pandas as pd

    from riskgraph_dashboard.export import workbook

    entry = ws.get(None)
    df = pd.DataFrame({"name": ["=1+1", "@SUM(A1)", "plain"], "x": [1.000000002, 2.5, 3.0]})
    sheets = read_xlsx(workbook({"t": df}, entry.network))  # read_xlsx refuses formulas
    assert [r[0] for r in sheets["t"][1:]] == ["'=1+1", "'@SUM(A1)", "plain"]
    assert [r[1] for r in sheets["t"][1:]] == [1.0, 2.5, 3.0]
