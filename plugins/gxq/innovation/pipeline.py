"""The steps of ``innovation_monthly_evaluation`` (月评价) and ``innovation_quarterly_dispatch``
(季调度), on the project's step contract (docs/ARCHITECTURE.md): each a plain function of the run
value (:class:`gxq.run.Run`, or its dict as an XCom) that runs and tests without Airflow::

    run = plan(run)                   # gxq_ops migrated first; the run value as a dict
    report = compute(run)             # reads dept_innovation, builds the report
    paths = render(run, report)       # scorecard / agenda / letters / charts
    publish(run, report, paths)       # report.json last (after the files), copy in gxq_ops
    notify(run, report, paths)        # gxq.notify outbox (the DAG's last step)

Which of the two a run is follows from its period: a month is evaluated, a quarter dispatched
(:data:`FLOWS`). A rerun of a period rebuilds the same report from the same data (nothing depends on
"now"); the notices of a period are sent once unless ``resend`` is set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from gxq import cadences, store
from gxq.innovation import monthly, notices, quarterly
from gxq.innovation import render as rendering
from gxq.notify import deliver_run
from gxq.run import Run, run_report_flow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flow:
    """What differs between the monthly evaluation and the quarterly dispatch."""

    evaluate: Callable[..., dict]
    render: Callable[[str, dict], dict[str, str]]
    notices: Callable[[str, dict, dict], list]
    summary: Callable[[dict], str]


FLOWS = {
    "month": Flow(monthly.evaluate, rendering.write_scorecard, notices.monthly_notices,
                  lambda r: f"counts {r['counts']}, composite {r['composite_score']}"),
    "quarter": Flow(quarterly.evaluate, rendering.write_agenda, notices.quarterly_notices,
                    lambda r: f"{len(r['dispatch'])} project(s) dispatched, {len(r['supervision_letters'])} letter(s)"),
}


def dag_for(kind: str) -> str:
    """The innovation DAG whose runs cover a ``month`` or a ``quarter`` (gxq.cadences)."""
    return cadences.dag_of("innovation", {"month": "monthly", "quarter": "quarterly"}[kind])


def _run(run: Run | dict) -> Run:
    return Run.from_dict(run)


plan = store.begin  # nothing to check before the read: gxq_ops migrated, the run value passed on


def compute(run: Run | dict) -> dict:
    run = _run(run)
    report = FLOWS[run.period.kind].evaluate(run.period)
    log.info("%s: %s, %d data problem(s)", run.period.key, FLOWS[run.period.kind].summary(report),
             len(report["data_problems"]))
    for problem in report["data_problems"]:
        log.warning("data problem %s %s %s: %s -> %s", problem["kind"], problem["month"], problem["subject"],
                    problem["detail"], problem["rule"])
    return report


def render(run: Run | dict, report: dict) -> dict[str, str]:
    run = _run(run)
    return FLOWS[run.period.kind].render(run.dag_id, report)


def publish(run: Run | dict, report: dict, paths: dict[str, str] | None = None) -> str:
    """``report.json`` (written after every other file of the run: ``paths``) and its copy in ``gxq_ops``."""
    return store.publish_report(run, report)


def notify(run: Run | dict, report: dict, paths: dict[str, str]) -> dict:
    """Send the period's notices through the outbox (outcome in ``notifications.json``)."""
    run = _run(run)
    return deliver_run(run, FLOWS[run.period.kind].notices(run.dag_id, report, paths))


def run_all(run: Run) -> dict:
    """The whole flow without Airflow (operators' command line and tests)."""
    return run_report_flow(run, plan, compute, render, publish, notify)
