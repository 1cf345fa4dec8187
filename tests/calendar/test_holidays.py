"""The office's holiday file (include/calendar/holidays.yaml): validated when read, used for the
years chinesecalendar does not know, and checked against the package for the years it does."""

from __future__ import annotations

import datetime as dt
import logging
import textwrap

import pytest
from gxq.calendar import holidays, workdays
from gxq.calendar.holidays import HolidayFileError

D = dt.date

# A made-up year beyond any package release: the tests never use a real year they would invent.
FAR = 2091
FULL = """\
years:
  {year}:
    notice: 测试通知
    holidays:
      - {{name: 元旦, from: {year}-01-01, to: {year}-01-01}}
      - {{name: 春节, from: {year}-02-05, to: {year}-02-11}}
      - {{name: 清明节, from: {year}-04-05, to: {year}-04-05}}
      - {{name: 劳动节, from: {year}-05-01, to: {year}-05-03}}
      - {{name: 端午节, from: {year}-06-05, to: {year}-06-05}}
      - {{name: 中秋节, from: {year}-09-15, to: {year}-09-15}}
      - {{name: 国庆节, from: {year}-10-01, to: {year}-10-07}}
    working_days:
{working}
"""


def _saturday(year: int, after: D) -> D:
    day = after
    while day.weekday() != 5:
        day += dt.timedelta(days=1)
    return day


def write(tmp_path, text: str):
    path = tmp_path / "holidays.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def full_year(year: int = FAR, working: list[str] | None = None) -> str:
    if working is None:
        sat = _saturday(year, D(year, 2, 12))
        working = [f"      - {{date: {sat}, for: 春节}}"]
    return FULL.format(year=year, working="\n".join(working) or "      []")


@pytest.fixture
def office_file(tmp_path, monkeypatch):
    """Point the lookup at a file of the test's own; the real one again afterwards."""

    def use(text: str):
        path = write(tmp_path, text)
        monkeypatch.setenv("GXQ_HOLIDAYS_FILE", str(path))
        workdays.reload()
        return path

    yield use
    monkeypatch.delenv("GXQ_HOLIDAYS_FILE", raising=False)
    workdays.reload()


# --- the shipped file ---------------------------------------------------------------------------


def test_the_shipped_file_is_valid_and_agrees_with_chinesecalendar():
    years = holidays.load()
    assert {2025, 2026} <= set(years)
    both = [y for y in years if workdays.in_package(y)]
    assert both, "no year in both: nothing would be checked"
    assert holidays.disagreements(years) == []


def test_2026_from_the_file_is_2026_of_the_package():
    entered = holidays.load()[2026]
    import chinese_calendar

    day = D(2026, 1, 1)
    while day.year == 2026:
        from_file = day in entered.working_days or (day.weekday() < 5 and day not in entered.holidays)
        assert from_file == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_disagreement_names_the_days(tmp_path):
    text = holidays.DEFAULT_PATH.read_text(encoding="utf-8")
    # 春节 2026 entered one day short, and a make-up Saturday forgotten
    text = text.replace("{name: 春节, from: 2026-02-15, to: 2026-02-23}", "{name: 春节, from: 2026-02-15, to: 2026-02-22}")
    text = text.replace("      - {date: 2026-02-28, for: 春节}\n", "")
    text = text.replace("{name: 劳动节, from: 2025-05-01, to: 2025-05-05}", "{name: 端午节, from: 2025-05-01, to: 2025-05-05}")
    text = text.replace("{name: 端午节, from: 2025-05-31, to: 2025-06-02}", "{name: 劳动节, from: 2025-05-31, to: 2025-06-02}")
    problems = holidays.disagreements(holidays.load(write(tmp_path, text)))
    joined = "\n".join(problems)
    assert "2026: holiday in chinesecalendar, not in the file: 2026-02-23 (Spring Festival)" in joined
    assert "2026: 调休 working day in chinesecalendar, not in the file: 2026-02-28" in joined
    assert "2025: holiday under another holiday than chinesecalendar's: 2025-05-01 (file 端午节" in joined
    assert len(problems) == 3, problems


# --- validation: a clear error naming the line ---------------------------------------------------


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("{year}-10-07}", "{year}-10-3x}"), 11, "bad date '2091-10-3x'"),
        (("{year}-06-05, to: {year}-06-05", "{year}-06-31, to: {year}-06-31"), 9, "no such day"),
        (("{name: 元旦, from: {year}-01-01", "{name: 元旦, from: 2090-12-31"), 5, "is not in 2091"),
        (("{name: 端午节", "{name: 端五节"), 9, "unknown holiday '端五节'"),
        (("{year}-04-05, to: {year}-04-05", "{year}-04-05, to: {year}-04-03"), 7, "ends (2091-04-03) before"),
        (("notice: 测试通知", "notice: 测试通知\n    holiday: []"), 4, "unknown key 'holiday'"),
    ],
)
def test_a_bad_entry_is_an_error_naming_its_line(tmp_path, change, line, message):
    old, new = (part.replace("{year}", str(FAR)) for part in change)
    text = full_year().replace(old, new)
    assert text != full_year(), "the change did not apply"
    with pytest.raises(HolidayFileError) as err:
        holidays.load(write(tmp_path, text))
    assert f"holidays.yaml:{line}:" in str(err.value), err.value
    assert message in str(err.value), err.value


