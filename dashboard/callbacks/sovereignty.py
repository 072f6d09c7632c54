"""Sovereignty page callbacks: choices, the coalition's tables, the download."""

from __future__ import annotations

from collections import OrderedDict

from dash import Input, Output, State, dcc, no_update

from riskgraph.views.sovereignty import (coalition_choices, regime_choices,
                                         sovereignty_summary, sovereignty_tables)

from .. import ids
from ..components import records
from ..export import zip_outputs
from .common import check_choice, loaded, user_errors

__all__ = ["fill_choices", "show_coalition", "download", "register"]

#: Results kept per (package, coalition, regime): a coalition search is seconds of work.
_MEMO: OrderedDict = OrderedDict()
_MEMO_SIZE = 8


def _tables(p, coalition: str, regime: str) -> dict:
    key = (p.ref.key, coalition, regime)
    if key not in _MEMO:
        _MEMO[key] = sovereignty_tables(p.network, coalition, regime=regime,
                                        analysis=p.analysis)
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return _MEMO[key]


@user_errors(4)
def fill_choices(key, _page):
    p = loaded(key)
    # nothing picked at first: a coalition's search takes seconds, run it when asked
    return coalition_choices(p.network), None, regime_choices(p.network), None


@user_errors(7)
def show_coalition(coalition, regime, key):
    if not coalition:
        return [], [], [], [], None, "", None
    p = loaded(key)
    coalition = check_choice(coalition, "coalition",
                             [c["value"] for c in coalition_choices(p.network)])
    regime = check_choice(regime, "regime", regime_choices(p.network))
    tables = _tables(p, coalition, regime)
    return (records(tables["coalition_survivability.csv"]),
            records(tables["foreign_control.csv"]),
            records(tables["data_gaps.csv"]),
            list(tables), "coalition_survivability.csv",
            sovereignty_summary(tables, coalition), None)


@user_errors(2)
def download(n_clicks, coalition, regime, table, key):
    """One table as ``riskgraph sovereignty`` writes it: a zip of the CSV and manifest."""
    if not n_clicks or not coalition:
        return no_update, None
    p = loaded(key)
    coalition = check_choice(coalition, "coalition",
                             [c["value"] for c in coalition_choices(p.network)])
    regime = check_choice(regime, "regime", regime_choices(p.network))
    tables = _tables(p, coalition, regime)
    table = check_choice(table, "table", list(tables))
    data = zip_outputs({table: tables[table]},
                       command=f"riskgraph dashboard: sovereignty {coalition}",
                       package=p.network.package,
                       parameters={"coalition": coalition, "regime": regime})
    stem = f"riskgraph-{table.removesuffix('.csv')}-{coalition}-{p.ref.key[:8]}"
    return dcc.send_bytes(data, f"{stem}.zip"), None


def register(app) -> None:
    app.callback(
        Output(ids.SOV_COALITION, "data"),
        Output(ids.SOV_COALITION, "value"),
        Output(ids.SOV_REGIME, "data"),
        Output(ids.SOV_MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(ids.SOV_PAGE, "id"),
    )(fill_choices)
    app.callback(
        Output(ids.SOV_SURVIVAL_GRID, "rowData"),
        Output(ids.SOV_CONTROL_GRID, "rowData"),
        Output(ids.SOV_GAPS_GRID, "rowData"),
        Output(ids.SOV_TABLE, "data"),
        Output(ids.SOV_TABLE, "value"),
        Output(ids.SOV_SUMMARY, "children"),
        Output(ids.SOV_MESSAGE, "children", allow_duplicate=True),
        Input(ids.SOV_COALITION, "value"),
        Input(ids.SOV_REGIME, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(show_coalition)
    app.callback(
        Output(ids.SOV_DOWNLOAD, "data"),
        Output(ids.SOV_MESSAGE, "children", allow_duplicate=True),
        Input(ids.SOV_DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.SOV_COALITION, "value"),
        State(ids.SOV_REGIME, "value"),
        State(ids.SOV_TABLE, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download)
