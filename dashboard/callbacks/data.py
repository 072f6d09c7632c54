"""Data callbacks: bundled packages, uploads and their validation report."""

from __future__ import annotations

import dash_mantine_components as dmc
import pandas as pd
from dash import Input, Output, State, html, no_update

from .. import ids
from ..components import message, records
from ..state import InputError, workspace
from ..uploads import decode_data_url
from .common import loaded, user_errors

__all__ = ["describe_current", "use_bundled", "receive_upload", "register"]

MAX_FILES = 20


@user_errors(5)
def describe_current(key, _page=None):
    """What the tab looks at, its warnings, and the bundled list."""
    ws = workspace()
    p = loaded(key)
    h = p.headline
    bundled = [{"value": n, "label": n} for n in ws.bundled]
    current = p.ref.name if p.ref.origin == "bundled" and p.ref.name in ws.bundled \
        else next(iter(ws.bundled))
    report = p.network.package.report
    warnings = report.frame() if report is not None else pd.DataFrame()
    card = dmc.Stack([
        dmc.Text([html.B("In use: "), f"{p.ref.name} ({p.ref.origin}), content hash ",
                  html.Code(p.ref.key[:16] + "…")]),
        dmc.Text(f"{h['nations']} nations, {h['suppliers']} suppliers, {h['components']} "
                 f"components, {h['capabilities']} capabilities; "
                 f"{len(warnings)} warning(s).", size="sm"),
    ], gap=2)
    return card, bundled, current, records(warnings), None


@user_errors(2)
def use_bundled(n_clicks, name):
    if not n_clicks:
        return no_update, None
    key = workspace().bundled_key(name)
    workspace().get(key)  # analyse now, so every page is ready
    return key, message(f"Now using {name}.", kind="success")


@user_errors(3)
def receive_upload(contents, filenames):
    """Check an upload in full; load it only when it has no error. The checking and the
    analysis run in a bounded child process (``Workspace.intake``: one upload at a time,
    node, time and memory limits), so this request only decodes the files."""
    if not contents:
        return no_update, no_update, None
    if isinstance(contents, str):
        contents, filenames = [contents], [filenames]
    if not isinstance(contents, list) or not isinstance(filenames, list) \
            or len(contents) != len(filenames) or len(contents) > MAX_FILES:
        raise InputError(f"upload at most {MAX_FILES} files at once")
    ws = workspace()
    limits = ws.intake.limits
    files = []
    try:
        for data, name in zip(contents, filenames):
            if not isinstance(name, str):
                raise InputError("each uploaded file needs a name")
            files.append((name, decode_data_url(data, limits)))
    except ValueError as err:
        raise InputError(f"cannot read the upload: {err}") from None
    name = files[0][0] if len(files) == 1 else f"upload of {len(files)} files"
    result = ws.intake.take(ws, files, name)
    issues = pd.DataFrame(result.problems, columns=["severity", "code", "file", "line",
                                                    "column", "value", "message"])
    return (result.key if result.key else no_update, records(issues),
            message(result.text, kind=result.kind, title=result.title))


def register(app) -> None:
    app.callback(
        Output(ids.DATA_CURRENT, "children"),
        Output(ids.DATA_BUNDLED, "data"),
        Output(ids.DATA_BUNDLED, "value"),
        Output(ids.DATA_ISSUES, "rowData"),
        Output(ids.DATA_MESSAGE, "children"),
        Input(ids.PACKAGE, "data"),
        Input(ids.DATA_PAGE, "id"),
    )(describe_current)
    app.callback(
        Output(ids.PACKAGE, "data"),
        Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
        Input(ids.DATA_USE, "n_clicks"),
        State(ids.DATA_BUNDLED, "value"),
        prevent_initial_call=True,
    )(use_bundled)
    app.callback(
        Output(ids.PACKAGE, "data", allow_duplicate=True),
        Output(ids.DATA_ISSUES, "rowData", allow_duplicate=True),
        Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
        Input(ids.DATA_UPLOAD, "contents"),
        State(ids.DATA_UPLOAD, "filename"),
        prevent_initial_call=True,
    )(receive_upload)
