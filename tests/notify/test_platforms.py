"""企业微信 / 钉钉 / 飞书 bots over real HTTP: local servers that behave like the platforms
(tests/notify/platform_servers.py: they check signatures, count bytes and messages per bot per
window, and answer HTTP 200 with the platform's error body), the outbox on SQLite and PostgreSQL.

Counts per scenario (sent = requests, accepted, refused-then-accepted, refused for good, lost,
doubled) are printed at the end of the session (``-rA`` or ``-s``)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from gxq.notify import DeliveryFailed, Notice, deliver
from gxq.notify.outbox import deliveries, rows

from tests.notify.conftest import record_scenario

DAG, PERIOD = "petition_weekly_bulletin", "2021-W48"
REPO = Path(__file__).resolve().parents[2]


def counts(server, expected: list[tuple[str, str]], refused_for_good: int = 0) -> dict:
    """The closing note's figures: ``expected`` is the (bot, text) of every message that had to arrive."""
    accepted = server.accepted()
    got = {(r.bot, r.title, r.text) for r in accepted}
    arrived = {(b, t) for b, _, t in got}
    retried = {(r.bot, r.title, r.text) for r in server.requests if r.code != 0}
    return {
        "sent": len(server.requests),
        "accepted": len(accepted),
        "refused_then_accepted": len(retried & got),
        "refused_for_good": refused_for_good,
        "lost": sum(1 for e in expected if e not in arrived),
        "doubled": server.duplicates(),
    }


def unit_notice(unit: str, body: str, fmt: str = "markdown", kind: str = "bulletin") -> Notice:
    return Notice(unit, kind, f"市民服务平台情况通报 {PERIOD}（{unit}）", body, format=fmt)


def test_a_4kb_chinese_notice_goes_as_text_parts_that_reassemble(ops_engine, platform_server, apprise_config):
    platform_server.wecom_keys.add("u11key")
    apprise_config({"wecombot://u11key": "U11"})
    lines = [f"{i:02d}. 街道 {i % 7 + 1} 号工单：供暖不热，已转责任单位办理，按时反馈，群众表示满意。" for i in range(48)]
    body = "\n".join(lines)
    assert len(body.encode("utf-8")) > 4000

    result = deliver(DAG, PERIOD, [unit_notice("U11", body, fmt="text")])

    got = platform_server.accepted("u11key")
    assert result.sent == 1 and len(got) == result.notices[0].messages >= 3
    assert all(len((r.title + "\n" + r.text).encode()) <= 2048 for r in got)
    n = len(got)
    assert [r.title for r in got] == [f"市民服务平台情况通报 {PERIOD}（U11）（第{i}/{n}部分）" for i in range(1, n + 1)]
    assert "\n".join(r.text for r in got) == body  # every line, in order, none cut
    (row,) = rows(ops_engine, DAG, PERIOD)
    parts = deliveries(ops_engine, row["id"])
    assert [(d["part"], d["parts"], d["status"], d["platform_code"]) for d in parts] == [
        (i, n, "accepted", 0) for i in range(1, n + 1)
    ]
    record_scenario(f"4KB text to 企业微信[{ops_engine.dialect.name}]", parts=n,
                    **counts(platform_server, [("u11key", r.text) for r in got]))


def test_markdown_bulletin_with_mentions_within_4096_bytes(ops_engine, platform_server, apprise_config):
    platform_server.wecom_keys.add("officekey")
    apprise_config({"wecombot://officekey/zhangwei/@all": "office"})
    body = "\n".join(f"| U{i:02d} | **{90 + i % 10}%** | 按时分拨 |" for i in range(200))
    deliver(DAG, PERIOD, [unit_notice("office", body)])
    got = platform_server.accepted("officekey")
    assert len(got) >= 2
    for r in got:
        content = r.payload["markdown"]["content"]
        assert r.payload["msgtype"] == "markdown" and len(content.encode()) <= 4096
        assert content.startswith("**市民服务平台情况通报")
        assert set(content.rsplit("\n", 1)[1].split()) == {"<@zhangwei>", "@所有人"}


