"""The contract's rules of the urgent-petition watch (急险), edge by edge, on SQLite and PostgreSQL:
each case is a hand-built department database read through include/sql/petitions/urgent.sql."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from gxq.urgent import pipeline, watch

AS_OF = "2021-03-23T09:40"
KEY = "2021-03-23T0940"
CONTRACT_KEYS = ["period", "as_of", "watched", "alerts", "escalated"]


def _report(dept, ops, key: str = KEY) -> dict:
    return pipeline.run(key, dept=dept.engine, ops=ops, send=False)


def _urgent(dept, pid, **kw):
    kw.setdefault("received", "2021-03-23 08:00:00")
    return dept.add(pid, urgent=True, **kw)


def test_stage_edges(dept, ops, output_dir):
    # dispatch due exactly at as_of: overdue by 0 minutes
    _urgent(dept, "P01", dispatch_due="2021-03-23 09:40:00", lead=None)
    # due exactly at as_of + 30 minutes: due soon; a second later: in time
    _urgent(dept, "P02", dispatch_due="2021-03-23 10:10:00", lead=None)
    _urgent(dept, "P03", dispatch_due="2021-03-23 10:10:01", lead=None)
    # dispatched; feedback due exactly at as_of + 60 minutes: due soon; a second later: in time
    _urgent(dept, "P04", dispatch_due="2021-03-23 09:00:00", dispatched="2021-03-23 08:30:00",
            feedback_due="2021-03-23 10:40:00", lead="U02")
    _urgent(dept, "P05", dispatch_due="2021-03-23 09:00:00", dispatched="2021-03-23 08:30:00",
            feedback_due="2021-03-23 10:40:01", lead="U02")
    # dispatched, feedback due at as_of: feedback_overdue by 0; the lead is the smallest lead code
    _urgent(dept, "P06", dispatch_due="2021-03-23 09:00:00", dispatched="2021-03-23 08:30:00",
            feedback_due="2021-03-23 09:40:00", lead=["U07", "U03"])
    # dispatched only after as_of: not dispatched as of as_of (no unit), dispatch overdue
    _urgent(dept, "P07", dispatch_due="2021-03-23 09:29:30", dispatched="2021-03-23 09:45:00",
            feedback_due="2021-03-23 09:30:00", lead="U05")
    # a NULL due time is never due
    _urgent(dept, "P08", dispatch_due=None, lead=None)
    _urgent(dept, "P09", dispatch_due="2021-03-23 09:00:00", dispatched="2021-03-23 08:30:00", feedback_due=None)
    # due soon, minutes rounded toward zero: 15.5 minutes ahead -> -15
    _urgent(dept, "P10", dispatch_due="2021-03-23 09:55:30", lead=None)
    report = _report(dept, ops)
    assert list(report)[:5] == CONTRACT_KEYS
    assert report["period"] == KEY and report["as_of"] == "2021-03-23T09:40:00+08:00"
    assert report["watched"] == 10
    got = [(a["petition_id"], a["stage"], a["unit"], a["due_at"], a["minutes"]) for a in report["alerts"]]
    assert got == [
        ("P01", "dispatch_overdue", None, "2021-03-23T09:40:00+08:00", 0),
        ("P07", "dispatch_overdue", None, "2021-03-23T09:29:30+08:00", 10),
        ("P06", "feedback_overdue", "U03", "2021-03-23T09:40:00+08:00", 0),
        ("P02", "dispatch_due_soon", None, "2021-03-23T10:10:00+08:00", -30),
        ("P10", "dispatch_due_soon", None, "2021-03-23T09:55:30+08:00", -15),
        ("P04", "feedback_due_soon", "U02", "2021-03-23T10:40:00+08:00", -60),
    ]
    assert all(a["street"] == "黄泥川街道" for a in report["alerts"])
    assert report["escalated"] == []
    stages = {w["petition_id"]: w["stage"] for w in report["watched_petitions"]}
    assert stages["P03"] == stages["P05"] == stages["P08"] == stages["P09"] == "in_time"


def test_the_seven_day_window_and_who_is_watched(dept, ops, output_dir):
    due = "2021-03-16 10:00:00"
    _urgent(dept, "W1", received="2021-03-16 09:40:00", dispatch_due=due)  # exactly 7 days ago: out
    _urgent(dept, "W2", received="2021-03-16 09:40:01", dispatch_due=due)  # just inside
    _urgent(dept, "W3", received="2021-03-23 09:40:00", dispatch_due="2021-03-23 11:40:00")  # at as_of: in
    _urgent(dept, "W4", received="2021-03-23 09:40:01", dispatch_due="2021-03-23 09:41:00")  # after as_of: out
    dept.add("W5", received="2021-03-23 08:00:00", dispatch_due=due)  # not urgent
    _urgent(dept, "W6", dispatch_due=due, status="已撤销")  # withdrawn: nowhere
    _urgent(dept, "W7", dispatch_due=due, dispatched="2021-03-23 07:00:00")  # invalid: dispatched before received
    _urgent(dept, "W8", received="2021-03-16 10:30:00", dispatch_due=due, dispatched="2021-03-16 11:00:00", feedback_due="2021-03-20 10:00:00",
            feedback="2021-03-23 09:40:00")  # fed back exactly at as_of: no longer watched
    _urgent(dept, "W9", received="2021-03-16 10:30:00", dispatch_due=due, dispatched="2021-03-16 11:00:00", feedback_due="2021-03-20 10:00:00",
            feedback="2021-03-23 09:40:01", lead="U04")  # fed back only after as_of: still watched
    _urgent(dept, "W10", received=None, dispatch_due=due)  # missing received_at: not in the window at all
    report = _report(dept, ops)
    assert [w["petition_id"] for w in report["watched_petitions"]] == ["W2", "W3", "W9"]
    assert report["watched"] == 3
    assert report["excluded"] == {"dispatched_before_received": 1}
    # W2: dispatch due a week ago (7 days − 20 minutes) and W9: feedback 3 days late, both escalated
    alerts = {a["petition_id"]: a for a in report["alerts"]}
    assert alerts["W2"]["stage"] == "dispatch_overdue" and alerts["W2"]["minutes"] == 7 * 24 * 60 - 20
    assert alerts["W9"]["stage"] == "feedback_overdue" and alerts["W9"]["unit"] == "U04"
    assert report["escalated"] == ["W2", "W9"]


def test_escalation_starts_at_120_minutes(dept, ops, output_dir):
    _urgent(dept, "E1", dispatch_due="2021-03-23 07:40:00")  # 120 minutes: escalated
    _urgent(dept, "E2", dispatch_due="2021-03-23 07:40:01")  # 119 minutes 59 s -> 119: not yet
    _urgent(dept, "E3", received="2021-03-23 06:00:00", dispatch_due="2021-03-23 07:00:00",
            dispatched="2021-03-23 06:30:00", feedback_due="2021-03-23 07:39:59", lead="U01")  # 120 minutes
    report = _report(dept, ops)
    assert {a["petition_id"]: a["minutes"] for a in report["alerts"]} == {"E1": 120, "E2": 119, "E3": 120}
    assert report["escalated"] == ["E1", "E3"]


def test_empty_strings_are_null_on_sqlite(tmp_path, output_dir):
    """SQLite stores '' for NULL: an empty due time is never due, an empty dispatched_at is not dispatched."""
    import sqlalchemy as sa
    from gxq import store

    from tests.petitions.conftest import PetitionsDB

    dept = PetitionsDB(f"sqlite:///{tmp_path / 'd.db'}")
    ops = store.ensure_schema(sa.create_engine(f"sqlite:///{tmp_path / 'o.db'}"))
    _urgent(dept, "S1", dispatch_due="", dispatched="", feedback="", lead=None)
    _urgent(dept, "S2", dispatch_due="2021-03-23 09:00:00", dispatched="", feedback="", lead=None)
    report = _report(dept, ops)
    assert [(a["petition_id"], a["stage"]) for a in report["alerts"]] == [("S2", "dispatch_overdue")]
    assert report["watched"] == 2


def test_a_rerun_reproduces_the_report_and_the_files(dept, ops, output_dir):
    _urgent(dept, "R1", dispatch_due="2021-03-23 09:00:00")
    _urgent(dept, "R2", dispatch_due="2021-03-23 10:00:00")
    first = _report(dept, ops)
    path = output_dir / pipeline.dag_id() / KEY / "report.json"
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == first
    assert _report(dept, ops) == first and path.read_text(encoding="utf-8") == text


def test_minutes_toward_zero_and_stage_function():
    at = dt.datetime(2021, 3, 23, 9, 40)
    assert watch.minutes_between(at - dt.timedelta(seconds=59), at) == 0
    assert watch.minutes_between(at + dt.timedelta(seconds=59), at) == 0
    assert watch.minutes_between(at + dt.timedelta(seconds=61), at) == -1
    assert watch.minutes_between(at - dt.timedelta(minutes=2, microseconds=1), at) == 2
    assert watch.stage_of(at, None, None, None) == ("in_time", None)
    # dispatched exactly at as_of counts as dispatched
    assert watch.stage_of(at, at, at, at)[0] == "feedback_overdue"


@pytest.mark.parametrize("value,key", [("2021-03-23T09:40", KEY), ("2021-12-31T23:50", "2021-12-31T2350")])
def test_as_of_param_and_minute_keys(value, key):
    from gxq import cadences
    from gxq.run import Run, RunError

    ctx = {"params": {"as_of": value}, "logical_date": None, "dag_run": None}
    assert Run.from_context(ctx, pipeline.dag_id()).key == key
    with pytest.raises(RunError, match="invalid as_of param"):
        Run.from_context({"params": {"as_of": "2021-02-30T09:40"}, "logical_date": None, "dag_run": None},
                         pipeline.dag_id())
    # a logical date is taken in Asia/Shanghai, to the minute
    d = dt.datetime(2021, 3, 23, 1, 40, 59, tzinfo=dt.UTC)
    assert cadences.covers(pipeline.dag_id(), d).key == KEY


def test_the_statement_names_every_checked_column():
    """The watch checks the department's columns only when its statement fails: that is safe only
    while the statement reads every column the check names."""
    import re

    from gxq import sql

    for dialect in ("sqlite", "postgresql"):
        text = sql.render("petitions/urgent", dialect)
        for table, columns in watch.REQUIRED_COLUMNS.items():
            alias = {"petitions": "p", "petition_units": "u"}[table]
            missing = [c for c in columns if not re.search(rf"\b{alias}\.{c}\b", text)]
            assert missing == [], (dialect, table, missing)


def test_a_run_reads_the_department_once_and_a_missing_column_is_named(dept, ops, output_dir):
    import sqlalchemy as sa
    from gxq.sql import DepartmentSchemaError

    _urgent(dept, "C1", dispatch_due="2021-03-23 09:00:00")
    statements = []
    sa.event.listen(dept.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert _report(dept, ops)["watched"] == 1
    assert len(statements) == 1 and "FROM petitions p" in statements[0]
    with dept.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE petitions DROP COLUMN kind"))
    with pytest.raises(DepartmentSchemaError, match="kind"):
        _report(dept, ops)
