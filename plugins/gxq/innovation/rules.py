"""The rules of 月评价 (monthly evaluation) as pure functions (docs/reference.md, innovation section).

- A project is *active* (在建/已启动) in month M when ``start_on`` ≤ the last day of M.
- 进度差 gap = plan_progress_pct − actual_progress_pct, ``round(…, 2)``; 红黄绿灯 from the rounded
  gap: 绿 green ≤ 10 < 黄 yellow ≤ 30 < 红 red; no row for M: 未报送 ``unreported``.
- 指标完成率 completion = value_ytd / (annual_target × m / 12), ``round(…, 4)``, not capped;
  an indicator without a value for M or with annual_target 0 is left out.
- 综合得分 composite = 100 × Σ weight × min(completion, 1.2) / Σ weight over the listed
  indicators, ``round(…, 2)``; ``None`` when none is listed.

Data problems (数据问题) never stop a run. Each is handled by the rule stated in
:data:`DATA_PROBLEM_RULES`, listed in the report's ``data_problems`` and sent to ``ops``:

- ``duplicate_month``: several rows for a project and month → the row with the latest
  ``reported_at`` counts (a row without ``reported_at`` is older than any dated row); on a tie the
  row with the larger gap counts (the less favourable report, so nothing is hidden).
- ``non_numeric_progress``: a progress value that is not a number → that row is discarded (an
  earlier row of the month may then count; none left: ``unreported``).
- ``missing_progress``: a NULL progress value → read as 0 (the contract's "NULL numeric means 0").
- ``progress_above_100`` / ``negative_progress``: the value is used as reported (the contract's gap
  formula is applied unchanged) and flagged.
- ``no_responsible_unit``: the project is evaluated and listed with ``responsible_unit`` null, it is
  in ``counts`` but in no ``units`` row; its notices go to the office (营商局).
- ``missing_start_on``: a project without ``start_on`` is not active (its start cannot be shown to
  be ≤ the month's end) and appears nowhere but here; ``bad_start_on`` the same for a start_on
  that is not a date (text on SQLite: ``2021-06-0x``, ``2021-02-30``).
- ``bad_reported_at``: a reported_at that is not a time → the row is read as undated.
- ``unknown_project`` / ``unknown_indicator``: monthly rows of a project or indicator that is not in
  the registry → ignored.
- ``duplicate_indicator_value``: several values of an indicator for a month → the largest counts
  (value_ytd is cumulative, higher is better).
- ``missing_indicator_value`` / ``non_numeric_indicator_value``: the indicator is left out for the month.
- ``negative_indicator_value``: used as reported and flagged.
- ``no_annual_target``: annual_target 0, NULL or not a number → the indicator is left out.
- ``bad_weight``: a weight that is NULL or not a number counts as 0; a negative one is used as is.
- ``zero_total_weight``: the listed indicators' weights sum to 0 → composite score null.

No Airflow import here: these functions run and test on their own.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from gxq.periods import Period

STATUSES = ("green", "yellow", "red", "unreported")
STATUS_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "unreported": "未报送"}
# Traffic-light thresholds on the progress gap in percentage points (红黄绿灯阈值).
GREEN_MAX_GAP = 10
YELLOW_MAX_GAP = 30
# Completion above this counts as this much in the composite score only (综合得分封顶).
COMPLETION_CAP = 1.2
# Severity of a light, for "up / down" comparisons between months.
SEVERITY = {"green": 0, "yellow": 1, "red": 2}

DATA_PROBLEM_RULES: dict[str, tuple[str, str, str]] = {
    # kind: (问题, 处理规则, rule)
    "duplicate_month": ("同一项目同月多次报送", "以最晚报送时间的记录为准（无报送时间的最旧；同时间取进度差较大者）",
                        "latest reported_at counts (undated rows oldest; tie: larger gap)"),
    "non_numeric_progress": ("进度值非数字", "该条记录作废", "row discarded"),
    "missing_progress": ("进度值为空", "按0计", "read as 0"),
    "progress_above_100": ("进度超过100%", "按报送值计算并提示", "used as reported"),
    "negative_progress": ("进度为负数", "按报送值计算并提示", "used as reported"),
    "no_responsible_unit": ("项目无责任单位", "照常评价，不计入单位统计，通知营商局",
                            "listed with unit null, in no unit row; notices to the office"),
    "missing_start_on": ("项目无启动日期", "视为未启动，不参与评价", "not active: appears nowhere else"),
    "bad_start_on": ("项目启动日期不是有效日期", "视为未启动，不参与评价", "not active: appears nowhere else"),
    "bad_reported_at": ("报送时间不是有效时间", "视为无报送时间（同月多条时最旧）", "read as undated (oldest of the month)"),
    "unknown_project": ("月报项目不在项目库", "忽略该记录", "rows ignored"),
    "unknown_indicator": ("指标值不在指标库", "忽略该记录", "rows ignored"),
    "duplicate_indicator_value": ("指标同月多个值", "取最大累计值", "largest value_ytd counts"),
    "missing_indicator_value": ("指标值为空", "该指标本月不参与计算", "indicator left out"),
    "non_numeric_indicator_value": ("指标值非数字", "该指标本月不参与计算", "indicator left out"),
    "negative_indicator_value": ("指标值为负数", "按报送值计算并提示", "used as reported"),
    "no_annual_target": ("指标年度目标为0或缺失", "该指标不参与计算", "indicator left out"),
    "bad_weight": ("指标权重缺失、非数字或为负", "缺失或非数字按0计，负数按原值计",
                   "NULL / non-numeric weight counts as 0; negative used as is"),
    "zero_total_weight": ("所列指标权重合计为0", "综合得分为空", "composite score null"),
}


# --- values --------------------------------------------------------------------------------------


def parse_number(value: Any) -> tuple[float | None, str]:
    """A department numeric value as ``(float, "ok")``, ``(None, "null")`` or ``(None, "non_numeric")``.

    SQLite may hand back text; PostgreSQL gives ``Decimal``. An empty string is NULL.
    """
    if value is None:
        return None, "null"
    if isinstance(value, bool):
        return None, "non_numeric"
    if isinstance(value, (int, float, decimal.Decimal)):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None, "null"
        try:
            number = float(text)
        except ValueError:
            return None, "non_numeric"
    if not math.isfinite(number):
        return None, "non_numeric"
    return number, "ok"


def _not_a_date(value: Any) -> str | None:
    """The stored text of a date column that holds something (not NULL, not '') that is no date."""
    if value is None or isinstance(value, dt.date):
        return None
    text = str(value).strip()
    return text if text and parse_date(text) is None else None


def parse_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_timestamp(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is None else value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("T", " ")[:26])
    except ValueError:
        return None


def clean_code(value: Any) -> str | None:
    """A code or unit: stripped text, ``None`` for NULL or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def progress_gap(plan: float, actual: float) -> float:
    """进度差: plan − actual in percentage points, rounded to 2 decimals."""
    return round(float(plan) - float(actual), 2)


