"""Building the Dash app: pages, shell, callbacks, guards.

:func:`create_app` is the one entry point (``server.serve`` and the tests call it). The app
serves every asset itself (``serve_locally``; Mantine, AG Grid and Cytoscape bundles come
from their Python packages and the world map from ``assets/``), so it works offline.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dash
from dash import Dash, DiskcacheManager, html, set_props

from . import ids
from .auth import BasicAuth, RequestSizeLimit, SecurityHeaders, security_headers
from .callbacks import register_all
from .components import message
from .layout import shell
from .pages import PAGES
from .state import CONFIG_KEY, Workspace
from .uploads import UploadLimits

log = logging.getLogger(__name__)

__all__ = ["create_app", "DEFAULT_MAX_REQUEST_BYTES"]

#: Largest request body accepted (uploads are base64 inside a JSON callback request).
DEFAULT_MAX_REQUEST_BYTES = 80 * 1024 * 1024
ASSETS = Path(__file__).parent / "assets"


def _on_error(err: Exception):
    """Last resort for a callback bug: log it, tell the user briefly, no traceback."""
    log.error("callback failed", exc_info=err)
    set_props(ids.GLOBAL_MESSAGE, {"children": message(
        "Something went wrong while updating this view; the error was logged on the "
        "server. Try again, or reload the page.", kind="error", title="Unexpected error")})


def create_app(packages, *, auth: tuple[str, str] | None = None, work_dir=None,
               max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
               preload: bool = True, max_nodes: int | None = None) -> Dash:
    """The dashboard app over some data packages.

    Parameters
    ----------
    packages
        Package folders offered on the Data page; the first is the default.
    auth
        ``(user, password)``: require HTTP basic auth on every request.
    work_dir
        Private folder for uploads and background jobs (a temporary one if None).
    max_request_bytes
        Largest request body accepted (413 beyond).
    preload
        Analyse the default package now, so the first page is fast.
    max_nodes
        Largest uploaded package accepted, in nodes (None: ``DEFAULT_MAX_NODES``).
    """
    import dash_cytoscape
    import diskcache

    dash_cytoscape.load_extra_layouts()  # dagre, served from the package like the rest
    limits = UploadLimits() if max_nodes is None else UploadLimits(max_nodes=int(max_nodes))
    ws = Workspace(packages, work_dir=work_dir, upload_limits=limits)
    manager = DiskcacheManager(diskcache.Cache(str(ws.work_dir / "callbacks")))
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        serve_locally=True,
        title="riskgraph",
        update_title=None,
        background_callback_manager=manager,
        on_error=_on_error,
        suppress_callback_exceptions=False,
    )
    server = app.server
    server.config[CONFIG_KEY] = ws
    server.config.update(DEBUG=False, TESTING=False, PROPAGATE_EXCEPTIONS=False,
                         MAX_CONTENT_LENGTH=int(max_request_bytes),
                         MAX_FORM_MEMORY_SIZE=int(max_request_bytes))
    server.debug = False
    # Debug and dev tools stay off whatever DASH_DEBUG and friends say: explicit values win.
    app.enable_dev_tools(debug=False, dev_tools_ui=False, dev_tools_props_check=False,
                         dev_tools_serve_dev_bundles=False, dev_tools_hot_reload=False,
                         dev_tools_silence_routes_logging=True,
                         dev_tools_prune_errors=True, dev_tools_validate_callbacks=False)

    for module in PAGES:
        page = dict(module.PAGE)
        dash.register_page(module.__name__, layout=module.layout, **page)
    app.layout = shell
    app.validation_layout = html.Div([shell(), *[m.layout() for m in PAGES]])
    register_all(app)

    # Outermost first: headers on every answer (the guards' own too), then auth (so a
    # stranger's body is never read), then the body caps.
    wsgi = RequestSizeLimit(server.wsgi_app, max_request_bytes)
    if auth is not None:
        user, password = auth
        wsgi = BasicAuth(wsgi, user, password)
    server.wsgi_app = SecurityHeaders(wsgi, lambda: security_headers(app.csp_hashes()))

    if preload:
        ws.get(None)
    return app
