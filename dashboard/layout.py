"""The app shell around every page: header, navigation, per-tab stores, page container."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from . import ids

__all__ = ["shell", "figure_box", "navbar", "NAV_BREAKPOINT", "NAV_JS", "ONE_TAB_STOP",
           "THEME"]

THEME = {
    "primaryColor": "blue",
    # blue 8 (#1971c2): white text on it and it on white both reach 4.5:1 (blue 6: 3.6:1)
    "primaryShade": 8,
    "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "defaultRadius": "sm",
}


def _nav():
    links = []
    for page in dash.page_registry.values():
        name = page["module"].rsplit(".", 1)[-1]
        links.append(dmc.NavLink(label=page["name"], href=page["relative_path"],
                                 active="exact", id=ids.NAV_LINK + name))
    return html.Nav(links, id=ids.NAV, className="rg-nav", **{"aria-label": "pages"})


#: AG Grid options making a grid one Tab stop: Tab leaves the grid (arrow keys move
#: between its cells) instead of visiting every cell (issue 12, accessibility).
ONE_TAB_STOP = {"tabToNextCell": {"function": "false"}}

def figure_box(graph, description: str):
    """A chart with a text alternative: a ``figure`` region named by ``description`` (say
    what it shows and where the same facts are as text)."""
    return html.Div(graph, role="figure", **{"aria-label": description})


#: Below this width the navigation is collapsed behind a toggle (68.75em = 1100 px).
NAV_BREAKPOINT = "68.75em"


def navbar(opened: bool) -> dict:
    """The AppShell's navbar settings; ``opened`` only matters below the breakpoint."""
    return {"width": 190, "breakpoint": NAV_BREAKPOINT, "collapsed": {"mobile": not opened}}


#: Client side: the toggle opens/closes the navigation; following a link closes it.
NAV_JS = """function (clicks, _path, expanded) {
    var ctx = window.dash_clientside.callback_context;
    var toggled = ctx.triggered.length && ctx.triggered[0].prop_id.indexOf("n_clicks") >= 0;
    var open = toggled ? expanded !== "true" : false;
    return [{width: 190, breakpoint: "%s", collapsed: {mobile: !open}},
            open ? "true" : "false"];
}""" % NAV_BREAKPOINT


def shell():
    """The layout of every page (a function, so each page load gets fresh stores)."""
    return dmc.MantineProvider(
        [
            # The package a tab looks at (None: the server's default) and the capability
            # picked last; both per browser tab, never on the server.
            dcc.Store(id=ids.PACKAGE, storage_type="session"),
            dcc.Store(id=ids.CAPABILITY, storage_type="session"),
            # What-if's scenario, saved comparisons and choices, kept while this tab lives.
            dcc.Store(id=ids.WI_SESSION, storage_type="session"),
            dmc.AppShell(
                [
                    dmc.AppShellHeader(
                        dmc.Group(
                            [
                                dmc.Group([
                                    html.Button(
                                        [html.Span("☰", **{"aria-hidden": "true"}), " Pages"],
                                        id=ids.NAV_TOGGLE, className="rg-nav-toggle",
                                        type="button", **{"aria-expanded": "false",
                                                          "aria-controls": ids.NAV}),
                                    dmc.Title("riskgraph", order=1, size="h3"),
                                    dmc.Text("supply-chain dependency risk", c="dimmed",
                                             size="sm", visibleFrom="sm"),
                                ], gap="sm"),
                                dmc.Badge(id=ids.PACKAGE_BADGE, variant="light",
                                          size="lg", children="…"),
                            ],
                            justify="space-between", h="100%", px="md",
                        ),
                    ),
                    dmc.AppShellNavbar(_nav(), p="sm", className="rg-navbar"),
                    dmc.AppShellMain([
                        html.Div(id=ids.GLOBAL_MESSAGE),
                        dash.page_container,
                    ]),
                ],
                id=ids.SHELL,
                header={"height": 56},
                # Below NAV_BREAKPOINT the navigation folds away behind the header's
                # "Pages" button (issue 12: at 700 px it covered the page for good).
                navbar=navbar(opened=False),
                padding="md",
            ),
        ],
        theme=THEME,
    )
