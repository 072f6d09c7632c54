"""riskgraph import sipri: made-up trade registers in SIPRI's export layout."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

import pytest

from fakesources import write_fake_sipri
from riskgraph import load_network, read_package, single_points_of_failure
from riskgraph.cli import main
from riskgraph.errors import ValidationError
from riskgraph.importers.common import Alliances
from riskgraph.importers.sipri import CITATION, import_sipri

FIXTURE = Path(__file__).parent / "fixtures" / "import" / "sipri_register.csv"


def _run(*argv) -> int:
    return main([str(a) for a in argv])


def test_fixture_imports_to_a_valid_package(tmp_path, capsys):
    out = tmp_path / "pkg"
    assert _run("import", "sipri", FIXTURE, "--out", out) == 0
    text = capsys.readouterr()
    pkg = read_package(out)
    assert "kept 10 of 13 rows" in text.out
    # unusable rows: file, line and reason
    assert "sipri_register.csv:15: warning: row left out: unknown supplier" in text.err
    assert "sipri_register.csv:17: warning: row left out: Number delivered 'many'" in text.err
    # the "for <designation>" comment is a BOM row and the radar is no platform
    assert pkg.bom[["parent_id", "child_id"]].values.tolist() == [["Kestrel-5",
                                                                  "Brightline radar"]]
    assert pkg.components.loc["Brightline radar", "kind"] == "system"
    assert "Brightline radar" not in set(pkg.fielding["platform_id"])
    # quantities written as "(120)" and "1,000" are read
    f = pkg.fielding.set_index(["nation_id", "platform_id"])["quantity"]
    assert f[("POL", "Tarn-2")] == 120
    sources = (out / "SOURCES.md").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert CITATION in sources and CITATION in manifest["parameters"]["citation"]
    assert "01 December 2026" in sources


@pytest.mark.parametrize("seed", range(12))
def test_random_registers_match_the_deals(tmp_path, seed):
    """Fielding sums the deliveries; a capability's designation from one exporter only
    has that exporter's supplier (and nation) as a SPOF, from several it has none."""
    rng = random.Random(seed)
    path = tmp_path / "register.csv"
    deals = write_fake_sipri(rng, path, deals=rng.randint(1, 40), bad_rows=rng.randint(0, 3))
    lo, hi = sorted(rng.sample(range(2000, 2026), 2)) if seed % 2 else (None, None)
    kept = [d for d in deals if d["delivered"] > 0
            and (lo is None or lo <= d["year"] <= hi)]
    if not kept:
        with pytest.raises(ValidationError):
            import_sipri(path, from_year=lo, to_year=hi)
        return
    result = import_sipri(path, from_year=lo, to_year=hi)
    assert result.rows_kept == len(kept)
    from riskgraph.importers import write_import

    write_import(result, tmp_path / "pkg", command="test")
    net = load_network(tmp_path / "pkg")
    fielded = defaultdict(float)
    exporters = defaultdict(set)
    for d in kept:
        fielded[(d["recipient"], d["design"])] += d["delivered"]
        exporters[d["design"]].add(d["supplier"])
    f = net.package.fielding.set_index(["nation_id", "platform_id"])["quantity"]
    assert dict(f) == dict(fielded)
    spof = single_points_of_failure(net)
    for (nation, design) in fielded:
        got = set(spof.loc[[f"capability:{nation}/{design}"], "failure_point"])
        want = {f"component:{design}"}
        if len(exporters[design]) == 1:
            (x,) = exporters[design]
            want |= {f"supplier:{design} ({x})", f"nation:{x}"}
        assert got == want


def test_wrong_source_is_refused_naming_the_columns(tmp_path, capsys):
    usgs = tmp_path / "usgs.csv"
    usgs.write_text("commodity,country,year,mine_production_t,status\nCobalt,Cuba,2024,1,E\n")
    out = tmp_path / "pkg"
    assert _run("import", "sipri", usgs, "--out", out) == 3
    err = capsys.readouterr().err
    assert "expected the columns Recipient, Supplier, Weapon designation" in err
    assert "riskgraph import usgs" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [usgs]


def test_nothing_usable_writes_nothing(tmp_path, capsys):
    path = tmp_path / "r.csv"
    write_fake_sipri(random.Random(3), path, deals=0, bad_rows=3)
    assert _run("import", "sipri", path, "--out", tmp_path / "pkg") == 3
    assert "none of the 3 deals could be used" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_out_must_be_new_or_empty(tmp_path, capsys):
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert _run("import", "sipri", FIXTURE, "--out", out) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "x" and len(list(out.iterdir())) == 1


def test_alignment_from_the_alliance_table_and_overrides(tmp_path):
    # Finland joined NATO on 2023-04-04 (data/alliances.csv)
    before = Alliances(["NATO"], as_of="2022-12-31")
    after = Alliances(["NATO"], as_of="2023-12-31", overrides={"RUS": "adversary"})
    assert (before.alignment("FIN"), after.alignment("FIN")) == ("neutral", "member")
    assert after.alignment("RUS") == "adversary"
    assert Alliances(["EU"], as_of="2021-01-01").alignment("GBR") == "neutral"
    assert _run("import", "sipri", FIXTURE, "--out", tmp_path / "p", "--to-year", "2022",
                "--alignment", "RUS=adversary") == 0
    nations = read_package(tmp_path / "p").nations
    assert nations.loc["RUS", "alignment"] == "adversary"
    assert nations.loc["FIN", "alignment"] == "neutral"


def test_year_range_filters_by_year_of_order(tmp_path):
    result = import_sipri(FIXTURE, from_year=2019, to_year=2020)
    designs = set(result.tables["fielding"]["platform_id"])
    assert designs == {"Kestrel-5"} and result.rows_kept == 3


def test_older_export_column_names(tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("Recipient,Supplier,Year of order/licence,No. ordered,Weapon designation,"
                   "Weapon description,Year(s) of deliveries,No. delivered/produced,Comments\n"
                   "Poland,United States,2018,32,Kestrel-5,combat aircraft,2020-2022,30,\n"
                   "Poland,United States,2012,4,Kestrel-5,combat aircraft,2014,4,\n")
    result = import_sipri(old, from_year=2015)
    assert result.tables["fielding"]["quantity"].tolist() == [30]