def test_25_notices_to_one_bot_are_paced_and_a_too_fast_refusal_is_resent(ops_engine, platform_server,
                                                                       apprise_config):
    """The weekly fan-out through one bot: 25 notices, one bot, a 2-second window. Something outside
    the outbox used the bot too (the first answer is 45009): that message goes again after the
    window; every notice arrives once."""
    platform_server.wecom_keys.add("sharedkey")
    units = [f"U{i:02d}" for i in range(1, 26)]
    apprise_config({"wecombot://sharedkey": units})
    platform_server.force("sharedkey", [(45009, "api freq out of limit")])
    notices = [unit_notice(u, f"致 {u}：本周受理 {i} 件，按时分拨率 100%。") for i, u in enumerate(units, 1)]

    started = time.monotonic()
    result = deliver(DAG, PERIOD, notices)
    elapsed = time.monotonic() - started

    assert result.sent == 25 and result.failed == 0
    got = platform_server.accepted("sharedkey")
    assert len(got) == 25 and platform_server.duplicates() == 0
    assert sorted(r.title for r in got) == sorted(n.subject for n in notices)
    assert platform_server.max_in_window("sharedkey") <= 20
    assert len(platform_server.refused(45009)) == 1  # the forced one only: the pacing kept the limit
    assert elapsed >= platform_server.window  # 25 > 20: at least one window waited
    too_fast = [d for d in deliveries(ops_engine) if d["too_fast"]]
    assert len(too_fast) == 1 and too_fast[0]["status"] == "accepted" and too_fast[0]["attempts"] == 2
    # A rerun sends nothing again.
    again = deliver(DAG, PERIOD, notices)
    assert again.skipped_already_sent == 25 and len(platform_server.accepted("sharedkey")) == 25
    record_scenario(f"25 notices one bot[{ops_engine.dialect.name}]", seconds=round(elapsed, 1),
                    **counts(platform_server, [("sharedkey", n.body) for n in notices]))


def test_a_bad_key_among_good_ones(ops_engine, platform_server, apprise_config):
    """U03's key is wrong (93000): the others go out, ops hears of it on its own bot, the step fails
    with the platform's code; after the configuration is fixed a rerun sends only U03's."""
    platform_server.wecom_keys.update({"k1", "k2", "k4", "opskey", "k3fixed"})
    config = {"wecombot://k1": "U01", "wecombot://k2": "U02", "wecombot://k3wrong": "U03",
              "wecombot://k4": "U04", "wecombot://opskey": "ops"}
    apprise_config(config)
    notices = [unit_notice(u, f"致 {u}：本周受理 5 件。") for u in ("U01", "U02", "U03", "U04")]

    with pytest.raises(DeliveryFailed) as failed:
        deliver(DAG, PERIOD, notices)
    assert "93000" in str(failed.value) and failed.value.result.refused == 1
    assert {r.bot for r in platform_server.accepted()} == {"k1", "k2", "k4", "opskey"}
    (alert,) = platform_server.accepted("opskey")
    assert "93000" in alert.text and "U03" in alert.text and "invalid webhook url" in alert.text
    stored = {r["recipient"]: r for r in rows(ops_engine, DAG, PERIOD)}
    assert stored["U03"]["status"] == "refused" and "93000" in stored["U03"]["last_error"]
    (bad,) = deliveries(ops_engine, stored["U03"]["id"])
    assert (bad["status"], bad["platform_code"], bad["attempts"]) == ("refused", 93000, 1)
    assert "invalid webhook url" in bad["platform_message"]
    first_requests = len(platform_server.requests)

    # The same run retried before the fix: refused again, ops not alerted twice.
    with pytest.raises(DeliveryFailed):
        deliver(DAG, PERIOD, notices)
    assert len(platform_server.accepted("opskey")) == 1

    config.pop("wecombot://k3wrong")
    config["wecombot://k3fixed"] = "U03"
    apprise_config(config)
    fixed = deliver(DAG, PERIOD, notices)
    assert (fixed.sent, fixed.skipped_already_sent, fixed.failed) == (1, 3, 0)
    assert [r.bot for r in platform_server.accepted()].count("k3fixed") == 1
    assert len(platform_server.accepted()) == 5 and platform_server.duplicates() == 0
    record_scenario(f"bad key among good ones[{ops_engine.dialect.name}]",
                    first_run_requests=first_requests,
                    **counts(platform_server, [("k1", notices[0].body), ("k2", notices[1].body),
                                               ("k3fixed", notices[2].body), ("k4", notices[3].body)],
                             refused_for_good=len(platform_server.refused(93000))))


