"""Dashboard callbacks, called directly as plain functions (no browser, no server).

Every callback reads its inputs, calls the library and formats; these tests check the
formatting and, above all, that bad input (wrong types, unknown ids, forged stores) gives
a message and never raises.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import zipfile
from contextvars import copy_context
from pathlib import Path

import pandas as pd
import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from riskgraph_dashboard import ids
from riskgraph_dashboard.app import create_app
from riskgraph_dashboard.callbacks import (data, montecarlo, nations, network, overview,
                                           register, shell, whatif)
from riskgraph_dashboard.state import CONFIG_KEY

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "allied-defence"
WORKED = ROOT / "tests" / "fixtures" / "worked"
POL_F35 = "capability:POL/F-35A"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from riskgraph.io.synthetic import generate_package

    synthetic = generate_package(tmp_path_factory.mktemp("pkgs") / "synthetic", nodes=3000,
                                 seed=1)
    app = create_app([str(SAMPLE), str(WORKED), str(synthetic)],
                     work_dir=tmp_path_factory.mktemp("dashboard-work"))
    yield app
    app.server.config[CONFIG_KEY].close()


@pytest.fixture(scope="module")
def ws(app):
    return app.server.config[CONFIG_KEY]


def is_message(component, text: str | None = None) -> bool:
    """Whether a callback output is a user message (an Alert), optionally containing text."""
    if component is None or type(component).__name__ != "Alert":
        return False
    return text is None or text.lower() in json.dumps(component.to_plotly_json(),
                                                       default=str).lower()


def triggered(prop_id: str, value, func, *args):
    """Run ``func`` as Dash would when ``prop_id`` fired (for callbacks reading ctx)."""
    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id,
                                                           "value": value}]))
        return func(*args)
    return copy_context().run(run)


def unzip(download: dict) -> dict[str, bytes]:
    assert download["base64"] is True
    zf = zipfile.ZipFile(io.BytesIO(base64.b64decode(download["content"])))
    return {n: zf.read(n) for n in zf.namelist()}


def data_url(data: bytes, mime: str = "application/zip") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


# ----------------------------------------------------------------------------- shell


def test_package_badge(ws):
    assert shell.package_badge(None).startswith("allied-defence · bundled · ")
    assert "no package loaded" in shell.package_badge("f" * 64)
    assert "no package loaded" in shell.package_badge(["not", "a", "key"])


# ----------------------------------------------------------------------------- overview


def test_fill_overview(ws):
    cards, caps, value, top, fig, msg = overview.fill_overview(None, None, None)
    assert msg is None and value is None
    assert len(cards) == 8
    assert {"value": POL_F35, "label": "Poland — F-35A Lightning II (POL/F-35A)"} in caps
    assert [r["rank"] for r in top] == list(range(1, 11))
    assert top[0]["why"]
    assert {t.name for t in fig.data} <= {"member", "partner", "neutral", "adversary"}
    assert fig.data[0].hovertext[0].startswith("<b>")  # names in hover text
    # the remembered capability is restored
    assert overview.fill_overview(None, None, POL_F35)[2] == POL_F35
    assert overview.fill_overview(None, None, "capability:NOPE")[2] is None


def test_list_spofs_ranks_the_capability_spofs(ws):
    rows, remembered, msg = overview.list_spofs(POL_F35, "supplier", None)
    assert msg is None and remembered == POL_F35
    assert rows and all(r["kind"] == "supplier" for r in rows)
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    all_rows, _, _ = overview.list_spofs(POL_F35, "all", None)
    assert len(all_rows) > len(rows)
    assert overview.list_spofs(None, "all", None) == ([], no_update, None)


@pytest.mark.parametrize("capability, kind, text", [
    ("capability:XXX/F-35A", "all", "not in package"),
    ("supplier:AMPAC", "all", "expected a capability"),
    (POL_F35, "platform", "kind must be one of"),
    ({"evil": 1}, "all", "typed id"),
])
def test_list_spofs_reports_bad_input(ws, capability, kind, text):
    out = overview.list_spofs(capability, kind, None)
    assert out[0] is no_update and is_message(out[-1], text)


def test_answer_whatif_answers_the_poland_question(ws):
    rows, _, _ = overview.list_spofs(POL_F35, "supplier", None)
    answer = overview.answer_whatif([rows[0]], 180, POL_F35, None)
    text = json.dumps(answer.to_plotly_json(), default=str)
    assert rows[0]["name"] in text
    assert "180 days" in text and "Poland" in text
    assert "/whatif?fail=" in text  # one click on to the full what-if


@pytest.mark.parametrize("selected, days, text", [
    ([{"failure_point": "supplier:NOPE"}], 180, "not in package"),
    ([{"failure_point": POL_F35}], 180, "expected a nation or supplier"),
    ([{"failure_point": "supplier:AMPAC"}], "soon", "must be a number"),
    ([{"failure_point": "supplier:AMPAC"}], -5, "between 1 and 3650"),
    (["garbage"], 180, "unexpected row"),
])
def test_answer_whatif_reports_bad_input(ws, selected, days, text):
    assert is_message(overview.answer_whatif(selected, days, POL_F35, None), text)


def test_answer_whatif_without_selection_gives_a_hint(ws):
    hint = overview.answer_whatif(None, 180, POL_F35, None)
    assert "click one of its single points of failure" in str(hint.children)


# ----------------------------------------------------------------------------- network


def test_network_filters_start_on_the_remembered_capability(ws):
    nations_, platforms, focus, nation, platform, msg = network.fill_filters(None, None,
                                                                              POL_F35)
    assert (nation, platform, msg) == ("POL", "F-35A", None)
    assert any(o["value"] == "supplier:AMPAC" for o in focus)


def test_draw_graph_is_bounded_and_marks_spofs(ws):
    elements, style, note, msg = network.draw_graph("POL", "F-35A", None, 5, "upstream",
                                                    None)
    assert msg is None
    nodes = [e for e in elements if "source" not in e["data"]]
    edges = [e for e in elements if "source" in e["data"]]
    assert 0 < len(nodes) <= network.MAX_NODES and edges
    assert any("spof" in e["classes"] for e in nodes)
    assert any("seed" in e["classes"] for e in nodes)
    assert "within 5 steps" in note
    big, _, note, _ = network.draw_graph(None, None, "nation:USA", 8, "downstream", None)
    assert len([e for e in big if "source" not in e["data"]]) <= network.MAX_NODES
    empty = network.draw_graph(None, None, None, 3, "upstream", None)
    assert empty[0] == [] and "Pick a nation" in empty[2]


def test_a_large_package_draws_only_a_bounded_focus(ws):
    key = ws.bundled_key("synthetic")  # about 3,000 nodes
    elements, _, note, msg = network.draw_graph(None, None, "nation:USA", 8, "downstream",
                                                key)
    nodes = [e for e in elements if "source" not in e["data"]]
    assert msg is None and len(nodes) == network.MAX_NODES
    assert "never drawn whole" in note


@pytest.mark.parametrize("args, text", [
    ((None, None, "supplier:NOPE", 3, "upstream"), "not in package"),
    (("POL", "F-35A", None, "deep", "upstream"), "must be a number"),
    (("POL", "F-35A", None, 3, "sideways"), "direction must be one of"),
    ((["POL"], None, None, 3, "upstream"), "nation must be an id"),
    (("XXX", None, None, 3, "upstream"), "no capability with nation"),
])
def test_draw_graph_reports_bad_input(ws, args, text):
    out = network.draw_graph(*args, None)
    assert out[0] is no_update and is_message(out[-1], text)


def test_show_node_panel_and_highlight(ws):
    elements, *_ = network.draw_graph("POL", "F-35A", None, 5, "upstream", None)
    panel, style, msg = network.show_node({"id": "supplier:LM_FORT_WORTH"}, elements, None)
    assert msg is None
    text = json.dumps(panel.to_plotly_json(), default=str)
    assert "Lockheed Martin" in text and "Needs directly" in text and "Downstream" in text
    assert any("underlay-color" in s["style"] for s in style)
    assert network.show_node(None, elements, None)[0] is no_update
    assert is_message(network.show_node({"id": "component:NOPE"}, elements, None)[-1])
    assert is_message(network.show_node("x", elements, None)[-1], "unexpected node data")


# ----------------------------------------------------------------------------- register


def test_fill_register(ws):
    rows, tables, table, caps, value, msg = register.fill_register(None, None, POL_F35)
    assert len(rows) == len(ws.get(None).analysis.risk_register)
    assert "risk_register.csv" in [t["value"] for t in tables] and table == \
        "risk_register.csv"
    assert value == POL_F35 and msg is None


def test_search_register_filters_on_the_server(ws, monkeypatch):
    rows, note = register.search_register("ampac sole", None)
    assert rows and note is None
    assert all("AMPAC" in json.dumps(r) for r in rows)
    everything, note = register.search_register(None, None)
    assert len(everything) == len(ws.get(None).analysis.risk_register) and note is None
    monkeypatch.setattr(register, "MAX_ROWS", 3)
    rows, note = register.search_register("", None)
    assert len(rows) == 3 and is_message(note, "first 3 of")
    assert is_message(register.search_register("x", "no-such-package")[-1])


def test_long_pickers_are_searched_on_the_server(ws, monkeypatch):
    from riskgraph_dashboard.callbacks import common

    monkeypatch.setattr(common, "OPTION_LIMIT", 5)
    focus = network.fill_filters(None, None, POL_F35)[2]
    assert len(focus) == 5
    found = network.search_focus("china nation", None, None)
    assert found and all("China" in o["label"] for o in found)
    kept = network.search_focus("china", "supplier:AMPAC", None)
    assert len(kept) <= 5 and kept[0]["value"] == "supplier:AMPAC"
    points = whatif.search_points("ampac", None, None)
    assert [o["value"] for o in points] == ["supplier:AMPAC"]
    assert whatif.fill_whatif(None)[2] == whatif.search_points(None, None, None)
    assert network.search_focus("x", None, "no-such-package") is no_update


def test_capability_tables(ws):
    spofs, pairs, remembered, msg = register.capability_tables(POL_F35, None)
    assert spofs and remembered == POL_F35 and msg is None
    assert all({"failure_point_a", "failure_point_b"} <= set(p) for p in pairs)
    assert is_message(register.capability_tables("capability:X/Y", None)[-1])


def test_download_table_goes_through_the_export_code(ws):
    download, msg = register.download_table(1, "risk_register.csv", None)
    files = unzip(download)
    assert set(files) == {"risk_register.csv", "manifest.json"}
    assert download["filename"].endswith(".zip")
    table = pd.read_csv(io.BytesIO(files["risk_register.csv"]))
    assert len(table) == len(ws.get(None).analysis.risk_register)
    manifest = json.loads(files["manifest.json"])
    assert manifest["outputs"]["risk_register.csv"]["rows"] == len(table)
    assert set(manifest["inputs"]) >= {"nations.csv", "suppliers.csv"}
    assert register.download_table(None, "risk_register.csv", None) == (no_update, None)
    assert is_message(register.download_table(1, "../../etc/passwd", None)[-1],
                      "table must be one of")


# ----------------------------------------------------------------------------- nations


def test_nations_callbacks(ws):
    platforms, nations_, default, msg = nations.fill_nations(None)
    assert default == "USA" and msg is None  # the most damaging nation first
    fig, msg = nations.draw_heatmap(["F-35A"], None)
    # names, not ids: the ranking bar over the nations, capabilities grouped by platform
    assert msg is None and fig.data[0].type == "bar" and "China" in list(fig.data[0].x)
    assert set(fig.data[1].y[0]) == {"F-35A Lightning II"} and "Poland" in fig.data[1].y[1]
    fig, msg = nations.draw_dependence("CHN", None)
    assert fig.data[0].type == "choropleth" and "POL" in list(fig.data[0].locations)
    fig, summary, msg = nations.draw_survivability(True, None)
    assert "members and partners" in summary
    fig, summary, msg = nations.draw_survivability(False, None)
    assert "members only" in summary
    assert is_message(nations.draw_dependence("XXX", None)[-1], "unknown nation")
    assert is_message(nations.draw_heatmap("F-35A", None)[-1], "list of platform ids")
    assert is_message(nations.draw_survivability("yes", None)[-1])


# ----------------------------------------------------------------------------- what-if


def test_fill_whatif_lists_the_package_scenarios(ws):
    names, names_b, points, note = whatif.fill_whatif(None)
    assert "Solid-rocket-motor plant fire (Camden, 6 months)" in [n["value"] for n in names]
    assert names == names_b and note is no_update
    assert any(p["value"] == "nation:CHN" for p in points)


def test_edit_scenario_load_add_remove_prefill(ws):
    name = "Solid-rocket-motor plant fire (Camden, 6 months)"
    rows, label, horizon, _, _, msg = triggered(f"{ids.WI_LOAD}.value", name,
                                                whatif.edit_scenario, name, None, None, None,
                                                None, None, [], [], None, None)
    assert rows == [{"failure_point": "supplier:L3H_AR", "name": rows[0]["name"],
                     "kind": "supplier", "action": "fail", "days": 180.0, "capacity": None}]
    assert label == name and horizon == 365
    rows2, *_ = triggered(f"{ids.WI_ADD_CAPACITY}.n_clicks", 1, whatif.edit_scenario,
                          None, None, 1, None, None, "supplier:HOLSTON", rows, [], None, None)
    assert rows2[-1]["action"] == "capacity" and rows2[-1]["capacity"] == 0.5
    rows3, *_ = triggered(f"{ids.WI_REMOVE}.n_clicks", 1, whatif.edit_scenario,
                          None, None, None, 1, None, None, rows2, [rows2[0]], None, None)
    assert [r["failure_point"] for r in rows3] == ["supplier:HOLSTON"]
    prefill = {"fail": "supplier:AMPAC", "days": "180", "focus": POL_F35}
    rows4, label, *_ = triggered(f"{ids.WI_PREFILL}.data", prefill, whatif.edit_scenario,
                                 None, None, None, None, prefill, None, [], [], None, None)
    assert rows4[0]["days"] == 180 and "180 days" in label


def test_add_right_after_a_link_filled_the_table_keeps_the_filled_row(ws):
    """The grid reports its rows (virtualRowData) a moment after the link's rows arrive:
    an 'Add' in between must add to the server's rows, not replace them."""
    prefill = {"fail": "supplier:AMPAC", "days": "180", "focus": POL_F35}
    filled, *_ = triggered(f"{ids.WI_PREFILL}.data", prefill, whatif.edit_scenario,
                           None, None, None, None, prefill, None, [], [], None, None)
    rows, *_ = triggered(f"{ids.WI_ADD_FAIL}.n_clicks", 1, whatif.edit_scenario,
                         None, 1, None, None, prefill, "nation:CHN", None, [], None, None,
                         filled)
    assert [r["failure_point"] for r in rows] == ["supplier:AMPAC", "nation:CHN"]


