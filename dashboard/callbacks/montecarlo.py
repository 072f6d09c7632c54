"""Monte Carlo callbacks: admission (one job per server), the background job, results.

Flow: *Run* asks :func:`admit_job` for the server's single job slot. If it is taken, the
user is told the server is busy (and by what) and nothing starts. If it is free, the slot's
ticket goes into a store, which starts :func:`run_job` as a Dash background callback (a
process of its own) with a progress bar and a *Cancel* button. The job claims the slot
with its process id, runs only the parameters admitted on the server, saves the result in
the workspace's result cache (keyed by package hash, trials and seed) and frees the slot;
a cancelled (killed) job's slot is taken over by the next request. A result already in the
cache is shown at once, without a job.
"""

from __future__ import annotations

import os
import time

from dash import Input, Output, State, dcc, html, no_update

from riskgraph.analyses.montecarlo import monte_carlo
from riskgraph.views import importance_views, nation_names

from .. import figures, ids
from ..components import message, records
from ..export import zip_outputs
from ..pages.montecarlo import MAX_TRIALS, MIN_TRIALS
from ..state import InputError, workspace
from .common import background_job, check_number, loaded, user_errors

__all__ = ["admit_job", "run_job", "show_result", "download_result", "register",
           "result_key", "cancelled", "check_trials"]


def result_key(package_key: str, trials: int, seed: int) -> str:
    return f"mc:{package_key}:{trials}:{seed}"


def _ref(p, trials, seed) -> dict:
    return {"key": p.ref.key, "trials": trials, "seed": seed,
            "cache": result_key(p.ref.key, trials, seed)}


def check_trials(value) -> int:
    """The number of trials, with its range written as people write numbers."""
    trials = check_number(value, "trials", lo=float("-inf"), hi=float("inf"), integer=True)
    if not MIN_TRIALS <= trials <= MAX_TRIALS:
        raise InputError(f"trials must be between {MIN_TRIALS:,} and {MAX_TRIALS:,}, "
                         f"got {trials:,}")
    return trials


@user_errors(3)
def admit_job(n_clicks, trials, seed, key):
    """Take the server's one Monte Carlo slot, or say who holds it."""
    if not n_clicks:
        return no_update, no_update, None
    p = loaded(key)
    trials = check_trials(trials)
    seed = check_number(seed, "seed", lo=0, hi=2**31 - 1, integer=True)
    ws = workspace()
    with ws.results() as cache:
        if result_key(p.ref.key, trials, seed) in cache:
            return no_update, _ref(p, trials, seed), message(
                "Shown from this server's cache (same package, trials and seed).",
                kind="info")
    ticket, holder = ws.gate.acquire(f"{trials:,} trials on {p.ref.name}",
                                     {"key": p.ref.key, "trials": trials, "seed": seed})
    if ticket is None:
        since = time.strftime("%H:%M:%S", time.localtime(holder["since"]))
        return no_update, no_update, message(
            f"The server is busy with another Monte Carlo job ({holder['what']}, started "
            f"{since}); only one runs at a time. Try again when it has finished.",
            kind="warning", title="Busy")
    return {"ticket": ticket}, no_update, None


def run_job(set_progress, ticket):
    """The background job: run the admitted simulation, report progress, cache the result."""
    if not isinstance(ticket, dict):
        return no_update, None
    ws = workspace()
    token = ticket.get("ticket")
    params = ws.gate.attach(token, os.getpid())
    if params is None:
        return no_update, message("This job was not admitted (or already ran); press Run.")
    try:
        p = ws.get(params["key"])
        total = params["trials"]
        step = [0]

        def progress(done, _total):
            pct = int(100 * done / total)
            if pct != step[0]:  # at most 100 updates
                step[0] = pct
                set_progress((pct, f"{done:,} of {total:,} trials…"))

        set_progress((0, f"Starting {total:,} trials…"))
        result = monte_carlo(p.network, trials=total, seed=params["seed"], progress=progress)
        with ws.results() as cache:
            cache.set(result_key(p.ref.key, total, params["seed"]), result)
        set_progress((100, f"Done: {total:,} trials, seed {params['seed']}."))
        return _ref(p, total, params["seed"]), None
    finally:
        ws.gate.release(token)


def _answer(caps, ref) -> list:
    """The status line: the run and the capability most likely lost within a year."""
    run = f"{ref['trials']:,} trials, seed {ref['seed']}: results below (the same trials " \
          "and seed always give these numbers)."
    if caps.empty:
        return [run]
    top = caps.iloc[0]
    return [run, " Most likely lost within a year: ", html.B(top["name"]),
            f", {100 * top['p_unavailable']:.1f}% a year (95% CI "
            f"{100 * top['ci_low']:.1f}–{100 * top['ci_high']:.1f}%)."]


