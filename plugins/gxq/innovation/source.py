"""Reads ``dept_innovation`` (自创区项目与指标库), read only, through include/sql/innovation/.

Only the months a report needs are read: the month (or the quarter's months), the month before
it for comparisons, and for indicators the year so far (the composite-score trend chart). Each
table is read by one statement, only the columns the rules use, and all statements of a load
share one connection.

The statements name every column of :data:`COLUMNS`, so they are the check that the tables have
them: when one fails, :func:`gxq.sql.require_columns` says which table or column is missing
(a :class:`gxq.sql.DepartmentSchemaError`), and only then — a healthy database pays for no
catalogue queries.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

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
    projects: rules.Projects
    progress: rules.Progress
    indicators: rules.Indicators
    indicator_values: rules.IndicatorValues


def _columns(conn, name: str, params: dict | None = None) -> list[tuple]:
    """The columns of ``include/sql/<name>.sql``, in the file's column order (tuples: the frames
    copy what they keep)."""
    keys, rows = sql.tuples(conn, name, params)
    return list(zip(*rows)) if rows else [() for _ in keys]


def load(first_progress_month: str, last_month: str, first_indicator_month: str | None = None,
         with_indicators: bool = True, engine=None) -> InnovationData:
    """Projects and indicators, progress rows of [first_progress_month, last_month] and indicator
    values of [first_indicator_month, last_month] (month keys ``YYYY-MM``)."""
    engine = engine or engine_for(CONN_ID)
    tables = list(COLUMNS) if with_indicators else ["projects", "project_monthly"]
    first_indicator_month = first_indicator_month or first_progress_month
    try:
        with engine.connect() as conn:
            data = InnovationData(
                projects=rules.Projects.from_columns(*_columns(conn, "innovation/projects")),
                progress=rules.Progress.from_columns(*_columns(
                    conn, "innovation/project_monthly", {"first_month": first_progress_month, "last_month": last_month})),
                indicators=rules.Indicators.from_rows([]),
                indicator_values=rules.IndicatorValues.from_rows([]),
            )
            if with_indicators:
                data.indicators = rules.Indicators.from_columns(*_columns(conn, "innovation/indicators"))
                data.indicator_values = rules.IndicatorValues.from_columns(*_columns(
                    conn, "innovation/indicator_monthly", {"first_month": first_indicator_month, "last_month": last_month}))
    except sa.exc.DBAPIError:
        for table in tables:  # a missing table or column is named (DepartmentSchemaError) ...
            sql.require_columns(engine, table, COLUMNS[table])
        raise  # ... anything else is what it is
    return data
