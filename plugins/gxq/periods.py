"""Reporting periods (报告期) of the plan's cadences, all in Asia/Shanghai.

A run derives its period from its logical date D taken in Asia/Shanghai, never from "now"
(see docs/reference.md "Time"). Period keys: ``2021-W09`` (ISO week), ``2021-03`` (month),
``2021-Q1`` (quarter). Boundaries are local wall-clock datetimes without zone, which is how
the department databases store their timestamps.

This module has no Airflow import: it runs and tests on its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$", re.ASCII)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$", re.ASCII)
# A local minute: the key 2021-03-23T0940, or as an operator types it, 2021-03-23T09:40.
MINUTE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):?(\d{2})$", re.ASCII)


class PeriodError(ValueError):
    """An operator-supplied period that is not a valid key."""


@dataclass(frozen=True)
class Period:
    """A half-open local interval [start, end) with its contract key."""

    key: str
    kind: str  # week | month | quarter | minute
    start: dt.datetime  # naive, Asia/Shanghai wall clock
    end: dt.datetime  # naive, exclusive

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()

    @property
    def year(self) -> int:
        return self.start.year

    def months(self) -> list[Period]:
        """The calendar months of a month or quarter period, in order."""
        if self.kind == "month":
            return [self]
        if self.kind == "quarter":
            q = int(self.key[-1])
            return [month_period(self.start.year, 3 * (q - 1) + i) for i in (1, 2, 3)]
        raise ValueError(f"{self.key} has no months")

    def previous(self) -> Period:
        if self.kind == "week":
            return week_containing(self.start - dt.timedelta(days=7))
        if self.kind == "month":
            return month_containing(self.start - dt.timedelta(days=1))
        return quarter_containing(self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        if self.kind == "week":
            return week_containing(self.end)
        if self.kind == "month":
            return month_containing(self.end)
        return quarter_containing(self.end)

    @property
    def end_s(self) -> str:
        """End as the department databases' timestamp text, for bound parameters."""
        return self.end.strftime("%Y-%m-%d %H:%M:%S")


def to_local(when: dt.datetime | str) -> dt.datetime:
    """A zone-aware datetime (or ISO string) as an aware Asia/Shanghai datetime.

    Naive datetimes are taken as UTC, as Airflow's are.
    """
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when)  # Python 3.11 reads "Z" too
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(TZ)


def _naive_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def week_containing(when: dt.datetime | dt.date) -> Period:
    day = when.date() if isinstance(when, dt.datetime) else when
    monday = day - dt.timedelta(days=day.isoweekday() - 1)
    iso_year, iso_week, _ = monday.isocalendar()
    start = _naive_midnight(monday)
    return Period(f"{iso_year}-W{iso_week:02d}", "week", start, start + dt.timedelta(days=7))


def month_period(year: int, month: int) -> Period:
    start = dt.datetime(year, month, 1)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    return Period(f"{year}-{month:02d}", "month", start, end)


def month_containing(when: dt.datetime | dt.date) -> Period:
    return month_period(when.year, when.month)


