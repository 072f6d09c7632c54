"""What-if callbacks: editing the scenario table, running it, comparing, downloading.

A scenario travels between callbacks as a plain dict (``spec``: name, fail, days,
capacity, horizon_days) in a ``dcc.Store``. Since a browser can send anything, every spec
and every table row is checked here and then again by the library
(:func:`riskgraph.model.scenario.check_scenarios`) before it runs.
"""

from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, no_update

from riskgraph.model.scenario import Scenario
from riskgraph.views import down_intervals, whatif_matrix
from riskgraph.analyses.whatif import outage_margins, run_scenarios

from .. import figures, ids
from ..components import records
from ..export import zip_outputs
from ..state import InputError
from .common import (check_choice, check_id, check_number, loaded, picker_options,
                     user_errors)
from ..pages.whatif import MAX_SAVED, METRICS
from .whatif_story import (difference_grid, margin_records, parse_query, side_by_side,
                           story_alert, view_query)

__all__ = ["fill_whatif", "search_points", "edit_scenario", "load_scenario", "run_whatif",
           "download_whatif", "rows_to_spec", "spec_to_scenario", "saved_after", "register"]

MAX_POINTS = 500
ACTIONS = ("fail", "capacity")


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
    note = no_update  # not None: a link's error shown by edit_scenario must stay
    if problems is not None:
        from ..components import message

        first = problems.iloc[0]
        note = message(f"scenarios.toml has {len(problems)} problem(s); first: "
                       f"{first['message']}", kind="warning")
    return names, names, points, note


def _from_link(p, prefill: dict):
    """The editor's fields from a link's query (``?fail=…&days=…&horizon=…``)."""
    q = parse_query(p, prefill)
    rows = [_row(p, point, action, days=value if action == "fail" else None,
                 capacity=value if action == "capacity" else None)
            for action, point, value in q["rows"]]
    name = q.get("name")
    if name is None and len(rows) == 1 and rows[0]["action"] == "fail":
        name = f"{rows[0]['name']} down {rows[0]['days']:g} days"
    return (rows, name or no_update, q.get("horizon", no_update), no_update,
            q.get("metric", no_update), None)


def _from_session(p, session):
    """The editor as this tab left it (the page was visited before in this session)."""
    if not isinstance(session, dict) or session.get("package") != p.ref.key \
            or not isinstance(session.get("rows"), list) or not session["rows"]:
        return (no_update,) * 6
    spec = rows_to_spec(p, session["rows"], session.get("name"), session.get("horizon"))
    metric = session.get("metric")
    return (scenario_rows(p, spec_to_scenario(spec)), spec["name"], spec["horizon_days"],
            no_update, metric if metric in METRICS else no_update, None)


@user_errors(6)
def edit_scenario(load, add_fail, add_cap, remove, prefill, point, rows, selected,
                  session=None, key=None, table_rows=None):
    """Every change to the scenario table: load from file, add, remove, a link's query, or
    (when the page is shown without one) what this tab had built before. ``rows`` (the
    grid's virtualRowData) lag new rowData a moment: ``table_rows`` (rowData) stand in."""
    p = loaded(key)
    trigger = ctx.triggered_id
    rows = rows if isinstance(rows, list) and rows else table_rows
    rows = rows if isinstance(rows, list) else []
    keep = (no_update,) * 6  # (a message, e.g. a link's error, stays)
    if not rows and trigger not in (ids.WI_ADD_FAIL, ids.WI_ADD_CAPACITY, ids.WI_REMOVE) \
            and not (trigger == ids.WI_LOAD and load):
        # The page was just shown. Its first call can be overtaken (and its answer dropped)
        # by a picker settling, so any event while the table is still empty restores.
        if isinstance(prefill, dict) and prefill:
            return _from_link(p, prefill)
        return _from_session(p, session)
    if trigger == ids.WI_LOAD:
        return load_scenario(load, key)
    if trigger == ids.WI_PREFILL or not trigger:  # no trigger: the page was just shown
        if isinstance(prefill, dict) and prefill:
            return _from_link(p, prefill)
        return _from_session(p, session)
    if trigger in (ids.WI_ADD_FAIL, ids.WI_ADD_CAPACITY):
        if not point:
            raise InputError("choose a failure point to add first")
        point = check_id(p, point, "failure point", kinds=("nation", "supplier", "component"))
        action = "fail" if trigger == ids.WI_ADD_FAIL else "capacity"
        kept = [r for r in rows if isinstance(r, dict) and r.get("failure_point") != point]
        if len(kept) >= MAX_POINTS:
            raise InputError(f"a scenario holds at most {MAX_POINTS} points")
        return kept + [_row(p, point, action)], no_update, no_update, None, no_update, None
    if trigger == ids.WI_REMOVE:
        gone = {r.get("failure_point") for r in (selected or []) if isinstance(r, dict)}
        if not gone:
            raise InputError("tick the rows to remove first")
        return ([r for r in rows if isinstance(r, dict) and r.get("failure_point") not in gone],
                no_update, no_update, no_update, no_update, None)
    return keep


