"""Tests for riskgraph.analyses.concentration (docs/design.md §4.3).

Hand-computed values on the worked fixture and on a small ``mixed`` package written in
``tmp_path``; the direct columns are checked against a slow per-component computation from
the package tables, the deep columns against the recursive §3.2 reference of ``randpkg``.
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

from randpkg import ref_supply, write_random_package
from pkgtools import write_package
from riskgraph import load_network
from riskgraph.analyses.concentration import concentration, hhi

DIRECT = ["suppliers", "share_total", "nations", "hhi_supplier", "hhi_nation",
          "top_nation_id", "top_nation_share", "non_member_share", "non_member_owner_share",
          "sole_source", "single_nation"]


def write_tables(folder: Path, tables: dict[str, str]) -> Path:
    return write_package(folder, **tables)


@pytest.fixture
def worked(worked_dir):
    return load_network(worked_dir)


@pytest.fixture
def mixed(tmp_path):
    """X from five suppliers in four nations (shares sum to 2); Y needs both of two."""
    return load_network(write_tables(tmp_path / "mixed", {
        "nations": """
nation_id,name,alignment
USA,United States,member
DEU,Germany,member
JPN,Japan,partner
CHN,China,adversary
""",
        "suppliers": """
supplier_id,name,nation_id,owner_nation_id
S1,One,USA,
S5,Five,USA,
S2,Two,JPN,
S3,Three,CHN,
S4,Four,DEU,CHN
""",
        "components": """
component_id,name,kind,min_sources
X,Item X,part,1
Y,Item Y,part,2
P,Platform,platform,1
""",
        "bom": """
parent_id,child_id
P,X
P,Y
""",
        "sourcing": """
component_id,supplier_id,share
X,S1,0.6
X,S5,0.2
X,S2,0.2
X,S3,0.4
X,S4,0.6
Y,S1,1
Y,S3,1
""",
        "fielding": """
