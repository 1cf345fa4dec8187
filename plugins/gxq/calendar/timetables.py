"""Airflow timetables on China's working calendar (工作日时间表), registered by
``plugins/gxq_calendar_plugin.py`` so the scheduler can deserialise them.

- :class:`WeekdayOrNextWorkingDayTimetable` - "Monday 09:00, or the next working day".
- :class:`WorkingWeekdaysTimetable` - "Wednesday 10:00 and Friday 15:00 on working days, moved to
  the next working day of the same week, never on a holiday".
- :class:`NthWorkingDayTimetable` - "09:00 on the 3rd working day of the month / quarter".

The 绩效考核's timetable ("for month M once every input asset has a partition of M", backfillable
by month; not a working-calendar clock) is :mod:`gxq.calendar.partitioned`'s.

Each run's logical date is its run time (a trigger timetable: data interval start == end), so the
DAGs derive their periods from it as docs/reference.md says: a bulletin moved from Monday 2021-02-15 to
Thursday 2021-02-18 still covers the previous ISO week, a monthly run on the 3rd working day of
October (2021-10-11) covers September. The one exception is documented in
:mod:`gxq.calendar.rules`: a weekly run pushed out of its week keeps its nominal logical date.

Manual runs (``infer_manual_data_interval``) get the trigger time as logical date, like
``CronTriggerTimetable``. With ``catchup=False`` the scheduler starts from the most recent
scheduled time at or before now, never earlier than ``start_date``.

Years the ``chinesecalendar`` package does not know are scheduled on plain weekdays with a
logged warning (see :mod:`gxq.calendar.workdays`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, Timetable

from gxq.calendar import holidays, workdays
from gxq.calendar.rules import NthWorkingDayRule, Rule, WeekdayRule, rule_from_dict

if TYPE_CHECKING:
    from airflow.timetables.base import TimeRestriction
    from pendulum import DateTime

TIMEZONE = "Asia/Shanghai"


def _utcnow() -> DateTime:
    """Now, in UTC (a seam for tests)."""
    return pendulum.now("UTC")


def _coverage_note() -> str:
    """Where the working days come from, for the UI: the package's years, then the holiday file.

    The file is named, not read: reading it costs ~20 ms, at every parse of a DAG file.
    """
    try:
        first, last = workdays.known_years()
    except Exception:  # noqa: BLE001 - the package is missing: say so in the UI, do not break parsing
        return "(节假日数据缺失 / holiday data unavailable: Monday-Friday.)"
    file = holidays.DEFAULT_PATH.relative_to(holidays.REPO_ROOT).as_posix()
    return (f"(节假日: chinesecalendar {first}–{last} 年, 其他年份读节假日文件 {file}, 两者都没有的年份按周一至周五"
            f"并提醒运维 / holidays: chinesecalendar {first}-{last}, other years from the holiday file {file}; "
            "a year in neither: Monday-Friday, with a warning to ops.)")


class WorkingDayTimetable(Timetable):
    """A trigger timetable whose run times come from a :class:`~gxq.calendar.rules.Rule`."""

    periodic = True
    can_be_scheduled = True

    def __init__(self, rule: Rule, *, timezone: str = TIMEZONE) -> None:
        self.rule = rule
        self.timezone = str(timezone)
        self._tz = pendulum.timezone(self.timezone)
        self.description = f"{rule.description} {_coverage_note()}"

    # --- serialisation -----------------------------------------------------------------------
    def serialize(self) -> dict[str, Any]:
        return {"rule": self.rule.to_dict(), "timezone": self.timezone}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        obj = cls.__new__(cls)
        WorkingDayTimetable.__init__(obj, rule_from_dict(data["rule"]), timezone=data.get("timezone", TIMEZONE))
        return obj

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.serialize() == self.serialize()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.rule, self.timezone))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.rule!r}, timezone={self.timezone!r})"

    @property
    def summary(self) -> str:
        return self.rule.summary

    # --- time conversion ---------------------------------------------------------------------
    def _local(self, when: dt.datetime) -> dt.datetime:
        """An aware datetime as naive local wall clock (naive input is taken as UTC)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return pendulum.instance(when).in_timezone(self._tz).naive()

    def _aware(self, local: dt.datetime) -> DateTime:
        return pendulum.instance(local, tz=self._tz).in_timezone("UTC")

    def _info(self, slot) -> DagRunInfo:
        return DagRunInfo.interval(start=self._aware(slot.logical), end=self._aware(slot.run_at))

    # --- scheduling --------------------------------------------------------------------------
    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return DataInterval.exact(pendulum.instance(run_after))

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        earliest = self._local(restriction.earliest) if restriction.earliest is not None else None
        if last_automated_data_interval is not None:
            last = last_automated_data_interval
            slot = self.rule.next_after((self._local(last.end), self._local(last.start)))
        elif earliest is not None:
            slot = self.rule.first_at_or_after(earliest)
        else:
            slot = self.rule.first_at_or_after(self._local(_utcnow()))
        if not restriction.catchup:
            # catchup=False: nothing older than the most recent scheduled time at or before now
            recent = self.rule.last_at_or_before(self._local(_utcnow()))
            if (recent is not None and (earliest is None or recent.run_at >= earliest)
                    and (slot is None or recent.key > slot.key)):
                slot = recent
        if slot is None:
            return None
        info = self._info(slot)
        if restriction.latest is not None and info.run_after > restriction.latest:
            return None
        return info

    def generate_run_id(self, *, run_type, run_after, data_interval, **extra) -> str:
        # A weekly run pushed out of its week shares its run time with the next week's regular
        # run: name it after its logical date so both run ids are unique.
        if data_interval is not None and data_interval.start != data_interval.end:
            return run_type.generate_run_id(suffix=data_interval.start.isoformat())
        return run_type.generate_run_id(suffix=run_after.isoformat())

    # --- for people and tests ----------------------------------------------------------------
    def run_times(self, start: dt.date, end: dt.date):
        """The scheduled slots with run day in [start, end) (naive local times)."""
        return self.rule.slots(start, end)


class WeekdayOrNextWorkingDayTimetable(WorkingDayTimetable):
    """At HH:MM on a weekday, or at HH:MM on the next working day (e.g. the Monday bulletin)."""

    def __init__(self, weekday: int = 0, at: str = "09:00", *, timezone: str = TIMEZONE) -> None:
        super().__init__(WeekdayRule([(weekday, at)], move="next"), timezone=timezone)


class WorkingWeekdaysTimetable(WorkingDayTimetable):
    """At HH:MM on given weekdays if working days, else the next working day of the same week."""

    def __init__(self, slots=((2, "10:00"), (4, "15:00")), *, timezone: str = TIMEZONE) -> None:
        super().__init__(WeekdayRule([tuple(s) for s in slots], move="same_week"), timezone=timezone)


class NthWorkingDayTimetable(WorkingDayTimetable):
    """At HH:MM on the Nth working day of every month or quarter."""

    def __init__(self, n: int = 1, at: str = "09:00", unit: str = "month", *, timezone: str = TIMEZONE) -> None:
        super().__init__(NthWorkingDayRule(n, at, unit), timezone=timezone)


TIMETABLES = [WeekdayOrNextWorkingDayTimetable, WorkingWeekdaysTimetable, NthWorkingDayTimetable]


# --- months of other DAGs' reports (the 绩效考核) -------------------------------------------------
