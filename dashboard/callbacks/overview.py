"""Overview callbacks."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html, no_update

from riskgraph.model.scenario import Scenario
from riskgraph.views import whatif_headline
from riskgraph.views.why import spof_count_text, spof_list
from riskgraph.analyses.whatif import run_scenarios

from .. import figures, ids
from ..export import send_tables
from ..components import message, options, records, stat_card
from .common import check_choice, check_id, check_number, loaded, user_errors, whatif_link
from .why import why_link

__all__ = ["fill_overview", "list_spofs", "count_spofs", "download_spofs", "open_point",
           "answer_whatif", "register"]

KINDS = ("all", "supplier", "component", "nation")


def _headline_cards(h: dict):
    caps = h["capabilities"]
    return [
        stat_card("Nations", h["nations"], f"{h['member_nations']} members"),
        stat_card("Platforms", h["platforms"]),
        stat_card("Capabilities", caps, f"fielded by {h['fielding_nations']} nations"),
        stat_card("Suppliers", h["suppliers"], f"{h['components']} components"),
        stat_card("Single points of failure", h["spofs"],
                  f"{h['capabilities_with_spof']} capabilities have one"),
        stat_card("Capabilities with a hidden SPOF", h["capabilities_with_hidden_spof"],
                  f"of {caps}: a single point of failure below tier 1"),
        stat_card("Alliance-only supply", f"{h['alliance_only_up']} / {caps}",
                  f"stay up; mean supply {100 * h['alliance_only_supply']:.0f}%"),
        stat_card("Unmapped items", h["unmapped"], "treated as available"),
    ]


@user_errors(6)
def fill_overview(key, _page, remembered):
    """Headline cards, capability list, top risks and map of the tab's package."""
    p = loaded(key)
    caps = p.capability_options
    value = remembered if isinstance(remembered, str) and remembered in caps.index else None
    top = p.analysis.risk_register.head(10)
    return (_headline_cards(p.headline), options(caps), value,
            records(top[["rank", "name", "kind", "score", "why"]], index="failure_point"),
            figures.supplier_map(p.supplier_sites, p.headline["capabilities"]), None)


@user_errors(3)
def list_spofs(capability, kind, key):
    """The chosen capability's SPOFs, most serious first; remembers the choice."""
    if not capability:
        return [], no_update, None
    p = loaded(key)
    capability = check_id(p, capability, "capability", kinds=("capability",))
    kind = check_choice(kind or "all", "kind", KINDS)
    table = spof_list(p.network, p.analysis, capability,
                      kinds=None if kind == "all" else [kind])
    return records(table, index="failure_point"), capability, None


@user_errors(2)
def download_spofs(n_csv, n_xlsx, capability, kind, key, fmt=None):
    """The SPOF list as shown (the kind filter applied), for spreadsheets."""
    from .register import sheet_format

    if not (n_csv or n_xlsx) or not capability:
        return no_update, None
    p = loaded(key)
    capability = check_id(p, capability, "capability", kinds=("capability",))
    kind = check_choice(kind or "all", "kind", KINDS)
    table = spof_list(p.network, p.analysis, capability,
                      kinds=None if kind == "all" else [kind])
    stem = "riskgraph-spofs-" + capability.split(":", 1)[1].replace("/", "-") \
        + ("" if kind == "all" else f"-{kind}s")
    label = p.capability_options.at[capability, "label"]
    return send_tables({"spofs": table}, p.network, fmt or sheet_format(ids.OV_SPOF_XLSX),
                       stem, note=f"single points of failure of {label} ({kind})"), None


def open_point(cell, click, key):
    """A clicked top-risk row or map point: its page on Network (focused, panel open)."""
    from urllib.parse import urlencode

    from dash import ctx

    point = None
    if ctx.triggered_id == ids.OV_TOP_RISKS and isinstance(cell, dict):
        point = cell.get("rowId")
    elif ctx.triggered_id == ids.OV_MAP and isinstance(click, dict):
        points = click.get("points") or [{}]
        point = points[0].get("customdata") if isinstance(points[0], dict) else None
    if not isinstance(point, str):
        return no_update
    try:
        check_id(loaded(key), point, "point", kinds=("nation", "supplier", "component"))
    except Exception:  # noqa: BLE001 - a stale click opens nothing
        return no_update
    return "/network?" + urlencode({"focus": point})


@user_errors(1)
def count_spofs(capability, kind, key):
    """One line above the SPOF list: how many, of which kinds, how deep."""
    if not capability:
        return None
    p = loaded(key)
    capability = check_id(p, capability, "capability", kinds=("capability",))
    kind = check_choice(kind or "all", "kind", KINDS)
    table = spof_list(p.network, p.analysis, capability,
                      kinds=None if kind == "all" else [kind])
    return f"{p.capability_options.at[capability, 'label']}: {spof_count_text(table)}"


