"""What-if results in words and tables: the story of a run, stock margins, scenarios side
by side, and the link (query string) that reproduces the view.

Formatting only: every number comes from :func:`riskgraph.views.whatif_story`,
:func:`riskgraph.views.margin_rows` and :func:`riskgraph.views.scenario_differences`
(docs/design.md §4.6).
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash_mantine_components as dmc
from dash import dcc, html

from riskgraph.views import (DIFFERENCE_METRICS, margin_rows, scenario_differences,
                             whatif_matrix, whatif_story)

from .. import figures, ids
from ..components import column_defs, records
from ..pages.whatif import METRICS
from ..state import InputError
from .common import check_choice, check_id, check_number

__all__ = ["story_alert", "story_lines", "margin_records", "side_by_side", "difference_grid",
           "view_query", "parse_query", "days_text"]



def days_text(days: float) -> str:
    """``180`` → "180 days", ``1`` → "1 day", ``2.5`` → "2.5 days"."""
    return f"{days:,.0f} day" + ("" if days == 1 else "s") if days == int(days) \
        else f"{days:,.1f} days"


def _caps(n: int) -> str:
    return f"{n:,} capabilit" + ("y" if n == 1 else "ies")


def story_lines(entry, capabilities, margins, spec: dict) -> list:
    """The run in sentences, leading with what goes down within the horizon and when."""
    s = whatif_story(entry.network, capabilities, margins, spec["name"])
    horizon = days_text(spec["horizon_days"])
    total = s["capabilities"]
    if s["capabilities_down"]:
        down = s["down"]
        first = down.iloc[0]
        lead = [html.B(f"{s['capabilities_down']} of {total} capabilities go down within "
                       f"{horizon}"),
                f", in {s['nations_affected']} nation(s); the first, ",
                html.B(first["name"]), f", from day {first['time_to_impact_days']:,.0f}."]
        shown = ", ".join(f"{r.name} from day {r.time_to_impact_days:,.0f} "
                          f"({days_text(r.days_lost)} lost)"
                          for r in down.head(5).itertuples())
        more = f" and {len(down) - 5} more" if len(down) > 5 else ""
        lines = [dmc.Text(lead), dmc.Text(f"Down: {shown}{more}.", size="sm")]
    else:
        lines = [dmc.Text(html.B(f"No capability goes down within {horizon} "
                                 f"(0 of {total})."))]
    closest = s["closest"]
    if closest:
        names = ", ".join(closest["names"]) + (
            f" and {closest['count'] - len(closest['names'])} more"
            if closest["count"] > len(closest["names"]) else "")
        spare = closest["margin_days"]
        one = closest["count"] == 1
        verb = ((f"survives with {days_text(spare)} to spare" if one else
                 f"survive with {days_text(spare)} to spare") if spare >= 0 else
                "survive (the failures that reach them end sooner)")
        lines.append(dmc.Text([
            "Closest call: ", html.B(f"{_caps(closest['count'])} {verb}"),
            f" ({names}). What would it take: an outage of "
            f"{days_text(closest['shortest_outage_days'])} takes {'it' if one else 'them'} "
            f"down from day "
            f"{closest['sustained_impact_days']:,.0f}."], size="sm"))
    elif not s["capabilities_down"]:
        lines.append(dmc.Text("No capability would go down within the horizon however long "
                              "these failures lasted.", size="sm"))
    bridged = s["capabilities_not_up"]
    if bridged:
        lines.append(dmc.Text(
            f"{_caps(bridged)} lose supply while the failures last (before stock is "
            "drawn down); the rest of the time, stock bridges the gap.", size="xs",
            c="dimmed"))
    return lines


def story_alert(entry, capabilities, margins, spec: dict, focus: str | None):
    """The result box of scenario A (with the capability the link focused on)."""
    lines = [dmc.Text([html.B(spec["name"]), ":"], size="sm"),
             *story_lines(entry, capabilities, margins, spec)]
    if focus and focus in margins.index:
        m = margins.loc[focus]
        label = entry.capability_options.at[focus, "label"]
        if m["time_to_impact_days"] == m["time_to_impact_days"]:
            text = f": down from day {m['time_to_impact_days']:,.0f}."
        elif m["margin_days"] == m["margin_days"]:
            text = (f": not lost within the horizon; survives with "
                    f"{days_text(max(m['margin_days'], 0))} to spare (an outage of "
                    f"{days_text(m['shortest_outage_days'])} takes it down).")
        else:
            text = ": not lost within the horizon however long the failures last."
        lines.append(dmc.Text([html.B(label), text]))
    return dmc.Alert(lines, color="blue", title="Result", id=ids.WI_RESULT_ALERT)


def _status(row) -> str:
    if row.down:
        return f"down from day {row.time_to_impact_days:,.0f}"
    if row.margin_days >= 0:
        return f"survives with {days_text(row.margin_days)} to spare"
    return "survives (the failures reaching it end sooner)"


def margin_records(entry, margins) -> list[dict]:
    """Grid rows: each capability the failures reach, closest call first."""
    table = margin_rows(entry.network, margins)
    table = table.assign(
        status=[_status(r) for r in table.itertuples()],
        what_it_takes=[f"{days_text(r.shortest_outage_days)} down: lost from day "
                       f"{r.sustained_impact_days:,.0f}" for r in table.itertuples()])
    return records(table.set_index("capability"), index="capability")


def _card(entry, capabilities, margins, spec, metric, zmax):
    hm = whatif_matrix(entry.network, capabilities, spec["name"], value=metric)
    fig = figures.capability_heatmap(hm, title=spec["name"], value_label=METRICS[metric],
                                     percent=metric == "loss_fraction", zmax=zmax)
    return dmc.Paper([
        dmc.Text(spec["name"], fw=700),
        *story_lines(entry, capabilities, margins, spec),
        dcc.Graph(figure=fig, config={"displaylogo": False}),
    ], withBorder=True, p="sm", radius="md")


def side_by_side(entry, result, margins: dict, specs: list[dict], metric: str):
    """One card per scenario (story and heatmap), in a grid of up to three columns."""
    zmax = max(s["horizon_days"] for s in specs)
    cards = [_card(entry, result.capabilities, margins[s["name"]], s, metric, zmax)
             for s in specs]
    return dmc.SimpleGrid(cards, cols={"base": 1, "md": min(len(cards), 2),
                                       "xl": min(len(cards), 3)}, spacing="sm")


_LABELS = {"time_to_impact_days": ("down from day", "days"),
           "days_lost": ("days lost", "days"),
           "loss_fraction": ("supply lost while failing", "percent")}


def difference_grid(entry, capabilities, names: list[str]):
    """Column groups (one per scenario, headed by its name) and the rows that differ."""
    table = scenario_differences(entry.network, capabilities)
    defs = column_defs([("name", "Capability", "name")])
    rows = [{"capability": c, "name": n} for c, n in zip(table["capability"], table["name"])]
    for i, name in enumerate(names):
        spec = [(f"s{i}_{m}", _LABELS[m][0], _LABELS[m][1]) for m in DIFFERENCE_METRICS]
        defs.append({"headerName": name, "children": column_defs(spec)})
        for m in DIFFERENCE_METRICS:
            for row, value in zip(rows, table[f"{m}[{name}]"].tolist()):
                row[f"s{i}_{m}"] = None if value != value else value
    return defs, rows


# ------------------------------------------------------------------------ links


def view_query(entry, spec: dict, metric: str, focus: str | None) -> str:
    """The query string of a link that reproduces scenario A as shown."""
    pairs = [("package", f"{entry.ref.name}@{entry.ref.key[:12]}"),
             ("name", spec["name"]), ("horizon", f"{spec['horizon_days']:g}")]
    for point in spec["fail"]:
        pairs += [("fail", point), ("days", f"{spec['days'][point]:g}")]
    for point, factor in spec["capacity"].items():
        if point not in spec["fail"]:
            pairs += [("cap", point), ("factor", f"{factor:g}")]
    if metric != next(iter(METRICS)):
        pairs.append(("metric", metric))
    if focus:
        pairs.append(("focus", focus))
    return "?" + urlencode(pairs)


def _listed(value) -> list:
    if value is None or value == "":
        return []
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        raise InputError("the link's parameters must be text")
    return values


def parse_query(entry, query: dict) -> dict:
    """A link's parameters, checked: ``rows`` (fail/capacity rows), ``name``, ``horizon``,
    ``metric``, ``focus``. InputError names a package the link needs that is not shown."""
    package = query.get("package")
    if isinstance(package, str) and package:
        name, _, key = package.rpartition("@")
        if not key or not entry.ref.key.startswith(key):
            raise InputError(
                f"this link is for the package '{name or package}' (version {key or '?'}), "
                f"but this tab shows '{entry.ref.name}' ({entry.ref.key[:12]}); choose or "
                "upload that package on the Data page, then open the link again")
    fail, days = _listed(query.get("fail")), _listed(query.get("days"))
    caps, factors = _listed(query.get("cap")), _listed(query.get("factor"))
    if days and len(days) not in (1, len(fail)):
        raise InputError("the link gives a different number of 'days' than 'fail' points")
    if len(factors) != len(caps):
        raise InputError("the link gives a different number of 'factor' than 'cap' points")
    kinds = ("nation", "supplier", "component")
    rows = []
    for i, point in enumerate(fail):
        point = check_id(entry, point, "fail", kinds=kinds)
        d = days[0 if len(days) == 1 else i] if days else None
        d = None if d is None else check_number(d, "days", lo=1, hi=36500)
        rows.append(("fail", point, d))
    for point, factor in zip(caps, factors):
        point = check_id(entry, point, "cap", kinds=kinds)
        rows.append(("capacity", point, check_number(factor, "factor", lo=0, hi=1)))
    out = {"rows": rows}
    if isinstance(query.get("name"), str) and query["name"].strip():
        out["name"] = query["name"][:200]
    if query.get("horizon") not in (None, ""):
        out["horizon"] = check_number(query.get("horizon"), "horizon", lo=1, hi=36500)
    if query.get("metric") not in (None, ""):
        out["metric"] = check_choice(query.get("metric"), "metric", METRICS)
    focus = query.get("focus")
    if isinstance(focus, str) and focus in entry.capability_options.index:
        out["focus"] = focus
    return out