def test_signed_dingtalk_retry_after_the_first_timestamp_expired(ops_engine, platform_server, apprise_config,
                                                                 monkeypatch):
    """加签 with a fresh timestamp per request: the first answer is 130101 (too fast); the retry
    comes after the window, when the first request's timestamp is no longer accepted."""
    platform_server.max_skew = 1.0  # the platform allows an hour; the same check, shortened
    platform_server.dingtalk_bots["dtok"] = "SECabc123"
    platform_server.force("dtok", [(130101, "send too fast, exceed 20 times per minute")])
    apprise_config({"dingtalk://SECabc123@dtok/": "office"})

    deliver(DAG, PERIOD, [unit_notice("office", "本周通报已生成，请查阅。")])

    first, second = platform_server.requests
    assert (first.code, second.code) == (130101, 0)
    ts1, ts2 = int(first.query["timestamp"]), int(second.query["timestamp"])
    assert ts2 - ts1 > platform_server.max_skew * 1000
    # The first signature no longer passes now; the second one did.
    assert not platform_server.check_dingtalk_signature("SECabc123", first.query["timestamp"], first.query["sign"])
    assert second.query["sign"] == platform_server.dingtalk_sign(second.query["timestamp"], "SECabc123")
    record_scenario(f"signed 钉钉 retry after expiry[{ops_engine.dialect.name}]",
                    **counts(platform_server, [("dtok", "本周通报已生成，请查阅。")]))


def test_dingtalk_and_feishu_refusals_for_good(ops_engine, platform_server, apprise_config):
    """A wrong 加签 secret (310000), an unknown 钉钉 token (300001) and a wrong 飞书 secret (19021) are
    refused for good; a right 飞书 signature passes."""
    platform_server.dingtalk_bots["dsigned"] = "SECright"
    platform_server.feishu_bots["ftok"] = "fsecret"
    platform_server.feishu_bots["fbad"] = "fsecret"
    apprise_config({"dingtalk://SECwrong@dsigned/": "U01", "dingtalk://nosuchtoken/": "U02",
                    "feishu://fsecret@ftok": "U03", "feishu://wrong@fbad": "U04", "json://127.0.0.1:9/": "ops"})
    with pytest.raises(DeliveryFailed) as failed:
        deliver(DAG, PERIOD, [unit_notice(u, f"{u} 通知") for u in ("U01", "U02", "U03", "U04")],
                report_unrouted=False)
    assert failed.value.result.refused == 3
    codes = sorted(d["platform_code"] for d in deliveries(ops_engine) if d["status"] == "refused")
    assert codes == [19021, 300001, 310000]
    assert [r.bot for r in platform_server.accepted()] == ["ftok"]
    assert platform_server.accepted()[0].payload["sign"]


