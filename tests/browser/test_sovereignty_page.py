"""The Sovereignty page as a planner uses it (issue 13): pick Poland, read what it fields
alone and which licence refusals ground its fleets, download a table with its manifest."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd

SUMMARY = "#sov-summary"


def pick(p, selector: str, text: str) -> None:
    """Type into the searchable select and take the first option naming every word."""
    p.locator(selector).click()
    p.locator(selector).fill("")
    p.keyboard.type(text)
    first = p.get_by_role("option").first
    for _ in range(100):
        first.wait_for()
        if all(w in first.inner_text().lower() for w in text.lower().split()):
            break
        p.wait_for_timeout(100)
    else:
        raise AssertionError(f"no option matching {text!r}")
    first.click()


def test_poland_alone_and_its_vetoes(page, tmp_path):
    page.goto("/sovereignty")
    p = page.page
    pick(p, "#sov-coalition", "Poland")
    p.wait_for_function("document.querySelector('#sov-summary').innerText"
                        ".startsWith('POL:')", timeout=240_000)
    summary = p.locator(SUMMARY).inner_text()
    assert "0 of 8 capabilities survive" in summary
    assert "6 can be grounded by one nation's licence refusal" in summary
    p.locator("#sov-control-grid .ag-row").first.wait_for()
    grid = p.locator("#sov-control-grid").inner_text()
    assert "F-35A" in grid and "USA" in grid
    assert "needs" not in p.locator("#sov-message").inner_text().lower()
    page.screenshot("sovereignty")
    with p.expect_download() as info:
        p.locator("#sov-download-button").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {"coalition_survivability.csv", "manifest.json"}
        table = pd.read_csv(io.BytesIO(zf.read("coalition_survivability.csv")))
        manifest = json.loads(zf.read("manifest.json"))
    assert len(table) == 8 and set(table["nation_id"]) == {"POL"}
    assert table.set_index("platform_id").at["PATRIOT", "needs_nations"] == "DEU;USA"
    assert manifest["outputs"]["coalition_survivability.csv"]["rows"] == 8
    page.assert_clean()
