"""Chat-bot Apprise plugins that count a message as delivered only when the platform accepted it.

企业微信 (and 政务微信), 钉钉 and 飞书 group bots answer **HTTP 200 also when they refuse a message**;
the refusal is in the body (``{"errcode": 45009, "errmsg": "..."}``, Feishu ``{"code": 11232}``).
Apprise 2.3.0's ``wecombot`` and ``dingtalk`` plugins judge by the HTTP status alone, so a
refused message passes for delivered. The classes here subclass the stock plugins, keep their
URL forms, and are registered over them through Apprise's plugin manager
(``NotificationManager.add(..., force=True)``, see :func:`register`)::

    wecombot://KEY[/USERID/USERID...]        企业微信 / 政务微信 group bot (user ids are @-mentioned)
    dingtalk://TOKEN[/PHONE...]              钉钉 group bot
    dingtalk://SECRET@TOKEN[/PHONE...]       钉钉 bot with 加签 (signature)
    feishu://TOKEN  feishu://SECRET@TOKEN    飞书 group bot (with 签名校验 when a secret is given)

What each adds to the stock plugin:

- **delivered means accepted**: ``send()`` returns True only when the answer's ``errcode``
  (Feishu ``code``, or the legacy ``StatusCode``) is 0. After every ``send()`` the instance
  keeps ``response_code`` and ``response_message`` (the platform's own), so a caller can tell a
  message refused as too fast (:attr:`ChatBot.too_fast_codes`) from one refused for good
  (:attr:`ChatBot.refused_codes`);
- **private deployments**: the API base comes from the URL's ``base=`` argument, else from
  ``GXQ_WECOM_API_BASE`` / ``GXQ_DINGTALK_API_BASE`` / ``GXQ_FEISHU_API_BASE``, else the public
  host;
- **limits in bytes**: :meth:`ChatBot.message_size` and :meth:`ChatBot.message_limit` say how
  many UTF-8 bytes a message costs and may cost, so a caller can split before sending
  (:func:`gxq.notify.channels.compose` does);
- **rate limits**: :attr:`ChatBot.rate_limits` states the platform's per-bot limits and
  :meth:`ChatBot.bot_id` names the bot (two URLs of one key share one allowance); the pacing
  itself spans processes and lives in :mod:`gxq.notify.pacing`, so Apprise's own per-object
  throttle is off (``request_rate_per_sec = 0``);
- **signing**: 钉钉 加签 and 飞书 签名校验 with a fresh timestamp on every request, so a retry an
  hour later still passes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any, ClassVar

import requests
from apprise.common import NotifyFormat, NotifyType
from apprise.locale import gettext_lazy as _
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.wecombot import NotifyWeComBot
from apprise.utils.parse import parse_list

# Public hosts; the GXQ_*_API_BASE variables (or base= in the URL) point elsewhere.
WECOM_API_BASE = "https://qyapi.weixin.qq.com"
DINGTALK_API_BASE = "https://oapi.dingtalk.com"
FEISHU_API_BASE = "https://open.feishu.cn"


class ChatBot:
    """What the three chat-bot plugins share (a mixin placed before the stock class)."""

    # Name of the environment variable holding the API base, and the public default.
    api_base_env = ""
    api_base_default = ""

    # Where the platform puts its verdict in the JSON answer (first one present wins).
    code_fields: tuple[str, ...] = ("errcode",)
    message_fields: tuple[str, ...] = ("errmsg",)

    # (messages, seconds) per bot, all of which must hold.
    rate_limits: tuple[tuple[int, float], ...] = ()

    # Refusals that mean "too fast: send it again after the window".
    too_fast_codes: frozenset[int] = frozenset()
    # Refusals that no retry can fix (bad key/token, signature, keyword): an operator must act.
    refused_codes: frozenset[int] = frozenset()

    # Pacing per bot is the caller's (it spans processes); Apprise's per-object sleep is off.
    request_rate_per_sec = 0

    def _init_chatbot(self, base: str | None) -> None:
        self.api_base = (base or os.environ.get(self.api_base_env) or self.api_base_default).rstrip("/")
        self.response_code: int | None = None
        self.response_message: str | None = None

    # -- what a caller needs to plan messages -----------------------------------------------

    def bot_id(self) -> str:
        """A stable, secret-free name of the bot (same key/token -> same id)."""
        ident = "\0".join(str(x) for x in self.url_identifier if x is not None)
        return hashlib.sha256(ident.encode()).hexdigest()[:16]

    def message_format(self, body_format: str | NotifyFormat | None) -> NotifyFormat:
        return self.resolve_format(body_format)

    def message_limit(self, body_format: str | NotifyFormat | None = None) -> int:  # pragma: no cover
        raise NotImplementedError

    def message_size(self, body: str, title: str = "", body_format: str | NotifyFormat | None = None) -> int:
        """UTF-8 bytes of what the platform measures against :meth:`message_limit`."""
        raise NotImplementedError  # pragma: no cover

    def is_too_fast(self) -> bool:
        return self.response_code in self.too_fast_codes

    def is_refused_for_good(self) -> bool:
        return self.response_code in self.refused_codes

    # -- the request ---------------------------------------------------------------------------

    def _post_json(self, url: str, payload: dict, params: dict | None = None) -> bool:
        """POST ``payload``; True only when the platform's answer says 0."""
        self.response_code, self.response_message = None, None
        headers = {"User-Agent": self.app_id, "Content-Type": "application/json; charset=utf-8"}
        self.logger.debug(f"{self.service_name} POST URL: {url} (cert_verify={self.verify_certificate!r})")
        self.throttle()
        try:
            r = requests.post(
                url,
                # UTF-8 as is: \\uXXXX escapes would triple the bytes of Chinese text.
                data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers=headers,
                params=params,
                verify=self.verify_certificate,
                timeout=self.request_timeout,
                allow_redirects=self.redirects,
            )
        except requests.RequestException as e:
            self.response_message = f"{type(e).__name__}: {e}"
            self.logger.warning(f"A connection error occurred sending {self.service_name} notification.")
            self.logger.debug(f"Socket Exception: {e!s}")
            return False

        if r.status_code != requests.codes.ok:
            status_str = self.http_response_code_lookup(r.status_code)
            self.response_message = f"HTTP {r.status_code}"
            self.logger.warning(
                "Failed to send {} notification: {}{}error={}.".format(
                    self.service_name, status_str, ", " if status_str else "", r.status_code
                )
            )
            self.logger.debug("Response Details:\r\n%r", (r.content or b"")[:2000])
            return False

        try:
            content = json.loads(r.content)
        except (TypeError, ValueError):
            content = None
        code = None
        if isinstance(content, dict):
            for name in self.code_fields:
                if name in content:
                    code = content[name]
                    break
        try:
            code = int(code) if code is not None else None
        except (TypeError, ValueError):
            code = None
        if code is None:
            # Without a verdict the message cannot be counted as delivered.
            self.response_message = "no error code in the answer"
            self.logger.warning(f"{self.service_name} answered without an error code; not counted as delivered.")
            self.logger.debug("Response Details:\r\n%r", (r.content or b"")[:2000])
            return False
        message = next((str(content[m]) for m in self.message_fields if m in content), "")
        self.response_code, self.response_message = code, message
        if code != 0:
            self.logger.warning(f"{self.service_name} refused the notification: code={code} msg={message}")
            return False
        self.logger.info(f"Sent {self.service_name} notification.")
        return True

    def _base_arg(self, params: dict, privacy: bool) -> dict:
        if self.api_base and self.api_base != (os.environ.get(self.api_base_env) or self.api_base_default).rstrip("/"):
            params["base"] = self.api_base
        return params


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


