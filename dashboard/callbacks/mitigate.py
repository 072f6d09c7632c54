"""Mitigate callbacks: admission (the server's one job slot), the background solve,
results (docs/design.md §4.10).

The same flow as Monte Carlo: *Run* takes the server's job slot (or says who holds it),
the admitted parameters stay on the server, :func:`run_job` runs as a Dash background
callback with a progress bar and *Cancel*, and saves the plan's tables in the workspace's
result cache (keyed by package hash and parameters); :func:`show_result` reads them back.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from dash import Input, Output, State, html, no_update

from riskgraph.analyses.mitigation import plan_mitigation

from .. import ids
from ..components import message, options, records
from ..pages import mitigate as page
from ..state import InputError, workspace
from .common import background_job, check_choice, check_number, loaded, user_errors

__all__ = ["capability_choices", "admit_job", "run_job", "show_result", "cancelled",
           "register", "result_key"]


def result_key(package_key: str, params: dict) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return f"mit:{package_key}:{digest}"


@user_errors(3)
def capability_choices(key):
    """Capabilities, and the package's scenarios (scenarios.toml) for goal survive."""
    p = loaded(key)
    scenarios, _problems = p.scenarios
    return (options(p.capability_options),
            [{"value": s.name, "label": s.name} for s in scenarios], None)


def _params(p, capabilities, goal, kinds, budget, time_limit, scenarios=None) -> dict:
    goal = check_choice(goal, "goal", [g["value"] for g in page.GOALS])
    caps = [c for c in (capabilities or []) if isinstance(c, str)]
    unknown = [c for c in caps if c not in p.capability_options.index]
    if unknown:
        raise InputError(f"unknown capability {unknown[0]!r}")
    kinds = [k for k in (kinds or []) if k in ("supplier", "nation", "component")]
    if not kinds:
        raise InputError("choose at least one SPOF kind")
    params = {"key": p.ref.key, "capabilities": sorted(caps) or None, "goal": goal,
              "kinds": sorted(kinds),
              "time_limit": check_number(time_limit, "time limit", lo=1,
                                         hi=page.MAX_TIME_LIMIT, integer=True)}
    if goal == "budget":
        params["budget"] = check_number(budget, "budget", lo=0, hi=1e15)
    if goal == "survive":
        known = [s.name for s in p.scenarios[0]]
        if not known:
            raise InputError("this package has no valid scenarios.toml to survive")
        chosen = [n for n in (scenarios or []) if isinstance(n, str)]
        unknown = [n for n in chosen if n not in known]
        if unknown:
            raise InputError(f"unknown scenario {unknown[0]!r}")
        params["scenarios"] = sorted(chosen) or known
    return params


@user_errors(3)
def admit_job(n_clicks, capabilities, goal, kinds, budget, time_limit, key, scenarios=None):
    """Take the server's job slot (or say who holds it); a cached plan is shown at once."""
    if not n_clicks:
        return no_update, no_update, None
    p = loaded(key)
    if getattr(p.network.package, "mitigations", None) is None:
        raise InputError("this package has no mitigations.csv: no candidate actions")
    params = _params(p, capabilities, goal, kinds, budget, time_limit, scenarios)
    ref = {"key": p.ref.key, "cache": result_key(p.ref.key, params)}
    ws = workspace()
    with ws.results() as cache:
        if ref["cache"] in cache:
            return no_update, ref, message("Shown from this server's cache (same package "
                                           "and choices).", kind="info")
    ticket, holder = ws.gate.acquire(f"a mitigation plan on {p.ref.name}", params)
    if ticket is None:
        since = time.strftime("%H:%M:%S", time.localtime(holder["since"]))
        return no_update, no_update, message(
            f"The server is busy with another job ({holder['what']}, started {since}); "
            "only one runs at a time. Try again when it has finished.", kind="warning",
            title="Busy")
    return {"ticket": ticket}, no_update, None


