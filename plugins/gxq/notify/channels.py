"""Channels (发送通道): which Apprise URLs serve a recipient tag, and what each can carry.

FixMyStreet's model: each way of sending is a small plugin behind one interface. Here the
interface is Apprise itself; this module only

- loads the Apprise configuration file named by ``$GXQ_APPRISE_CONFIG`` (YAML or TEXT, with tags)
  with the project's own plugins registered: ``gxqfile://`` through Apprise's plugin path API,
  and the chat bots ``wecombot://``, ``dingtalk://``, ``feishu://`` of
  :mod:`gxq.notify.platforms` over Apprise's stock ones (delivered means accepted);
- finds the URLs of a tag (:func:`routes`), with an opt-in catch-all: URLs tagged ``fallback``
  serve every tag that has no URL of its own (the demo configuration uses it for unit codes);
- turns one notice into the message(s) a given URL can carry without being cut
  (:func:`compose`). Chat bots say their limit in UTF-8 bytes (企业微信 text 2,048, markdown
  4,096; 钉钉 20,000; 飞书 a 20 KB request); other channels in Apprise's characters. A body that
  does not fit is never silently truncated: it goes as a short message with the link (when the
  notice has one) or the attachments (when the channel takes files), otherwise as numbered
  parts (``……（第1/3部分）`` in the title), split on line boundaries so that the parts' lines,
  joined, are the original text.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from gxq.output import output_root, write_text

log = logging.getLogger("gxq.notify")

PLUGIN_DIR = Path(__file__).resolve().parent / "apprise_plugins"
FALLBACK_TAG = "fallback"

# Which notice a channel is carrying right now (read by the gxqfile:// demo plugin).
CURRENT: contextvars.ContextVar[dict | None] = contextvars.ContextVar("gxq_notify_current", default=None)

# Generic webhooks (the receiver decides how to show the text) and the demo file channel.
RAW_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls", "gxqfile"}
# Schemes whose limit is enforced by upstream servers: prefer a short message + link over parts.
CHAT_SCHEMES = {"wecombot", "dingtalk", "feishu", "lark", "wechat", "wxpusher", "qq", "serverchan"}


class ConfigError(RuntimeError):
    """The Apprise configuration named by GXQ_APPRISE_CONFIG cannot be read."""


DEMO_CONFIG = Path(__file__).resolve().parents[3] / "include" / "apprise" / "demo.yml"


def config_path() -> str | None:
    """``$GXQ_APPRISE_CONFIG``; unset, the embedded default ``include/apprise/demo.yml`` (files
    under ``$GXQ_OUTPUT_DIR/_notices``), like the connections' embedded SQLite default."""
    value = os.environ.get("GXQ_APPRISE_CONFIG")
    if value:
        return value
    return str(DEMO_CONFIG) if DEMO_CONFIG.exists() else None


def asset():
    # Apprise is deferred to the moment a notice is sent (~180 ms to import, python -X importtime):
    # every task that records a report imports the outbox, few send.
    # The chat-bot plugins subclass Apprise's, so they come with it.
    import apprise

    from gxq.notify import platforms

    platforms.register()
    return apprise.AppriseAsset(plugin_paths=[str(PLUGIN_DIR)])


_loaded: dict[tuple, object] = {}


def load(path: str | None = None):
    """An ``apprise.Apprise`` holding every URL of the configuration (cached by path+mtime)."""
    import apprise  # deferred, see asset()

    path = path or config_path()
    a = asset()
    obj = apprise.Apprise(asset=a)
    if not path:
        return obj
    p = Path(path)
    if not p.exists():
        # No file, no URL: every tag is reported unrouted (log, report), nothing fails.
        log.warning("GXQ_APPRISE_CONFIG=%s does not exist: no notice can be routed", path)
        return obj
    key = (str(p.resolve()), p.stat().st_mtime_ns)
    if key in _loaded:
        return _loaded[key]
    cfg = apprise.AppriseConfig(asset=a)
    if not cfg.add(str(p)):
        raise ConfigError(f"GXQ_APPRISE_CONFIG={path}: Apprise could not load it")
    obj.add(cfg)
    servers = list(obj)  # forces parsing; an unreadable file yields no servers
    if p.stat().st_size and not servers:
        raise ConfigError(f"GXQ_APPRISE_CONFIG={path}: no usable URL in it (check the YAML/TEXT syntax)")
    _loaded[key] = obj
    return obj


def scheme_of(server) -> str:
    """The scheme a URL was written with (``json`` for json://, ``jsons`` for jsons://)."""

    def first(value):
        if isinstance(value, (tuple, list)):
            value = value[0] if value else None
        return str(value) if value else ""

    plain, secure = first(getattr(server, "protocol", None)), first(getattr(server, "secure_protocol", None))
    if plain and not getattr(server, "secure", False):
        return plain
    return secure or plain


def url_id(server) -> str:
    """A stable, secret-free identifier of a URL (the outbox stores it, never the URL)."""
    return hashlib.sha256(server.url(privacy=False).encode()).hexdigest()[:16]


def tag_names(server_or_tags) -> set[str]:
    """Plain lower-case tag names (Apprise 2 keeps ``AppriseTag`` objects, lower-cased)."""
    tags = getattr(server_or_tags, "tags", server_or_tags) or ()
    return {str(getattr(t, "_tag", t)).strip().lower() for t in tags}


