"""What the tasks of ``innovation_monthly_evaluation`` and ``innovation_quarterly_dispatch`` call.

Each step is a plain function (testable without Airflow) taking and returning JSON-able values,
so the DAG passes them between tasks as XComs:

    period = resolve_period(context, cadence)   # validated key; gxq_ops migrated first
    report = evaluate(cadence, period)          # reads dept_innovation, builds the report
    paths = render_outputs(cadence, report)     # scorecard / agenda / letters / charts
    publish(cadence, report, run_id)            # report.json last, copy in gxq_ops
    notify(cadence, report, paths, ...)         # gxq.notify outbox (the DAG's last task)

A rerun of a period rebuilds the same report from the same data (nothing depends on "now"); the
notices of a period are sent once unless ``resend`` is set.
"""

from __future__ import annotations

import json
import logging

from gxq import cadences, output, store
from gxq.innovation import monthly, notices, quarterly, render
from gxq.notify import deliver
from gxq.periods import parse_key

log = logging.getLogger(__name__)

MONTHLY_DAG_ID = "innovation_monthly_evaluation"
QUARTERLY_DAG_ID = "innovation_quarterly_dispatch"
# cadence -> DAG id; each DAG's period rule is in gxq.cadences.
CADENCES = {"monthly": MONTHLY_DAG_ID, "quarterly": QUARTERLY_DAG_ID}


def _period(cadence: str, key: str):
    return parse_key(key, cadences.get(CADENCES[cadence]).kinds)


def resolve_period(context: dict, cadence: str) -> str:
    """The run's period key (``period`` param, else the logical date); a bad key fails clearly.

    Migrates ``gxq_ops`` first, as every run must before anything else."""
    store.ops_engine()
    period = cadences.run_period(context, CADENCES[cadence])
    log.info("%s: period %s", CADENCES[cadence], period.key)
    return period.key


def evaluate(cadence: str, period_key: str) -> dict:
    period = _period(cadence, period_key)
    if cadence == "monthly":
        report = monthly.evaluate(period)
        log.info("%s: counts %s, composite %s, %d data problem(s)", period.key, report["counts"],
                 report["composite_score"], len(report["data_problems"]))
    else:
        report = quarterly.evaluate(period)
        log.info("%s: %d project(s) dispatched, %d letter(s), %d data problem(s)", period.key,
                 len(report["dispatch"]), len(report["supervision_letters"]), len(report["data_problems"]))
    for problem in report["data_problems"]:
        log.warning("data problem %s %s %s: %s -> %s", problem["kind"], problem["month"], problem["subject"],
                    problem["detail"], problem["rule"])
    return report


def render_outputs(cadence: str, report: dict) -> dict[str, str]:
    dag_id = CADENCES[cadence]
    if cadence == "monthly":
        return render.write_scorecard(dag_id, report)
    return render.write_agenda(dag_id, report)


def publish(cadence: str, report: dict, run_id: str | None = None) -> str:
    """``report.json`` (written after every other file of the run) and its copy in ``gxq_ops``."""
    dag_id = CADENCES[cadence]
    path = output.write_report(dag_id, report["period"], report)
    store.record_report(store.ops_engine(), dag_id, report["period"], report, run_id=run_id)
    return str(path)


def notify(cadence: str, report: dict, paths: dict[str, str], dry_run: bool = False, resend: bool = False,
           run_id: str | None = None) -> dict:
    """Send the period's notices through the outbox; the outcome is kept beside the report
    (``notifications.json``), not in it, so that report.json stays reproducible."""
    dag_id = CADENCES[cadence]
    build = notices.monthly_notices if cadence == "monthly" else notices.quarterly_notices
    batch = build(dag_id, report, paths)
    result = deliver(dag_id, report["period"], batch, dry_run=dry_run, resend=resend, run_id=run_id)
    outcome = result.to_dict()
    output.write_text(output.period_dir(dag_id, report["period"]) / "notifications.json",
                      json.dumps(outcome, ensure_ascii=False, indent=2) + "\n")
    return {k: v for k, v in outcome.items() if k != "notices"}


def run(cadence: str, period_key: str, dry_run: bool = True, resend: bool = False) -> dict:
    """The whole flow without Airflow (operators' command line and tests)."""
    store.ops_engine()
    report = evaluate(cadence, _period(cadence, period_key).key)
    paths = render_outputs(cadence, report)
    publish(cadence, report)
    notify(cadence, report, paths, dry_run=dry_run, resend=resend)
    return report
