"""Overview: headline figures, 'what stops this capability?', top risks, supplier map."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..components import geo_config, grid, section
from ..figures import empty_figure
from ..layout import ONE_TAB_STOP, figure_box

PAGE = dict(path="/", name="Overview", order=0, title="riskgraph — overview",
            description="Headline figures, single points of failure per capability, "
                        "top risks and a map of supplier sites.")

SPOF_COLUMNS = [
    ("name", "Single point of failure", "name"),
    ("tier", "Tier", "text"),
    ("depth", "Depth (steps)", "int"),
    ("chain", "Chain to the capability", "wide"),
    ("chain_confidence", "Confidence (lowest)", "float"),
    ("nation_id", "Nation", "text"),
    ("hidden", "Hidden (below tier 1)", "bool"),
    ("capabilities_lost", "Capabilities it stops", "int"),
    ("recovery_days", "Recovery (days)", "days"),
    ("rank", "Risk rank", "int"),
]
TOP_COLUMNS = [
    ("rank", "Rank", "int"),
    ("name", "Failure point", "name"),
    ("kind", "Kind", "text"),
    ("score", "Score (0–100)", "float"),
    ("why", "Why", "wide"),
]


def _controls():
    """Capability picker, kind filter and the one-click what-if's outage."""
    return dmc.Grid([
        dmc.GridCol(dmc.Select(
            id=ids.OV_CAPABILITY, label="Capability (nation and platform)",
            placeholder="type to search, e.g. Poland F-35", searchable=True,
            selectFirstOptionOnChange=True,
            clearable=True, limit=200, nothingFoundMessage="no such capability",
            filter={"function": "everyWord"},
            data=[], maxDropdownHeight=320), span={"base": 12, "md": 6}),
        dmc.GridCol(dmc.SegmentedControl(
            id=ids.OV_KIND, value="all",
            data=[{"value": "all", "label": "All"},
                  {"value": "supplier", "label": "Suppliers"},
                  {"value": "component", "label": "Components"},
                  {"value": "nation", "label": "Nations"}]),
            span={"base": 12, "md": 4}, style={"alignSelf": "flex-end"}),
        dmc.GridCol(dmc.NumberInput(
            id=ids.OV_DAYS, label="What-if outage (days)", value=180, min=1,
            max=3650, step=30, allowDecimal=False), span={"base": 12, "md": 2}),
    ], gutter="sm")


def _count_and_downloads():
    """The count line over the SPOF list, and its downloads."""
    return dmc.Group([
        dmc.Text(id=ids.OV_SPOF_COUNT, size="sm", fw=500),
        dmc.Group([
            dmc.Button("Download list (CSV)", id=ids.OV_SPOF_CSV, variant="light",
                       size="xs"),
            dmc.Button("Workbook (.xlsx)", id=ids.OV_SPOF_XLSX, variant="light",
                       size="xs"),
            dcc.Download(id=ids.OV_DOWNLOAD),
        ], gap="xs"),
    ], justify="space-between", mt=6)


def layout(**_query):
    return html.Div(id=ids.OV_PAGE, children=[
        dcc.Location(id=ids.OV_NAV, refresh="callback-nav"),
        html.Div(id=ids.OV_MESSAGE),
        dmc.SimpleGrid(id=ids.OV_HEADLINES, cols={"base": 2, "sm": 4, "lg": 8}, spacing="sm"),
        section(
            "What single failure stops a capability?",
            _controls(),
            _count_and_downloads(),
            dmc.Text("Ranked by the risk register's score. Depth: steps from the point "
                     "to the capability; confidence: the lowest sourcing confidence on the "
                     "chain shown. Click a row to see what happens if that point is down "
                     "for the outage above, and why.", size="sm", c="dimmed", mt=2, mb=6),
            grid(ids.OV_SPOF_GRID, SPOF_COLUMNS, height=300, extra_options=ONE_TAB_STOP,
                 row_selection="single",
                 getRowId="params.data.failure_point"),
            html.Div(id=ids.OV_ANSWER, className="rg-answer"),
            description="Pick a capability: its single points of failure are listed, most "
                        "serious first; each alone stops the nation fielding the platform.",
        ),
        section(
            "Top risks",
            grid(ids.OV_TOP_RISKS, TOP_COLUMNS, height=340, extra_options=ONE_TAB_STOP,
                 getRowId="params.data.failure_point"),
            description="The risk register's ten highest scores, with the reason. Click a "
                        "row to open that point on the Network page."),
        section(
            "Where the suppliers are",
            figure_box(dcc.Graph(id=ids.OV_MAP, figure=empty_figure("Loading…"),
                                 config=geo_config()),
                       "Map of supplier sites by alignment, sized by how many capabilities "
                       "each stops on its own; the same sites are ranked in the risk "
                       "register"),
            description="Each supplier site, coloured and shaped by its nation's alignment, "
                        "sized by how many capabilities it stops on its own. Click a site to "
                        "open it on the Network page."),
    ])
