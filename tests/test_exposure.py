"""Tests for riskgraph.analyses.exposure (docs/design.md §4.4) and for the randpkg reference semantics.

Hand values on the worked fixture (USA fails: P1 loses everything — S_A is in the USA —
and P2 keeps S_B2's 0.6; DEU fails: both keep S_B1's 0.6) and on a small ``blocs``
package; every result is cross-checked against ``randpkg.ref_supply`` /
``randpkg.ref_available`` (docs/design.md §3.1/§3.2 evaluated recursively from the tables) on
random packages.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randpkg import ref_available, ref_supply, write_random_package
from pkgtools import write_package
from riskgraph import load_network
from riskgraph.errors import UsageError
from riskgraph.analyses.exposure import (alliance_survivability, exposure_matrix, exposure_summary,
                                nation_exposure, non_allied_nations)
from riskgraph.model.propagation import available, supply

EXPORT_COLUMNS = ["failing_nation_id", "nation_id", "platform_id", "loss_fraction"]


def write_tables(folder: Path, tables: dict[str, str]) -> Path:
    return write_package(folder, **tables)


@pytest.fixture
def worked(worked_dir):
    return load_network(worked_dir)


@pytest.fixture
def blocs_dir(tmp_path):
    """Three blocs: M (USA) tri-sourced from USA/JPN/CHN at 0.5 each; R only from CHN;
    O from a USA site owned from CHN. POL fields M and R, USA fields O."""
    return write_tables(tmp_path / "blocs", {
        "nations": """
nation_id,name,alignment
USA,United States,member
POL,Poland,member
JPN,Japan,partner
CHN,China,adversary
""",
        "suppliers": """
supplier_id,name,nation_id,owner_nation_id
SU,Us,USA,
SJ,Jp,JPN,
SC,Cn,CHN,
SO,Owned,USA,CHN
""",
        "components": """
component_id,name,kind
M,Missile,platform
R,Radar,platform
O,Optic,platform
""",
        "sourcing": """
component_id,supplier_id,share
M,SU,0.5
M,SJ,0.5
M,SC,0.5
R,SC,1
O,SO,1
""",
        "fielding": """