def quarter_period(year: int, quarter: int) -> Period:
    start = dt.datetime(year, 3 * (quarter - 1) + 1, 1)
    end = dt.datetime(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    return Period(f"{year}-Q{quarter}", "quarter", start, end)


def quarter_containing(when: dt.datetime | dt.date) -> Period:
    return quarter_period(when.year, (when.month - 1) // 3 + 1)


def minute_period(start: dt.datetime) -> Period:
    """The local minute starting at ``start`` (naive wall clock; seconds dropped): key ``2021-03-23T0940``."""
    start = start.replace(second=0, microsecond=0, tzinfo=None)
    return Period(start.strftime("%Y-%m-%dT%H%M"), "minute", start, start + dt.timedelta(minutes=1))

def weeks_of_month(month: Period) -> list[Period]:
    """The ISO weeks that count toward a month: those whose Thursday falls in it (the ISO rule that
    puts a week in one year; here in one month), so each week counts in exactly one month."""
    day = month.first_day + dt.timedelta(days=(3 - month.first_day.weekday()) % 7)
    weeks = []
    while day <= month.last_day:
        weeks.append(week_containing(day))
        day += dt.timedelta(days=7)
    return weeks


def anchor(key: str) -> dt.datetime | None:
    """The local moment a report period stands at on a time line (an asset partition's time): a
    month its first day, a week its Thursday (so the week falls in the month it counts toward), a
    minute key such as ``2021-03-23T0940`` that minute; None for other keys (quarters, weekdays)."""
    if m := MINUTE_RE.match(key):
        try:
            return dt.datetime(*(int(g) for g in m.groups()))
        except ValueError:
            return None
    try:
        period = parse_key(key, ("week", "month"))
    except PeriodError:
        return None
    return period.start + dt.timedelta(days=3) if period.kind == "week" else period.start


# --- what a logical date D covers, per cadence (docs/reference.md) ---------------------------------


def previous_week(logical_date: dt.datetime) -> Period:
    """Weekly bulletin: the last complete ISO week before the week containing D."""
    return week_containing(to_local(logical_date)).previous()


def previous_month(logical_date: dt.datetime) -> Period:
    return month_containing(to_local(logical_date)).previous()


def previous_quarter(logical_date: dt.datetime) -> Period:
    return quarter_containing(to_local(logical_date)).previous()


def week_so_far(logical_date: dt.datetime) -> tuple[Period, dt.datetime]:
    """Publicity reminder: D's own ISO week, counted over [Monday 00:00, D).

    Returns the week and D as a naive local datetime (the exclusive upper bound).
    """
    local = to_local(logical_date)
    return week_containing(local), local.replace(tzinfo=None)


def minute_of(logical_date: dt.datetime) -> Period:
    """Urgent-petition watch (急险): D's own local minute; ``period.start`` is the run's as_of."""
    return minute_period(to_local(logical_date))


# --- operator-supplied keys ------------------------------------------------------------------


def parse_key(key: str, kinds: tuple[str, ...] = ("week", "month", "quarter")) -> Period:
    """Parse a period key an operator typed, with a clear error for anything else."""
    if not isinstance(key, str):
        raise PeriodError(f"period must be a string such as 2021-W09, 2021-03 or 2021-Q1, got {key!r}")
    text = key.strip()
    if (m := WEEK_RE.match(text)) and "week" in kinds:
        year, week = int(m[1]), int(m[2])
        try:
            monday = dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise PeriodError(f"{key!r}: ISO year {year} has no week {week}") from None
        return week_containing(monday)
    if (m := MONTH_RE.match(text)) and "month" in kinds:
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"{key!r}: month must be 01..12")
        return month_period(year, month)
    if (m := QUARTER_RE.match(text)) and "quarter" in kinds:
        return quarter_period(int(m[1]), int(m[2]))
    if (m := MINUTE_RE.match(text)) and "minute" in kinds:
        try:
            return minute_period(dt.datetime(*(int(g) for g in m.groups())))
        except ValueError as exc:
            raise PeriodError(f"{key!r}: not a time ({exc})") from None
    examples = {"week": "2021-W09", "month": "2021-03", "quarter": "2021-Q1", "minute": "2021-03-23T09:40"}
    wanted = " or ".join(f"a {k} key like {examples[k]}" for k in kinds)
    raise PeriodError(f"invalid period {key!r}: expected {wanted}")


MOMENT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?)?$", re.ASCII)


def parse_moment(value) -> dt.datetime:
    """An operator's moment (an ``as_of`` param: ISO date-time; without zone Asia/Shanghai; a bare
    date is that day's start) as an aware local datetime to the second."""
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            if not MOMENT_RE.match(text):
                raise ValueError(text)
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            raise PeriodError(
                f"must be an ISO date-time such as 2021-03-03T10:00 or 2021-03-03T10:00:00+08:00, got {value!r}"
            ) from None
        if len(text) <= 10:  # a bare date means that day's start: nothing of the day is counted
            when = dt.datetime.combine(when.date(), dt.time())
    else:
        raise PeriodError(f"must be an ISO date-time string, got {value!r}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=TZ)
    return when.astimezone(TZ).replace(microsecond=0)
