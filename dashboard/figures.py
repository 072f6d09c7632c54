"""Plotly figures built from the library's tables: drawing only, no computation.

Every text from the data (names, labels, titles) goes through :func:`plain` before it
reaches Plotly, which renders a subset of HTML in labels, ticks and hover text (``<a href>``
links, ``<span style>``): a supplier named ``<a href=...>`` shows as that text, not a link.

Palettes are colour-blind safe: categories use the Okabe–Ito colours (and a second cue,
marker shape, where it matters); magnitudes use single-hue sequential scales that vary in
lightness. Every figure has a legend or colour bar with units and hover text with names.
"""

from __future__ import annotations

import html
import math

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "ALIGNMENT_COLOURS",
    "KIND_COLOURS",
    "capability_heatmap",
    "choropleth",
    "empty_figure",
    "exposure_heatmap",
    "importance_chart",
    "nation_damage_figure",
    "plain",
    "supplier_map",
    "timeline",
]

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
    "grey": "#999999",
}
ALIGNMENT_COLOURS = {"member": OKABE_ITO["blue"], "partner": OKABE_ITO["green"],
                     "neutral": OKABE_ITO["orange"], "adversary": OKABE_ITO["vermillion"]}
ALIGNMENT_SYMBOLS = {"member": "circle", "partner": "square", "neutral": "diamond",
                     "adversary": "x"}
KIND_COLOURS = {"nation": OKABE_ITO["purple"], "supplier": OKABE_ITO["sky"],
                "component": OKABE_ITO["orange"], "capability": OKABE_ITO["green"]}
#: Sequential scale for losses: white (none) to dark red (all), monotone in lightness.
LOSS_SCALE = "OrRd"
_FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=12)


def plain(text) -> str:
    """``text`` as Plotly shows it literally: ``&``, ``<`` and ``>`` become entities, so
    no tag in a name is rendered (Plotly turns the entities back into the characters).

    >>> plain('<a href="https://evil.example/">clickme</a> & co')
    '&lt;a href="https://evil.example/"&gt;clickme&lt;/a&gt; &amp; co'
    """
    return html.escape(str(text), quote=False)


def _plain_all(values) -> list[str]:
    return [plain(v) for v in values]


# Every figure starts from plotly_white as plotly's default template: naming the template
# in update_layout validated and copied it again for each figure (about 9 of the 10 ms a
# small figure took, and half the CPU of a what-if callback); the figures are the same.
pio.templates.default = "plotly_white"


def _layout(fig: go.Figure, **kw) -> go.Figure:
    kw.setdefault("margin", dict(l=10, r=10, t=40, b=10))
    fig.update_layout(font=_FONT, **kw)
    return fig


