"""What-if: script a disruption (failures, durations, capacities) and see what it does."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..components import column_defs, grid, section
from ..figures import empty_figure
from .allocate import section_layout as allocate_section

PAGE = dict(path="/whatif", name="What-if", order=4, title="riskgraph — what-if",
            description="Fail suppliers, nations or components for a while and see when each "
                        "capability goes down.")

#: Saved scenarios kept per browser tab for comparison.
MAX_SAVED = 4
#: Heatmap metrics; the first is the default and what the summary leads with.
METRICS = {"days_lost": "days lost within the horizon",
           "loss_fraction": "supply lost while the failures last (%)"}
#: Query parameters of a What-if link.
QUERY_KEYS = ("package", "name", "horizon", "fail", "days", "cap", "factor", "metric",
              "focus")

MARGIN_COLUMNS = [
    ("name", "Capability", "name"),
    ("status", "In this scenario", "text"),
    ("outage_days", "Outage (days)", "days"),
    ("sustained_impact_days", "Time to impact (days)", "days"),
    ("margin_days", "Stock margin (days to spare)", "days"),
    ("what_it_takes", "What would it take (shortest outage)", "text"),
]

EXPOSED_COLUMNS = [
    ("point_name", "Failed point", "name"),
    ("capability_name", "Capability", "name"),
    ("down_days", "Outage (days)", "days"),
    ("time_to_impact_days", "Time to impact (days)", "days"),
    ("time_to_survive_days", "Survives it alone for (days)", "days"),
    ("exposed", "Exposed (outage > time to impact)", "bool"),
]


def scenario_columns() -> list[dict]:
    """The editable scenario table: days for failures, a factor for reduced capacity."""
    cols = column_defs([("name", "Failure point", "text"), ("kind", "Kind", "text"),
                        ("action", "Action", "text")])
    cols.append({
        "field": "days", "headerName": "Days down", "type": "rightAligned",
        "editable": {"function": "params.data.action === 'fail'"},
        "cellEditor": "agNumberCellEditor",
        "cellEditorParams": {"min": 1, "max": 36500, "precision": 0},
        "valueFormatter": {"function": "params.data.action === 'fail' ? "
                                       "d3.format(',.0f')(params.value) : '—'"},
        "cellStyle": {"function": "params.data.action === 'fail' ? "
                                  "{backgroundColor: '#F3F8FD'} : {}"},
    })
    cols.append({
        "field": "capacity", "headerName": "Capacity factor (0–1)", "type": "rightAligned",
        "editable": {"function": "params.data.action === 'capacity'"},
        "cellEditor": "agNumberCellEditor",
        "cellEditorParams": {"min": 0, "max": 1, "precision": 2, "step": 0.05},
        "valueFormatter": {"function": "params.data.action === 'capacity' ? "
                                       "d3.format('.0%')(params.value) : '—'"},
        "cellStyle": {"function": "params.data.action === 'capacity' ? "
                                  "{backgroundColor: '#F3F8FD'} : {}"},
    })
    return cols


def _scenario_fields():
    """The scenario picker, its name and its horizon."""
    return dmc.Grid([
        dmc.GridCol(dmc.Select(id=ids.WI_LOAD, label="Load a scenario from the package",
                               data=[], clearable=True, searchable=True,
                               selectFirstOptionOnChange=True,
                               filter={"function": "everyWord"},
                               placeholder="scenarios.toml", w="100%"),
                    span={"base": 12, "md": 6}),
        dmc.GridCol(dmc.TextInput(id=ids.WI_NAME, label="Scenario name",
                                  value="My scenario", debounce=400),
                    span={"base": 12, "md": 4}),
        dmc.GridCol(dmc.NumberInput(id=ids.WI_HORIZON, label="Horizon (days)", value=365,
                                    min=1, max=3650, step=30, allowDecimal=False,
                                    debounce=400),
                    span={"base": 12, "md": 2}),
    ], gutter="sm")


def _point_adder():
    """The failure-point picker and the buttons adding or removing scenario rows."""
    return dmc.Group([
        dmc.Select(id=ids.WI_POINT, label="Add a failure point", data=[], searchable=True,
                   clearable=True, limit=100, w=460, filter={"function": "everyWord"},
                   selectFirstOptionOnChange=True,
                   placeholder="type to search suppliers, nations, components"),
        dmc.Button("Add: fails", id=ids.WI_ADD_FAIL, variant="filled"),
        dmc.Button("Add: reduced capacity", id=ids.WI_ADD_CAPACITY, variant="light"),
        dmc.Button("Remove selected", id=ids.WI_REMOVE, variant="subtle", color="red"),
    ], align="flex-end", gap="sm", mt="sm")


def _run_bar():
    """Run, saving scenarios for comparison (up to four) and the download."""
    return dmc.Group([
        dmc.Button("Run", id=ids.WI_RUN),
        dmc.Button("Save for comparison", id=ids.WI_PIN, variant="light"),
        dmc.Select(id=ids.WI_LOAD_B, data=[], clearable=True, w=340, searchable=True,
                   selectFirstOptionOnChange=True, filter={"function": "everyWord"},
                   placeholder="…or compare with a scenario from the file",
                   **{"aria-label": "comparison scenario"}),
        dmc.MultiSelect(id=ids.WI_SAVED, data=[], value=[], w=340, clearable=True,
                        placeholder="Save a scenario to compare it",
                        label=f"Compared scenarios (up to {MAX_SAVED}; untick to remove)"),
        dmc.Button("Clear saved", id=ids.WI_CLEAR_B, variant="subtle"),
        dmc.Button("Download results (zip)", id=ids.WI_DOWNLOAD_BUTTON, variant="light"),
        dcc.Download(id=ids.WI_DOWNLOAD),
    ], gap="sm", mt="sm", align="flex-end")


def _editor():
    """The scenario editor: fields, failure points, the editable rows and the run bar."""
    return dmc.Paper([
        _scenario_fields(),
        _point_adder(),
        dmc.Text("Edit 'Days down' and 'Capacity factor' in the table; results update as "
                 "you go.", size="xs", c="dimmed", mt=6, mb=4),
        grid(ids.WI_ROWS, [], height=200, row_selection="multi", defs=scenario_columns(),
             getRowId="params.data.failure_point",
             extra_options={"stopEditingWhenCellsLoseFocus": True,
                            "singleClickEdit": True}),
        _run_bar(),
    ], withBorder=True, p="md", radius="md")


def _loss_section():
    """The loss heatmap of scenario A; its default metric is the one the result leads with."""
    return section(
        "Loss by nation and platform",
        dmc.SegmentedControl(id=ids.WI_METRIC, value=next(iter(METRICS)),
                             data=[{"value": k, "label": v[:1].upper() + v[1:]}
                                   for k, v in METRICS.items()]),
        dcc.Graph(id=ids.WI_HEATMAP,
                  figure=empty_figure("Add a failure point or load a scenario."),
                  config={"displaylogo": False}),
    )


def _margins_section():
    """How close each capability the failures reach comes to going down."""
    return section(
        "Stock margins: how close each capability comes",
        grid(ids.WI_MARGINS, MARGIN_COLUMNS, height=300),
        description="Time to impact is the first day a capability is down were the failures "
                    "to last the whole horizon (stock drawn down); the stock margin is that "
                    "minus the outage. What would it take: the shortest outage (of every "
                    "failed point) that takes it down.")


def _compare_box():
    """The current and saved scenarios side by side, and where they differ."""
    return html.Div([
        section("Scenarios side by side", html.Div(id=ids.WI_SIDE),
                description="The scenario being edited and the saved ones (up to "
                            f"{MAX_SAVED} per session)."),
        section("Where they differ", grid(ids.WI_COMPARE, [], height=360, extra_options={
            "suppressColumnVirtualisation": True}),
            description="Only the capabilities whose result differs between scenarios."),
    ], id=ids.WI_COMPARE_BOX, style={"display": "none"})


def layout(**query):
    """The page; a link's query (``?fail=…&days=…&horizon=…``) pre-fills the scenario."""
    prefill = {k: query[k] for k in QUERY_KEYS if k in query} or None
    return html.Div(id=ids.WI_PAGE, children=[
        dcc.Store(id=ids.WI_PREFILL, data=prefill),
        dcc.Store(id=ids.WI_SPEC_A),
        dcc.Store(id=ids.WI_QUERY),
        dcc.Store(id=ids.WI_URL_DONE),
        html.Div(id=ids.WI_MESSAGE),
        _editor(),
        html.Div(id=ids.WI_SUMMARY, style={"marginTop": "0.75rem"}),
        _loss_section(),
        _margins_section(),
        section("When capabilities go down and recover",
                dcc.Graph(id=ids.WI_TIMELINE, figure=empty_figure("", height=200),
                          config={"displaylogo": False})),
        section("Exposed points",
                grid(ids.WI_EXPOSED, EXPOSED_COLUMNS, height=300),
                description="A failed point is exposed for a capability when its outage "
                            "outlasts the capability's time to impact (TTR > TTS)."),
        _compare_box(),
        allocate_section(),
    ])
