"""Callbacks of the shell shared by every page."""

from __future__ import annotations

from dash import Input, Output

from .. import ids
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
