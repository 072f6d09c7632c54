"""Monte Carlo: random disruptions with each point's yearly probability; importance."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..components import column_defs, grid, section
from ..figures import empty_figure

PAGE = dict(path="/montecarlo", name="Monte Carlo", order=5, title="riskgraph — Monte Carlo",
            description="How likely is each capability to be lost within a year, and which "
                        "failure points matter most?")

#: Trials a browser may ask for (about 7 s per million on the sample package).
MIN_TRIALS = 1_000
MAX_TRIALS = 5_000_000

#: Probabilities as percentages, one decimal; tiny non-zero ones as "<0.1%".
PERCENT = {"function": "params.value == null ? '' : (params.value > 0 && params.value < "
                       "0.0005 ? '<0.1%' : d3.format('.1%')(params.value))"}

#: The time basis, stated wherever a probability is shown (docs/design.md §4.7).
TIME_BASIS = ("Time basis: each failure point's disruption_prob is the probability of a "
              "disruption within one year, so one trial is one year and every probability "
              "here is a yearly probability (outage lengths and stock play no part).")

RESULT_COLUMNS = [
    ("name", "Capability", "name"),
    ("p_unavailable", "P(lost within a year)", "percent"),
    ("ci_low", "95% CI low", "percent"),
    ("ci_high", "95% CI high", "percent"),
]
NATION_COLUMNS = [
    ("name", "Nation", "name"),
    ("capabilities", "Capabilities fielded", "int"),
    ("expected_capabilities_lost", "Expected capabilities lost a year", "float"),
    ("expected_share_lost", "Expected share lost", "percent"),
    ("p_any_lost", "P(at least one lost within a year)", "percent"),
]


def percent_defs(spec) -> list[dict]:
    """Column definitions with probabilities as percentages (one decimal)."""
    defs = column_defs(spec)
    for col, (_, _, kind) in zip(defs, spec):
        if kind == "percent":
            col["valueFormatter"] = PERCENT
    return defs


def _controls():
    return dmc.Paper([
        dmc.Group([
            dmc.NumberInput(id=ids.MC_TRIALS, label="Trials", value=200_000, min=MIN_TRIALS,
                            max=MAX_TRIALS, step=50_000, thousandSeparator=",",
                            allowDecimal=False, w=180, persistence=True,
                            persistence_type="session"),
            dmc.NumberInput(id=ids.MC_SEED, label="Seed", value=0, min=0,
                            max=2**31 - 1, allowDecimal=False, w=140, persistence=True,
                            persistence_type="session"),
            dmc.Button("Run", id=ids.MC_RUN),
            dmc.Button("Cancel", id=ids.MC_CANCEL, variant="light", color="red",
                       disabled=True),
            dmc.Button("Download results (zip)", id=ids.MC_DOWNLOAD_BUTTON,
                       variant="light"),
            dcc.Download(id=ids.MC_DOWNLOAD),
        ], align="flex-end", gap="sm"),
        dmc.Progress(id=ids.MC_PROGRESS, value=0, size="lg", mt="md",
                     **{"aria-label": "Monte Carlo progress"}),
        dmc.Text(id=ids.MC_STATUS, size="sm", mt=4,
                 children="Each failure point fails at random with its disruption "
                          "probability; the same seed and trials give the same numbers. "
                          "One job runs at a time on this server."),
        dmc.Text(TIME_BASIS, id=ids.MC_BASIS, size="sm", mt=4),
    ], withBorder=True, p="md", radius="md")


def layout(**_query):
    return html.Div(id=ids.MC_PAGE, children=[
        dcc.Store(id=ids.MC_TICKET),
        # The run shown, kept for this tab's session: coming back shows it again.
        dcc.Store(id=ids.MC_RESULT, storage_type="session"),
        html.Div(id=ids.MC_MESSAGE),
        _controls(),
        section(
            "Probability each capability is lost within a year",
            grid(ids.MC_GRID, [], height=400, defs=percent_defs(RESULT_COLUMNS)),
            description="With its 95% Wilson interval; most at risk first, sort by any "
                        "column."),
        section(
            "Per nation",
            grid(ids.MC_NATIONS, [], height=300, defs=percent_defs(NATION_COLUMNS)),
            description="Each fielding nation: capabilities it can expect to lose in a "
                        "year, and the probability of losing at least one."),
        section(
            "Most important failure points",
            dmc.SimpleGrid([
                dcc.Graph(id=ids.MC_IMPORTANCE,
                          figure=empty_figure("Run a simulation to see importance."),
                          config={"displaylogo": False}),
                dcc.Graph(id=ids.MC_IMPORTANCE_P,
                          figure=empty_figure("Run a simulation to see importance."),
                          config={"displaylogo": False}),
            ], cols={"base": 1, "lg": 2}),
            description="Left, would matter if it failed: risk achievement worth (RAW), how "
                        "many times likelier a capability is lost when the point fails; "
                        "points that never fail can rank high. Right, matters given its "
                        "probability: Birnbaum importance × disruption probability, the "
                        "capabilities a year expected to be lost through the point."),
    ])
