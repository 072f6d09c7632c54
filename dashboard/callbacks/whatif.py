"""What-if callbacks: editing the scenario table, running it, comparing, downloading.

A scenario travels between callbacks as a plain dict (``spec``: name, fail, days,
capacity, horizon_days) in a ``dcc.Store``. Since a browser can send anything, every spec
and every table row is checked here and then again by the library
(:func:`riskgraph.model.scenario.check_scenarios`) before it runs.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import Input, Output, State, ctx, dcc, html, no_update

from riskgraph.model.scenario import Scenario
from riskgraph.views import down_intervals, whatif_headline, whatif_matrix
from riskgraph.analyses.whatif import compare_scenarios, run_scenarios

from .. import figures, ids
from ..components import column_defs, records
from ..export import zip_outputs
from ..state import InputError
from .common import (check_choice, check_id, check_number, loaded, picker_options,
                     user_errors)

__all__ = ["fill_whatif", "search_points", "edit_scenario", "run_whatif",
           "download_whatif", "rows_to_spec", "spec_to_scenario", "register"]

MAX_POINTS = 500
ACTIONS = ("fail", "capacity")
METRICS = {"loss_fraction": "supply lost (%)", "days_lost": "days lost"}


# --------------------------------------------------------------------------- conversions


def _row(entry, point: str, action: str, days=None, capacity=None) -> dict:
    opts = entry.failure_point_options
    return {
        "failure_point": point,
        "name": opts.at[point, "name"],
        "kind": opts.at[point, "kind"],
        "action": action,
        "days": float(days if days is not None else opts.at[point, "recovery_days"])
        if action == "fail" else None,
        "capacity": float(capacity if capacity is not None else 0.5)
        if action == "capacity" else None,
    }


def scenario_rows(entry, scenario: Scenario) -> list[dict]:
    """The editable table rows of a scenario."""
    rows = [_row(entry, p, "fail", days=scenario.days.get(p)) for p in scenario.fail]
    rows += [_row(entry, p, "capacity", capacity=f)
             for p, f in scenario.capacity.items() if p not in scenario.fail]
    return rows


def rows_to_spec(entry, rows, name, horizon) -> dict:
    """Check the table rows (as sent by the browser) and turn them into a spec."""
    if not isinstance(rows, list) or len(rows) > MAX_POINTS:
        raise InputError(f"the scenario table must be a list of at most {MAX_POINTS} rows")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InputError("give the scenario a name (at most 200 characters)")
    horizon = check_number(horizon, "horizon (days)", lo=1, hi=36500)
    fail, days, capacity = [], {}, {}
    for row in rows:
        if not isinstance(row, dict):
            raise InputError("unexpected row in the scenario table")
        point = check_id(entry, row.get("failure_point"), "failure point",
                         kinds=("nation", "supplier", "component"))
        action = check_choice(row.get("action"), "action", ACTIONS)
        label = entry.failure_point_options.at[point, "name"]
        if action == "fail":
            if point not in fail:
                fail.append(point)
            days[point] = check_number(row.get("days"), f"days down of {label}", lo=1,
                                       hi=36500)
        else:
            capacity[point] = check_number(row.get("capacity"),
                                           f"capacity factor of {label}", lo=0, hi=1)
    return {"name": name.strip(), "fail": fail, "days": days, "capacity": capacity,
            "horizon_days": horizon}


def _spec(scenario: Scenario) -> dict:
    return {"name": scenario.name, "fail": list(scenario.fail), "days": dict(scenario.days),
            "capacity": dict(scenario.capacity), "horizon_days": scenario.horizon_days}


def spec_to_scenario(spec) -> Scenario:
    """A Scenario from a spec kept in the browser (types checked; ids by the library)."""
    if not isinstance(spec, dict):
        raise InputError("no scenario to run")
    name, fail = spec.get("name"), spec.get("fail", [])
    days, capacity = spec.get("days", {}), spec.get("capacity", {})
    if not isinstance(name, str) or not isinstance(fail, list) \
            or not isinstance(days, dict) or not isinstance(capacity, dict) \
            or not all(isinstance(x, str) for x in fail) \
            or len(fail) + len(capacity) > MAX_POINTS:
        raise InputError("the stored scenario is malformed; build it again")
    horizon = check_number(spec.get("horizon_days"), "horizon (days)", lo=1, hi=36500)
    return Scenario(name, fail=tuple(fail), days=days, capacity=capacity,
                    horizon_days=horizon)


def _file_scenarios(entry):
    scenarios, problems = entry.scenarios
    return {s.name: s for s in scenarios}, problems


# --------------------------------------------------------------------------- callbacks


def search_points(text, value, key):
    """The failure-point picker's options matching what the user typed (long lists)."""
    try:
        return picker_options(loaded(key).failure_point_options, text, value)
    except InputError:
        return no_update


