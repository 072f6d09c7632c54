"""The planners' questions, each answered on the page it lands on in at most three actions.

Issue 12 walked four questions; this module holds question 1 (Poland's F-35A single
points of failure, on Overview) and question 3 (the most damaging nation, on Nations).
Answers are checked against the library's own numbers, computed here, never typed in.
"""

from __future__ import annotations

import pytest

from riskgraph import load_network
from riskgraph.analyses.structural import structural_analysis
from riskgraph.views import capability_spofs

from .browserkit import SAMPLE
from .test_pages import pick

POL_F35 = "capability:POL/F-35A"


@pytest.fixture(scope="module")
def sample():
    net = load_network(SAMPLE)
    return net, structural_analysis(net)


def test_q1_poland_f35_single_points_of_failure(page, sample):
    """Overview: one action (pick the capability) answers it: how many, which kinds,
    each with its depth and chain; every kind listed by default (China among them)."""
    net, analysis = sample
    want = capability_spofs(net, analysis, POL_F35)
    kinds = want["kind"].value_counts()
    page.goto("/")
    p = page.page
    pick(p, "#ov-capability", "Poland F-35")  # action 1
    count = p.locator("#ov-spof-count")
    p.wait_for_function("document.querySelector('#ov-spof-count').innerText.includes("
                        "'single point')")
    text = count.inner_text()
    assert text.startswith("Poland — F-35A Lightning II (POL/F-35A): "
                           f"{len(want)} single points of failure: ")
    for kind in ("nation", "supplier", "component"):
        assert f"{kinds[kind]} {kind}s" in text or f"{kinds[kind]} {kind}," in text
    grid = p.locator("#ov-spof-grid")
    p.locator('#ov-spof-grid .ag-row[row-id="nation:CHN"]').first.wait_for()
    china = grid.locator('.ag-row[row-id="nation:CHN"]').first
    chain = china.locator('[col-id="chain"]').inner_text()
    assert chain.startswith("F-35A Lightning II ← ") and chain.endswith(" ← China")
    assert china.locator('[col-id="tier"]').inner_text() == "nation"
    assert int(china.locator('[col-id="depth"]').inner_text()) == len(chain.split(" ← "))
    page.assert_clean()