@user_errors(6)
def load_scenario(load, key=None):
    """A scenario picked from the package's scenarios.toml fills the table.

    Its own callback, not an input of :func:`edit_scenario`: the picker reports a value
    when its list arrives, and a second call of the same callback would overtake (and drop
    the answer of) a click on 'Add' made meanwhile."""
    if not load:
        return (no_update,) * 6
    p = loaded(key)
    scenarios, _ = _file_scenarios(p)
    if not isinstance(load, str) or load not in scenarios:
        raise InputError(f"no scenario {load!r} in scenarios.toml")
    s = scenarios[load]
    return scenario_rows(p, s), s.name, s.horizon_days, no_update, no_update, None


def _edit_without_load(*args):
    return edit_scenario(None, *args)


def _fired(prop_id: str) -> bool:
    """Whether ``prop_id`` triggered the running callback (False outside one)."""
    try:
        return prop_id in ctx.triggered_prop_ids
    except Exception:  # noqa: BLE001 - no callback context (a direct call in a test)
        return False


def _add_saved(saved: list, spec: dict) -> list:
    kept = [s for s in saved if s["name"] != spec["name"]]
    if len(kept) >= MAX_SAVED:
        raise InputError(f"at most {MAX_SAVED} scenarios are kept for comparison; untick one "
                         "under 'Compared scenarios' first")
    return kept + [spec]


def _names(options) -> list:
    if not isinstance(options, list):
        return []
    return [o.get("value") if isinstance(o, dict) else o for o in options]


def saved_after(entry, saved, rows, name, horizon, load_b, picked, shown=None, *,
                pin=None, clear=None) -> list[dict]:
    """The saved scenarios after this event: one saved from the table or loaded from the
    file, some unticked, all cleared, or unchanged (each checked again).

    ``shown`` is the list the 'Compared scenarios' picker offers: an untick counts only
    when it offers exactly the saved scenarios (a picker just drawn, still empty, is not
    the user removing them all). ``pin`` and ``clear`` are the buttons' click counts: when
    a page is drawn every input counts as changed, and only a clicked button acts."""
    saved = saved if isinstance(saved, list) else []
    if len(saved) > MAX_SAVED:
        raise InputError("the saved scenarios are malformed; clear them")
    saved = [_spec(spec_to_scenario(s)) for s in saved]
    if _fired(f"{ids.WI_CLEAR_B}.n_clicks") and clear:
        return []
    if _fired(f"{ids.WI_SAVED}.value"):
        if sorted(map(str, _names(shown))) != sorted(s["name"] for s in saved):
            return saved
        picked = picked if isinstance(picked, list) else []
        return [s for s in saved if s["name"] in picked]
    if _fired(f"{ids.WI_LOAD_B}.value") and load_b:
        scenarios, _ = _file_scenarios(entry)
        if not isinstance(load_b, str) or load_b not in scenarios:
            raise InputError(f"no scenario {load_b!r} in scenarios.toml")
        return _add_saved(saved, _spec(scenarios[load_b]))
    if _fired(f"{ids.WI_PIN}.n_clicks") and pin:
        if not rows:
            raise InputError("build a scenario first, then save it for comparison")
        return _add_saved(saved, rows_to_spec(entry, rows, name, horizon))
    return saved


