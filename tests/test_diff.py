"""riskgraph diff: row changes and their consequences, checked against brute force."""

from __future__ import annotations

import csv
import itertools
import random
import shutil
from pathlib import Path

import pandas as pd
import pytest

from randpkg import ref_available, write_random_package
from riskgraph import read_package
from riskgraph.analyses.diff import (
    diff_folders, exposure_changes, register_changes,
)
from riskgraph.cli import main
from riskgraph.io.schema import TABLES

WORKED = Path(__file__).parent / "fixtures" / "worked"


def _read(folder: Path, name: str) -> tuple[list[str], list[list[str]]]:
    path = folder / f"{name}.csv"
    if not path.exists():
        return [], []
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    return rows[0], rows[1:]


def _write(folder: Path, name: str, header, rows) -> None:
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def mutate(rng: random.Random, src: Path, dst: Path) -> None:
    """A valid edited copy: names and shares changed, a nation added, a fielding row or a
    surplus sourcing row removed, a supplier moved to another nation."""
    shutil.copytree(src, dst)
    h, rows = _read(dst, "suppliers")
    nations = [r[0] for r in _read(dst, "nations")[1]]
    for r in rows:
        if rng.random() < 0.3:
            r[h.index("name")] += " (renamed)"
        if rng.random() < 0.3:
            r[h.index("nation_id")] = rng.choice(nations)
    _write(dst, "suppliers", h, rows)
    h, rows = _read(dst, "sourcing")
    comps_h, comps = _read(dst, "components")
    need = {c[0]: int(c[comps_h.index("min_sources")] or 1)
            if "min_sources" in comps_h else 1 for c in comps}
    for r in rows:
        if rng.random() < 0.3:
            r[h.index("share")] = str(round(rng.uniform(0.05, 1.0), 2))
    if rows and rng.random() < 0.6:
        r = rng.choice(rows)
        if sum(x[0] == r[0] for x in rows) > need[r[0]]:
            rows.remove(r)
    _write(dst, "sourcing", h, rows)
    h, rows = _read(dst, "nations")
    rows.append(["ZAF", "South Africa", "partner"] + [""] * (len(h) - 3))
    _write(dst, "nations", h, rows)
    h, rows = _read(dst, "fielding")
    if len(rows) > 1 and rng.random() < 0.5:
        rows.pop(rng.randrange(len(rows)))
    _write(dst, "fielding", h, rows)


def _ref_rows(a: Path, b: Path) -> set:
    """(table, change, key, column) from the CSV text, with typed equality: the files
    here never write one value two ways, so text equality is value equality."""
    out = set()
    for name, table in TABLES.items():
        ha, ra = _read(a, name)
        hb, rb = _read(b, name)
        key = list(table.key)
        ka = {tuple(r[ha.index(k)] for k in key): dict(zip(ha, r)) for r in ra}
        kb = {tuple(r[hb.index(k)] for k in key): dict(zip(hb, r)) for r in rb}
        for k in ka.keys() - kb.keys():
            out.add((name, "removed", " | ".join(k), ""))
        for k in kb.keys() - ka.keys():
            out.add((name, "added", " | ".join(k), ""))
        for k in ka.keys() & kb.keys():
            for col in set(ka[k]) | set(kb[k]):
                x, y = ka[k].get(col, ""), kb[k].get(col, "")
                if x != y and not _same_number(x, y):
                    out.add((name, "changed", " | ".join(k), col))
    return out


def _same_number(x: str, y: str) -> bool:
    try:
        return float(x) == float(y)
    except ValueError:
        return False


def _ref_cut_sets(pkg) -> tuple[set, set]:
    """Brute force: (capability, point) SPOFs and (capability, a, b) pairs."""
    points = [f"nation:{n}" for n in pkg.nations.index] + \
        [f"supplier:{s}" for s in pkg.suppliers.index] + \
        [f"component:{c}" for c in pkg.components.index]
    caps = [k for k in ref_available(pkg, set()) if k.startswith("capability:")]
    down1 = {x: ref_available(pkg, {x}) for x in points}
    spofs = {(c.split(":", 1)[1], x) for x in points for c in caps if not down1[x][c]}
    pairs = set()
    for x, y in itertools.combinations(points, 2):
        up = ref_available(pkg, {x, y})
        for c in caps:
            cap = c.split(":", 1)[1]
            if not up[c] and (cap, x) not in spofs and (cap, y) not in spofs:
                pairs.add((cap, *sorted((x, y))))
    return spofs, pairs


@pytest.mark.parametrize("seed", range(15))
def test_diff_matches_brute_force(tmp_path, seed):
    rng = random.Random(seed)
    a, b = tmp_path / "a", tmp_path / "b"
    write_random_package(rng, a)
    mutate(rng, a, b)
    result = diff_folders(a, b)
    got_rows = {tuple(r) for r in result.rows[["table", "change", "key", "column"]]
                .itertuples(index=False)}
    assert got_rows == _ref_rows(a, b)
    (sa, pa), (sb, pb) = _ref_cut_sets(read_package(a)), _ref_cut_sets(read_package(b))
    spof = result.spof
    assert {(r.capability, r.failure_point) for r in spof.itertuples()
            if r.change == "gained"} == sb - sa
    assert {(r.capability, r.failure_point) for r in spof.itertuples()
            if r.change == "lost"} == sa - sb
    pairs = result.pairs
    assert {(r.capability, r.failure_point_a, r.failure_point_b)
            for r in pairs.itertuples() if r.change == "gained"} == pb - pa
    assert {(r.capability, r.failure_point_a, r.failure_point_b)
            for r in pairs.itertuples() if r.change == "lost"} == pa - pb


