"""What the tasks of ``assessment_rectification`` call (三轮评估 整改跟踪), each a plain function taking
and returning JSON-able values (the DAG passes them as XComs):

    period = resolve_period(context)     # validated week key; gxq_ops migrated first
    report = evaluate(period)            # reads dept_supervision, builds the report
    paths = render_outputs(report)       # 整改通报 (HTML, Word, chart) and 整改台账 (Excel)
    publish(report, run_id)              # report.json last, its copy in gxq_ops (the 看板 reads it)
    notify(report, paths, ...)           # gxq.notify outbox (the DAG's last task)

A rerun of a week rebuilds the same report from the same data; its notices are sent once unless
``resend`` is set.
"""

from __future__ import annotations

import json
import logging

from gxq import cadences, output, store
from gxq.assessment import notices, weekly
from gxq.notify import deliver
from gxq.periods import parse_key

log = logging.getLogger(__name__)

DAG_ID = "assessment_rectification"


def _week(key: str):
    return parse_key(key, ("week",))


def resolve_period(context: dict) -> str:
    """The run's week (``period`` param, else the logical date); migrates ``gxq_ops`` first."""
    store.ops_engine()
    period = cadences.run_period(context, DAG_ID)
    log.info("%s: period %s", DAG_ID, period.key)
    return period.key


def evaluate(period_key: str, engine=None) -> dict:
    report = weekly.evaluate(_week(period_key), engine)
    log.info("%s: %d round(s), %d overdue, %d awaiting verification, %d escalated, %d data problem(s)", period_key,
             len(report["rounds"]), len(report["findings_overdue"]), len(report["awaiting_verification"]),
             len(report["escalated"]), len(report["data_problems"]))
    for p in report["data_problems"]:
        log.warning("data problem %s %s: %s", p["kind"], p["subject"], p["detail"])
    return report


def render_outputs(report: dict) -> dict[str, str]:
    # deferred: the documents need matplotlib, openpyxl and python-docx, only this step does
    from gxq.assessment import documents

    return documents.write_files(output.period_dir(DAG_ID, report["period"]), report)


def publish(report: dict, run_id: str | None = None) -> str:
    """``report.json`` (after every other file of the run) and its copy in ``gxq_ops``."""
    path = output.write_report(DAG_ID, report["period"], report)
    store.record_report(store.ops_engine(), DAG_ID, report["period"], report, run_id=run_id)
    return str(path)


def notify(report: dict, paths: dict[str, str], dry_run: bool = False, resend: bool = False,
           run_id: str | None = None) -> dict:
    """Send the week's notices through the outbox; the outcome goes beside the report
    (``notifications.json``), not in it, so that report.json stays reproducible."""
    result = deliver(DAG_ID, report["period"], notices.build(DAG_ID, report, paths), dry_run=dry_run,
                     resend=resend, run_id=run_id)
    outcome = result.to_dict()
    output.write_text(output.period_dir(DAG_ID, report["period"]) / "notifications.json",
                      json.dumps(outcome, ensure_ascii=False, indent=2) + "\n")
    return {k: v for k, v in outcome.items() if k != "notices"}


def run(period_key: str, dry_run: bool = True, resend: bool = False) -> dict:
    """The whole flow without Airflow (operators' command line and tests)."""
    store.ops_engine()
    report = evaluate(_week(period_key).key)
    paths = render_outputs(report)
    publish(report)
    notify(report, paths, dry_run=dry_run, resend=resend)
    return report
