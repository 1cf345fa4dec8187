"""月评价 report (``innovation_monthly_evaluation``) for a month M.

The contract keys (period, projects, counts, indicators, composite_score, units) come straight
from :func:`gxq.innovation.rules.evaluate_month`. Extra keys, for people and the dashboard:

- ``comparison``: against the month before (环比): composite score change, counts then and now,
  projects whose light got better (``up``) or worse (``down``), ``new_red`` (red now, not red
  then, including projects not active then) and ``new_projects`` (active now, not then);
  ``previous_statuses`` (last month's light of each project listed now); each unit's counts then and
  their change; indicators' completion change;
- ``unit_ranking``: 责任单位排名 (see :func:`gxq.innovation.rules.unit_ranking`);
- ``composite_trend``: the composite score of each month of M's year up to M (trend chart);
- ``project_details`` / ``indicator_details``: names, plan and actual progress, values, targets;
- ``data_problems``: see the rules in :mod:`gxq.innovation.rules`.

Nothing here depends on the time of the run: a rerun on the same data gives the same report.
"""

from __future__ import annotations

import numpy as np

from gxq.innovation import rules
from gxq.innovation.source import InnovationData, load
from gxq.periods import Period, month_period


def months_of_year_to(month: Period) -> list[Period]:
    return [month_period(month.year, m) for m in range(1, month.start.month + 1)]


def load_for(month: Period, engine=None) -> InnovationData:
    """What a month's report reads: progress of M and the month before, indicators from the
    earlier of (the month before, January of M's year) up to M."""
    previous = month.previous()
    first_indicator = min(previous.key, months_of_year_to(month)[0].key)
    return load(previous.key, month.key, first_indicator, engine=engine)


def _change(now: float | None, before: float | None, digits: int) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, digits)


def _severity(month: rules.ProjectMonth) -> np.ndarray:
    """Each light's severity (its code, :data:`rules.SEVERITY`); -1 for unreported or not listed."""
    return np.where(month.code <= rules.RED, month.code, -1)


def comparison(current: rules.MonthEvaluation, previous: rules.MonthEvaluation) -> dict:
    """环比 of two months evaluated from the same book (their columns are the registry's rows)."""
    now, then = current.statuses, previous.statuses
    ids = now.projects.project_id
    both = now.active & then.active
    level_now, level_then = _severity(now), _severity(then)
    rated = both & (level_now >= 0) & (level_then >= 0)  # unreported has no severity
    up, down = ids[rated & (level_now < level_then)], ids[rated & (level_now > level_then)]
    new_red = ids[(now.code == rules.RED) & (then.code != rules.RED)]  # not red then, or not active then
    new_projects = ids[now.active & ~then.active]
    previous_completion = {i["indicator_code"]: i["completion"] for i in previous.indicators}
    counts_now, counts_before = current.counts, previous.counts
    units_before = {u["unit"]: u for u in previous.units}
    empty = dict.fromkeys(rules.STATUSES, 0)
    return {
        "previous_period": previous.period.key,
        "composite_score_previous": previous.composite_score,
        "composite_score_change": _change(current.composite_score, previous.composite_score, 2),
        "counts_previous": counts_before,
        "counts_change": {s: counts_now[s] - counts_before[s] for s in rules.STATUSES},
        "up": up.tolist(),
        "down": down.tolist(),
        "new_red": new_red.tolist(),
        "new_projects": new_projects.tolist(),
        "previous_statuses": dict(zip(ids[both].tolist(), rules.STATUS_NAMES[then.code[both]].tolist())),
        "units": [
            {"unit": u["unit"], "previous": {s: units_before.get(u["unit"], empty)[s] for s in rules.STATUSES},
             "change": {s: u[s] - units_before.get(u["unit"], empty)[s] for s in rules.STATUSES}}
            for u in current.units
        ],
        "indicators": [
            {"indicator_code": i["indicator_code"], "previous": previous_completion.get(i["indicator_code"]),
             "change": _change(i["completion"], previous_completion.get(i["indicator_code"]), 4)}
            for i in current.indicators
        ],
    }


def build_report(month: Period, data: InnovationData) -> dict:
    problems = rules.Problems()
    # The rows are grouped once; each month evaluated below reads only its own.
    projects = rules.ProjectBook(data.projects, data.progress)
    indicators = rules.IndicatorBook(data.indicators, data.indicator_values)
    current = rules.evaluate_books(month, projects, indicators, problems)
    # Earlier months are evaluated only to compare and chart: their data problems belong to
    # their own reports.
    quiet = rules.Problems(enabled=False)
    previous = rules.evaluate_books(month.previous(), projects, indicators, quiet)
    trend = []
    for m in months_of_year_to(month):
        if m.key == month.key:
            score = current.composite_score
        elif m.key == previous.period.key:
            score = previous.composite_score
        else:
            score = indicators.composite(m)
        trend.append({"period": m.key, "composite_score": score})

    report = current.contract()
    report.update({
        "comparison": comparison(current, previous),
        "unit_ranking": rules.unit_ranking(report["units"]),
        "composite_trend": trend,
        "project_details": [
            {"project_id": p, "name": n, "plan_progress_pct": plan, "actual_progress_pct": actual, "reported_at": at}
            for p, n, plan, actual, at in zip(*(current.statuses.listed[k] for k in (
                "project_id", "name", "plan", "actual", "reported_at")))
        ],
        "indicator_details": [
            {k: i[k] for k in ("indicator_code", "name", "weight", "value_ytd", "target_to_date", "annual_target")}
            for i in current.indicators
        ],
        "data_problems": problems.as_list(),
    })
    return report


def evaluate(month: Period, engine=None) -> dict:
    """Read ``dept_innovation`` and build the month's report."""
    return build_report(month, load_for(month, engine))
