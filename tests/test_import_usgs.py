"""riskgraph import usgs: USGS Mineral Commodity Summaries production as sourcing."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from riskgraph import read_package
from riskgraph.cli import main
from riskgraph.importers.common import country_id
from riskgraph.importers.usgs import import_usgs

FIX = Path(__file__).parent / "fixtures" / "import"
COBALT = FIX / "usgs_cobalt.csv"  # a copy of shared/data/usgs_mcs (public domain)
WIDE = FIX / "usgs_world_wide.csv"  # the MCS world data layout, made-up figures


def _shares(path: Path, year: str) -> dict:
    """Reference: country ISO -> production / world total, straight from the CSV."""
    text = path.read_text(encoding="utf-8-sig").splitlines()
    rows = [r for r in csv.DictReader(text) if r["year"] == year]
    world = next(float(r["mine_production_t_cobalt_content"]) for r in rows
                 if r["country"].startswith("World"))
    return {country_id(r["country"]): float(r["mine_production_t_cobalt_content"]) / world
            for r in rows if not r["country"].startswith(("World", "Other"))}


@pytest.mark.parametrize("year", [None, "2024"])
def test_cobalt_world_production_becomes_sourcing(tmp_path, capsys, year):
    out = tmp_path / "pkg"
    argv = ["import", "usgs", str(COBALT), "--out", str(out)] + (["--year", year] if year
                                                                 else [])
    assert main(argv) == 0
    pkg = read_package(out)
    src = pkg.sourcing.set_index("supplier_id")
    got = {pkg.suppliers.at[s, "nation_id"]: src.at[s, "share"] for s in src.index}
    assert got == pytest.approx(_shares(COBALT, year or "2025"))
    assert pkg.components.at["COBALT", "kind"] == "material"
    assert pkg.nations.at["COD", "name"] == "DR Congo"
    assert "U.S. Geological Survey, Mineral Commodity Summaries" in \
        (out / "SOURCES.md").read_text()
    assert "kept 12 of 28 rows" in capsys.readouterr().out


def test_wide_layout_withheld_and_bounds_are_reported(tmp_path, capsys):
    out = tmp_path / "pkg"
    assert main(["import", "usgs", str(WIDE), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "usgs_world_wide.csv:4: warning: row left out: production 'W'" in err
    assert "usgs_world_wide.csv:8: warning: row left out: production '>500'" in err
    pkg = read_package(out)
    s = pkg.sourcing.set_index("supplier_id")["share"]
    gallium = "GALLIUM_PRIMARY_PRODUCTION"
    assert s[f"{gallium} (CHN)"] == pytest.approx(750_000 / 760_000)
    # no world total for tungsten: the sum of the rows, "Other countries" included
    assert s["TUNGSTEN_MINE_PRODUCTION (VNM)"] == pytest.approx(3_400 / (67_000 + 3_400 + 7_600))


@pytest.mark.parametrize("seed", range(8))
def test_random_files_shares_are_production_over_the_total(tmp_path, seed):
    rng = random.Random(seed)
    countries = rng.sample(["Chile", "Peru", "China", "Australia", "Canada", "Brazil",
                            "Russia", "Burma"], rng.randint(1, 6))
    values = {c: rng.randint(1, 10_000) for c in countries}
    other = rng.choice([0, rng.randint(1, 5000)])
    total = sum(values.values()) + other + rng.choice([0, 100])
    path = tmp_path / "mcs.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["commodity", "country", "year", "mine_production_t", "status"])
        for c, v in values.items():
            w.writerow(["Copper", c, "2025", f"{v:,}", "Estimated"])
        w.writerow(["Copper", "Other countries", "2025", other, ""])
        w.writerow(["Copper", "World total (rounded)", "2025", total, ""])
    result = import_usgs(path)
    src = result.tables["sourcing"]
    sup = result.tables["suppliers"].set_index("supplier_id")["nation_id"]
    got = {sup[s]: share for s, share in zip(src["supplier_id"], src["share"])}
    assert got == pytest.approx({country_id(c): v / total for c, v in values.items()})


def test_into_a_package_replaces_the_matched_material_sourcing(tmp_path, capsys):
    extra = tmp_path / "mcs.csv"
    extra.write_text(COBALT.read_text() + "Unobtainium,Canada,2025,5,Estimated\n"
                     "Unobtainium,World total,2025,5,Estimated\n")
    out = tmp_path / "merged"
    assert main(["import", "usgs", str(extra), "--into", "data/allied-defence",
                 "--match", "Cobalt=COBALT_ORE", "--out", str(out)]) == 0
    text = capsys.readouterr()
    assert "'Unobtainium' matches no material of data/allied-defence" in text.err
    assert "Cobalt -> COBALT_ORE (--match)" in text.out
    old, new = read_package("data/allied-defence"), read_package(out)
    rows = new.sourcing[new.sourcing["component_id"] == "COBALT_ORE"]
    got = {new.suppliers.at[s, "nation_id"]: v for s, v in zip(rows["supplier_id"],
                                                                rows["share"])}
    assert got == pytest.approx(_shares(COBALT, "2025"))
    # everything else is as it was
    keep = old.sourcing[old.sourcing["component_id"] != "COBALT_ORE"]
    assert len(new.sourcing) == len(keep) + len(rows)
    assert set(old.nations.index) <= set(new.nations.index)
    assert new.fielding.equals(old.fielding)


def test_wrong_source_and_unknown_match(tmp_path, capsys):
    out = tmp_path / "pkg"
    assert main(["import", "usgs", str(FIX / "sipri_register.csv"), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "expected the columns commodity, country" in err
    assert "riskgraph import sipri" in err
    assert main(["import", "usgs", str(COBALT), "--into", "data/allied-defence", "--match",
                 "Cobalt=NOPE", "--out", str(out)]) == 2
    assert "no component 'NOPE'" in capsys.readouterr().err
    assert not out.exists()
