"""Sovereignty: what a nation or coalition fields alone, which vetoes ground which fleets,
and the data gaps behind the answer (docs/design.md §4.9)."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..components import grid, section

PAGE = dict(path="/sovereignty", name="Sovereignty", order=8,
            title="riskgraph — sovereignty",
            description="What a nation or coalition can field alone when everyone outside "
                        "fails and refuses licences.")

SURVIVAL_COLUMNS = [
    ("nation_id", "Nation", "text"),
    ("platform_id", "Platform", "text"),
    ("up", "Fields it alone", "bool"),
    ("supply_fraction", "Supply (of baseline)", "float"),
    ("needs_nations", "Smallest set of outside nations it still needs", "wide"),
    ("needs_count", "How many", "int"),
]
CONTROL_COLUMNS = [
    ("nation_id", "Nation", "text"),
    ("platform_id", "Platform", "text"),
    ("vetoed_by", "Grounded by a licence refusal of", "text"),
    ("free_of_regime", "Free of the regime", "bool"),
    ("regime_items", "Controlled items upstream", "int"),
    ("spof_share_outside_coalition", "SPOFs held outside the coalition", "float"),
]
GAP_COLUMNS = [
    ("gap", "Gap", "text"),
    ("item", "Item", "name"),
    ("file", "File", "text"),
    ("line", "Line", "int"),
    ("detail", "What it means", "wide"),
]


def layout(**_query):
    return html.Div(id=ids.SOV_PAGE, children=[
        html.Div(id=ids.SOV_MESSAGE),
        section(
            "Nation or coalition",
            dmc.Group([
                dmc.Select(id=ids.SOV_COALITION, label="Nation or coalition", data=[],
                           searchable=True, allowDeselect=False, w=320,
                           selectFirstOptionOnChange=True,
                           placeholder="e.g. EU, NATO or Poland"),
                dmc.Select(id=ids.SOV_REGIME, label="Regime", data=["ITAR"], value="ITAR",
                           allowDeselect=False, w=160),
                dmc.Select(id=ids.SOV_TABLE, label="Table", data=[], w=260,
                           allowDeselect=False),
                dmc.Button("Download CSV + manifest (zip)", id=ids.SOV_DOWNLOAD_BUTTON,
                           variant="light"),
                dcc.Download(id=ids.SOV_DOWNLOAD),
            ], gap="sm", align="flex-end"),
            dmc.Text(id=ids.SOV_SUMMARY, mt="sm", **{"aria-live": "polite"}),
            description="Everyone outside the chosen nation or coalition fails and refuses "
                        "export licences at once. Every table is the file `riskgraph "
                        "sovereignty` writes.",
        ),
        section("What it can field alone",
                grid(ids.SOV_SURVIVAL_GRID, SURVIVAL_COLUMNS, height=360)),
        section("Which vetoes ground which fleets",
                grid(ids.SOV_CONTROL_GRID, CONTROL_COLUMNS, height=360)),
        section("Data gaps behind the answer",
                grid(ids.SOV_GAPS_GRID, GAP_COLUMNS, height=300),
                description="Items without sourcing rows, low-confidence rows that decide a "
                            "SPOF, default probabilities; how sure each finding is is in "
                            "findings_confidence.csv."),
    ])