def routes(apobj, tag: str) -> tuple[list, bool]:
    """The servers that serve ``tag`` and whether they came from the ``fallback`` catch-all."""
    servers = [s for s in apobj.find(tag=tag, match_always=True)]
    # Apprise matches tags case-insensitively (and may store them lower-cased).
    own = [s for s in servers if tag.lower() in tag_names(s)]
    if own:
        return servers, False
    fallback = list(apobj.find(tag=FALLBACK_TAG, match_always=False))
    return fallback, bool(fallback)


@dataclass
class Message:
    title: str
    body: str
    attach: list[str]
    part: int = 1
    parts: int = 1


def _fits(server, title: str, body: str, body_format: str = "markdown") -> bool:
    if hasattr(server, "message_size"):  # the chat bots of gxq.notify.platforms: UTF-8 bytes
        return server.message_size(body, title, body_format) <= server.message_limit(body_format)
    limit = int(getattr(server, "body_maxlen", 0) or 0)
    title_limit = int(getattr(server, "title_maxlen", 0) or 0)
    # Apprise counts the title as part of body_maxlen (and merges it into the body when the
    # channel has no title), so the limit holds for both together.
    total = len(body) + len(title) + 2
    if limit and total > limit:
        return False
    return not (title_limit and len(title) > title_limit)


def _split(text: str, budget_ok) -> list[str]:
    """Split ``text`` at line boundaries (or hard, for an over-long line) into chunks that fit."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        candidate = current + line
        if budget_ok(candidate):
            current = candidate
            continue
        if current:
            chunks.append(current)
            current = ""
        while not budget_ok(line):
            lo, hi = 1, len(line)
            while lo < hi:  # longest prefix that fits
                mid = (lo + hi + 1) // 2
                if budget_ok(line[:mid]):
                    lo = mid
                else:
                    hi = mid - 1
            chunks.append(line[:lo])
            line = line[lo:]
        current = line
    if current:
        chunks.append(current)
    return chunks or [""]


_MASK_RUN = re.compile(r"(?<=[0-9A-Za-z])\*+(?=[0-9A-Za-z])")


def escape_masks(markdown: str) -> str:
    """``136****0546`` would render as bold markers in Markdown (-> ``1360546``): escape the stars."""
    return _MASK_RUN.sub(lambda m: "\\*" * len(m.group(0)), markdown)


def renders_markdown(server, body_format: str) -> bool:
    """True when the channel interprets the Markdown body (HTML e-mail, Markdown chat bots)."""
    formats = getattr(server, "notify_format", None) or ()
    if isinstance(formats, str) or not isinstance(formats, (tuple, list, set, frozenset)):
        formats = (formats,)
    targets = {str(getattr(f, "value", f)).lower() for f in formats}
    if scheme_of(server) in RAW_SCHEMES:
        return False  # generic webhooks and the demo files get the text as written
    return (body_format or "markdown") == "markdown" and bool(targets & {"html", "markdown"})


def part_title(title: str, part: int, parts: int) -> str:
    """``通报（第1/3部分）``: the numbered title of one part of a long notice."""
    return f"{title}（第{part}/{parts}部分）"


def compose(server, notice, attachments: list[str]) -> list[Message]:
    """The message(s) one URL gets for a (masked) notice, each within the channel's limits."""
    title, body, fmt = notice.subject, notice.body, notice.format or "markdown"
    if renders_markdown(server, fmt):
        body = escape_masks(body)
    takes_files = bool(getattr(server, "attachment_support", False))
    attach = list(attachments) if takes_files else []
    if attachments and not takes_files:
        names = "、".join(Path(a).name for a in attachments)
        where = f"：{notice.link}" if notice.link else "（见邮件或输出目录）"
        body = f"{body}\n\n附件 {len(attachments)} 个: {names}{where}"

    def fits(t: str, b: str) -> bool:
        return _fits(server, t, b, fmt)

    if fits(title, body):
        return [Message(title, body, attach)]

    scheme = scheme_of(server)
    # Short message: the start of the text, plainly marked, and where to read all of it.
    if notice.link or (takes_files and scheme in CHAT_SCHEMES):
        if notice.link:
            tail = f"\n\n……（全文较长，未在此消息中完整显示）\n全文 / full text: {notice.link}"
        else:
            tail = "\n\n……（全文较长，见附件 full-text.md）"
            attach = attach + [_full_text_file(notice)]
        summary = body
        if not fits(title, tail):
            tail = tail[-200:]
        lo, hi = 0, len(summary)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(title, summary[:mid] + tail):
                lo = mid
            else:
                hi = mid - 1
        cut = summary[:lo]
        if "\n" in cut[len(cut) // 2 :]:
            cut = cut[: cut.rfind("\n")]
        return [Message(title, cut.rstrip() + tail, attach)]

    # Numbered parts, each a complete message titled "……（第i/n部分）"; the bodies are whole
    # lines of the original, so joined with newlines they give it back.
    def ok(chunk: str, n: int = 99) -> bool:
        return fits(part_title(title, n, n), chunk.removesuffix("\n"))

    chunks = [c.removesuffix("\n") for c in _split(body, ok)]
    total = len(chunks)
    return [
        Message(part_title(title, i, total), chunk, attach if i == 1 else [], i, total)
        for i, chunk in enumerate(chunks, start=1)
    ]


def _full_text_file(notice) -> str:
    digest = hashlib.sha256((notice.subject + notice.body).encode()).hexdigest()[:12]
    path = output_root() / "_notices" / "_full_text" / f"{digest}" / "full-text.md"
    if not path.exists():
        write_text(path, f"# {notice.subject}\n\n{notice.body}\n")
    return str(path)
