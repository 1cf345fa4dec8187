"""Ops alerts: task failures and the weekly bulletin's deadline watch, delivered to a real HTTP server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pendulum
import pytest
from gxq.masking import find_unmasked
from gxq.notify.alerts import task_failed
from gxq.notify.outbox import rows

from tests.conftest import REPO
from tests.notify.conftest import record_scenario

RUN_ID = "scheduled__2021-03-08T01:00:00+00:00"


def failure_context(try_number=1, exc=None, max_tries=2):
    logical = pendulum.datetime(2021, 3, 8, 9, tz="Asia/Shanghai")
    ti = SimpleNamespace(dag_id="petition_weekly_bulletin", task_id="build_bulletin", try_number=try_number,
                         map_index=-1, run_id=RUN_ID, max_tries=max_tries)
    return {
        "ti": ti,
        "task_instance": ti,
        "logical_date": logical,
        "dag_run": SimpleNamespace(run_id=RUN_ID, run_after=logical, start_date=logical),
        "params": {"dry_run": False, "resend": False},
        "exception": exc or RuntimeError("dept_petitions unreachable; caller 13612340546"),
    }


def test_task_failure_alert_reaches_ops_once(ops_engine, json_sink, apprise_config, monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example:8080/")
    web = json_sink()
    apprise_config({web.url: "ops"})
    task_failed(failure_context())
    task_failed(failure_context())  # the same callback twice: one alert
    assert len(web.messages) == 1
    msg = web.messages[0]
    assert "petition_weekly_bulletin" in msg["title"] and "build_bulletin" in msg["title"]
    assert "2021-W09" in msg["message"]  # the run's period
    assert ("http://airflow.example:8080/dags/petition_weekly_bulletin/runs/"
            "scheduled__2021-03-08T01%3A00%3A00%2B00%3A00/tasks/build_bulletin?try_number=1") in msg["message"]
    assert "RuntimeError" in msg["message"] and "136****0546" in msg["message"]
    assert not find_unmasked(msg["message"])
    task_failed(failure_context(try_number=2))  # the retry fails too: a new alert
    assert len(web.messages) == 2
    record_scenario(f"task-failed-alert[{ops_engine.dialect.name}]", callbacks=3, messages=len(web.messages),
                    duplicates=web.duplicates())


def test_task_failure_alert_says_what_happens_next(ops_engine, json_sink, apprise_config):
    """The alert promises a retry only when Airflow will run one (try_number <= max_tries)."""
    web = json_sink()
    apprise_config({web.url: "ops"})
    task_failed(failure_context(try_number=1, max_tries=2))
    task_failed(failure_context(try_number=3, max_tries=2))  # the last try: no retry will come
    first, last = (m["message"] for m in web.messages)
    assert "Airflow 会自动重试（还有 2 次，下一次是第 2 次）" in first and "不会再自动重试" not in first
    assert "不会再自动重试" in last and "第 3 次已是最后一次" in last and "清除该任务重跑" in last
    assert "自动重试（还有" not in last


def test_task_failure_alert_never_raises(ops_engine, monkeypatch, tmp_path, json_sink, apprise_config):
    monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(tmp_path / "missing.yml"))
    task_failed(failure_context())  # unreadable config: logged, not raised
    task_failed({})  # nothing usable in the context at all
    from tests.notify.conftest import free_port

    apprise_config({f"json://127.0.0.1:{free_port()}/": "ops"})  # ops channel down
    task_failed(failure_context(try_number=3))
    assert any(r["status"] == "failed" for r in rows(ops_engine))


PROBE_DAG = '''
"""Probe: a bulletin-like DAG whose task fails."""
from airflow.sdk import dag, task
from gxq import dagkit


@dag(dag_id="gxq_failure_probe", schedule="0 9 * * 1", start_date=dagkit.START_DATE, catchup=False,
     default_args=dagkit.default_args(retries=0), tags=["test"])
def gxq_failure_probe():
    @task
    def build_bulletin():
        raise RuntimeError("department database unreachable")

    build_bulletin()


gxq_failure_probe()
'''

PROBE_SCRIPT = '''
import json, sys
import pendulum
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
dr = bag.dags["gxq_failure_probe"].test(logical_date=pendulum.datetime(2021, 3, 8, 9, tz="Asia/Shanghai"))
print("PROBE" + json.dumps({"state": str(dr.state)}))
'''


@pytest.mark.slow
def test_failure_alert_end_to_end(airflow_db, json_sink, apprise_config, tmp_path):
    """A real DAG run (dag.test) whose task fails: the default_args callback alerts ops, once."""
    web = json_sink()
    cfg = apprise_config({web.url: "ops"})
    home = tmp_path / "airflow_home"
    dags = tmp_path / "dags"
    home.mkdir()
    dags.mkdir()
    shutil.copy(airflow_db, home / "airflow.db")
    (dags / "gxq_failure_probe.py").write_text(PROBE_DAG)
    (tmp_path / "probe.py").write_text(PROBE_SCRIPT)
    env = dict(
        os.environ,
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        GXQ_APPRISE_CONFIG=cfg,
        AIRFLOW_CONN_GXQ_OPS=json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "gxq_ops.db")}),
        PYTHONPATH=f"{REPO / 'plugins'}:{REPO}",
    )
    proc = subprocess.run([sys.executable, str(tmp_path / "probe.py"), str(dags)], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE")), None)
    assert line, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads(line[5:])["state"] == "failed"
    failed = [t for t in web.titles() if "task failed" in t]
    assert len(failed) == 1, web.titles()
    (alert,) = [m for m in web.messages if "task failed" in m["title"]]
    assert "不会再自动重试" in alert["message"], alert["message"]  # retries=0: the only try
    record_scenario("dag.test probe (failure alert)", messages=len(web.messages), task_failed_alerts=len(failed),
                    duplicates=web.duplicates())


@pytest.mark.slow
@pytest.mark.parametrize("ops_engine", ["sqlite"], indirect=True)
def test_deadline_watch_dag(dagbag, ops_engine, json_sink, apprise_config):
    """The working equivalent under `airflow dags test`: the watch DAG at Monday 12:00."""
    from gxq import store
    from gxq.notify.deadlines import bulletin_week_due
    from gxq.run import Run

    from tests.conftest import run_dag

    web = json_sink()
    apprise_config({web.url: "ops"})
    watch = Run.at("petition_bulletin_deadline_watch", pendulum.datetime(2021, 3, 8, 12, tz="Asia/Shanghai"))
    assert bulletin_week_due(watch)[0] == "2021-W09"

    dr = run_dag(dagbag, "petition_bulletin_deadline_watch", pendulum.datetime(2021, 3, 8, 12, tz="Asia/Shanghai"))
    assert str(dr.state).endswith("success")
    assert len(web.messages) == 1 and "2021-W09" in web.messages[0]["title"]
    # A rerun of the same watch: no second alert.
    run_dag(dagbag, "petition_bulletin_deadline_watch", pendulum.datetime(2021, 3, 8, 12, tz="Asia/Shanghai"))
    assert len(web.messages) == 1
    # The next week's bulletin was issued in time: no alert.
    store.record_report(ops_engine, "petition_weekly_bulletin", "2021-W10", {"period": "2021-W10"})
    dr = run_dag(dagbag, "petition_bulletin_deadline_watch", pendulum.datetime(2021, 3, 15, 12, tz="Asia/Shanghai"))
    assert str(dr.state).endswith("success") and len(web.messages) == 1
    record_scenario("deadline-watch-dag[sqlite]", runs=3, messages=len(web.messages), duplicates=web.duplicates())


@pytest.mark.parametrize("ops_engine", ["sqlite"], indirect=True)
def test_deadline_watch_skips_backfill_runs(ops_engine, json_sink, apprise_config, monkeypatch):
    """A backfill of the watch over past weeks alerts nobody; a manual run of the same week does."""
    from dataclasses import replace

    from gxq.notify.deadlines import check_bulletin_deadline
    from gxq.run import Run

    monkeypatch.delenv("GXQ_DEADLINE_ALERT_ALL_RUNS", raising=False)
    web = json_sink()
    apprise_config({web.url: "ops"})
    when = pendulum.datetime(2021, 3, 8, 12, tz="Asia/Shanghai")
    watch = Run.at("petition_bulletin_deadline_watch", when, dry_run=False)
    out = check_bulletin_deadline(replace(watch, run_id="backfill__2021-03-08", run_type="backfill"), engine=ops_engine)
    assert out["skipped"] == "backfill" and not out["alerted"] and web.messages == []
    out = check_bulletin_deadline(replace(watch, run_id="manual__2021-03-08", run_type="manual"), engine=ops_engine)
    assert out["alerted"] and len(web.messages) == 1 and "2021-W09" in web.messages[0]["title"]


def test_task_failure_alert_when_gxq_ops_is_down(json_sink, apprise_config, monkeypatch):
    """gxq_ops unreachable (often the very failure reported): the alert goes straight to ops."""
    from gxq.connections import dispose_all

    monkeypatch.setenv("AIRFLOW_CONN_GXQ_OPS", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": 1, "login": "postgres", "schema": "nowhere"}))
    web = json_sink()
    apprise_config({web.url: "ops"})
    try:
        task_failed(failure_context())
    finally:
        dispose_all()
    assert len(web.messages) == 1 and "build_bulletin" in web.messages[0]["title"]
    assert not find_unmasked(web.messages[0]["message"])
    record_scenario("task-failed-alert[gxq_ops down]", messages=len(web.messages))
