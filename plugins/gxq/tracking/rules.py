"""任务清单 督查: 序时进度 rules of ``plan_task_tracking`` as plain functions.

For a month M, ``as_of`` is M's last day; every comparison is "on or before as_of". A target
appears when ``start_on <= as_of``. Per target:

- ``actual`` 实际完成: the value_cumulative of its latest report with reported_on <= as_of (several
  the same day: the larger value); None without one;
- ``expected`` 序时进度, rounded to 2 decimals (:func:`expected_value`);
- ``status`` (:func:`status_of`): the first of completed, overdue, unreported, on_track, behind;
- ``light`` (:func:`light_of`) and ``at_risk`` (:func:`at_risk`, the run-rate forecast).

``days(a, b)`` counts both ends (b − a + 1 calendar days). Comparisons with ``expected`` use it as
rounded, as the report shows it. Rounding is Python's ``round()``.

Bad input (数据问题) is never a crash and never silently dropped: a target with an unknown curve,
a target_value <= 0, a due_on before start_on (or a missing date), a ``milestones`` target without
milestones (each listed whether or not the target has started), or a cumulative report that goes
down (reports up to as_of) is left out of the month and listed in ``data_problems``; so is a report or milestone naming a target that does not exist.
A report or milestone without a usable date (NULL, or on SQLite text that is no date, e.g. ``2021-06-0x``) counts
nowhere and is listed (``undated_report``, ``undated_milestone``); its target goes on with its dated rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

CURVES = ("linear", "milestones", "once")
STATUSES = ("completed", "overdue", "unreported", "on_track", "behind")
LIGHTS = ("green", "yellow", "red")
STATUS_LABELS = {"completed": "已完成", "overdue": "逾期未完成", "unreported": "未报送", "on_track": "序时推进",
                 "behind": "滞后序时进度"}
LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
YELLOW_SHARE = 0.8  # behind, but actual >= 0.8 × expected: yellow

PROBLEM_LABELS = {
    "unknown_curve": "进度曲线类型无法识别(应为 linear / milestones / once)",
    "bad_target_value": "目标值缺失或不大于0",
    "bad_dates": "起止日期缺失或截止日期早于开始日期",
    "milestones_missing": "按节点考核的任务未登记节点",
    "missing_unit": "未明确责任单位",
    "unknown_target": "进度报送所指任务不在任务清单中",
    "milestone_unknown_target": "节点所指任务不在任务清单中或不按节点考核",
    "cumulative_decreased": "累计完成值比此前报送的减少",
    "undated_report": "进度报送日期缺失或不是有效日期(该条报送不计)",
    "undated_milestone": "考核节点日期缺失或不是有效日期(该节点不计)",
}


@dataclass(frozen=True)
class Target:
    target_id: str
    item: str | None
    title: str | None
    unit: str | None
    measure: str | None
    target_value: float
    start_on: dt.date | None
    due_on: dt.date | None
    curve: str | None


@dataclass(frozen=True)
class Milestone:
    target_id: str
    due_on: dt.date | None
    value: float


@dataclass(frozen=True)
class Report:
    target_id: str
    reported_on: dt.date | None
    value: float
    note: str | None = None


@dataclass
class TaskData:
    """The department's rows, as read (see :mod:`gxq.tracking.source`)."""

    targets: list[Target]
    milestones: list[Milestone] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)


def days(a: dt.date, b: dt.date) -> int:
    """Calendar days from a to b counting both ends."""
    return (b - a).days + 1


def expected_value(target: Target, milestones: list[Milestone], as_of: dt.date) -> float:
    """序时进度 as of ``as_of``, rounded to 2 decimals."""
    if target.curve == "linear":
        share = min(1, days(target.start_on, as_of) / days(target.start_on, target.due_on))
        return round(target.target_value * share, 2)
    if target.curve == "milestones":
        due = [m for m in milestones if m.due_on is not None and m.due_on <= as_of]
        if not due:
            return 0.0
        latest = max(due, key=lambda m: (m.due_on, m.value))
        return round(latest.value, 2)
    if target.curve == "once":
        return round(target.target_value, 2) if target.due_on <= as_of else 0.0
    raise ValueError(f"unknown curve {target.curve!r}")


