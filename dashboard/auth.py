"""WSGI guards around the whole app: HTTP basic auth and a request-size cap.

Both wrap the Flask WSGI callable, so they cover every route Dash serves: pages,
callbacks (``/_dash-update-component``), component bundles, assets and the favicon.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress

__all__ = ["BasicAuth", "RequestSizeLimit", "is_loopback", "parse_auth"]


def parse_auth(text) -> tuple[str, str]:
    """``"user:password"`` -> ``("user", "password")``.

    Raises
    ------
    ValueError
        When either part is empty or there is no colon.

    Examples
    --------
    >>> parse_auth("planner:s3cret:with:colons")
    ('planner', 's3cret:with:colons')
    """
    if not isinstance(text, str) or ":" not in text:
        raise ValueError("--auth must be user:password")
    user, _, password = text.partition(":")
    if not user or not password:
        raise ValueError("--auth must be user:password with a non-empty user and password")
    return user, password


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine.

    Only ``localhost`` and literal loopback addresses count; any other name (or ``0.0.0.0``)
    may be reachable from the network.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "example.org")]
    [True, True, True, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _plain_response(start_response, status: str, text: str, headers=()):
    body = text.encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body))), *headers])
    return [body]


class BasicAuth:
    """Require HTTP basic auth with one user and password on every request."""

    def __init__(self, app, username: str, password: str, realm: str = "riskgraph"):
        self.app = app
        self._user = username.encode("utf-8")
        self._password = password.encode("utf-8")
        self.realm = realm

    def _authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(b":")
        # Compare both parts in constant time, and always both.
        ok_user = hmac.compare_digest(user, self._user)
        ok_password = hmac.compare_digest(password, self._password)
        return bool(sep) and ok_user and ok_password

    def __call__(self, environ, start_response):
        if self._authorised(environ.get("HTTP_AUTHORIZATION", "")):
            return self.app(environ, start_response)
        return _plain_response(
            start_response, "401 Unauthorized", "authentication required\n",
            [("WWW-Authenticate", f'Basic realm="{self.realm}", charset="UTF-8"')])


class RequestSizeLimit:
    """Refuse request bodies announced larger than ``max_bytes`` with 413.

    Bodies without a length (chunked) are capped by Flask's ``MAX_CONTENT_LENGTH``, which
    ``create_app`` sets to the same number.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = int(max_bytes)

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH") or "0"
        try:
            n = int(length)
        except ValueError:
            return _plain_response(start_response, "400 Bad Request", "bad Content-Length\n")
        if n > self.max_bytes:
            return _plain_response(
                start_response, "413 Request Entity Too Large",
                f"request body of {n} bytes is over the {self.max_bytes}-byte limit\n")
        return self.app(environ, start_response)
