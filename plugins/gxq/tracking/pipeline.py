"""The steps of ``plan_task_tracking`` (任务清单 督查, 序时进度) on the step contract (:mod:`gxq.flow`):
``compute`` reads dept_supervision's targets and reports for the month; ``render`` writes tracking.html /
.docx, targets.xlsx and the burn-up charts; ``publish`` saves the supervised items, then the report;
``notify`` the outbox. A rerun of a month rebuilds the same report; its notices go once unless ``resend``.
"""

from __future__ import annotations

import logging

from gxq import output, store
from gxq.notify import deliver_run
from gxq.run import Run, run_report_flow
from gxq.tracking import monthly, notices, supervision
from gxq.tracking import render as rendering

log = logging.getLogger(__name__)


plan = store.begin  # nothing to check before the read: gxq_ops migrated, the run value passed on


def compute(run: Run | dict, engine=None) -> dict:
    run = Run.from_dict(run)
    report = monthly.evaluate(run.period, engine)
    log.info("%s: counts %s, %d reminder(s), %d escalated, %d data problem(s)", run.key, report["counts"],
             len(report["reminders"]), len(report["escalated"]), len(report["data_problems"]))
    for p in report["data_problems"]:
        log.warning("data problem %s %s: %s", p["kind"], p["subject"], p["detail"])
    return report


def render(run: Run | dict, report: dict) -> dict[str, str]:
    run = Run.from_dict(run)
    return rendering.write_files(output.period_dir(run.dag_id, run.key), report)


def publish(run: Run | dict, report: dict, paths: dict[str, str] | None = None) -> str:
    """``report.json`` (after every other file of the run: ``paths``), its copy and the supervised
    items in ``gxq_ops``."""
    supervision.save(store.ops_engine(), Run.from_dict(run).key, report["supervision"])
    return store.publish_report(run, report)


def notify(run: Run | dict, report: dict, paths: dict[str, str]) -> dict:
    """Send the month's notices through the outbox (outcome in ``notifications.json``)."""
    run = Run.from_dict(run)
    return deliver_run(run, notices.build(run.dag_id, report, paths))


def run_all(run: Run) -> dict:
    """The whole flow without Airflow (operators' command line and tests)."""
    return run_report_flow(run, plan, compute, render, publish, notify)
