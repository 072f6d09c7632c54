"""The planners' questions, each answered on the page it lands on in at most three actions.

Issue 12 walked four questions; this module holds question 1 (Poland's F-35A single
points of failure, on Overview) and question 3 (the most damaging nation, on Nations).
Answers are checked against the library's own numbers, computed here, never typed in.
"""

from __future__ import annotations

import pytest

from riskgraph import load_network
from riskgraph.analyses.structural import structural_analysis
from riskgraph.views.why import spof_list

from .browserkit import SAMPLE
from .test_network_why import wait_js
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
    want = spof_list(net, analysis, POL_F35)
    kinds = want["kind"].value_counts()
    page.goto("/")
    p = page.page
    # the headline card says what it counts (capabilities, not SPOFs)
    cards = p.locator("#ov-headlines .rg-stat")
    cards.first.wait_for()
    hidden = [t for t in cards.all_inner_texts() if "hidden" in t.lower()]
    assert len(hidden) == 1 and hidden[0].lower().startswith("capabilities with a hidden spof")
    spof = analysis.spof
    with_hidden = len(set(spof.index[spof["hidden"].to_numpy(dtype=bool)]))
    lines = [line.strip() for line in hidden[0].splitlines() if line.strip()]
    assert lines[1] == str(with_hidden), lines
    pick(p, "#ov-capability", "Poland F-35")  # action 1
    count = p.locator("#ov-spof-count")
    wait_js(p, "document.querySelector('#ov-spof-count').innerText.includes("
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
    p.locator("#ov-capability").scroll_into_view_if_needed()
    page.screenshot("overview")
    page.assert_clean()


def test_q3_the_most_damaging_nation(page, sample):
    """Nations: the answer is on the page as it lands (no action): the most damaging
    nation named with its measure, the heatmap's nations by name with the ranking bar,
    every capability label drawn at 11 px or more."""
    from riskgraph.views.damage import nation_damage

    net, analysis = sample
    d = nation_damage(net, analysis.nation_exposure)
    top = d.nations.iloc[0]
    page.goto("/nations")
    p = page.page
    wait_js(p, "(e => e && e.innerText.includes('Most damaging'))("
                        "document.querySelector('#nat-answer'))")
    text = p.locator("#nat-answer").inner_text()
    assert text.startswith(f"Most damaging: {top['name']} ({d.nations.index[0]}). ")
    assert f"lose {100 * top['mean_loss']:.0f}% of their supply on average" in text
    assert f"{top['capabilities_down']} go down entirely" in text
    graph = "document.querySelector('#nat-heatmap .js-plotly-plot')"
    wait_js(p, f"{graph} && {graph}._fullData && {graph}._fullData.length == 2")
    bar_x = p.evaluate(f"Array.from({graph}._fullData[0].x)")
    assert bar_x == d.nations["name"].tolist()  # names, most damaging first
    # every capability row labelled: as many y tick labels as rows, none under 11 px
    sizes = p.evaluate("""() => Array.from(document.querySelectorAll(
        '#nat-heatmap .yaxislayer-above text, #nat-heatmap .xaxislayer-above text'))
        .map(t => parseFloat(getComputedStyle(t).fontSize))""")
    assert sizes and min(sizes) >= 11
    drawn = p.evaluate("document.querySelectorAll('#nat-heatmap .y2tick text, "
                       "#nat-heatmap .yaxislayer-above .y2tick text').length")
    assert drawn >= len(d.z)
    page.screenshot("nations")
    page.assert_clean()


def test_nations_platform_picker_takes_enter_after_typing(page):
    page.goto("/nations")
    p = page.page
    p.locator("#nat-heatmap .heatmaplayer").first.wait_for()
    p.locator("#nat-platform").click()
    p.keyboard.type("F-35")
    p.get_by_role("option").first.wait_for()
    p.keyboard.press("Enter")
    wait_js(p, "document.querySelector('#nat-answer').innerText.includes("
                        "'capabilities shown') && !document.querySelector('#nat-answer')"
                        ".innerText.includes('the 154 ')")
    graph = "document.querySelector('#nat-heatmap .js-plotly-plot')"
    wait_js(p, f"{graph}._fullData[1].y[0].length < 154")
    platforms = p.evaluate(f"Array.from(new Set({graph}._fullData[1].y[0]))")
    assert platforms == ["F-35A Lightning II"]
    page.assert_clean()
