"""Monte Carlo: random disruptions with each point's probability; importance measures."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from .. import ids
from ..components import grid, section
from ..figures import empty_figure

PAGE = dict(path="/montecarlo", name="Monte Carlo", order=5, title="riskgraph — Monte Carlo",
            description="How likely is each capability to be lost, and which failure points "
                        "matter most?")

#: Trials a browser may ask for (about 7 s per million on the sample package).
MAX_TRIALS = 5_000_000

RESULT_COLUMNS = [
    ("name", "Capability", "name"),
    ("p_unavailable", "P(unavailable)", "prob"),
    ("ci_low", "95% CI low", "prob"),
    ("ci_high", "95% CI high", "prob"),
]


def layout(**_query):
    return html.Div(id=ids.MC_PAGE, children=[
        dcc.Store(id=ids.MC_TICKET),
        dcc.Store(id=ids.MC_RESULT),
        html.Div(id=ids.MC_MESSAGE),
        dmc.Paper([
            dmc.Group([
                dmc.NumberInput(id=ids.MC_TRIALS, label="Trials", value=200_000, min=1000,
                                max=MAX_TRIALS, step=50_000, thousandSeparator=",",
                                allowDecimal=False, w=180),
                dmc.NumberInput(id=ids.MC_SEED, label="Seed", value=0, min=0,
                                max=2**31 - 1, allowDecimal=False, w=140),
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
        ], withBorder=True, p="md", radius="md"),
        section(
            "Probability each capability is unavailable",
            grid(ids.MC_GRID, RESULT_COLUMNS, height=400),
            description="With its 95% Wilson interval; sort by any column."),
        section(
            "Most important failure points",
            dcc.Graph(id=ids.MC_IMPORTANCE,
                      figure=empty_figure("Run a simulation to see importance."),
                      config={"displaylogo": False}),
            description="Birnbaum importance summed over capabilities: the expected number of "
                        "extra capabilities lost when the point fails rather than not."),
    ])
