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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from numpy import strings

from gxq.periods import Period

STATUSES = ("green", "yellow", "red", "unreported")
# A month's lights are kept as codes, each status's position in STATUSES (-1: not listed), and
# named only where a report lists them: counting, grouping and comparing codes is integer work.
GREEN, YELLOW, RED, UNREPORTED = range(len(STATUSES))
STATUS_NAMES = np.array(STATUSES, dtype=object)
STATUS_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "unreported": "未报送"}
# Traffic-light thresholds on the progress gap in percentage points (红黄绿灯阈值).
GREEN_MAX_GAP = 10
YELLOW_MAX_GAP = 30
# Completion above this counts as this much in the composite score only (综合得分封顶).
COMPLETION_CAP = 1.2
# Severity of a light, for "up / down" comparisons between months: its code.
SEVERITY = {"green": GREEN, "yellow": YELLOW, "red": RED}

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


def composite_score(weights: np.ndarray, completions: np.ndarray) -> float | None:
    """综合得分 from the listed indicators' weights and completions (columns); ``None`` when none is
    listed or their weights sum to 0. The sums are Python's, left to right, as the report has always
    added them (numpy's pairwise sum may differ in the last bit)."""
    total_weight = sum(np.asarray(weights, dtype=float).tolist())
    if not len(weights) or total_weight == 0:
        return None
    capped = np.asarray(weights, dtype=float) * np.minimum(np.asarray(completions, dtype=float), COMPLETION_CAP)
    return round(100 * sum(capped.tolist()) / total_weight, 2)


def stamp_text(value: dt.datetime) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM:SS`` (seconds truncated)."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


# --- columns: values as read, parsed once per column ---------------------------------------------

_NUMERIC = {int, float, decimal.Decimal, type(None)}  # what a numeric column gives back


