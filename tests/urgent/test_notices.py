"""The watch's notices (急险 通知): to whom, once ever per (petition, stage) and per escalation
whatever runs, reruns, backfills or overlapping runs happen, one message per recipient per run that
fits a chat message, on SQLite and PostgreSQL (Apprise posting json:// to a local HTTP server)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import apprise
import pytest
from gxq import periods
from gxq.notify import outbox
from gxq.notify.channels import asset, compose
from gxq.urgent import notices, pipeline
from gxq.urgent.tables import notified

from tests.notify.conftest import JsonSink


@pytest.fixture
def sink(tmp_path, monkeypatch, output_dir):
    s = JsonSink().start()
    config = tmp_path / "apprise.yml"
    config.write_text(f'version: 1\nurls:\n  - "{s.url}":\n      - tag: office, ops, U01, U02, U03\n', encoding="utf-8")
    monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(config))
    monkeypatch.setenv("GXQ_NOTIFY_RETRY_DELAY", "0.05")
    yield s
    s.stop()


def _run(dept, ops, when: str, **kw) -> dict:
    return pipeline.run(periods.parse_key(when, ("minute",)).key, dept=dept.engine, ops=ops, **kw)


def _claims(ops) -> dict[tuple[str, str], tuple[str, str]]:
    with ops.connect() as conn:
        return {(r.petition_id, r.stage): (r.recipient, r.period_key) for r in conn.execute(notified.select())}


def _sent(ops) -> list[tuple[str, str, str]]:
    return [(r["period_key"], r["recipient"], r["kind"]) for r in outbox.rows(ops) if r["status"] == "sent"]


def test_each_stage_once_to_its_recipient(dept, ops, sink):
    dept.add("P1", urgent=True, received="2021-03-23 09:00:00", dispatch_due="2021-03-23 10:00:00", lead=None,
             topic="燃气泄漏", street="黄泥川街道")
    dept.add("P2", urgent=True, received="2021-03-23 08:00:00", dispatch_due="2021-03-23 08:30:00",
             dispatched="2021-03-23 08:20:00", feedback_due="2021-03-23 10:30:00", lead="U02", topic="积水")
    _run(dept, ops, "2021-03-23T09:40")  # P1 due soon (office), P2 feedback due soon (U02)
    assert sorted(_sent(ops)) == [("2021-03-23T0940", "U02", "urgent_unit"), ("2021-03-23T0940", "office", "urgent_office")]
    office = next(m for m in sink.messages if "先予处置" in m["message"])
    assert "黄泥川街道" in office["message"] and "P1" in office["message"] and "还有 20 分钟到期" in office["message"]
    assert "/gxq/" in office["message"]
    unit = next(m for m in sink.messages if "P2" in m["message"])
    assert "请主办单位及时反馈" in unit["message"] and "P1" not in unit["message"]
    _run(dept, ops, "2021-03-23T09:50")  # nothing new
    assert len(sink.messages) == 2
    _run(dept, ops, "2021-03-23T10:00")  # P1 overdue by 0 (a new stage)
    _run(dept, ops, "2021-03-23T10:40")  # P2 feedback overdue (U02)
    _run(dept, ops, "2021-03-23T11:50")  # P1 overdue 110: nothing
    _run(dept, ops, "2021-03-23T12:00")  # P1 overdue 120: 督办 to office
    _run(dept, ops, "2021-03-23T12:10")
    claims = _claims(ops)
    assert claims == {
        ("P1", "dispatch_due_soon"): ("office", "2021-03-23T0940"),
        ("P2", "feedback_due_soon"): ("U02", "2021-03-23T0940"),
        ("P1", "dispatch_overdue"): ("office", "2021-03-23T1000"),
        ("P2", "feedback_overdue"): ("U02", "2021-03-23T1040"),
        ("P1", "escalated"): ("office", "2021-03-23T1200"),
    }
    assert len(sink.messages) == 5 and sink.duplicates() == 0
    escalation = sink.messages[-1]["message"]
    assert "督办" in escalation and "已超时 2 小时 0 分钟" in escalation
    # P2's feedback (1040) became escalated at 12:30: still to come, once
    _run(dept, ops, "2021-03-23T12:30")
    _run(dept, ops, "2021-03-23T12:30")  # a rerun: reproduces, sends nothing
    assert _claims(ops)[("P2", "escalated")] == ("office", "2021-03-23T1230")
    assert len(sink.messages) == 6


def test_a_backfill_of_a_day_notifies_each_once(dept, ops, sink):
    """144 runs of a day, then the same day again (a second backfill): each (petition, stage) once."""
    for i in range(6):
        received = dt.datetime(2021, 3, 23, 2 + 3 * i, 0)
        lead = None if i % 2 else "U01"
        dispatched = None if i % 2 else received + dt.timedelta(minutes=20)
        dept.add(f"B{i}", urgent=True, received=f"{received:%Y-%m-%d %H:%M:%S}",
                 dispatch_due=f"{received + dt.timedelta(minutes=30):%Y-%m-%d %H:%M:%S}",
                 dispatched=None if dispatched is None else f"{dispatched:%Y-%m-%d %H:%M:%S}",
                 feedback_due=f"{received + dt.timedelta(hours=2):%Y-%m-%d %H:%M:%S}", lead=lead)
    day = [dt.datetime(2021, 3, 23) + dt.timedelta(minutes=10 * k) for k in range(144)]
    for _ in range(2):
        for when in day:
            _run(dept, ops, f"{when:%Y-%m-%dT%H:%M}")
    claims = _claims(ops)
    # undispatched ones: due soon, overdue, escalated; dispatched ones (20 minutes after receipt, so
    # due soon at the run of their receipt): that, then feedback due soon, overdue, escalated
    assert len(claims) == 3 * 3 + 3 * 4
    assert Counter(stage for _, stage in claims) == {"dispatch_due_soon": 6, "dispatch_overdue": 3,
                                                     "feedback_due_soon": 3, "feedback_overdue": 3, "escalated": 6}
    runs_with_news = {period for _, period in claims.values()}
    sent = _sent(ops)
    assert len(sent) == len(set(sent))  # one notice per recipient per run
    assert {p for p, _, _ in sent} == runs_with_news
    assert len(sink.messages) == len(sent) and sink.duplicates() == 0


def test_two_overlapping_runs(dept, ops, sink):
    for i in range(5):
        dept.add(f"C{i}", urgent=True, received="2021-03-23 07:00:00", dispatch_due="2021-03-23 07:30:00", lead=None)
    errors = []

    def go(when):
        try:
            _run(dept, ops, when)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(w,)) for w in ("2021-03-23T09:40", "2021-03-23T09:50",
                                                                "2021-03-23T09:40")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    claims = _claims(ops)
    assert set(claims) == {(f"C{i}", s) for i in range(5) for s in ("dispatch_overdue", "escalated")}
    # whichever run claimed a petition told it; nobody else did
    told = Counter()
    for m in sink.messages:
        for i in range(5):
            told[f"C{i}"] += m["message"].count(f"C{i} ")
    assert told == {f"C{i}": 2 for i in range(5)}  # the 先予处置 line and the 督办 line, once each


def test_a_flood_is_one_message_that_fits_a_wecom_text(dept, ops, sink):
    for i in range(40):
        dept.add(f"F{i:02d}", urgent=True, received="2021-03-23 09:00:00", dispatch_due="2021-03-23 09:30:00",
                 lead=None, topic="暴雨积水", street="凌水街道")
    _run(dept, ops, "2021-03-23T09:40")
    (office,) = [r for r in outbox.rows(ops) if r["recipient"] == "office"]
    assert len(sink.messages) == 1
    text = office["body"]
    assert "另有" in text and "件未逐条列出" in text and "看板" in text
    assert len(office["subject"].encode()) + len(text.encode()) <= notices.MESSAGE_BUDGET
    listed = sum(1 for i in range(40) if f"F{i:02d} " in text)
    assert 5 <= listed < 40 and f"另有 {40 - listed} 件" in text
    server = apprise.Apprise.instantiate("wecombot://0123456789abcdef", asset=asset())
    from gxq.notify import Notice

    (message,) = compose(server, Notice("office", "urgent_office", office["subject"], text, format="text"), [])
    assert message.body == text  # whole, not cut


def test_a_dry_run_claims_nothing_and_invalid_rows_go_to_ops_once(dept, ops, sink):
    dept.add("D1", urgent=True, received="2021-03-23 09:00:00", dispatch_due="2021-03-23 09:30:00", lead=None)
    dept.add("D2", urgent=True, received="2021-03-23 09:00:00", dispatch_due="2021-03-23 09:30:00",
             dispatched="2021-03-23 08:00:00", lead="U01", phone="13612340546")  # dispatched before received
    _run(dept, ops, "2021-03-23T09:40", dry_run=True)
    assert _claims(ops) == {} and sink.messages == []
    _run(dept, ops, "2021-03-23T09:40")
    _run(dept, ops, "2021-03-23T09:50")
    assert _claims(ops) == {("D1", "dispatch_overdue"): ("office", "2021-03-23T0940"),
                            ("D2", "invalid"): ("ops", "2021-03-23T0940")}
    ops_message = next(m["message"] for m in sink.messages if "数据质量" in m["message"])
    assert "D2" in ops_message and "分拨时间早于受理时间" in ops_message and "13612340546" not in ops_message
    assert len(sink.messages) == 2
