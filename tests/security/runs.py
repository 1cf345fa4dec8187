"""Run every capability's steps in-process (the tasks' own functions, as the DAGs call them)."""

from __future__ import annotations

import datetime as dt


def publicity_run(as_of: dt.datetime) -> dict:
    from gxq.publicity import pipeline
    from gxq.run import Run

    return pipeline.run_all(Run.at("publicity_cadence_reminder", as_of, dry_run=False))


def run_everything(weeks=("2021-W09",), months=("2021-03",), quarters=("2021-Q1",),
                   publicity=(dt.datetime(2021, 3, 3, 2, tzinfo=dt.UTC),), urgent=(), scorecards=()) -> dict:
    """Reports of every DAG over the given periods (notices really delivered, not dry runs): the urgent
    watch at the given minutes (``2021-06-03T0940``), then the scorecards of the given months, last,
    since they read what the others issued (issued even with inputs missing: ``allow_missing``)."""
    from gxq import carried, periods
    from gxq.assessment import pipeline as assessment
    from gxq.innovation import pipeline as innovation
    from gxq.petitions import pipeline as petitions
    from gxq.policy import pipeline as policy
    from gxq.run import Run
    from gxq.scorecard import pipeline as scorecard
    from gxq.tracking import pipeline as tracking
    from gxq.urgent import pipeline as urgent_watch

    reports = {}
    for week in weeks:
        lines = carried.lines("petition_weekly_bulletin", periods.parse_key(week, ("week",)))  # 附: 宣传工作
        reports[("petition_weekly_bulletin", week)] = petitions.run_week(week, dry_run=False, lines=lines)
    for week in weeks[::13]:  # a quarter apart: the 三轮评估 rounds, without 52 weeks of documents
        reports[("assessment_rectification", week)] = assessment.run_all(Run.for_period("assessment_rectification", week, dry_run=False))
    for month in months:
        reports[("policy_redemption_monthly", month)] = policy.run("policy_redemption_monthly", month, approved_by="测试审核人", approval_ref="测试〔2021〕1号")
        reports[("innovation_monthly_evaluation", month)] = innovation.run_all(Run.for_period("innovation_monthly_evaluation", month, dry_run=False))
        reports[("plan_task_tracking", month)] = tracking.run_all(Run.for_period("plan_task_tracking", month, dry_run=False))
    for quarter in quarters:
        reports[("policy_redemption_quarterly", quarter)] = policy.run("policy_redemption_quarterly", quarter, approved_by="测试审核人", approval_ref="测试〔2021〕1号")
        reports[("innovation_quarterly_dispatch", quarter)] = innovation.run_all(Run.for_period("innovation_quarterly_dispatch", quarter, dry_run=False))
    if months:
        reports[("policy_redemption_adhoc", months[0])] = policy.run("policy_redemption_adhoc", months[0], approved_by="测试审核人", approval_ref="测试〔2021〕1号")
    for as_of in publicity:
        report = publicity_run(as_of)
        reports[("publicity_cadence_reminder", report["report_key"])] = report
    for key in urgent:
        reports[("petition_urgent_watch", key)] = urgent_watch.run(key)
    for month in scorecards:
        reports[("unit_performance_scorecard", month)] = scorecard.run_all(
            Run.for_period("unit_performance_scorecard", month, dry_run=False, allow_missing=True))
    return reports
