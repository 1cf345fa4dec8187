"""Real channels for the outbox tests: an HTTP server receiving Apprise ``json://`` posts and an
SMTP server (aiosmtpd) receiving Apprise ``mailto://`` mail, both on 127.0.0.1; the ``gxq_ops``
store on SQLite and on PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import pg_url

# Counts quoted in the closing note: printed at the end of the session (pytest -s or -rA).
SCENARIOS: dict[str, dict] = {}


def record_scenario(name: str, **counts) -> None:
    SCENARIOS[name] = counts
    print(f"[notify scenario] {name}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JsonSink:
    """Receives Apprise json:// posts. ``fail_next(n, code)`` answers ``code`` n times first;
    ``delay`` slows every answer (to widen race windows)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[dict] = []
        self.requests = 0
        self._fail: list[int] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # -- control --
    def fail_next(self, n: int, code: int = 500) -> None:
        with self._lock:
            self._fail = [code] * n

    def start(self) -> JsonSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if sink.delay:
                    time.sleep(sink.delay)
                with sink._lock:
                    sink.requests += 1
                    code = sink._fail.pop(0) if sink._fail else 200
                    if code == 200:
                        sink.messages.append(json.loads(raw.decode("utf-8")))
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/"

    # -- inspection --
    def titles(self) -> list[str]:
        return [m.get("title", "") for m in self.messages]

    def duplicates(self) -> int:
        counts = Counter((m.get("title"), m.get("message")) for m in self.messages)
        return sum(c - 1 for c in counts.values() if c > 1)


@pytest.fixture
def json_sink():
    sinks: list[JsonSink] = []

    def make(port: int | None = None) -> JsonSink:
        s = JsonSink(port).start()
        sinks.append(s)
        return s

    yield make
    for s in sinks:
        s.stop()


class SmtpSink:
    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, to: str) -> str:
        # Plain SMTP on a local port: mode=insecure (no STARTTLS, no SSL), no login.
        return f"mailto://127.0.0.1:{self.port}?from=gxq@example.com&to={to}&mode=insecure"


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture(autouse=True)
def _notify_env(monkeypatch, tmp_path):
    monkeypatch.setenv("GXQ_NOTIFY_RETRY_DELAY", "0.05")
    monkeypatch.setenv("GXQ_NOTIFY_ATTEMPTS", "4")
    monkeypatch.setenv("GXQ_OUTPUT_DIR", str(tmp_path / "output"))


@pytest.fixture(params=["sqlite", "postgres"])
def ops_engine(request, tmp_path, monkeypatch):
    """A fresh, migrated ``gxq_ops`` for one test, also set as AIRFLOW_CONN_GXQ_OPS."""
    import sqlalchemy as sa
    from gxq import store
    from gxq.connections import dispose_all, engine_for, parse_conn_value

    from tests.conftest import pg_conn_json, sqlite_conn_json

    if request.param == "sqlite":
        value = sqlite_conn_json(tmp_path / "gxq_ops.db")
    else:
        pg = request.getfixturevalue("pg")
        name = pg.create(f"notify_{abs(hash(request.node.nodeid)) % 10**8}")
        value = pg_conn_json(name)
        assert pg_url(name)
    monkeypatch.setenv("AIRFLOW_CONN_GXQ_OPS", value)
    engine = engine_for("gxq_ops", parse_conn_value("gxq_ops", value))
    store.ensure_schema(engine)
    yield engine
    dispose_all()
    assert isinstance(engine, sa.engine.Engine)


@pytest.fixture
def apprise_config(tmp_path, monkeypatch):
    """Write an Apprise YAML config {url: tags} and point GXQ_APPRISE_CONFIG at it."""
    counter = {"n": 0}

    def write(mapping: dict[str, str | list[str]]) -> str:
        counter["n"] += 1
        lines = ["version: 1", "urls:"]
        for url, tags in mapping.items():
            tags = [tags] if isinstance(tags, str) else list(tags)
            lines.append(f"  - \"{url}\":")
            lines.append(f"      - tag: {', '.join(tags)}")
        path = tmp_path / f"apprise-{counter['n']}.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(path))
        return str(path)

    return write


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # pragma: no cover - reporting
    if SCENARIOS:
        terminalreporter.write_sep("-", "notify scenarios (messages received)")
        for name, counts in SCENARIOS.items():
            terminalreporter.write_line(f"{name}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


@pytest.fixture
def platform_server(monkeypatch):
    """Local 企业微信/钉钉/飞书 bot APIs (tests/notify/platform_servers.py) with a 2-second window,
    the project pointed at them through GXQ_*_API_BASE and GXQ_NOTIFY_RATE_WINDOW."""
    from tests.notify.platform_servers import PlatformServer

    server = PlatformServer(window=2.0).start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GXQ_NOTIFY_RATE_WINDOW", str(server.window))
    yield server
    server.stop()
