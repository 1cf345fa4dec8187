"""Reads the 三轮评估 tables of ``dept_supervision`` (read only), through include/sql/supervision/.

The four tables are small (a few rounds, 21 indicators, tens of findings a round) and are read
whole by one statement each, on one connection, after one check that every column the project
reads is there (:func:`gxq.sql.require_columns`, naming what is missing). Values are normalised
here (PostgreSQL gives dates and Decimals, SQLite text); a value that cannot be read stays as it
came, for :mod:`gxq.assessment.rules` to report as a data problem.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from gxq import sql
from gxq.assessment.rules import AssessmentData, Finding, Indicator, Round, Score
from gxq.connections import engine_for

CONN_ID = "dept_supervision"

COLUMNS = {
    "assessment_rounds": ("round", "published_on"),
    "assessment_indicators": ("indicator_code", "name", "unit_code"),
    "assessment_scores": ("round", "indicator_code", "score", "city_rank", "districts"),
    "assessment_findings": ("finding_id", "round", "indicator_code", "unit_code", "problem", "due_on",
                            "rectified_on", "verified_on"),
}


def _date(value):
    """A date, None when empty, else the raw text (a data problem: 2021-13-45, 'soon')."""
    try:
        return sql.to_date(value)
    except (TypeError, ValueError):
        return value


def _num(value):
    """A float, None when empty, else the raw value (a data problem)."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _int(value):
    """An int, None when empty, else the raw value (a data problem)."""
    number = _num(value)
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def _text(value) -> str | None:
    text = sql.to_text(value)
    text = text.strip() if text is not None else None
    return text or None


def load(engine=None) -> AssessmentData:
    engine = engine or engine_for(CONN_ID)
    for table, columns in COLUMNS.items():
        sql.require_columns(engine, table, columns)

    def rows(conn, name):
        return conn.execute(sa.text(sql.render(f"supervision/{name}", conn.dialect.name))).all()

    with engine.connect() as conn:
        rounds = []
        for key, published in rows(conn, "assessment_rounds"):
            day = _date(published)
            rounds.append(Round(_text(key), day if isinstance(day, dt.date) else None, published))
        indicators = [Indicator(str(code), _text(name), _text(unit))
                      for code, name, unit in rows(conn, "assessment_indicators")]
        scores = [Score(_text(r), _text(code), _num(score), _int(rank), _int(districts))
                  for r, code, score, rank, districts in rows(conn, "assessment_scores")]
        findings = [Finding(str(fid), _text(r), _text(code), _text(unit), _text(problem), _date(due), _date(rect),
                            _date(ver))
                    for fid, r, code, unit, problem, due, rect, ver in rows(conn, "assessment_findings")]
    return AssessmentData(rounds, indicators, scores, findings)