nation_id,platform_id
POL,M
POL,R
USA,O
""",
    })


# --------------------------------------------------------------------- hand values


def test_worked_usa_fails(worked):
    exp = nation_exposure(worked)
    usa = exp.loc["nation:USA"]
    assert usa.loc["capability:USA/P1", "loss_fraction"] == pytest.approx(1.0)
    assert not usa.loc["capability:USA/P1", "up"]
    assert usa.loc["capability:USA/P2", "loss_fraction"] == pytest.approx(0.4)
    assert usa.loc["capability:USA/P2", "supply_fraction"] == pytest.approx(0.6)
    assert usa.loc["capability:USA/P2", "up"]


def test_worked_deu_fails(worked):
    deu = nation_exposure(worked).loc["nation:DEU"]
    assert deu["loss_fraction"].to_numpy() == pytest.approx([0.4, 0.4])
    assert deu["up"].all()


def test_long_format_columns_and_index(worked):
    exp = nation_exposure(worked)
    assert exp.index.names == ["failing_nation", "capability"]
    assert exp.index.is_unique
    assert set(EXPORT_COLUMNS) <= set(exp.columns)
    assert len(exp) == 2 * 2  # nations x capabilities
    row = exp.loc[("nation:DEU", "capability:USA/P1")]
    assert (row["failing_nation_id"], row["nation_id"], row["platform_id"]) == \
        ("DEU", "USA", "P1")
    assert row["baseline_supply"] == pytest.approx(1.0)


def test_nations_parameter_accepts_raw_and_typed_ids(worked):
    exp = nation_exposure(worked, nations=["DEU", "nation:DEU", "USA"])
    assert list(pd.unique(exp["failing_nation_id"])) == ["DEU", "USA"]
    one = nation_exposure(worked, nations="USA")
    pd.testing.assert_frame_equal(one, nation_exposure(worked).loc[["nation:USA"]])


@pytest.mark.parametrize("bad", ["FRA", "supplier:S_A", "nation:", 7])
def test_nations_parameter_rejects_unknown_ids(worked, bad):
    with pytest.raises(UsageError):
        nation_exposure(worked, nations=[bad])


def test_exposure_matrix(worked):
    exp = nation_exposure(worked)
    m = exposure_matrix(exp)
    assert m.index.name == "failing_nation" and m.columns.name == "capability"
    assert list(m.index) == ["nation:DEU", "nation:USA"]
    assert m.loc["nation:USA", "capability:USA/P1"] == pytest.approx(1.0)
    assert m.loc["nation:USA", "capability:USA/P2"] == pytest.approx(0.4)
    assert m.loc["nation:DEU"].to_numpy() == pytest.approx([0.4, 0.4])
    up = exposure_matrix(exp, value="up")
    assert up.loc["nation:USA"].tolist() == [True, False]  # P2 survives, P1 does not
    with pytest.raises(UsageError):
        exposure_matrix(exp, value="nope")


def test_exposure_summary(worked):
    s = exposure_summary(nation_exposure(worked))
    assert s.loc["nation:USA", "capabilities_lost"] == 1
    assert s.loc["nation:USA", "capabilities_impacted"] == 2
    assert s.loc["nation:USA", "nations_impacted"] == 1
    assert s.loc["nation:USA", "max_loss_fraction"] == pytest.approx(1.0)
    assert s.loc["nation:USA", "mean_loss_fraction"] == pytest.approx(0.7)
    assert s.loc["nation:DEU", "capabilities_lost"] == 0


def test_blocs_exposure_follows_ownership(blocs_dir):
    exp = nation_exposure(load_network(blocs_dir))
    chn = exp.loc["nation:CHN"]
    assert chn.loc["capability:POL/M", "loss_fraction"] == 0.0  # 0.5 + 0.5 still cover M
    assert chn.loc["capability:POL/R", "loss_fraction"] == 1.0
    assert chn.loc["capability:USA/O", "loss_fraction"] == 1.0  # SO is owned from CHN
    no_own = nation_exposure(load_network(blocs_dir, ownership=False)).loc["nation:CHN"]
    assert no_own.loc["capability:USA/O", "loss_fraction"] == 0.0


def test_alliance_survivability_members_only(blocs_dir):
    net = load_network(blocs_dir)
    surv = alliance_survivability(net)
    assert surv.attrs["failed_nations"] == ["CHN", "JPN"]
    assert surv.index.name == "capability"
    assert surv.loc["capability:POL/M", "supply_fraction"] == pytest.approx(0.5)
    assert surv.loc["capability:POL/M", "loss_fraction"] == pytest.approx(0.5)
    assert surv.loc["capability:POL/M", "up"]
    assert not surv.loc["capability:POL/R", "up"]
    assert surv.loc["capability:POL/R", "loss_fraction"] == 1.0
    assert not surv.loc["capability:USA/O", "up"]
    assert (surv["baseline_supply"] == 1.0).all()
    assert list(surv[["nation_id", "platform_id"]].loc["capability:USA/O"]) == ["USA", "O"]


def test_alliance_survivability_keeping_partners(blocs_dir):
    net = load_network(blocs_dir)
    surv = alliance_survivability(net, keep_partners=True)
    assert surv.attrs["failed_nations"] == ["CHN"]
    assert surv.loc["capability:POL/M", "loss_fraction"] == 0.0
    assert not surv.loc["capability:POL/R", "up"]
    assert non_allied_nations(net, keep_partners=True) == ["CHN"]


def test_alliance_survivability_all_members_loses_nothing(worked):
    surv = alliance_survivability(worked)
    assert surv.attrs["failed_nations"] == []
    assert surv["up"].all() and (surv["loss_fraction"] == 0).all()


def test_baseline_shortfall_is_reported_relative(tmp_path, worked_dir):
    """B's shares sum to 0.5: baseline 0.5, and losing S_B2 halves what is left."""
    import shutil

    pkg = tmp_path / "short"
    shutil.copytree(worked_dir, pkg)
    (pkg / "sourcing.csv").write_text(
        "component_id,supplier_id,share\nA,S_A,1\nB,S_B1,0.25\nB,S_B2,0.25\n",
        encoding="utf-8")
    exp = nation_exposure(load_network(pkg))
    row = exp.loc[("nation:DEU", "capability:USA/P2")]
    assert row["baseline_supply"] == pytest.approx(0.5)
    assert row["supply"] == pytest.approx(0.25)
    assert row["loss_fraction"] == pytest.approx(0.5)


def test_chunking_gives_same_result(blocs_dir):
    net = load_network(blocs_dir)
    pd.testing.assert_frame_equal(nation_exposure(net, max_cells=1), nation_exposure(net))
    with pytest.raises(UsageError):
        nation_exposure(net, max_cells=0)