def number_column(values: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column of department numeric values as floats (NaN where there is none), with two masks:
    the values that are numbers and the NULLs (the rest are not numbers), as :func:`parse_number`
    judges each value. A numeric column converts in one step; a column holding text (SQLite) is
    read value by value."""
    if set(map(type, values)) <= _NUMERIC:
        x = np.array(values, dtype=float)
        return x, np.isfinite(x), np.equal(np.array(values, dtype=object), None)
    parsed = [parse_number(v) for v in values]
    return (np.array([np.nan if n is None else n for n, _ in parsed], dtype=float),
            np.array([state == "ok" for _, state in parsed], dtype=bool),
            np.array([state == "null" for _, state in parsed], dtype=bool))


def numbers(values: list) -> tuple[np.ndarray, np.ndarray]:
    """A column of department numeric values as floats (NaN where there is none) and each value's
    state, as :func:`parse_number` states it (``ok``, ``null``, ``non_numeric``)."""
    x, ok, null = number_column(values)
    return x, np.where(null, "null", np.where(ok, "ok", "non_numeric"))


def times(iso: list, other: list | None, parse: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray]:
    """A column of times (``datetime64[us]``, NaT where there is none) from the ISO text the
    statement writes where the database knows the value is a time (parsed in one step) and, value
    by value with ``parse`` (:func:`parse_timestamp` or :func:`parse_date`), the other stored values
    (``other``: SQLite's text in other forms; None: every value is read that way). Also the stored
    text of each value that is not a time (None where it is one or there is none)."""
    if other is None:
        iso, other = [None] * len(iso), iso
    try:
        column = np.array(iso, dtype="datetime64[us]")
    except ValueError:  # a text numpy does not read (PostgreSQL's 'infinity'): every value on its own
        iso, other = [None] * len(iso), [o if o is not None else i for i, o in zip(iso, other)]
        column = np.array(iso, dtype="datetime64[us]")
    not_a_time = np.full(len(column), None, dtype=object)
    stored = np.array(other, dtype=object)
    for i in np.flatnonzero(np.not_equal(stored, None)).tolist():  # the few stored values, if any
        value = stored[i]
        parsed = parse(value)
        if parsed is not None:
            column[i] = np.datetime64(parsed, "us")
        elif str(value).strip():
            not_a_time[i] = str(value)
    return column, not_a_time


def _codes(values: list) -> np.ndarray:
    """A column cleaned as :func:`clean_code` cleans one value (stripped text), ``""`` for NULL or blank."""
    column = np.array(values, dtype=object)
    column[np.equal(column, None)] = ""
    return strings.strip(column.astype(str))


def _texts(values: list) -> np.ndarray:
    """A nullable text column cleaned as :func:`clean_code` cleans one value (None for NULL or blank)."""
    column = _codes(values).astype(object)
    column[column == ""] = None
    return column


def stamp_texts(stamps: np.ndarray) -> np.ndarray:
    """Times as ``YYYY-MM-DD HH:MM:SS`` (seconds truncated, as :func:`stamp_text`), None for NaT."""
    if not len(stamps):  # numpy 2.4's strings.replace fails on an empty array
        return np.array([], dtype=object)
    texts = strings.replace(np.datetime_as_string(stamps, unit="s"), "T", " ").astype(object)
    texts[np.isnat(stamps)] = None
    return texts


def round_column(x: np.ndarray, digits: int) -> np.ndarray:
    """Python's ``round(v, digits)`` of each value. numpy's round scales by 10**digits first, and
    the scaling can carry a value that lies just short of a half onto it; the few values whose
    scaled value is that close to a half are rounded by Python, so the column equals the report's
    rounding value for value."""
    scaled = x * 10**digits
    out = np.round(x, digits)
    for i in np.flatnonzero(np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6):
        out[i] = round(float(x[i]), digits)
    return out


def light_codes(gap: np.ndarray) -> np.ndarray:
    """红黄绿灯 of a column of (rounded) gaps as codes (GREEN, YELLOW, RED; see :func:`light`)."""
    return np.select([gap <= GREEN_MAX_GAP, gap <= YELLOW_MAX_GAP], [GREEN, YELLOW], RED).astype(np.int8)


def lights(gap: np.ndarray) -> np.ndarray:
    """红黄绿灯 of a column of (rounded) gaps (see :func:`light`)."""
    return STATUS_NAMES[light_codes(gap)].astype(str)


def positions(registry: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The position of each code in a sorted registry of codes, -1 when it is not in it."""
    if not len(registry):
        return np.full(len(codes), -1)
    at = np.searchsorted(registry, codes)
    inside = np.minimum(at, len(registry) - 1)
    return np.where((at < len(registry)) & (registry[inside] == codes), at, -1)


def _columns(rows: Iterable[tuple], width: int) -> list:
    rows = list(rows)
    return [list(col) for col in zip(*rows)] if rows else [[] for _ in range(width)]


# --- inputs: the tables as read, as columns --------------------------------------------------------


@dataclass
class Projects:
    """重大项目库 as columns, sorted by project_id; rows without a project_id are dropped."""

    project_id: np.ndarray  # text
    name: np.ndarray  # object: text or None
    responsible_unit: np.ndarray  # object: text or None
    start_on: np.ndarray  # datetime64[D]; NaT when NULL or not a date
    start_on_text: np.ndarray  # object: the stored start_on when it is not a date (bad_start_on), else None

    @classmethod
    def from_columns(cls, project_id, name, responsible_unit, start_on, start_on_other=None) -> Projects:
        """The columns of ``innovation/projects.sql`` (without ``start_on_other``: values as stored)."""
        ids = _codes(project_id)
        order = np.argsort(ids, kind="stable")
        order = order[ids[order] != ""]
        days, not_a_day = times(start_on, start_on_other, parse_date)
        return cls(ids[order], _texts(name)[order], _texts(responsible_unit)[order],
                   days.astype("datetime64[D]")[order], not_a_day[order])

    @cached_property
    def units(self) -> tuple[np.ndarray, np.ndarray]:
        """The responsible units (sorted codes) and each project's position among them (-1: none):
        grouped once, for every month evaluated from the registry."""
        has_unit = np.not_equal(self.responsible_unit, None)
        codes, of = np.unique(self.responsible_unit[has_unit].astype(str), return_inverse=True)
        unit_of = np.full(len(has_unit), -1)
        unit_of[has_unit] = of
        return codes, unit_of

    @classmethod
    def from_rows(cls, rows: Iterable[tuple]) -> Projects:
        """``(project_id, name, responsible_unit, start_on)`` rows, values as stored."""
        return cls.from_columns(*_columns(rows, 4))


@dataclass
class Progress:
    """项目月度进度 as columns, in the order read: codes cleaned, months stripped, progress values
    as read (judged when a month is evaluated), reported_at parsed."""

    project_id: np.ndarray  # text, "" for NULL
    month: np.ndarray  # text YYYY-MM
    plan_progress_pct: list
    actual_progress_pct: list
    reported_at: np.ndarray  # datetime64[us]; NaT when NULL or not a time
    reported_at_text: np.ndarray  # object: the stored reported_at when it is not a time (bad_reported_at), else None

    @classmethod
    def from_columns(cls, project_id, month, plan, actual, reported_at, reported_at_other=None) -> Progress:
        """The columns of ``innovation/project_monthly.sql`` (without ``reported_at_other``: values as stored)."""
        stamps, not_a_time = times(reported_at, reported_at_other, parse_timestamp)
        return cls(_codes(project_id), _codes(month), list(plan), list(actual), stamps, not_a_time)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple]) -> Progress:
        """``(project_id, month, plan_progress_pct, actual_progress_pct, reported_at)`` rows, values as stored."""
        return cls.from_columns(*_columns(rows, 5))


