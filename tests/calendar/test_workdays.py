"""The statutory working calendar: holidays, 调休 make-up days, years beyond the package."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from gxq.calendar import workdays

D = dt.date


@pytest.mark.parametrize("day", [D(2021, 2, 11) + dt.timedelta(days=i) for i in range(7)])
def test_spring_festival_2021_is_a_holiday(day):
    assert not workdays.is_working_day(day)


@pytest.mark.parametrize("day", [D(2021, 2, 7), D(2021, 2, 20), D(2021, 9, 26), D(2021, 10, 9)])
def test_make_up_working_days_2021_count(day):
    assert day.weekday() >= 5  # a weekend day ...
    assert workdays.is_working_day(day)  # ... worked (调休上班)


@pytest.mark.parametrize("day", [D(2021, 10, 1) + dt.timedelta(days=i) for i in range(7)])
def test_national_day_week_2021(day):
    assert not workdays.is_working_day(day)


@pytest.mark.parametrize("day", [D(2021, 4, 5), D(2021, 5, 3), D(2021, 6, 14), D(2021, 9, 20)])
def test_monday_holidays_2021(day):
    assert day.weekday() == 0
    assert not workdays.is_working_day(day)
    assert workdays.holiday_name(day)


def test_plain_weekdays_are_working_days_in_2021():
    assert workdays.is_working_day(D(2021, 3, 1))
    assert not workdays.is_working_day(D(2021, 3, 6))
    assert workdays.next_working_day(D(2021, 2, 11)) == D(2021, 2, 18)
    assert workdays.next_working_day(D(2021, 2, 18), include=False) == D(2021, 2, 19)
    assert workdays.next_working_day(D(2021, 2, 19), include=False) == D(2021, 2, 20)  # Saturday worked


def test_2026_spring_festival_and_national_day():
    # 2026 春节 2-15..2-23, make-up Saturday 2-14 and Saturday 2-28; 国庆 10-1..10-7
    assert not workdays.is_working_day(D(2026, 2, 16))
    assert not workdays.is_working_day(D(2026, 2, 23))
    assert workdays.is_working_day(D(2026, 2, 14))
    assert workdays.is_working_day(D(2026, 2, 28))
    assert not any(workdays.is_working_day(D(2026, 10, d)) for d in range(1, 8))


def test_working_days_and_nth():
    feb = workdays.working_days(D(2021, 2, 1), D(2021, 3, 1))
    # 20 weekdays, minus 5 holiday weekdays (11, 12, 15, 16, 17), plus 2 make-up days (7, 20)
    assert len(feb) == 20 - 5 + 2
    assert D(2021, 2, 7) in feb and D(2021, 2, 20) in feb
    assert workdays.nth_working_day(D(2021, 2, 1), D(2021, 3, 1), 5) == D(2021, 2, 5)
    assert workdays.nth_working_day(D(2021, 2, 1), D(2021, 3, 1), 6) == D(2021, 2, 7)
    assert workdays.nth_working_day(D(2021, 2, 1), D(2021, 3, 1), 40) is None
    assert workdays.nth_working_day(D(2021, 2, 1), D(2021, 3, 1), 6, plain=True) == D(2021, 2, 8)


def test_known_years_cover_2004_to_2026():
    first, last = workdays.known_years()
    assert first == 2004 and last >= 2026
    assert workdays.is_known_year(2021)
    assert not workdays.is_known_year(last + 1)


def test_unknown_year_falls_back_to_weekdays_with_a_warning(caplog, monkeypatch):
    last = workdays.known_years()[1]
    year = last + 1
    monkeypatch.setattr(workdays, "_warned_years", set())
    workdays._is_working_day.cache_clear()
    jan1 = D(year, 1, 1)  # New Year's Day: a holiday every year, but unknown here
    with caplog.at_level(logging.WARNING, logger="gxq.calendar.workdays"):
        assert workdays.is_working_day(jan1) == (jan1.weekday() < 5)
        assert workdays.is_working_day(jan1 + dt.timedelta(days=1)) == ((jan1 + dt.timedelta(days=1)).weekday() < 5)
    warnings = [r for r in caplog.records if str(year) in r.getMessage()]
    assert len(warnings) == 1  # once per year, not once per day
    assert "Monday-Friday" in warnings[0].getMessage()
    assert workdays.unknown_years_between(D(last, 6, 1), D(year, 2, 1)) == [year]
    workdays._is_working_day.cache_clear()
