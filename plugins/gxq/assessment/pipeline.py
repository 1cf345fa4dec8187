"""The steps of ``assessment_rectification`` (三轮评估 整改跟踪) on the step contract (:mod:`gxq.flow`):
``compute`` reads dept_supervision's rounds, findings and scores; ``render`` writes the 整改通报 (HTML,
Word, chart) and the 整改台账 (Excel); ``publish`` the report (the 看板 reads its copy); ``notify`` the
outbox. A rerun of a week rebuilds the same report; its notices go once unless ``resend``.
"""

from __future__ import annotations

import logging

from gxq import output, store
from gxq.assessment import notices, weekly
from gxq.notify import deliver_run
from gxq.run import Run, run_report_flow

log = logging.getLogger(__name__)


plan = store.begin  # nothing to check before the read: gxq_ops migrated, the run value passed on


def compute(run: Run | dict, engine=None) -> dict:
    run = Run.from_dict(run)
    report = weekly.evaluate(run.period, engine)
    log.info("%s: %d round(s), %d overdue, %d awaiting verification, %d escalated, %d data problem(s)", run.key,
             len(report["rounds"]), len(report["findings_overdue"]), len(report["awaiting_verification"]),
             len(report["escalated"]), len(report["data_problems"]))
    for p in report["data_problems"]:
        log.warning("data problem %s %s: %s", p["kind"], p["subject"], p["detail"])
    return report


def render(run: Run | dict, report: dict) -> dict[str, str]:
    # deferred: the documents need matplotlib, openpyxl and python-docx, only this step does
    from gxq.assessment import documents

    run = Run.from_dict(run)
    return documents.write_files(output.period_dir(run.dag_id, run.key), report)


def publish(run: Run | dict, report: dict, paths: dict[str, str] | None = None) -> str:
    """``report.json`` (after every other file of the run: ``paths``) and its copy in ``gxq_ops``."""
    return store.publish_report(run, report)


def notify(run: Run | dict, report: dict, paths: dict[str, str]) -> dict:
    """Send the week's notices through the outbox (outcome in ``notifications.json``)."""
    run = Run.from_dict(run)
    return deliver_run(run, notices.build(run.dag_id, report, paths))


def run_all(run: Run) -> dict:
    """The whole flow without Airflow (operators' command line and tests)."""
    return run_report_flow(run, plan, compute, render, publish, notify)