@pytest.mark.parametrize("prop, args, text", [
    (f"{ids.WI_ADD_FAIL}.n_clicks", (None, 1, None, None, None, None, [], []),
     "choose a failure point"),
    (f"{ids.WI_ADD_FAIL}.n_clicks", (None, 1, None, None, None, "capability:POL/F-35A", [],
                                     []), "expected a nation"),
    (f"{ids.WI_LOAD}.value", ("no such scenario", None, None, None, None, None, [], []),
     "no scenario"),
    (f"{ids.WI_REMOVE}.n_clicks", (None, None, None, 1, None, None, [], []), "tick the rows"),
    (f"{ids.WI_PREFILL}.data", (None, None, None, None, {"fail": "supplier:NOPE"}, None, [],
                                []), "not in package"),
    (f"{ids.WI_PREFILL}.data", (None, None, None, None, {"fail": ["supplier:AMPAC"],
                                                         "days": ["1", "2"]}, None, [], []),
     "number of 'days'"),
    (f"{ids.WI_PREFILL}.data", (None, None, None, None, {"package": "other@0123abcd",
                                                         "fail": "supplier:AMPAC"}, None,
                                [], []), "this link is for the package 'other'"),
])
def test_edit_scenario_reports_bad_input(ws, prop, args, text):
    out = triggered(prop, 1, whatif.edit_scenario, *args, None, None)
    assert out[0] is no_update and is_message(out[-1], text)