def _blank(text: str):
    return figures.empty_figure(text)


@user_errors(6)
def show_result(ref, key):
    """The result tables and both importance charts of a cached run."""
    if not isinstance(ref, dict) or not isinstance(ref.get("cache"), str):
        blank = _blank("Run a simulation to see importance.")
        return [], [], blank, blank, no_update, None
    p = loaded(key)
    if ref.get("key") != p.ref.key:
        blank = _blank("Run a simulation for this package.")
        return [], [], blank, blank, "", None
    with workspace().results() as cache:
        result = cache.get(ref["cache"])
    if result is None:
        raise InputError("that result is no longer in the server's cache; run it again")
    caps = result.capabilities.assign(
        name=p.network.capabilities["name"].reindex(result.capabilities.index).to_numpy()
    ).sort_values("p_unavailable", ascending=False, kind="stable")  # most at risk first
    names = nation_names(p.network)
    nations = result.nations.assign(
        name=[names.get(n, n) for n in result.nations["nation_id"]]
    ).sort_values("expected_capabilities_lost", ascending=False, kind="stable")
    views = importance_views(result.ranking)
    raw = figures.importance_chart(views["if_failed"], value="raw_max",
                                   label="RAW: would matter if it failed")
    weighted = figures.importance_chart(views["given_probability"], value="birnbaum_x_p",
                                        label="Birnbaum × p: capabilities lost a year")
    return (records(caps, index="capability"), records(nations, index="nation"), raw,
            weighted, _answer(caps, ref), None)


@user_errors(2)
def download_result(n_clicks, ref, key):
    if not n_clicks:
        return no_update, None
    if not isinstance(ref, dict) or not isinstance(ref.get("cache"), str):
        raise InputError("run a simulation first")
    p = loaded(key)
    with workspace().results() as cache:
        result = cache.get(ref["cache"])
    if result is None or ref.get("key") != p.ref.key:
        raise InputError("that result is no longer in the server's cache; run it again")
    data = zip_outputs(result.tables(), command="riskgraph dashboard: Monte Carlo",
                       package=p.network.package, parameters=result.parameters,
                       seed=result.parameters.get("seed"))
    return dcc.send_bytes(data, f"riskgraph-montecarlo-{p.ref.key[:8]}.zip"), None


def cancelled(n_clicks):
    """Say so when a job is cancelled (its process is killed by Dash): the message, and a
    status and progress bar that no longer show the trials counted so far."""
    if not n_clicks:
        return no_update, no_update, no_update
    return (message("Cancelled: the job was stopped.", kind="info"),
            "Cancelled: the job was stopped before it finished; no results. Press Run to "
            "start again.", 0)


def register(app) -> None:
    app.callback(
        Output(ids.MC_TICKET, "data"),
        Output(ids.MC_RESULT, "data"),
        Output(ids.MC_MESSAGE, "children"),
        Input(ids.MC_RUN, "n_clicks"),
        State(ids.MC_TRIALS, "value"),
        State(ids.MC_SEED, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(admit_job)
    background_job(app, run_job, ticket=ids.MC_TICKET, result=ids.MC_RESULT,
                   message=ids.MC_MESSAGE, progress=ids.MC_PROGRESS, status=ids.MC_STATUS,
                   run=ids.MC_RUN, cancel=ids.MC_CANCEL)
    app.callback(
        Output(ids.MC_GRID, "rowData"),
        Output(ids.MC_NATIONS, "rowData"),
        Output(ids.MC_IMPORTANCE, "figure"),
        Output(ids.MC_IMPORTANCE_P, "figure"),
        Output(ids.MC_STATUS, "children", allow_duplicate=True),
        Output(ids.MC_MESSAGE, "children", allow_duplicate=True),
        Input(ids.MC_RESULT, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(show_result)
    app.callback(
        Output(ids.MC_DOWNLOAD, "data"),
        Output(ids.MC_MESSAGE, "children", allow_duplicate=True),
        Input(ids.MC_DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.MC_RESULT, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download_result)
    app.callback(
        Output(ids.MC_MESSAGE, "children", allow_duplicate=True),
        Output(ids.MC_STATUS, "children", allow_duplicate=True),
        Output(ids.MC_PROGRESS, "value", allow_duplicate=True),
        Input(ids.MC_CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )(cancelled)
