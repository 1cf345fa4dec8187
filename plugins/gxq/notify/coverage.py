"""Warn ``ops`` ahead of time when the holiday calendar runs out (节假日日历到期提醒).

``chinesecalendar`` learns a year only when the State Council publishes its arrangement and the
package is released; until then the office's holiday file (``include/calendar/holidays.yaml``)
answers for the years entered there. For a year neither knows, every working-day timetable falls
back to plain weekdays (see :mod:`gxq.calendar.workdays`), which would send on holidays: so the
ops DAG ``calendar_coverage_watch`` checks every week whether any day of the next
``LOOKAHEAD_DAYS`` (from December 1st on for the next year) lies in such a year, and if so tells
``ops`` through the outbox. The notice's period key is ``calendar-<year>`` with kind
``calendar_coverage``, so the outbox sends it once per unknown year, however many runs check.
"""

from __future__ import annotations

import datetime as dt

from gxq.calendar import workdays
from gxq.notify.model import Notice
from gxq.notify.outbox import deliver
from gxq.notify.templates import render
from gxq.run import Run

LOOKAHEAD_DAYS = 31
KIND = "calendar_coverage"


def unknown_ahead(today: dt.date, lookahead_days: int = LOOKAHEAD_DAYS) -> list[int]:
    """Unknown years among the days [today, today + lookahead_days]."""
    return workdays.unknown_years_between(today, today + dt.timedelta(days=lookahead_days))


def coverage_notice(today: dt.date, dag_id: str, checked_at: str, lookahead_days: int = LOOKAHEAD_DAYS):
    """The ``ops`` notice for the years about to run out, or None when all are known."""
    years = unknown_ahead(today, lookahead_days)
    if not years:
        return None

    first, last = workdays.known_years()
    first_unknown_day = max(today, dt.date(years[0], 1, 1))
    subject, body = render(
        "calendar_coverage",
        years=years, first=first, last=last, version=workdays.package_version(),
        first_unknown_day=first_unknown_day.isoformat(), checked_at=checked_at, dag_id=dag_id,
    )
    return Notice(recipient="ops", kind=KIND, subject=subject, body=body)


def check(dag_id: str, today: dt.date, *, checked_at: str, dry_run: bool = False, resend: bool = False,
          run_id: str | None = None) -> dict:
    """Check and, when a year is about to be unknown, deliver the notice (once per year)."""
    first, last = workdays.known_years()
    years = unknown_ahead(today)
    result = {"known_years": [first, last], "unknown_ahead": years, "notified": None}
    notice = coverage_notice(today, dag_id, checked_at)
    if notice is None:
        return result

    delivery = deliver(dag_id, f"calendar-{years[0]}", [notice], dry_run=dry_run, resend=resend, run_id=run_id)
    result["notified"] = delivery.to_dict()
    return result


def check_run(run: Run) -> dict:
    """The check of a ``calendar_coverage_watch`` run, on the day of its moment."""
    moment = run.moment
    return check(run.dag_id, moment.date(), checked_at=moment.isoformat(timespec="seconds"), dry_run=run.dry_run,
                 resend=run.resend, run_id=run.run_id)