def _distinct(a: Scenario, saved: list[dict]) -> list[Scenario]:
    """Scenario A and the saved ones, renamed where a saved one shares A's name."""
    out = [a]
    for spec in saved:
        s = spec_to_scenario(spec)
        if s.name == a.name:
            if spec == _spec(a):
                continue  # the same scenario: shown once
            s = Scenario(f"{s.name} (saved)", fail=s.fail, days=dict(s.days),
                         capacity=dict(s.capacity), horizon_days=s.horizon_days)
        out.append(s)
    return out


def _empty_run(session, saved, metric, message_=no_update):
    blank = figures.empty_figure("Add a failure point or load a scenario.")
    names = [s["name"] for s in saved]
    return (session, None, None, blank, [], figures.empty_figure("", height=200), [],
            None, [], [], {"display": "none"}, names, names, "", message_)


@user_errors(15)
def run_whatif(run, table_rows, virtual_rows, changed, name, horizon, metric, pin, load_b,
               clear_b, picked, session, prefill, key, shown=None):
    """Run scenario A and the saved ones: the story, heatmap, margins, timeline, exposed
    points, scenarios side by side, the session state and the link.

    The table's rows as the server last set them (``rowData``) are fresh when that is what
    changed; otherwise the grid's current rows (``virtualRowData``) hold the user's edits.
    Saving, loading, unticking and clearing comparisons happen here too: the saved list is
    this callback's own state (in the tab's session store), so no chain of callbacks can
    wait on another.
    """
    p = loaded(key)
    rows = virtual_rows
    if rows is None or _fired(f"{ids.WI_ROWS}.rowData"):
        rows = table_rows
    rows = [] if rows is None else rows
    if not isinstance(rows, list):
        raise InputError("the scenario table must be a list of rows")
    metric = check_choice(metric, "metric", METRICS)
    session = session if isinstance(session, dict) and session.get("package") == p.ref.key \
        else {}
    saved = saved_after(p, session.get("saved"), rows, name, horizon, load_b, picked, shown,
                        pin=pin, clear=clear_b)
    state = {"package": p.ref.key, "rows": rows, "name": name, "horizon": horizon,
             "metric": metric, "saved": saved}
    if not rows:
        return _empty_run(state, saved, metric)
    spec = rows_to_spec(p, rows, name, horizon)
    a = spec_to_scenario(spec)
    scenarios = _distinct(a, saved)
    result = run_scenarios(p.network, scenarios)
    margins = {s.name: outage_margins(p.network, s) for s in scenarios}
    focus = prefill.get("focus") if isinstance(prefill, dict) else None
    if focus is not None and (not isinstance(focus, str)
                              or focus not in p.capability_options.index):
        focus = None
    hm = whatif_matrix(p.network, result.capabilities, a.name, value=metric)
    heat = figures.capability_heatmap(hm, title=a.name, value_label=METRICS[metric],
                                      percent=metric == "loss_fraction",
                                      zmax=a.horizon_days)
    timeline = figures.timeline(down_intervals(p.network, a), a.horizon_days)
    exposed = result.exposed[result.exposed["scenario"] == a.name]
    names = p.network.nodes["name"]
    exp_rows = records(exposed.assign(
        point_name=names.reindex(exposed["failure_point"]).to_numpy(),
        capability_name=p.network.capabilities["name"].reindex(exposed.index).to_numpy()),
        index="capability")
    side, diff_defs, diff_rows, box = None, [], [], {"display": "none"}
    if len(scenarios) > 1:
        specs = [_spec(s) for s in scenarios]
        side = side_by_side(p, result, margins, specs, metric)
        diff_defs, diff_rows = difference_grid(p, result.capabilities,
                                               [s.name for s in scenarios])
        box = {}
    saved_names = [s["name"] for s in saved]
    return (state, spec, story_alert(p, result.capabilities, margins[a.name], spec, focus),
            heat, margin_records(p, margins[a.name]), timeline, exp_rows, side, diff_defs,
            diff_rows, box, saved_names, saved_names, view_query(p, spec, metric, focus),
            None)


