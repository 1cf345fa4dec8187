"""Which scheduled runs the holiday calendar moved (节假日调整的运行日期), per DAG and year.

The listing of the registered DAGs is ``python -m gxq.cadences moved 2021`` (``--all``: every run,
moved or not); this module knows timetables, not DAGs: it is given each DAG's timetable and what a
run at a logical date covers.

A run is *moved* when its working-calendar time differs from where plain weekdays (Monday to
Friday, no holidays: the fallback calendar) put it; *skipped* when a reminder's weekday was a
holiday with no working day left in its week. Each line also names the period the run covers.
The first line says where the year's working days come from: the ``chinesecalendar`` package,
the office's holiday file (``include/calendar/holidays.yaml``), or neither (Monday to Friday).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from gxq import periods
from gxq.calendar import workdays
from gxq.calendar.rules import WeekdayRule

WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _fmt(when: dt.datetime) -> str:
    return f"{when:%Y-%m-%d} {WEEKDAY[when.weekday()]} {when:%H:%M}"


def _skipped(rule: WeekdayRule, year: int) -> list[dt.datetime]:
    """Nominal reminder times with no run (same-week rule only)."""
    out = []
    monday = dt.date(year, 1, 1) - dt.timedelta(days=dt.date(year, 1, 1).weekday())
    while monday.year <= year:
        nominal = {s.nominal for s in rule._week(monday)}
        for weekday, hhmm in rule.slot_specs:
            day = monday + dt.timedelta(days=weekday)
            when = dt.datetime.combine(day, dt.time.fromisoformat(hhmm))
            if day.year == year and when not in nominal:
                out.append(when)
        monday += dt.timedelta(days=7)
    return out


def moved(year: int, schedules: Iterable[tuple[str, object, Callable[[dt.datetime], str]]],
          show_all: bool = False) -> list[str]:
    """The lines of the listing: ``schedules`` gives (DAG id, its timetable, logical date -> the key of
    the period a run then covers) per scheduled DAG."""
    lines = []
    for dag_id, tt, covers_key in schedules:
        slots = tt.run_times(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
        lines.append(f"{dag_id}  [{tt.summary}]  {len(slots)} runs, {sum(s.moved for s in slots)} moved")
        for s in slots:
            if not (s.moved or show_all):
                continue
            covers = covers_key(s.logical.replace(tzinfo=periods.TZ))
            tag = "moved  " if s.moved else "       "
            extra = "" if s.logical == s.run_at else f"  (logical date kept at {_fmt(s.logical)})"
            lines.append(f"  {tag}{_fmt(s.nominal)} -> {_fmt(s.run_at)}  covers {covers}{extra}")
        if isinstance(tt.rule, WeekdayRule) and tt.rule.move == "same_week":
            for when in _skipped(tt.rule, year):
                name = workdays.holiday_name(when.date()) or "holiday"
                target = workdays.next_working_day(when.date(), include=False)
                if target.isocalendar()[:2] == when.isocalendar()[:2]:
                    why = f"its next working day {target} has the week's later reminder"
                else:
                    why = "no working day left in that week"
                lines.append(f"  skipped {_fmt(when)}  ({name}; {why})")
    return lines
