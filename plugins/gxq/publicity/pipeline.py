"""Task bodies of ``publicity_cadence_reminder`` (the DAG file only wires them)."""

from __future__ import annotations

import datetime as dt
import logging

from gxq import cadences, output, store
from gxq.calendar import coverage
from gxq.masking import mask_text
from gxq.notify import deliver
from gxq.publicity import reminder, source

log = logging.getLogger(__name__)
DAG_ID = reminder.DAG_ID


def resolve(context: dict) -> dict:
    """D, the week and the report key of this run; gxq_ops migrated first."""
    store.ops_engine()
    try:
        as_of = reminder.as_of_for_run(context)
    except reminder.AsOfError as exc:  # a bad as_of param fails at once, without retries
        raise cadences.fails_at_once(reminder.AsOfError)(f"{DAG_ID}: invalid as_of param: {exc}") from None
    week, bound, key = reminder.run_key(as_of)
    return {"as_of": as_of.isoformat(timespec="seconds"), "period": week.key, "report_key": key,
            "start": week.start.isoformat(sep=" "), "end": bound.isoformat(sep=" ")}


def count(run: dict) -> dict:
    """Counts over [Monday 00:00, D) from the configured sources."""
    got = source.counts(dt.datetime.fromisoformat(run["start"]), dt.datetime.fromisoformat(run["end"]))
    return got.to_dict()


def publish(run: dict, counts: dict, run_id: str | None = None) -> dict:
    """report.json (and reminder.md for people when a reminder is due), copy in gxq_ops."""
    report = reminder.build_report(dt.datetime.fromisoformat(run["as_of"]), counts)
    notice = reminder.reminder_notice(report)
    if notice is not None:
        folder = output.period_dir(DAG_ID, run["report_key"])
        output.write_text(folder / "reminder.md", f"# {mask_text(notice.subject)}\n\n{mask_text(notice.body)}")
    output.write_report(DAG_ID, run["report_key"], report)
    store.record_report(store.ops_engine(), DAG_ID, run["report_key"], report, run_id=run_id)
    return report


def notify(report: dict, *, dry_run: bool = False, resend: bool = False, run_id: str | None = None) -> dict:
    """The reminder to ``publicity`` when behind; nothing otherwise."""
    notice = reminder.reminder_notice(report)
    if notice is None:
        log.info("%s %s: on target (or nothing that can still be done): no reminder",
                 DAG_ID, report["report_key"])
        return {"sent": 0, "reason": "not behind" if not report["behind"] else "nothing can be urged"}

    result = deliver(DAG_ID, report["report_key"], [notice], dry_run=dry_run, resend=resend, run_id=run_id)
    return result.to_dict()


def calendar_check(run: dict, *, dry_run: bool = False, resend: bool = False, run_id: str | None = None) -> dict:
    """节假日日历到期检查: warn ops (once per year) when next year's calendar is missing."""
    as_of = dt.datetime.fromisoformat(run["as_of"])
    return coverage.check(DAG_ID, as_of.date(), checked_at=run["as_of"], dry_run=dry_run, resend=resend,
                          run_id=run_id)
