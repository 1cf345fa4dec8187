"""Reads ``dept_supervision`` (督查考核: 任务清单 and 进度报送), read only, through include/sql/supervision/.

The three tables are small (the plan's few dozen tasks and their monthly reports) and are read
whole by one statement each, on one connection; the month's rules filter by date in Python. A
missing table or column is named (:class:`gxq.sql.DepartmentSchemaError`).
"""

from __future__ import annotations

import sqlalchemy as sa

from gxq import sql
from gxq.connections import engine_for
from gxq.tracking.rules import Milestone, Report, Target, TaskData

CONN_ID = "dept_supervision"

COLUMNS = {
    "plan_targets": ("target_id", "item", "title", "unit_code", "measure", "target_value", "start_on", "due_on",
                     "curve"),
    "plan_milestones": ("target_id", "due_on", "value"),
    "plan_progress": ("target_id", "reported_on", "value_cumulative", "note"),
}


def _date(value):
    try:
        return sql.to_date(value)
    except ValueError:  # not a date: treated as missing (a data problem of the target)
        return None


def _num(value) -> float | None:
    """A numeric column as float (Decimal on PostgreSQL, text or number on SQLite); None when empty
    or not a number (for target_value: a data problem of the target)."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value):
    text = sql.to_text(value)
    return text.strip() if text is not None else None


def load(engine=None) -> TaskData:
    engine = engine or engine_for(CONN_ID)

    def rows(conn, name):
        return conn.execute(sa.text(sql.render(f"supervision/{name}", conn.dialect.name))).all()

    try:
        with engine.connect() as conn:
            targets = [
                Target(target_id=str(tid), item=_text(item), title=_text(title), unit=_text(unit),
                       measure=_text(measure), target_value=_num(value),
                       start_on=_date(start), due_on=_date(due), curve=_text(curve))
                for tid, item, title, unit, measure, value, start, due, curve in rows(conn, "plan_targets")
            ]
            milestones = [Milestone(str(tid), _date(due), _num(value) or 0.0)
                          for tid, due, value in rows(conn, "plan_milestones")]
            reports = [Report(str(tid), _date(day), _num(value) or 0.0, _text(note))
                       for tid, day, value, note in rows(conn, "plan_progress")]
    except sa.exc.DBAPIError:
        for table, columns in COLUMNS.items():
            sql.require_columns(engine, table, columns)
        raise
    return TaskData(targets, milestones, reports)