@user_errors(1)
def answer_whatif(selected, days, capability, key):
    """What happens if the selected SPOF is down for ``days``: the one-click answer."""
    if not selected or not capability:
        return dmc.Text("Pick a capability, then click one of its single points of failure.",
                        size="sm", c="dimmed", mt="xs")
    if not isinstance(selected, list) or not isinstance(selected[0], dict):
        return message("unexpected row selection")
    p = loaded(key)
    point = check_id(p, selected[0].get("failure_point"), "failure point",
                     kinds=("nation", "supplier", "component"))
    capability = check_id(p, capability, "capability", kinds=("capability",))
    days = check_number(days, "outage (days)", lo=1, hi=3650)
    name = p.network.nodes.at[point, "name"]
    scenario = Scenario(f"{name} down {days:g} days", fail=(point,), days={point: days})
    result = run_scenarios(p.network, [scenario])
    h = whatif_headline(result.capabilities, scenario.name, capability)
    f = h["focus"]
    cap_name = p.capability_options.at[capability, "label"]
    if f["time_to_impact_days"] is None:
        fate = [html.B(cap_name), " is not lost: stock or other sources bridge the outage "
                                  f"(supply {100 * (1 - f['loss_fraction']):.0f}% while it "
                                  "lasts)."]
    else:
        tti = f["time_to_impact_days"]
        when = "at once (no stock bridges it)" if tti == 0 else f"after {tti:.0f} days of stock"
        fate = [html.B(cap_name), f" is lost {when}, for ", html.B(f"{f['days_lost']:.0f} days"),
                " of the next 365."]
    return dmc.Alert(
        [
            dmc.Text(["If ", html.B(name), f" ({point}) is down for {days:g} days: ", *fate]),
            dmc.Text([f"The same outage stops {h['capabilities_down']} of "
                      f"{h['capabilities']} capabilities in {h['nations_affected']} "
                      "nation(s) at some point within a year. "],
                     size="sm", mt=4),
            dmc.Group([
                dcc.Link("Open this scenario on the What-if page →",
                         href=whatif_link(point, days, capability), className="rg-link"),
                dcc.Link(f"Why: the dependency chains from {name} →",
                         href=why_link(capability, point), className="rg-link"),
            ], gap="lg", mt=4),
        ],
        title="What-if answer", color="blue", mt="sm", id=ids.OV_ANSWER_ALERT,
    )


def register(app) -> None:
    app.callback(
        Output(ids.OV_HEADLINES, "children"),
        Output(ids.OV_CAPABILITY, "data"),
        Output(ids.OV_CAPABILITY, "value"),
        Output(ids.OV_TOP_RISKS, "rowData"),
        Output(ids.OV_MAP, "figure"),
        Output(ids.OV_MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(ids.OV_PAGE, "id"),
        State(ids.CAPABILITY, "data"),
    )(fill_overview)
    app.callback(
        Output(ids.OV_SPOF_GRID, "rowData"),
        Output(ids.CAPABILITY, "data", allow_duplicate=True),
        Output(ids.OV_MESSAGE, "children", allow_duplicate=True),
        Input(ids.OV_CAPABILITY, "value"),
        Input(ids.OV_KIND, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(list_spofs)
    app.callback(
        Output(ids.OV_SPOF_COUNT, "children"),
        Input(ids.OV_CAPABILITY, "value"),
        Input(ids.OV_KIND, "value"),
        State(ids.PACKAGE, "data"),
    )(count_spofs)
    app.callback(
        Output(ids.OV_DOWNLOAD, "data"),
        Output(ids.OV_MESSAGE, "children", allow_duplicate=True),
        Input(ids.OV_SPOF_CSV, "n_clicks"),
        Input(ids.OV_SPOF_XLSX, "n_clicks"),
        State(ids.OV_CAPABILITY, "value"),
        State(ids.OV_KIND, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download_spofs)
    app.callback(
        Output(ids.OV_NAV, "href"),
        Input(ids.OV_TOP_RISKS, "cellClicked"),
        Input(ids.OV_MAP, "clickData"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(open_point)
    app.callback(
        Output(ids.OV_ANSWER, "children"),
        Input(ids.OV_SPOF_GRID, "selectedRows"),
        Input(ids.OV_DAYS, "value"),
        State(ids.OV_CAPABILITY, "value"),
        State(ids.PACKAGE, "data"),
    )(answer_whatif)