def light(gap: float | None) -> str:
    """红黄绿灯 of a (rounded) gap; ``None`` means no report for the month."""
    if gap is None:
        return "unreported"
    if gap <= GREEN_MAX_GAP:
        return "green"
    if gap <= YELLOW_MAX_GAP:
        return "yellow"
    return "red"


def completion(value_ytd: float, annual_target: float, month_number: int) -> float:
    """指标完成率 against 序时进度 (the time-proportional target), 4 decimals, not capped."""
    return round(value_ytd / (annual_target * month_number / 12), 4)


def composite_score(listed: Iterable[tuple[float, float]]) -> float | None:
    """综合得分 from ``(weight, completion)`` pairs of the listed indicators; ``None`` when none
    is listed or their weights sum to 0."""
    pairs = list(listed)
    total_weight = sum(w for w, _ in pairs)
    if not pairs or total_weight == 0:
        return None
    return round(100 * sum(w * min(c, COMPLETION_CAP) for w, c in pairs) / total_weight, 2)


def stamp_text(value: dt.datetime) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM:SS`` (seconds truncated)."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


# --- inputs --------------------------------------------------------------------------------------


class Project(NamedTuple):
    project_id: str
    name: str | None
    responsible_unit: str | None
    start_on: dt.date | None
    start_on_text: str | None = None  # the stored start_on when it is not a date (bad_start_on)


class ProgressRow(NamedTuple):
    project_id: str | None
    month: str
    plan_progress_pct: Any
    actual_progress_pct: Any
    reported_at: Any


class Indicator(NamedTuple):
    indicator_code: str
    name: str | None
    weight: Any
    annual_target: Any


class IndicatorValue(NamedTuple):
    indicator_code: str | None
    month: str
    value_ytd: Any


