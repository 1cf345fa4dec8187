"""Run every capability's steps in-process (the tasks' own functions, as the DAGs call them)."""

from __future__ import annotations

import datetime as dt


def publicity_run(as_of: dt.datetime) -> dict:
    from gxq.publicity import pipeline

    run = pipeline.resolve({"params": {}, "logical_date": as_of, "dag_run": None})
    counts = pipeline.count(run)
    report = pipeline.publish(run, counts)
    pipeline.notify(report)
    return report


def run_everything(weeks=("2021-W09",), months=("2021-03",), quarters=("2021-Q1",),
                   publicity=(dt.datetime(2021, 3, 3, 2, tzinfo=dt.UTC),)) -> dict:
    """Reports of every DAG over the given periods (notices really delivered, not dry runs)."""
    from gxq.innovation import pipeline as innovation
    from gxq.petitions import pipeline as petitions
    from gxq.policy import pipeline as policy
    from gxq.tasks import pipeline as tasks

    reports = {}
    for week in weeks:
        reports[("petition_weekly_bulletin", week)] = petitions.run_week(week, dry_run=False)
    for month in months:
        reports[("policy_redemption_monthly", month)] = policy.run("policy_redemption_monthly", month, approved_by="测试审核人", approval_ref="测试〔2021〕1号")
        reports[("innovation_monthly_evaluation", month)] = innovation.run("monthly", month, dry_run=False)
        reports[("plan_task_tracking", month)] = tasks.run(month, dry_run=False)
    for quarter in quarters:
        reports[("policy_redemption_quarterly", quarter)] = policy.run("policy_redemption_quarterly", quarter, approved_by="测试审核人", approval_ref="测试〔2021〕1号")
        reports[("innovation_quarterly_dispatch", quarter)] = innovation.run("quarterly", quarter, dry_run=False)
    if months:
        reports[("policy_redemption_adhoc", months[0])] = policy.run("policy_redemption_adhoc", months[0], approved_by="测试审核人", approval_ref="测试〔2021〕1号")
    for as_of in publicity:
        report = publicity_run(as_of)
        reports[("publicity_cadence_reminder", report["report_key"])] = report
    return reports
