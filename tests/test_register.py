"""The risk register: measures, score, rank and the one-line why (docs/design.md §4.8)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskgraph import UsageError, load_network
from riskgraph.analyses.register import RegisterWeights, risk_register, single_failure_loss
from riskgraph.analyses.rowsums import dense_row_sums
from riskgraph.model.propagation import relative_supply, supply

WORKED = Path(__file__).parent / "fixtures" / "worked"


@pytest.fixture(scope="module")
def worked():
    return load_network(WORKED)


def test_one_row_per_failure_point_ranked(worked):
    reg = risk_register(worked)
    assert set(reg.index) == set(worked.compiled.ids[worked.compiled.failure_points])
    assert reg["rank"].tolist() == list(range(1, len(reg) + 1))
    assert reg["score"].is_monotonic_decreasing
    assert ((reg["score"] >= 0) & (reg["score"] <= 100)).all()
    for col in ("failure_point",):
        assert reg.index.name == col
    assert {"kind", "name", "score", "rank", "why"} <= set(reg.columns)


def test_measures_on_worked_example(worked):
    reg = risk_register(worked)
    # B is a SPOF of both capabilities; S_A of P1 only
    assert reg.loc["component:B", "spof_count"] == 2
    assert reg.loc["supplier:S_A", "spof_count"] == 1
    assert reg.loc["supplier:S_A", "sole_source_of"] == 1
    assert reg.loc["supplier:S_B1", "spof_count"] == 0
    # S_B1 is in a critical pair for both capabilities; DEU too
    assert reg.loc["supplier:S_B1", "pair_count"] == 2
    assert reg.loc["nation:DEU", "pair_count"] == 2
    # supply lost when S_B1 fails: B drops to 0.6 -> P1 and P2 each lose 0.4
    assert reg.loc["supplier:S_B1", "loss_sum"] == pytest.approx(0.8)
    # the platform's own capability is not counted in its loss
    assert reg.loc["component:P1", "loss_sum"] == 0.0
    assert reg.loc["supplier:S_A", "why"].startswith("sole source of A: takes down 1 capability")
    assert "no capability depends on it alone" not in reg.loc["supplier:S_B1", "why"]
    # USA is a SPOF of P1 and halves B: it outranks B, whose two suppliers make it
    # half as fragile (HHI 5,000)
    assert reg.index[0] == "nation:USA"
    assert reg.loc["component:B", "fragility"] == pytest.approx(0.5)


def test_weights_change_the_ranking(worked):
    only_pairs = RegisterWeights(spof=0, loss=0, nations=0, hidden=0, pairs=1,
                                 concentration=0, alignment=0, reach=0)
    reg = risk_register(worked, weights=only_pairs)
    top = set(reg.index[reg["score"] == reg["score"].max()])
    # in pairs for both capabilities; USA only for P2 (it is a SPOF of P1)
    assert top == {"nation:DEU", "supplier:S_B1", "supplier:S_B2"}
    assert reg.loc["supplier:S_A", "score"] == 0.0
    assert 0 < reg.loc["nation:USA", "score"] < reg.loc["nation:DEU", "score"]


@pytest.mark.parametrize("bad", [dict(spof=-1), dict(loss=float("nan")),
                                 dict(spof=0, loss=0, nations=0, hidden=0, pairs=0,
                                      concentration=0, alignment=0, reach=0)])
def test_bad_weights_are_refused(bad):
    with pytest.raises(UsageError, match="weight"):
        RegisterWeights(**bad)


def test_register_does_not_mutate_network(worked):
    before = {k: v.copy() for k, v in worked.package.tables.items()}
    ids = worked.compiled.ids.copy()
    risk_register(worked)
    for k, v in worked.package.tables.items():
        assert v.equals(before[k])
    assert (worked.compiled.ids == ids).all()


def test_single_failure_loss_matches_reference(tmp_path):
    from randpkg import ref_supply, write_random_package

    for seed in range(25):
        folder = tmp_path / str(seed)
        write_random_package(random.Random(seed), folder)
        net = load_network(folder)
        loss = single_failure_loss(net).set_index(["failure_point", "capability"])
        assert (loss["loss_fraction"] > 0).all()
        base = ref_supply(net.package, {})
        c = net.compiled
        for fp in c.ids[c.failure_points][:12]:
            a = ref_supply(net.package, {fp: 0.0})
            for cap in c.ids[c.capabilities]:
                expect = 0.0 if base[cap] == 0 else 1 - a[cap] / base[cap]
                got = loss["loss_fraction"].get((fp, cap), 0.0)
                assert got == pytest.approx(max(0.0, expect), abs=1e-9), (seed, fp, cap)


def dense_single_failure_loss(network, chunk: int = 7) -> pd.DataFrame:
    """Slow reference: every failure point through the whole network, a dense matrix
    (the implementation before the cone pass), with the rounding rule of §3.2."""
    c = network.compiled
    idx = c.failure_points
    caps = c.capabilities
    base = supply(c)[caps]
    out = np.zeros((len(idx), len(caps)))
    for lo in range(0, len(idx), chunk):
        part = idx[lo:lo + chunk]
        cap = np.ones((c.n, len(part)))
        cap[part, np.arange(len(part))] = 0.0
        a = supply(c, cap)[caps].T
        out[lo:lo + len(part)] = relative_supply(a, base)[1]
    return pd.DataFrame(out, index=pd.Index(c.ids[idx], name="failure_point"),
                        columns=pd.Index(c.ids[caps], name="capability"))


def dense_loss_sum(network, dense: pd.DataFrame) -> np.ndarray:
    """Slow reference of the register's loss_sum: row sums, platform's own excluded."""
    platform_of = network.capabilities["platform_id"].map(lambda p: f"component:{p}")
    own = dense.index.to_numpy()[:, None] == platform_of.reindex(dense.columns).to_numpy()
    return np.where(own, 0.0, dense.to_numpy()).sum(axis=1)


def check_against_dense(net, max_cells):
    dense = dense_single_failure_loss(net)
    long = single_failure_loss(net, max_cells=max_cells)
    wide = long.pivot(index="failure_point", columns="capability", values="loss_fraction")
    wide = wide.reindex(index=dense.index, columns=dense.columns).fillna(0.0)
    assert (wide.to_numpy() == dense.to_numpy()).all()  # bit for bit
    assert (long["loss_fraction"] != 0).all()
    # the register's loss_sum reproduces NumPy's dense row sums exactly
    reg = risk_register(net)
    assert (reg["loss_sum"].reindex(dense.index).to_numpy()
            == dense_loss_sum(net, dense)).all()


@pytest.mark.parametrize("seed", range(20))
def test_cone_loss_equals_dense_loss_on_random_packages(seed, tmp_path):
    from randpkg import write_random_package

    write_random_package(random.Random(seed), tmp_path)
    check_against_dense(load_network(tmp_path), max_cells=[1, 30, 2 ** 20][seed % 3])


def test_cone_loss_equals_dense_loss_on_the_sample():
    root = Path(__file__).resolve().parents[1]
    check_against_dense(load_network(root / "data" / "allied-defence"), max_cells=500)


@pytest.mark.parametrize("dense_from", [None, 3, 10 ** 9])
@pytest.mark.parametrize("n_cols", [1, 5, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 255, 256,
                                    257, 300, 1000, 4099, 40_000])
def test_dense_row_sums_match_numpy(n_cols, dense_from):
    # dense_from 3 sums every row of three or more dense, 10 ** 9 none: both paths
    rng = np.random.default_rng(n_cols)
    for density in (0.005, 0.02, 0.3, 1.0):
        dense = rng.random((6, n_cols)) * (rng.random((6, n_cols)) < density)
        dense[rng.integers(0, 6)] = 0.0
        row, col = np.nonzero(dense)
        got = dense_row_sums(row, col, dense[row, col], 6, n_cols, dense_from=dense_from)
        assert (got == dense.sum(axis=1)).all()
        shuffled = rng.permutation(len(row))
        got = dense_row_sums(row[shuffled], col[shuffled], dense[row, col][shuffled], 6,
                             n_cols, dense_from=dense_from)
        assert (got == dense.sum(axis=1)).all()


def test_sample_register_names_famous_dependencies():
    root = Path(__file__).resolve().parents[1]
    net = load_network(root / "data" / "allied-defence")
    reg = risk_register(net)
    # the sole US ammonium-perchlorate plant is a hidden SPOF for every SRM-driven missile
    ampac = reg.loc["supplier:AMPAC"]
    assert ampac["spof_count"] > 20 and ampac["hidden_count"] == ampac["spof_count"]
    assert ampac["why"].startswith("sole source of AP")
    assert reg.loc["nation:CHN", "rank"] <= 5
    assert np.isfinite(reg["score"]).all()
