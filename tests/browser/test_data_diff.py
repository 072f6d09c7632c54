"""The Data page shows what changed when a second package is uploaded (issue 15)."""

from __future__ import annotations

import shutil
import zipfile

import pandas as pd

from riskgraph import load_network
from riskgraph.analyses.diff import diff_networks

from .browserkit import SAMPLE


def _edited_sample(tmp_path):
    """The sample with one of two sources of a BOM child removed, zipped."""
    folder = tmp_path / "allied-edited"
    shutil.copytree(SAMPLE, folder)
    src = pd.read_csv(folder / "sourcing.csv", dtype=str, keep_default_na=False)
    bom = pd.read_csv(folder / "bom.csv", dtype=str, keep_default_na=False)
    comps = pd.read_csv(folder / "components.csv", dtype=str, keep_default_na=False)
    two = src["component_id"].value_counts()
    single_need = set(comps.loc[comps["min_sources"].isin(["", "1"]), "component_id"])
    pick = sorted(c for c in two[two == 2].index
                  if c in set(bom["child_id"]) and c in single_need)[0]
    src = src.drop(index=src.index[src["component_id"] == pick][0])
    src.to_csv(folder / "sourcing.csv", index=False)
    archive = tmp_path / "allied-edited.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, arcname=f"allied-edited/{f.name}")
    return folder, archive


def test_upload_shows_the_diff_against_the_package_before(page, tmp_path):
    folder, archive = _edited_sample(tmp_path)
    expected = diff_networks(load_network(SAMPLE), load_network(folder))
    gained = int((expected.spof["change"] == "gained").sum())
    page.goto("/data")
    p = page.page
    p.locator("#data-current b").wait_for()
    p.locator("#data-upload input[type=file]").set_input_files(str(archive))
    p.get_by_text("What changed from allied-defence").wait_for(timeout=90_000)
    summary = p.locator("#data-diff pre").inner_text()
    assert "sourcing: +0 / -1 / ~0" in summary
    assert f"SPOFs: {gained:,} gained" in summary
    rows = "#data-diff-{} .ag-center-cols-container .ag-row"
    for grid in ("spof", "rows"):
        p.locator(f"#data-diff-{grid}").scroll_into_view_if_needed()
    if gained:
        p.locator(rows.format("spof")).first.wait_for()
        assert p.locator(rows.format("spof")).count() == min(gained, 500) or gained > 10
        assert "gained" in p.locator(rows.format("spof")).first.inner_text()
    p.locator(rows.format("rows")).first.wait_for()
    assert "sourcing" in p.locator(rows.format("rows")).first.inner_text()
    page.screenshot("data-diff")
    page.assert_clean()