def projects_from_tuples(rows: Iterable[tuple]) -> list[Project]:
    """``(project_id, name, responsible_unit, start_on)`` rows, sorted by project_id; rows without
    a project_id are dropped."""
    out = [Project(pid, clean_code(name), clean_code(unit), parse_date(start), _not_a_date(start))
           for raw, name, unit, start in rows if (pid := clean_code(raw))]
    return sorted(out, key=lambda p: p.project_id)


def progress_from_tuples(rows: Iterable[tuple]) -> list[ProgressRow]:
    """``(project_id, month, plan_progress_pct, actual_progress_pct, reported_at)`` rows: codes
    cleaned, month stripped, values as read (judged when a month is evaluated)."""
    return [ProgressRow(clean_code(pid), str(month or "").strip(), plan, actual, reported_at)
            for pid, month, plan, actual, reported_at in rows]


def indicators_from_tuples(rows: Iterable[tuple]) -> list[Indicator]:
    out = [Indicator(code, clean_code(name), weight, target)
           for raw, name, weight, target in rows if (code := clean_code(raw))]
    return sorted(out, key=lambda i: i.indicator_code)


def indicator_values_from_tuples(rows: Iterable[tuple]) -> list[IndicatorValue]:
    return [IndicatorValue(clean_code(code), str(month or "").strip(), value) for code, month, value in rows]


# --- data problems -------------------------------------------------------------------------------


@dataclass
class Problems:
    """Collects data problems; ``enabled=False`` for months evaluated only for comparison."""

    enabled: bool = True
    items: dict[tuple, dict] = field(default_factory=dict)

    def add(self, kind: str, month: str | None, subject: str | None, detail: str = "") -> None:
        if not self.enabled:
            return
        key = (kind, subject or "", month or "", detail)
        self.items[key] = {
            "kind": kind, "month": month, "subject": subject, "detail": detail,
            "label": DATA_PROBLEM_RULES[kind][0], "rule_zh": DATA_PROBLEM_RULES[kind][1],
            "rule": DATA_PROBLEM_RULES[kind][2],
        }

    def as_list(self) -> list[dict]:
        return [self.items[k] for k in sorted(self.items)]


def _fmt(value: Any) -> str:
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, dt.datetime):
        return stamp_text(value)
    return repr(value) if isinstance(value, str) else str(value)


# --- projects: one month -------------------------------------------------------------------------


class ProjectStatus(NamedTuple):
    project_id: str
    name: str | None
    responsible_unit: str | None
    status: str
    gap: float | None
    plan: float | None = None
    actual: float | None = None
    reported_at: str | None = None

    def contract_row(self) -> dict:
        return {"project_id": self.project_id, "responsible_unit": self.responsible_unit,
                "status": self.status, "gap": self.gap}


def _usable_row(row: ProgressRow, problems: Problems) -> tuple[float, float] | None:
    values = []
    for field_name in ("plan_progress_pct", "actual_progress_pct"):
        raw = getattr(row, field_name)
        number, state = parse_number(raw)
        if state == "ok" and 0 <= number <= 100:
            values.append(number)
            continue
        where = f"{field_name}={_fmt(raw)} reported_at={_fmt(parse_timestamp(row.reported_at))}"
        if state == "non_numeric":
            problems.add("non_numeric_progress", row.month, row.project_id, where)
            return None
        if state == "null":
            problems.add("missing_progress", row.month, row.project_id, f"{field_name} is NULL")
            number = 0.0
        elif number > 100:
            problems.add("progress_above_100", row.month, row.project_id, where)
        elif number < 0:
            problems.add("negative_progress", row.month, row.project_id, where)
        values.append(number)
    return values[0], values[1]


def choose_month_row(rows: list[ProgressRow], problems: Problems
                     ) -> tuple[float, float, float, dt.datetime | None, ProgressRow] | None:
    """The counting row of one project and month: ``(plan, actual, gap, reported_at parsed,
    row)``, or ``None`` (no usable row)."""
    stamps = [parse_timestamp(r.reported_at) for r in rows]
    for row, stamp in zip(rows, stamps):
        if stamp is None and str(row.reported_at or "").strip():
            problems.add("bad_reported_at", row.month, row.project_id, f"reported_at={str(row.reported_at)!r}")
    if len(rows) > 1:
        listed = ", ".join(sorted(_fmt(t) for t in stamps if t)) or "none"
        problems.add("duplicate_month", rows[0].month, rows[0].project_id,
                     f"{len(rows)} rows; reported_at: {listed}")
    best = None
    for row, stamp in zip(rows, stamps):
        usable = _usable_row(row, problems)
        if usable is None:
            continue
        plan, actual = usable
        gap = progress_gap(plan, actual)
        rank = (stamp is not None, stamp or dt.datetime.min, gap)
        if best is None or rank > best[0]:  # the first of equals, as max() would
            best = (rank, plan, actual, gap, stamp, row)
    if best is None:
        return None
    return best[1:]