@dataclass
class Indicators:
    """发展评价指标库 as columns, sorted by indicator_code; weight and target as read."""

    indicator_code: np.ndarray
    name: list
    weight: list
    annual_target: list

    @classmethod
    def from_columns(cls, indicator_code, name, weight, annual_target) -> Indicators:
        codes = _codes(indicator_code)
        order = [i for i in np.argsort(codes, kind="stable").tolist() if codes[i]]
        return cls(codes[order], _texts(name)[order].tolist(), [weight[i] for i in order],
                   [annual_target[i] for i in order])

    @classmethod
    def from_rows(cls, rows: Iterable[tuple]) -> Indicators:
        """``(indicator_code, name, weight, annual_target)`` rows."""
        return cls.from_columns(*_columns(rows, 4))


@dataclass
class IndicatorValues:
    """指标月度累计值 as columns, in the order read."""

    indicator_code: np.ndarray  # text, "" for NULL
    month: np.ndarray
    value_ytd: list

    @classmethod
    def from_columns(cls, indicator_code, month, value_ytd) -> IndicatorValues:
        return cls(_codes(indicator_code), _codes(month), list(value_ytd))

    @classmethod
    def from_rows(cls, rows: Iterable[tuple]) -> IndicatorValues:
        """``(indicator_code, month, value_ytd)`` rows."""
        return cls.from_columns(*_columns(rows, 3))


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


def _progress_problems(pid: str, month: str, plan, actual, reported_at: dt.datetime | None,
                       problems: Problems) -> None:
    """The data problems of one progress row's values (plan first; a plan that is not a number
    discards the row before its actual value is looked at)."""
    for field_name, raw in (("plan_progress_pct", plan), ("actual_progress_pct", actual)):
        number, state = parse_number(raw)
        if state == "ok" and 0 <= number <= 100:
            continue
        where = f"{field_name}={_fmt(raw)} reported_at={_fmt(reported_at)}"
        if state == "non_numeric":
            problems.add("non_numeric_progress", month, pid, where)
            return
        if state == "null":
            problems.add("missing_progress", month, pid, f"{field_name} is NULL")
        elif number > 100:
            problems.add("progress_above_100", month, pid, where)
        elif number < 0:
            problems.add("negative_progress", month, pid, where)