def run_job(set_progress, ticket):
    """The background job: solve and verify the admitted plan, cache its tables."""
    if not isinstance(ticket, dict):
        return no_update, None
    ws = workspace()
    token = ticket.get("ticket")
    params = ws.gate.attach(token, os.getpid())
    if params is None:
        return no_update, message("This job was not admitted (or already ran); press Run.")
    try:
        p = ws.get(params["key"])
        set_progress((10, "Finding the SPOFs and which candidates can remove them…"))
        wanted = set(params.get("scenarios") or ())
        scenarios = [s for s in p.scenarios[0] if s.name in wanted]
        res = plan_mitigation(p.network, goal=params["goal"],
                              capabilities=params["capabilities"], kinds=params["kinds"],
                              scenarios=scenarios, budget=params.get("budget"),
                              time_limit=params["time_limit"])
        set_progress((90, "Verified; saving…"))
        tables = {"plan": res.plan, "residual": res.residual,
                  "comparison": res.comparison(), "summary": dict(res.summary)}
        key = result_key(p.ref.key, params)
        with ws.results() as cache:
            cache.set(key, tables)
        set_progress((100, "Done."))
        return {"key": p.ref.key, "cache": key}, None
    finally:
        ws.gate.release(token)


def _summary(s: dict):
    gap = f"{100 * s['gap']:.2f}%"
    what = "capability-scenario pair(s)" if s["goal"] == "survive" else "SPOF(s)"
    verdict = ("verified by re-running the analyses" if s["verified"] else
               f"not verified: {s['unbreakable']} {what} no candidate can remove"
               if not s["feasible"] else "not verified")
    return [html.B(f"{s['status'].replace('_', ' ')}, {verdict}. "),
            f"{s['actions']} action(s), total cost {s['cost']:,.6g}; {s['targets_met']} of "
            f"{s['targets']} {what} removed. Bound {s['bound']:,.6g}, LP bound "
            f"{s['lp_bound']:,.6g}, gap {gap}."]


@user_errors(5)
def show_result(ref, key):
    """The plan, the before/after comparison and the residual risk of a cached run."""
    if not isinstance(ref, dict) or not isinstance(ref.get("cache"), str):
        return [], [], [], "", None
    p = loaded(key)
    if ref.get("key") != p.ref.key:
        return [], [], [], "", None
    with workspace().results() as cache:
        tables = cache.get(ref["cache"])
    if tables is None:
        raise InputError("that plan is no longer in the server's cache; run it again")
    return (records(tables["plan"]), records(tables["comparison"], index="capability"),
            records(tables["residual"]), _summary(tables["summary"]), None)


def cancelled(n_clicks):
    if not n_clicks:
        return no_update, no_update, no_update
    return (message("Cancelled: the solve was stopped.", kind="info"),
            "Cancelled: the solve was stopped before it finished; no plan. Press Run to "
            "start again.", 0)


def register(app) -> None:
    app.callback(
        Output(page.CAPABILITIES, "data"),
        Output(page.SCENARIOS, "data"),
        Output(page.MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(page.PAGE_ID, "id"),
    )(lambda key, _page: capability_choices(key))
    app.callback(
        Output(page.TICKET, "data"),
        Output(page.RESULT, "data"),
        Output(page.MESSAGE, "children", allow_duplicate=True),
        Input(page.RUN, "n_clicks"),
        State(page.CAPABILITIES, "value"),
        State(page.GOAL, "value"),
        State(page.KINDS, "value"),
        State(page.BUDGET, "value"),
        State(page.TIME_LIMIT, "value"),
        State(ids.PACKAGE, "data"),
        State(page.SCENARIOS, "value"),
        prevent_initial_call=True,
    )(admit_job)
    background_job(app, run_job, ticket=page.TICKET, result=page.RESULT,
                   message=page.MESSAGE, progress=page.PROGRESS, status=page.STATUS,
                   run=page.RUN, cancel=page.CANCEL)
    app.callback(
        Output(page.PLAN, "rowData"),
        Output(page.COMPARE, "rowData"),
        Output(page.RESIDUAL, "rowData"),
        Output(page.SUMMARY, "children"),
        Output(page.MESSAGE, "children", allow_duplicate=True),
        Input(page.RESULT, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(show_result)
    app.callback(
        Output(page.MESSAGE, "children", allow_duplicate=True),
        Output(page.STATUS, "children", allow_duplicate=True),
        Output(page.PROGRESS, "value", allow_duplicate=True),
        Input(page.CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )(cancelled)
