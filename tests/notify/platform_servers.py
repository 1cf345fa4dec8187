"""Local servers that behave like the chat platforms' bot webhooks, on 127.0.0.1 (tests and bench).

One HTTP server answers the three APIs as the platforms do (HTTP 200, verdict in the body):

- 企业微信 ``POST /cgi-bin/webhook/send?key=KEY``: unknown key 93000; text content over 2,048
  UTF-8 bytes or markdown over 4,096 -> 40058; the 21st message of a window to one key -> 45009;
- 钉钉 ``POST /robot/send?access_token=TOKEN[&timestamp=&sign=]``: unknown token 300001; a bot
  with a secret checks 加签 (HMAC-SHA256 of ``timestamp\\nsecret``, base64) and that the
  timestamp is within ``max_skew`` of now -> 310000; a body over 20,000 bytes -> 460101; the
  21st message of a window -> 130101;
- 飞书 ``POST /open-apis/bot/v2/hook/TOKEN``: unknown token 19001; a bot with a secret checks
  签名校验 (HMAC-SHA256 keyed by ``timestamp\\nsecret``) within ``max_skew`` -> 19021; a body
  over 20 KB -> 9499; more than 5 per second or 100 per window -> 11232.

The window is ``window`` seconds (60 like the platforms, shorter in tests, the same value the
project reads from ``GXQ_NOTIFY_RATE_WINDOW``), counted over requests that reached the rate
check, as the platforms count calls. ``force(bot, [answers])`` makes the next requests to a bot
get the given answers (an ``int`` HTTP status or a ``(code, msg)`` refusal) before any check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Request:
    platform: str
    bot: str
    at: float
    code: int  # 0 accepted; the platform's refusal code; or -HTTP status for a forced HTTP error
    text: str = ""
    title: str = ""
    payload: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)


class PlatformServer:
    def __init__(self, window: float = 60.0, max_skew: float = 3600.0, delay: float = 0.0):
        self.window = window
        self.max_skew = max_skew
        self.delay = delay
        self.wecom_keys: set[str] = set()
        self.dingtalk_bots: dict[str, str | None] = {}  # token -> secret
        self.feishu_bots: dict[str, str | None] = {}
        self.requests: list[Request] = []
        self._recent: dict[tuple[str, str], deque] = defaultdict(deque)
        self._forced: dict[str, list] = defaultdict(list)
        self._lock = threading.Lock()
        self.port = free_port()
        self._server: ThreadingHTTPServer | None = None

    # -- configuration -------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {"GXQ_WECOM_API_BASE": self.base, "GXQ_DINGTALK_API_BASE": self.base,
                "GXQ_FEISHU_API_BASE": self.base}

    def force(self, bot: str, answers: list) -> None:
        with self._lock:
            self._forced[bot].extend(answers)

    # -- inspection ----------------------------------------------------------------------------

    def accepted(self, bot: str | None = None) -> list[Request]:
        return [r for r in self.requests if r.code == 0 and (bot is None or r.bot == bot)]

    def refused(self, code: int | None = None) -> list[Request]:
        return [r for r in self.requests if r.code != 0 and (code is None or r.code == code)]

    def duplicates(self) -> int:
        seen: dict[tuple, int] = defaultdict(int)
        for r in self.accepted():
            seen[(r.bot, r.title, r.text)] += 1
        return sum(n - 1 for n in seen.values() if n > 1)

    def max_in_window(self, bot: str, seconds: float | None = None) -> int:
        """The most requests to ``bot`` that arrived within any window of ``seconds``."""
        seconds = seconds or self.window
        times = sorted(r.at for r in self.requests if r.bot == bot and r.code >= 0)
        best, j = 0, 0
        for i, t in enumerate(times):
            while t - times[j] >= seconds:
                j += 1
            best = max(best, i - j + 1)
        return best

    # -- the checks ------------------------------------------------------------------------------

    def _rate(self, platform: str, bot: str, now: float, limits) -> bool:
        """Count this call; False when it exceeds one of ``limits`` [(n, seconds)]."""
        q = self._recent[(platform, bot)]
        longest = max(s for _, s in limits)
        while q and now - q[0] >= longest:
            q.popleft()
        over = any(sum(1 for t in q if now - t < s) >= n for n, s in limits)
        q.append(now)
        return not over

    def _skew_ok(self, timestamp: float, now: float) -> bool:
        return abs(now - timestamp) <= self.max_skew

    def dingtalk_sign(self, timestamp: str, secret: str) -> str:
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def feishu_sign(self, timestamp: str, secret: str) -> str:
        return base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()

    def check_dingtalk_signature(self, secret: str, timestamp: str | None, sign: str | None,
                                 now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if not timestamp or not sign:
            return False
        try:
            ok_time = self._skew_ok(int(timestamp) / 1000, now)
        except ValueError:
            return False
        return ok_time and hmac.compare_digest(sign, self.dingtalk_sign(timestamp, secret))

    def _answer(self, path: str, query: dict, raw: bytes) -> tuple[int, dict, Request]:
        now = time.time()
        try:
            payload = json.loads(raw.decode("utf-8"))
        except ValueError:
            payload = {}
        if path.startswith("/cgi-bin/webhook/send"):
            platform, bot = "wecombot", query.get("key", "")
        elif path.startswith("/robot/send"):
            platform, bot = "dingtalk", query.get("access_token", "")
        elif path.startswith("/open-apis/bot/v2/hook/"):
            platform, bot = "feishu", path.rsplit("/", 1)[-1]
        else:
            return 404, {}, Request("?", "?", now, -404)
        req = Request(platform, bot, now, 0, payload=payload, query=query)
        req.title, req.text = self._message(platform, payload)
        code_key, msg_key = ("code", "msg") if platform == "feishu" else ("errcode", "errmsg")

        def verdict(code: int, msg: str):
            req.code = code
            return 200, {code_key: code, msg_key: msg}, req

        forced = self._forced.get(bot)
        if forced:
            answer = forced.pop(0)
            if isinstance(answer, int):
                req.code = -answer
                return answer, {}, req
            return verdict(*answer)

        if platform == "wecombot":
            if bot not in self.wecom_keys:
                return verdict(93000, "invalid webhook url, hint: [1701000000_1_xxx]")
            mtype = payload.get("msgtype")
            content = (payload.get(mtype) or {}).get("content", "")
            limit = 4096 if mtype == "markdown" else 2048
            if len(content.encode("utf-8")) > limit:
                return verdict(40058, f"content exceed max length {limit}")
            if not self._rate(platform, bot, now, [(20, self.window)]):
                return verdict(45009, "api freq out of limit")
        elif platform == "dingtalk":
            if bot not in self.dingtalk_bots:
                return verdict(300001, "token is not exist")
            secret = self.dingtalk_bots[bot]
            if secret and not self.check_dingtalk_signature(secret, query.get("timestamp"), query.get("sign"), now):
                return verdict(310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
            if len(raw) > 20000:
                return verdict(460101, "message too long, exceed 20000 bytes")
            if not self._rate(platform, bot, now, [(20, self.window)]):
                return verdict(130101, "send too fast, exceed 20 times per minute")
        else:
            if bot not in self.feishu_bots:
                return verdict(19001, "param invalid: incoming webhook access token invalid")
            secret = self.feishu_bots[bot]
            if secret:
                ts, sign = str(payload.get("timestamp", "")), str(payload.get("sign", ""))
                try:
                    ok_time = self._skew_ok(int(ts), now)
                except ValueError:
                    ok_time = False
                if not (ok_time and hmac.compare_digest(sign, self.feishu_sign(ts, secret))):
                    return verdict(19021, "sign match fail or timestamp is not within one hour from current time")
            if len(raw) > 20 * 1024:
                return verdict(9499, "Bad Request")
            if not self._rate(platform, bot, now, [(5, 1.0), (100, self.window)]):
                return verdict(11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]")
        return verdict(0, "ok")

    @staticmethod
    def _message(platform: str, payload: dict) -> tuple[str, str]:
        """(title, text) of a request: the title is the first line (bold in 企业微信 markdown, a
        heading in 钉钉's, the card header in 飞书's)."""
        if platform == "feishu" and payload.get("msg_type") != "text":
            card = payload.get("card") or {}
            title = ((card.get("header") or {}).get("title") or {}).get("content", "")
            return title, ((card.get("elements") or [{}])[0].get("text") or {}).get("content", "")
        if platform == "feishu":
            text = (payload.get("content") or {}).get("text", "")
        else:
            mtype = payload.get("msgtype")
            text = (payload.get(mtype) or {}).get("text" if mtype == "markdown" and platform == "dingtalk"
                                                  else "content", "")
        if "\n" not in text:
            return "", text
        title, text = text.split("\n", 1)
        return title.removeprefix("# ").removeprefix("**").removesuffix("**"), text

    # -- the server ------------------------------------------------------------------------------

    def start(self) -> PlatformServer:
        platform_server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if platform_server.delay:
                    time.sleep(platform_server.delay)
                with platform_server._lock:
                    status, body, req = platform_server._answer(url.path, query, raw)
                    platform_server.requests.append(req)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
