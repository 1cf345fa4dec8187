"""calendar_coverage_watch end to end (``dag.test()``): a run whose 31-day lookahead reaches a year
the holiday calendar does not know warns ``ops`` once per year; a run within known years warns nobody."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from tests import e2e
from tests.conftest import run_dag, sqlite_conn_json

DAG_ID = "calendar_coverage_watch"


@pytest.fixture(scope="module")
def runs(dagbag, tmp_path_factory):
    from gxq.calendar import workdays
    from gxq.connections import dispose_all
    from gxq.notify import coverage
    from gxq.run import Run

    if workdays.is_known_year(2027):  # pragma: no cover - the package learnt 2027: shift the probe
        pytest.fail("chinesecalendar now knows 2027: move the December 2026 runs to the December before its last year")
    root = tmp_path_factory.mktemp("coverage-dag")
    notices = root / "notices"
    config = e2e.apprise_config(root / "apprise.yml", ("ops",), notices)
    states = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GXQ_OUTPUT_DIR", str(root / "output"))
        mp.setenv("GXQ_APPRISE_CONFIG", str(config))
        mp.setenv("AIRFLOW_CONN_GXQ_OPS", sqlite_conn_json(root / "gxq_ops.db"))
        dispose_all()
        for when in (pendulum.datetime(2021, 3, 8, 8, 30, tz="Asia/Shanghai"),
                     pendulum.datetime(2026, 12, 7, 8, 30, tz="Asia/Shanghai")):
            states[when.date().isoformat()] = str(run_dag(dagbag, DAG_ID, when).state)
        # the next Monday checks again: the outbox has sent this year's warning already
        recheck = coverage.check_run(Run.at(DAG_ID, dt.datetime(2026, 12, 14, 0, 30, tzinfo=dt.UTC), dry_run=False))
        dispose_all()
    return {"states": states, "notices": notices, "recheck": recheck}


def test_runs_succeed(runs):
    assert set(runs["states"].values()) == {"success"}


def test_ops_warned_once_about_the_unknown_year(runs):
    warned = list((runs["notices"] / "ops").rglob("calendar_coverage.md"))
    assert len(warned) == 1 and "calendar-2027" in str(warned[0]) and DAG_ID in str(warned[0])
    text = warned[0].read_text(encoding="utf-8")
    assert "2027" in text and "周一至周五" in text
    assert runs["recheck"]["unknown_ahead"] == [2027]
    assert runs["recheck"]["notified"]["skipped_already_sent"] == 1 and runs["recheck"]["notified"]["sent"] == 0
    assert not any("calendar-2021" in str(p) or "calendar-2022" in str(p) for p in warned)


def test_dag_is_a_working_day_watch(dagbag):
    from gxq.calendar.timetables import WeekdayOrNextWorkingDayTimetable

    dag = dagbag.dags[DAG_ID]
    assert isinstance(dag.timetable, WeekdayOrNextWorkingDayTimetable)
    assert list(dag.task_dict) == ["check_calendar"] and "ops" in dag.tags
