"""Risk register callbacks: the register grid, search, per-capability tables, download."""

from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, no_update

from riskgraph.views import capability_pairs, capability_spofs, search_table
from riskgraph.views.why import spof_list

from .. import ids
from ..components import message, options, records
from ..export import send_tables, zip_outputs
from .common import check_choice, check_id, loaded, user_errors

__all__ = ["fill_register", "search_register", "capability_tables", "download_table",
           "download_sheet", "download_capability", "sheet_format", "register"]


#: Most register rows sent to the grid: a 100,000-row register is searched on the server.
MAX_ROWS = 1000


def _register_rows(p, text=None) -> tuple[list[dict], object]:
    """The register rows matching ``text`` (first MAX_ROWS), and a note when cut."""
    reg = p.analysis.risk_register
    rows = search_table(reg, text, limit=MAX_ROWS,
                        haystack=p.register_text if text else None)
    note = None
    if len(rows) == MAX_ROWS and len(reg) > MAX_ROWS:
        note = message(f"Showing the first {MAX_ROWS:,} of {len(reg):,} rows, highest risk "
                       "first: search to find the others, or download the whole table.",
                       kind="info")
    return records(rows, index="failure_point"), note


@user_errors(6)
def fill_register(key, _page, remembered):
    p = loaded(key)
    tables = list(p.analysis.tables())
    caps = p.capability_options
    value = remembered if isinstance(remembered, str) and remembered in caps.index else None
    rows, note = _register_rows(p)
    return (rows, [{"value": t, "label": t} for t in tables], "risk_register.csv",
            options(caps), value, note)


@user_errors(2)
def search_register(text, key):
    """The register rows with every word of ``text`` in some column (on the server, so
    the browser never holds a 100,000-row register)."""
    return _register_rows(loaded(key), text)


@user_errors(4)
def capability_tables(capability, key):
    if not capability:
        return [], [], no_update, None
    p = loaded(key)
    capability = check_id(p, capability, "capability", kinds=("capability",))
    # nodes only: the analysis may also list export-control vetoes (veto:X)
    spofs = capability_spofs(p.network, p.analysis, capability,
                             kinds=("nation", "supplier", "component"))
    pairs = capability_pairs(p.network, p.analysis, capability)
    return records(spofs, index="failure_point"), records(pairs), capability, None


@user_errors(2)
def download_table(n_clicks, table, key):
    """The chosen analysis table as the CLI writes it: a zip of the CSV and manifest."""
    if not n_clicks:
        return no_update, None
    p = loaded(key)
    tables = p.analysis.tables()
    table = check_choice(table, "table", list(tables))
    data = zip_outputs({table: tables[table]}, command=f"riskgraph dashboard: {table}",
                       package=p.network.package, parameters=p.analysis.parameters,
                       seed=p.analysis.parameters.get("seed"))
    stem = table.removesuffix(".csv")
    return dcc.send_bytes(data, f"riskgraph-{stem}-{p.ref.key[:8]}.zip"), None


def sheet_format(xlsx_button: str) -> str:
    """``xlsx`` when the workbook button fired this callback, else ``csv``."""
    return "xlsx" if ctx.triggered_id == xlsx_button else "csv"


@user_errors(2)
def download_sheet(n_csv, n_xlsx, table, text, key, fmt=None):
    """The chosen table for spreadsheets (CSV or workbook); the register keeps only the
    rows its search finds, as the grid shows them."""
    if not (n_csv or n_xlsx):
        return no_update, None
    p = loaded(key)
    tables = p.analysis.tables()
    table = check_choice(table, "table", list(tables))
    df = tables[table]
    note = f"{table} of package {p.ref.name}"
    if table == "risk_register.csv" and isinstance(text, str) and text.strip():
        reg = p.analysis.risk_register
        df = search_table(reg, text, limit=len(reg), haystack=p.register_text)
        note += f", rows matching {text.strip()!r}"
    fmt = fmt or sheet_format(ids.REG_XLSX_BUTTON)
    stem = f"riskgraph-{table.removesuffix('.csv')}-{p.ref.key[:8]}"
    return send_tables({table: df}, p.network, fmt, stem, note=note), None


@user_errors(2)
def download_capability(n_csv, n_xlsx, capability, key, fmt=None):
    """One capability's SPOF list (with depth and chain) and its critical pairs."""
    if not (n_csv or n_xlsx) or not capability:
        return no_update, None
    p = loaded(key)
    capability = check_id(p, capability, "capability", kinds=("capability",))
    spofs = spof_list(p.network, p.analysis, capability)
    pairs = capability_pairs(p.network, p.analysis, capability)
    fmt = fmt or sheet_format(ids.REG_SPOF_XLSX)
    stem = "riskgraph-spofs-" + capability.split(":", 1)[1].replace("/", "-")
    label = p.capability_options.at[capability, "label"]
    return send_tables({"spofs": spofs, "critical_pairs": pairs}, p.network, fmt, stem,
                       note=f"single points of failure of {label}"), None


def register(app) -> None:
    app.callback(
        Output(ids.REG_GRID, "rowData"),
        Output(ids.REG_TABLE, "data"),
        Output(ids.REG_TABLE, "value"),
        Output(ids.REG_CAPABILITY, "data"),
        Output(ids.REG_CAPABILITY, "value"),
        Output(ids.REG_MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(ids.REG_PAGE, "id"),
        State(ids.CAPABILITY, "data"),
    )(fill_register)
    app.callback(
        Output(ids.REG_GRID, "rowData", allow_duplicate=True),
        Output(ids.REG_MESSAGE, "children", allow_duplicate=True),
        Input(ids.REG_SEARCH, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(search_register)
    app.callback(
        Output(ids.REG_SPOF_GRID, "rowData"),
        Output(ids.REG_PAIRS_GRID, "rowData"),
        Output(ids.CAPABILITY, "data", allow_duplicate=True),
        Output(ids.REG_MESSAGE, "children", allow_duplicate=True),
        Input(ids.REG_CAPABILITY, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(capability_tables)
    app.callback(
        Output(ids.REG_DOWNLOAD, "data"),
        Output(ids.REG_MESSAGE, "children", allow_duplicate=True),
        Input(ids.REG_DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.REG_TABLE, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download_table)
    app.callback(
        Output(ids.REG_SHEET_DOWNLOAD, "data"),
        Output(ids.REG_MESSAGE, "children", allow_duplicate=True),
        Input(ids.REG_CSV_BUTTON, "n_clicks"),
        Input(ids.REG_XLSX_BUTTON, "n_clicks"),
        State(ids.REG_TABLE, "value"),
        State(ids.REG_SEARCH, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download_sheet)
    app.callback(
        Output(ids.REG_SHEET_DOWNLOAD, "data", allow_duplicate=True),
        Output(ids.REG_MESSAGE, "children", allow_duplicate=True),
        Input(ids.REG_SPOF_CSV, "n_clicks"),
        Input(ids.REG_SPOF_XLSX, "n_clicks"),
        State(ids.REG_CAPABILITY, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download_capability)
