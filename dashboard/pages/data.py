"""Data: switch between bundled packages or upload one; see every validation problem."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import diffview, ids
from ..components import grid, section
from ..uploads import UploadLimits

PAGE = dict(path="/data", name="Data", order=6, title="riskgraph — data",
            description="Choose or upload a data package.")

ISSUE_COLUMNS = [
    ("severity", "Severity", "text"),
    ("file", "File", "text"),
    ("line", "Line", "int"),
    ("column", "Column", "text"),
    ("value", "Value", "text"),
    ("message", "Problem", "wide"),
]


def layout(**_query):
    limit_mb = UploadLimits().max_upload_bytes // 2**20
    return html.Div(id=ids.DATA_PAGE, children=[
        html.Div(id=ids.DATA_MESSAGE),
        dmc.Paper(id=ids.DATA_CURRENT, withBorder=True, p="md", radius="md"),
        section(
            "Bundled packages",
            dmc.Group([
                dmc.Select(id=ids.DATA_BUNDLED, data=[], w=360, allowDeselect=False,
                           **{"aria-label": "bundled package"}),
                dmc.Button("Use this package", id=ids.DATA_USE),
            ], gap="sm"),
        ),
        section(
            "Upload a package",
            dcc.Upload(
                id=ids.DATA_UPLOAD, multiple=True, max_size=limit_mb * 2**20,
                accept=".zip,.csv,.toml",
                children=html.Div([
                    "Drop a .zip of the package folder, or its CSV files, here — or ",
                    html.A("choose files", href="#", role="button"),
                ]),
                style={"border": "2px dashed #adb5bd", "borderRadius": "8px",
                       "padding": "28px", "textAlign": "center", "background": "#f8f9fa",
                       "cursor": "pointer"},
            ),
            description=f"nations.csv, suppliers.csv, components.csv, sourcing.csv, "
                        f"fielding.csv, optional bom.csv and scenarios.toml; up to {limit_mb} "
                        f"MiB. It is checked in full; nothing is loaded while it has errors.",
        ),
        section("Problems found", grid(ids.DATA_ISSUES, ISSUE_COLUMNS, height=360),
                description="Every problem at once, with the file, line (the header is "
                            "line 1), column and value."),
        diffview.panel(),  # what changed from the package used before (issue 15)
    ])