class ProjectBook:
    """The projects and their progress rows, grouped once by month and project, so that each
    month evaluated from the book (the month, the month before, a quarter's three) touches only
    its own rows."""

    def __init__(self, projects: Iterable[Project], rows: Iterable[ProgressRow]):
        self.projects = sorted(projects, key=lambda p: p.project_id)
        self.known = {p.project_id for p in self.projects}
        self.by_month: dict[str, dict[str | None, list[ProgressRow]]] = {}
        for row in rows:
            self.by_month.setdefault(row.month, {}).setdefault(row.project_id, []).append(row)

    def evaluate(self, month: Period, problems: Problems) -> list[ProjectStatus]:
        """红黄绿灯 of every project active in ``month``, sorted by project_id."""
        grouped = self.by_month.get(month.key, {})
        for pid in grouped.keys() - self.known:
            problems.add("unknown_project", month.key, pid or "(NULL)", "monthly row ignored")
        out = []
        for project in self.projects:
            pid, name, unit, start, start_text = project
            if start_text is not None:
                problems.add("bad_start_on", None, pid, f"start_on={start_text!r}")
                continue
            if start is None:
                problems.add("missing_start_on", None, pid, "start_on is NULL")
                continue
            if start > month.last_day:  # not active in the month
                continue
            if unit is None:
                problems.add("no_responsible_unit", None, pid, "responsible_unit is NULL")
            chosen = choose_month_row(grouped[pid], problems) if pid in grouped else None
            if chosen is None:
                out.append(ProjectStatus(pid, name, unit, "unreported", None))
                continue
            plan, actual, gap, stamp, _ = chosen
            out.append(ProjectStatus(pid, name, unit, light(gap), gap, plan, actual,
                                     stamp_text(stamp) if stamp else None))
        return out


def evaluate_projects(month: Period, projects: list[Project], rows: Iterable[ProgressRow],
                      problems: Problems) -> list[ProjectStatus]:
    """红黄绿灯 of every project active in ``month``, sorted by project_id."""
    return ProjectBook(projects, rows).evaluate(month, problems)


