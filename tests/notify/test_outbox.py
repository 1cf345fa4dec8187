"""The outbox against real channels (no mocks): Apprise posting to a local HTTP server and mailing a
local SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa
from gxq.masking import find_unmasked
from gxq.notify import DeliveryFailed, Notice, deliver
from gxq.notify.outbox import rows

from tests.notify.conftest import record_scenario

DAG, PERIOD = "petition_weekly_bulletin", "2021-W09"


def notices(tags=("U01", "office", "finance")) -> list[Notice]:
    return [
        Notice(tag, "bulletin", f"市民服务平台情况通报 {PERIOD} ({tag})",
               f"致 {tag}：本周受理 12 件。市民张三 13612340546，身份证 210203199001011234，"
               f"座机 0411-84751234，企业 91210231MA0XXXXXXX，工单 P0001，2021-03-01 09:00:00。")
        for tag in tags
    ]


def test_send_rerun_and_mail(ops_engine, json_sink, smtp_sink, apprise_config, request):
    web = json_sink()
    apprise_config({web.url: ["U01", "office"], smtp_sink.url("finance@example.com"): "finance"})

    first = deliver(DAG, PERIOD, notices())
    assert (first.sent, first.failed, first.skipped_already_sent) == (3, 0, 0)
    assert len(web.messages) == 2 and len(smtp_sink.messages) == 1

    mail = smtp_sink.messages[0]
    assert "市民服务平台情况通报" in mail["Subject"]
    text = mail.get_body(preferencelist=("plain", "html")).get_content()
    assert "136****0546" in text and "210203********1234" in text and "0411-****1234" in text
    assert "91210231MA0XXXXXXX" in text and "2021-03-01 09:00:00" in text
    unmasked = sum(len(find_unmasked(m["message"]) + find_unmasked(m["title"])) for m in web.messages)
    unmasked += len(find_unmasked(text))
    assert unmasked == 0

    # A rerun of the finished period: zero new messages.
    again = deliver(DAG, PERIOD, notices())
    assert (again.sent, again.skipped_already_sent) == (0, 3)
    assert len(web.messages) == 2 and len(smtp_sink.messages) == 1

    stored = rows(ops_engine, DAG, PERIOD)
    assert {r["status"] for r in stored} == {"sent"}
    assert all(r["sent_at"] and r["payload_hash"] and r["attempts"] == 1 for r in stored)
    assert all("13612340546" not in r["body"] for r in stored)
    record_scenario(
        f"send+rerun[{ops_engine.dialect.name}]",
        http_messages=len(web.messages), smtp_messages=len(smtp_sink.messages),
        rerun_new_messages=0, duplicates=web.duplicates(), unmasked=unmasked,
    )


def test_transient_500_three_times_then_200(ops_engine, json_sink, apprise_config):
    web = json_sink()
    web.fail_next(3, 500)
    apprise_config({web.url: "U01"})
    result = deliver(DAG, PERIOD, notices(("U01",)))
    assert result.sent == 1
    assert web.requests == 4 and len(web.messages) == 1
    (row,) = rows(ops_engine, DAG, PERIOD)
    assert row["status"] == "sent" and row["attempts"] == 4
    record_scenario(f"500x3-then-200[{ops_engine.dialect.name}]", requests=web.requests,
                    messages=len(web.messages), duplicates=web.duplicates())


def test_permanent_4xx_is_not_retried(ops_engine, json_sink, apprise_config):
    web = json_sink()
    web.fail_next(10, 404)
    apprise_config({web.url: "U01"})
    with pytest.raises(DeliveryFailed):
        deliver(DAG, PERIOD, notices(("U01",)))
    assert web.requests == 1


def test_channel_down_for_the_whole_run_then_back(ops_engine, json_sink, apprise_config):
    up = json_sink()
    from tests.notify.conftest import free_port

    down_port = free_port()  # nothing listens here during the first run
    down_url = f"json://127.0.0.1:{down_port}/"
    apprise_config({up.url: ["U01", "finance"], down_url: "office"})

    with pytest.raises(DeliveryFailed) as err:
        deliver(DAG, PERIOD, notices())
    result = err.value.result
    assert (result.sent, result.failed) == (2, 1)
    assert len(up.messages) == 2  # the others got theirs before the task failed
    by_tag = {r["recipient"]: r for r in rows(ops_engine, DAG, PERIOD)}
    assert by_tag["office"]["status"] == "failed" and by_tag["office"]["last_error"]
    assert by_tag["office"]["attempts"] == 4

    # The channel comes back: the retry sends only the failed one.
    back = json_sink(down_port)
    retry = deliver(DAG, PERIOD, notices())
    assert (retry.sent, retry.skipped_already_sent, retry.failed) == (1, 2, 0)
    assert len(back.messages) == 1 and len(up.messages) == 2
    assert {r["status"] for r in rows(ops_engine, DAG, PERIOD)} == {"sent"}
    record_scenario(f"down-then-back[{ops_engine.dialect.name}]",
                    first_run_delivered=2, first_run_failed=1, retry_delivered=len(back.messages),
                    resent_to_healthy_channels=len(up.messages) - 2,
                    duplicates=up.duplicates() + back.duplicates())


def test_concurrent_runs_deliver_each_notice_once(ops_engine, json_sink, apprise_config):
    web = json_sink()
    web.delay = 0.05  # widen the window in which both runs are sending
    tags = [f"U{i:02d}" for i in range(1, 11)]
    apprise_config({web.url: tags})
    barrier = threading.Barrier(3)
    results, errors = [], []

    def run(shift):
        try:
            batch = notices(tags)
            batch = batch[shift:] + batch[:shift]  # different orders: the runs meet mid-way
            barrier.wait()
            results.append(deliver(DAG, PERIOD, batch))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(shift,)) for shift in (0, 3, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(web.messages) == 10, web.titles()
    assert web.duplicates() == 0
    assert sum(r.sent for r in results) == 10
    assert sum(r.sent + r.skipped_already_sent + r.in_progress for r in results) == 30
    # Whatever was in progress elsewhere is sent by now; a rerun sends nothing.
    assert deliver(DAG, PERIOD, notices(tags)).sent == 0 and len(web.messages) == 10
    record_scenario(f"concurrent-3-runs[{ops_engine.dialect.name}]", notices=10,
                    messages=len(web.messages), duplicates=web.duplicates(),
                    sent_per_run=[r.sent for r in results])


def test_concurrent_processes_on_postgres(pg, json_sink, apprise_config, tmp_path):
    """Two separate processes (two Airflow workers) deliver the same period at once."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO, pg_conn_json

    name = pg.create("notify_procs")
    web = json_sink()
    web.delay = 0.05
    tags = [f"U{i:02d}" for i in range(1, 9)]
    cfg = apprise_config({web.url: tags})
    script = tmp_path / "run.py"
    script.write_text(
        "import sys, json\n"
        "from gxq.notify import Notice, deliver\n"
        f"tags = {tags!r}\n"
        "if sys.argv[1] == 'reversed':\n    tags = tags[::-1]\n"
        "r = deliver('petition_weekly_bulletin', '2021-W09', "
        "[Notice(t, 'bulletin', 'S ' + t, 'B ' + t) for t in tags])\n"
        "print(json.dumps({'sent': r.sent, 'skipped': r.skipped_already_sent, 'in_progress': r.in_progress}))\n"
    )
    env = dict(os.environ, AIRFLOW_CONN_GXQ_OPS=pg_conn_json(name), GXQ_APPRISE_CONFIG=cfg,
               PYTHONPATH=f"{REPO / 'plugins'}:{REPO}")
    # Migrate once first so both processes race on sending, not on the schema.
    from gxq import store
    from gxq.connections import engine_for, parse_conn_value

    store.ensure_schema(engine_for("gxq_ops", parse_conn_value("gxq_ops", pg_conn_json(name))))
    procs = [subprocess.Popen([sys.executable, str(script), order], env=env, stdout=subprocess.PIPE, text=True)
             for order in ("forward", "reversed")]
    outs = [json.loads(p.communicate(timeout=180)[0].strip().splitlines()[-1]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(web.messages) == 8 and web.duplicates() == 0
    assert sum(o["sent"] for o in outs) == 8
    record_scenario("concurrent-2-processes[postgresql]", notices=8, messages=len(web.messages),
                    duplicates=web.duplicates(), sent_per_process=[o["sent"] for o in outs])


def test_unrouted_tag_is_reported_and_does_not_fail(ops_engine, json_sink, apprise_config):
    web = json_sink()
    apprise_config({web.url: ["U01", "ops"]})
    result = deliver(DAG, PERIOD, notices(("U01", "U99")))
    assert result.sent == 2  # U01's notice and the ops notice about U99
    assert result.unrouted == ["U99"] and result.failed == 0
    ops = [m for m in web.messages if "unrouted" in m["title"]]
    assert len(ops) == 1 and "U99" in ops[0]["message"]
    by_tag = {r["recipient"]: r for r in rows(ops_engine, DAG, PERIOD)}
    assert by_tag["U99"]["status"] == "unrouted"
    # Rerun: the ops notice is not repeated; U99 still waits.
    again = deliver(DAG, PERIOD, notices(("U01", "U99")))
    assert again.unrouted == ["U99"] and len(web.messages) == 2
    # The tag gets a URL: the waiting notice goes out, once.
    apprise_config({web.url: ["U01", "ops", "U99"]})
    fixed = deliver(DAG, PERIOD, notices(("U01", "U99")))
    assert fixed.sent == 1 and fixed.unrouted == [] and len(web.messages) == 3
    record_scenario(f"unrouted[{ops_engine.dialect.name}]", messages=len(web.messages), ops_notices=len(ops),
                    duplicates=web.duplicates())


def test_dry_run_records_without_sending(ops_engine, json_sink, apprise_config):
    web = json_sink()
    apprise_config({web.url: ["U01", "office", "finance"]})
    dry = deliver(DAG, PERIOD, notices(), dry_run=True)
    assert dry.dry_run == 3 and dry.sent == 0 and web.requests == 0
    assert {r["status"] for r in rows(ops_engine, DAG, PERIOD)} == {"dry_run"}
    real = deliver(DAG, PERIOD, notices())
    assert real.sent == 3 and len(web.messages) == 3
    dry2 = deliver(DAG, PERIOD, notices(), dry_run=True)
    assert dry2.skipped_already_sent == 3 and len(web.messages) == 3
    record_scenario(f"dry-run[{ops_engine.dialect.name}]", dry_run_messages=0, real_run_messages=3)


def test_resend_forced_once_per_run(ops_engine, json_sink, apprise_config):
    web = json_sink()
    apprise_config({web.url: ["U01", "office", "finance"]})
    deliver(DAG, PERIOD, notices(), run_id="r1")
    assert len(web.messages) == 3
    forced = deliver(DAG, PERIOD, notices(), resend=True, run_id="manual__resend")
    assert forced.sent == 3 and len(web.messages) == 6
    # The same run retried (Airflow retry of the task): not a second resend.
    retried = deliver(DAG, PERIOD, notices(), resend=True, run_id="manual__resend")
    assert retried.sent == 0 and len(web.messages) == 6
    assert {r["resend_count"] for r in rows(ops_engine, DAG, PERIOD)} == {1}
    record_scenario(f"resend[{ops_engine.dialect.name}]", first=3, forced_resend=3, retried_resend=0)


def test_changed_payload_after_sent_is_not_resent(ops_engine, json_sink, apprise_config):
    web = json_sink()
    apprise_config({web.url: "U01"})
    deliver(DAG, PERIOD, [Notice("U01", "bulletin", "S", "v1")])
    result = deliver(DAG, PERIOD, [Notice("U01", "bulletin", "S", "v2")])
    assert result.sent == 0 and result.notices[0].changed_since_sent
    assert len(web.messages) == 1


def test_long_body_is_split_and_reassembled(ops_engine, json_sink, apprise_config):
    web = json_sink()
    apprise_config({web.url: "U01"})
    lines = [f"第 {i:05d} 行：街道 供暖 投诉 办理中，联系电话 13612340546。" for i in range(1500)]
    body = "\n".join(lines)
    assert len(body) > 32768  # Apprise's json:// limit
    result = deliver(DAG, PERIOD, [Notice("U01", "bulletin", "长通报", body)])
    assert result.sent == 1 and result.notices[0].messages == len(web.messages) > 1
    parts = sorted(web.messages, key=lambda m: int(m["title"].rsplit("（第", 1)[1].split("/")[0]))
    n = len(parts)
    assert all(m["title"] == f"长通报（第{i}/{n}部分）" for i, m in enumerate(parts, 1))
    joined = "\n".join(m["message"] for m in parts)
    assert joined.splitlines() == [ln.replace("13612340546", "136****0546") for ln in lines]
    record_scenario(f"long-body-split[{ops_engine.dialect.name}]", chars=len(body), parts=n,
                    lines_lost=0, unmasked=sum(len(find_unmasked(m["message"])) for m in parts))


def test_text_attachments_are_masked(ops_engine, smtp_sink, apprise_config, tmp_path):
    csv = tmp_path / "超期工单.csv"
    csv.write_text("petition_id,phone,id_no\nP0001,13612340546,210203199001011234\n", encoding="utf-8")
    apprise_config({smtp_sink.url("u01@example.com"): "U01"})
    deliver(DAG, PERIOD, [Notice("U01", "overdue", "超期未反馈", "见附件", attachments=[str(csv)])])
    (mail,) = smtp_sink.messages
    files = [p for p in mail.iter_attachments()]
    assert len(files) == 1
    content = files[0].get_content()
    content = content.decode() if isinstance(content, bytes) else content
    assert "136****0546" in content and "210203********1234" in content and not find_unmasked(content)
    (row,) = rows(ops_engine, DAG, PERIOD)
    assert json.loads(row["attachments_json"])[0] != str(csv)  # the masked copy was sent


def test_outbox_schema_is_a_branch_of_its_own(ops_engine):
    from gxq import store

    assert "notify_0003" in store.current_revisions(ops_engine)
    for table in ("gxq_notify_outbox", "gxq_notify_delivery", "gxq_notify_bots", "gxq_notify_bot_sends"):
        assert sa.inspect(ops_engine).has_table(table)


def test_a_dead_senders_claim_is_taken_over(ops_engine, json_sink, apprise_config, monkeypatch):
    """A worker killed mid-send leaves its row 'sending': others wait, then take it over."""
    from gxq.notify.outbox import record, render_notice
    from gxq.notify.tables import outbox

    web = json_sink()
    apprise_config({web.url: "U01"})
    (n,) = notices(("U01",))
    row = record(ops_engine, DAG, PERIOD, render_notice(n, DAG, PERIOD))
    import datetime as dt

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with ops_engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.id == row["id"])
                     .values(status="sending", claim_token="dead", claimed_at=now))
    monkeypatch.setenv("GXQ_NOTIFY_WAIT_IN_PROGRESS", "0.5")
    with pytest.raises(DeliveryFailed) as err:  # a fresh claim: not ours to send, not sent yet
        deliver(DAG, PERIOD, [n])
    assert err.value.result.in_progress == 1 and web.requests == 0
    with ops_engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.id == row["id"])
                     .values(claimed_at=now - dt.timedelta(hours=1)))
    assert deliver(DAG, PERIOD, [n]).sent == 1 and len(web.messages) == 1


def test_missing_config_file_leaves_every_tag_unrouted(ops_engine, monkeypatch, tmp_path):
    monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(tmp_path / "none.yml"))
    result = deliver(DAG, PERIOD, notices(("U01", "ops")))
    assert result.failed == 0 and sorted(result.unrouted) == ["U01", "ops"]


def test_unset_config_uses_the_demo_files(ops_engine, monkeypatch, tmp_path):
    monkeypatch.delenv("GXQ_APPRISE_CONFIG", raising=False)
    result = deliver(DAG, PERIOD, notices(("U01",)))
    assert result.sent == 1
    assert (tmp_path / "output" / "_notices" / "U01" / DAG / PERIOD / "bulletin.md").is_file()
