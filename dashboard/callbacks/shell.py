"""Callbacks of the shell shared by every page."""

from __future__ import annotations

from dash import Input, Output, State

from .. import ids
from ..layout import NAV_JS
from ..state import InputError, workspace

__all__ = ["package_badge", "register"]


def package_badge(key):
    """The header badge: which package this tab looks at."""
    try:
        ref = workspace().ref(key)
    except InputError:
        return "no package loaded — choose one on the Data page"
    origin = "uploaded" if ref.origin == "upload" else "bundled"
    return f"{ref.name} · {origin} · {ref.key[:8]}"


def register(app) -> None:
    app.callback(Output(ids.PACKAGE_BADGE, "children"), Input(ids.PACKAGE, "data"))(
        package_badge)
    # Narrow windows: the "Pages" button opens and closes the navigation (docs: README).
    app.clientside_callback(NAV_JS, Output(ids.SHELL, "navbar"),
                            Output(ids.NAV_TOGGLE, "aria-expanded"),
                            Input(ids.NAV_TOGGLE, "n_clicks"),
                            Input("_pages_location", "pathname"),
                            State(ids.NAV_TOGGLE, "aria-expanded"))
