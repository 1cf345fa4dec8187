"""The 绩效考核's steps (gxq.flow's step contract: compute → render → publish → notify), each a
plain function of the run value and what the step before made:

    plan(run)                            # the run value; gxq_ops migrated; the weights file checked
    report = compute(run)                # the inputs read from gxq_ops and scored (gxq.scorecard.compute)
    paths = render(run, report)          # scorecard.html / .docx / .xlsx, the chart, units/<code>.html
    publish(run, report, paths)          # report.json last, its copy in gxq_ops
    notify(run, report, paths)           # the outbox; fails the run when inputs are missing

A run's month is its asset partition (a run Airflow made when every input published the month),
its ``period`` param, or the month before its logical date (gxq.run). A rerun of a month rebuilds
the same report from the same issued reports under the weights in force in that month; notices go
once unless ``resend``.
"""

from __future__ import annotations

import json
import logging

from gxq import output, store
from gxq.notify import deliver
from gxq.run import Run, RunError, run_report_flow
from gxq.scorecard import compute as computing
from gxq.scorecard import notices, rendering, weights

log = logging.getLogger(__name__)


class IncompleteScorecard(RunError):
    """Inputs the month needs are missing (named in the report and to ops); no retry mends that."""


def _allow_missing(run: Run) -> bool:
    return bool(run.params.get("allow_missing"))


def plan(run: Run | dict) -> dict:
    run = Run.from_dict(run)
    store.ops_engine()
    weights.load()
    log.info("%s: month %s (%s)", run.dag_id, run.period.key, run.triggered_by)
    return run.to_dict()


def compute(run: Run | dict, ops=None) -> dict:
    run = Run.from_dict(run)
    report = computing.compute(run.period.key, ops)
    log.info("%s: %d unit(s) scored under weights %s; missing inputs: %s", run.key, len(report["units"]),
             report["weights"]["version"], report["missing_inputs"] or "none")
    return report


def render(run: Run | dict, report: dict) -> dict[str, str]:
    run = Run.from_dict(run)
    return rendering.write_files(output.period_dir(run.dag_id, run.key), report)


def publish(run: Run | dict, report: dict, paths: dict[str, str] | None = None) -> str:
    """``report.json`` (after every other file of the run) and its copy in ``gxq_ops`` (the 看板,
    next month's change and the roll-ups read it)."""
    run = Run.from_dict(run)
    path = output.write_report(run.dag_id, run.key, report)
    store.record_report(store.ops_engine(), run.dag_id, run.key, report, run_id=run.run_id)
    return str(path)


def notify(run: Run | dict, report: dict, paths: dict[str, str]) -> dict:
    """Send the month's notices; with inputs missing (and ``allow_missing`` not set) only ``ops`` is
    told, and the step then fails at once: the run shows failed."""
    run = Run.from_dict(run)
    allow = _allow_missing(run)
    result = deliver(run.dag_id, run.key, notices.build(run.dag_id, report, paths, allow), dry_run=run.dry_run,
                     resend=run.resend, run_id=run.run_id)
    outcome = result.to_dict()
    output.write_text(output.period_dir(run.dag_id, run.key) / "notifications.json",
                      json.dumps(outcome, ensure_ascii=False, indent=2) + "\n")
    if report["missing_inputs"] and not allow:
        names = ", ".join(f"{m['dag_id']} {m['period']} ({m['reason']})" for m in report["missing_inputs"])
        raise IncompleteScorecard(
            f"{run.dag_id} {run.key}: inputs missing: {names}. Named in report.json (missing_inputs) and sent to ops; "
            "run the missing DAGs and rerun, or rerun with {\"allow_missing\": true}.")
    return {k: v for k, v in outcome.items() if k != "notices"}


def run_all(run: Run) -> dict:
    """The whole flow without Airflow (operators' command line and tests)."""
    return run_report_flow(run, plan, compute, render, publish, notify)
