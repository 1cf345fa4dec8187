"""A send cut short (发送中断): the claim a killed try left behind is taken over by the next try of
the same task instance at once, and ``ops`` is told which notice may have reached its group
twice; a different run never takes over a live claim. On SQLite and PostgreSQL, real channels."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from gxq.notify import DeliveryFailed, Notice, deliver
from gxq.notify.model import Sender
from gxq.notify.outbox import record, render_notice, rows
from gxq.notify.tables import outbox

from tests.notify.conftest import record_scenario

DAG, PERIOD = "petition_weekly_bulletin", "2021-W09"
RUN = "scheduled__2021-03-08T01:00:00+00:00"


def sender(try_number: int, run_id: str = RUN, task_id: str = "notify") -> Sender:
    return Sender(DAG, run_id, task_id, -1, try_number, max_tries=2)


def bulletins(tags=("U01", "U02", "U03")) -> list[Notice]:
    return [Notice(tag, "bulletin", f"通报 {PERIOD} ({tag})", f"致 {tag}：本周受理 12 件。") for tag in tags]


def leave_a_dead_claim(engine, notice: Notice, by: Sender, ago: float = 0) -> int:
    """What a try SIGKILLed mid-send leaves: its row 'sending', claimed by it."""
    row = record(engine, DAG, PERIOD, render_notice(notice, DAG, PERIOD))
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=ago)
    with engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.id == row["id"]).values(
            status="sending", claim_token="dead-try", claimed_at=at, run_id=by.run_id,
            claim_holder=by.holder, claim_try=by.try_number))
    return row["id"]


def test_the_next_try_of_the_same_task_takes_over_at_once_and_tells_ops(ops_engine, json_sink, apprise_config):
    web = json_sink()
    apprise_config({web.url: ["U01", "U02", "U03", "ops"]})
    notices = bulletins()
    leave_a_dead_claim(ops_engine, notices[1], sender(1))  # try 1 died sending U02's

    result = deliver(DAG, PERIOD, notices, run_id=RUN, sender=sender(2))  # no wait for the claim TTL
    assert result.ok and result.in_progress == 0
    taken = [n for n in result.notices if n.taken_over]
    assert [(n.recipient, n.status) for n in taken] == [("U02", "sent")]
    assert taken[0].taken_over["by"] == "an earlier try (1) of this task"
    titles = [m["title"] for m in web.messages]
    assert sorted(t for t in titles if t.startswith("通报")) == [f"通报 {PERIOD} (U0{i})" for i in (1, 2, 3)]
    (alert,) = [m for m in web.messages if "发送中断" in m["title"]]
    assert "`U02`" in alert["message"] and f"通报 {PERIOD} (U02)" in alert["message"]
    assert "an earlier try (1) of this task" in alert["message"] and "try 2 of task notify" in alert["message"]
    assert "核对该通知是否出现了两次" in alert["message"] and "已送达" in alert["message"]
    assert "U01" not in alert["message"] and "U03" not in alert["message"]  # only the uncertain one
    (row,) = [r for r in rows(ops_engine, DAG, PERIOD) if r["recipient"] == "U02"]
    assert row["status"] == "sent" and row["claim_try"] == 2

    again = deliver(DAG, PERIOD, notices, run_id=RUN, sender=sender(3))  # a rerun: nothing twice
    assert again.sent == 0 and not any(n.taken_over for n in again.notices)
    assert len(web.messages) == len(titles)
    assert web.duplicates() == 0
    record_scenario(f"takeover-same-task[{ops_engine.dialect.name}]", messages=len(web.messages),
                    ops_alerts=1, duplicates=web.duplicates())


def test_a_different_run_never_takes_over_a_live_claim(ops_engine, json_sink, apprise_config, monkeypatch):
    web = json_sink()
    apprise_config({web.url: ["U01", "U02", "U03", "ops"]})
    monkeypatch.setenv("GXQ_NOTIFY_WAIT_IN_PROGRESS", "0.5")
    notices = bulletins()
    leave_a_dead_claim(ops_engine, notices[1], sender(1))

    for other in (sender(2, run_id="manual__2021-03-09T00:00:00+00:00"),  # another run, same task
                  sender(2, task_id="notify_again"),  # another task of the run
                  sender(1),  # the same try (not a later one)
                  None):  # outside Airflow
        with pytest.raises(DeliveryFailed) as err:
            deliver(DAG, PERIOD, notices, run_id="manual__2021-03-09T00:00:00+00:00", sender=other)
        assert err.value.result.in_progress == 1
        message = str(err.value)
        assert "another run" not in message
        assert f"being sent by run {RUN} of {DAG} (task notify, try 1)" in message or other == sender(1)
        assert "its claim expires at" in message
    assert [m["title"] for m in web.messages if "U02" in m["title"]] == []  # never sent while claimed
    assert not [m for m in web.messages if "发送中断" in m["title"]]


def test_a_stale_claim_of_another_run_is_taken_over_and_named(ops_engine, json_sink, apprise_config):
    web = json_sink()
    apprise_config({web.url: ["U01", "ops"]})
    (notice,) = bulletins(("U01",))
    leave_a_dead_claim(ops_engine, notice, sender(1), ago=3600)
    other = sender(1, run_id="manual__2021-03-09T00:00:00+00:00")
    result = deliver(DAG, PERIOD, [notice], run_id=other.run_id, sender=other)
    assert result.sent == 2  # the notice and the ops alert
    (alert,) = [m for m in web.messages if "发送中断" in m["title"]]
    assert f"run {RUN} of {DAG} (task notify, try 1)" in alert["message"]


def test_takeover_is_atomic_between_two_later_tries(ops_engine, json_sink, apprise_config):
    """Two senders both entitled to take over (a stale claim): exactly one sends it."""
    web = json_sink()
    web.delay = 0.3
    apprise_config({web.url: ["U01"]})
    (notice,) = bulletins(("U01",))
    row_id = leave_a_dead_claim(ops_engine, notice, sender(1), ago=3600)
    import threading

    results, errors = [], []

    def go(s):
        try:
            results.append(deliver(DAG, PERIOD, [notice], run_id=s.run_id, sender=s, report_unrouted=False))
        except DeliveryFailed as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(s,)) for s in (sender(2), sender(1, run_id="manual__x"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len([m for m in web.messages if m["title"] == f"通报 {PERIOD} (U01)"]) == 1
    with ops_engine.connect() as conn:
        assert conn.execute(sa.select(outbox.c.status).where(outbox.c.id == row_id)).scalar() == "sent"