def test_thresholds_are_strict_and_one_sided_rows_count():
    old = pd.DataFrame({"failing_nation_id": ["X", "X", "Y"], "nation_id": ["A", "A", "A"],
                        "platform_id": ["P", "Q", "P"], "loss_fraction": [0.5, 0.2, 0.3]})
    new = pd.DataFrame({"failing_nation_id": ["X", "X", "Z"], "nation_id": ["A", "A", "A"],
                        "platform_id": ["P", "Q", "P"], "loss_fraction": [0.6, 0.25, 0.0]})
    e = exposure_changes(old, new, 0.05)
    # X on A/P moved 0.1 (> 0.05); X on A/Q moved exactly 0.05 (not above); Y gone with
    # 0.3 (> 0.05); Z new with 0.0 (not above)
    assert [(r.failing_nation_id, r.capability) for r in e.itertuples()] == \
        [("Y", "A/P"), ("X", "A/P")]
    reg = register_changes(pd.DataFrame({"failure_point": ["a", "b"], "score": [10, 50]}),
                           pd.DataFrame({"failure_point": ["a", "b"], "score": [12, 50.5]}),
                           0.01)
    assert reg["failure_point"].tolist() == ["a"] and reg["change"].tolist() == [2]


def test_time_to_impact_follows_stock(tmp_path, capsys):
    new = tmp_path / "new"
    shutil.copytree(WORKED, new)
    comps = (new / "components.csv").read_text().splitlines()
    comps[0] += ",stock_days"
    comps = [comps[0]] + [line + (",30" if line.startswith("C,") else ",")
                          for line in comps[1:]]
    (new / "components.csv").write_text("\n".join(comps) + "\n")
    scen = Path(__file__).parent / "fixtures" / "scenarios" / "worked.toml"
    assert main(["diff", str(WORKED), str(new), "--scenario", str(scen), "--out",
                 str(tmp_path / "out")]) == 0
    tti = pd.read_csv(tmp_path / "out" / "time_to_impact_changes.csv")
    row = tti[(tti["capability"] == "USA/P1")
              & (tti["scenario"] == "Sole source of part A down 100 days")]
    assert row["old"].tolist() == [0.0] and row["new"].tolist() == [30.0]
    assert "USA/P2" not in set(tti["capability"])  # P2 does not need C
    # the baseline recovery scenario (every nation down 365 days): C's 30 days of stock
    base = tti[tti["scenario"].str.startswith("baseline recovery")]
    assert base[["capability", "old", "new"]].values.tolist() == [["USA/P1", 0.0, 30.0]]
    out = capsys.readouterr().out
    assert "components: +0 / -5 / ~0" not in out and "components: +0 / -0 / ~1" in out


def test_analyse_folders_give_the_same_consequences(tmp_path):
    rng = random.Random(7)
    a, b = tmp_path / "a", tmp_path / "b"
    write_random_package(rng, a)
    mutate(rng, a, b)
    for p in (a, b):
        assert main(["analyse", str(p), "--out", str(tmp_path / f"{p.name}-out"),
                     "--no-cache"]) == 0
    packages = diff_folders(a, b)
    outputs = diff_folders(tmp_path / "a-out", tmp_path / "b-out")
    assert outputs.rows is None
    for part in ("spof", "pairs"):
        x, y = getattr(packages, part), getattr(outputs, part)
        pd.testing.assert_frame_equal(x.astype(str), y.astype(str))
    assert len(packages.register) == len(outputs.register)
    assert len(packages.exposure) == len(outputs.exposure)


def test_cli_text_and_refusals(tmp_path, capsys):
    b = tmp_path / "b"
    shutil.copytree(WORKED, b)
    # S_B2 no longer supplies B: S_B1 becomes a SPOF of both capabilities
    (b / "sourcing.csv").write_text("component_id,supplier_id,share,source\n"
                                    "A,S_A,1,x\nB,S_B1,0.6,x\n")
    assert main(["diff", str(WORKED), str(b)]) == 0
    out = capsys.readouterr().out
    assert "2 new SPOFs for USA/P2: nation:USA, supplier:S_B1" in out
    assert "sourcing: +0 / -1 / ~2" in out  # S_B2's row; both sources now 'x'
    assert "4 lost pairs for USA/P2" in out
    assert main(["diff", str(WORKED), str(tmp_path / "nope")]) == 2
    assert main(["diff", str(WORKED), str(b), "--out", str(b)]) == 2
    assert sorted(p.name for p in b.iterdir()) == sorted(p.name for p in WORKED.iterdir())
    assert main(["analyse", str(WORKED), "--out", str(tmp_path / "res"), "--no-cache"]) == 0
    capsys.readouterr()
    assert main(["diff", str(WORKED), str(tmp_path / "res")]) == 2
    assert "cannot compare a package with an analyse output folder" in \
        capsys.readouterr().err
    bad = tmp_path / "bad"
    shutil.copytree(WORKED, bad)
    (bad / "nations.csv").write_text("nation_id,name,alignment\nUSA,United States,ally\n")
    assert main(["diff", str(WORKED), str(bad), "--out", str(tmp_path / "o")]) == 3
    assert not (tmp_path / "o").exists()