@user_errors(4)
def fill_whatif(key, _page=None):
    """Scenario lists (the package's scenarios.toml) and the failure-point list."""
    p = loaded(key)
    scenarios, problems = _file_scenarios(p)
    names = [{"value": n, "label": n} for n in scenarios]
    fps = p.failure_point_options
    points = picker_options(fps)
    note = None
    if problems is not None:
        from ..components import message

        first = problems.iloc[0]
        note = message(f"scenarios.toml has {len(problems)} problem(s); first: "
                       f"{first['message']}", kind="warning")
    return names, names, points, note


@user_errors(5)
def edit_scenario(load, add_fail, add_cap, remove, prefill, point, rows, selected, key):
    """Every change to the scenario table: load from file, add, remove, URL pre-fill."""
    p = loaded(key)
    trigger = ctx.triggered_id
    rows = rows if isinstance(rows, list) else []
    if trigger == ids.WI_LOAD:
        if not load:
            return no_update, no_update, no_update, no_update, None
        scenarios, _ = _file_scenarios(p)
        if not isinstance(load, str) or load not in scenarios:
            raise InputError(f"no scenario {load!r} in scenarios.toml")
        s = scenarios[load]
        return scenario_rows(p, s), s.name, s.horizon_days, no_update, None
    if trigger in (ids.WI_PREFILL, None):  # None: the page was just shown
        if not isinstance(prefill, dict) or not prefill.get("fail"):
            return no_update, no_update, no_update, no_update, None
        fail = check_id(p, prefill.get("fail"), "fail", kinds=("nation", "supplier",
                                                              "component"))
        days = check_number(prefill.get("days"), "days", lo=1, hi=36500, default=None) \
            if prefill.get("days") not in (None, "") else None
        row = _row(p, fail, "fail", days=days)
        label = f"{row['name']} down {row['days']:g} days"
        return [row], label, no_update, no_update, None
    if trigger in (ids.WI_ADD_FAIL, ids.WI_ADD_CAPACITY):
        if not point:
            raise InputError("choose a failure point to add first")
        point = check_id(p, point, "failure point", kinds=("nation", "supplier", "component"))
        action = "fail" if trigger == ids.WI_ADD_FAIL else "capacity"
        kept = [r for r in rows if isinstance(r, dict) and r.get("failure_point") != point]
        if len(kept) >= MAX_POINTS:
            raise InputError(f"a scenario holds at most {MAX_POINTS} points")
        return kept + [_row(p, point, action)], no_update, no_update, None, None
    if trigger == ids.WI_REMOVE:
        gone = {r.get("failure_point") for r in (selected or []) if isinstance(r, dict)}
        if not gone:
            raise InputError("tick the rows to remove first")
        return [r for r in rows if isinstance(r, dict)
                and r.get("failure_point") not in gone], no_update, no_update, no_update, None
    return no_update, no_update, no_update, no_update, None


def _summary(entry, h: dict, spec: dict, focus: str | None):
    lines = [dmc.Text([html.B(spec["name"]), ": ", html.B(f"{h['capabilities_down']}"),
                       f" of {h['capabilities']} capabilities go down within "
                       f"{spec['horizon_days']:g} days, in {h['nations_affected']} nation(s); "
                       f"{h['capabilities_not_up']} are unavailable while the failures "
                       f"last (before stock is drawn down)."])]
    if focus and "focus" in h:
        f = h["focus"]
        label = entry.capability_options.at[focus, "label"]
        if f["time_to_impact_days"] is None:
            lines.append(dmc.Text([html.B(label), ": not lost within the horizon."]))
        else:
            lines.append(dmc.Text([html.B(label), f": down from day "
                                   f"{f['time_to_impact_days']:.0f}, "
                                   f"{f['days_lost']:.0f} days lost."]))
    return dmc.Alert(lines, color="blue", title="Result", id=ids.WI_RESULT_ALERT)


def _compare_grid(entry, result, names):
    table = compare_scenarios(result, metrics=("loss_fraction", "time_to_impact_days",
                                               "days_lost"))
    caps = entry.network.capabilities["name"].reindex(table.index).tolist()
    labels = {"loss_fraction": ("supply lost", "percent"),
              "time_to_impact_days": ("down from day", "days"),
              "days_lost": ("days lost", "days")}
    spec = [("capability", "Capability", "name")]
    rows = [{"capability": c} for c in caps]
    for tag, name in zip("ab", names):
        for metric, (label, kind) in labels.items():
            field = f"{metric}_{tag}"
            spec.append((field, f"{tag.upper()}: {label}", kind))
            for row, value in zip(rows, table[f"{metric}[{name}]"].tolist()):
                row[field] = None if value != value else value
    return column_defs(spec), rows


