"""The What-if page's Allocate view: run the LP for the scenario being edited."""

from __future__ import annotations

from dash import Input, Output, State, no_update

from riskgraph.analyses.allocation import allocate

from .. import ids
from ..components import records
from ..pages import allocate as view
from .common import check_choice, loaded, user_errors
from .whatif import spec_to_scenario

__all__ = ["run_allocation", "results_hidden", "register"]


@user_errors(4)
def run_allocation(n_clicks, objective, spec, key):
    """Capability and nation rows of the allocation, and a one-line verdict."""
    if not n_clicks:
        return no_update, no_update, no_update, None
    p = loaded(key)
    objective = check_choice(objective, "objective", [o["value"] for o in view.OBJECTIVES])
    res = allocate(p.network, spec_to_scenario(spec), objective=objective)
    table = res.summary
    caps = table[table["level"] == "capability"]
    nations = table[table["level"] == "nation"]
    status = res.text().splitlines()[:3]
    return records(caps), records(nations), "; ".join(status), None


def results_hidden(rows) -> bool:
    """The allocation grids stay hidden until they have rows."""
    return not rows


def register(app) -> None:
    app.callback(Output(view.RESULTS, "hidden"), Input(view.CAPABILITIES, "rowData"))(
        results_hidden)
    app.callback(
        Output(view.CAPABILITIES, "rowData"),
        Output(view.NATIONS, "rowData"),
        Output(view.STATUS, "children"),
        Output(view.MESSAGE, "children"),
        Input(view.RUN, "n_clicks"),
        State(view.OBJECTIVE, "value"),
        State(ids.WI_SPEC_A, "data"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(run_allocation)
