"""End to end: ``dag.test()`` of ``petition_urgent_watch`` on SQLite and on PostgreSQL (a hand-built
department database and a fresh ``gxq_ops`` of each kind), a rerun of the same minute, and a run
without a logical date taking the ``as_of`` param."""

from __future__ import annotations

import json

import pendulum
import pytest

from tests.conftest import pg_conn_json, run_dag, sqlite_conn_json
from tests.notify.conftest import JsonSink
from tests.petitions.conftest import PetitionsDB

DAG_ID = "petition_urgent_watch"
D = pendulum.datetime(2021, 3, 23, 9, 40, tz="Asia/Shanghai")


def _seed(db: PetitionsDB) -> None:
    db.unit("U01", "建设局").unit("U02", "城管局")
    db.add("P1", urgent=True, received="2021-03-23 07:00:00", dispatch_due="2021-03-23 07:30:00", lead=None,
           topic="燃气泄漏", street="黄泥川街道")  # 130 minutes overdue: 督办
    db.add("P2", urgent=True, received="2021-03-23 09:00:00", dispatch_due="2021-03-23 09:01:00",
           dispatched="2021-03-23 09:05:00", feedback_due="2021-03-23 10:20:00", lead="U02", topic="积水")
    db.add("P3", urgent=True, received="2021-03-23 09:30:00", dispatch_due="2021-03-23 11:30:00", lead=None)
    db.add("P4", received="2021-03-23 09:00:00", dispatch_due="2021-03-23 09:01:00", lead=None)  # not urgent


@pytest.fixture(params=["sqlite", "postgresql"])
def conns(request, tmp_path):
    if request.param == "sqlite":
        db = PetitionsDB(f"sqlite:///{tmp_path / 'dept_petitions.db'}")
        values = {"dept_petitions": sqlite_conn_json(tmp_path / "dept_petitions.db"),
                  "gxq_ops": sqlite_conn_json(tmp_path / "gxq_ops.db")}
    else:
        pg = request.getfixturevalue("pg")
        from tests.conftest import pg_url

        dept, ops = pg.create(f"urg_e2e_dept_{tmp_path.name[-6:]}"), pg.create(f"urg_e2e_ops_{tmp_path.name[-6:]}")
        db = PetitionsDB(pg_url(dept))
        values = {"dept_petitions": pg_conn_json(dept), "gxq_ops": pg_conn_json(ops)}
    _seed(db)
    db.engine.dispose()
    return values


@pytest.fixture
def env(conns, tmp_path, monkeypatch, use_conns):
    use_conns(conns)
    out = tmp_path / "output"
    monkeypatch.setenv("GXQ_OUTPUT_DIR", str(out))
    monkeypatch.setenv("GXQ_NOTIFY_RETRY_DELAY", "0.05")
    sink = JsonSink().start()
    config = tmp_path / "apprise.yml"
    config.write_text(f'version: 1\nurls:\n  - "{sink.url}":\n      - tag: office, ops, U01, U02\n', encoding="utf-8")
    monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(config))
    yield {"out": out, "sink": sink}
    sink.stop()


def test_a_run_and_its_rerun(dagbag, env):
    dag = dagbag.dags[DAG_ID]
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert type(dag.timetable).__name__ == "CronTriggerTimetable" and dag.timetable.summary == "*/10 * * * *"
    assert len(dag.tasks) == 1
    run = run_dag(dagbag, DAG_ID, D)
    assert run.state == "success"
    path = env["out"] / DAG_ID / "2021-03-23T0940" / "report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    assert {k: report[k] for k in ("period", "as_of", "watched", "escalated")} == {
        "period": "2021-03-23T0940", "as_of": "2021-03-23T09:40:00+08:00", "watched": 3, "escalated": ["P1"]}
    assert report["alerts"] == [
        {"petition_id": "P1", "stage": "dispatch_overdue", "unit": None, "street": "黄泥川街道",
         "due_at": "2021-03-23T07:30:00+08:00", "minutes": 130},
        {"petition_id": "P2", "stage": "feedback_due_soon", "unit": "U02", "street": "黄泥川街道",
         "due_at": "2021-03-23T10:20:00+08:00", "minutes": -40},
    ]
    # one message per recipient: office (P1 先予处置 and its 督办 in one), U02 (P2's feedback)
    messages = [m["message"] for m in env["sink"].messages]
    assert len(messages) == 2
    office = next(m for m in messages if "先予处置" in m)
    assert "P1" in office and "黄泥川街道" in office and "督办" in office and "P2" not in office
    assert run_dag(dagbag, DAG_ID, D).state == "success"
    assert json.loads(path.read_text(encoding="utf-8")) == report
    assert len(env["sink"].messages) == 2  # the rerun sends nothing again


def test_a_manual_run_takes_the_as_of_param(dagbag, env):
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    # a DagBag of its own: dag.test() leaves its conf in the DAG's params
    dag = DagBag(dag_folder=str(REPO / "dags" / f"{DAG_ID}.py")).dags[DAG_ID]
    run = dag.test(run_conf={"as_of": "2021-03-23T09:40"})
    assert run.state == "success"
    report = json.loads((env["out"] / DAG_ID / "2021-03-23T0940" / "report.json").read_text(encoding="utf-8"))
    assert report["watched"] == 3 and [a["petition_id"] for a in report["alerts"]] == ["P1", "P2"]
