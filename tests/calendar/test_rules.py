"""Cadences on the working calendar: where each run lands in 2021 and 2026, and what it covers."""

from __future__ import annotations

import datetime as dt

import pytest
from gxq import periods
from gxq.calendar import workdays
from gxq.calendar.rules import NthWorkingDayRule, WeekdayRule, rule_from_dict

D = dt.date
T = dt.datetime

BULLETIN = WeekdayRule([(0, "09:00")], move="next")
REMINDER = WeekdayRule([(2, "10:00"), (4, "15:00")], move="same_week")


def _year(rule, year):
    return rule.slots(D(year, 1, 1), D(year + 1, 1, 1))


@pytest.mark.parametrize(
    ("monday", "moved_to"),
    [
        (D(2021, 2, 15), D(2021, 2, 18)),  # 春节: Thursday after
        (D(2021, 4, 5), D(2021, 4, 6)),  # 清明 (Sat-Mon): Tuesday
        (D(2021, 5, 3), D(2021, 5, 6)),  # 劳动节 5-1..5-5
        (D(2021, 6, 14), D(2021, 6, 15)),  # 端午
        (D(2021, 9, 20), D(2021, 9, 22)),  # 中秋 9-19..9-21
        (D(2021, 10, 4), D(2021, 10, 8)),  # 国庆 week: the first working day after
    ],
)
def test_bulletin_moves_to_next_working_day_and_keeps_its_week(monday, moved_to):
    slots = {s.nominal.date(): s for s in _year(BULLETIN, 2021)}
    slot = slots[monday]
    assert slot.run_at == T.combine(moved_to, dt.time(9)) and slot.moved
    assert slot.logical == slot.run_at
    # still the bulletin of the week before the nominal Monday
    assert periods.previous_week(slot.logical.replace(tzinfo=periods.TZ)) == periods.week_containing(monday).previous()


def test_bulletin_2021_runs_every_week_once_on_working_days():
    slots = _year(BULLETIN, 2021)
    mondays = [s.nominal.date() for s in slots]
    assert mondays == sorted({D(2021, 1, 4) + dt.timedelta(weeks=i) for i in range(52)})
    assert all(workdays.is_working_day(s.run_at.date()) for s in slots)
    covered = [periods.previous_week(s.logical.replace(tzinfo=periods.TZ)).key for s in slots]
    assert len(set(covered)) == len(covered) == 52  # every week covered once, none lost
    assert sum(s.moved for s in slots) == 6


def test_bulletin_pushed_out_of_a_holiday_week_keeps_its_period_2026():
    # 2026-02-16..22 has no working day: its bulletin runs Tuesday 2026-02-24 with the next one
    slots = BULLETIN.slots(D(2026, 2, 9), D(2026, 3, 3))
    on_24 = [s for s in slots if s.run_at.date() == D(2026, 2, 24)]
    assert [s.nominal.date() for s in on_24] == [D(2026, 2, 16), D(2026, 2, 23)]
    pushed, regular = on_24
    assert pushed.logical == T(2026, 2, 16, 9) != pushed.run_at
    assert regular.logical == regular.run_at == T(2026, 2, 24, 9)
    keys = [periods.previous_week(s.logical.replace(tzinfo=periods.TZ)).key for s in slots]
    assert keys == ["2026-W06", "2026-W07", "2026-W08", "2026-W09"]


def test_reminders_2021_never_on_a_holiday():
    slots = _year(REMINDER, 2021)
    assert all(workdays.is_working_day(s.run_at.date()) for s in slots)
    days = [s.run_at.date() for s in slots]
    assert len(days) == len(set(days))  # never twice a day: the report key is the weekday
    for s in slots:  # moved only within the same ISO week
        assert s.run_at.isocalendar()[:2] == s.nominal.isocalendar()[:2]
        assert s.run_at.time() == s.nominal.time()


def test_reminders_spring_festival_2021():
    week = REMINDER.slots(D(2021, 2, 15), D(2021, 2, 22))
    # Wednesday 2-17 is a holiday -> Thursday 2-18 10:00; Friday 2-19 15:00 is a working day
    assert [s.run_at for s in week] == [T(2021, 2, 18, 10), T(2021, 2, 19, 15)]
    before = REMINDER.slots(D(2021, 2, 8), D(2021, 2, 15))
    # Wednesday 2-10 worked; Friday 2-12 holiday, no working day left that week -> no reminder
    assert [s.run_at for s in before] == [T(2021, 2, 10, 10)]


def test_reminders_national_day_2021_and_2026():
    assert [s.run_at for s in REMINDER.slots(D(2021, 9, 27), D(2021, 10, 11))] == [
        T(2021, 9, 29, 10), T(2021, 10, 8, 15),  # 10-1 Friday skipped; 10-6 Wed -> none (10-8 Fri has its own)
    ]
    assert [s.run_at for s in REMINDER.slots(D(2026, 9, 28), D(2026, 10, 12))] == [
        T(2026, 9, 30, 10), T(2026, 10, 8, 10), T(2026, 10, 9, 15),  # 10-7 Wed -> Thursday 10-8
    ]


