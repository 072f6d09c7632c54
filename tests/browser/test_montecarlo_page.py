"""The Monte Carlo page as a planner uses it (issue 12, defect 8; planner question 4).

* "The yearly probability of losing each capability": two actions (trials, Run) and the
  answer is on the page in percent, with its time basis stated.
* Per-nation results are on the page; importance comes as two labelled charts (would
  matter if it failed, RAW; matters given its probability, Birnbaum × p).
* After Cancel the status says cancelled, not "n of N trials…".
* The result shown survives a visit to another page.
"""

from __future__ import annotations

import re

from .browserkit import Watched
from .test_accessibility import settle, violations

STATUS = "#mc-status"


def status(p) -> str:
    return p.locator(STATUS).inner_text()


def run(p, trials: int):
    p.locator("#mc-trials").fill(str(trials))               # 1
    p.locator("#mc-run").click()                             # 2
    p.wait_for_function("document.querySelector('#mc-status').innerText"
                        ".includes('Most likely lost within a year')", timeout=90_000)


def test_the_yearly_probability_of_losing_each_capability(page):
    page.goto("/montecarlo")
    p = page.page
    basis = p.locator("#mc-basis").inner_text()
    assert "probability of a disruption within one year" in basis
    run(p, 20_000)
    text = status(p)
    m = re.search(r"Most likely lost within a year: (.+), (\d+\.\d)% a year \(95% CI "
                  r"(\d+\.\d)–(\d+\.\d)%\)", text)
    assert m, text
    name, pct = m.group(1), m.group(2)
    first = p.locator("#mc-grid .ag-center-cols-container .ag-row").first
    first.wait_for()
    # the table answers in %, most at risk first, and agrees with the status line
    assert first.locator("[col-id=name]").inner_text() == name
    assert first.locator("[col-id=p_unavailable]").inner_text() == f"{pct}%"
    header = p.locator("#mc-grid .ag-header").inner_text()
    assert "P(lost within a year)" in header
    cells = p.locator("#mc-grid .ag-center-cols-container [col-id=p_unavailable]")
    assert all(t.endswith("%") for t in cells.all_inner_texts())
    # per-nation results on the page, in %
    nations = p.locator("#mc-nations .ag-center-cols-container .ag-row")
    nations.first.wait_for()
    assert nations.first.locator("[col-id=p_any_lost]").inner_text().endswith("%")
    # two importance charts, each saying what it measures
    raw = p.locator("#mc-importance .gtitle").text_content()
    weighted = p.locator("#mc-importance-p .gtitle").text_content()
    assert "RAW" in raw and "would matter if it failed" in raw
    assert "Birnbaum × p" in weighted
    page.screenshot("montecarlo")
    p.locator("#mc-importance").scroll_into_view_if_needed()
    page.screenshot("montecarlo-importance")
    settle(p)
    found = violations(p)  # the results, tables and charts: no serious/critical violation
    assert not found, "\n".join(found)
    # the result is still there after a visit to another page
    p.locator("#nav-overview").click()
    p.locator("#ov-headlines .rg-stat").first.wait_for()
    p.locator("#nav-montecarlo").click()
    p.locator("#mc-grid .ag-center-cols-container .ag-row").first.wait_for()
    p.wait_for_function("document.querySelector('#mc-status').innerText"
                        ".includes('Most likely lost within a year')")
    page.assert_clean()


def test_cancel_says_cancelled(browser, server):
    ctx = browser.new_context(viewport={"width": 1360, "height": 860}, bypass_csp=True)
    try:
        w = Watched(ctx.new_page(), server.url)
        w.page.set_default_timeout(30_000)
        p = w.page
        w.goto("/montecarlo")
        p.locator("#mc-trials").fill("4000000")
        p.locator("#mc-run").click()
        p.wait_for_function("document.querySelector('#mc-status').innerText"
                            ".includes('trials…')")
        p.locator("#mc-cancel").click()
        p.wait_for_function("document.querySelector('#mc-status').innerText"
                            ".startsWith('Cancelled')")
        p.wait_for_timeout(1500)  # no late progress report overwrites it
        text = status(p)
        assert text.startswith("Cancelled") and "of 4,000,000" not in text
        assert p.locator("#mc-progress").get_attribute("aria-valuenow") in ("0", None)
        w.assert_clean()
    finally:
        ctx.close()