def count_statuses(statuses: Iterable[ProjectStatus]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for s in statuses:
        counts[s.status] += 1
    return counts


def unit_rows(statuses: Iterable[ProjectStatus]) -> list[dict]:
    """One row per responsible unit with an active project, sorted by unit code."""
    per_unit: dict[str, dict] = {}
    for s in statuses:
        if s.responsible_unit is None:
            continue
        row = per_unit.get(s.responsible_unit)
        if row is None:
            row = per_unit[s.responsible_unit] = {"unit": s.responsible_unit, **dict.fromkeys(STATUSES, 0)}
        row[s.status] += 1
    return [per_unit[u] for u in sorted(per_unit)]


def unit_ranking(units: list[dict]) -> list[dict]:
    """单位排名: score = 100 × (green + ½ yellow) / projects, best first; ties share a rank."""
    scored = []
    for u in units:
        total = sum(u[s] for s in STATUSES)
        score = round(100 * (u["green"] + 0.5 * u["yellow"]) / total, 2) if total else None
        scored.append({"unit": u["unit"], "projects": total, "score": score,
                       "red_or_unreported": u["red"] + u["unreported"]})
    scored.sort(key=lambda r: (-(r["score"] or 0), r["red_or_unreported"], r["unit"]))
    rank, previous = 0, None
    for i, r in enumerate(scored, start=1):
        key = (r["score"], r["red_or_unreported"])
        if key != previous:
            rank, previous = i, key
        r["rank"] = rank
    return scored


# --- indicators: one month -----------------------------------------------------------------------


class IndicatorBook:
    """The indicator registry (weights and targets parsed once) and the values grouped by month
    and code, for evaluating several months (the month, the month before, the year's trend)."""

    def __init__(self, indicators: Iterable[Indicator], values: Iterable[IndicatorValue]):
        registry = {i.indicator_code: i for i in indicators}
        self.registry = [(code, registry[code], *parse_number(registry[code].annual_target),
                          *parse_number(registry[code].weight)) for code in sorted(registry)]
        self.known = set(registry)
        by_month: dict[str, dict[str | None, list[IndicatorValue]]] = {}
        for v in values:
            by_month.setdefault(v.month, {}).setdefault(v.indicator_code, []).append(v)
        self.by_month = by_month

    def evaluate(self, month: Period, problems: Problems) -> tuple[list[dict], float | None]:
        """``(indicators, composite_score)`` for ``month``; each listed indicator carries its
        ``indicator_code`` and ``completion`` (contract) plus name, weight, value and target to date."""
        by_code = self.by_month.get(month.key, {})
        for code in by_code.keys() - self.known:
            problems.add("unknown_indicator", month.key, code or "(NULL)", "value ignored")
        m = month.start.month
        listed, pairs = [], []
        for code, ind, target, target_state, weight, weight_state in self.registry:
            if weight_state != "ok":
                problems.add("bad_weight", month.key, code, f"weight={_fmt(ind.weight)} counts as 0")
                weight = 0.0
            elif weight < 0:
                problems.add("bad_weight", month.key, code, f"weight={_fmt(ind.weight)} used as is")
            values = by_code.get(code, ())
            numbers = []
            for v in values:
                number, state = parse_number(v.value_ytd)
                if state == "null":
                    problems.add("missing_indicator_value", month.key, code, "value_ytd is NULL")
                elif state == "non_numeric":
                    problems.add("non_numeric_indicator_value", month.key, code, f"value_ytd={_fmt(v.value_ytd)}")
                else:
                    if number < 0:
                        problems.add("negative_indicator_value", month.key, code, f"value_ytd={_fmt(v.value_ytd)}")
                    numbers.append(number)
            if len(values) > 1:
                problems.add("duplicate_indicator_value", month.key, code,
                             f"{len(values)} values: {', '.join(_fmt(v.value_ytd) for v in values)}")
            if not numbers:
                continue
            if target_state != "ok" or target == 0:
                problems.add("no_annual_target", month.key, code, f"annual_target={_fmt(ind.annual_target)}")
                continue
            value = max(numbers)
            c = completion(value, target, m)
            listed.append({"indicator_code": code, "completion": c, "name": ind.name, "weight": weight,
                           "value_ytd": value, "target_to_date": round(target * m / 12, 4), "annual_target": target})
            pairs.append((weight, c))
        if pairs and sum(w for w, _ in pairs) == 0:
            problems.add("zero_total_weight", month.key, None, f"{len(pairs)} listed indicator(s)")
        return listed, composite_score(pairs)


def evaluate_indicators(month: Period, indicators: list[Indicator], values: Iterable[IndicatorValue],
                        problems: Problems) -> tuple[list[dict], float | None]:
    """``(indicators, composite_score)`` for ``month`` (see :meth:`IndicatorBook.evaluate`)."""
    return IndicatorBook(indicators, values).evaluate(month, problems)


# --- the whole month -----------------------------------------------------------------------------


@dataclass
class MonthEvaluation:
    period: Period
    projects: list[ProjectStatus]
    indicators: list[dict]
    composite_score: float | None

    @cached_property
    def counts(self) -> dict[str, int]:
        return count_statuses(self.projects)

    @cached_property
    def units(self) -> list[dict]:
        return unit_rows(self.projects)

    def contract(self) -> dict:
        """The report keys docs/reference.md fixes, exactly."""
        return {
            "period": self.period.key,
            "projects": [p.contract_row() for p in self.projects],
            "counts": dict(self.counts),
            "indicators": [{"indicator_code": i["indicator_code"], "completion": i["completion"]}
                           for i in self.indicators],
            "composite_score": self.composite_score,
            "units": [dict(u) for u in self.units],
        }


def evaluate_books(month: Period, projects: ProjectBook, indicators: IndicatorBook,
                   problems: Problems | None = None) -> MonthEvaluation:
    """One month from books read once (several months of the same data: build the books once)."""
    problems = problems if problems is not None else Problems()
    statuses = projects.evaluate(month, problems)
    listed, composite = indicators.evaluate(month, problems)
    return MonthEvaluation(month, statuses, listed, composite)


def evaluate_month(month: Period, projects: list[Project], progress: Iterable[ProgressRow],
                   indicators: list[Indicator], values: Iterable[IndicatorValue],
                   problems: Problems | None = None) -> MonthEvaluation:
    return evaluate_books(month, ProjectBook(projects, progress), IndicatorBook(indicators, values), problems)
