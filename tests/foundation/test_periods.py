import datetime as dt

import pytest
from gxq import periods
from gxq.periods import PeriodError


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_bulletin_week_of_contract_example():
    p = periods.previous_week(dt.datetime(2021, 3, 8, 9, tzinfo=periods.TZ))
    assert (p.key, p.first_day, p.last_day) == ("2021-W09", dt.date(2021, 3, 1), dt.date(2021, 3, 7))
    assert p.start == dt.datetime(2021, 3, 1) and p.end == dt.datetime(2021, 3, 8)


@pytest.mark.parametrize(
    "when, key",
    [
        # Sunday 16:00 UTC is Monday 00:00 in Shanghai: the week before is W09.
        (utc(2021, 3, 7, 16, 0), "2021-W09"),
        # Sunday 15:59 UTC is still Sunday in Shanghai: the week before is W08.
        (utc(2021, 3, 7, 15, 59), "2021-W08"),
        (utc(2021, 3, 7, 23, 59), "2021-W09"),
    ],
)
def test_utc_boundary_sunday_evening_is_monday_in_shanghai(when, key):
    assert periods.previous_week(when).key == key


def test_naive_datetime_is_utc():
    assert periods.previous_week(dt.datetime(2021, 3, 7, 16)).key == "2021-W09"


def test_year_end_and_iso_week_53():
    # 2021-01-04 (Mon) -> previous week is 2020-W53 (Dec 28 .. Jan 3).
    p = periods.previous_week(dt.datetime(2021, 1, 4, 9, tzinfo=periods.TZ))
    assert p.key == "2020-W53" and p.first_day == dt.date(2020, 12, 28) and p.last_day == dt.date(2021, 1, 3)
    assert periods.parse_key("2020-W53").start == dt.datetime(2020, 12, 28)
    with pytest.raises(PeriodError, match="no week 53"):
        periods.parse_key("2021-W53")
    # 2022-01-03 is Monday of 2022-W01; previous is 2021-W52.
    assert periods.previous_week(dt.datetime(2022, 1, 3, 9, tzinfo=periods.TZ)).key == "2021-W52"


def test_month_and_quarter_boundaries():
    jan1_local = utc(2020, 12, 31, 16, 30)  # 2021-01-01 00:30 in Shanghai
    assert periods.previous_month(jan1_local).key == "2020-12"
    assert periods.previous_quarter(jan1_local).key == "2020-Q4"
    assert periods.previous_month(utc(2020, 12, 31, 15, 59)).key == "2020-11"
    q = periods.previous_quarter(dt.datetime(2021, 4, 10, 9, tzinfo=periods.TZ))
    assert (q.key, q.start, q.end) == ("2021-Q1", dt.datetime(2021, 1, 1), dt.datetime(2021, 4, 1))
    assert [m.key for m in q.months()] == ["2021-01", "2021-02", "2021-03"]
    dec = periods.parse_key("2021-12")
    assert dec.end == dt.datetime(2022, 1, 1) and dec.last_day == dt.date(2021, 12, 31)
    q4 = periods.parse_key("2021-Q4")
    assert q4.end == dt.datetime(2022, 1, 1) and q4.previous().key == "2021-Q3" and q4.next().key == "2022-Q1"


def test_publicity_week_so_far():
    week, as_of = periods.week_so_far(utc(2021, 3, 3, 2, 0))  # Wed 10:00 Shanghai
    assert week.key == "2021-W09" and as_of == dt.datetime(2021, 3, 3, 10, 0)


@pytest.mark.parametrize(
    "bad",
    ["2021-W9", "2021-13", "2021-Q5", "", "2021-W09'; DROP TABLE petitions; --", "W09", "2021-00", " 2021-03x"],
)
def test_bad_keys_rejected_with_clear_message(bad):
    with pytest.raises(PeriodError, match="period|week|month"):
        periods.parse_key(bad)


def test_kinds_restrict_keys():
    with pytest.raises(PeriodError, match="week key"):
        periods.parse_key("2021-03", kinds=("week",))
    assert periods.parse_key("2021-03", kinds=("month", "quarter")).kind == "month"
