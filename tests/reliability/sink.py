"""A local HTTP notice receiver (Apprise ``json://``) that counts what it accepted.

``hold_at=n``: the n-th request (1-based) is held open and never answered (the sender is then
mid-send; the test kills it). ``stop()`` takes the channel down (connection refused)."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoticeSink:
    def __init__(self, port: int | None = None, hold_at: int | None = None):
        self.port = port or free_port()
        self.hold_at = hold_at
        self.accepted: list[dict] = []  # answered 200: delivered
        self.requests = 0
        self.held = threading.Event()  # set when the held request arrived
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = None

    def start(self) -> NoticeSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with sink._lock:
                    sink.requests += 1
                    n = sink.requests
                if sink.hold_at is not None and n == sink.hold_at:
                    sink.held.set()
                    sink._release.wait(60)
                    self.close_connection = True
                    return  # never answered: not delivered
                try:
                    msg = json.loads(raw.decode("utf-8"))
                except ValueError:
                    msg = {"raw": raw.decode("utf-8", "replace")}
                with sink._lock:
                    sink.accepted.append(msg)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/"

    def keys(self) -> list[tuple[str, str]]:
        return [(m.get("title", ""), m.get("message", "")) for m in self.accepted]

    def duplicates(self) -> int:
        return sum(c - 1 for c in Counter(self.keys()).values() if c > 1)


def write_config(path, url: str, tags=("office", "ops", "finance", "publicity", "fallback")) -> str:
    """An Apprise YAML config routing every tag (and, through ``fallback``, every unit) to url."""
    path.write_text("version: 1\nurls:\n  - " + url + ":\n      - tag: " + ", ".join(tags) + "\n", encoding="utf-8")
    return str(path)
