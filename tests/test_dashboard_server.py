"""Serving safely: loopback by default, auth everywhere else, debug off, bodies capped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from riskgraph_dashboard.app import create_app
from riskgraph_dashboard.auth import BasicAuth, is_loopback, parse_auth
from riskgraph_dashboard.server import serve
from riskgraph_dashboard.state import CONFIG_KEY, JobGate, Workspace

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "allied-defence"
WORKED = ROOT / "tests" / "fixtures" / "worked"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    app = create_app([str(WORKED)], auth=("planner", "s3cret:x"), max_request_bytes=4096,
                     work_dir=tmp_path_factory.mktemp("secured"))
    yield app.server.test_client()
    app.server.config[CONFIG_KEY].close()


def _basic(user, password):
    import base64

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# ----------------------------------------------------------------------------- serve()


@pytest.mark.parametrize("kwargs, text", [
    (dict(host="0.0.0.0"), "without authentication"),
    (dict(host="192.0.2.10"), "without authentication"),
    (dict(host="example.org"), "without authentication"),
    (dict(host="0.0.0.0", auth="no-colon"), "user:password"),
    (dict(auth=":password"), "non-empty"),
    (dict(port=70000), "--port"),
    (dict(port="8050"), "--port"),
    (dict(workers=0), "--workers"),
    (dict(workers=True), "--workers"),
    (dict(threads=1000), "--threads"),
    (dict(max_nodes=0), "--max-nodes"),
    (dict(max_request_mb=-1), "--max-request-mb"),
    (dict(max_request_mb="80"), "--max-request-mb"),
])
def test_serve_refuses_unsafe_or_bad_options(capsys, kwargs, text):
    assert serve([str(WORKED)], **kwargs) == 2
    assert text in capsys.readouterr().err


def test_serve_refuses_a_missing_or_invalid_package(capsys, tmp_path):
    assert serve([str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    assert serve([str(tmp_path / "bad")]) == 3
    assert "not a valid package" in capsys.readouterr().err


def test_loopback_rules():
    assert is_loopback("127.0.0.1") and is_loopback("127.1.2.3") and is_loopback("::1")
    assert is_loopback("[::1]") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("myhost")
    assert parse_auth("a:b:c") == ("a", "b:c")


def test_a_non_loopback_start_without_auth_exits_2_as_a_process():
    """The real entry point, as the CLI would run it: nothing listens, status 2."""
    proc = subprocess.run(
        [sys.executable, "-m", "riskgraph_dashboard.server", str(WORKED), "--host",
         "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--auth" in proc.stderr


def test_the_server_starts_and_stops_cleanly(tmp_path):
    """Started on a free loopback port it answers, and SIGTERM stops it with status 0."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, DASH_DEBUG="true", FLASK_DEBUG="1", HOST="0.0.0.0", PORT="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskgraph_dashboard.server", str(WORKED), "--port",
         str(port)], stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    assert r.status == 200
                    page = r.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.time() < deadline, "server did not start"
                time.sleep(0.3)
        # debug off despite DASH_DEBUG: the production renderer, no dev-tools bundle
        assert "dash_renderer" in page and "dash-renderer/build/dash_renderer.dev" not in page
        assert '"ui": false' in page.replace("\"ui\":false", '"ui": false')
    finally:
        proc.terminate()
        err = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in err


# ----------------------------------------------------------------------------- guards


@pytest.mark.parametrize("path", ["/", "/network", "/_dash-layout", "/_dash-dependencies",
                                  "/assets/riskgraph.css", "/assets/world_110m.json",
                                  "/_favicon.ico", "/_dash-component-suites/nope.js"])
def test_every_route_needs_auth(secured, path):
    # one client address per path: repeated failures from one client are delayed (429)
    client = {"REMOTE_ADDR": f"10.1.0.{len(path)}"}
    with secured.get(path, environ_base=client) as r:
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"].startswith("Basic ")
    with secured.get(path, headers=_basic("planner", "wrong"), environ_base=client) as r:
        assert r.status_code == 401


def test_callbacks_need_auth_too(secured):
    body = json.dumps({"output": "package-badge.children", "outputs": {
        "id": "package-badge", "property": "children"}, "inputs": [
        {"id": "package-key", "property": "data", "value": None}], "changedPropIds": []})
    r = secured.post("/_dash-update-component", data=body, content_type="application/json")
    assert r.status_code == 401
    ok = secured.post("/_dash-update-component", data=body, content_type="application/json",
                      headers=_basic("planner", "s3cret:x"))
    assert ok.status_code == 200 and "worked" in ok.get_data(as_text=True)


def test_authorised_pages_load(secured):
    auth = _basic("planner", "s3cret:x")
    for path in ("/", "/assets/world_110m.json"):
        with secured.get(path, headers=auth) as r:
            assert r.status_code == 200


def test_request_bodies_are_capped(secured):
    auth = _basic("planner", "s3cret:x")
    r = secured.post("/_dash-update-component", data="x" * 5000,
                     content_type="application/json", headers=auth)
    assert r.status_code == 413


def test_a_failing_callback_gives_no_traceback(secured):
    auth = _basic("planner", "s3cret:x")
    body = json.dumps({"output": "nope.children", "outputs": {"id": "nope",
                       "property": "children"}, "inputs": [], "changedPropIds": []})
    r = secured.post("/_dash-update-component", data=body, content_type="application/json",
                     headers=auth)
    assert r.status_code >= 400
    assert "Traceback" not in r.get_data(as_text=True)