nation_id,platform_id
USA,P
""",
    }))


# --------------------------------------------------------------------- hand values


def test_worked_sole_source_part(worked):
    a = concentration(worked).loc["component:A"]
    assert a["component_id"] == "A" and a["name"] == "Part A" and a["kind"] == "part"
    assert a["suppliers"] == 1 and bool(a["sole_source"]) and bool(a["single_nation"])
    assert a["hhi_supplier"] == pytest.approx(10_000)
    assert a["hhi_nation"] == pytest.approx(10_000)
    assert a["top_nation_id"] == "USA" and a["top_nation_share"] == pytest.approx(1.0)
    assert a["non_member_share"] == 0.0


def test_worked_dual_source_normalises_shares_above_one(worked):
    b = concentration(worked).loc["component:B"]
    assert b["suppliers"] == 2 and not b["sole_source"] and b["nations"] == 2
    assert b["share_total"] == pytest.approx(1.2)  # 0.6 + 0.6, normalised to 0.5 / 0.5
    assert b["hhi_supplier"] == pytest.approx(5_000)
    assert b["hhi_nation"] == pytest.approx(5_000)
    # USA and DEU tie at 0.5: the first nation id alphabetically
    assert b["top_nation_id"] == "DEU" and b["top_nation_share"] == pytest.approx(0.5)


def test_worked_component_without_sourcing_has_missing_direct_values(worked):
    c = concentration(worked).loc["component:C"]
    assert c["suppliers"] == 0 and not c["sole_source"] and not c["single_nation"]
    assert np.isnan(c["hhi_supplier"]) and np.isnan(c["share_total"])
    assert pd.isna(c["top_nation_id"])


def test_worked_deep_columns(worked):
    conc = concentration(worked)
    # C = A + 2 B: A is sole-sourced in the USA, so the USA takes all of C
    assert conc.loc["component:C", "deep_top_nation_id"] == "USA"
    assert conc.loc["component:C", "deep_top_nation_loss_fraction"] == pytest.approx(1.0)
    # B keeps 0.6 whichever nation fails; tie -> DEU
    assert conc.loc["component:B", "deep_top_nation_id"] == "DEU"
    assert conc.loc["component:B", "deep_top_nation_loss_fraction"] == pytest.approx(0.4)
    assert (conc["deep_non_member_loss_fraction"] == 0).all()  # all members


def test_rows_are_every_component_in_compiled_order(worked):
    conc = concentration(worked)
    c = worked.compiled
    assert conc.index.name == "component"
    assert list(conc.index) == [i for i in c.ids if i.startswith("component:")]


def test_mixed_direct_values(mixed):
    x = concentration(mixed).loc["component:X"]
    # normalised: S1 .3, S5 .1, S2 .1, S3 .2, S4 .3; by nation USA .4 JPN .1 CHN .2 DEU .3
    assert x["suppliers"] == 5 and x["nations"] == 4
    assert x["share_total"] == pytest.approx(2.0)
    assert x["hhi_supplier"] == pytest.approx(10_000 * (.09 + .01 + .01 + .04 + .09))
    assert x["hhi_nation"] == pytest.approx(10_000 * (.16 + .01 + .04 + .09))
    assert x["top_nation_id"] == "USA" and x["top_nation_share"] == pytest.approx(0.4)
    assert x["non_member_share"] == pytest.approx(0.3)  # JPN partner + CHN adversary sites
    assert x["non_member_owner_share"] == pytest.approx(0.6)  # + S4 owned from CHN


def test_mixed_deep_values(mixed):
    conc = concentration(mixed)
    x, y = conc.loc["component:X"], conc.loc["component:Y"]
    # X: any one nation failing still leaves >= 1.0 of demand covered
    assert x["deep_top_nation_loss_fraction"] == 0.0 and pd.isna(x["deep_top_nation_id"])
    # all non-members (JPN, CHN; CHN also owns S4) fail: S1 + S5 = 0.8 left
    assert x["deep_non_member_loss_fraction"] == pytest.approx(0.2)
    # Y needs both suppliers (min_sources 2): either nation alone stops it; tie -> CHN
    assert y["deep_top_nation_id"] == "CHN"
    assert y["deep_top_nation_loss_fraction"] == 1.0
    assert y["deep_non_member_loss_fraction"] == 1.0


def test_deep_false_omits_deep_columns(mixed):
    conc = concentration(mixed, deep=False)
    assert not [col for col in conc.columns if col.startswith("deep_")]
    pd.testing.assert_frame_equal(conc, concentration(mixed)[conc.columns])


def test_small_max_cells_gives_same_result(mixed):
    pd.testing.assert_frame_equal(concentration(mixed, max_cells=1), concentration(mixed))


@pytest.mark.parametrize("shares, expected", [([1.0], 10_000), ([0.5, 0.5], 5_000),
                                              ([0.2, 0.2, 0.2, 0.2, 0.2], 2_000),
                                              ([0.3, 0.1], 6_250)])
def test_hhi(shares, expected):
    assert hhi(shares) == pytest.approx(expected)


def test_does_not_mutate_network(mixed):
    before = {k: v.copy() for k, v in mixed.package.tables.items()}
    ids = mixed.compiled.ids.copy()
    concentration(mixed)
    for name, table in mixed.package.tables.items():
        pd.testing.assert_frame_equal(table, before[name])
    assert (mixed.compiled.ids == ids).all()


# ------------------------------------------------------------ against slow references


def slow_direct(network) -> dict[str, dict]:
    """Direct concentration per component, row by row from the package tables."""
    pkg = network.package
    out = {}
    for cid in pkg.components.index:
        rows = pkg.sourcing[pkg.sourcing["component_id"] == cid]
        if not len(rows):
            out[cid] = None
            continue
        total = rows["share"].sum()
        by_nation: dict[str, float] = {}
        non_member = non_member_owner = 0.0
        for sid, share in zip(rows["supplier_id"], rows["share"]):
            w = share / total
            site = pkg.suppliers.loc[sid, "nation_id"]
            owner = pkg.suppliers.loc[sid, "owner_nation_id"] or site
            by_nation[site] = by_nation.get(site, 0.0) + w
            if pkg.nations.loc[site, "alignment"] != "member":
                non_member += w
            if pkg.nations.loc[owner, "alignment"] != "member":
                non_member_owner += w
        top = sorted(by_nation.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        out[cid] = {
            "suppliers": len(rows), "share_total": total, "nations": len(by_nation),
            "hhi_supplier": hhi(rows["share"].tolist()),
            "hhi_nation": hhi(list(by_nation.values())),
            "top_nation_id": top[0], "top_nation_share": top[1],
            "non_member_share": non_member, "non_member_owner_share": non_member_owner,
            "sole_source": len(rows) == 1, "single_nation": len(by_nation) == 1,
        }
    return out


def slow_deep(network) -> dict[str, tuple]:
    """(worst single-nation loss, non-member loss) per component via ref_supply."""
    pkg = network.package
    own = network.ownership
    base = ref_supply(pkg, {}, ownership=own)
    losses = {}
    for nid in sorted(pkg.nations.index):
        a = ref_supply(pkg, {f"nation:{nid}": 0.0}, ownership=own)
        losses[nid] = a
    non = {f"nation:{n}": 0.0 for n, al in pkg.nations["alignment"].items() if al != "member"}
    a_non = ref_supply(pkg, non, ownership=own)
    out = {}
    for cid in pkg.components.index:
        key = f"component:{cid}"
        b = base[key]
        worst = max((1 - losses[n][key] / b, n) for n in losses)[0] if b > 0 else 1.0
        out[cid] = (worst, 1 - a_non[key] / b if b > 0 else 1.0)
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ownership=st.booleans())
def test_matches_slow_reference_on_random_packages(seed, ownership):
    with tempfile.TemporaryDirectory() as folder:
        write_random_package(random.Random(seed), folder)
        net = load_network(folder, ownership=ownership)
    conc = concentration(net, max_cells=random.Random(seed).choice([1, 50, 10 ** 6]))
    direct = slow_direct(net)
    deep = slow_deep(net)
    for cid, expected in direct.items():
        row = conc.loc[f"component:{cid}"]
        if expected is None:
            assert row["suppliers"] == 0 and np.isnan(row["hhi_supplier"])
        else:
            for col, value in expected.items():
                if isinstance(value, (float, np.floating)):
                    assert row[col] == pytest.approx(value, abs=1e-9), (cid, col)
                else:
                    assert row[col] == value, (cid, col)
        worst, non_member = deep[cid]
        assert row["deep_top_nation_loss_fraction"] == pytest.approx(worst, abs=1e-9)
        assert row["deep_non_member_loss_fraction"] == pytest.approx(non_member, abs=1e-9)
        if worst > 1e-9:
            # the reported nation really causes the worst loss
            nid = row["deep_top_nation_id"]
            a = ref_supply(net.package, {f"nation:{nid}": 0.0}, ownership=ownership)
            b = ref_supply(net.package, {}, ownership=ownership)
            key = f"component:{cid}"
            assert 1 - a[key] / b[key] == pytest.approx(worst, abs=1e-9)
        else:
            assert pd.isna(row["deep_top_nation_id"])
