"""What every callback shares: the package of the request, input checks, error messages.

Callbacks validate their inputs with the ``check_*`` helpers, which raise
:class:`~..state.InputError` with a message a planner can act on. :func:`user_errors` turns
such errors (and the library's own :class:`~riskgraph.RiskgraphError`) into a message in the
callback's last output, leaving the other outputs as they are. Anything else is a bug: the
app-wide error handler logs it and shows a generic message, never a traceback.
"""

from __future__ import annotations

import functools
import math
from urllib.parse import urlencode

from dash import Input, Output, no_update

from riskgraph.errors import RiskgraphError
from riskgraph.views import search_options

from ..components import OPTION_LIMIT, message, options
from ..state import InputError, Loaded, workspace

__all__ = ["background_job", "check_choice", "check_id", "check_number", "loaded", "picker_options",
           "user_errors", "whatif_link"]


def loaded(key) -> Loaded:
    """The analysed package a browser tab looks at (its key is a content hash)."""
    return workspace().get(key)


def user_errors(n_outputs: int):
    """Decorator: an InputError or RiskgraphError becomes a message in the last output."""

    def wrap(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except (InputError, RiskgraphError) as err:
                text = str(err)
                if n_outputs == 1:
                    return message(text)
                return (no_update,) * (n_outputs - 1) + (message(text),)

        return run

    return wrap


def check_number(value, name: str, *, lo: float, hi: float, integer: bool = False,
                 default=None):
    """A number within ``[lo, hi]`` (None/empty gives ``default`` when one is given)."""
    if value is None or value == "":
        if default is not None:
            return default
        raise InputError(f"{name} is required (a number from {lo:g} to {hi:g})")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(f"{name} must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise InputError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")
    if integer:
        if number != int(number):
            raise InputError(f"{name} must be a whole number, got {value!r}")
        return int(number)
    return number


def check_choice(value, name: str, choices) -> str:
    """One of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        shown = ", ".join(list(choices)[:10])
        raise InputError(f"{name} must be one of {shown}, got {value!r}")
    return value


def check_id(entry: Loaded, value, name: str, kinds=("nation", "supplier", "component",
                                                     "capability")) -> str:
    """A typed id of one of ``kinds`` that exists in the package."""
    if not isinstance(value, str) or ":" not in value:
        raise InputError(f"{name}: expected a typed id such as 'supplier:S01', got {value!r}")
    kind = value.split(":", 1)[0]
    if kind not in kinds:
        raise InputError(f"{name}: {value!r} is a {kind}; expected a {' or '.join(kinds)}")
    if value not in entry.network.nodes.index:
        raise InputError(f"{name}: {value!r} is not in package {entry.ref.name}")
    return value


def picker_options(table, text=None, value=None) -> list[dict]:
    """Options of a searchable picker: all of a short list; of a long one, the first
    :data:`~..components.OPTION_LIMIT` rows matching ``text``, and the chosen ``value`` so
    the picker still shows it."""
    if len(table) <= OPTION_LIMIT:
        return options(table)
    rows = search_options(table, text, limit=OPTION_LIMIT).index
    if isinstance(value, str) and value in table.index and value not in rows:
        rows = [value, *rows[:OPTION_LIMIT - 1]]
    return options(table.loc[rows])


def whatif_link(fail: str, days: float, focus: str | None = None) -> str:
    """The What-if page's URL with one failure pre-filled (query parameters)."""
    query = {"fail": fail, "days": f"{days:g}"}
    if focus:
        query["focus"] = focus
    return "/whatif?" + urlencode(query)


def background_job(app, run_job, *, ticket: str, result: str, message: str, progress: str,
                   status: str, run: str, cancel: str) -> None:
    """Wire ``run_job`` as the background callback of a job page: fired by the ``ticket``
    store, it writes the ``result`` store (or a ``message``), reports ``progress`` and
    ``status`` as it goes, and keeps the ``run`` button disabled and ``cancel`` enabled
    while it runs (Cancel stops it)."""
    app.callback(
        Output(result, "data", allow_duplicate=True),
        Output(message, "children", allow_duplicate=True),
        Input(ticket, "data"),
        background=True,
        progress=[Output(progress, "value"), Output(status, "children")],
        running=[(Output(run, "disabled"), True, False),
                 (Output(cancel, "disabled"), False, True)],
        cancel=[Input(cancel, "n_clicks")],
        interval=400,
        prevent_initial_call=True,
    )(run_job)
