"""The month's report of ``plan_task_tracking`` (任务清单 督查: 序时进度).

Contract keys (period, as_of, targets, counts, units, reminders, escalated) from
:func:`gxq.tracking.rules.contract_report`. Extra keys, for people and the 看板:

- ``target_details``: per listed target, its heading, title, measure, target, dates, curve, last
  report day, forecast (run rate, linear targets on track or behind) and last month's light;
  red targets also carry their burn-up points (expected at each month end, reported actuals);
- ``supervision``: the 督办 items open at the end of M or closed in it, with their history
  (:mod:`gxq.tracking.supervision`);
- ``trend``: counts by light for each month of M's year up to M;
- ``data_problems``: the targets left out and the rows that name no target, with the rule applied.

Nothing depends on the time of the run: a rerun on the same data gives the same report.
"""

from __future__ import annotations

import datetime as dt

from gxq.periods import Period, month_period
from gxq.tracking import rules, supervision
from gxq.tracking.rules import Book, TaskData
from gxq.tracking.source import load


def _months_back(month: Period, n: int) -> list[Period]:
    out = [month]
    for _ in range(n):
        out.append(out[-1].previous())
    return list(reversed(out))


def evaluate_month(book: Book, month: Period) -> rules.MonthResult:
    return book.month(month.first_day, month.last_day)


def burn_up(book: Book, target: rules.Target, as_of: dt.date) -> dict:
    """Expected (序时进度) at each month end from the start to the deadline, and the reports so far."""
    points = []
    day = target.start_on
    months = []
    while day <= target.due_on:
        last = month_period(day.year, day.month).last_day
        months.append(min(last, target.due_on))
        day = last + dt.timedelta(days=1)
    milestones = book.milestones.get(target.target_id, [])
    points = [[d.isoformat(), rules.expected_value(target, milestones, d)] for d in months]
    reports = sorted((r for r in book.reports.get(target.target_id, [])
                      if r.reported_on is not None and r.reported_on <= as_of), key=lambda r: (r.reported_on, r.value))
    actual: dict[str, float] = {}
    for r in reports:
        actual[r.reported_on.isoformat()] = max(r.value, actual.get(r.reported_on.isoformat(), r.value))
    return {"start_on": target.start_on.isoformat(), "expected": points,
            "reported": [[d, v] for d, v in sorted(actual.items())]}


def build_report(month: Period, data: TaskData) -> dict:
    book = Book(data)
    history = [(m, evaluate_month(book, m)) for m in _months_back(month, supervision.LOOKBACK_MONTHS)]
    current, previous = history[-1][1], history[-2][1]
    report = rules.contract_report(month.key, current, previous)
    before = previous.lights()
    details = []
    for r in current.results:
        t = r.target
        d = {
            "target_id": t.target_id, "item": t.item, "title": t.title, "unit": t.unit, "measure": t.measure,
            "target_value": t.target_value, "start_on": t.start_on.isoformat(), "due_on": t.due_on.isoformat(),
            "curve": t.curve, "expected": r.expected, "actual": r.actual,
            "reported_on": r.reported_on.isoformat() if r.reported_on else None,
            "status": r.status, "status_label": rules.STATUS_LABELS[r.status], "light": r.light,
            "light_label": rules.LIGHT_LABELS[r.light], "at_risk": r.at_risk, "forecast": r.forecast,
            "previous_light": before.get(t.target_id),
        }
        if r.light == "red":
            d["burn_up"] = burn_up(book, t, current.as_of)
        details.append(d)
    months = [(m.key, {r.target.target_id: {"light": r.light, "status": r.status, "expected": r.expected,
                                            "actual": r.actual, "unit": r.target.unit} for r in result.results})
              for m, result in history]
    report.update({
        "target_details": details,
        "supervision": supervision.items_as_of(months),
        "trend": [{"period": m.key, **rules.count_lights(result.results)} for m, result in history
                  if m.year == month.year],
        "data_problems": current.problems,
    })
    return report


def evaluate(month: Period, engine=None) -> dict:
    """Read ``dept_supervision`` and build the month's report."""
    return build_report(month, load(engine))
