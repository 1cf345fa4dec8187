"""The steps of ``publicity_cadence_reminder`` on the project's step contract (docs/ARCHITECTURE.md):
plan → compute → publish → notify (nothing to render but ``reminder.md``), each a plain function of the run value (its ``as_of`` is D, the
moment counted up to; its key ``2021-W09-wed``). Nothing to render but ``reminder.md``, written with
the report."""

from __future__ import annotations

import logging

from gxq import output, periods, store
from gxq.masking import mask_text
from gxq.notify import deliver
from gxq.publicity import reminder, source
from gxq.run import Run

log = logging.getLogger(__name__)


plan = store.begin  # nothing to check before the read: gxq_ops migrated, the run value passed on


def line(period: periods.Period) -> dict:
    """The week's line another report carries (the Monday bulletin's 附: 宣传工作, :mod:`gxq.carried`):
    ``reminder.weekly_line`` of the whole ISO week."""
    return reminder.weekly_line(period)


def compute(run: Run | dict) -> dict:
    """Counts over [Monday 00:00, D) from the configured sources."""
    return source.counts(*reminder.bounds(Run.from_dict(run))).to_dict()


def publish(run: Run | dict, counts: dict) -> dict:
    """report.json (and reminder.md for people when a reminder is due), copy in gxq_ops."""
    run = Run.from_dict(run)
    report = reminder.build_report(run, counts)
    notice = reminder.reminder_notice(report)
    if notice is not None:
        folder = output.period_dir(run.dag_id, run.key)
        output.write_text(folder / "reminder.md", f"# {mask_text(notice.subject)}\n\n{mask_text(notice.body)}")
    store.publish_report(run, report)
    return report


def notify(run: Run | dict, counts: dict, report: dict) -> dict:
    """The reminder to ``publicity`` when behind; the data-quality notice to ``ops`` when a row's time
    is not a time."""
    run = Run.from_dict(run)
    return {"reminder": _remind(run, report), "data_problems": _data_problems(run, report)}


def _data_problems(run: Run, report: dict) -> dict:
    """数据质量提示 to ``ops`` when a row's time is not a time (it counts nowhere)."""
    notice = reminder.data_problems_notice(run.dag_id, report)
    if notice is None:
        return {"sent": 0}
    return deliver(run.dag_id, run.key, [notice], dry_run=run.dry_run, resend=run.resend,
                   run_id=run.run_id).to_dict()


def _remind(run: Run, report: dict) -> dict:
    notice = reminder.reminder_notice(report)
    if notice is None:
        log.info("%s %s: on target (or nothing that can still be done): no reminder", run.dag_id, run.key)
        return {"sent": 0, "reason": "not behind" if not report["behind"] else "nothing can be urged"}
    result = deliver(run.dag_id, run.key, [notice], dry_run=run.dry_run, resend=run.resend, run_id=run.run_id)
    return result.to_dict()


def run_all(run: Run) -> dict:
    """The whole flow without Airflow (tests)."""
    plan(run)
    counts = compute(run)
    report = publish(run, counts)
    notify(run, counts, report)
    return report
