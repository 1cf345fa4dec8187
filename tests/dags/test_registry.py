"""The registry of cadences (gxq.cadences) is what the DAGs are: every DAG file is registered,
built from its entry, and every notice kind a pipeline sends is declared there."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from gxq import cadences

REPO = Path(__file__).resolve().parents[2]


def test_every_dag_is_registered_and_every_entry_has_a_dag(dagbag):
    assert set(dagbag.dags) == set(cadences.BY_ID)


@pytest.mark.parametrize("cadence", cadences.CADENCES, ids=lambda c: c.dag_id)
def test_dag_is_built_from_its_entry(dagbag, cadence):
    dag = dagbag.dags[cadence.dag_id]
    assert list(dag.tags) and set(dag.tags) == set(cadence.tags)
    assert set(dag.params.keys()) == {"dry_run", "resend", *(p.name for p in cadence.params)}
    assert {t.owner for t in dag.tasks} == {cadence.owner}
    if cadence.inputs:  # scheduled on its inputs' report assets, partitioned by month, backfillable
        from airflow.timetables.simple import PartitionedAssetTimetable

        assert cadence.timetable is None and cadence.cron is None
        assert isinstance(dag.timetable, PartitionedAssetTimetable)
        assert dag.timetable.partitioned and dag.timetable.periodic
    elif cadence.timetable is None:
        assert cadence.cron is None and type(dag.timetable).__name__ == "NullTimetable"
    else:
        assert dag.timetable.summary == cadences.timetable_for(cadence.dag_id).summary
    assert cadence.period_rule in cadences.RULES
    if cadence.max_active_runs is not None:
        assert dag.max_active_runs == cadence.max_active_runs


def test_plain_schedules_are_the_crons(monkeypatch):
    monkeypatch.setenv("GXQ_PLAIN_SCHEDULES", "1")
    tt = cadences.schedule_for("policy_redemption_monthly")
    assert type(tt).__name__ == "CronTriggerTimetable" and tt.summary == "0 9 5 * *"
    assert type(cadences.schedule_for("publicity_cadence_reminder")).__name__ == "MultipleCronTriggerTimetable"
    assert cadences.schedule_for("policy_redemption_adhoc") is None


def test_what_a_run_covers():
    # Monday 2021-03-08 09:00 Asia/Shanghai is 01:00 UTC: the UTC date must not shift the period.
    d = dt.datetime(2021, 3, 8, 1, tzinfo=dt.UTC)
    assert cadences.covers("petition_weekly_bulletin", d).key == "2021-W09"
    assert cadences.covers("petition_bulletin_deadline_watch", d).key == "2021-W09"
    assert cadences.covers("policy_redemption_monthly", d).key == "2021-02"
    assert cadences.covers("innovation_quarterly_dispatch", d).key == "2020-Q4"
    assert cadences.covers("publicity_cadence_reminder", d).key == "2021-W10"
    assert cadences.report_key("publicity_cadence_reminder", d) == "2021-W10-mon"
    assert cadences.report_key("policy_redemption_quarterly", d) == "2020-Q4"


def test_a_run_period_param_is_checked_against_the_dags_kinds():
    from gxq.run import Run, RunError

    ctx = {"params": {"period": "2021-Q1"}, "logical_date": None, "dag_run": None}
    assert Run.from_context(ctx, "policy_redemption_adhoc").key == "2021-Q1"
    with pytest.raises(RunError):
        Run.from_context(ctx, "policy_redemption_monthly")
    with pytest.raises(KeyError, match="not a registered DAG"):
        cadences.get("no_such_dag")


def _literal_kinds(node) -> list[str]:
    """The constant kind (or the constant prefix of an f-string kind) an expression can take."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return [node.values[0].value]
    if isinstance(node, ast.BinOp):  # f"task_failed:{task}" + ...
        return _literal_kinds(node.left)
    if isinstance(node, ast.IfExp):
        return _literal_kinds(node.body) + _literal_kinds(node.orelse)
    return []


def _kinds_in_source() -> dict[str, set[str]]:
    """Every literal notice kind in the package: ``Notice(..., kind)`` / ``kind=...``, ``kind = ...``
    assignments and
    ``{"recipient": ..., "kind": ...}`` dicts handed to the outbox, by file."""
    found: dict[str, set[str]] = {}
    for path in (REPO / "plugins" / "gxq").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            exprs = []
            if "Notice(" in text and isinstance(node, ast.Assign) and any(getattr(t, "id", "").lower() == "kind" for t in node.targets):
                exprs.append(node.value)  # kind = "..." / KIND = "...", then Notice(..., kind)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Notice":
                exprs += [kw.value for kw in node.keywords if kw.arg == "kind"]
                if len(node.args) >= 2:
                    exprs.append(node.args[1])
            elif isinstance(node, ast.Dict):  # a notice as a dict: it has a recipient
                keys = {k.value: v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)}
                if "recipient" in keys and "kind" in keys:
                    exprs.append(keys["kind"])
            for expr in exprs:
                for kind in _literal_kinds(expr):
                    found.setdefault(kind.split(":", 1)[0], set()).add(path.name)
    return found


def test_every_notice_kind_is_declared():
    declared = {n.kind for c in cadences.CADENCES for n in c.notices} | {n.kind for n in cadences.COMMON_NOTICES}
    found = _kinds_in_source()
    assert {"bulletin", "reminder_urgent", "innovation_agenda", "task_failed"} <= set(found)  # the scan works
    undeclared = {k: v for k, v in found.items() if k not in declared}
    assert undeclared == {}, f"notice kinds not declared in gxq.cadences: {undeclared}"


def test_notice_labels():
    assert cadences.notice_label("policy_redemption_monthly", "policy_batch:B-2021-03") == "兑现批次（财政拨付）"
    assert cadences.notice_label("petition_weekly_bulletin", "task_failed:compute:1@r") == "任务失败告警"
    assert cadences.notice_label("petition_weekly_bulletin", "nonsense") is None
