"""The risk register: measures, score, rank and the one-line why (DESIGN §4.8)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from riskgraph import UsageError, load_network
from riskgraph.analyses.register import RegisterWeights, risk_register, single_failure_loss

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
        loss = single_failure_loss(net)
        base = ref_supply(net.package, {})
        for fp in loss.index[:12]:
            a = ref_supply(net.package, {fp: 0.0})
            for cap in loss.columns:
                expect = 0.0 if base[cap] == 0 else 1 - a[cap] / base[cap]
                assert loss.loc[fp, cap] == pytest.approx(max(0.0, expect), abs=1e-9), \
                    (seed, fp, cap)


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
