"""WSGI guards around the whole app: security headers, HTTP basic auth, body caps.

They wrap the Flask WSGI callable, so they cover every route Dash serves: pages,
callbacks (``/_dash-update-component``), component bundles, assets and the favicon, and
every answer, the guards' own 401, 413, 429 and 503 included. From the outside in:

* :class:`SecurityHeaders` adds the headers of :func:`security_headers` (a Content Security
  Policy without ``'unsafe-eval'``, ``frame-ancestors 'none'``, ``nosniff``, no referrer)
  and a ``Server`` header without versions to every response;
* :class:`BasicAuth` checks user and password in constant time and, after repeated
  failures from one client, answers 429 with ``Retry-After`` (doubling delays);
* :class:`RequestSizeLimit` answers 413 from ``Content-Length`` alone, before any of the
  body is read, reads a chunked body at most one byte past the cap, and keeps the bytes of
  all bodies being handled at once within a budget (503 with ``Retry-After`` beyond).
"""

from __future__ import annotations

import base64
import binascii
import gc
import hmac
import ipaddress
import tempfile
import threading
import time

__all__ = ["BasicAuth", "BodyBudget", "RequestSizeLimit", "SecurityHeaders", "SERVER_NAME",
           "is_loopback", "parse_auth", "security_headers"]

#: What the ``Server`` header says: no product versions.
SERVER_NAME = "riskgraph"
#: Bodies from this size on are followed by a garbage collection (see RequestSizeLimit).
_COLLECT_AFTER = 1 << 20


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
                            ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), *headers])
    return [body]


# ---------------------------------------------------------------------- headers


