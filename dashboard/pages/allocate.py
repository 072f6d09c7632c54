"""The What-if page's Allocate view: the current scenario's reduced supply shared among
the capabilities (docs/design.md §4.11). Not a page of its own: :func:`section_layout` is
placed on the What-if page."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import html

from ..components import column_defs, grid, section

RUN = "alloc-run"
OBJECTIVE = "alloc-objective"
MESSAGE = "alloc-message"
STATUS = "alloc-status"
CAPABILITIES = "alloc-capabilities"
NATIONS = "alloc-nations"
RESULTS = "alloc-results"

OBJECTIVES = [{"value": "weighted", "label": "Most capability fielded"},
              {"value": "maxmin", "label": "Worst-off nation first (max-min)"}]

CAPABILITY_COLUMNS = [
    ("nation_id", "Nation", "text"),
    ("platform_id", "Platform", "text"),
    ("quantity", "Fielded", "int"),
    ("proportional", "Proportional", "percent"),
    ("optimal", "Most fielded", "percent"),
    ("fair", "Max-min fair", "percent"),
    ("days_survived_proportional", "Days (proportional)", "days"),
    ("days_survived_optimal", "Days (most fielded)", "days"),
    ("days_survived_fair", "Days (fair)", "days"),
]
NATION_COLUMNS = [
    ("nation_id", "Nation", "text"),
    ("quantity", "Fielded", "int"),
    ("proportional", "Proportional", "percent"),
    ("optimal", "Most fielded", "percent"),
    ("fair", "Max-min fair", "percent"),
]


def _short_first(spec) -> list[dict]:
    """Column definitions sorted by the proportional reading, the shortest supply first."""
    defs = column_defs(spec)
    for col in defs:
        if col["field"] == "proportional":
            col["sort"] = "asc"
    return defs


def section_layout():
    return section(
        "Allocate the reduced supply",
        html.Div(id=MESSAGE),
        dmc.Group([
            dmc.Select(id=OBJECTIVE, label="Objective (allocation.csv)", data=OBJECTIVES,
                       value="weighted", w=300, allowDeselect=False),
            dmc.Button("Allocate this scenario", id=RUN, variant="light"),
        ], align="flex-end", gap="sm"),
        dmc.Text(id=STATUS, size="sm", mt=4),
        # hidden until there is an allocation: an empty grid is noise (and its overlay
        # trips axe-core's aria-required-children now and then)
        html.Div([grid(CAPABILITIES, [], height=320, defs=_short_first(CAPABILITY_COLUMNS)),
                  grid(NATIONS, [], height=260, defs=_short_first(NATION_COLUMNS))],
                 id=RESULTS, hidden=True),
        description="Who gets what is left: a linear program shares each component's "
                    "reduced supply among the capabilities through the BOM quantities, "
                    "beside the proportional reading (every fielder of a platform gets its "
                    "supply fraction). Fractions of full demand; days a capability lasts on "
                    "stock at that fraction.")