@dataclass
class ProjectMonth:
    """One month's 红黄绿灯 as columns over the registry's rows; ``active`` marks the projects
    listed in the month (started by its last day). ``code`` is each listed project's light (an
    index into :data:`STATUSES`; -1 where not listed). Where a project has no counting row, its
    light is ``UNREPORTED`` and gap, plan and actual are NaN."""

    projects: Projects
    active: np.ndarray
    code: np.ndarray  # int8: GREEN, YELLOW, RED, UNREPORTED; -1 where not active
    gap: np.ndarray
    plan: np.ndarray
    actual: np.ndarray
    reported_at: np.ndarray  # datetime64[us] of the counting row; NaT: none or undated

    @property
    def status(self) -> np.ndarray:
        """Each project's light by name ('' where not listed)."""
        return np.where(self.active, STATUS_NAMES[self.code], "").astype(str)

    @cached_property
    def listed(self) -> dict[str, list]:
        """The listed projects' columns as plain values (None where there is none), by project_id."""
        i = np.flatnonzero(self.active)
        unreported = self.code[i] == UNREPORTED

        def values(col: np.ndarray) -> list:
            out = col[i].astype(object)
            out[unreported] = None
            return out.tolist()

        return {"project_id": self.projects.project_id[i].tolist(), "name": self.projects.name[i].tolist(),
                "responsible_unit": self.projects.responsible_unit[i].tolist(),
                "status": STATUS_NAMES[self.code[i]].tolist(),
                "gap": values(self.gap), "plan": values(self.plan), "actual": values(self.actual),
                "reported_at": stamp_texts(self.reported_at[i]).tolist()}

    def rows(self) -> list[ProjectStatus]:
        c = self.listed
        return [ProjectStatus(*row) for row in zip(c["project_id"], c["name"], c["responsible_unit"], c["status"],
                                                   c["gap"], c["plan"], c["actual"], c["reported_at"])]

    def counts(self) -> dict[str, int]:
        return dict(zip(STATUSES, np.bincount(self.code[self.active], minlength=len(STATUSES)).tolist()))

    def units(self) -> list[dict]:
        """One row per responsible unit with an active project, sorted by unit code."""
        codes, unit_of = self.projects.units
        i = np.flatnonzero(self.active & (unit_of >= 0))
        n = len(STATUSES)
        # one count per (unit, light): a bincount of unit × light
        per_unit = np.bincount(unit_of[i] * n + self.code[i], minlength=len(codes) * n).reshape(-1, n)
        listed = per_unit.sum(axis=1) > 0  # units whose projects are all inactive this month are not listed
        return [{"unit": u, **dict(zip(STATUSES, c))}
                for u, c in zip(codes[listed].tolist(), per_unit[listed].tolist())]


class ProjectBook:
    """The projects and the progress rows of the months read, as one frame: a row per report, its
    values parsed once, its 进度差 computed once and its project's position in the registry (-1:
    not in it). A month evaluated from the book (the month, the month before, a quarter's three)
    is column expressions over its own rows."""

    def __init__(self, projects: Projects, progress: Progress):
        self.projects, self.rows = projects, progress
        self.position = positions(projects.project_id, progress.project_id)
        plan, plan_ok, plan_null = number_column(progress.plan_progress_pct)
        actual, actual_ok, actual_null = number_column(progress.actual_progress_pct)
        self.stamp = progress.reported_at
        self.usable = (plan_ok | plan_null) & (actual_ok | actual_null)  # a value that is not a number discards the row
        self.plan = np.where(plan_null, 0.0, plan)  # NULL reads as 0
        self.actual = np.where(actual_null, 0.0, actual)
        self.gap = round_column(self.plan - self.actual, 2)
        # the rows whose values are numbers from 0 to 100: the others are data problems
        self.in_range = (plan_ok & (plan >= 0) & (plan <= 100) & actual_ok & (actual >= 0) & (actual <= 100))

    def evaluate(self, month: Period, problems: Problems) -> ProjectMonth:
        """红黄绿灯 of every project active in ``month``."""
        reg = self.projects
        active = reg.start_on <= np.datetime64(month.last_day)  # NaT (no start_on) is never active
        rows = np.flatnonzero(self.rows.month == month.key)
        taken = rows[self.position[rows] >= 0]
        taken = taken[active[self.position[taken]]]  # the rows of the month's active projects
        if problems.enabled:
            self._problems(month, rows, taken, active, problems)
        usable = taken[self.usable[taken]]
        # The counting row of each project: the latest reported_at (undated: NaT, the oldest), then
        # the larger gap, then the first read. Sorted by project then rank, it is each project's last.
        ranked = usable[np.lexsort((-usable, self.gap[usable], self.stamp[usable].view("int64"),
                                    self.position[usable]))]
        of = self.position[ranked]
        chosen = ranked[np.append(of[1:] != of[:-1], True)] if len(ranked) else ranked
        at = self.position[chosen]
        code = np.where(active, UNREPORTED, -1).astype(np.int8)
        code[at] = light_codes(self.gap[chosen])
        gap, plan, actual = (np.full(len(active), np.nan) for _ in range(3))
        gap[at], plan[at], actual[at] = self.gap[chosen], self.plan[chosen], self.actual[chosen]
        reported_at = np.full(len(active), np.datetime64("NaT"), dtype="datetime64[us]")
        reported_at[at] = self.stamp[chosen]
        return ProjectMonth(reg, active, code, gap, plan, actual, reported_at)

    def _problems(self, month: Period, rows: np.ndarray, taken: np.ndarray, active: np.ndarray,
                  problems: Problems) -> None:
        reg, read, key = self.projects, self.rows, month.key
        for pid in set(read.project_id[rows[self.position[rows] < 0]].tolist()):
            problems.add("unknown_project", key, pid or "(NULL)", "monthly row ignored")
        not_a_day = np.not_equal(reg.start_on_text, None)
        for i in np.flatnonzero(not_a_day):
            problems.add("bad_start_on", None, str(reg.project_id[i]), f"start_on={reg.start_on_text[i].strip()!r}")
        for i in np.flatnonzero(np.isnat(reg.start_on) & ~not_a_day):
            problems.add("missing_start_on", None, str(reg.project_id[i]), "start_on is NULL")
        for i in np.flatnonzero(active & np.equal(reg.responsible_unit, None)):
            problems.add("no_responsible_unit", None, str(reg.project_id[i]), "responsible_unit is NULL")
        for i in taken[np.not_equal(read.reported_at_text[taken], None)]:
            problems.add("bad_reported_at", key, str(read.project_id[i]), f"reported_at={read.reported_at_text[i]!r}")
        # The month's rows grouped by project (sorted once); a group of several is a duplicated month.
        grouped = taken[np.argsort(self.position[taken], kind="stable")]
        of = self.position[grouped]
        first = np.flatnonzero(np.append(True, of[1:] != of[:-1]))
        size = np.diff(np.append(first, len(grouped)))
        stamps = self.stamp[grouped].astype(object).tolist()  # datetimes, None for NaT
        for f, n in zip(first[size > 1].tolist(), size[size > 1].tolist()):
            listed = ", ".join(sorted(_fmt(t) for t in stamps[f:f + n] if t)) or "none"
            problems.add("duplicate_month", key, str(reg.project_id[of[f]]), f"{n} rows; reported_at: {listed}")
        for i in taken[~self.in_range[taken]]:
            _progress_problems(str(read.project_id[i]), key, read.plan_progress_pct[i], read.actual_progress_pct[i],
                               self.stamp[i].astype(object), problems)