def security_headers(script_hashes=()) -> list[tuple[str, str]]:
    """The headers every response carries.

    ``script_hashes`` are the CSP hashes of the page's inline scripts (Dash's renderer
    start-up, from ``Dash.csp_hashes()``); no other inline script and no ``eval`` run.
    Styles may be inline (Plotly and Mantine set element styles), images and fonts may be
    ``data:`` URLs, and nothing is fetched from, framed by or posted to another origin.

    >>> dict(security_headers())["X-Frame-Options"]
    'DENY'
    """
    csp = "; ".join([
        "default-src 'self'",
        "script-src " + " ".join(["'self'", *script_hashes]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])
    return [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]


class SecurityHeaders:
    """Add :func:`security_headers` to every response and replace any ``Server`` header
    (Werkzeug's names its version and Python's) with :data:`SERVER_NAME`.

    ``headers`` is a list of pairs, or a function returning one, called for each
    response: Dash registers some inline scripts (clientside callbacks of its pages) only
    when it serves its first request, so their hashes are known only then.
    """

    def __init__(self, app, headers):
        self.app = app
        self.headers = headers if callable(headers) else (lambda: list(headers))

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            ours = self.headers() + [("Server", SERVER_NAME)]
            names = {name.lower() for name, _ in ours}
            kept = [(k, v) for k, v in headers if k.lower() not in names]
            return start_response(status, kept + ours, exc_info)

        return self.app(environ, start)


# ---------------------------------------------------------------------- auth


class BasicAuth:
    """Require HTTP basic auth with one user and password on every request.

    User and password are both compared in constant time (``hmac.compare_digest``). A
    client (by remote address) that fails ``free_failures`` times in a row is then
    refused with 429 and ``Retry-After`` for ``base_delay`` seconds, doubling with each
    further failure up to ``max_delay``; the right credentials are refused too while the
    delay runs, and a success clears the count. A request with no credentials at all (a
    browser's first try) is a plain 401 and does not count.
    """

    def __init__(self, app, username: str, password: str, realm: str = "riskgraph", *,
                 free_failures: int = 5, base_delay: float = 1.0, max_delay: float = 300.0,
                 clock=time.monotonic):
        self.app = app
        self._user = username.encode("utf-8")
        self._password = password.encode("utf-8")
        self.realm = realm
        self.free_failures = int(free_failures)
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # client -> (count, locked until)

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

    def retry_after(self, client: str) -> float:
        """Seconds ``client`` must still wait before trying again (0: it may try now)."""
        with self._lock:
            _, until = self._failures.get(client, (0, 0.0))
        return max(0.0, until - self._clock())

    def _record(self, client: str, ok: bool) -> None:
        with self._lock:
            if ok:
                self._failures.pop(client, None)
                return
            if len(self._failures) > 10_000:  # bound the table against address floods
                self._failures.clear()
            count = self._failures.get(client, (0, 0.0))[0] + 1
            until = 0.0
            if count >= self.free_failures:
                delay = min(self.max_delay,
                            self.base_delay * 2 ** (count - self.free_failures))
                until = self._clock() + delay
            self._failures[client] = (count, until)

    def __call__(self, environ, start_response):
        client = environ.get("REMOTE_ADDR", "")
        wait = self.retry_after(client)
        if wait > 0:
            return _plain_response(
                start_response, "429 Too Many Requests",
                f"too many failed logins: try again in {wait:.0f} s\n",
                [("Retry-After", str(max(1, round(wait + 0.5))))])
        header = environ.get("HTTP_AUTHORIZATION", "")
        if self._authorised(header):
            self._record(client, True)
            return self.app(environ, start_response)
        if header:
            self._record(client, False)
        return _plain_response(
            start_response, "401 Unauthorized", "authentication required\n",
            [("WWW-Authenticate", f'Basic realm="{self.realm}", charset="UTF-8"')])


# ---------------------------------------------------------------------- body sizes


class BodyBudget:
    """A budget of request-body bytes shared by all requests being handled at once.

    >>> b = BodyBudget(100)
    >>> b.take(60), b.take(60), b.release(60), b.take(60)
    (True, False, None, True)
    """

    def __init__(self, total: int):
        self.total = int(total)
        self.used = 0
        self._lock = threading.Condition()

    def take(self, n: int, wait: float = 0.0) -> bool:
        """Reserve ``n`` bytes, waiting up to ``wait`` seconds for them; False if not."""
        deadline = time.monotonic() + wait
        with self._lock:
            while self.used + n > self.total:
                left = deadline - time.monotonic()
                if n > self.total or left <= 0:
                    return False
                self._lock.wait(left)
            self.used += n
            return True

    def release(self, n: int) -> None:
        with self._lock:
            self.used = max(0, self.used - n)
            self._lock.notify_all()


class _Released:
    """The app's response iterable that gives its body bytes back when closed."""

    def __init__(self, result, release):
        self._result = result
        self._release = release

    def __iter__(self):
        return iter(self._result)

    def close(self):
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            self._release()


class RequestSizeLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413, before reading them.

    A ``Content-Length`` over the cap is refused at once. A body without one (chunked) is
    read here, at most ``max_bytes + 1`` bytes, into a file that spills to disk past
    1 MiB, and refused as soon as it passes the cap. Every body's bytes are reserved
    from ``budget`` (a :class:`BodyBudget`, by default ``max_bytes + 8 MiB``: one large
    upload at a time beside the small callback requests) until its response is done;
    when the budget is spent the request gets 503 with ``Retry-After`` after ``wait``
    seconds. Flask's ``MAX_CONTENT_LENGTH`` stays as a second line.
    """

    def __init__(self, app, max_bytes: int, budget: BodyBudget | None = None,
                 wait: float = 2.0):
        self.app = app
        self.max_bytes = int(max_bytes)
        self.budget = budget if budget is not None else BodyBudget(self.max_bytes + 2**23)
        self.wait = float(wait)

    def _too_large(self, start_response, n):
        environ_n = f"{n} bytes" if n is not None else "a body"
        # (no "Connection: close": a hop-by-hop header is the server's, not the app's;
        # waitress turns an app that sends one into a 500)
        return _plain_response(
            start_response, "413 Request Entity Too Large",
            f"request body of {environ_n} is over the {self.max_bytes}-byte limit\n")

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = not length and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            n = int(length or "0")
        except ValueError:
            return _plain_response(start_response, "400 Bad Request", "bad Content-Length\n")
        if n < 0:
            return _plain_response(start_response, "400 Bad Request", "bad Content-Length\n")
        if n > self.max_bytes:
            return self._too_large(start_response, n)
        reserve = self.max_bytes if chunked else n
        if reserve and not self.budget.take(reserve, self.wait):
            return _plain_response(
                start_response, "503 Service Unavailable",
                "the server is busy receiving other large requests; try again shortly\n",
                [("Retry-After", "5")])
        released = []

        def release():
            if not released:
                released.append(True)
                if reserve:
                    self.budget.release(reserve)
                if reserve >= _COLLECT_AFTER:
                    # A failed request's traceback forms reference cycles that keep its
                    # body (and the JSON decoded from it) alive until the cyclic
                    # collector happens to run: six 72 MiB posts kept ~700 MiB. Large
                    # bodies are rare, so collect now.
                    gc.collect()
                if chunked and hasattr(environ.get("wsgi.input"), "rollover"):
                    environ["wsgi.input"].close()  # our spooled copy of the body

        try:
            if chunked:
                body = _read_capped(environ["wsgi.input"], self.max_bytes)
                if body is None:
                    release()
                    return self._too_large(start_response, None)
                environ["wsgi.input"] = body
                environ["CONTENT_LENGTH"] = str(body.seek(0, 2))
                body.seek(0)
                environ.pop("HTTP_TRANSFER_ENCODING", None)
                environ["wsgi.input_terminated"] = False
            return _Released(self.app(environ, start_response), release)
        except BaseException:
            release()
            raise


def _read_capped(stream, cap: int):
    """The body of ``stream`` in a temporary file (memory up to 1 MiB), or None as soon
    as it passes ``cap`` bytes."""
    out = tempfile.SpooledTemporaryFile(max_size=2**20)
    total = 0
    while True:
        chunk = stream.read(min(2**16, cap + 1 - total))
        if not chunk:
            return out
        total += len(chunk)
        if total > cap:
            out.close()
            return None
        out.write(chunk)
