"""The scorecard end to end with ``dag.test()`` over the demo year on SQLite: the producing DAGs run
over June 2021 (four bulletins, an urgent watch run, the rectification of June's last week, the task
tracking, the project evaluation), each publish step updating its report asset under a partition of
June; then ``unit_performance_scorecard`` for the logical date 2021-07-08 scores June, every
deduction traced to an item of an input report. November, whose inputs no DAG issued, fails with
the missing inputs named, and with ``allow_missing`` is issued marked incomplete."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pendulum
import pytest

from tests.conftest import run_dag, sqlite_conn_json

pytestmark = pytest.mark.slow

DAG_ID = "unit_performance_scorecard"
TZ = "Asia/Shanghai"
PRODUCERS = [("petition_weekly_bulletin", pendulum.datetime(2021, 6, d, 9, tz=TZ)) for d in (7, 15, 21, 28)] + [
    ("petition_urgent_watch", pendulum.datetime(2021, 6, 30, 10, tz=TZ)),
    ("assessment_rectification", pendulum.datetime(2021, 6, 29, 10, tz=TZ)),  # W25, June's last week
    ("plan_task_tracking", pendulum.datetime(2021, 7, 2, 9, tz=TZ)),
    ("innovation_monthly_evaluation", pendulum.datetime(2021, 7, 6, 9, tz=TZ)),
]
D = pendulum.datetime(2021, 7, 8, 10, tz=TZ)
D_NOVEMBER = pendulum.datetime(2021, 12, 8, 10, tz=TZ)  # no input DAG ran for 2021-11 in this session


@pytest.fixture(scope="module")
def runs(dagbag, demo_sqlite, airflow_db, tmp_path_factory):
    from gxq.connections import dispose_all

    folder = tmp_path_factory.mktemp("scorecard_e2e")
    mp = pytest.MonkeyPatch()
    dispose_all()
    out = folder / "output"
    mp.setenv("GXQ_OUTPUT_DIR", str(out))
    units = ", ".join(f"U{i:02d}" for i in range(1, 24))
    (folder / "apprise.yml").write_text(f'version: 1\nurls:\n  - "gxqfile://":\n      - tag: office, ops, {units}\n',
                                        encoding="utf-8")
    mp.setenv("GXQ_APPRISE_CONFIG", str(folder / "apprise.yml"))
    for cid, value in demo_sqlite.items():
        mp.setenv(f"AIRFLOW_CONN_{cid.upper()}", value)
    # its own gxq_ops: the session's is shared, and these producer runs would leave their notices sent
    # for the capability tests that run the same months later
    mp.setenv("AIRFLOW_CONN_GXQ_OPS", sqlite_conn_json(folder / "gxq_ops.db"))
    produced = {(dag_id, when.isoformat()): run_dag(dagbag, dag_id, when).state for dag_id, when in PRODUCERS}
    june = run_dag(dagbag, DAG_ID, D)
    strict = run_dag(dagbag, DAG_ID, D_NOVEMBER)
    strict_report = json.loads((out / DAG_ID / "2021-11" / "report.json").read_text(encoding="utf-8"))
    office_after_strict = (out / "_notices" / "office" / DAG_ID / "2021-11").exists()
    lenient = run_dag(dagbag, DAG_ID, D_NOVEMBER, {"allow_missing": True})
    yield {"out": out, "produced": produced, "june": june, "strict": strict, "strict_report": strict_report,
           "lenient": lenient, "office_after_strict": office_after_strict, "airflow_db": airflow_db}
    mp.undo()
    dispose_all()


def _report(out: Path, dag_id: str, key: str) -> dict:
    return json.loads((out / dag_id / key / "report.json").read_text(encoding="utf-8"))


def test_the_producers_publish_their_reports_as_june_partitions(runs):
    assert set(runs["produced"].values()) == {"success"}
    with sqlite3.connect(runs["airflow_db"]) as db:
        events = db.execute("SELECT a.name, e.partition_key, e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id "
                            "WHERE a.name LIKE 'gxq_report__%' AND e.partition_key LIKE '2021-0%'").fetchall()
    keys = {(name, key) for name, key, _ in events}
    # the bulletins' weeks at their Thursdays (W22..W25 count toward June), the monthly reports at June's first day
    assert {("gxq_report__petition_weekly_bulletin", f"2021-06-{d:02d}T00:00:00") for d in (3, 10, 17, 24)} <= keys
    assert ("gxq_report__plan_task_tracking", "2021-06-01T00:00:00") in keys
    assert ("gxq_report__innovation_monthly_evaluation", "2021-06-01T00:00:00") in keys
    assert ("gxq_report__petition_urgent_watch", "2021-06-30T10:00:00") in keys  # the watch's minute
    assert ("gxq_report__assessment_rectification", "2021-06-24T00:00:00") in keys
    assert any(json.loads(extra) == {"dag_id": "plan_task_tracking", "period": "2021-06"} for _, _, extra in events)


def test_missing_inputs_are_named_and_fail_the_run(runs):
    assert runs["strict"].state == "failed"
    report = runs["strict_report"]
    assert report["period"] == "2021-11" and report["complete"] is False
    missing = {(m["source"], m["period"], m["reason"]) for m in report["missing_inputs"]}
    assert ("urgent", "2021-11", "no_report") in missing and ("rectification", "2021-W47", "no_report") in missing
    ops_notice = runs["out"] / "_notices" / "ops" / DAG_ID / "2021-11" / "scorecard_missing_inputs.md"
    assert "petition_urgent_watch" in ops_notice.read_text(encoding="utf-8")
    assert runs["office_after_strict"] is False  # an incomplete scorecard goes to nobody but ops


def test_allow_missing_issues_an_incomplete_scorecard(runs):
    assert runs["lenient"].state == "success"
    out = runs["out"]
    report = _report(out, DAG_ID, "2021-11")
    assert report["complete"] is False and report["missing_inputs"]
    office = (out / "_notices" / "office" / DAG_ID / "2021-11" / "scorecard_office.md").read_text(encoding="utf-8")
    assert "缺少输入" in office


def test_june_is_scored_from_every_input_every_point_traced(runs):
    out = runs["out"]
    assert runs["june"].state == "success"
    report = _report(out, DAG_ID, "2021-06")
    assert report["complete"] is True and report["missing_inputs"] == []
    assert {i["source"]: i["periods"] for i in report["inputs"]}["rectification"] == ["2021-W25"]
    assert list(report)[:2] == ["period", "units"] and report["units"]
    assert [(u["rank"], u["unit"]) for u in report["units"]] == sorted((u["rank"], u["unit"]) for u in report["units"])
    tasks = {t["target_id"]: t for t in _report(out, "plan_task_tracking", "2021-06")["targets"]}
    projects = {p["project_id"]: p for p in _report(out, "innovation_monthly_evaluation", "2021-06")["projects"]}
    bulletins = {k: _report(out, "petition_weekly_bulletin", k) for k in ("2021-W22", "2021-W23", "2021-W24", "2021-W25")}
    findings = {f["finding_id"]: f for f in _report(out, "assessment_rectification", "2021-W25")["findings_overdue"]}
    alerts = {(a["petition_id"], a["unit"]) for a in _report(out, "petition_urgent_watch", "2021-06-30T1000")["alerts"]}
    sources = set()
    for unit in report["units"]:
        assert unit["score"] == round(100 - sum(d["points"] for d in unit["deductions"]), 2)
        for d in unit["deductions"]:
            sources.add(d["source"])
            if d["source"] == "tasks":
                assert tasks[d["item"]]["unit"] == unit["unit"] and tasks[d["item"]]["light"] in ("red", "yellow")
            elif d["source"] == "innovation":
                assert projects[d["item"]]["responsible_unit"] == unit["unit"]
                assert projects[d["item"]]["status"] in ("red", "yellow", "unreported")
            elif d["source"] == "rectification":
                assert findings[d["item"]]["unit"] == unit["unit"]
            elif d["source"] == "urgent":
                assert (d["item"], unit["unit"]) in alerts
            elif d["source"] == "petitions" and "按时反馈" in d["item"]:
                week, figure = d["item"].split(" 按时反馈 ")
                row = next(r for r in bulletins[week]["units"] if r["unit"] == unit["unit"])
                assert figure == f"{row['feedback_on_time']}/{row['feedback_due']}"
    assert {"tasks", "innovation", "petitions"} <= sources  # the demo month loses points in each
    folder = out / DAG_ID / "2021-06"
    assert {"scorecard.html", "scorecard.docx", "scorecard.xlsx", "report.json"} <= {p.name for p in folder.iterdir()}
    from openpyxl import load_workbook

    sheets = load_workbook(folder / "scorecard.xlsx").sheetnames
    assert sheets[0] == "总表" and len([s for s in sheets if s.startswith("U")]) == len(report["units"])
    first = report["units"][0]["unit"]
    page = (folder / "units" / f"{first}.html").read_text(encoding="utf-8")
    assert "缺少输入" not in page and "第 1 名" in page
    notices = out / "_notices"
    assert (notices / "office" / DAG_ID / "2021-06" / "scorecard_office.md").exists()
    assert (notices / first / DAG_ID / "2021-06" / "scorecard_unit.md").exists()
