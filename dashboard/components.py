"""Small building blocks shared by the pages: messages, grids, cards, option lists."""

from __future__ import annotations

import math

import dash_ag_grid as dag
import dash_mantine_components as dmc
import pandas as pd
from dash import html

__all__ = ["grid", "message", "options", "records", "stat_card", "column_defs",
           "OPTION_LIMIT"]

#: Most options sent to a picker at once: longer lists (100,000 suppliers and components)
#: are searched on the server as the user types, so the browser never receives them all.
OPTION_LIMIT = 300


def message(text, kind: str = "error", title: str | None = None):
    """An alert for a message to the user (``kind``: error, warning, info, success)."""
    if not text:
        return None
    colour = {"error": "red", "warning": "yellow", "info": "blue", "success": "green"}[kind]
    title = title or {"error": "Cannot do that", "warning": "Note", "info": "Note",
                      "success": "Done"}[kind]
    return dmc.Alert(text, title=title, color=colour, withCloseButton=True,
                     className="rg-message")


def _plain(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None
    return v


def records(df: pd.DataFrame, *, index: str | None = None) -> list[dict]:
    """JSON-ready rows of a table (NaN as null); the index as a column named ``index``."""
    if index is not None:
        df = df.reset_index(names=index) if df.index.name != index or index not in df \
            else df.reset_index(drop=True)
    cols = list(df.columns)
    return [{c: _plain(v) for c, v in zip(cols, row)}
            for row in df.itertuples(index=False, name=None)]


_NUMBER_FORMATS = {
    "percent": {"function": "params.value == null ? '' : d3.format('.0%')(params.value)"},
    "float": {"function": "params.value == null ? '' : d3.format(',.2f')(params.value)"},
    "int": {"function": "params.value == null ? '' : d3.format(',d')(params.value)"},
    "days": {"function": "params.value == null ? '—' : d3.format(',.0f')(params.value)"},
    "prob": {"function": "params.value == null ? '' : d3.format('.3f')(params.value)"},
}


def column_defs(spec) -> list[dict]:
    """AG Grid column definitions from ``(field, header, kind)`` triples.

    ``kind`` is ``text``, ``name`` (a wider text column), ``int``, ``float``, ``percent``,
    ``days``, ``prob``, ``bool`` or ``wide`` (long text that wraps).
    """
    out = []
    for field, header, kind in spec:
        col = {"field": field, "headerName": header, "headerTooltip": header,
               "sortable": True, "filter": True, "resizable": True}
        if kind in _NUMBER_FORMATS:
            col["valueFormatter"] = _NUMBER_FORMATS[kind]
            col["filter"] = "agNumberColumnFilter"
            col["type"] = "rightAligned"
            col.update(minWidth=80, maxWidth=170)
        elif kind == "bool":
            col["cellDataType"] = "boolean"
        elif kind == "wide":
            col.update(wrapText=True, autoHeight=True, flex=4, minWidth=300)
        elif kind == "name":
            col.update(flex=2, minWidth=200, tooltipField=field)
        if kind != "wide":
            col.setdefault("minWidth", 90)
        out.append(col)
    return out


def grid(id, spec, *, height: int = 420, row_selection: str | None = None,
         quick_filter: str | None = None, extra_options: dict | None = None,
         defs: list | None = None, **kw):
    """An AG Grid with sort, filter and resize on every column (``defs``: ready-made
    column definitions instead of ``spec`` triples)."""
    options = {"animateRows": False, "pagination": False,
               "tooltipShowDelay": 300, "enableCellTextSelection": True}
    if row_selection == "single":  # click a row to select it
        options["rowSelection"] = {"mode": "singleRow", "checkboxes": False,
                                   "enableClickSelection": True}
    elif row_selection == "multi":  # tick boxes (clicks are for editing)
        options["rowSelection"] = {"mode": "multiRow", "checkboxes": True,
                                   "headerCheckbox": True, "enableClickSelection": False}
    if quick_filter is not None:
        options["quickFilterText"] = quick_filter
    if extra_options:
        options.update(extra_options)
    return dag.AgGrid(
        id=id,
        columnDefs=defs if defs is not None else column_defs(spec),
        rowData=[],
        defaultColDef={"flex": 1, "minWidth": 90, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions=options,
        style={"height": f"{height}px", "width": "100%"},
        **kw,
    )


def stat_card(label: str, value, hint: str | None = None):
    """One headline number."""
    return dmc.Paper(
        [dmc.Text(label, size="xs", c="dimmed", tt="uppercase", fw=600),
         dmc.Text(str(value), size="xl", fw=700, className="rg-stat-value"),
         dmc.Text(hint, size="xs", c="dimmed") if hint else None],
        withBorder=True, p="sm", radius="md", className="rg-stat",
    )


def options(df: pd.DataFrame, label: str = "label") -> list[dict]:
    """Select options (value = index, label = column) from an options table."""
    return [{"value": str(i), "label": str(v)} for i, v in zip(df.index, df[label])]


def section(title: str, *children, description: str | None = None):
    """A titled block of a page."""
    return html.Section(
        [dmc.Title(title, order=3, mt="md", mb=4),
         dmc.Text(description, size="sm", c="dimmed", mb="xs") if description else None,
         *children],
        className="rg-section",
    )


def geo_config() -> dict:
    """dcc.Graph config of a map: the world outline comes from this app's assets."""
    import dash

    return {"displaylogo": False, "topojsonURL": dash.get_asset_url("")}