class WeComBot(ChatBot, NotifyWeComBot):
    """企业微信 / 政务微信 group bot: ``wecombot://KEY[/USERID...]``.

    Plain text (``msgtype: text``, content ≤ 2,048 bytes, user ids in ``mentioned_list``) or
    Markdown (``msgtype: markdown``, content ≤ 4,096 bytes, ``<@userid>`` mentions at the end).
    """

    service_name = _("WeCom Bot")
    api_base_env = "GXQ_WECOM_API_BASE"
    api_base_default = WECOM_API_BASE

    rate_limits = ((20, 60.0),)
    too_fast_codes = frozenset({45009})
    # 93000 invalid webhook key; 40058 content too long (a message that will never fit)
    refused_codes = frozenset({93000, 40058})

    text_limit = 2048
    markdown_limit = 4096
    body_maxlen = 4096
    # The title is placed by send() (first line, bold in Markdown), not merged by Apprise.
    title_maxlen = 250
    notify_format = (NotifyFormat.TEXT, NotifyFormat.MARKDOWN)

    templates: ClassVar = ("{schema}://{key}", "{schema}://{key}/{targets}")
    template_tokens: ClassVar = dict(
        NotifyWeComBot.template_tokens,
        targets={"name": _("Mentioned User IDs"), "type": "list:string"},
    )
    template_args: ClassVar = dict(
        NotifyWeComBot.template_args,
        to={"alias_of": "targets"},
        base={"name": _("API Base URL"), "type": "string"},
    )

    def __init__(self, key, targets=None, base=None, **kwargs):
        super().__init__(key=key, **kwargs)
        self._init_chatbot(base)
        self.api_url = f"{self.api_base}/cgi-bin/webhook/send?key={self.key}"
        self.targets = [t for t in parse_list(targets) if t]

    def message_limit(self, body_format=None) -> int:
        fmt = self.message_format(body_format)
        return self.markdown_limit if fmt == NotifyFormat.MARKDOWN else self.text_limit

    def _content(self, body: str, title: str, fmt: NotifyFormat) -> str:
        if fmt == NotifyFormat.MARKDOWN:
            text = f"**{title}**\n{body}" if title else body
            if self.targets:
                text += "\n" + " ".join("@所有人" if t == "@all" else f"<@{t}>" for t in self.targets)
            return text
        return f"{title}\n{body}" if title else body

    def message_size(self, body, title="", body_format=None) -> int:
        return _utf8(self._content(body, title, self.message_format(body_format)))

    def send(self, body, title="", notify_type=NotifyType.INFO, body_format=None, **kwargs: Any) -> bool:
        fmt = self.message_format(body_format)
        content = self._content(body, title, fmt)
        if fmt == NotifyFormat.MARKDOWN:
            payload = {"msgtype": "markdown", "markdown": {"content": content}}
        else:
            payload = {"msgtype": "text", "text": {"content": content}}
            if self.targets:
                payload["text"]["mentioned_list"] = list(self.targets)
        return self._post_json(self.api_url, payload)

    def url(self, privacy=False, *args, **kwargs):
        params = self._base_arg(self.url_parameters(*args, privacy=privacy, **kwargs), privacy)
        return "{schema}://{key}/{targets}?{params}".format(
            schema=self.secure_protocol,
            key=self.pprint(self.key, privacy, safe=""),
            targets="/".join(self.quote(t, safe="@") for t in self.targets),
            params=self.urlencode(params),
        )

    @staticmethod
    def parse_url(url):
        results = NotifyWeComBot.parse_url(url)
        if not results:
            return results
        results["targets"] = NotifyWeComBot.split_path(results["fullpath"])
        if results["qsd"].get("to"):
            results["targets"] += NotifyWeComBot.parse_list(results["qsd"]["to"])
        if results["qsd"].get("base"):
            results["base"] = NotifyWeComBot.unquote(results["qsd"]["base"])
        return results