def test_reminder_slots_landing_on_the_same_day_keep_the_later_one():
    # find every week 2004-2026 where Wednesday is off and Friday is the next working day
    found = 0
    for year in range(2004, 2027):
        for s in _year(REMINDER, year):
            if s.nominal.weekday() == 2 and s.run_at.weekday() == 4:
                found += 1
        days = [s.run_at.date() for s in _year(REMINDER, year)]
        assert len(days) == len(set(days)), year
    assert found == 0  # a moved Wednesday never survives on a Friday that has its own reminder
    # and the rule itself: Wed + Thu off, Fri working -> only Friday 15:00 (e.g. 2008-10-01 week? check any)
    collisions = [
        monday for year in range(2004, 2027)
        for monday in (D(year, 1, 1) + dt.timedelta(days=i) for i in range(366))
        if monday.weekday() == 0 and monday.year == year
        and not workdays.is_working_day(monday + dt.timedelta(days=2))
        and not workdays.is_working_day(monday + dt.timedelta(days=3))
        and workdays.is_working_day(monday + dt.timedelta(days=4))
    ]
    for monday in collisions:
        week = REMINDER.slots(monday, monday + dt.timedelta(days=7))
        assert [s.run_at for s in week] == [T.combine(monday + dt.timedelta(days=4), dt.time(15))]


@pytest.mark.parametrize(
    ("n", "unit", "year", "expected"),
    [
        (3, "month", 2021, [D(2021, 1, 6), D(2021, 2, 3), D(2021, 3, 3), D(2021, 4, 6), D(2021, 5, 8),
                            D(2021, 6, 3), D(2021, 7, 5), D(2021, 8, 4), D(2021, 9, 3), D(2021, 10, 11),
                            D(2021, 11, 3), D(2021, 12, 3)]),
        (6, "quarter", 2021, [D(2021, 1, 11), D(2021, 4, 9), D(2021, 7, 8), D(2021, 10, 14)]),
        (3, "month", 2026, None),
    ],
)
def test_nth_working_day(n, unit, year, expected):
    rule = NthWorkingDayRule(n, "09:00", unit)
    slots = _year(rule, year)
    days = [s.run_at.date() for s in slots]
    if expected is not None:
        assert days == expected
    assert len(days) == (12 if unit == "month" else 4)
    for s in slots:
        assert workdays.is_working_day(s.run_at.date())
        period_start = D(year, s.run_at.month, 1) if unit == "month" else D(year, 3 * ((s.run_at.month - 1) // 3) + 1, 1)
        assert len(workdays.working_days(period_start, s.run_at.date())) == n - 1
        # the run stays in its month, so the previous month / quarter is the one covered
        aware = s.logical.replace(tzinfo=periods.TZ)
        assert periods.previous_month(aware).end.date() == D(year, s.run_at.month, 1)


def test_may_2021_third_working_day_is_make_up_saturday():
    # 5-1..5-5 劳动节; Saturday 5-8 is a make-up working day: 5-6, 5-7, 5-8
    slot = next(s for s in _year(NthWorkingDayRule(3, "09:00"), 2021) if s.run_at.month == 5)
    assert slot.run_at == T(2021, 5, 8, 9) and slot.run_at.weekday() == 5
    assert slot.nominal == T(2021, 5, 5, 9)


def test_navigation():
    assert BULLETIN.first_at_or_after(T(2021, 2, 8, 9)).run_at == T(2021, 2, 8, 9)
    assert BULLETIN.first_at_or_after(T(2021, 2, 8, 9, 1)).run_at == T(2021, 2, 18, 9)
    assert BULLETIN.next_after((T(2021, 2, 8, 9), T(2021, 2, 8, 9))).run_at == T(2021, 2, 18, 9)
    assert BULLETIN.last_at_or_before(T(2021, 2, 17, 23)).run_at == T(2021, 2, 8, 9)
    pushed = BULLETIN.next_after((T(2026, 2, 9, 9), T(2026, 2, 9, 9)))
    assert pushed.key == (T(2026, 2, 24, 9), T(2026, 2, 16, 9))
    assert BULLETIN.next_after(pushed.key).key == (T(2026, 2, 24, 9), T(2026, 2, 24, 9))


def test_rule_dict_round_trip_and_validation():
    for rule in (BULLETIN, REMINDER, NthWorkingDayRule(6, "09:30", "quarter")):
        assert rule_from_dict(rule.to_dict()) == rule
    with pytest.raises(ValueError):
        WeekdayRule([(7, "09:00")])
    with pytest.raises(ValueError):
        WeekdayRule([(0, "9:00")])
    with pytest.raises(ValueError):
        WeekdayRule([(0, "09:00")], move="sometime")
    with pytest.raises(ValueError):
        NthWorkingDayRule(0, "09:00")
    with pytest.raises(ValueError):
        rule_from_dict({"kind": "cron"})


def test_texts():
    assert BULLETIN.summary == "Mon 09:00 or next working day (CN)"
    assert "顺延" in BULLETIN.description and "Monday" not in BULLETIN.summary
    assert "第3个工作日" in NthWorkingDayRule(3, "09:00").description
    assert NthWorkingDayRule(3, "09:00").summary == "3rd working day of the month, 09:00 (CN)"
    assert "Wed 10:00, Fri 15:00" in REMINDER.summary


def test_moved_listing_2021():
    from gxq.cadences import moved_runs

    lines = moved_runs(2021)
    text = "\n".join(lines)
    assert "2021-02-15 Mon 09:00 -> 2021-02-18 Thu 09:00  covers 2021-W06" in text
    assert "2021-10-04 Mon 09:00 -> 2021-10-08 Fri 09:00  covers 2021-W39" in text
    assert "2021-05-05 Wed 09:00 -> 2021-05-08 Sat 09:00  covers 2021-04" in text  # make-up Saturday
    assert "2021-02-17 Wed 10:00 -> 2021-02-18 Thu 10:00  covers 2021-W07" in text
    assert "skipped 2021-10-06 Wed 10:00" in text and "has the week's later reminder" in text
    assert "skipped 2021-02-12 Fri 15:00" in text and "no working day left" in text
    assert lines[0].startswith("petition_weekly_bulletin") and "52 runs, 6 moved" in lines[0]