def latest_report(reports: list[Report], as_of: dt.date) -> Report | None:
    """The latest report on or before as_of; the same day, the larger value."""
    usable = [r for r in reports if r.reported_on is not None and r.reported_on <= as_of]
    return max(usable, key=lambda r: (r.reported_on, r.value)) if usable else None


def status_of(target: Target, actual: float | None, expected: float, reported_in_month: bool,
              as_of: dt.date) -> str:
    if actual is not None and actual >= target.target_value:
        return "completed"
    if target.due_on <= as_of:
        return "overdue"
    if not reported_in_month:
        return "unreported"
    if expected == 0 or (actual is not None and actual >= expected):
        return "on_track"
    return "behind"


def light_of(status: str, actual: float | None, expected: float) -> str:
    if status in ("completed", "on_track"):
        return "green"
    if status == "behind":
        return "yellow" if actual is not None and actual >= YELLOW_SHARE * expected else "red"
    return "red"  # overdue, unreported


def forecast(target: Target, actual: float | None, as_of: dt.date) -> float | None:
    """Run-rate forecast for the deadline: actual × days(start → due) / days(start → as_of)."""
    if target.curve != "linear" or actual is None or as_of >= target.due_on:
        return None
    return actual * days(target.start_on, target.due_on) / days(target.start_on, as_of)


def at_risk(target: Target, status: str, actual: float | None, as_of: dt.date) -> bool:
    """Linear targets on_track or behind whose run rate falls short of target_value by due_on."""
    if target.curve != "linear" or status not in ("on_track", "behind"):
        return False
    projected = forecast(target, actual, as_of)
    return projected is not None and projected < target.target_value


# --- data problems -------------------------------------------------------------------------


def _problem(kind: str, subject: str, detail: str) -> dict:
    return {"kind": kind, "subject": subject, "label": PROBLEM_LABELS[kind], "detail": detail}


def definition_problem(target: Target, milestones: list[Milestone]) -> dict | None:
    """What is wrong with a target's row (or its milestones), checked in this order."""
    tid = target.target_id
    if target.curve not in CURVES:
        return _problem("unknown_curve", tid, f"curve={target.curve!r}")
    if target.target_value is None or target.target_value <= 0:
        return _problem("bad_target_value", tid, f"target_value={target.target_value!r}")
    if target.start_on is None or target.due_on is None or target.due_on < target.start_on:
        return _problem("bad_dates", tid, f"start_on={target.start_on}, due_on={target.due_on}")
    if target.curve == "milestones" and not [m for m in milestones if m.due_on is not None]:
        return _problem("milestones_missing", tid, "plan_milestones has no row for this target")
    if not target.unit:
        return _problem("missing_unit", tid, "unit_code is empty")
    return None


def decrease_problem(target_id: str, reports: list[Report], as_of: dt.date) -> dict | None:
    """The first report (up to as_of) whose cumulative value is below an earlier day's value."""
    usable = sorted((r for r in reports if r.reported_on is not None and r.reported_on <= as_of),
                    key=lambda r: (r.reported_on, r.value))
    best: Report | None = None
    for r in usable:
        if best is not None and r.reported_on > best.reported_on and r.value < best.value:
            return _problem("cumulative_decreased", target_id,
                            f"{best.reported_on} {best.value:g} -> {r.reported_on} {r.value:g}")
        if best is None or r.value >= best.value:
            best = r
    return None


# --- one month ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult:
    target: Target
    expected: float
    actual: float | None
    reported_on: dt.date | None
    status: str
    light: str
    at_risk: bool
    forecast: float | None

    def contract(self) -> dict:
        return {"target_id": self.target.target_id, "unit": self.target.unit, "expected": self.expected,
                "actual": self.actual, "status": self.status, "light": self.light, "at_risk": self.at_risk}


@dataclass
class MonthResult:
    as_of: dt.date
    results: list[TargetResult]
    problems: list[dict]

    def lights(self) -> dict[str, str]:
        return {r.target.target_id: r.light for r in self.results}


