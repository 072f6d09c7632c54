"""The Data page's diff: when the tab moves to another package (an upload, or a bundled
one), what changed from the package it used before — rows per table, SPOFs and pairs
gained and lost, exposure and register moves (docs/design.md §7.8). The diff itself is
``riskgraph.analyses.diff.diff_networks`` on the two analyses the workspace already holds.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html, no_update

from riskgraph.analyses.diff import diff_networks
from riskgraph.errors import RiskgraphError

from . import ids
from .components import grid, message, records, section

__all__ = ["panel", "show_diff", "register", "MAX_ROWS"]

#: Rows shown per table (the CLI's `riskgraph diff --out` writes them all).
MAX_ROWS = 500
SPOF_COLUMNS = [("change", "Change", "text"), ("capability", "Capability", "text"),
                ("failure_point", "Failure point", "text"), ("kind", "Kind", "text"),
                ("name", "Name", "wide")]
ROW_COLUMNS = [("table", "Table", "text"), ("change", "Change", "text"),
               ("key", "Key", "text"), ("column", "Column", "text"),
               ("old_value", "Old", "text"), ("new_value", "New", "text")]


def panel():
    """The diff's place on the Data page: empty until the tab changes package. The base
    is kept in the tab's session storage: the page is rebuilt when the package changes."""
    return html.Div([dcc.Store(id=ids.DATA_DIFF_BASE, storage_type="session"),
                     html.Div(id=ids.DATA_DIFF)])


def _table(id_, spec, df, what: str):
    g = grid(id_, spec, height=260)
    g.rowData = records(df.head(MAX_ROWS))
    more = f" (the first {MAX_ROWS:,} of {len(df):,})" if len(df) > MAX_ROWS else ""
    return dmc.Stack([dmc.Text(f"{what}{more}", size="sm", fw=500), g], gap=4)


def show_diff(key, base):
    """(diff view, new base): the diff from ``base`` to ``key`` when they differ."""
    from .callbacks.common import loaded
    from .state import workspace

    key = key or workspace().default_key()  # a new tab looks at the default package
    if not base or base == key:
        return (no_update if base else None), key
    try:
        old, new = loaded(base), loaded(key)
        result = diff_networks(old.network, new.network, old_analysis=old.analysis,
                               new_analysis=new.analysis,
                               names=(old.ref.name, new.ref.name))
    except RiskgraphError as err:  # InputError included
        return message(f"Cannot compare with the package used before: {err}"), key
    view = section(
        f"What changed from {old.ref.name}",
        html.Pre(result.text(), className="rg-diff-summary",
                 style={"whiteSpace": "pre-wrap", "fontSize": "13px"}),
        _table(ids.DATA_DIFF_SPOF, SPOF_COLUMNS, result.spof, "SPOFs gained and lost"),
        _table(ids.DATA_DIFF_ROWS, ROW_COLUMNS, result.rows, "Rows changed"),
        description="Against the package this tab used before; `riskgraph diff OLD NEW "
                    "--out DIR` writes every table.")
    return view, key


def register(app) -> None:
    app.callback(
        Output(ids.DATA_DIFF, "children"),
        Output(ids.DATA_DIFF_BASE, "data"),
        Input(ids.PACKAGE, "data"),
        Input(ids.DATA_PAGE, "id"),  # fires when the page appears, as describe_current
        State(ids.DATA_DIFF_BASE, "data"),
    )(lambda key, _page, base: show_diff(key, base))