def test_does_not_mutate_network(blocs_dir):
    net = load_network(blocs_dir)
    before = {k: v.copy() for k, v in net.package.tables.items()}
    weight = net.compiled.weight.copy()
    nation_exposure(net)
    alliance_survivability(net, keep_partners=True)
    for name, table in net.package.tables.items():
        pd.testing.assert_frame_equal(table, before[name])
    assert (net.compiled.weight == weight).all()


# ------------------------------------------------------------ against slow references


def random_network(seed: int, ownership: bool):
    with tempfile.TemporaryDirectory() as folder:
        write_random_package(random.Random(seed), folder)
        return load_network(folder, ownership=ownership)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ownership=st.booleans())
def test_nation_exposure_matches_reference(seed, ownership):
    net = random_network(seed, ownership)
    pkg = net.package
    exp = nation_exposure(net, max_cells=random.Random(seed).choice([1, 40, 10 ** 6]))
    base = ref_supply(pkg, {}, ownership=ownership)
    caps = [i for i in net.compiled.ids if i.startswith("capability:")]
    assert len(exp) == len(pkg.nations) * len(caps)
    for nid in pkg.nations.index:
        a = ref_supply(pkg, {f"nation:{nid}": 0.0}, ownership=ownership)
        up = ref_available(pkg, {f"nation:{nid}"}, ownership=ownership)
        for cap in caps:
            row = exp.loc[(f"nation:{nid}", cap)]
            expected = 1 - a[cap] / base[cap] if base[cap] > 0 else 1.0
            assert row["loss_fraction"] == pytest.approx(expected, abs=1e-9)
            assert row["baseline_supply"] == pytest.approx(base[cap], abs=1e-12)
            assert bool(row["up"]) == up[cap]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ownership=st.booleans(), partners=st.booleans())
def test_alliance_survivability_matches_reference(seed, ownership, partners):
    net = random_network(seed, ownership)
    pkg = net.package
    keep = {"member", "partner"} if partners else {"member"}
    failed = {f"nation:{n}" for n, al in pkg.nations["alignment"].items() if al not in keep}
    surv = alliance_survivability(net, keep_partners=partners)
    assert sorted(surv.attrs["failed_nations"]) == sorted(f[7:] for f in failed)
    base = ref_supply(pkg, {}, ownership=ownership)
    a = ref_supply(pkg, dict.fromkeys(failed, 0.0), ownership=ownership)
    up = ref_available(pkg, failed, ownership=ownership)
    for cap, row in surv.iterrows():
        assert bool(row["up"]) == up[cap]
        assert row["supply"] == pytest.approx(a[cap], abs=1e-12)
        assert row["supply_fraction"] == pytest.approx(a[cap] / base[cap], abs=1e-9)
        assert row["loss_fraction"] == pytest.approx(1 - a[cap] / base[cap], abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ownership=st.booleans())
def test_reference_semantics_agree_with_kernel(seed, ownership):
    """randpkg's recursive §3.1/§3.2 and the compiled kernel agree on random scenarios."""
    rng = random.Random(seed)
    net = random_network(seed, ownership)
    c = net.compiled
    points = [i for i in c.ids if not i.startswith("capability:")]
    for _ in range(4):
        capacity = {x: rng.choice([0.0, 0.3, 0.5, 1.0]) for x in points if rng.random() < 0.3}
        ref = ref_supply(net.package, capacity, ownership=ownership)
        got = supply(c, np.array([capacity.get(i, 1.0) for i in c.ids]))
        assert got == pytest.approx([ref[i] for i in c.ids], abs=1e-12)
        failed = {x for x, m in capacity.items() if m == 0.0}
        ref_up = ref_available(net.package, failed, ownership=ownership)
        got_up = available(c, np.array([i in failed for i in c.ids]))
        assert got_up.tolist() == [ref_up[i] for i in c.ids]
        # §3.2 with factors 0/1 reads as §3.1
        binary = ref_supply(net.package, dict.fromkeys(failed, 0.0), ownership=ownership)
        assert ref_up == {i: a > 0 for i, a in binary.items()}


def test_random_packages_are_reproducible(tmp_path):
    write_random_package(random.Random(5), tmp_path / "a")
    write_random_package(random.Random(5), tmp_path / "b")
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()
