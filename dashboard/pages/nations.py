"""Nations: exposure heatmap, dependence on one nation (map), alliance-only survivability."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..components import geo_config, section
from ..figures import empty_figure
from ..layout import figure_box

PAGE = dict(path="/nations", name="Nations", order=3, title="riskgraph — nations",
            description="What each nation's failure costs, and what survives on "
                        "alliance-only supply.")


def layout(**_query):
    return html.Div(id=ids.NAT_PAGE, children=[
        html.Div(id=ids.NAT_MESSAGE),
        section(
            "If one nation fails (embargo, conflict)",
            dmc.MultiSelect(id=ids.NAT_PLATFORM, label="Platforms (all if empty)", data=[],
                            searchable=True, clearable=True, w=520,
                            selectFirstOptionOnChange=True,
                            filter={"function": "everyWord"}),
            dmc.Group([
                dmc.Text(id=ids.NAT_ANSWER, size="sm", fw=500, style={"flex": 1}),
                dmc.Group([
                    dmc.Button("Heatmap data (CSV)", id=ids.NAT_CSV, variant="light",
                               size="xs"),
                    dmc.Button("Workbook (.xlsx)", id=ids.NAT_XLSX, variant="light",
                               size="xs"),
                    dcc.Download(id=ids.NAT_DOWNLOAD),
                ], gap="xs"),
            ], justify="space-between", align="flex-start", mt="xs"),
            figure_box(dcc.Graph(id=ids.NAT_HEATMAP, figure=empty_figure("Loading…"),
                                 config={"displaylogo": False}),
                       "Heatmap: supply each capability loses if one nation fails; the "
                       "sentence above names the most damaging nation, and the data can be "
                       "downloaded"),
            description="Share of each capability's supply lost when the nation at the top "
                        "stops supplying, through the whole deep tree (suppliers it hosts or "
                        "owns). Only nations whose failure costs something are shown, most "
                        "damaging first; the bar is the ranking measure (mean supply lost "
                        "over the capabilities shown). Rows are grouped by platform.",
        ),
        section(
            "Dependence on one nation",
            dmc.Select(id=ids.NAT_FAILING, label="Nation that fails", data=[], w=360,
                       searchable=True, allowDeselect=False,
                       filter={"function": "everyWord"}, selectFirstOptionOnChange=True),
            figure_box(dcc.Graph(id=ids.NAT_CHOROPLETH, figure=empty_figure("Loading…"),
                                 config=geo_config()),
                       "Map: mean share of supply each fielding nation loses if the chosen "
                       "nation fails"),
            description="Mean share of supply each fielding nation loses across its "
                        "capabilities.",
        ),
        section(
            "Alliance-only survivability",
            dmc.Switch(id=ids.NAT_PARTNERS, label="Count partner nations as allies",
                       checked=False, mb="xs"),
            dmc.Text(id=ids.NAT_SURV_SUMMARY, size="sm", mb="xs"),
            figure_box(dcc.Graph(id=ids.NAT_SURVIVABILITY, figure=empty_figure("Loading…"),
                                 config={"displaylogo": False}),
                       "Heatmap: supply each capability loses on alliance-only sources; the "
                       "sentence above summarises it"),
            description="What each capability keeps when every non-allied source is lost "
                        "at once.",
        ),
    ])
