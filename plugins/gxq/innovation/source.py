"""Reads ``dept_innovation`` (自创区项目与指标库), read only, through include/sql/innovation/.

Only the months a report needs are read: the month (or the quarter's months), the month before
it for comparisons, and for indicators the year so far (the composite-score trend chart).
"""

from __future__ import annotations

from dataclasses import dataclass

from gxq import sql
from gxq.connections import engine_for
from gxq.innovation import rules

CONN_ID = "dept_innovation"

COLUMNS = {
    "projects": ("project_id", "name", "responsible_unit", "start_on"),
    "project_monthly": ("project_id", "month", "plan_progress_pct", "actual_progress_pct", "reported_at"),
    "indicators": ("indicator_code", "name", "weight", "annual_target"),
    "indicator_monthly": ("indicator_code", "month", "value_ytd"),
}


@dataclass
class InnovationData:
    projects: list[rules.Project]
    progress: list[rules.ProgressRow]
    indicators: list[rules.Indicator]
    indicator_values: list[rules.IndicatorValue]


def load(first_progress_month: str, last_month: str, first_indicator_month: str | None = None,
         with_indicators: bool = True, engine=None) -> InnovationData:
    """Projects and indicators, progress rows of [first_progress_month, last_month] and indicator
    values of [first_indicator_month, last_month] (month keys ``YYYY-MM``)."""
    engine = engine or engine_for(CONN_ID)
    tables = list(COLUMNS) if with_indicators else ["projects", "project_monthly"]
    for table in tables:
        sql.require_columns(engine, table, COLUMNS[table])
    first_indicator_month = first_indicator_month or first_progress_month
    data = InnovationData(
        projects=rules.projects_from_rows(sql.query(engine, "innovation/projects")),
        progress=rules.progress_from_rows(sql.query(
            engine, "innovation/project_monthly", {"first_month": first_progress_month, "last_month": last_month})),
        indicators=[],
        indicator_values=[],
    )
    if with_indicators:
        data.indicators = rules.indicators_from_rows(sql.query(engine, "innovation/indicators"))
        data.indicator_values = rules.indicator_values_from_rows(sql.query(
            engine, "innovation/indicator_monthly",
            {"first_month": first_indicator_month, "last_month": last_month}))
    return data
