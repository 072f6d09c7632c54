"""The dashboard in a real browser (Debian's Chromium driven by Playwright).

Each test also checks the page said nothing on the console at error level, no request
failed and nothing was fetched from outside this machine (the dashboard works offline).
Screenshots land in ``build/screenshots/`` (``RISKGRAPH_SCREENSHOTS`` overrides).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from .browserkit import PAGES, SAMPLE, Watched, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
WORKED = ROOT / "tests" / "fixtures" / "worked"


def pick(page, selector: str, text: str):
    """Type into a searchable Mantine select and take the first match."""
    page.locator(selector).click()
    page.locator(selector).fill("")
    page.keyboard.type(text)
    # wait until the list is filtered (the first visible option names every typed word):
    # pressing Enter on a list still being filtered picks whatever came first
    words = text.lower().split()
    first = page.get_by_role("option").first
    for _ in range(100):
        first.wait_for()
        if all(w in first.inner_text().lower() for w in words):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"no option matching {text!r}; first: {first.inner_text()!r}")
    page.keyboard.press("Enter")


def heatmap_values(page, graph_id: str) -> list:
    """The z values of the first trace of a dcc.Graph as plotly drew them (decoded from
    the typed arrays Dash sends), NaN as None."""
    return page.evaluate(
        f"() => {{ const g = document.querySelector('#{graph_id} .js-plotly-plot');"
        f" const z = g._fullData[0].z;"
        f" return Array.from(z, r => Array.from(r, v => Number.isNaN(v) ? null : v)); }}")


@pytest.mark.parametrize("path", list(PAGES), ids=lambda p: p.strip("/") or "overview")
def test_every_page_loads_without_console_errors(page, path):
    page.goto(path)
    page.page.locator(PAGES[path]).first.wait_for()
    page.page.wait_for_timeout(400)
    assert page.page.locator("#package-badge").inner_text().lower().startswith(
        "allied-defence")
    page.assert_clean()
    if path in ("/register", "/montecarlo"):
        return  # shown with their interactions below
    name = {"/": "overview-top", "/network": "network-page", "/nations": "nations",
            "/whatif": "whatif-empty", "/data": "data"}[path]
    page.screenshot(name)


def test_the_poland_f35_question_in_under_a_minute(page):
    """Overview: pick Poland's F-35A, see its SPOFs ranked, one click for 180 days down,
    then on to the What-if page, where adding a failure changes the heatmap."""
    page.goto("/")
    p = page.page
    pick(p, "#ov-capability", "Poland F-35")
    first = p.locator("#ov-spof-grid .ag-center-cols-container .ag-row").first
    first.wait_for()
    supplier = first.locator('[col-id="name"]').inner_text()
    assert supplier  # the most serious supplier SPOF, ranked first
    first.click()
    answer = p.locator("#ov-answer-alert")
    answer.wait_for()
    text = answer.inner_text()
    assert supplier.split(",")[0] in text and "180 days" in text and "Poland" in text
    p.locator("#ov-capability").scroll_into_view_if_needed()
    page.screenshot("overview")
    page.assert_clean()

    # one click on to the What-if page, pre-filled with that failure for 180 days
    p.get_by_text("Open this scenario on the What-if page").click()
    p.locator("#wi-result-alert").wait_for()
    assert "Poland" in p.locator("#wi-result-alert").inner_text()
    rows = p.locator("#wi-rows .ag-center-cols-container .ag-row")
    assert rows.count() == 1
    before = heatmap_values(p, "wi-heatmap")

    # a what-if run changes the heatmap: China fails as well
    pick(p, "#wi-point", "Nation: China")
    p.locator("#wi-add-fail").click()
    p.wait_for_function("document.querySelectorAll('#wi-rows .ag-center-cols-container "
                        ".ag-row').length == 2")
    after = before
    for _ in range(50):  # the run answers in well under a second; allow 10 s
        p.wait_for_timeout(200)
        after = heatmap_values(p, "wi-heatmap")
        if after != before:
            break
    assert after != before
    flat = [v for row in after for v in row if v is not None]
    assert max(flat) > 0  # days lost within the horizon (the result's lead)
    p.locator("#wi-timeline .js-plotly-plot").wait_for()
    page.screenshot("whatif")
    page.assert_clean()


def test_whatif_loads_a_scenario_and_compares(page):
    page.goto("/whatif")
    p = page.page
    pick(p, "#wi-load", "Camden")
    p.locator("#wi-result-alert").wait_for()
    before = p.locator("#wi-result-alert").inner_text()
    # edit the outage in the table: results follow
    cell = p.locator("#wi-rows .ag-center-cols-container .ag-row").first.locator(
        "[col-id=days]")
    cell.click()
    p.keyboard.press("Control+A")
    p.keyboard.type("20")
    p.keyboard.press("Enter")
    p.wait_for_function("(b) => document.querySelector('#wi-result-alert').innerText !== b",
                        arg=before)
    assert cell.inner_text() == "20"
    pick(p, "#wi-load-b", "AMPAC")
    p.locator("#wi-compare .ag-row").first.wait_for()
    p.locator("#wi-side .js-plotly-plot").nth(1).wait_for()
    p.locator("#wi-compare .ag-header-group-text", has_text="AMPAC").wait_for()
    page.assert_clean()


def test_clicking_a_node_opens_its_panel(page):
    page.goto("/network")
    p = page.page
    pick(p, "#net-nation", "Poland")
    pick(p, "#net-platform", "F-35A")
    p.wait_for_function("document.querySelector('#net-note').innerText.includes('POL')")
    p.wait_for_timeout(600)  # the layout settles
    target = "supplier:LM_FORT_WORTH"
    pos = p.evaluate("""(id) => {
        const el = document.querySelector('#net-graph');
        const cy = el._cyreg.cy;
        const n = cy.getElementById(id);
        const box = el.getBoundingClientRect();
        const r = n.renderedPosition();
        return {x: box.left + r.x, y: box.top + r.y, n: cy.nodes().length};
    }""", target)
    assert 0 < pos["n"] <= 250
    p.mouse.click(pos["x"], pos["y"])
    panel = p.locator("#net-panel-body")
    panel.wait_for()
    text = panel.inner_text()
    assert "Lockheed Martin" in text and "Needs directly" in text and "Downstream" in text
    page.screenshot("network")
    page.assert_clean()


def test_the_csv_download_arrives_and_parses(page, tmp_path):
    page.goto("/register")
    p = page.page
    p.locator("#reg-grid .ag-row").first.wait_for()
    pick(p, "#reg-capability", "Poland F-35")
    p.locator("#reg-spof-grid .ag-row").first.wait_for()
    page.screenshot("register")
    with p.expect_download() as info:
        p.locator("#reg-download-button").click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {"risk_register.csv", "manifest.json"}
        table = pd.read_csv(io.BytesIO(zf.read("risk_register.csv")))
        manifest = json.loads(zf.read("manifest.json"))
    assert {"failure_point", "rank", "score", "why"} <= set(table.columns)
    assert len(table) == manifest["outputs"]["risk_register.csv"]["rows"] > 100
    assert manifest["tool"] == "riskgraph" and "nations.csv" in manifest["inputs"]
    page.assert_clean()


def test_uploading_a_broken_package_shows_its_errors(page, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(WORKED, broken)
    (broken / "fielding.csv").write_text("nation_id,platform_id,quantity\nUSA,P1,10\n"
                                         "XXX,P2,five\n", encoding="utf-8")
    archive = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in broken.iterdir():
            zf.write(f, arcname=f"broken/{f.name}")
    page.goto("/data")
    p = page.page
    p.locator("#data-current b").wait_for()
    badge = p.locator("#package-badge").inner_text()
    assert badge.lower().startswith("allied-defence")
    p.locator("#data-upload input[type=file]").set_input_files(str(archive))
    p.get_by_text("Not loaded").wait_for()
    p.locator("#data-issues .ag-row").first.wait_for()
    rows = p.locator("#data-issues .ag-row").all_inner_texts()
    joined = "\n".join(rows)
    assert "fielding.csv" in joined and re.search(r"\b3\b", joined)  # row-precise
    assert "XXX" in joined
    assert p.locator("#package-badge").inner_text() == badge  # nothing loaded
    page.screenshot("data-upload-errors")
    page.assert_clean()


def test_monte_carlo_runs_with_progress_and_one_job_at_a_time(browser, server):
    # bypass_csp: wait_for_function evaluates with eval (see conftest.page)
    ctx = browser.new_context(viewport={"width": 1360, "height": 860}, bypass_csp=True)
    try:
        a, b = Watched(ctx.new_page(), server.url), Watched(ctx.new_page(), server.url)
        a.goto("/montecarlo")
        b.goto("/montecarlo")
        a.page.locator("#mc-trials").fill("4000000")
        a.page.locator("#mc-run").click()
        a.page.wait_for_function("document.querySelector('#mc-status').innerText"
                                 ".includes('trials…')")
        assert a.page.locator("#mc-cancel").is_enabled()
        b.page.locator("#mc-trials").fill("10000")
        b.page.locator("#mc-run").click()
        b.page.get_by_text("The server is busy").wait_for()
        a.page.locator("#mc-cancel").click()
        a.page.locator("#mc-message").get_by_text("Cancelled").wait_for()
        # the cancelled job's slot is free again
        b.page.locator("#mc-trials").fill("200000")
        b.page.locator("#mc-run").click()
        b.page.wait_for_function("document.querySelector('#mc-status').innerText"
                                 ".includes('results below')", timeout=60_000)
        b.page.locator("#mc-grid .ag-row").first.wait_for()
        b.page.locator("#mc-importance .js-plotly-plot").wait_for()
        b.screenshot("montecarlo")
        a.assert_clean()
        b.assert_clean()
    finally:
        ctx.close()


def test_with_auth_unauthenticated_requests_get_401(browser, tmp_path):
    srv = start_server(tmp_path, auth="planner:correct-horse")
    try:
        for path in ("/", "/assets/riskgraph.css", "/_dash-layout"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(srv.url + path, timeout=10)
            assert err.value.code == 401
        ctx = browser.new_context(http_credentials={"username": "planner",
                                                    "password": "correct-horse"})
        try:
            w = Watched(ctx.new_page(), srv.url)
            w.goto("/")
            w.page.locator("#ov-headlines .rg-stat").first.wait_for()
            w.assert_clean()
        finally:
            ctx.close()
    finally:
        stop_server(srv.proc)


def test_a_non_loopback_start_without_auth_exits_2():
    proc = subprocess.run([sys.executable, "-m", "riskgraph_dashboard.server", str(SAMPLE),
                           "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert proc.returncode == 2 and "--auth" in proc.stderr