class Book:
    """The department rows grouped by target once; :meth:`month` evaluates any month from them."""

    def __init__(self, data: TaskData):
        self.targets = sorted(data.targets, key=lambda t: t.target_id)
        self.by_id = {t.target_id: t for t in self.targets}
        self.milestones: dict[str, list[Milestone]] = defaultdict(list)
        self.orphan_milestones: list[Milestone] = []
        for m in data.milestones:
            target = self.by_id.get(m.target_id)
            if target is None or target.curve != "milestones":
                self.orphan_milestones.append(m)
            else:
                self.milestones[m.target_id].append(m)
        self.reports: dict[str, list[Report]] = defaultdict(list)
        self.orphan_reports: list[Report] = []
        for r in data.reports:
            (self.reports[r.target_id] if r.target_id in self.by_id else self.orphan_reports).append(r)

    def month(self, first_day: dt.date, as_of: dt.date) -> MonthResult:
        problems: list[dict] = []
        results: list[TargetResult] = []
        for target in self.targets:
            milestones = self.milestones.get(target.target_id, [])
            reports = self.reports.get(target.target_id, [])
            # a bad definition is listed whether or not the target has started: it needs fixing
            # a report or milestone without a usable date (NULL, or SQLite text that is no date)
            # counts nowhere; it is listed, and the target goes on with its dated rows
            problems.extend(_problem("undated_report", target.target_id, f"value_cumulative={r.value:g}")
                            for r in reports if r.reported_on is None)
            problems.extend(_problem("undated_milestone", target.target_id, f"value={m.value:g}")
                            for m in milestones if m.due_on is None)
            problem = definition_problem(target, milestones)
            if problem is None:
                if target.start_on > as_of:
                    continue  # not started: appears nowhere
                problem = decrease_problem(target.target_id, reports, as_of)
            if problem is not None:
                problems.append(problem)
                continue
            expected = expected_value(target, milestones, as_of)
            latest = latest_report(reports, as_of)
            actual = latest.value if latest else None
            in_month = any(r.reported_on is not None and first_day <= r.reported_on <= as_of for r in reports)
            status = status_of(target, actual, expected, in_month, as_of)
            projected = forecast(target, actual, as_of) if status in ("on_track", "behind") else None
            results.append(TargetResult(
                target=target, expected=expected, actual=actual, reported_on=latest.reported_on if latest else None,
                status=status, light=light_of(status, actual, expected),
                at_risk=at_risk(target, status, actual, as_of),
                forecast=None if projected is None else round(projected, 2),
            ))
        for r in sorted(self.orphan_reports, key=lambda r: (r.target_id, str(r.reported_on))):
            if r.reported_on is None or r.reported_on <= as_of:
                problems.append(_problem("unknown_target", r.target_id, f"reported_on={r.reported_on}, "
                                         f"value_cumulative={r.value:g}"))
        for m in sorted(self.orphan_milestones, key=lambda m: (m.target_id, str(m.due_on))):
            problems.append(_problem("milestone_unknown_target", m.target_id, f"due_on={m.due_on}, value={m.value:g}"))
        problems.sort(key=lambda p: (p["subject"], p["kind"], p["detail"]))
        return MonthResult(as_of=as_of, results=results, problems=problems)


def count_lights(results) -> dict[str, int]:
    counts = dict.fromkeys(LIGHTS, 0)
    for r in results:
        counts[r.light] += 1
    return counts


def contract_report(period_key: str, current: MonthResult, previous: MonthResult) -> dict:
    """The contract keys of the report: targets, counts, units, reminders, escalated."""
    by_unit: dict[str, list[TargetResult]] = defaultdict(list)
    for r in current.results:
        by_unit[r.target.unit].append(r)
    red_before = {tid for tid, light in previous.lights().items() if light == "red"}
    return {
        "period": period_key,
        "as_of": current.as_of.isoformat(),
        "targets": [r.contract() for r in current.results],
        "counts": count_lights(current.results),
        "units": [{"unit": unit, **count_lights(rows)} for unit, rows in sorted(by_unit.items())],
        "reminders": sorted(unit for unit, rows in by_unit.items() if any(r.light != "green" for r in rows)),
        "escalated": sorted(r.target.target_id for r in current.results if r.light == "red" and
                            r.target.target_id in red_before),
    }