def test_a_day_both_holiday_and_working_day(tmp_path):
    weekend = next(D(FAR, 10, d) for d in range(1, 8) if D(FAR, 10, d).weekday() >= 5)  # inside 国庆节
    text = full_year(working=[f"      - {{date: {weekend}, for: 国庆节}}"])
    with pytest.raises(HolidayFileError) as err:
        holidays.load(write(tmp_path, text))
    assert "holidays.yaml:13:" in str(err.value)
    assert f"{weekend} is both a holiday and a 调休 working day (it is a holiday on line 11)" in str(err.value)


def test_a_working_day_that_is_not_a_saturday(tmp_path):
    monday = D(FAR, 2, 12) + dt.timedelta(days=(7 - D(FAR, 2, 12).weekday()) % 7)
    with pytest.raises(HolidayFileError) as err:
        holidays.load(write(tmp_path, full_year(working=[f"      - {{date: {monday}, for: 春节}}"])))
    assert "holidays.yaml:13:" in str(err.value)
    assert f"调休 working day {monday} is a weekday (Monday)" in str(err.value)


def test_a_day_entered_twice_and_a_holiday_missing(tmp_path):
    text = full_year().replace(f"{{name: 清明节, from: {FAR}-04-05, to: {FAR}-04-05}}",
                               f"{{name: 清明节, from: {FAR}-02-11, to: {FAR}-02-11}}")
    with pytest.raises(HolidayFileError, match=r"holidays.yaml:7: 2091-02-11 entered twice as a holiday "
                                               r"\(also on line 6\)"):
        holidays.load(write(tmp_path, text))
    text = "\n".join(line for line in full_year().splitlines() if "中秋节" not in line)
    with pytest.raises(HolidayFileError, match=r"holidays.yaml:2: year 2091 lacks 中秋节"):
        holidays.load(write(tmp_path, text))


def test_a_year_heading_with_nothing_entered_is_not_known(tmp_path):
    assert holidays.load(write(tmp_path, "years:\n  2091:\n")) == {}


# --- the lookup ------------------------------------------------------------------------------------


def test_a_year_entered_in_the_file_is_used_where_the_package_knows_nothing(office_file, caplog):
    assert not workdays.in_package(FAR)
    new_year = D(FAR, 1, 1)
    assert workdays.is_working_day(new_year) == (new_year.weekday() < 5)  # unknown: plain weekdays
    assert FAR in workdays.unknown_years_between(D(FAR, 1, 1), D(FAR, 2, 1))

    office_file(full_year())
    sat = _saturday(FAR, D(FAR, 2, 12))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gxq.calendar.workdays"):
        assert workdays.is_known_year(FAR)
        assert not workdays.is_working_day(D(FAR, 2, 6))  # 春节
        assert not workdays.is_working_day(D(FAR, 10, 4))  # 国庆节
        assert workdays.is_working_day(sat)  # 调休上班
        assert workdays.holiday_name(D(FAR, 2, 6)) == "Spring Festival"
        assert workdays.next_working_day(D(FAR, 10, 1)) == D(FAR, 10, 8)
    assert not [r for r in caplog.records if str(FAR) in r.getMessage()], "no fallback warning for a known year"
    assert workdays.unknown_years_between(D(FAR, 1, 1), D(FAR, 2, 1)) == []
    assert "holidays.yaml (测试通知)" in workdays.source_of(FAR)


def test_coverage_still_warns_while_the_coming_year_is_in_neither(office_file):
    from gxq.notify import coverage

    last = workdays.known_years()[1]
    office_file("years:\n  2091:\n")
    assert coverage.unknown_ahead(D(last, 12, 6)) == [last + 1]
    # once the coming year is entered, no warning
    office_file(full_year(last + 1))
    assert coverage.unknown_ahead(D(last, 12, 6)) == []


def test_a_bad_file_fails_the_lookup_clearly(office_file):
    office_file(full_year().replace(f"{FAR}-10-07}}", f"{FAR}-10-3x}}"))
    with pytest.raises(HolidayFileError, match=r"holidays.yaml:11: bad date"):
        workdays.is_working_day(D(FAR, 3, 1))


def test_moved_names_where_the_year_comes_from(capsys):
    from gxq import cadences

    cadences.main(["moved", "2026"])
    assert capsys.readouterr().out.splitlines()[0].startswith("working calendar of 2026: chinesecalendar")
