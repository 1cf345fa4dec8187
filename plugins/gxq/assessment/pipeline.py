"""The steps of ``assessment_rectification`` (三轮评估 整改跟踪) on the project's step contract
(docs/ARCHITECTURE.md), each a plain function of the run value (:class:`gxq.run.Run` or its dict)::

    run = plan(run)                     # gxq_ops migrated first; the run value as a dict
    report = compute(run)               # reads dept_supervision, builds the report
    paths = render(run, report)         # 整改通报 (HTML, Word, chart) and 整改台账 (Excel)
    publish(run, report, paths)         # report.json last, its copy in gxq_ops (the 看板 reads it)
    notify(run, report, paths)          # gxq.notify outbox (the DAG's last step)

A rerun of a week rebuilds the same report from the same data; its notices are sent once unless
``resend`` is set.
"""

from __future__ import annotations

import json
import logging

from gxq import output, store
from gxq.assessment import notices, weekly
from gxq.notify import deliver
from gxq.run import Run

log = logging.getLogger(__name__)


def plan(run: Run | dict) -> dict:
    """The run value, as the DAG passes it on; ``gxq_ops`` migrated first."""
    run = Run.from_dict(run)
    store.ops_engine()
    log.info("%s: period %s (%s)", run.dag_id, run.period.key, run.triggered_by)
    return run.to_dict()


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
    run = Run.from_dict(run)
    path = output.write_report(run.dag_id, run.key, report)
    store.record_report(store.ops_engine(), run.dag_id, run.key, report, run_id=run.run_id)
    return str(path)


def notify(run: Run | dict, report: dict, paths: dict[str, str]) -> dict:
    """Send the week's notices through the outbox; the outcome goes beside the report
    (``notifications.json``), not in it, so that report.json stays reproducible."""
    run = Run.from_dict(run)
    result = deliver(run.dag_id, run.key, notices.build(run.dag_id, report, paths), dry_run=run.dry_run,
                     resend=run.resend, run_id=run.run_id)
    outcome = result.to_dict()
    output.write_text(output.period_dir(run.dag_id, run.key) / "notifications.json",
                      json.dumps(outcome, ensure_ascii=False, indent=2) + "\n")
    return {k: v for k, v in outcome.items() if k != "notices"}


def run_all(run: Run) -> dict:
    """The whole flow without Airflow (operators' command line and tests)."""
    plan(run)
    report = compute(run)
    paths = render(run, report)
    publish(run, report, paths)
    notify(run, report, paths)
    return report