@user_errors(2)
def download_whatif(n_clicks, spec_a, session, key):
    """The what-if tables as the CLI writes them (zip with manifest): scenario A and the
    saved scenarios."""
    if not n_clicks:
        return no_update, None
    p = loaded(key)
    a = spec_to_scenario(spec_a)
    saved = session.get("saved") if isinstance(session, dict) \
        and session.get("package") == p.ref.key else []
    scenarios = _distinct(a, saved if isinstance(saved, list) else [])
    result = run_scenarios(p.network, scenarios)
    # The CLI's own tables (``riskgraph whatif --compare`` when scenarios are compared),
    # so the files in the zip are byte for byte what the CLI writes.
    data = zip_outputs(result.tables(compare=len(scenarios) > 1),
                       command="riskgraph dashboard: what-if",
                       package=p.network.package,
                       parameters={"scenarios": [_spec(s) for s in scenarios]})
    return dcc.send_bytes(data, f"riskgraph-whatif-{p.ref.key[:8]}.zip"), None


#: Keeps the address bar in step with the view without reloading the page: a replaced
#: history entry fires no navigation event, so the page is not rebuilt.
URL_SYNC = """
function(query) {
    if (typeof query !== 'string') { return window.dash_clientside.no_update; }
    var target = window.location.pathname + query;
    if (target !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, '', target);
    }
    return query;
}
"""


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
        Output(ids.WI_METRIC, "value"),
        Output(ids.WI_MESSAGE, "children", allow_duplicate=True),
        Input(ids.WI_ADD_FAIL, "n_clicks"),
        Input(ids.WI_ADD_CAPACITY, "n_clicks"),
        Input(ids.WI_REMOVE, "n_clicks"),
        Input(ids.WI_PREFILL, "data"),
        State(ids.WI_POINT, "value"),
        State(ids.WI_ROWS, "virtualRowData"),
        State(ids.WI_ROWS, "selectedRows"),
        State(ids.WI_SESSION, "data"),
        State(ids.PACKAGE, "data"),
        State(ids.WI_ROWS, "rowData"),
        prevent_initial_call="initial_duplicate",
    )(_edit_without_load)
    app.callback(
        Output(ids.WI_ROWS, "rowData", allow_duplicate=True),
        Output(ids.WI_NAME, "value", allow_duplicate=True),
        Output(ids.WI_HORIZON, "value", allow_duplicate=True),
        Output(ids.WI_POINT, "value", allow_duplicate=True),
        Output(ids.WI_METRIC, "value", allow_duplicate=True),
        Output(ids.WI_MESSAGE, "children", allow_duplicate=True),
        Input(ids.WI_LOAD, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(load_scenario)


def _register_results(app) -> None:
    """The callbacks running the scenarios, keeping the URL in step and downloading."""
    app.callback(
        Output(ids.WI_SESSION, "data"),
        Output(ids.WI_SPEC_A, "data"),
        Output(ids.WI_SUMMARY, "children"),
        Output(ids.WI_HEATMAP, "figure"),
        Output(ids.WI_MARGINS, "rowData"),
        Output(ids.WI_TIMELINE, "figure"),
        Output(ids.WI_EXPOSED, "rowData"),
        Output(ids.WI_SIDE, "children"),
        Output(ids.WI_COMPARE, "columnDefs"),
        Output(ids.WI_COMPARE, "rowData"),
        Output(ids.WI_COMPARE_BOX, "style"),
        Output(ids.WI_SAVED, "data"),
        Output(ids.WI_SAVED, "value"),
        Output(ids.WI_QUERY, "data"),
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
        Input(ids.WI_SAVED, "value"),
        State(ids.WI_SESSION, "data"),
        State(ids.WI_PREFILL, "data"),
        State(ids.PACKAGE, "data"),
        State(ids.WI_SAVED, "data"),
        prevent_initial_call=True,
    )(run_whatif)
    app.clientside_callback(URL_SYNC, Output(ids.WI_URL_DONE, "data"),
                            Input(ids.WI_QUERY, "data"), prevent_initial_call=True)
    app.callback(
        Output(ids.WI_DOWNLOAD, "data"),
        Output(ids.WI_MESSAGE, "children", allow_duplicate=True),
        Input(ids.WI_DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.WI_SPEC_A, "data"),
        State(ids.WI_SESSION, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download_whatif)


def register(app) -> None:
    _register_editor(app)
    _register_results(app)