def empty_figure(message: str, height: int = 300) -> go.Figure:
    """A blank figure that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=plain(message), showarrow=False, x=0.5, y=0.5, xref="paper",
                       yref="paper", font=dict(size=14, color="#555"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=height)


def _geo() -> dict:
    return dict(projection_type="natural earth", showland=True, landcolor="#EFEFEF",
                showcountries=True, countrycolor="#BBBBBB", showocean=True,
                oceancolor="#F7FBFF", showframe=False, coastlinecolor="#AAAAAA",
                lataxis_range=[-60, 85])


def supplier_map(sites: pd.DataFrame, capabilities: int) -> go.Figure:
    """Supplier sites coloured (and shaped) by alignment, sized by blast radius.

    ``sites`` is :func:`riskgraph.views.supplier_sites`; marker area grows with the share
    of the package's ``capabilities`` a site stops on its own.
    """
    located = sites[sites["lat"].notna() & sites["lon"].notna()]
    if located.empty:
        return empty_figure("No supplier in this package has a location (lat, lon).")
    fig = go.Figure()
    peak = max(int(capabilities), 1)
    for alignment, colour in ALIGNMENT_COLOURS.items():
        part = located[located["alignment"] == alignment]
        if part.empty:
            continue
        size = [6 + 26 * math.sqrt(v / peak) for v in part["capabilities_lost"]]
        hover = [
            f"<b>{plain(r.name)}</b><br>{plain(r.nation_name)} ({plain(r.nation_id)}), "
            f"{r.alignment}<br>"
            f"stops {r.capabilities_lost} capabilit{'y' if r.capabilities_lost == 1 else 'ies'} "
            f"in {r.nations_lost} nation(s) on its own<br>risk rank {r.rank}"
            for r in part.itertuples()
        ]
        fig.add_trace(go.Scattergeo(
            lat=part["lat"], lon=part["lon"], mode="markers", name=alignment,
            marker=dict(size=size, color=colour, symbol=ALIGNMENT_SYMBOLS[alignment],
                        opacity=0.75, line=dict(width=0.6, color="#333")),
            hovertext=hover, hoverinfo="text", customdata=list(part.index),
        ))
    fig.update_geos(**_geo())
    return _layout(fig, height=460, legend=dict(title="Site nation's alignment "
                                                      "(size: capabilities it stops alone):",
                                                orientation="h", x=0.0, y=-0.02,
                                                yanchor="top"),
                   margin=dict(l=0, r=0, t=10, b=40))


def exposure_heatmap(hm, title: str) -> go.Figure:
    """Failing nation × capability loss (``hm``: :func:`riskgraph.views.exposure_heatmap`)."""
    if hm.z.empty:
        return empty_figure("No nation's failure costs any capability here.")
    z = (hm.z * 100).round(1)
    # A hover template, not a text per cell: a 100k-node package has 40 × 4,000 cells,
    # and per-cell text made the figure 15 MB.
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=_plain_all(hm.col_labels), y=_plain_all(hm.row_labels),
        colorscale=LOSS_SCALE, zmin=0, zmax=100, hoverongaps=False,
        hovertemplate="If <b>%{y}</b> fails,<br><b>%{x}</b> loses %{z:.0f}% of its "
                      "supply<extra></extra>",
        colorbar=dict(title=dict(text="supply<br>lost (%)"), ticksuffix="%"),
        xgap=1, ygap=1,
    ))
    height = max(320, 16 * len(hm.row_labels) + 160)
    fig.update_yaxes(autorange="reversed", title="failing nation", tickfont=dict(size=10))
    fig.update_xaxes(title="capability (fielding nation, platform)", tickangle=-60,
                     tickfont=dict(size=9))
    return _layout(fig, height=height, title=dict(text=plain(title), x=0.01))


def capability_heatmap(hm, *, title: str, value_label: str, scale: str = LOSS_SCALE,
                       percent: bool = True, zmax: float | None = None) -> go.Figure:
    """Nation × platform matrix (``hm``: :func:`riskgraph.views.capability_matrix`)."""
    if hm.z.empty:
        return empty_figure("Nothing to show.")
    z = hm.z * 100 if percent else hm.z
    unit = "%" if percent else " days"
    # Cells a nation does not field are gaps, which show no hover (hoverongaps=False).
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=_plain_all(hm.col_labels), y=_plain_all(hm.row_labels),
        colorscale=scale, zmin=0,
        zmax=(100 if percent else zmax), hoverongaps=False,
        hovertemplate=f"<b>%{{y}}</b> — %{{x}}<br>{value_label}: %{{z:.0f}}{unit}"
                      "<extra></extra>",
        colorbar=dict(title=dict(text=value_label.replace(" (", "<br>(")),
                      ticksuffix=("%" if percent else "")),
        xgap=1, ygap=1,
    ))
    fig.update_yaxes(autorange="reversed", title="fielding nation", tickfont=dict(size=10))
    fig.update_xaxes(title="platform", tickangle=-35, tickfont=dict(size=10))
    height = max(300, 17 * len(hm.row_labels) + 170)
    return _layout(fig, height=height, title=dict(text=plain(title), x=0.01),
                   plot_bgcolor="#F4F4F4")


def choropleth(dependence: pd.DataFrame, failing_name: str) -> go.Figure:
    """Each fielding nation's mean capability loss if ``failing_name`` fails.

    ``dependence`` is :func:`riskgraph.views.nation_dependence`.
    """
    if dependence.empty:
        return empty_figure("No nation fields a capability.")
    pct = dependence["mean_loss_fraction"] * 100
    hover = [f"<b>{plain(r.name)}</b><br>mean supply lost: {p:.0f}%<br>"
             f"{r.capabilities_lost} of {r.capabilities} capabilities stopped"
             for r, p in zip(dependence.itertuples(), pct)]
    fig = go.Figure(go.Choropleth(
        locations=list(dependence.index), z=pct, locationmode="ISO-3",
        colorscale=LOSS_SCALE, zmin=0, zmax=100, hoverinfo="text", text=hover,
        marker_line_color="#666", marker_line_width=0.4,
        colorbar=dict(title=dict(text="mean supply<br>lost (%)"), ticksuffix="%"),
    ))
    fig.update_geos(**_geo())
    return _layout(fig, height=430,
                   title=dict(text=f"Dependence on {plain(failing_name)}: what each fielding "
                                   f"nation loses if it fails", x=0.01))


def timeline(intervals: pd.DataFrame, horizon_days: float, *, max_rows: int = 60
             ) -> go.Figure:
    """When each capability is down (bars from the first to the last down day of each
    interval); ``intervals`` is :func:`riskgraph.views.down_intervals`."""
    if intervals.empty:
        return empty_figure("No capability goes down within the horizon.", height=220)
    caps = list(dict.fromkeys(intervals["capability"]))
    shown = caps[:max_rows]
    part = intervals[intervals["capability"].isin(shown)]
    label = {c: plain(f"{n} ({c.split(':', 1)[1]})") for c, n in zip(part["capability"], part["name"])}
    fig = go.Figure(go.Bar(
        y=[label[c] for c in part["capability"]],
        x=part["end_day"] - part["start_day"], base=part["start_day"], orientation="h",
        marker=dict(color=OKABE_ITO["vermillion"], opacity=0.85),
        hovertext=[f"<b>{label[c]}</b><br>down from day {a:.0f} to day {b:.0f} "
                   f"({b - a:.0f} days)"
                   for c, a, b in zip(part["capability"], part["start_day"], part["end_day"])],
        hoverinfo="text", name="down",
    ))
    fig.add_vline(x=horizon_days, line_dash="dot", line_color="#555",
                  annotation_text="horizon", annotation_position="top")
    title = "When each capability is down (days from the start of the disruption)"
    if len(caps) > max_rows:
        title += f" — first {max_rows} of {len(caps)}"
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=10), categoryorder="array",
                     categoryarray=[label[c] for c in shown])
    fig.update_xaxes(title="day", range=[0, horizon_days * 1.02])
    return _layout(fig, height=max(220, 18 * len(shown) + 120), showlegend=False,
                   title=dict(text=title, x=0.01))


def importance_chart(ranking: pd.DataFrame, *, value: str, label: str, top: int = 20
                     ) -> go.Figure:
    """Horizontal bars of the ``top`` failure points of a ranking table (highest first)."""
    if ranking.empty or value not in ranking.columns:
        return empty_figure("No importance measures to show.")
    part = ranking.head(top)
    names = part["name"] if "name" in part.columns else pd.Series(part.index, index=part.index)
    ylab = [plain(f"{n} ({i.split(':', 1)[0]})") for n, i in zip(names, part.index)]
    fig = go.Figure(go.Bar(
        y=ylab, x=part[value], orientation="h",
        marker=dict(color=OKABE_ITO["blue"]),
        hovertext=[f"<b>{y}</b><br>{label}: {v:.3g}" for y, v in zip(ylab, part[value])],
        hoverinfo="text", name=label,
    ))
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=10))
    fig.update_xaxes(title=label)
    return _layout(fig, height=max(260, 22 * len(part) + 100), showlegend=False,
                   title=dict(text=f"Most important failure points ({label})", x=0.01))


def nation_damage_figure(d) -> go.Figure:
    """Nations ranked (``d``: :func:`riskgraph.views.damage.nation_damage`): a labelled bar
    of the ranking measure over each failing nation, and under it the loss of every
    capability (rows grouped by platform, names throughout; every label drawn at 11 px)."""
    from plotly.subplots import make_subplots

    if d.z.empty:
        return empty_figure("No nation's failure costs any capability here.")
    names = _plain_all(d.nations["name"])
    rows = len(d.z)
    bar_px, row_px = 150, 15
    heat_px = row_px * rows
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=12 / (
        bar_px + heat_px + 60), row_heights=[bar_px, heat_px])
    mean = (d.nations["mean_loss"] * 100).round(1)
    fig.add_trace(go.Bar(
        x=names, y=mean, text=[f"{v:.0f}%" for v in mean], textposition="outside",
        textangle=-90, textfont=dict(size=11), constraintext="none", marker_color="#B30000",
        cliponaxis=False,
        name="mean supply lost",
        customdata=d.nations[["capabilities_down", "capabilities_hit"]].to_numpy(),
        hovertemplate="If <b>%{x}</b> fails: %{y:.1f}% of supply lost on average;<br>"
                      "%{customdata[0]} capabilities down, %{customdata[1]} hit"
                      "<extra></extra>"), row=1, col=1)
    z = (d.z * 100).round(1)
    caps = d.capabilities
    fig.add_trace(go.Heatmap(
        z=z.to_numpy(), x=names,
        y=[_plain_all(caps["platform"]), _plain_all(caps["nation"])],
        colorscale=LOSS_SCALE, zmin=0, zmax=100, hoverongaps=False, xgap=1, ygap=1,
        hovertemplate="If <b>%{x}</b> fails,<br><b>%{y}</b> loses %{z:.0f}% of its "
                      "supply<extra></extra>",
        colorbar=dict(title=dict(text="supply<br>lost (%)"), ticksuffix="%", len=0.5,
                      y=0.75, yanchor="top")), row=2, col=1)
    fig.update_yaxes(title=dict(text="mean supply<br>lost (%)", font=dict(size=11)),
                     range=[0, 130], row=1, col=1, tickfont=dict(size=11))
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=11), row=2, col=1)
    # Nation names above the bars (top) and again under the last row (bottom).
    fig.update_xaxes(side="top", showticklabels=True, tickangle=-60,
                     tickfont=dict(size=11), row=1, col=1)
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=11), row=2, col=1)
    return _layout(fig, height=bar_px + heat_px + 330, showlegend=False,
                   margin=dict(l=10, r=10, t=170, b=150))