def test_basic_auth_refuses_malformed_headers():
    seen = []
    guard = BasicAuth(lambda env, start: seen.append(env) or [b"ok"], "u", "p")
    for header in ("Basic !!!", "Bearer abc", "Basic dTpw:", "", "Basic dTp3cm9uZw=="):
        status = []
        guard({"HTTP_AUTHORIZATION": header}, lambda s, h: status.append(s))
        assert status == ["401 Unauthorized"]
    assert not seen


def test_debug_stays_off_whatever_the_environment(monkeypatch, tmp_path):
    for name in ("DASH_DEBUG", "DASH_UI", "DASH_PROPS_CHECK", "DASH_HOT_RELOAD",
                 "DASH_SERVE_DEV_BUNDLES", "FLASK_DEBUG"):
        monkeypatch.setenv(name, "true")
    app = create_app([str(WORKED)], work_dir=tmp_path)
    try:
        assert app.server.debug is False
        tools = app._dev_tools
        assert not tools.ui and not tools.props_check and not tools.hot_reload
        assert not tools.serve_dev_bundles
    finally:
        app.server.config[CONFIG_KEY].close()


# ----------------------------------------------------------------------------- state


def test_job_gate_admits_one_job_and_recovers_from_dead_ones(tmp_path):
    gate = JobGate(tmp_path / "gate", claim_seconds=0.5)
    ticket, holder = gate.acquire("first", {"n": 1})
    assert ticket and holder is None
    second, holder = gate.acquire("second", {"n": 2})
    assert second is None and holder["what"] == "first"
    assert gate.attach(ticket, os.getpid()) == {"n": 1}
    assert gate.attach(ticket, os.getpid()) is None  # a ticket runs once
    assert gate.acquire("third", {})[0] is None  # a live process holds it
    gate.release("not-the-ticket")
    assert gate.holder()["what"] == "first"
    gate.release(ticket)
    assert gate.holder() is None
    # a claimed slot whose process is gone is taken over
    t, _ = gate.acquire("doomed", {})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    gate.attach(t, int(dead))
    assert gate.acquire("after a crash", {})[0] is not None


def test_job_gate_reclaims_unclaimed_slots(tmp_path):
    gate = JobGate(tmp_path / "gate", claim_seconds=0.2)
    assert gate.acquire("never started", {})[0]
    time.sleep(0.3)
    assert gate.acquire("next", {})[0]


def test_workspace_caches_by_content_hash(tmp_path):
    ws = Workspace([WORKED, SAMPLE], work_dir=tmp_path)
    try:
        key = ws.default_key()
        assert ws.get(None) is ws.get(key)  # computed once
        assert [r.name for r in ws.refs()] == ["worked"]  # others load lazily
        assert ws.bundled_key("allied-defence") != key
        from riskgraph_dashboard.state import InputError

        with pytest.raises(InputError, match="no longer loaded"):
            ws.get("0" * 64)
        with pytest.raises(InputError, match="content hash"):
            ws.get(42)
        with pytest.raises(InputError, match="unknown bundled"):
            ws.bundled_key("nope")
    finally:
        ws.close()


def test_several_worker_processes_share_uploads_and_stop_together(tmp_path):
    """--workers 2: two processes on one socket; an upload taken in by one is usable
    through both (new connections land on either), and SIGTERM stops them all."""
    import base64
    import importlib.util
    import psutil

    from hostile import hostile_package

    spec = importlib.util.spec_from_file_location("bench_load_w", ROOT / "bench" / "load.py")
    load = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = load
    spec.loader.exec_module(load)
    try:
        proc, url = load.start_server(WORKED, 2, tmp_path / "server.log", threads=2)
        try:
            workers = [c for c in psutil.Process(proc.pid).children()
                       if "resource_tracker" not in " ".join(c.cmdline())]
            assert len(workers) == 2
            deps = load.fetch_json(url + "/_dash-dependencies")
            package = hostile_package(tmp_path / "other", source=WORKED)
            contents = [f"data:text/csv;base64,{base64.b64encode(p.read_bytes()).decode()}"
                        for p in sorted(package.glob("*.csv"))]
            names = [p.name for p in sorted(package.glob("*.csv"))]
            client = load.Client(url, timeout=120)
            status, data = client.post(load.callback_body(deps, "data-upload.contents", {
                "data-upload.contents": contents, "data-upload.filename": names}))
            client.close()
            assert status == 200, data[:300]
            key = json.loads(data)["response"]["package-key"]["data"]
            assert isinstance(key, str) and len(key) == 64
            point = load.failure_points(WORKED)[0]
            for _ in range(12):  # fresh connections: the kernel spreads them over both
                client = load.Client(url)
                values = dict(load.whatif_values(point, 30), **{"package-key.data": key})
                status, data = client.post(load.callback_body(deps, load.RUN, values))
                client.close()
                assert status == 200 and b"wi-summary" in data
                assert b"no longer loaded" not in data, data[:300]
        finally:
            load.stop_server(proc)
        assert proc.returncode == 0
        assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE
                       for w in workers)
    finally:
        del sys.modules[spec.name]
