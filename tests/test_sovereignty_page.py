"""The Sovereignty page's callbacks, called directly (docs/design.md §4.9)."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest
from dash import no_update

from riskgraph_dashboard.app import create_app
from riskgraph_dashboard.callbacks import sovereignty
from riskgraph_dashboard.state import CONFIG_KEY

FIXTURE = Path(__file__).parent / "fixtures" / "vetoes"


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    app = create_app([str(FIXTURE)], work_dir=tmp_path_factory.mktemp("work"))
    ws = app.server.config[CONFIG_KEY]
    yield ws.get(None).ref.key
    ws.close()


def test_choices_offer_tags_and_nations(key):
    choices, default, regimes, msg = sovereignty.fill_choices(key, "page")
    values = [c["value"] for c in choices]
    assert default is None and {"EU", "NATO", "FVEY", "POL", "USA"} <= set(values)
    assert regimes == ["ITAR", "EAR"] and msg is None


def test_poland_alone_matches_the_worked_example(key):
    surv, ctl, gaps, tables, table, summary, msg = sovereignty.show_coalition(
        "POL", "ITAR", key)
    assert msg is None and table == "coalition_survivability.csv"
    assert {r["platform_id"]: r["needs_nations"] for r in surv} == {"JET": "USA",
                                                                    "TRUCK": "DEU"}
    assert {r["platform_id"]: r["vetoed_by"] for r in ctl} == {"JET": "USA", "TRUCK": ""}
    assert set(tables) == {"coalition_survivability.csv", "foreign_control.csv",
                           "findings_confidence.csv", "data_gaps.csv"}
    assert summary.startswith("POL: 0 of 2 capabilities survive")
    assert any(r["gap"] == "low-confidence-spof" for r in gaps)


def test_bad_choices_are_messages_not_crashes(key):
    out = sovereignty.show_coalition("ASEAN", "ITAR", key)
    assert out[:-1] == (no_update,) * 6 and out[-1] is not None
    out = sovereignty.show_coalition("POL", "NOPE", key)
    assert out[-1] is not None


def test_download_is_the_cli_file_with_manifest(key, tmp_path):
    from riskgraph.cli import main

    got, msg = sovereignty.download(1, "EU", "ITAR", "foreign_control.csv", key)
    assert msg is None
    zf = zipfile.ZipFile(io.BytesIO(base64.b64decode(got["content"])))
    assert set(zf.namelist()) == {"foreign_control.csv", "manifest.json"}
    assert main(["sovereignty", str(FIXTURE), "--coalition", "EU", "--out",
                 str(tmp_path / "o")]) == 0
    assert zf.read("foreign_control.csv") == (tmp_path / "o" / "foreign_control.csv").read_bytes()