def _fired(prop_id: str) -> bool:
    """Whether ``prop_id`` triggered the running callback (False outside one)."""
    try:
        return prop_id in ctx.triggered_prop_ids
    except Exception:  # noqa: BLE001 - no callback context (a direct call in a test)
        return False


def _comparison(entry, spec_b, rows, name, horizon, load_b):
    """Scenario B after this event: kept from the table, loaded from the file, cleared,
    or unchanged."""
    if _fired(f"{ids.WI_CLEAR_B}.n_clicks"):
        return None
    if _fired(f"{ids.WI_LOAD_B}.value"):
        if not load_b:
            return None
        scenarios, _ = _file_scenarios(entry)
        if not isinstance(load_b, str) or load_b not in scenarios:
            raise InputError(f"no scenario {load_b!r} in scenarios.toml")
        return _spec(scenarios[load_b])
    if _fired(f"{ids.WI_PIN}.n_clicks"):
        if not rows:
            raise InputError("build a scenario first, then keep it as the comparison")
        spec = rows_to_spec(entry, rows, name, horizon)
        spec["name"] = f"{spec['name']} (kept)"
        return spec
    return spec_b


@user_errors(13)
def run_whatif(run, table_rows, virtual_rows, changed, name, horizon, metric, pin, load_b,
               clear_b, spec_b, prefill, key):
    """Run scenario A and the comparison B: heatmaps, timeline, exposed points, side by side.

    The table's rows as the server last set them (``rowData``) are fresh when that is what
    changed; otherwise the grid's current rows (``virtualRowData``) hold the user's edits.
    Choosing B (keep, load from the file, clear) happens here too: B is this callback's own
    state, so no chain of callbacks can wait on another.
    """
    p = loaded(key)
    rows = virtual_rows
    if rows is None or _fired(f"{ids.WI_ROWS}.rowData"):
        rows = table_rows
    rows = [] if rows is None else rows
    if not isinstance(rows, list):
        raise InputError("the scenario table must be a list of rows")
    spec_b = _comparison(p, spec_b, rows, name, horizon, load_b)
    hide_b = {"display": "none"}
    if not rows:
        blank = figures.empty_figure("Add a failure point or load a scenario.")
        return (None, spec_b, None, blank, no_update, hide_b,
                figures.empty_figure("", height=200), [], [], [], hide_b, None, None)
    metric = check_choice(metric, "metric", METRICS)
    spec = rows_to_spec(p, rows, name, horizon)
    a = spec_to_scenario(spec)
    scenarios = [a]
    b = None
    if spec_b is not None:
        b = spec_to_scenario(spec_b)
        if b.name == a.name:
            b = Scenario(f"{b.name} (B)", fail=b.fail, days=dict(b.days),
                         capacity=dict(b.capacity), horizon_days=b.horizon_days)
        scenarios.append(b)
    result = run_scenarios(p.network, scenarios)
    focus = prefill.get("focus") if isinstance(prefill, dict) else None
    if focus is not None and (not isinstance(focus, str)
                              or focus not in p.capability_options.index):
        focus = None
    h = whatif_headline(result.capabilities, a.name, focus)
    percent = metric == "loss_fraction"
    zmax = max(a.horizon_days, b.horizon_days if b else 0)

    def heat(s):
        hm = whatif_matrix(p.network, result.capabilities, s.name, value=metric)
        return figures.capability_heatmap(hm, title=s.name, value_label=METRICS[metric],
                                          percent=percent, zmax=zmax)

    fig_b, style_b = figures.empty_figure(""), hide_b
    if b is not None:
        fig_b, style_b = heat(b), {}
    timeline = figures.timeline(down_intervals(p.network, a), a.horizon_days)
    exposed = result.exposed[result.exposed["scenario"] == a.name]
    names = p.network.nodes["name"]
    exp_rows = records(exposed.assign(
        point_name=names.reindex(exposed["failure_point"]).to_numpy(),
        capability_name=p.network.capabilities["name"].reindex(exposed.index).to_numpy()),
        index="capability")
    if b is not None:
        cmp_defs, cmp_rows = _compare_grid(p, result, [a.name, b.name])
    else:
        cmp_defs, cmp_rows = [], []
    b_note = None
    if b is not None:
        b_note = dmc.Text(["Comparing with ", html.B(b.name), "."], size="sm")
    return (spec, spec_b, _summary(p, h, spec, focus), heat(a), fig_b, style_b, timeline,
            exp_rows, cmp_defs, cmp_rows, style_b, b_note, None)