class DingTalkBot(ChatBot, NotifyDingTalk):
    """钉钉 group bot: ``dingtalk://TOKEN`` or, signed (加签), ``dingtalk://SECRET@TOKEN``."""

    api_base_env = "GXQ_DINGTALK_API_BASE"
    api_base_default = DINGTALK_API_BASE

    rate_limits = ((20, 60.0),)
    too_fast_codes = frozenset({130101})
    # 300001 invalid token; 310000 signature, keyword or IP refused; 400013/400014 body too large
    refused_codes = frozenset({300001, 310000, 400013, 400014})

    # The platform's limit is 20,000 bytes for the request body; the content is what varies.
    request_limit = 20000

    template_args: ClassVar = dict(NotifyDingTalk.template_args, base={"name": _("API Base URL"), "type": "string"})

    def __init__(self, token, targets=None, secret=None, base=None, **kwargs):
        super().__init__(token=token, targets=targets, secret=secret, **kwargs)
        self._init_chatbot(base)

    def get_signature(self):
        """加签: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), URL-encoded by the
        request; the timestamp (ms) is taken now, so every request carries a fresh one."""
        timestamp = str(round(time.time() * 1000))
        digest = hmac.new(self.secret.encode("utf-8"), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        return timestamp, base64.b64encode(digest).decode("ascii")

    def _payload(self, body: str, title: str, fmt: NotifyFormat) -> dict:
        payload: dict = {"at": {"atMobiles": list(self.targets), "isAtAll": False}}
        if fmt == NotifyFormat.MARKDOWN:
            title = " ".join(title.split()).lstrip("#- ")
            payload["msgtype"] = "markdown"
            payload["markdown"] = {"title": title or self.app_desc, "text": f"# {title}\n{body}" if title else body}
        else:
            payload["msgtype"] = "text"
            payload["text"] = {"content": f"{title}\n{body}" if title else body}
        return payload

    def message_limit(self, body_format=None) -> int:
        return self.request_limit

    def message_size(self, body, title="", body_format=None) -> int:
        payload = self._payload(body, title, self.message_format(body_format))
        return _utf8(json.dumps(payload, ensure_ascii=False))

    def send(self, body, title="", notify_type=NotifyType.INFO, body_format=None, **kwargs: Any) -> bool:
        payload = self._payload(body, title, self.message_format(body_format))
        params = {"access_token": self.token}
        if self.secret:
            params["timestamp"], params["sign"] = self.get_signature()
        return self._post_json(f"{self.api_base}/robot/send", payload, params=params)

    def url(self, privacy=False, *args, **kwargs):
        url = super().url(privacy, *args, **kwargs)
        extra = self._base_arg({}, privacy)
        return url + ("&" if "?" in url else "?") + self.urlencode(extra) if extra else url

    @staticmethod
    def parse_url(url):
        results = NotifyDingTalk.parse_url(url)
        if results and results["qsd"].get("base"):
            results["base"] = NotifyDingTalk.unquote(results["qsd"]["base"])
        return results


class FeishuBot(ChatBot, NotifyFeishu):
    """飞书 group bot: ``feishu://TOKEN``, or with 签名校验 ``feishu://SECRET@TOKEN``."""

    api_base_env = "GXQ_FEISHU_API_BASE"
    api_base_default = FEISHU_API_BASE

    code_fields = ("code", "StatusCode")
    message_fields = ("msg", "StatusMessage")

    rate_limits = ((5, 1.0), (100, 60.0))
    too_fast_codes = frozenset({11232})
    # 19021 signature refused; 19024 keyword refused; 19022 IP not allowed; 19001 bad token
    refused_codes = frozenset({19021, 19022, 19024, 19001})

    # Documented limit: a request body of 20 KB.
    request_limit = 20000

    templates: ClassVar = ("{schema}://{token}", "{schema}://{secret}@{token}")
    template_tokens: ClassVar = dict(
        NotifyFeishu.template_tokens,
        secret={"name": _("Secret"), "type": "string", "private": True},
    )
    template_args: ClassVar = dict(
        NotifyFeishu.template_args,
        secret={"alias_of": "secret"},
        base={"name": _("API Base URL"), "type": "string"},
    )

    def __init__(self, token, secret=None, base=None, **kwargs):
        super().__init__(token=token, **kwargs)
        self.secret = secret or None
        self._init_chatbot(base)

    def signature(self) -> tuple[str, str]:
        """签名校验: base64(HMAC-SHA256(key="timestamp\\nsecret", msg="")), timestamp in seconds,
        taken now."""
        timestamp = str(int(time.time()))
        key = f"{timestamp}\n{self.secret}".encode()
        return timestamp, base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")

    def _payload(self, body: str, title: str, fmt: NotifyFormat, notify_type=NotifyType.INFO,
                 signed: bool = True) -> dict:
        if fmt == NotifyFormat.MARKDOWN:
            payload = {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {
                        "title": {"tag": "plain_text", "content": title or self.app_desc},
                        "template": self.card_colors.get(notify_type, self.card_colors[NotifyType.INFO]),
                    },
                    "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": body}}],
                },
            }
        else:
            payload = {"msg_type": "text", "content": {"text": f"{title}\n{body}" if title else body}}
        if self.secret:
            # Sized with a placeholder of the real length when only measuring.
            payload["timestamp"], payload["sign"] = self.signature() if signed else ("0" * 10, "0" * 44)
        return payload

    def message_limit(self, body_format=None) -> int:
        return self.request_limit

    def message_size(self, body, title="", body_format=None) -> int:
        payload = self._payload(body, title, self.message_format(body_format), signed=False)
        return _utf8(json.dumps(payload, ensure_ascii=False))

    def send(self, body, title="", notify_type=NotifyType.INFO, body_format=None, **kwargs: Any) -> bool:
        payload = self._payload(body, title, self.message_format(body_format), notify_type)
        return self._post_json(f"{self.api_base}/open-apis/bot/v2/hook/{self.token}", payload)

    @property
    def url_identifier(self):
        return (self.secure_protocol, self.token)

    def url(self, privacy=False, *args, **kwargs):
        params = self._base_arg(self.url_parameters(*args, privacy=privacy, **kwargs), privacy)
        secret = f"{self.pprint(self.secret, privacy, safe='')}@" if self.secret else ""
        return "{schema}://{secret}{token}/?{params}".format(
            schema=self.secure_protocol, secret=secret, token=self.pprint(self.token, privacy, safe=""),
            params=self.urlencode(params),
        )

    @staticmethod
    def parse_url(url):
        results = NotifyFeishu.parse_url(url)
        if not results:
            return results
        if results.get("user"):
            results["secret"] = NotifyFeishu.unquote(results["user"])
        if results["qsd"].get("secret"):
            results["secret"] = NotifyFeishu.unquote(results["qsd"]["secret"])
        if results["qsd"].get("base"):
            results["base"] = NotifyFeishu.unquote(results["qsd"]["base"])
        return results


PLUGINS = (WeComBot, DingTalkBot, FeishuBot)


def register() -> None:
    """Map ``wecombot://``, ``dingtalk://`` and ``feishu://`` to the classes above (idempotent).

    ``force=True`` unmaps the stock plugins' schemas without unloading their modules (the
    classes here subclass them)."""
    from apprise.apprise import N_MGR

    for plugin in PLUGINS:
        try:
            current = N_MGR[plugin.secure_protocol]
        except KeyError:
            current = None
        if current is not plugin:
            N_MGR.add(plugin, force=True)
