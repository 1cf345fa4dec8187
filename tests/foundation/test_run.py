"""The run value (gxq.run): built once from an Airflow context or a command line, the same either
way, and carried between steps as a small dict."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from types import SimpleNamespace

import pytest
from gxq import cadences, periods
from gxq.run import Run, RunError, triggered_by

TZ = periods.TZ
MONDAY_9 = dt.datetime(2021, 3, 8, 1, tzinfo=dt.UTC)  # Monday 09:00 Asia/Shanghai


def _context(params=None, logical=MONDAY_9, **dag_run):
    run = SimpleNamespace(**{"run_id": "scheduled__2021-03-08", "run_type": "scheduled", **dag_run})
    return {"params": {"dry_run": False, "resend": False, **(params or {})}, "logical_date": logical, "dag_run": run}


def test_from_context_of_a_scheduled_run():
    run = Run.from_context(_context(), "petition_weekly_bulletin")
    assert (run.dag_id, run.key, run.period.key, run.as_of) == ("petition_weekly_bulletin", "2021-W09", "2021-W09", None)
    assert run.logical_date == dt.datetime(2021, 3, 8, 9, tzinfo=TZ) and run.logical_date.tzinfo is not None
    assert (run.dry_run, run.resend, run.run_id) == (False, False, "scheduled__2021-03-08")
    assert run.triggered_by == "定时调度"


def test_as_of_rule_gives_a_moment_and_a_weekday_key():
    run = Run.from_context(_context(logical=dt.datetime(2021, 3, 3, 2, tzinfo=dt.UTC)), "publicity_cadence_reminder")
    assert run.as_of == dt.datetime(2021, 3, 3, 10, tzinfo=TZ) and run.key == "2021-W09-wed"
    assert run.period.key == "2021-W09" and run.moment == run.as_of


@pytest.mark.parametrize(("run_type", "user", "words"), [
    ("scheduled", None, "定时调度"), ("backfill", None, "回填"), ("manual", "张三", "手动触发（张三）"),
    ("manual", None, "手动触发"), ("asset_triggered", None, "资产触发"), (None, None, "命令行"),
])
def test_who_triggered_it_in_words(run_type, user, words):
    assert triggered_by(run_type, user) == words


def test_the_run_type_enum_is_read_by_value_never_its_repr():
    from airflow.utils.types import DagRunType

    run = Run.from_context(_context(run_type=DagRunType.MANUAL, triggering_user_name="李四"), "plan_task_tracking")
    assert run.triggered_by == "手动触发（李四）" and run.run_type == "manual"
    assert "DagRunType" not in json.dumps(run.to_dict(), ensure_ascii=False)


def test_manual_run_without_logical_date_uses_its_trigger_time_or_its_period_param():
    ctx = _context(logical=None, run_after=dt.datetime(2021, 4, 2, 3, tzinfo=dt.UTC), run_type="manual")
    run = Run.from_context(ctx, "policy_redemption_adhoc")
    assert run.key == "2021-03" and run.logical_date is None and run.run_after.tzinfo is not None
    ctx["params"].update(period="2021-Q1", policy_ids=["hte_first_certification"])
    run = Run.from_context(ctx, "policy_redemption_adhoc")
    assert run.key == "2021-Q1" and run.params == {"policy_ids": ["hte_first_certification"]}


@pytest.mark.parametrize("bad", ["2021-W54", "2021-13", "2021-W09; DROP TABLE x", 202103])
def test_bad_period_is_one_error_naming_the_dag_and_the_value(bad):
    with pytest.raises(RunError, match="petition_weekly_bulletin: invalid period param") as err:
        Run.from_context(_context({"period": bad}), "petition_weekly_bulletin")
    assert str(bad)[:8] in str(err.value)


def test_command_line_run_is_the_same_value():
    cli = Run.for_period("innovation_monthly_evaluation", "2021-03", dry_run=False)
    scheduled = Run.from_context(_context(logical=dt.datetime(2021, 4, 6, 1, tzinfo=dt.UTC)),
                                 "innovation_monthly_evaluation")
    assert (cli.key, cli.period, cli.triggered_by) == (scheduled.key, scheduled.period, "命令行")
    assert Run.at("publicity_cadence_reminder", dt.datetime(2021, 3, 5, 7, tzinfo=dt.UTC)).key == "2021-W09-fri"


def test_round_trip_as_an_xcom():
    run = Run.from_context(_context({"as_of": "2021-03-04T10:00"}, run_type="manual", triggering_user_name="王五"),
                           "publicity_cadence_reminder")
    data = json.loads(json.dumps(run.to_dict()))
    assert Run.from_dict(data) == run and Run.from_dict(run) is run
    assert data["key"] == "2021-W09-thu" and data["triggered_by"] == "手动触发（王五）"
    assert replace(run, dry_run=True).to_dict()["dry_run"] is True


def test_the_minute_rule_of_a_watch_every_few_minutes():
    run = Run.at("petition_urgent_watch", dt.datetime(2021, 3, 23, 1, 40, 12, tzinfo=dt.UTC))
    assert (run.key, run.period.kind) == ("2021-03-23T0940", "minute")
    assert run.as_of == dt.datetime(2021, 3, 23, 9, 40, 12, tzinfo=TZ)
    assert Run.from_dict(json.loads(json.dumps(run.to_dict()))) == run


def test_a_new_period_rule_is_one_entry(monkeypatch):
    """A rule is a RULES entry; a DAG that names it gets its period, key and as_of from the run value."""
    monkeypatch.setitem(cadences.RULES, "day_so_far", cadences.PeriodRule(
        lambda d: periods.parse_key(periods.to_local(d).strftime("%Y-W%V"), ("week",)), ("week",),
        key=lambda p, d: d.strftime("%Y-%m-%d"), as_of=True))
    entry = replace(cadences.get("policy_review_watch"), dag_id="daily_watch", period_rule="day_so_far")
    monkeypatch.setitem(cadences.BY_ID, "daily_watch", entry)
    run = Run.at("daily_watch", dt.datetime(2021, 3, 23, 1, 40, tzinfo=dt.UTC))
    assert (run.key, run.period.key, run.as_of.hour) == ("2021-03-23", "2021-W12", 9)
