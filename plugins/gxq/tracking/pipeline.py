"""The steps of ``plan_task_tracking`` (任务清单 督查) on the project's step contract
(docs/ARCHITECTURE.md), each a plain function of the run value (:class:`gxq.run.Run` or its dict)::

    run = plan(run)                     # gxq_ops migrated first; the run value as a dict
    report = compute(run)               # reads dept_supervision, builds the report
    paths = render(run, report)         # tracking.html / .docx, targets.xlsx, burn-up charts
    publish(run, report, paths)         # report.json last, copy in gxq_ops, supervised items saved
    notify(run, report, paths)          # gxq.notify outbox (the DAG's last step)

A rerun of a month rebuilds the same report from the same data; its notices are sent once unless
``resend`` is set.
"""

from __future__ import annotations

import logging

from gxq import output, store
from gxq.notify import deliver_run
from gxq.run import Run, run_report_flow
from gxq.tracking import monthly, notices, supervision
from gxq.tracking import render as rendering

log = logging.getLogger(__name__)


def plan(run: Run | dict) -> dict:
    """The run value, as the DAG passes it on; ``gxq_ops`` migrated first."""
    run = Run.from_dict(run)
    store.ops_engine()
    log.info("%s: period %s (%s)", run.dag_id, run.period.key, run.triggered_by)
    return run.to_dict()


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
    run = Run.from_dict(run)
    ops = store.ops_engine()
    supervision.save(ops, run.key, report["supervision"])
    path = output.write_report(run.dag_id, run.key, report)
    store.record_report(ops, run.dag_id, run.key, report, run_id=run.run_id)
    return str(path)


def notify(run: Run | dict, report: dict, paths: dict[str, str]) -> dict:
    """Send the month's notices through the outbox (outcome in ``notifications.json``)."""
    run = Run.from_dict(run)
    return deliver_run(run, notices.build(run.dag_id, report, paths))


def run_all(run: Run) -> dict:
    """The whole flow without Airflow (operators' command line and tests)."""
    return run_report_flow(run, plan, compute, render, publish, notify)
