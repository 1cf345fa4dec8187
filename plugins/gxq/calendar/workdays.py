"""Working days (工作日) on China's statutory calendar, holidays and 调休 included.

The source is the maintained ``chinesecalendar`` package (``import chinese_calendar``), which
knows each year once the State Council has published its holiday arrangement (国务院办公厅关于
节假日安排的通知, usually in late October or November for the following year). A make-up working
day (调休上班, e.g. Sunday 2021-02-07, Saturday 2021-02-20) is a working day here.

For a year the package does not know yet, the office's holiday file
(``include/calendar/holidays.yaml``, read and validated by :mod:`gxq.calendar.holidays`) answers:
the office enters the notice's days there as soon as it is published, without waiting for a
package release. For a year neither knows there is no good guess: this module answers with plain
weekdays (Monday to Friday), logs a warning once per year, and :mod:`gxq.notify.coverage`
(``calendar_coverage_watch``) tells ``ops`` ahead of time so the year can be entered before it matters.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from importlib.metadata import version

from gxq.calendar import holidays

log = logging.getLogger(__name__)

_warned_years: set[int] = set()
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def known_years() -> tuple[int, int]:
    """First and last year the installed calendar package knows (inclusive)."""
    # chinese_calendar is deferred throughout: this module is imported when a DAG file is parsed
    # (the timetables), and the calendar is only read when runs are scheduled.
    from chinese_calendar.constants import holidays

    years = [day.year for day in holidays]
    return min(years), max(years)


def in_package(year: int) -> bool:
    """True when ``chinesecalendar`` knows the year (it then answers, the file is checked against it)."""
    first, last = known_years()
    return first <= year <= last


def is_known_year(year: int) -> bool:
    """True when the package or the office's holiday file knows the year's arrangement."""
    return in_package(year) or year in holidays.office_years()


def source_of(year: int) -> str:
    """Where a year's working days come from, in words (for tools and logs)."""
    if in_package(year):
        return f"chinesecalendar {package_version()}"
    entered = holidays.office_years().get(year)
    if entered is not None:
        return f"{holidays.DEFAULT_PATH.relative_to(holidays.REPO_ROOT)} ({entered.notice})"
    return "unknown: Monday-Friday, no holidays, no 调休"


def reload() -> None:
    """Forget what was read and warned (after the holiday file changed; for tests)."""
    holidays.office_years.cache_clear()
    _is_working_day.cache_clear()
    with _lock:
        _warned_years.clear()


def package_version() -> str:
    try:
        return version("chinesecalendar")
    except Exception:  # noqa: BLE001 - informational only
        return "unknown"


def _warn_unknown(year: int) -> None:
    with _lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    first, last = known_years()
    log.warning(
        "chinesecalendar %s knows the statutory holidays of %d-%d only, not %d, and the holiday file "
        "%s has no %d: treating Monday-Friday as working days for %d (no holidays, no 调休). "
        "Enter %d's arrangement in the holiday file once the State Council publishes it (runbook §4a).",
        package_version(), first, last, year, holidays.DEFAULT_PATH.name, year, year, year,
    )


@functools.lru_cache(maxsize=8192)
def _is_working_day(day: dt.date) -> bool:
    if not in_package(day.year):
        entered = holidays.office_years().get(day.year)
        if entered is None:
            _warn_unknown(day.year)
            return day.weekday() < 5
        if day in entered.working_days:
            return True
        return day.weekday() < 5 and day not in entered.holidays
    import chinese_calendar

    return bool(chinese_calendar.is_workday(day))


def is_working_day(day: dt.date | dt.datetime) -> bool:
    """True on a working day: Monday-Friday except statutory holidays, plus 调休 make-up days."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return _is_working_day(day)


def is_plain_weekday(day: dt.date | dt.datetime) -> bool:
    """The fallback calendar: Monday to Friday, no holidays."""
    return day.weekday() < 5


def holiday_name(day: dt.date) -> str | None:
    """The statutory holiday a day belongs to (e.g. ``Spring Festival``), if any and known."""
    if not in_package(day.year):
        entered = holidays.office_years().get(day.year)
        name = entered.holidays.get(day) if entered is not None else None
        return holidays.NAMES[name.split("、")[0]] if name else None
    import chinese_calendar

    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return name if on_holiday and name else None


def next_working_day(day: dt.date, *, include: bool = True) -> dt.date:
    """The first working day on or after ``day`` (after it when ``include`` is False)."""
    current = day if include else day + dt.timedelta(days=1)
    for _ in range(400):
        if is_working_day(current):
            return current
        current += dt.timedelta(days=1)
    raise RuntimeError(f"no working day within 400 days after {day}")  # pragma: no cover


def working_days(start: dt.date, end: dt.date, *, plain: bool = False) -> list[dt.date]:
    """Working days in [start, end) (plain weekdays when ``plain``)."""
    test = is_plain_weekday if plain else is_working_day
    out = []
    day = start
    while day < end:
        if test(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def nth_working_day(start: dt.date, end: dt.date, n: int, *, plain: bool = False) -> dt.date | None:
    """The ``n``-th (1-based) working day in [start, end), or None when there are fewer."""
    count = 0
    test = is_plain_weekday if plain else is_working_day
    day = start
    while day < end:
        if test(day):
            count += 1
            if count == n:
                return day
        day += dt.timedelta(days=1)
    return None


def unknown_years_between(start: dt.date, end: dt.date) -> list[int]:
    """Years touched by [start, end] that neither the calendar package nor the holiday file knows."""
    return [y for y in range(start.year, end.year + 1) if not is_known_year(y)]
