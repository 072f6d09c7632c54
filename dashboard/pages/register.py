"""Risk register & SPOFs: the ranked register, per-capability SPOFs and pairs, CSV export."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..components import grid, section
from ..layout import ONE_TAB_STOP

PAGE = dict(path="/register", name="Risk register & SPOFs", order=2,
            title="riskgraph — risk register",
            description="Every failure point ranked and explained; SPOFs and critical pairs.")

REGISTER_COLUMNS = [
    ("rank", "Rank", "int"),
    ("name", "Failure point", "name"),
    ("kind", "Kind", "text"),
    ("nation_id", "Nation", "text"),
    ("score", "Score (0–100)", "float"),
    ("capabilities_lost", "Capabilities it stops", "int"),
    ("nations_lost", "Nations hit", "int"),
    ("why", "Why (all measures are in the CSV download)", "wide"),
]
SPOF_COLUMNS = [
    ("name", "Single point of failure", "name"),
    ("kind", "Kind", "text"),
    ("nation_id", "Nation", "text"),
    ("hidden", "Hidden", "bool"),
    ("capabilities_lost", "Capabilities it stops", "int"),
    ("rank", "Risk rank", "int"),
]
PAIR_COLUMNS = [
    ("name_a", "Failure point A", "name"),
    ("kind_a", "Kind A", "text"),
    ("name_b", "Failure point B", "name"),
    ("kind_b", "Kind B", "text"),
]


def layout(**_query):
    return html.Div(id=ids.REG_PAGE, children=[
        html.Div(id=ids.REG_MESSAGE),
        section(
            "Risk register",
            dmc.Group([
                dmc.TextInput(id=ids.REG_SEARCH, placeholder="search every column…",
                              w=320, debounce=250, **{"aria-label": "search the register"}),
                dmc.Select(id=ids.REG_TABLE, data=[], w=260, allowDeselect=False,
                           **{"aria-label": "table to download"}),
                dmc.Button("Download CSV + manifest (zip)", id=ids.REG_DOWNLOAD_BUTTON,
                           variant="light"),
                dmc.Button("CSV for spreadsheets", id=ids.REG_CSV_BUTTON, variant="light"),
                dmc.Button("Workbook (.xlsx)", id=ids.REG_XLSX_BUTTON, variant="light"),
                dcc.Download(id=ids.REG_DOWNLOAD),
                dcc.Download(id=ids.REG_SHEET_DOWNLOAD),
            ], gap="sm", mb="xs"),
            grid(ids.REG_GRID, REGISTER_COLUMNS, height=460, extra_options=ONE_TAB_STOP,
                 getRowId="params.data.failure_point"),
            description="One row per nation, supplier and component, ranked by a weighted, "
                        "explained score. Sort and filter any column. The zip is the same "
                        "formula-safe CSV files as `riskgraph analyse`, with their manifest; "
                        "the spreadsheet CSV and workbook add names beside ids, round to 4 "
                        "decimals and keep only the rows the search finds.",
        ),
        section(
            "Per capability",
            dmc.Group([
                dmc.Select(id=ids.REG_CAPABILITY, label="Capability", searchable=True,
                           clearable=True, data=[], limit=200, w=480,
                           filter={"function": "everyWord"}, selectFirstOptionOnChange=True,
                           placeholder="type to search, e.g. Poland F-35"),
                dmc.Button("Its SPOFs (CSV)", id=ids.REG_SPOF_CSV, variant="light"),
                dmc.Button("SPOFs and pairs (.xlsx)", id=ids.REG_SPOF_XLSX,
                           variant="light"),
            ], gap="sm", align="flex-end"),
            dmc.Grid([
                dmc.GridCol([dmc.Text("Single points of failure", fw=600, mt="sm"),
                             grid(ids.REG_SPOF_GRID, SPOF_COLUMNS, height=320,
                                  extra_options=ONE_TAB_STOP)],
                            span={"base": 12, "xl": 7}),
                dmc.GridCol([dmc.Text("Critical pairs (both must fail)", fw=600, mt="sm"),
                             grid(ids.REG_PAIRS_GRID, PAIR_COLUMNS, height=320,
                                  extra_options=ONE_TAB_STOP)],
                            span={"base": 12, "xl": 5}),
            ], gutter="md"),
        ),
    ])
