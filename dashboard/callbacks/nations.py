"""Nations callbacks."""

from __future__ import annotations

from dash import Input, Output, State, no_update

from riskgraph.views import (capability_matrix, exposure_heatmap, nation_dependence,
                             survivability_summary)
from riskgraph.views.damage import most_damaging_text, nation_damage

from .. import figures, ids
from ..export import send_tables
from ..state import InputError
from .common import loaded, user_errors

__all__ = ["fill_nations", "draw_heatmap", "answer_most_damaging", "download_heatmap",
           "draw_dependence", "draw_survivability", "register"]


@user_errors(4)
def fill_nations(key, _page=None):
    """Platform and nation lists; the default failing nation is the most damaging one."""
    p = loaded(key)
    caps = p.capability_options.drop_duplicates("platform_id").sort_values("platform_name")
    platforms = [{"value": pl, "label": n}
                 for pl, n in zip(caps["platform_id"], caps["platform_name"])]
    hm = exposure_heatmap(p.network, p.analysis.nation_exposure)
    nations = p.network.package.nations
    order = [r.split(":", 1)[1] for r in hm.z.index] + \
        [n for n in nations.index if f"nation:{n}" not in hm.z.index]
    nation_opts = [{"value": n, "label": f"{nations.at[n, 'name']} ({n})"} for n in order]
    return platforms, nation_opts, (order[0] if order else None), None


def _platforms(value):
    if value in (None, []):
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("platforms must be a list of platform ids")
    return value


@user_errors(2)
def draw_heatmap(platforms, key):
    """Capabilities (grouped by platform) × failing nations, with the ranking bar."""
    p = loaded(key)
    d = nation_damage(p.network, p.analysis.nation_exposure, platforms=_platforms(platforms))
    return figures.nation_damage_figure(d), None


@user_errors(2)
def download_heatmap(n_csv, n_xlsx, platforms, key, fmt=None):
    """The heatmap's data: the ranking, and supply lost per capability if each nation
    fails (one column per nation, named), for the platforms shown."""
    from .register import sheet_format

    if not (n_csv or n_xlsx):
        return no_update, None
    p = loaded(key)
    d = nation_damage(p.network, p.analysis.nation_exposure, platforms=_platforms(platforms))
    ranking = d.nations.rename(columns={"mean_loss": "mean_loss_fraction"})
    cells = d.capabilities[["platform", "nation"]].join(
        d.z.rename(columns=dict(zip(d.nations.index, d.nations["name"]))))
    fmt = fmt or sheet_format(ids.NAT_XLSX)
    tables = {"nation_ranking": ranking, "loss_if_nation_fails": cells}
    if fmt == "csv":
        tables = {"loss_if_nation_fails": cells}
    return send_tables(tables, p.network, fmt, f"riskgraph-nations-{p.ref.key[:8]}",
                       note="supply lost (fraction 0-1) if one nation fails"), None


@user_errors(1)
def answer_most_damaging(platforms, key):
    """The most damaging nation for the capabilities shown, in one sentence."""
    p = loaded(key)
    d = nation_damage(p.network, p.analysis.nation_exposure, platforms=_platforms(platforms))
    return most_damaging_text(d)


@user_errors(2)
def draw_dependence(nation, key):
    if not nation:
        return figures.empty_figure("Choose a nation."), None
    p = loaded(key)
    if not isinstance(nation, str) or nation not in p.network.package.nations.index:
        raise InputError(f"unknown nation {nation!r}")
    dep = nation_dependence(p.network, p.analysis.nation_exposure, nation)
    name = p.network.package.nations.at[nation, "name"]
    return figures.choropleth(dep, name), None


@user_errors(3)
def draw_survivability(partners, key):
    p = loaded(key)
    if not isinstance(partners, bool):
        raise InputError("the partner switch must be on or off")
    surv = p.survivability_with_partners if partners else p.analysis.survivability
    hm = capability_matrix(p.network, surv, "loss_fraction")
    s = survivability_summary(surv)
    allies = "members and partners" if partners else "members only"
    summary = (f"With {allies} as sources ({len(s['failed_nations'])} other nations cut "
               f"off): {s['up']} of {s['capabilities']} capabilities stay available; mean "
               f"supply kept {100 * s['mean_supply_fraction']:.0f}%.")
    fig = figures.capability_heatmap(hm, title="Supply lost on alliance-only sources "
                                               "(grey: not fielded)",
                                     value_label="supply lost (%)")
    return fig, summary, None


def register(app) -> None:
    app.callback(
        Output(ids.NAT_PLATFORM, "data"),
        Output(ids.NAT_FAILING, "data"),
        Output(ids.NAT_FAILING, "value"),
        Output(ids.NAT_MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(ids.NAT_PAGE, "id"),
    )(fill_nations)
    app.callback(
        Output(ids.NAT_HEATMAP, "figure"),
        Output(ids.NAT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.NAT_PLATFORM, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(draw_heatmap)
    app.callback(
        Output(ids.NAT_ANSWER, "children"),
        Input(ids.NAT_PLATFORM, "value"),
        State(ids.PACKAGE, "data"),
    )(answer_most_damaging)
    app.callback(
        Output(ids.NAT_DOWNLOAD, "data"),
        Output(ids.NAT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.NAT_CSV, "n_clicks"),
        Input(ids.NAT_XLSX, "n_clicks"),
        State(ids.NAT_PLATFORM, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call=True,
    )(download_heatmap)
    app.callback(
        Output(ids.NAT_CHOROPLETH, "figure"),
        Output(ids.NAT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.NAT_FAILING, "value"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(draw_dependence)
    app.callback(
        Output(ids.NAT_SURVIVABILITY, "figure"),
        Output(ids.NAT_SURV_SUMMARY, "children"),
        Output(ids.NAT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.NAT_PARTNERS, "checked"),
        State(ids.PACKAGE, "data"),
        prevent_initial_call="initial_duplicate",
    )(draw_survivability)