WORKER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [sys.argv[1], sys.argv[1] + "/plugins"]
    from gxq.notify import Notice, deliver
    name, n = sys.argv[2], int(sys.argv[3])
    notices = [Notice(f"U{i:02d}", "bulletin", f"{name} 通报 {i}", f"{name} 的第 {i} 条通知") for i in range(1, n + 1)]
    result = deliver("petition_weekly_bulletin", name, notices)
    print(result.sent, flush=True)
    """
)


def test_two_processes_sending_to_one_bot_keep_the_limit_in_total(ops_engine, platform_server, apprise_config,
                                                                   tmp_path):
    """Two senders at once (two processes, as two Celery workers would be), 18 notices each, one
    bot: the bot never gets more than 20 in any window, and all 36 arrive once."""
    platform_server.wecom_keys.add("busykey")
    apprise_config({"wecombot://busykey": [f"U{i:02d}" for i in range(1, 19)]})
    platform_server.window = 3.0
    env = dict(os.environ, GXQ_NOTIFY_RATE_WINDOW="3.0")
    script = tmp_path / "sender.py"
    script.write_text(WORKER, encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, str(script), str(REPO), f"2021-W4{k}", "18"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (1, 2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    assert [o[0].strip() for o in outs] == ["18", "18"]

    got = platform_server.accepted("busykey")
    assert len(got) == 36 and platform_server.duplicates() == 0
    assert platform_server.max_in_window("busykey") <= 20
    assert platform_server.refused(45009) == []
    with ops_engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM gxq_notify_delivery WHERE status = 'accepted'")).scalar()
    assert n == 36
    expected = [("busykey", f"2021-W4{k} 的第 {i} 条通知") for k in (1, 2) for i in range(1, 19)]
    record_scenario(f"two processes one bot[{ops_engine.dialect.name}]",
                    max_in_window=platform_server.max_in_window("busykey"), **counts(platform_server, expected))


def test_urls_keep_their_usual_form_and_secrets_stay_out_of_the_store(ops_engine, platform_server, apprise_config):
    platform_server.wecom_keys.add("secretkey1")
    apprise_config({"wecombot://secretkey1": "U01"})
    deliver(DAG, PERIOD, [unit_notice("U01", "短通知")])
    dumped = json.dumps([rows(ops_engine), deliveries(ops_engine)], default=str)
    assert "secretkey1" not in dumped


def test_dashboard_shows_refused_and_waiting_messages_with_the_platforms_reason(ops_engine, platform_server,
                                                                               apprise_config, monkeypatch):
    from gxq.dashboard import queries
    from gxq.dashboard.render import render_dashboard

    monkeypatch.setenv("GXQ_NOTIFY_TOO_FAST_RETRIES", "0")
    platform_server.wecom_keys.add("busy")
    platform_server.force("busy", [(45009, "api freq out of limit")])
    apprise_config({"wecombot://wrongkey": "U01", "wecombot://busy": "U02"})
    with pytest.raises(DeliveryFailed):
        deliver(DAG, PERIOD, [unit_notice("U01", "一"), unit_notice("U02", "二")], report_unrouted=False)

    section = queries.notices_section(ops_engine)
    msgs = {m["recipient"]: m for m in section.data["messages"]}
    assert (msgs["U01"]["status_label"], msgs["U01"]["platform_code"]) == ("平台拒收", 93000)
    assert "invalid webhook url" in msgs["U01"]["reason"] and msgs["U01"]["platform_label"] == "企业微信"
    assert (msgs["U02"]["status_label"], msgs["U02"]["platform_code"]) == ("等待重发", 45009)
    assert section.data["messages"][0]["recipient"] == "U01"  # refused first
    html = render_dashboard(queries.dashboard_data(ops_engine), now=datetime.datetime.now(datetime.UTC))
    assert 'id="platform-messages"' in html and "错误码 93000" in html and "api freq out of limit" in html


def test_feishu_bot_keeps_5_per_second(ops_engine, platform_server, apprise_config):
    """飞书 allows 5 messages per second per bot (and 100 per window): 12 notices through one bot
    take more than two seconds and are never refused as too fast."""
    platform_server.feishu_bots["fshared"] = None
    units = [f"U{i:02d}" for i in range(1, 13)]
    apprise_config({"feishu://fshared": units})
    started = time.monotonic()
    result = deliver(DAG, PERIOD, [unit_notice(u, f"{u} 本周通报") for u in units])
    assert result.sent == 12 and time.monotonic() - started >= 2.0
    assert len(platform_server.accepted("fshared")) == 12 and platform_server.refused(11232) == []
    assert platform_server.max_in_window("fshared", 1.0) <= 5


def test_pacing_waits_for_the_window_across_engines(ops_engine):
    """The slot bookkeeping itself: the 21st request to a bot waits for the oldest to leave the
    window; a blocked bot waits for the block; past max_wait, TimeoutError."""
    from gxq.notify import pacing

    limits = ((20, 1.0),)
    started = time.monotonic()
    ids = [pacing.acquire(ops_engine, "b1", "wecombot", limits) for _ in range(21)]
    assert len(set(ids)) == 21 and time.monotonic() - started >= 0.9
    assert pacing.sends_in_window(ops_engine, "b1", 1.0) <= 20
    pacing.block(ops_engine, "b2", 0.5)
    started = time.monotonic()
    pacing.acquire(ops_engine, "b2", "wecombot", limits)
    assert time.monotonic() - started >= 0.45
    pacing.block(ops_engine, "b3", 30)
    with pytest.raises(TimeoutError):
        pacing.acquire(ops_engine, "b3", "wecombot", limits, max_wait=0.2)
