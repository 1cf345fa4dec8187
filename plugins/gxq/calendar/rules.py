"""Cadences on the working calendar (工作日调度规则) as concrete run times. No Airflow import.

A rule yields :class:`Slot` s, each one scheduled run:

- ``nominal``: where the plain calendar (Monday to Friday, no holidays) puts the run; this is
  also where every run falls when the holiday calendar does not know the year (fallback);
- ``run_at``: when it runs on the statutory working calendar;
- ``logical``: the run's logical date, which decides the run's period (docs/reference.md). It is the
  run time itself, except for a weekly run pushed out of its ISO week by a holiday lasting the
  rest of the week (e.g. Monday 2021-10-04 ... in a week without any later working day): that run
  happens on the first working day after, but keeps its nominal time as logical date, so it still
  covers the week it was due for and the regular run of the following week keeps its own.

All times are naive Asia/Shanghai wall clock.

Rules:

- :class:`WeekdayRule` with ``move="next"``: at HH:MM on a weekday, or at HH:MM on the next working
  day when that weekday is not one (the Monday bulletin moved to Tuesday after a holiday Monday).
- :class:`WeekdayRule` with ``move="same_week"``: at HH:MM on the given weekdays when working days;
  otherwise on the next working day *of the same ISO week*, else not at all that week. Two slots
  that would land on the same day keep only the later slot (a Wednesday reminder moved to Friday
  gives way to Friday's own, more urgent one). A reminder is never sent on a holiday.
- :class:`NthWorkingDayRule`: at HH:MM on the Nth working day of each month or quarter
  (调休 make-up days count, holidays do not).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gxq.calendar import workdays

WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_time(text: str) -> dt.time:
    m = TIME_RE.match(text or "")
    if not m:
        raise ValueError(f"time must be HH:MM (24h), got {text!r}")
    return dt.time(int(m[1]), int(m[2]))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True, order=True)
class Slot:
    run_at: dt.datetime
    logical: dt.datetime
    nominal: dt.datetime
    label: str = ""

    @property
    def moved(self) -> bool:
        return self.run_at != self.nominal

    @property
    def key(self) -> tuple[dt.datetime, dt.datetime]:
        return (self.run_at, self.logical)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class Rule:
    """A cadence: enumerates its slots over any date range."""

    kind = "rule"

    def slots(self, start: dt.date, end: dt.date) -> list[Slot]:
        """Slots whose run day lies in [start, end), sorted by (run_at, logical)."""
        raise NotImplementedError

    # --- navigation used by the timetables ---------------------------------------------------
    def first_at_or_after(self, when: dt.datetime, horizon_days: int = 800) -> Slot | None:
        start = when.date()
        step = 62
        while step <= horizon_days:
            for slot in self.slots(start, when.date() + dt.timedelta(days=step)):
                if slot.run_at >= when:
                    return slot
            step *= 2
        return None

    def next_after(self, key: tuple[dt.datetime, dt.datetime], horizon_days: int = 800) -> Slot | None:
        """The first slot strictly after the slot with ``key`` = (run_at, logical)."""
        run_at, _ = key
        step = 62
        while step <= horizon_days:
            for slot in self.slots(run_at.date(), run_at.date() + dt.timedelta(days=step)):
                if slot.key > key:
                    return slot
            step *= 2
        return None

    def last_at_or_before(self, when: dt.datetime, horizon_days: int = 800) -> Slot | None:
        step = 62
        while step <= horizon_days:
            found = [s for s in self.slots(when.date() - dt.timedelta(days=step), when.date() + dt.timedelta(days=1))
                     if s.run_at <= when]
            if found:
                return found[-1]
            step *= 2
        return None

    # --- texts and serialisation --------------------------------------------------------------
    @property
    def summary(self) -> str:
        raise NotImplementedError

    @property
    def description(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict:
        raise NotImplementedError


class WeekdayRule(Rule):
    """At HH:MM on given weekdays, moved by the working calendar (see module docstring)."""

    kind = "weekday"
    MOVES = ("next", "same_week")

    def __init__(self, slots: list[tuple[int, str]] | tuple[tuple[int, str], ...], move: str = "next"):
        if not slots:
            raise ValueError("at least one (weekday, 'HH:MM') slot is needed")
        if move not in self.MOVES:
            raise ValueError(f"move must be one of {self.MOVES}, got {move!r}")
        norm = []
        for weekday, hhmm in slots:
            if not (isinstance(weekday, int) and 0 <= weekday <= 6):
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}")
            norm.append((weekday, parse_time(hhmm).strftime("%H:%M")))
        if len({w for w, _ in norm}) != len(norm):
            raise ValueError("one slot per weekday")
        self.slot_specs = tuple(sorted(norm))
        self.move = move

    def _week(self, monday: dt.date) -> list[Slot]:
        out: list[Slot] = []
        next_monday = monday + dt.timedelta(days=7)
        for weekday, hhmm in self.slot_specs:
            at = parse_time(hhmm)
            day = monday + dt.timedelta(days=weekday)
            nominal = dt.datetime.combine(day, at)
            label = f"{WEEKDAYS_EN[weekday]} {hhmm}"
            if workdays.is_working_day(day):
                out.append(Slot(nominal, nominal, nominal, label))
                continue
            target = workdays.next_working_day(day, include=False)
            run_at = dt.datetime.combine(target, at)
            if target < next_monday:
                out.append(Slot(run_at, run_at, nominal, label))
            elif self.move == "next":
                # pushed out of its week: keep the nominal logical date, so the period stays
                out.append(Slot(run_at, nominal, nominal, label))
            # move == "same_week": no working day left this week -> no run
        if self.move == "same_week":
            by_day: dict[dt.date, Slot] = {}
            for slot in sorted(out, key=lambda s: s.nominal):
                by_day[slot.run_at.date()] = slot  # the later nominal slot wins the day
            out = list(by_day.values())
        return out

    def slots(self, start: dt.date, end: dt.date) -> list[Slot]:
        out: list[Slot] = []
        # a slot may move by up to weeks (Spring Festival, National Day): look back far enough
        monday = _monday(start) - dt.timedelta(days=21)
        while monday < end:
            out.extend(s for s in self._week(monday) if start <= s.run_at.date() < end)
            monday += dt.timedelta(days=7)
        return sorted(out)

    @property
    def summary(self) -> str:
        when = ", ".join(f"{WEEKDAYS_EN[w]} {t}" for w, t in self.slot_specs)
        if self.move == "next":
            return f"{when} or next working day (CN)"
        return f"{when} on working days, moved within the week (CN)"

    @property
    def description(self) -> str:
        when_en = " and ".join(f"{WEEKDAYS_EN[w]} {t}" for w, t in self.slot_specs)
        when_zh = "、".join(f"{WEEKDAYS_ZH[w]} {t}" for w, t in self.slot_specs)
        if self.move == "next":
            return (
                f"{when_zh}; 遇法定节假日顺延至下一个工作日(调休上班日算工作日)。 "
                f"At {when_en} Asia/Shanghai; on a statutory holiday, at the same time on the next "
                "working day of China's calendar (make-up working days count)."
            )
        return (
            f"{when_zh}, 仅在工作日; 遇节假日顺延至本周下一个工作日, 本周无工作日则不运行。 "
            f"At {when_en} Asia/Shanghai on working days only; on a holiday, at the same time on the "
            "next working day of the same ISO week, else not that week."
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "slots": [list(s) for s in self.slot_specs], "move": self.move}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WeekdayRule) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash((self.slot_specs, self.move))

    def __repr__(self) -> str:
        return f"WeekdayRule({list(self.slot_specs)!r}, move={self.move!r})"


class NthWorkingDayRule(Rule):
    """At HH:MM on the Nth working day of every month or quarter."""

    kind = "nth_working_day"
    UNITS = ("month", "quarter")

    def __init__(self, n: int, at: str, unit: str = "month"):
        if unit not in self.UNITS:
            raise ValueError(f"unit must be one of {self.UNITS}, got {unit!r}")
        limit = 20 if unit == "month" else 60
        if not (isinstance(n, int) and 1 <= n <= limit):
            raise ValueError(f"n must be 1..{limit} for a {unit}, got {n!r}")
        self.n = n
        self.at = parse_time(at).strftime("%H:%M")
        self.unit = unit

    def _periods(self, start: dt.date, end: dt.date):
        step = 1 if self.unit == "month" else 3
        year, month = start.year, start.month
        if self.unit == "quarter":
            month = 3 * ((month - 1) // 3) + 1
        while dt.date(year, month, 1) < end:
            first = dt.date(year, month, 1)
            nm = month + step
            following = dt.date(year + (nm > 12), (nm - 1) % 12 + 1, 1)
            yield first, following
            year, month = following.year, following.month

    def slots(self, start: dt.date, end: dt.date) -> list[Slot]:
        out = []
        at = parse_time(self.at)
        for first, following in self._periods(start, end):
            day = workdays.nth_working_day(first, following, self.n)
            plain = workdays.nth_working_day(first, following, self.n, plain=True)
            if day is None:
                continue
            run_at = dt.datetime.combine(day, at)
            nominal = dt.datetime.combine(plain, at) if plain else run_at
            if start <= day < end:
                out.append(Slot(run_at, run_at, nominal, f"{ordinal(self.n)} working day of the {self.unit}"))
        return sorted(out)

    @property
    def summary(self) -> str:
        return f"{ordinal(self.n)} working day of the {self.unit}, {self.at} (CN)"

    @property
    def description(self) -> str:
        zh_unit = "每月" if self.unit == "month" else "每季度"
        return (
            f"{zh_unit}第{self.n}个工作日 {self.at}(按国务院节假日安排, 调休上班日算工作日)。 "
            f"At {self.at} Asia/Shanghai on the {ordinal(self.n)} working day of every {self.unit} "
            "on China's statutory calendar (make-up working days count, holidays do not)."
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "n": self.n, "at": self.at, "unit": self.unit}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NthWorkingDayRule) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash((self.n, self.at, self.unit))

    def __repr__(self) -> str:
        return f"NthWorkingDayRule({self.n!r}, {self.at!r}, unit={self.unit!r})"


def rule_from_dict(data: dict) -> Rule:
    kind = data.get("kind")
    if kind == WeekdayRule.kind:
        return WeekdayRule([tuple(s) for s in data["slots"]], move=data.get("move", "next"))
    if kind == NthWorkingDayRule.kind:
        return NthWorkingDayRule(int(data["n"]), data["at"], unit=data.get("unit", "month"))
    raise ValueError(f"unknown calendar rule {data!r}")