def evaluate_projects(month: Period, projects: Projects, rows: Progress, problems: Problems) -> list[ProjectStatus]:
    """红黄绿灯 of every project active in ``month``, sorted by project_id."""
    return ProjectBook(projects, rows).evaluate(month, problems).rows()


def count_statuses(statuses: Iterable[ProjectStatus]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for s in statuses:
        counts[s.status] += 1
    return counts


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
    """The indicator registry (weights and targets parsed once) and the values of the months
    read as one frame (each value parsed once, with its indicator's position in the registry), for
    evaluating several months (the month, the month before, the year's trend)."""

    def __init__(self, indicators: Indicators, values: IndicatorValues):
        self.registry, self.values = indicators, values
        self.target, self.target_state = numbers(indicators.annual_target)
        self.weight, self.weight_state = numbers(indicators.weight)
        self.value, self.value_state = numbers(values.value_ytd)
        self.position = positions(indicators.indicator_code, values.indicator_code)
        # What every month evaluated from the book shares, worked out once: the weights as counted
        # (NULL / not a number: 0), the indicators with a target, the values that count.
        self.counted_weight = np.where(self.weight_state == "ok", self.weight, 0.0)
        self.has_target = (self.target_state == "ok") & (self.target != 0)
        self.counting = (self.position >= 0) & (self.value_state == "ok")

    def evaluate(self, month: Period, problems: Problems) -> tuple[list[dict], float | None]:
        """``(indicators, composite_score)`` for ``month``; each listed indicator carries its
        ``indicator_code`` and ``completion`` (contract) plus name, weight, value and target to date."""
        rows = np.flatnonzero(self.values.month == month.key)
        if problems.enabled:
            self._problems(month, rows, rows[self.position[rows] >= 0], problems)
        i, value, weight, done, to_date = self._listed(month, rows)
        listed = [{"indicator_code": code, "completion": c, "name": name, "weight": w, "value_ytd": v,
                   "target_to_date": t, "annual_target": a}
                  for code, c, name, w, v, t, a in zip(
                      self.registry.indicator_code[i].tolist(), done.tolist(), [self.registry.name[k] for k in i],
                      weight.tolist(), value.tolist(), round_column(to_date, 4).tolist(), self.target[i].tolist())]
        return listed, composite_score(weight, done)

    def composite(self, month: Period) -> float | None:
        """The 综合得分 of ``month`` alone (the trend's earlier months)."""
        _, _, weight, done, _ = self._listed(month, np.flatnonzero(self.values.month == month.key))
        return composite_score(weight, done)

    def _listed(self, month: Period, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """The listed indicators of the month (positions in the registry) with their value, weight,
        completion and target to date: an indicator with a value that is a number and a target."""
        n, m = len(self.registry.indicator_code), month.start.month
        numbered = rows[self.counting[rows]]
        value = np.full(n, -np.inf)
        np.maximum.at(value, self.position[numbered], self.value[numbered])  # the largest value_ytd counts
        i = np.flatnonzero((np.bincount(self.position[numbered], minlength=n) > 0) & self.has_target)
        to_date = self.target[i] * m / 12
        return i, value[i], self.counted_weight[i], round_column(value[i] / to_date, 4), to_date

    def _problems(self, month: Period, rows: np.ndarray, known: np.ndarray, problems: Problems) -> None:
        key, reg, read = month.key, self.registry, self.values
        for code in set(read.indicator_code[rows[self.position[rows] < 0]].tolist()):
            problems.add("unknown_indicator", key, code or "(NULL)", "value ignored")
        of_code: dict[int, list[int]] = {}
        for i in known.tolist():
            of_code.setdefault(int(self.position[i]), []).append(i)
        listed_weights = []
        # the registry's and the values' columns as plain values, read one by one below
        weight_state, weight_value = self.weight_state.tolist(), self.weight.tolist()
        target_state, target_value = self.target_state.tolist(), self.target.tolist()
        value_state, value = self.value_state.tolist(), self.value.tolist()
        for p, code in enumerate(reg.indicator_code.tolist()):
            weight = reg.weight[p]
            if weight_state[p] != "ok":
                problems.add("bad_weight", key, code, f"weight={_fmt(weight)} counts as 0")
            elif weight_value[p] < 0:
                problems.add("bad_weight", key, code, f"weight={_fmt(weight)} used as is")
            values = of_code.get(p, [])
            for i in values:
                raw, state = read.value_ytd[i], value_state[i]
                if state == "null":
                    problems.add("missing_indicator_value", key, code, "value_ytd is NULL")
                elif state == "non_numeric":
                    problems.add("non_numeric_indicator_value", key, code, f"value_ytd={_fmt(raw)}")
                elif value[i] < 0:
                    problems.add("negative_indicator_value", key, code, f"value_ytd={_fmt(raw)}")
            if len(values) > 1:
                problems.add("duplicate_indicator_value", key, code,
                             f"{len(values)} values: {', '.join(_fmt(read.value_ytd[i]) for i in values)}")
            if not any(value_state[i] == "ok" for i in values):
                continue
            if target_state[p] != "ok" or target_value[p] == 0:
                problems.add("no_annual_target", key, code, f"annual_target={_fmt(reg.annual_target[p])}")
                continue
            listed_weights.append(weight_value[p] if weight_state[p] == "ok" else 0.0)
        if listed_weights and sum(listed_weights) == 0:
            problems.add("zero_total_weight", key, None, f"{len(listed_weights)} listed indicator(s)")


def evaluate_indicators(month: Period, indicators: Indicators, values: IndicatorValues,
                        problems: Problems) -> tuple[list[dict], float | None]:
    """``(indicators, composite_score)`` for ``month`` (see :meth:`IndicatorBook.evaluate`)."""
    return IndicatorBook(indicators, values).evaluate(month, problems)


# --- the whole month -----------------------------------------------------------------------------


@dataclass
class MonthEvaluation:
    period: Period
    statuses: ProjectMonth
    indicators: list[dict]
    composite_score: float | None

    @cached_property
    def projects(self) -> list[ProjectStatus]:
        return self.statuses.rows()

    @cached_property
    def counts(self) -> dict[str, int]:
        return self.statuses.counts()

    @cached_property
    def units(self) -> list[dict]:
        return self.statuses.units()

    def contract(self) -> dict:
        """The report keys docs/reference.md fixes, exactly."""
        c = self.statuses.listed
        return {
            "period": self.period.key,
            "projects": [{"project_id": p, "responsible_unit": u, "status": s, "gap": g}
                         for p, u, s, g in zip(c["project_id"], c["responsible_unit"], c["status"], c["gap"])],
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


def evaluate_month(month: Period, projects: Projects, progress: Progress, indicators: Indicators,
                   values: IndicatorValues, problems: Problems | None = None) -> MonthEvaluation:
    return evaluate_books(month, ProjectBook(projects, progress), IndicatorBook(indicators, values), problems)