def _run(rows, name="A", horizon=365, metric="days_lost", session=None, prefill=None,
         load_b=None, picked=None):
    return whatif.run_whatif(1, None, rows, None, name, horizon, metric, None, load_b, None,
                             picked, session, prefill, None)


def text_of(component) -> str:
    """The visible text of a component tree, in order (no property names)."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return "".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None)) + " "


CHINA = {"failure_point": "nation:CHN", "name": "China", "kind": "nation", "action": "fail",
         "days": 180, "capacity": None}


def test_run_whatif_tells_one_story_for_a_180_day_chinese_embargo(ws):
    """Defect 1: the summary, heatmap, timeline, exposed points and margins agree, and the
    margin and what-it-would-take come from outage_margins."""
    from riskgraph.analyses.whatif import outage_margins
    from riskgraph.model.scenario import Scenario

    out = _run([CHINA], name="China 180")
    (state, spec, summary, heat, margins, timeline, exposed, side, _, diff, box, _, _,
     query, msg) = out
    assert msg is None
    text = text_of(summary)
    assert "No capability goes down within 365 days (0 of 154)" in text
    net = ws.get(None).network
    m = outage_margins(net, Scenario("x", fail=["nation:CHN"], days={"nation:CHN": 180}))
    closest = m[m["time_to_impact_days"].isna()]["margin_days"].min()
    n = int((m["margin_days"] == closest).sum())
    assert f"{n} capabilities survive with {closest:.0f} days to spare" in text
    longest = m.loc[m["margin_days"] == closest, "shortest_outage_days"].iloc[0]
    assert f"an outage of {longest:.0f} days takes them down" in text
    # the heatmap shows what the summary states: days lost, all zero
    z = [v for row in heat.data[0].z for v in row if v == v]
    assert z and max(z) == 0
    assert not timeline.data and exposed == []
    assert "No capability goes down" in timeline.layout.annotations[0].text
    assert margins[0]["status"] == f"survives with {closest:.0f} days to spare"
    assert len(margins) == int(m["sustained_impact_days"].notna().sum())
    assert box == {"display": "none"} and side is None
    assert "fail=nation%3ACHN" in query and "days=180" in query and "horizon=365" in query
    assert state["rows"] == [CHINA] and state["saved"] == []
    # a day longer: down, and every element says so
    out = _run([dict(CHINA, days=181)], name="China 181")
    text, heat, timeline, exposed = text_of(out[2]), out[3], out[5], out[6]
    down = int((m["sustained_impact_days"] < 181).sum())
    assert f"{down} of 154 capabilities go down within 365 days" in text
    z = [v for row in heat.data[0].z for v in row if v == v]
    assert sum(v > 0 for v in z) == down
    assert len({b for b in timeline.data[0].y}) == down
    assert len({r["capability"] for r in exposed}) == down


def test_run_whatif_saves_up_to_four_and_shows_differences(ws):
    """Defect 9: named scenarios side by side and a differences-only table."""
    session = None
    for days in (30, 60, 90, 120):
        out = triggered(f"{ids.WI_PIN}.n_clicks", 1, whatif.run_whatif, None, None,
                        [dict(CHINA, days=days)], None, f"China {days}", 365, "days_lost",
                        1, None, None, None, session, None, None)
        assert out[-1] is None, out[-1]
        session = out[0]
    assert [s["name"] for s in session["saved"]] == [f"China {d}" for d in (30, 60, 90, 120)]
    full = triggered(f"{ids.WI_PIN}.n_clicks", 1, whatif.run_whatif, None, None,
                     [dict(CHINA, days=200)], None, "China 200", 365, "days_lost", 1, None,
                     None, None, session, None, None)
    assert is_message(full[-1], "at most 4 scenarios")
    out = _run([dict(CHINA, days=200)], name="China 200", session=session)
    side, defs, rows, box, names = out[7], out[8], out[9], out[10], out[11]
    assert box == {} and names == [s["name"] for s in session["saved"]]
    headers = [d["headerName"] for d in defs[1:]]
    assert headers == ["China 200", "China 30", "China 60", "China 90", "China 120"]
    assert "China 200" in text_of(side) and "China 30" in text_of(side)
    # only differing rows: every row differs somewhere
    for row in rows:
        values = {(row[f"s{i}_days_lost"], row[f"s{i}_time_to_impact_days"])
                  for i in range(5)}
        assert len(values) > 1
    assert rows  # 200 days takes the F-35As down, 120 does not
    # unticking one removes it; clearing removes all
    names = [s["name"] for s in session["saved"]]
    out = triggered(f"{ids.WI_SAVED}.value", ["China 30"], whatif.run_whatif, None, None,
                    [CHINA], None, "A", 365, "days_lost", None, None, None, ["China 30"],
                    session, None, None, names)
    assert [s["name"] for s in out[0]["saved"]] == ["China 30"]
    # a picker just drawn (offering nothing yet) removes nothing
    out = triggered(f"{ids.WI_SAVED}.value", [], whatif.run_whatif, None, None, [CHINA],
                    None, "A", 365, "days_lost", None, None, None, [], session, None, None,
                    [])
    assert out[0]["saved"] == session["saved"]
    out = triggered(f"{ids.WI_CLEAR_B}.n_clicks", 1, whatif.run_whatif, None, None,
                    [CHINA], None, "A", 365, "days_lost", None, None, 1, None, session,
                    None, None)
    assert out[0]["saved"] == [] and out[10] == {"display": "none"}
    # a page just drawn counts every input as changed: unclicked buttons do nothing
    def drawn():
        from dash._callback_context import context_value
        from dash._utils import AttributeDict

        context_value.set(AttributeDict(triggered_inputs=[
            {"prop_id": f"{ids.WI_CLEAR_B}.n_clicks", "value": None},
            {"prop_id": f"{ids.WI_PIN}.n_clicks", "value": None},
            {"prop_id": f"{ids.WI_SAVED}.value", "value": []}]))
        return whatif.run_whatif(None, [CHINA], [CHINA], None, "A", 365, "days_lost", None,
                                 None, None, [], session, None, None, [])

    assert copy_context().run(drawn)[0]["saved"] == session["saved"]


def test_edit_scenario_restores_the_tab_session_and_a_link_wins(ws):
    """Defect 2: coming back to the page restores what the tab built; a link's query is
    applied instead when there is one."""
    state = _run([dict(CHINA, days=300)], name="Embargo", horizon=400)[0]
    rows, name, horizon, _, metric, msg = triggered(
        ".", None, whatif.edit_scenario, None, None, None, None,
        None, None, [], [], state, None)
    assert rows[0]["days"] == 300 and name == "Embargo" and horizon == 400 and msg is None
    query = _run([dict(CHINA, days=300)], name="Embargo", horizon=400)[13]
    from urllib.parse import parse_qs

    link = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(query[1:]).items()}
    rows, name, horizon, _, _, msg = triggered(
        f"{ids.WI_PREFILL}.data", link, whatif.edit_scenario, None, None, None, None, link,
        None, [], [], {"package": "other"}, None)
    assert msg is None and rows[0]["failure_point"] == "nation:CHN"
    assert rows[0]["days"] == 300 and name == "Embargo" and horizon == 400


@pytest.mark.parametrize("rows, kwargs, text", [
    ([{"failure_point": "supplier:NOPE", "action": "fail", "days": 5}], {}, "not in package"),
    ([{"failure_point": "supplier:AMPAC", "action": "explode", "days": 5}], {},
     "action must be one of"),
    ([{"failure_point": "supplier:AMPAC", "action": "fail", "days": "x"}], {},
     "must be a number"),
    ([{"failure_point": "supplier:AMPAC", "action": "capacity", "capacity": 2}], {},
     "between 0 and 1"),
    ([{"failure_point": "supplier:AMPAC", "action": "fail", "days": 5}], {"name": ""},
     "give the scenario a name"),
    ([{"failure_point": "supplier:AMPAC", "action": "fail", "days": 5}], {"horizon": 0},
     "horizon"),
    ([{"failure_point": "supplier:AMPAC", "action": "fail", "days": 5}],
     {"session": "SESSION", "saved": [{"name": 3}]}, "malformed"),
    ([{"failure_point": "supplier:AMPAC", "action": "fail", "days": 5}],
     {"session": "SESSION", "saved": [{"name": "B", "fail": ["supplier:NOPE"], "days": {},
                                       "capacity": {}, "horizon_days": 365}]},
     "unknown supplier"),
    ([{"failure_point": "supplier:AMPAC", "action": "fail", "days": 5}],
     {"metric": "joy"}, "metric must be one of"),
    ("rows", {}, "must be a list"),
])
def test_run_whatif_reports_bad_input(ws, rows, kwargs, text):
    if kwargs.get("session") == "SESSION":
        kwargs = {"session": {"package": ws.get(None).ref.key, "saved": kwargs["saved"]}}
    out = _run(rows, **kwargs)
    assert out[0] is no_update and is_message(out[-1], text)


def test_choosing_the_comparison_and_download(ws):
    rows = [{"failure_point": "supplier:AMPAC", "action": "fail", "days": 180}]
    spec_a = {"name": "A", "fail": ["supplier:AMPAC"], "days": {"supplier:AMPAC": 180.0},
              "capacity": {}, "horizon_days": 365.0}

    def event(prop, value, session=None, load_b=None, rows_=rows):
        pin = value if prop == f"{ids.WI_PIN}.n_clicks" else None
        return triggered(prop, value, whatif.run_whatif, None, None, rows_, None, "A", 365,
                         "days_lost", pin, load_b, None, None, session, None, None)

    out = event(f"{ids.WI_PIN}.n_clicks", 1)
    assert out[1] == spec_a and out[0]["saved"] == [spec_a]
    assert out[10] == {"display": "none"}  # the same scenario is not compared with itself
    name = "Sole AP oxidiser plant explosion (AMPAC)"
    out = event(f"{ids.WI_LOAD_B}.value", name, load_b=name)
    assert out[0]["saved"][0]["name"] == name and out[11] == [name]
    bad = event(f"{ids.WI_LOAD_B}.value", "nope", load_b="nope")
    assert is_message(bad[-1], "no scenario")
    assert is_message(event(f"{ids.WI_PIN}.n_clicks", 1, rows_=[])[-1],
                      "build a scenario first")
    download, msg = whatif.download_whatif(1, spec_a, out[0], None)
    files = unzip(download)
    assert set(files) == {"whatif_capabilities.csv", "whatif_nations.csv",
                          "whatif_exposed.csv", "whatif_compare.csv", "manifest.json"}
    caps = pd.read_csv(io.BytesIO(files["whatif_capabilities.csv"]))
    assert set(caps["scenario"]) == {"A", name}
    assert json.loads(files["manifest.json"])["parameters"]["scenarios"][0]["name"] == "A"
    assert is_message(whatif.download_whatif(1, None, None, None)[-1], "no scenario")


# ----------------------------------------------------------------------------- Monte Carlo


def test_monte_carlo_admission_job_and_busy(ws):
    ticket, ref, msg = montecarlo.admit_job(1, 20_000, 3, None)
    assert msg is None and ref is no_update and set(ticket) == {"ticket"}
    # the slot is taken: a second request is told the server is busy
    busy = montecarlo.admit_job(1, 20_000, 4, None)
    assert busy[0] is no_update and is_message(busy[-1], "busy")
    progress = []
    ref, msg = montecarlo.run_job(progress.append, ticket)
    assert msg is None and ref["trials"] == 20_000 and ref["seed"] == 3
    assert progress[0][0] == 0 and progress[-1][0] == 100
    # the slot is free again, and the same ticket cannot run twice
    assert ws.gate.holder() is None
    assert is_message(montecarlo.run_job(progress.append, ticket)[-1], "not admitted")
    rows, nations, fig, fig_p, status, msg = montecarlo.show_result(ref, None)
    assert len(rows) == len(ws.get(None).network.capabilities) and msg is None
    assert 0 <= rows[0]["p_unavailable"] <= 1 and fig.data and fig_p.data
    # the answer to "the yearly probability of losing each capability", in %
    top = rows[0]
    assert f"{100 * top['p_unavailable']:.1f}% a year" in text_of(status)
    assert top["name"] in text_of(status)
    # per-nation results on the page, by name
    net = ws.get(None).network
    assert {r["nation_id"] for r in nations} == set(net.capabilities["nation_id"])
    assert all(r["name"] == net.package.nations.at[r["nation_id"], "name"] for r in nations)
    # RAW ("would matter if it failed") and Birnbaum x p ("given its probability") apart:
    # the second never shows a point that cannot fail
    with ws.results() as cache:
        result = cache.get(ref["cache"])
    probs = result.ranking["disruption_prob"]
    assert "RAW" in fig.layout.title.text and "Birnbaum × p" in fig_p.layout.title.text
    shown = [y for y in fig_p.data[0].y]
    never = [f"{n} ({i.split(':', 1)[0]})" for i, n in
             zip(result.ranking.index, result.ranking["name"]) if probs[i] == 0]
    assert never and not set(shown) & set(never)
    x = dict(zip(result.ranking.index, result.ranking["birnbaum_sum"] * probs))
    assert list(fig_p.data[0].x) == sorted((v for v in x.values() if v > 0),
                                           reverse=True)[:len(shown)]
    # same package, trials and seed: shown from the cache, no job
    again = montecarlo.admit_job(1, 20_000, 3, None)
    assert again[0] is no_update and again[1]["cache"] == ref["cache"]
    download, _ = montecarlo.download_result(1, ref, None)
    files = unzip(download)
    assert {"mc_capabilities.csv", "mc_ranking.csv", "manifest.json"} <= set(files)
    assert json.loads(files["manifest.json"])["seed"] == 3


@pytest.mark.parametrize("trials, seed, text", [
    (10, 0, "between 1,000 and 5,000,000, got 10"), ("many", 0, "must be a number"),
    (5000, -1, "seed"), (10**9, 0, "between 1,000 and 5,000,000, got 1,000,000,000"),
    (1500.5, 0, "whole number"),
])
def test_monte_carlo_reports_bad_input(ws, trials, seed, text):
    out = montecarlo.admit_job(1, trials, seed, None)
    assert out[0] is no_update and is_message(out[-1], text)
    assert ws.gate.holder() is None


def test_monte_carlo_cancel_says_so_everywhere():
    msg, status, progress = montecarlo.cancelled(1)
    assert is_message(msg, "cancelled") and status.startswith("Cancelled") and progress == 0
    assert "trials…" not in status
    assert montecarlo.cancelled(None) == (no_update, no_update, no_update)


def test_monte_carlo_page_states_its_time_basis_in_percent():
    from riskgraph_dashboard.pages import montecarlo as page

    layout = json.dumps(page.layout().to_plotly_json(), default=str)
    assert "probability of a disruption within one year" in layout
    assert "P(lost within a year)" in layout and ".1%" in layout and ".3f" not in layout


def test_monte_carlo_refuses_forged_tickets_and_refs(ws):
    assert is_message(montecarlo.run_job(lambda _: None, {"ticket": "forged"})[-1],
                      "not admitted")
    assert montecarlo.run_job(lambda _: None, "nonsense") == (no_update, None)
    assert is_message(montecarlo.show_result({"cache": "mc:nope", "key":
                                              ws.get(None).ref.key}, None)[-1],
                      "no longer in the server's cache")
    assert is_message(montecarlo.download_result(1, None, None)[-1], "run a simulation")


# ----------------------------------------------------------------------------- data


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def _package_files(folder: Path, prefix: str = "") -> dict[str, bytes]:
    return {prefix + p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def test_describe_current_and_switch_bundled(ws):
    card, bundled, current, warnings, msg = data.describe_current(None)
    assert [b["value"] for b in bundled] == ["allied-defence", "worked", "synthetic"]
    assert current == "allied-defence" and msg is None
    key, msg = data.use_bundled(1, "worked")
    assert key == ws.bundled_key("worked") and is_message(msg, "now using worked")
    assert data.describe_current(key)[2] == "worked"
    assert is_message(data.use_bundled(1, "../../etc")[-1], "unknown bundled package")


def test_upload_of_a_broken_package_shows_its_errors_and_loads_nothing(ws, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(WORKED, broken)
    (broken / "sourcing.csv").write_text(
        "component_id,supplier_id,share,source\nA,S_A,1.5,x\nB,S_NOPE,0.6,x\n",
        encoding="utf-8")
    before = len(ws.refs())
    key, issues, msg = data.receive_upload([data_url(_zip(_package_files(broken, "pkg/")))],
                                           ["broken.zip"])
    assert key is no_update and is_message(msg, "not loaded")
    errors = [i for i in issues if i["severity"] == "error"]
    assert {(i["file"], i["line"], i["column"]) for i in errors} >= {
        ("sourcing.csv", 2, "share"), ("sourcing.csv", 3, "supplier_id")}
    assert len(ws.refs()) == before  # nothing loaded
    assert not any(ws.upload_dir.glob("incoming-*"))  # and nothing left on disk


def test_upload_of_a_valid_package_switches_to_it(ws):
    files = _package_files(WORKED)
    urls = [data_url(d, "text/csv") for d in files.values()]
    key, issues, msg = data.receive_upload(urls, list(files))
    assert isinstance(key, str) and is_message(msg, "loaded")
    assert ws.ref(key).origin in ("upload", "bundled")  # same content as the bundled copy
    assert shell.package_badge(key)


@pytest.mark.parametrize("contents, names, text", [
    (["data:text/plain;base64,!!!"], ["x.csv"], "not valid base64"),
    (["not a data url"], ["x.csv"], "cannot read the upload"),
    ([data_url(b"x")] * 25, ["a.csv"] * 25, "at most 20 files"),
    ([data_url(b"x")], [None], "needs a name"),
])
def test_upload_reports_bad_input(ws, contents, names, text):
    out = data.receive_upload(contents, names)
    assert out[0] is no_update and is_message(out[-1], text)


def test_upload_zip_slip_is_refused(ws):
    evil = _zip({"../../../tmp/nations.csv": b"x", "nations.csv": b"y"})
    key, issues, msg = data.receive_upload([data_url(evil)], ["evil.zip"])
    assert key is no_update and is_message(msg, "not loaded")
    assert any(i["code"] == "unsafe-path" for i in issues)
