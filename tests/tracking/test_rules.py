"""The 序时进度 rules of plan_task_tracking at their boundaries (plain functions, no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from gxq.tracking import rules
from gxq.tracking.rules import Book, Milestone, Report, Target, TaskData

D = dt.date
JAN_1, DEC_31 = D(2021, 1, 1), D(2021, 12, 31)


def target(tid="T01", curve="linear", value=365, start=JAN_1, due=DEC_31, unit="U01"):
    return Target(tid, "实事一", f"任务{tid}", unit, "场", value, start, due, curve)


def month(book: Book, y: int, m: int) -> rules.MonthResult:
    import calendar

    return book.month(D(y, m, 1), D(y, m, calendar.monthrange(y, m)[1]))


def only(result: rules.MonthResult) -> rules.TargetResult:
    assert len(result.results) == 1, result.problems
    return result.results[0]


def test_days_count_both_ends():
    assert rules.days(D(2021, 1, 1), D(2021, 1, 1)) == 1
    assert rules.days(D(2021, 1, 1), D(2021, 12, 31)) == 365
    assert rules.days(D(2021, 2, 1), D(2021, 2, 28)) == 28  # 2021 is not a leap year


def test_linear_expected_first_and_last_day_and_month_ends():
    t = target(value=365)
    assert rules.expected_value(t, [], D(2021, 1, 1)) == 1.0  # the first day counts
    assert rules.expected_value(t, [], D(2021, 1, 31)) == 31.0
    assert rules.expected_value(t, [], D(2021, 2, 28)) == 59.0
    assert rules.expected_value(t, [], D(2021, 12, 31)) == 365.0  # the last day: all of it
    assert rules.expected_value(t, [], D(2022, 3, 31)) == 365.0  # capped at 1
    assert rules.expected_value(target(value=50), [], D(2021, 6, 30)) == round(50 * 181 / 365, 2) == 24.79
    assert rules.expected_value(target(value=1, start=D(2021, 3, 31), due=D(2021, 3, 31)), [], D(2021, 3, 31)) == 1


def test_milestones_expected_on_as_of_and_before_the_first():
    t = target(curve="milestones", value=3, due=D(2021, 9, 30))
    ms = [Milestone("T01", D(2021, 3, 31), 1), Milestone("T01", D(2021, 6, 30), 2), Milestone("T01", D(2021, 9, 30), 3)]
    assert rules.expected_value(t, ms, D(2021, 3, 30)) == 0
    assert rules.expected_value(t, ms, D(2021, 3, 31)) == 1  # a milestone on as_of is due
    assert rules.expected_value(t, ms, D(2021, 6, 29)) == 1
    assert rules.expected_value(t, ms, D(2021, 12, 31)) == 3


def test_once_expected():
    t = target(curve="once", value=1, due=D(2021, 7, 31))
    assert rules.expected_value(t, [], D(2021, 7, 30)) == 0
    assert rules.expected_value(t, [], D(2021, 7, 31)) == 1


def test_same_day_reports_take_the_larger_and_reports_after_as_of_do_not_count():
    t = target(value=365)
    reports = [Report("T01", D(2021, 3, 31), 80), Report("T01", D(2021, 3, 31), 95), Report("T01", D(2021, 4, 1), 200)]
    r = only(month(Book(TaskData([t], [], reports)), 2021, 3))
    assert r.actual == 95 and r.expected == 90.0 and r.status == "on_track" and r.light == "green"


def test_report_on_the_months_last_day_is_in_the_month():
    t = target(value=365)
    r = only(month(Book(TaskData([t], [], [Report("T01", D(2021, 4, 30), 120)])), 2021, 4))
    assert r.status == "on_track" and r.actual == 120


def test_status_order_and_lights():
    base = target(value=365)
    book = lambda *reports, t=base: Book(TaskData([t], [], list(reports)))
    # completed beats everything, also after the deadline
    r = only(month(book(Report("T01", D(2021, 1, 5), 400)), 2022, 2))
    assert (r.status, r.light, r.at_risk) == ("completed", "green", False)
    # overdue: due_on <= as_of and not completed, even with a report in the month
    r = only(month(book(Report("T01", D(2021, 12, 20), 300)), 2021, 12))
    assert (r.status, r.light) == ("overdue", "red")
    # unreported: no report dated in M, even when last month's figure is ahead
    r = only(month(book(Report("T01", D(2021, 2, 28), 200)), 2021, 3))
    assert (r.status, r.light, r.actual) == ("unreported", "red", 200)
    # behind: yellow at exactly 0.8 × expected, red just below
    r = only(month(book(Report("T01", D(2021, 1, 20), 24.8)), 2021, 1))  # expected 31
    assert (r.status, r.light) == ("behind", "yellow")
    r = only(month(book(Report("T01", D(2021, 1, 20), 24.79)), 2021, 1))
    assert (r.status, r.light) == ("behind", "red")
    # on_track at exactly expected (the rounded one)
    r = only(month(book(Report("T01", D(2021, 1, 20), 31)), 2021, 1))
    assert (r.status, r.light) == ("on_track", "green")


def test_expected_zero_is_on_track_and_not_red():
    t = target(curve="once", value=1, due=D(2021, 7, 31))
    r = only(month(Book(TaskData([t], [], [Report("T01", D(2021, 5, 10), 0)])), 2021, 5))
    assert (r.expected, r.status, r.light, r.at_risk) == (0, "on_track", "green", False)
    m = target(curve="milestones", value=3, due=D(2021, 9, 30))
    r = only(month(Book(TaskData([m], [Milestone("T01", D(2021, 3, 31), 1)], [Report("T01", D(2021, 2, 3), 0)])),
                   2021, 2))
    assert (r.expected, r.status, r.at_risk) == (0, "on_track", False)


def test_comparison_uses_the_rounded_expected():
    # 100 × 31/365 = 8.4931… → 8.49: an actual of 8.49 is on track against the rounded figure
    t = target(value=100)
    r = only(month(Book(TaskData([t], [], [Report("T01", D(2021, 1, 31), 8.49)])), 2021, 1))
    assert r.expected == 8.49 and r.status == "on_track"


def test_at_risk_run_rate():
    t = target(value=365)
    # 30 by 01-31: 30 × 365 / 31 = 353.2 < 365: at risk though yellow
    r = only(month(Book(TaskData([t], [], [Report("T01", D(2021, 1, 31), 30)])), 2021, 1))
    assert r.status == "behind" and r.at_risk is True and r.forecast == round(30 * 365 / 31, 2)
    # exactly on pace: 31 × 365 / 31 = 365, not below: not at risk
    r = only(month(Book(TaskData([t], [], [Report("T01", D(2021, 1, 31), 31)])), 2021, 1))
    assert r.status == "on_track" and r.at_risk is False
    # only linear targets are at risk
    m = target(curve="milestones", value=3)
    r = only(month(Book(TaskData([m], [Milestone("T01", D(2021, 3, 31), 1)], [Report("T01", D(2021, 3, 5), 0)])),
                   2021, 3))
    assert r.status == "behind" and r.at_risk is False


def test_not_started_appears_nowhere():
    t = target(start=D(2021, 4, 1))
    result = month(Book(TaskData([t], [], [])), 2021, 3)
    assert result.results == [] and result.problems == []
    assert only(month(Book(TaskData([t], [], [])), 2021, 4)).status == "unreported"


def test_escalated_needs_red_in_both_months_and_reminders_units():
    a, b, c = target("T01"), target("T02", unit="U02"), target("T03", unit="U03", start=D(2021, 3, 1))
    reports = [Report("T01", D(2021, 2, 10), 1), Report("T01", D(2021, 3, 10), 2),  # red, red
               Report("T02", D(2021, 3, 10), 90)]  # unreported in Feb (red), green in March
    book = Book(TaskData([a, b, c], [], reports))
    report = rules.contract_report("2021-03", month(book, 2021, 3), month(book, 2021, 2))
    assert report["escalated"] == ["T01"]  # T03 red in March but not started in February
    assert report["reminders"] == ["U01", "U03"]
    assert report["counts"] == {"green": 1, "yellow": 0, "red": 2}
    assert report["units"] == [{"unit": "U01", "green": 0, "yellow": 0, "red": 1},
                               {"unit": "U02", "green": 1, "yellow": 0, "red": 0},
                               {"unit": "U03", "green": 0, "yellow": 0, "red": 1}]


@pytest.mark.parametrize(("tweak", "kind"), [
    ({"curve": "weekly"}, "unknown_curve"),
    ({"curve": None}, "unknown_curve"),
    ({"value": 0}, "bad_target_value"),
    ({"value": -5}, "bad_target_value"),
    ({"due": D(2020, 12, 31)}, "bad_dates"),
    ({"curve": "milestones"}, "milestones_missing"),
])
def test_definition_problems_leave_the_target_out(tweak, kind):
    bad = target("T02", **tweak)
    good = target("T01")
    result = month(Book(TaskData([good, bad], [], [Report("T01", D(2021, 3, 3), 100)])), 2021, 3)
    assert [r.target.target_id for r in result.results] == ["T01"]
    assert [(p["kind"], p["subject"]) for p in result.problems] == [(kind, "T02")]


def test_unknown_target_report_and_decreasing_cumulative():
    t1, t2 = target("T01"), target("T02")
    reports = [Report("T01", D(2021, 2, 5), 50), Report("T01", D(2021, 3, 5), 40),  # goes down
               Report("T02", D(2021, 3, 5), 80), Report("T99", D(2021, 3, 6), 1)]
    book = Book(TaskData([t1, t2], [], reports))
    result = month(book, 2021, 3)
    assert [r.target.target_id for r in result.results] == ["T02"]
    assert [(p["kind"], p["subject"]) for p in result.problems] == [("cumulative_decreased", "T01"),
                                                                    ("unknown_target", "T99")]
    # in February, before the drop and the unknown report, T01 is fine
    feb = month(book, 2021, 2)
    assert [r.target.target_id for r in feb.results] == ["T01", "T02"] and feb.problems == []
