"""Bad input in ``dept_supervision``, each on its own, on SQLite and PostgreSQL: the target is left
out and listed as a data problem, sent to ``ops``; the other targets are computed; nothing crashes."""

from __future__ import annotations

import json

import pytest
from gxq.run import Run

from tests.conftest import sqlite_conn_json

GOOD = "T01"


def _seed_good(dept):
    dept.target(GOOD).report(GOOD, "2021-03-20", 100)


CASES = {
    "unknown_curve": lambda d: d.target("T02", curve="stepwise").report("T02", "2021-03-10", 5),
    "bad_target_value": lambda d: d.target("T02", value=0).report("T02", "2021-03-10", 5),
    "bad_dates": lambda d: d.target("T02", start="2021-06-01", due="2021-02-28"),
    "milestones_missing": lambda d: d.target("T02", curve="milestones", value=3).report("T02", "2021-03-10", 1),
    "unknown_target": lambda d: d.report("T99", "2021-03-10", 5),
    "cumulative_decreased": lambda d: d.target("T02").report("T02", "2021-02-10", 40).report("T02", "2021-03-10", 30),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_data_problem_alone(kind, dept, use_conns, output_dir, tmp_path, monkeypatch):
    from gxq.tracking import pipeline

    _seed_good(dept)
    CASES[kind](dept)
    use_conns({"dept_supervision": dept.conn_json, "gxq_ops": sqlite_conn_json(tmp_path / "ops.db")})
    monkeypatch.delenv("GXQ_APPRISE_CONFIG", raising=False)  # demo channel: notices as files
    report = pipeline.run_all(Run.for_period("plan_task_tracking", "2021-03", dry_run=False))
    assert [t["target_id"] for t in report["targets"]] == [GOOD]
    assert report["targets"][0]["status"] == "on_track"
    subject = "T99" if kind == "unknown_target" else "T02"
    assert [(p["kind"], p["subject"]) for p in report["data_problems"]] == [(kind, subject)]
    assert report["counts"] == {"green": 1, "yellow": 0, "red": 0}
    written = json.loads((output_dir / "plan_task_tracking" / "2021-03" / "report.json").read_text(encoding="utf-8"))
    assert written["data_problems"] == report["data_problems"]
    [ops] = list((output_dir / "_notices" / "ops" / "plan_task_tracking" / "2021-03").glob("task_data_problems*.md"))
    assert subject in ops.read_text(encoding="utf-8")


def test_dates_that_are_not_dates_on_sqlite(tmp_path, use_conns, output_dir, monkeypatch):
    """SQLite text that is no date: a target's dates (bad_dates, left out), a report's and a
    milestone's (listed, the row counts nowhere, the target goes on); sent to ops, no crash."""
    from gxq.tracking import pipeline

    from tests.tracking.conftest import DeptDB

    path = tmp_path / "dept_supervision_text.db"
    dept = DeptDB(f"sqlite:///{path}", sqlite_conn_json(path))
    _seed_good(dept)
    dept.target("T02", start="2021-06-0x")
    dept.target("T03").report("T03", "2021-03-1x", 90).report("T03", "2021-03-05", 80)
    dept.target("T04", value=3, curve="milestones").milestone("T04", "2021-02-30", 1) \
        .milestone("T04", "2021-03-31", 2).report("T04", "2021-03-20", 2)
    use_conns({"dept_supervision": dept.conn_json, "gxq_ops": sqlite_conn_json(tmp_path / "ops.db")})
    monkeypatch.delenv("GXQ_APPRISE_CONFIG", raising=False)  # demo channel: notices as files
    report = pipeline.run_all(Run.for_period("plan_task_tracking", "2021-03", dry_run=False))
    dept.engine.dispose()
    assert [t["target_id"] for t in report["targets"]] == [GOOD, "T03", "T04"]
    assert {t["target_id"]: t["actual"] for t in report["targets"]}["T03"] == 80  # the undated 90 counts nowhere
    assert {t["target_id"]: t["status"] for t in report["targets"]}["T04"] == "on_track"  # 2 by 03-31
    assert [(p["kind"], p["subject"]) for p in report["data_problems"]] == [
        ("bad_dates", "T02"), ("undated_report", "T03"), ("undated_milestone", "T04")]
    [ops] = list((output_dir / "_notices" / "ops" / "plan_task_tracking" / "2021-03").glob("task_data_problems*.md"))
    text = ops.read_text(encoding="utf-8")
    assert "T02" in text and "T03" in text and "T04" in text
