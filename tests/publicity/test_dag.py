"""End to end: ``dag.test()`` of publicity_cadence_reminder on SQLite and PostgreSQL.

Four runs, shared by the tests of this module: W09 Wednesday (one single-article update: on
target, nobody urged), W09 Friday (on target) and W10 Wednesday (both behind) on SQLite, W10 Friday
(both behind, urgent) on PostgreSQL. The holiday calendar's warning is calendar_coverage_watch's
(tests/notify/test_coverage.py).
"""

from __future__ import annotations

import json

import pendulum
import pytest

from tests import e2e
from tests.conftest import run_dag

DAG_ID = "publicity_cadence_reminder"
RUNS = {
    "wed": ("sqlite", pendulum.datetime(2021, 3, 3, 10, tz="Asia/Shanghai"), "2021-W09-wed"),
    "fri": ("sqlite", pendulum.datetime(2021, 3, 5, 15, tz="Asia/Shanghai"), "2021-W09-fri"),
    "w10_wed": ("sqlite", pendulum.datetime(2021, 3, 10, 10, tz="Asia/Shanghai"), "2021-W10-wed"),
    "pg_fri": ("pg", pendulum.datetime(2021, 3, 12, 15, tz="Asia/Shanghai"), "2021-W10-fri"),
}


@pytest.fixture(scope="module")
def runs(dagbag, publicity_dbs, tmp_path_factory):
    from gxq.connections import dispose_all

    root = tmp_path_factory.mktemp("publicity-dag")
    notices = root / "notices"
    config = e2e.apprise_config(root / "apprise.yml", ("publicity", "ops"), notices)
    results = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GXQ_OUTPUT_DIR", str(root / "output"))
        mp.setenv("GXQ_APPRISE_CONFIG", str(config))
        mp.delenv("GXQ_WECHAT_SOURCE", raising=False)
        mp.delenv("GXQ_WECHAT_ACCOUNT_TYPE", raising=False)
        for name, (backend, when, key) in RUNS.items():
            for cid, value in publicity_dbs[backend].items():
                mp.setenv(f"AIRFLOW_CONN_{cid.upper()}", value)
            dispose_all()
            dr = run_dag(dagbag, DAG_ID, when)
            report_path = root / "output" / DAG_ID / key / "report.json"
            results[name] = {
                "state": str(dr.state),
                "report": json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else None,
                "dir": report_path.parent,
            }
        dispose_all()
    results["notices"] = notices
    return results


def test_runs_succeed(runs):
    assert {name: runs[name]["state"] for name in RUNS} == {name: "success" for name in RUNS}


CONTRACT_KEYS = ["period", "as_of", "wechat_updates", "wechat_posts", "info_submissions", "targets", "behind"]


def test_wednesday_report_is_the_contract(runs):
    report = runs["wed"]["report"]
    # the contract's keys first, in its order; one single-article update (Monday 00:00) is on target
    assert list(report)[:len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert {k: report[k] for k in CONTRACT_KEYS} == {
        "period": "2021-W09", "as_of": "2021-03-03T10:00:00+08:00", "wechat_updates": 1, "wechat_posts": 1,
        "info_submissions": 2, "targets": {"wechat_updates": 1, "info_submissions": 2}, "behind": [],
    }


def test_compliant_wednesday_urges_nobody(runs):
    assert not (runs["notices"] / "publicity" / DAG_ID / "2021-W09-wed").exists()
    assert not (runs["wed"]["dir"] / "reminder.md").exists()


def test_wednesday_reminder_sent_to_publicity(runs):
    report = runs["w10_wed"]["report"]
    assert (report["wechat_updates"], report["wechat_posts"], report["info_submissions"]) == (0, 0, 1)
    assert report["behind"] == ["wechat_updates", "info_submissions"]
    sent = runs["notices"] / "publicity" / DAG_ID / "2021-W10-wed" / "reminder.md"
    assert sent.exists()
    text = sent.read_text(encoding="utf-8")
    assert "公众号更新还差 1 次" in text and "工作信息报送还差 1 篇" in text and "紧急" not in text
    assert (runs["w10_wed"]["dir"] / "reminder.md").exists()


def test_friday_on_target_sends_nothing(runs):
    report = runs["fri"]["report"]
    assert (report["wechat_updates"], report["wechat_posts"], report["info_submissions"], report["behind"]) == (2, 2, 2, [])
    assert not (runs["notices"] / "publicity" / DAG_ID / "2021-W09-fri").exists()
    assert not (runs["fri"]["dir"] / "reminder.md").exists()
    # both runs of the week keep their report
    assert runs["wed"]["report"]["period"] == runs["fri"]["report"]["period"] == "2021-W09"


def test_postgres_friday_is_urgent(runs):
    report = runs["pg_fri"]["report"]
    assert report["period"] == "2021-W10" and report["as_of"] == "2021-03-12T15:00:00+08:00"
    assert (report["wechat_updates"], report["wechat_posts"], report["info_submissions"]) == (0, 0, 1)
    assert report["behind"] == ["wechat_updates", "info_submissions"]
    urgent = runs["notices"] / "publicity" / DAG_ID / "2021-W10-fri" / "reminder_urgent.md"
    assert urgent.exists() and "紧急提醒" in urgent.read_text(encoding="utf-8")


def test_the_reminder_warns_nobody_about_the_calendar(runs):
    assert not (runs["notices"] / "ops").exists()


def test_dag_uses_the_working_day_timetable(dagbag):
    from gxq.calendar.timetables import WorkingWeekdaysTimetable

    dag = dagbag.dags[DAG_ID]
    assert isinstance(dag.timetable, WorkingWeekdaysTimetable)
    assert {"as_of", "dry_run", "resend"} <= set(dag.params.keys())
