"""Mitigate: the cheapest candidate actions that remove the chosen SPOFs, verified
(docs/design.md §4.10)."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from ..components import grid, section

PAGE = dict(path="/mitigate", name="Mitigate", order=5.5, title="riskgraph — mitigate",
            description="Which candidate actions remove the single points of failure at the "
                        "least cost, verified by re-running the analyses?")

# Element ids of this page (kept here: the page and its callbacks are one feature).
PAGE_ID = "mit-page"
TICKET = "mit-ticket"
RESULT = "mit-result"
MESSAGE = "mit-message"
CAPABILITIES = "mit-capabilities"
GOAL = "mit-goal"
KINDS = "mit-kinds"
BUDGET = "mit-budget"
TIME_LIMIT = "mit-time-limit"
RUN = "mit-run"
CANCEL = "mit-cancel"
PROGRESS = "mit-progress"
STATUS = "mit-status"
SUMMARY = "mit-summary"
PLAN = "mit-plan"
COMPARE = "mit-compare"
RESIDUAL = "mit-residual"

GOALS = [{"value": "spof", "label": "Remove every SPOF of the chosen kinds"},
         {"value": "budget", "label": "Remove the most within a budget"},
         {"value": "survive", "label": "Survive the chosen scenarios"}]
SCENARIOS = "mit-scenarios"
KIND_OPTIONS = [{"value": k, "label": k} for k in ("supplier", "nation", "component")]
#: Seconds a browser may give one solve.
MAX_TIME_LIMIT = 600

PLAN_COLUMNS = [
    ("action_id", "Action", "text"),
    ("kind", "Kind", "text"),
    ("component_id", "Component", "text"),
    ("supplier_id", "Supplier", "text"),
    ("cost", "Cost", "float"),
    ("removes_count", "Removes", "int"),
    ("removes", "What it removes", "wide"),
    ("description", "Description", "text"),
]
COMPARE_COLUMNS = [
    ("name", "Capability", "name"),
    ("before", "Before (SPOFs, or scenarios losing days)", "int"),
    ("after", "After", "int"),
    ("removed", "Removed", "int"),
    ("other_left", "Other SPOFs left", "int"),
]
RESIDUAL_COLUMNS = [
    ("capability", "Capability", "text"),
    ("failure_point", "Still breaks it", "text"),
    ("scenario", "Scenario still losing days", "text"),
    ("days_lost", "Days lost", "days"),
    ("kind", "Kind", "text"),
    ("in_goal", "In the goal", "bool"),
    ("reason", "Why it is left", "text"),
]


def _controls():
    return dmc.Paper([
        dmc.Group([
            dmc.MultiSelect(id=CAPABILITIES, label="Capabilities (all if empty)", data=[],
                            value=[], searchable=True, clearable=True, w=380),
            dmc.Select(id=GOAL, label="Goal", data=GOALS, value="spof", w=280,
                       allowDeselect=False),
            dmc.MultiSelect(id=KINDS, label="SPOF kinds", data=KIND_OPTIONS,
                            value=["supplier"], w=260),
            dmc.NumberInput(id=BUDGET, label="Budget (goal: within a budget)", value=1000,
                            min=0, w=200),
            dmc.MultiSelect(id=SCENARIOS, label="Scenarios (goal: survive; all if empty)",
                            data=[], value=[], searchable=True, clearable=True, w=340),
            dmc.NumberInput(id=TIME_LIMIT, label="Time limit (s)", value=60, min=1,
                            max=MAX_TIME_LIMIT, allowDecimal=False, w=140),
        ], align="flex-end", gap="sm"),
        dmc.Group([
            dmc.Button("Run", id=RUN),
            dmc.Button("Cancel", id=CANCEL, variant="light", color="red", disabled=True),
        ], mt="sm", gap="sm"),
        dmc.Progress(id=PROGRESS, value=0, size="lg", mt="md",
                     **{"aria-label": "Mitigation progress"}),
        dmc.Text(id=STATUS, size="sm", mt=4,
                 children="Candidates come from the package's mitigations.csv. The plan "
                          "is solved exactly (MILP) and verified by re-running the SPOF "
                          "analysis on the mitigated package. One job runs at a time on "
                          "this server."),
    ], withBorder=True, p="md", radius="md")


def layout(**_query):
    return html.Div(id=PAGE_ID, children=[
        dcc.Store(id=TICKET),
        dcc.Store(id=RESULT, storage_type="session"),
        html.Div(id=MESSAGE),
        _controls(),
        html.Div(id=SUMMARY, className="rg-section"),
        section("Chosen actions", grid(PLAN, PLAN_COLUMNS, height=320),
                description="One row per action: its cost and the SPOFs it removes (those "
                            "the plan no longer removes without it)."),
        section("Before and after", grid(COMPARE, COMPARE_COLUMNS, height=300),
                description="Per capability: SPOFs of the goal's kinds before the plan and "
                            "left after it, re-analysed on the mitigated package."),
        section("Residual risk", grid(RESIDUAL, RESIDUAL_COLUMNS, height=360),
                description="What still breaks the chosen capabilities after the plan, and "
                            "why it is left (no candidate can remove it, another kind, not "
                            "in the budget)."),
    ])
