"""Channel limits in UTF-8 bytes: 企业微信 bot text 2,048 and markdown 4,096, 钉钉 20,000, 飞书 a
20 KB request. Long bodies are split into numbered parts or sent short with a link: never cut."""

from __future__ import annotations

import json

import apprise
import pytest
from gxq.notify import Notice
from gxq.notify.channels import asset, compose, routes


def server(url):
    s = apprise.Apprise.instantiate(url, asset=asset())
    assert s is not None, url
    return s


LONG = "\n".join(f"{i:04d} 高频投诉事项：供暖不热，责任单位 U{i % 20 + 1:02d}，已挂牌督办。" for i in range(800))


def wire_bytes(s, m, fmt):
    """What the platform measures, rebuilt from the payload the plugin would send."""
    scheme = s.secure_protocol
    if scheme == "wecombot":
        return len(s._content(m.body, m.title, s.message_format(fmt)).encode())
    payload = s._payload(m.body, m.title, s.message_format(fmt))
    return len(json.dumps(payload, ensure_ascii=False).encode())


@pytest.mark.parametrize(
    "url, fmt, limit",
    [
        ("wecombot://0123456789abcdef", "text", 2048),
        ("wecombot://0123456789abcdef", "markdown", 4096),
        ("dingtalk://secret@token/", "markdown", 20000),
        ("feishu://token", "text", 20000),
    ],
)
def test_long_body_split_into_numbered_parts(url, fmt, limit):
    s = server(url)
    msgs = compose(s, Notice("U01", "bulletin", "市民服务平台情况通报 2021-W09", LONG, format=fmt), [])
    assert len(msgs) > 1
    for i, m in enumerate(msgs, 1):
        assert m.title.endswith(f"（第{i}/{len(msgs)}部分）")
        assert wire_bytes(s, m, fmt) <= limit
    # Nothing lost, nothing cut: the parts' lines joined are the original.
    assert "\n".join(m.body for m in msgs) == LONG


def test_long_body_with_link_goes_as_short_message():
    s = server("wecombot://0123456789abcdef")
    link = "http://localhost:8080/gxq/petition_weekly_bulletin/2021-W09/bulletin.html"
    (m,) = compose(s, Notice("office", "bulletin", "通报", LONG, link=link, format="text"), [])
    assert len(s._content(m.body, m.title, s.message_format("text")).encode()) <= 2048
    assert link in m.body and "全文较长" in m.body


def test_short_body_untouched_and_attachments_named_where_unsupported(tmp_path):
    f = tmp_path / "bulletin.html"
    f.write_text("<p>x</p>")
    (m,) = compose(server("wecombot://0123456789abcdef"), Notice("U01", "k", "S", "body"), [str(f)])
    assert m.body.startswith("body") and "bulletin.html" in m.body and m.attach == []
    (m,) = compose(server("json://127.0.0.1:1/"), Notice("U01", "k", "S", "body"), [str(f)])
    assert m.body == "body" and m.attach == [str(f)]


def test_fallback_tag_serves_tags_without_urls(tmp_path):
    cfg = tmp_path / "a.yml"
    cfg.write_text("version: 1\nurls:\n  - json://127.0.0.1:1/:\n      - tag: ops\n  - json://127.0.0.1:2/:\n"
                   "      - tag: fallback\n")
    ap = apprise.Apprise(asset=asset())
    ac = apprise.AppriseConfig(asset=asset())
    ac.add(str(cfg))
    ap.add(ac)
    own, via = routes(ap, "ops")
    assert len(own) == 1 and not via
    fb, via = routes(ap, "U42")
    assert len(fb) == 1 and via
