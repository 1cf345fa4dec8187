"""Hand-built ``dept_publicity`` databases (SQLite and PostgreSQL) around ISO week 2021-W09, and a
local HTTP server answering like the WeChat Official Account API (token + freepublish/batchget)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import pg_conn_json, pg_url, sqlite_conn_json

# (post_id, published_at local) - None: a bad row without time
WECHAT_POSTS = [
    ("W0", "2021-02-28 23:59:59"),  # Sunday before W09: never in W09
    ("W1", "2021-03-01 00:00:00"),  # Monday 00:00 of W09: included
    ("W2", "2021-03-03 10:00:00"),  # exactly the Wednesday run's D: excluded there, counted on Friday
    ("W3", "2021-03-05 15:00:00"),  # exactly the Friday run's D: excluded there
    ("W5a", "2021-03-18 09:00:00"),  # one mass send of two articles (same publish time)
    ("W5b", "2021-03-18 09:00:00"),
    ("W6", "2021-03-19 09:00:00"),  # the 4th send of March 2021
    ("WX", None),
    # 公众号更新 = days with a post (Asia/Shanghai wall clock), whatever the number of articles
    ("U1a", "2021-05-04 09:00:00"),  # W18: one update (群发) of three articles
    ("U1b", "2021-05-04 09:00:00"),
    ("U1c", "2021-05-04 09:00:00"),
    ("U2", "2021-05-11 09:00:00"),  # W19: one single-article update
    # W20: no post at all
    ("U4a", "2021-05-25 08:00:00"),  # W21: two posts on one day, at two times: one update
    ("U4b", "2021-05-25 20:00:00"),
    ("U5a", "2021-06-01 23:59:59"),  # W22: the last second of a day and the first of the next: two
    ("U5b", "2021-06-02 00:00:00"),
]
INFO_SUBMISSIONS = [
    ("S1", "2021-03-01 08:00:00"),
    ("S2", "2021-03-03 09:59:59"),  # one second before D
    ("S3", "2021-03-07 23:59:59"),  # last second of W09
    ("S4", "2021-03-08 00:00:00"),  # W10
    ("S5", "2021-03-22 09:00:00"),  # W12
    ("S6", "2021-03-23 09:00:00"),
    ("SX", None),
]


def fill(engine) -> None:
    import sqlalchemy as sa
    from gxq.demo import schema

    schema.create_all(engine, "dept_publicity")
    empty = "" if engine.dialect.name == "sqlite" else None  # '' means NULL in SQLite text columns
    with engine.begin() as conn:
        for pid, at in WECHAT_POSTS:
            conn.execute(sa.text("INSERT INTO wechat_posts VALUES (:i, :t, :title, 'U01')"),
                         {"i": pid, "t": at if at else empty, "title": f"营商动态 {pid}"})
        for sid, at in INFO_SUBMISSIONS:
            conn.execute(sa.text("INSERT INTO info_submissions VALUES (:i, :t, :title, '市政府办', 'U01')"),
                         {"i": sid, "t": at if at else empty, "title": f"工作信息 {sid}"})


@pytest.fixture(scope="session")
def publicity_dbs(pg, session_tmp) -> dict[str, dict[str, str]]:
    """{backend: {conn_id: AIRFLOW_CONN_ JSON}} for dept_publicity and gxq_ops, built once."""
    import sqlalchemy as sa

    folder = session_tmp / "publicity-sqlite"
    folder.mkdir(exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{folder / 'dept_publicity.db'}")
    fill(engine)
    engine.dispose()
    dept = pg.create("pub_dept")
    ops = pg.create("pub_ops")
    engine = sa.create_engine(pg_url(dept))
    fill(engine)
    engine.dispose()
    return {
        "sqlite": {"dept_publicity": sqlite_conn_json(folder / "dept_publicity.db"),
                   "gxq_ops": sqlite_conn_json(folder / "gxq_ops.db")},
        "pg": {"dept_publicity": pg_conn_json(dept), "gxq_ops": pg_conn_json(ops)},
    }


@pytest.fixture(params=["sqlite", "pg"])
def backend(request, publicity_dbs, use_conns, monkeypatch):
    monkeypatch.delenv("GXQ_WECHAT_SOURCE", raising=False)
    monkeypatch.delenv("GXQ_WECHAT_ACCOUNT_TYPE", raising=False)
    use_conns(publicity_dbs[request.param])
    return request.param


def local_ts(text: str) -> int:
    from gxq.periods import TZ

    return int(dt.datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp())


class FakeWeChat:
    """Answers ``cgi-bin/token`` and ``cgi-bin/freepublish/batchget`` like the platform.

    ``publications``: [(article_id, 'YYYY-MM-DD HH:MM:SS' local, [titles], deleted indexes)],
    served newest first. Scripted faults: ``expire_token()`` (next batchget answers 42001),
    ``busy(n)`` (errcode -1 n times), ``http_errors(n, code)``.
    """

    APPID = "wx0123456789abcdef"
    SECRET = "s3cr3t"

    def __init__(self, publications):
        self.publications = sorted(publications, key=lambda p: p[1], reverse=True)
        self.requests: list[tuple[str, dict]] = []
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()
        self._busy = 0
        self._http: list[int] = []
        self._lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def expire_token(self):
        with self._lock:
            self.valid_tokens.clear()

    def busy(self, n: int):
        self._busy = n

    def http_errors(self, n: int, code: int = 502):
        self._http = [code] * n

    def conn_json(self, account_type: str = "订阅号", secret: str | None = None) -> str:
        return json.dumps({"conn_type": "http", "host": "http://127.0.0.1", "port": self.port,
                           "login": self.APPID, "password": secret or self.SECRET,
                           "extra": {"account_type": account_type}}, ensure_ascii=False)

    # --- the API ---------------------------------------------------------------------------
    def _token(self, query) -> dict:
        if query.get("grant_type") != ["client_credential"]:
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != [self.APPID]:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != [self.SECRET]:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        with self._lock:
            self.tokens_issued += 1
            token = f"TOKEN{self.tokens_issued}"
            self.valid_tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def _batchget(self, query, body) -> dict:
        token = (query.get("access_token") or [""])[0]
        if not token:
            return {"errcode": 41001, "errmsg": "access_token missing"}
        if token not in self.valid_tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if self._busy:
            self._busy -= 1
            return {"errcode": -1, "errmsg": "system error"}
        offset, count = int(body.get("offset", 0)), int(body.get("count", 20))
        if not 1 <= count <= 20:
            return {"errcode": 40009, "errmsg": "invalid count"}
        page = self.publications[offset:offset + count]
        items = []
        for article_id, at, titles, deleted in page:
            stamp = local_ts(at)
            news = [{"title": t, "author": "", "url": f"https://mp.weixin.qq.com/s/{article_id}-{i}",
                     "is_deleted": i in deleted} for i, t in enumerate(titles)]
            items.append({"article_id": article_id, "update_time": stamp,
                          "content": {"news_item": news, "create_time": stamp, "update_time": stamp}})
        return {"total_count": len(self.publications), "item_count": len(items), "item": items}

    def start(self) -> FakeWeChat:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, payload: dict, code: int = 200):
                raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _route(self, method):
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                fake.requests.append((f"{method} {parts.path}", body))
                if fake._http:
                    return self._answer({"error": "bad gateway"}, fake._http.pop(0))
                if method == "GET" and parts.path == "/cgi-bin/token":
                    return self._answer(fake._token(query))
                if method == "POST" and parts.path == "/cgi-bin/freepublish/batchget":
                    return self._answer(fake._batchget(query, body))
                return self._answer({"errcode": 48001, "errmsg": "api unauthorized"}, 200)

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


# 45 publications: enough for three pages of 20
def _publications():
    pubs = [
        ("P-W09-a", "2021-03-01 00:00:00", ["周一零点发布"], set()),
        ("P-W09-b", "2021-03-03 10:00:00", ["恰在截止时刻", "同次第二篇"], set()),
        ("P-W09-c", "2021-03-02 12:00:00", ["已删除", "保留"], {0}),
        ("P-W08", "2021-02-28 23:59:59", ["上周日"], set()),
        ("P-03-a", "2021-03-18 09:00:00", ["三月第4次"], set()),
        ("P-03-b", "2021-03-19 09:00:00", ["三月第5次"], set()),
    ]
    day = dt.datetime(2021, 2, 26, 9)
    for i in range(39):  # older history, one a day back from 2021-02-26
        pubs.append((f"P-old-{i:02d}", (day - dt.timedelta(days=i)).strftime("%Y-%m-%d %H:%M:%S"), [f"旧文 {i}"], set()))
    return pubs


@pytest.fixture
def fake_wechat():
    server = FakeWeChat(_publications()).start()
    yield server
    server.stop()