@user_errors(2)
def download_whatif(n_clicks, spec_a, spec_b, key):
    """The what-if tables as the CLI writes them (zip with manifest)."""
    if not n_clicks:
        return no_update, None
    p = loaded(key)
    a = spec_to_scenario(spec_a)
    scenarios = [a]
    if spec_b is not None:
        b = spec_to_scenario(spec_b)
        if b.name != a.name:
            scenarios.append(b)
    result = run_scenarios(p.network, scenarios)
    # The CLI's own tables (``riskgraph whatif --compare`` when B is set), so the files
    # in the zip are byte for byte what the CLI writes.
    data = zip_outputs(result.tables(compare=len(scenarios) > 1),
                       command="riskgraph dashboard: what-if",
                       package=p.network.package,
                       parameters={"scenarios": [_spec(s) for s in scenarios]})
    return dcc.send_bytes(data, f"riskgraph-whatif-{p.ref.key[:8]}.zip"), None


def _register_editor(app) -> None:
    """The callbacks filling the pickers and editing scenario A's rows."""
    app.callback(
        Output(ids.WI_LOAD, "data"),
        Output(ids.WI_LOAD_B, "data"),
        Output(ids.WI_POINT, "data"),
        Output(ids.WI_MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(ids.WI_PAGE, "id"),
    )(fill_whatif)
    app.callback(
        Output(ids.WI_POINT, "data", allow_duplicate=True),
        Input(ids.WI_POINT, "searchValue"),
        State(ids.WI_POINT, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(search_points)
    app.callback(
        Output(ids.WI_ROWS, "rowData"),
        Output(ids.WI_NAME, "value"),
        Output(ids.WI_HORIZON, "value"),
        Output(ids.WI_POINT, "value"),
        Output(ids.WI_MESSAGE, "children", allow_duplicate=True),
        Input(ids.WI_LOAD, "value"),
        Input(ids.WI_ADD_FAIL, "n_clicks"),
        Input(ids.WI_ADD_CAPACITY, "n_clicks"),
        Input(ids.WI_REMOVE, "n_clicks"),
        Input(ids.WI_PREFILL, "data"),
        State(ids.WI_POINT, "value"),
        State(ids.WI_ROWS, "virtualRowData"),
        State(ids.WI_ROWS, "selectedRows"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(edit_scenario)


def _register_results(app) -> None:
    """The callbacks running the scenarios and downloading their tables."""
    app.callback(
        Output(ids.WI_SPEC_A, "data"),
        Output(ids.WI_SPEC_B, "data"),
        Output(ids.WI_SUMMARY, "children"),
        Output(ids.WI_HEATMAP, "figure"),
        Output(ids.WI_HEATMAP_B, "figure"),
        Output(ids.WI_HEATMAP_B_COL, "style"),
        Output(ids.WI_TIMELINE, "figure"),
        Output(ids.WI_EXPOSED, "rowData"),
        Output(ids.WI_COMPARE, "columnDefs"),
        Output(ids.WI_COMPARE, "rowData"),
        Output(ids.WI_COMPARE_BOX, "style"),
        Output(ids.WI_B_MESSAGE, "children"),
        Output(ids.WI_MESSAGE, "children", allow_duplicate=True),
        Input(ids.WI_RUN, "n_clicks"),
        Input(ids.WI_ROWS, "rowData"),
        Input(ids.WI_ROWS, "virtualRowData"),
        Input(ids.WI_ROWS, "cellValueChanged"),
        Input(ids.WI_NAME, "value"),
        Input(ids.WI_HORIZON, "value"),
        Input(ids.WI_METRIC, "value"),
        Input(ids.WI_PIN, "n_clicks"),
        Input(ids.WI_LOAD_B, "value"),
        Input(ids.WI_CLEAR_B, "n_clicks"),
        State(ids.WI_SPEC_B, "data"),
        State(ids.WI_PREFILL, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(run_whatif)
    app.callback(
        Output(ids.WI_DOWNLOAD, "data"),
        Output(ids.WI_MESSAGE, "children", allow_duplicate=True),
        Input(ids.WI_DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.WI_SPEC_A, "data"),
        State(ids.WI_SPEC_B, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download_whatif)


def register(app) -> None:
    _register_editor(app)
    _register_results(app)
