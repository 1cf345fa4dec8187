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
