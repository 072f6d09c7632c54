"""The dashboard's Mitigate page callbacks: admission, the background solve, results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dash import no_update

from riskgraph_dashboard.app import create_app
from riskgraph_dashboard.callbacks import mitigate
from riskgraph_dashboard.state import CONFIG_KEY

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "allied-defence"
WORKED = ROOT / "tests" / "fixtures" / "worked"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    # the sample without controls.csv: the page plans supplier SPOFs, which vetoes do not
    # change, and the test stays apart from the veto analyses' own tests
    import shutil

    sample = tmp_path_factory.mktemp("pkgs") / "allied-defence"
    shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns("controls.csv"))
    app = create_app([str(sample), str(WORKED)],
                     work_dir=tmp_path_factory.mktemp("dashboard-work"))
    yield app.server.config[CONFIG_KEY]
    app.server.config[CONFIG_KEY].close()


def is_message(component, text=None) -> bool:
    if component is None or type(component).__name__ != "Alert":
        return False
    return text is None or text.lower() in json.dumps(component.to_plotly_json(),
                                                       default=str).lower()


def test_plan_for_poland_runs_as_a_job_and_shows_verified_results(ws):
    options, scenarios, msg = mitigate.capability_choices(None)
    assert msg is None and any(o["value"] == "capability:POL/F-35A" for o in options)
    assert any(o["value"].startswith("Rare-earth supply halved") for o in scenarios)
    ticket, ref, msg = mitigate.admit_job(1, ["capability:POL/F-35A"], "spof",
                                          ["supplier"], 0, 60, None)
    assert msg is None and ref is no_update and set(ticket) == {"ticket"}
    busy = mitigate.admit_job(1, [], "spof", ["supplier"], 0, 60, None)
    assert is_message(busy[-1], "busy")
    progress = []
    ref, msg = mitigate.run_job(progress.append, ticket)
    assert msg is None and progress[-1][0] == 100 and ws.gate.holder() is None
    plan, compare, residual, summary, msg = mitigate.show_result(ref, None)
    assert msg is None and len(plan) == 12
    assert sum(r["cost"] for r in plan) == 2500
    assert compare == [dict(compare[0], before=12, after=0, removed=12)]
    assert not any(r["in_goal"] for r in residual)
    assert "verified" in str([getattr(x, "children", x) for x in summary])
    # the same choices again: shown from the cache, no job
    again = mitigate.admit_job(1, ["capability:POL/F-35A"], "spof", ["supplier"], 0, 60,
                               None)
    assert again[0] is no_update and again[1] == ref and is_message(again[-1], "cache")


def test_bad_choices_are_messages(ws):
    assert is_message(mitigate.admit_job(1, ["capability:XXX/Y"], "spof", ["supplier"], 0,
                                         60, None)[-1], "unknown capability")
    assert is_message(mitigate.admit_job(1, [], "spof", [], 0, 60, None)[-1], "kind")
    assert is_message(mitigate.admit_job(1, [], "budget", ["supplier"], -1, 60, None)[-1],
                      "budget")
    assert is_message(mitigate.admit_job(1, [], "nope", ["supplier"], 0, 60, None)[-1],
                      "goal")
    worked = ws.bundled_key("worked")
    assert is_message(mitigate.admit_job(1, [], "spof", ["supplier"], 0, 60, worked)[-1],
                      "mitigations.csv")
    assert mitigate.run_job(lambda _: None, "nonsense") == (no_update, None)
    assert is_message(mitigate.run_job(lambda _: None, {"ticket": "forged"})[-1],
                      "not admitted")
    msg, status, progress = mitigate.cancelled(1)
    assert is_message(msg, "cancelled") and progress == 0


def test_allocate_view_for_the_edited_scenario(ws):
    from riskgraph_dashboard.callbacks import allocate

    spec = {"name": "halved", "fail": [], "days": {}, "horizon_days": 365,
            "capacity": {f"supplier:{s}": 0.5 for s in (
                "BAOTOU_NORTHERN_RE", "CHINA_RE_GROUP", "NINGBO_YUNSHENG", "JL_MAG",
                "ZHONG_KE_SAN_HUAN", "CHENGDU_GALAXY")}}
    caps, nations, status, msg = allocate.run_allocation(1, "weighted", spec, None)
    assert msg is None and "verified" in status
    pol = [r for r in caps if r["nation_id"] == "POL" and r["platform_id"] == "F-35A"][0]
    assert pol["proportional"] == pytest.approx(0.525) and pol["optimal"] == 1.0
    assert {r["nation_id"] for r in nations} >= {"POL", "USA"}
    assert is_message(allocate.run_allocation(1, "nope", spec, None)[-1], "objective")
    assert is_message(allocate.run_allocation(1, "weighted", None, None)[-1], "scenario")
    assert allocate.run_allocation(None, "weighted", spec, None)[0] is no_update


def test_survive_goal_plans_for_a_package_scenario(ws):
    name = "Rare-earth export embargo (China, 12 months)"
    ticket, ref, msg = mitigate.admit_job(1, ["capability:POL/F-35A"], "survive",
                                          ["supplier"], 0, 60, None, [name])
    assert msg is None
    ref, msg = mitigate.run_job(lambda _: None, ticket)
    plan, compare, residual, summary, msg = mitigate.show_result(ref, None)
    assert msg is None and [r["action_id"] for r in plan] == ["M21"]   # samarium stock
    assert compare[0]["before"] == 1 and compare[0]["after"] == 0 and residual == []
    assert is_message(mitigate.admit_job(1, [], "survive", ["supplier"], 0, 60, None,
                                         ["no such"])[-1], "unknown scenario")


def test_allocation_grids_stay_hidden_until_they_have_rows():
    from riskgraph_dashboard.callbacks import allocate

    assert allocate.results_hidden([]) is True
    assert allocate.results_hidden(None) is True
    assert allocate.results_hidden([{"nation_id": "POL"}]) is False
