"""Synthetic packages: valid, deterministic, and shaped like a real supply base."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from riskgraph import UsageError, load_network, read_package, validate_package
from riskgraph.io.synthetic import MARKER, NATIONS, generate_package, is_generated

ROOT = Path(__file__).resolve().parents[1]
FILES = ("nations.csv", "suppliers.csv", "components.csv", "bom.csv", "sourcing.csv",
         "fielding.csv")


def digest(folder: Path) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in FILES}


@pytest.fixture(scope="module")
def pkg5k(tmp_path_factory) -> Path:
    return generate_package(tmp_path_factory.mktemp("syn") / "pkg", nodes=5000, seed=3)


@pytest.fixture(scope="module")
def net5k(pkg5k):
    return load_network(pkg5k)


@pytest.mark.parametrize("nodes, seed", [(200, 0), (500, 1), (2000, 2), (5000, 3),
                                         (20_000, 4)])
def test_valid_and_about_the_size_asked(nodes, seed, tmp_path):
    generate_package(tmp_path, nodes=nodes, seed=seed)
    pkg = read_package(tmp_path)
    assert not pkg.report.errors
    assert not [w for w in pkg.report.warnings if "unmapped" in str(w)]
    net = load_network(tmp_path)
    assert abs(net.compiled.n - nodes) <= 0.1 * nodes


@pytest.mark.parametrize("nodes, seed", [(200, 0), (700, 9), (3000, 1), (12_000, 2)])
def test_no_warnings_by_default_shortfalls_with_defects(nodes, seed, tmp_path):
    generate_package(tmp_path / "quiet", nodes=nodes, seed=seed)
    assert validate_package(tmp_path / "quiet").warnings == []
    generate_package(tmp_path / "defects", nodes=nodes, seed=seed, defects=True)
    report = validate_package(tmp_path / "defects")
    assert not report.errors and report.warnings
    assert {w.code for w in report.warnings} == {"shortfall"}
    # only the shares differ, and only upwards on the dominant source
    assert digest(tmp_path / "quiet") | {"sourcing.csv": ""} == \
        digest(tmp_path / "defects") | {"sourcing.csv": ""}
    quiet, raw = (pd.read_csv(tmp_path / d / "sourcing.csv") for d in ("quiet", "defects"))
    assert quiet[["component_id", "supplier_id"]].equals(raw[["component_id", "supplier_id"]])
    raised = quiet["share"] != raw["share"]
    assert raised.sum() == len(report.warnings)
    assert (quiet["share"][raised] > raw["share"][raised]).all()
    assert (quiet["share"] <= 1).all()
    assert not quiet["component_id"][raised].duplicated().any()


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = digest(generate_package(tmp_path / "a", nodes=3000, seed=11))
    b = digest(generate_package(tmp_path / "b", nodes=3000, seed=11))
    c = digest(generate_package(tmp_path / "c", nodes=3000, seed=12))
    assert a == b
    assert a != c


def test_independent_of_pythonhashseed(tmp_path):
    out = []
    for hs in ("1", "999"):
        folder = tmp_path / hs
        code = ("from riskgraph.io.synthetic import generate_package; "
                f"generate_package({str(folder)!r}, nodes=1000, seed=5); "
                f"generate_package({str(folder / 'd')!r}, nodes=1000, seed=5, defects=True)")
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                       env=dict(os.environ, PYTHONHASHSEED=hs))
        out.append((digest(folder), digest(folder / "d")))
    assert out[0] == out[1]


@pytest.mark.parametrize("seed", range(8))
def test_six_to_ten_component_tiers(seed, tmp_path):
    generate_package(tmp_path, nodes=1500, seed=seed)
    pkg = read_package(tmp_path)
    g = nx.DiGraph(zip(pkg.bom["parent_id"], pkg.bom["child_id"]))
    tiers = nx.dag_longest_path_length(g) + 1  # platform ... material
    assert 6 <= tiers <= 10
    kinds = pkg.components["kind"]
    top = set(pkg.bom["parent_id"]) - set(pkg.bom["child_id"])
    assert set(kinds[list(top)]) == {"platform"}
    leaves = set(pkg.bom["child_id"]) - set(pkg.bom["parent_id"])
    assert set(kinds[list(leaves)]) <= {"material", "part"}


def test_nations_and_alignments(net5k):
    pkg = net5k.package
    assert len(pkg.nations) == len(NATIONS) >= 30
    assert set(pkg.nations["alignment"]) == {"member", "partner", "neutral", "adversary"}
    assert pkg.nations.loc["USA", "alliances"].split(";") == ["NATO", "FVEY"]
    # fielding only by member and partner nations, 1-15 operators per platform
    ops = pkg.fielding.groupby("platform_id").size()
    assert ops.min() >= 1 and ops.max() <= 15 and ops.max() >= 5
    aligned = pkg.nations["alignment"].reindex(pkg.fielding["nation_id"])
    assert set(aligned) <= {"member", "partner"}


def test_power_law_reuse(net5k):
    pkg = net5k.package
    kinds = pkg.components["kind"]
    parents = pkg.bom.groupby("child_id").size()
    mats = parents[kinds.reindex(parents.index) == "material"]
    assert mats.max() >= 10 * mats.median()  # a few materials used nearly everywhere
    items = pkg.sourcing.groupby("supplier_id").size()
    assert items.max() >= 8 * items.median()  # a few big suppliers, a long tail


def test_sourcing_features(net5k):
    pkg = net5k.package
    comps = pkg.components
    rows = pkg.sourcing.groupby("component_id").size()
    non_platform = rows[comps["kind"].reindex(rows.index) != "platform"]
    assert (non_platform == 1).mean() > 0.03  # sole sources below the primes
    assert (rows >= 3).sum() > 0
    assert (comps["min_sources"] > 1).sum() > 0
    assert ((comps["min_sources"] > 1) <= (rows.reindex(comps.index).fillna(0) >= 3)).all()
    assert (pkg.bom["substitute_group"].fillna("") != "").sum() > 0
    assert 0.2 < (comps["stock_days"] > 0).mean() < 0.4
    in_house = ~comps.index.isin(rows.index)
    assert in_house.sum() > 0 and (comps.loc[in_house, "kind"] != "material").all()
    # platforms: one prime contractor each
    plat = comps.index[comps["kind"] == "platform"]
    assert (rows.reindex(plat) == 1).all()
    # some suppliers are foreign-owned
    assert (pkg.suppliers["owner_nation_id"].fillna("") != "").sum() > 0


def test_materials_concentrated_in_adversary_nations(net5k):
    pkg = net5k.package
    src = pkg.sourcing.join(pkg.suppliers["nation_id"], on="supplier_id")
    src["alignment"] = pkg.nations["alignment"].reindex(src["nation_id"]).to_numpy()
    kind = pkg.components["kind"].reindex(src["component_id"]).to_numpy()
    mat = src[kind == "material"]
    share = mat.groupby("alignment")["share"].sum() / mat["share"].sum()
    assert share.get("adversary", 0) > 0.3
    other = src[kind != "material"]
    other_share = other.groupby("alignment")["share"].sum() / other["share"].sum()
    assert other_share.get("adversary", 0) < 0.1
    dominant = mat.sort_values("share", ascending=False).groupby("component_id").head(1)
    assert (dominant["alignment"] == "adversary").mean() > 0.3


def test_every_component_feeds_a_capability(net5k):
    c = net5k.compiled
    need = c.topology.ancestor_mask(c.capabilities)
    comps = c.kind == 2
    assert need[comps].mean() > 0.97


def test_platform_trees_are_local(net5k):
    """A platform depends on a few hundred nodes, not on the whole network."""
    c = net5k.compiled
    plat = [c.index[f"component:{p}"] for p in
            net5k.package.components.index[net5k.package.components["kind"] == "platform"]]
    sizes = [len(c.topology.ancestors([p])) for p in plat[:10]]
    assert max(sizes) < 0.3 * c.n


@pytest.mark.parametrize("nodes, seed, match", [(199, 0, "nodes"), (1000.0, 0, "nodes"),
                                                (True, 0, "nodes"), (1000, -1, "seed")])
def test_bad_arguments(nodes, seed, match, tmp_path):
    with pytest.raises(UsageError, match=match):
        generate_package(tmp_path, nodes=nodes, seed=seed)
    assert not any(tmp_path.iterdir())


def test_csv_files_are_plain(pkg5k):
    for name in FILES:
        raw = (pkg5k / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
        df = pd.read_csv(pkg5k / name, dtype=str, keep_default_na=False)
        assert len(df) > 0
    assert not list(pkg5k.glob(".*.tmp"))


# ---------------------------------------------------------------- riskgraph generate --out


def _generate(out, *extra):
    from riskgraph.cli import main

    return main(["generate", "--nodes", "300", "--seed", "3", "--out", str(out), *extra])


def test_generate_refuses_a_real_package_and_leaves_it_untouched(tmp_path, capsys):
    real = tmp_path / "real"
    shutil.copytree(ROOT / "data" / "allied-defence", real)
    before = digest(real)
    assert _generate(real) == 2
    err = capsys.readouterr().err
    assert "not written by riskgraph generate" in err and "SOURCES.md" in err
    assert "--force" in err
    assert digest(real) == before and not (real / MARKER).exists()


@pytest.mark.parametrize("content", ["notes.txt", "nations.csv", ".hidden"])
def test_generate_refuses_any_non_empty_folder_it_did_not_write(tmp_path, capsys, content):
    out = tmp_path / "out"
    out.mkdir()
    (out / content).write_text("mine\n")
    assert _generate(out) == 2
    assert content in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [content]
    assert (out / content).read_text() == "mine\n"


def test_generate_rewrites_its_own_folder_and_force_overrides(tmp_path):
    out = tmp_path / "gen"
    assert _generate(out) == 0 and is_generated(out)
    first = digest(out)
    (out / "nations.csv").write_text("edited\n")
    assert _generate(out) == 0 and digest(out) == first  # its own folder: regenerated
    forced = tmp_path / "forced"
    forced.mkdir()
    (forced / "SOURCES.md").write_text("real\n")
    assert _generate(forced) == 2
    assert _generate(forced, "--force") == 0
    assert digest(forced) == first and (forced / "SOURCES.md").read_text() == "real\n"


def test_marker_is_recognised_only_when_it_is_ours(tmp_path):
    (tmp_path / MARKER).write_text("# something else\n")
    assert not is_generated(tmp_path)
    assert not is_generated(tmp_path / "missing")
