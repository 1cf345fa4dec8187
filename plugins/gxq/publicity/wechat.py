"""Published articles straight from the WeChat Official Account API (微信公众号 已发布图文).

An alternative source to the ``wechat_posts`` table of ``dept_publicity``, selected by
configuration (see :func:`gxq.publicity.source.wechat_source`). Two calls of the platform's API:

- ``GET  cgi-bin/token?grant_type=client_credential&appid=...&secret=...`` -> ``access_token``
  (valid 7200 s; fetched once and refreshed when the platform says it expired);
- ``POST cgi-bin/freepublish/batchget?access_token=...`` with JSON ``{offset, count, no_content}``
  -> ``{total_count, item_count, item: [{article_id, update_time, content: {news_item: [{title,
  is_deleted, ...}]}}]}``, newest first, at most 20 per page.

Connection (Airflow connection id ``wechat_mp``, ``AIRFLOW_CONN_WECHAT_MP`` or the UI):
``host`` the API base URL (``https://api.weixin.qq.com``), ``login`` the AppID, ``password`` the
AppSecret, extra ``{"account_type": "订阅号" | "服务号"}``.

Errors: ``40001``/``40014``/``42001`` (invalid or expired access token) refresh the token and
retry; ``-1`` (system busy), HTTP 5xx/429 and network errors back off exponentially and retry;
any other ``errcode`` fails at once with the platform's message (a wrong AppSecret does not get
better by retrying).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from gxq import connections
from gxq.periods import TZ

log = logging.getLogger(__name__)

CONN_ID = "wechat_mp"
DEFAULT_BASE_URL = "https://api.weixin.qq.com"
PAGE_SIZE = 20  # the platform's maximum for batchget
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid credential / invalid token / token expired
BUSY_ERRORS = {-1, 45009}  # system busy / API frequency limit reached

SUBSCRIPTION = "订阅号"
SERVICE = "服务号"
ACCOUNT_TYPES = {SUBSCRIPTION: SUBSCRIPTION, SERVICE: SERVICE, "subscription": SUBSCRIPTION, "service": SERVICE}
# 服务号: 每月可群发 4 次 (four mass sends a calendar month); 订阅号: once a day, no monthly cap.
MONTHLY_SEND_LIMIT = {SERVICE: 4, SUBSCRIPTION: None}


class WeChatError(RuntimeError):
    """The platform answered with an error code that retrying will not fix."""

    def __init__(self, errcode: int | None, errmsg: str, call: str):
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"WeChat {call}: errcode {errcode}: {errmsg}")


class WeChatConfigError(RuntimeError):
    """The ``wechat_mp`` connection is missing or incomplete."""


def normalise_account_type(value: str | None) -> str:
    if not value:
        return SUBSCRIPTION
    text = str(value).strip()
    try:
        return ACCOUNT_TYPES[text if text in ACCOUNT_TYPES else text.lower()]
    except KeyError:
        raise WeChatConfigError(f"account_type must be 订阅号 or 服务号 (subscription / service), got {value!r}") from None


@dataclass(frozen=True)
class WeChatAccount:
    base_url: str
    appid: str
    secret: str = field(repr=False)
    account_type: str = SUBSCRIPTION

    @property
    def monthly_send_limit(self) -> int | None:
        return MONTHLY_SEND_LIMIT[self.account_type]


def account_from_connection(conn_id: str = CONN_ID) -> WeChatAccount:
    """The account of an Airflow connection (``AIRFLOW_CONN_WECHAT_MP`` JSON or URI, or Airflow)."""
    value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if value:
        value = value.strip()
        if value.startswith("{"):
            spec = connections.parse_conn_value(conn_id, value)
            host, login, password, extra = _with_port(spec.host, spec.port), spec.login, spec.password, spec.extra
        else:  # URI: http(s)://APPID:SECRET@host:port/?account_type=服务号
            parts = urlsplit(value)
            scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
            netloc = parts.hostname or ""
            if parts.port:
                netloc += f":{parts.port}"
            host = f"{scheme}://{netloc}"
            login = unquote(parts.username) if parts.username else None
            password = unquote(parts.password) if parts.password else None

            extra = dict(parse_qsl(parts.query))
    else:
        spec = connections._airflow_spec(conn_id)
        if spec is None:
            raise WeChatConfigError(
                f"no Airflow connection {conn_id!r}: define it (host = API base URL, login = AppID, "
                "password = AppSecret, extra account_type) or set GXQ_WECHAT_SOURCE=table"
            )
        host, login, password, extra = _with_port(spec.host, spec.port), spec.login, spec.password, spec.extra
    if not login or not password:
        raise WeChatConfigError(f"connection {conn_id!r} needs login (AppID) and password (AppSecret)")
    base = (host or DEFAULT_BASE_URL).rstrip("/")
    if "://" not in base:
        base = "https://" + base
    return WeChatAccount(base, login, password, normalise_account_type((extra or {}).get("account_type")))


def _with_port(host: str | None, port: int | None) -> str | None:
    if not host:
        return host
    base = host if "://" in host else "https://" + host
    if port and urlsplit(base).port is None:
        parts = urlsplit(base)
        base = f"{parts.scheme}://{parts.hostname}:{port}{parts.path}"
    return base


@dataclass(frozen=True)
class PublishedArticle:
    """One article of one publication (一次发布中的一篇图文)."""

    article_id: str  # the publication's id; several articles may share it
    index: int
    title: str
    published_at: dt.datetime  # naive Asia/Shanghai wall clock


class WeChatClient:
    """A small client of the two calls, with token refresh, retries and pagination."""

    def __init__(
        self,
        account: WeChatAccount,
        *,
        session=None,
        timeout: float = 10.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        sleep=time.sleep,
    ):
        # requests (~200 ms to import) only for the API source, not the default table source.
        import requests

        self.account = account
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        self._token: str | None = None
        self._token_expires = 0.0
        self.calls = {"token": 0, "batchget": 0}

    # --- transport ---------------------------------------------------------------------------
    def _wait(self, attempt: int) -> None:
        delay = self.backoff * (2 ** attempt)
        if delay:
            self._sleep(min(delay, 60.0))

    def _request(self, method: str, path: str, call: str, **kwargs) -> dict:
        """One API call answered with JSON; retries busy answers, HTTP 5xx/429 and network errors."""
        import requests  # deferred, see __init__

        url = f"{self.account.base_url}/{path}"
        last_error: Exception | None = None
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_error = exc
                log.warning("WeChat %s: %s (attempt %d)", call, exc.__class__.__name__, attempt + 1)
                self._wait(attempt)
                continue
            if resp.status_code >= 500 or resp.status_code == 429:
                last_error = RuntimeError(f"HTTP {resp.status_code}")
                log.warning("WeChat %s: HTTP %d (attempt %d)", call, resp.status_code, attempt + 1)
                self._wait(attempt)
                continue
            if resp.status_code >= 400:
                raise WeChatError(None, f"HTTP {resp.status_code}", call)
            try:
                data = json.loads(resp.content.decode("utf-8"))
            except ValueError as exc:
                raise WeChatError(None, f"answer is not JSON: {exc}", call) from None
            code = data.get("errcode") or 0
            if code in BUSY_ERRORS:
                last_error = WeChatError(code, data.get("errmsg", ""), call)
                log.warning("WeChat %s: errcode %s %s (attempt %d)", call, code, data.get("errmsg"), attempt + 1)
                self._wait(attempt)
                continue
            return data
        raise RuntimeError(f"WeChat {call}: gave up after {self.max_retries + 1} attempts: {last_error}")

    # --- access token ------------------------------------------------------------------------
    def access_token(self, *, refresh: bool = False) -> str:
        if self._token and not refresh and time.monotonic() < self._token_expires:
            return self._token
        self.calls["token"] += 1
        data = self._request(
            "GET", "cgi-bin/token", "token",
            params={"grant_type": "client_credential", "appid": self.account.appid, "secret": self.account.secret},
        )
        if data.get("errcode"):
            raise WeChatError(data["errcode"], data.get("errmsg", ""), "token")
        token = data.get("access_token")
        if not token:
            raise WeChatError(None, "no access_token in the answer", "token")
        self._token = token
        # refresh a little early; the platform's tokens live 7200 s
        self._token_expires = time.monotonic() + max(int(data.get("expires_in") or 7200) - 300, 60)
        return token

    def _batchget(self, offset: int, count: int) -> dict:
        refreshed = 0
        while True:
            token = self.access_token(refresh=refreshed > 0)
            self.calls["batchget"] += 1
            data = self._request(
                "POST", "cgi-bin/freepublish/batchget", "freepublish/batchget",
                params={"access_token": token},
                data=json.dumps({"offset": offset, "count": count, "no_content": 1}).encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
            code = data.get("errcode") or 0
            if code in TOKEN_ERRORS and refreshed < 2:
                log.info("WeChat access token invalid or expired (errcode %s): refreshing", code)
                refreshed += 1
                continue
            if code:
                raise WeChatError(code, data.get("errmsg", ""), "freepublish/batchget")
            return data

    # --- published articles ------------------------------------------------------------------
    def published_articles(self, since: dt.datetime | None = None, max_pages: int = 200) -> list[PublishedArticle]:
        """Every published, not deleted article, newest first; pages stop once past ``since``
        (naive local time) since the list comes newest first."""
        out: list[PublishedArticle] = []
        offset = 0
        for _ in range(max_pages):
            data = self._batchget(offset, PAGE_SIZE)
            items = data.get("item") or []
            oldest_on_page = None
            for item in items:
                content = item.get("content") or {}
                stamp = item.get("update_time") or content.get("update_time") or content.get("create_time")
                if stamp is None:
                    continue
                when = dt.datetime.fromtimestamp(int(stamp), TZ).replace(tzinfo=None)
                oldest_on_page = when if oldest_on_page is None else min(oldest_on_page, when)
                for index, news in enumerate(content.get("news_item") or []):
                    if news.get("is_deleted"):
                        continue
                    out.append(PublishedArticle(str(item.get("article_id", "")), index, news.get("title") or "", when))
            count = int(data.get("item_count") or len(items))
            offset += count
            total = int(data.get("total_count") or 0)
            if count == 0 or offset >= total:
                break
            if since is not None and oldest_on_page is not None and oldest_on_page < since:
                break
        else:
            log.warning("WeChat freepublish/batchget: stopped after %d pages", max_pages)
        return out


def counts_between(articles: list[PublishedArticle], start: dt.datetime, end: dt.datetime) -> dict:
    """Articles, updates (distinct Asia/Shanghai days with an article: 公众号更新) and publications
    (sends) with publish time in [start, end)."""
    inside = [a for a in articles if start <= a.published_at < end]
    return {"posts": len(inside), "update_days": len({a.published_at.date() for a in inside}),
            "sends": len({a.article_id for a in inside})}
