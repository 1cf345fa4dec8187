"""SQL files (``include/sql/<source>/<name>.sql``) and the values they return.

Every statement lives in a file, one statement per file, with bound parameters (``:name``)
for every value. A file may use a few Jinja helpers for what differs between SQLite and
PostgreSQL; they expand to identifiers and SQL keywords only, never to values:

- ``{{ ts('col') }}``   a department timestamp column, with ``''`` read as NULL on SQLite;
- ``{{ txt('col') }}``  a nullable text column, ``''`` read as NULL;
- ``{{ num('col') }}``  a numeric amount, NULL read as 0;
- ``{{ real('col') }}`` a numeric value as a double on PostgreSQL (a float to the driver, not a
  Decimal: a column numpy takes in one step); on SQLite what is stored, text included;
- ``{{ fen('col') }}``  a numeric amount in yuan as integer fen, half up, NULL read as 0 (PostgreSQL;
  SQLite has no exact decimals: the stored value, which :func:`fen_column` converts);
- ``{{ bad_ts('col') }}`` / ``{{ bad_date('col') }}``  true when a timestamp / date column holds a
  value that is not a time / a date (数据质量: never true on PostgreSQL, whose columns are typed);
- ``{{ ts_value('col') }}``  the timestamp column, NULL when empty or not a time;
- ``{{ json_rows('cte', 'col', ...) }}``  a scalar subquery: the rows of a CTE as one JSON array of
  objects with those columns (``[]`` when none), so that one statement can answer several questions
  of different shapes, one column each (:func:`json_value` reads it);
- ``{{ json_columns('cte', 'col', ...) }}``  the same rows column by column: one JSON object of arrays,
  ``{"col": [v1, v2, ...], ...}`` (``[]`` each when none), aligned by position (one aggregate reads the
  rows once, each column in the same order); cheaper than ``json_rows`` for thousands of rows on both
  sides: PostgreSQL builds one array per column instead of an object per row, and the text the
  driver parses does not repeat the keys (:func:`json_value` reads it too);
- ``{{ dialect }}``     ``sqlite`` or ``postgresql`` for ``{% if %}`` blocks.

What is a time on SQLite (the one definition, :func:`time_checks`): ``'YYYY-MM-DD HH:MM:SS'`` of a
real calendar day and clock time, or a bare ``'YYYY-MM-DD'`` (its midnight); a date is
``'YYYY-MM-DD'`` of a real day (or a time as above, its day). ``''`` is NULL, never bad. Anything else (``2021-06-0x``,
``2021-02-30``, ``24:00:00``, ``2021-03-01T10:00:00``, trailing text) is not, so a statement can
quarantine the row instead of comparing text that only looks like a time.

A rule several statements share is written once, as macros in a fragment file (name starting
with ``_``) that the statements import with the helpers above in scope:
``{% import 'petitions/_rules.sql' as r with context %}`` ... ``{{ r.counted() }}``.

Department timestamps are local wall-clock text (SQLite) or ``TIMESTAMP WITHOUT TIME ZONE``
(PostgreSQL); bound parameters are passed as ``'YYYY-MM-DD HH:MM:SS'`` strings, which both
compare correctly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from gxq import templating
from gxq.connections import REPO_ROOT

SQL_ROOT = REPO_ROOT / "include" / "sql"


class DepartmentSchemaError(RuntimeError):
    """A department table lacks a column the project reads (named in the message)."""


@functools.cache
def _template(name: str):
    path = SQL_ROOT / name
    if not path.suffix:
        path = path.with_suffix(".sql")
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    if path.is_relative_to(SQL_ROOT):
        # the loader also serves the fragments a statement imports ({% import 'petitions/_rules.sql' ... %})
        return templating.environment().get_template(path.relative_to(SQL_ROOT).as_posix())
    return templating.environment().from_string(path.read_text(encoding="utf-8"))  # a file elsewhere (tests)


def render(name: str, dialect: str, **context: Any) -> str:
    """The SQL text of ``include/sql/<name>.sql`` for a dialect."""
    dialect = "sqlite" if dialect.startswith("sqlite") else "postgresql"

    def ts(col: str) -> str:
        _check_identifier(col)
        return f"NULLIF({col}, '')" if dialect == "sqlite" else col

    def txt(col: str) -> str:
        _check_identifier(col)
        return f"NULLIF({col}, '')"

    def num(col: str) -> str:
        _check_identifier(col)
        if dialect == "sqlite":
            return f"COALESCE(NULLIF({col}, ''), 0)"
        return f"COALESCE({col}, 0)"

    def real(col: str) -> str:
        """A numeric column as a double on PostgreSQL (a float, not a Decimal, to the driver); on
        SQLite what is stored, text included."""
        _check_identifier(col)
        return col if dialect == "sqlite" else f"CAST({col} AS double precision)"

    def fen(col: str) -> str:
        if dialect == "sqlite":
            return num(col)
        return f"CAST(ROUND({num(col)} * 100) AS BIGINT)"

    def day(col: str) -> str:
        """The calendar day of a timestamp column (never NULL for a value that is not NULL). On
        SQLite the text's first ten characters, except a bare date ('2021-03-08' sorts before
        '2021-03-08 00:00:00', so window comparisons put it in the day before)."""
        _check_identifier(col)
        if dialect == "sqlite":
            return (f"CASE WHEN length({col}) = 10 THEN COALESCE(date({col}, '-1 day'), {col})"
                    f" ELSE substr({col}, 1, 10) END")
        return f"CAST({col} AS date)"

    def json_rows(cte: str, *cols: str) -> str:
        for col in (cte, *cols):
            _check_identifier(col)
        pairs = ", ".join(f"'{c}', {c}" for c in cols)
        if dialect == "sqlite":
            return f"(SELECT json_group_array(json_object({pairs})) FROM {cte})"
        return f"(SELECT COALESCE(json_agg(json_build_object({pairs})), '[]') FROM {cte})"

    def json_columns(cte: str, *cols: str) -> str:
        for col in (cte, *cols):
            _check_identifier(col)
        if dialect == "sqlite":
            arrays = ", ".join(f"'{c}', json_group_array({c})" for c in cols)
            return f"(SELECT json_object({arrays}) FROM {cte})"
        arrays = ", ".join(f"'{c}', COALESCE(json_agg({c}), '[]')" for c in cols)
        return f"(SELECT json_build_object({arrays}) FROM {cte})"

    checks = time_checks(dialect)
    return _template(name).render(dialect=dialect, ts=ts, txt=txt, num=num, real=real, fen=fen, day=day,
                                  json_rows=json_rows, json_columns=json_columns, **checks, **context)


def json_value(value: Any) -> Any:
    """A ``json_rows`` or ``json_columns`` column as Python values: psycopg2 parses PostgreSQL's json
    itself; SQLite gives the text."""
    return json.loads(value) if isinstance(value, str) else value


def time_checks(dialect: str) -> dict:
    """The Jinja helpers ``bad_ts``, ``bad_date`` and ``ts_value`` for a dialect (see the module's
    docstring). On SQLite a value is a time when SQLite's own calendar, normalising it
    (``datetime(x, '+0 days')`` turns 02-30 into 03-02 and 24:00 into the next day), gives back the
    same text: one set-wise expression per column, no Python per row."""

    def _is_time(col: str) -> str:
        return (f"(length({col}) IN (10, 19)"
                f" AND datetime({col}, '+0 days') = substr({col} || ' 00:00:00', 1, 19))")

    def bad_ts(col: str) -> str:
        _check_identifier(col)
        if dialect != "sqlite":
            return "(1 = 0)"
        return f"(COALESCE({col}, '') <> '' AND NOT COALESCE({_is_time(col)}, 0))"

    def bad_date(col: str) -> str:
        _check_identifier(col)
        if dialect != "sqlite":
            return "(1 = 0)"
        return bad_ts(col)  # a date column may hold the day's midnight as a full time

    def ts_value(col: str) -> str:
        _check_identifier(col)
        if dialect != "sqlite":
            return col
        return f"CASE WHEN {_is_time(col)} THEN {col} END"

    return {"bad_ts": bad_ts, "bad_date": bad_date, "ts_value": ts_value}


def _check_identifier(col: str) -> None:
    if not all(part.isidentifier() for part in col.split(".")):
        raise ValueError(f"not an SQL identifier: {col!r}")


def execute(conn, name: str, params: dict[str, Any] | None = None, lists: Iterable[str] = (), **context: Any):
    """Run a SELECT from a file with bound params on an open connection; ``lists`` names the
    params bound as lists (``IN :name``)."""
    stmt = sa.text(render(name, conn.dialect.name, **context))
    if lists:
        stmt = stmt.bindparams(*(sa.bindparam(n, expanding=True) for n in lists))
    return conn.execute(stmt, params or {})


def query(engine, name: str, params: dict[str, Any] | None = None, **context: Any) -> list[dict]:
    """Run a SELECT from a file with bound params; rows as dicts."""
    with engine.connect() as conn:
        result = execute(conn, name, params, **context)
        keys = list(result.keys())
        return [dict(zip(keys, row)) for row in result.all()]


def tuples(conn, name: str, params: dict[str, Any] | None = None, lists: Iterable[str] = (),
           **context: Any) -> tuple[list[str], list[tuple]]:
    """Run a SELECT from a file on an open connection: (column names, rows as the driver's tuples).
    A text statement has no result types for SQLAlchemy to apply; its Row objects are what
    costs: the policy bench's three rule statements (~130,000 rows, read and turned into columns)
    take 0.32-0.35 s of CPU through Rows, 0.22-0.26 s as tuples (3 runs each, 2026-12-06, loaded)."""
    result = execute(conn, name, params, lists, **context)
    try:
        return list(result.keys()), result.cursor.fetchall()
    finally:
        result.close()


def columns(conn, name: str, params: dict[str, Any] | None = None, lists: Iterable[str] = (),
            **context: Any) -> dict[str, list]:
    """Run a SELECT from a file on an open connection; its rows as columns (name -> values)."""
    keys, rows = tuples(conn, name, params, lists, **context)
    return {k: list(col) for k, col in zip(keys, zip(*rows) if rows else [()] * len(keys))}


def fen_column(values: list, dialect: str) -> list[int]:
    """The values of a ``{{ fen(col) }}`` column as integer fen: PostgreSQL computed them; on
    SQLite they are the stored amounts, rounded to the fen half up from their decimal text."""
    if not dialect.startswith("sqlite"):
        return values
    out = []
    for v in values:
        d = decimal.Decimal(repr(v) if isinstance(v, float) else str(v).strip() or "0")
        out.append(int(d.scaleb(2).quantize(1, rounding=decimal.ROUND_HALF_UP)))
    return out


def stream(engine, name: str, params: dict[str, Any] | None = None, batch: int = 10_000, **context: Any):
    """Iterate the rows of a large SELECT with a server-side cursor (PostgreSQL)."""
    sql = render(name, engine.dialect.name, **context)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, max_row_buffer=batch).execute(
            sa.text(sql), params or {}
        )
        keys = list(result.keys())
        for row in result:
            yield dict(zip(keys, row))


def require_columns(engine, table: str, columns: Iterable[str]) -> None:
    """Fail early, naming the table and column, when a department table lacks one.

    The columns are those of a statement that returns no row (``SELECT * … WHERE 1 = 0``): one
    round trip, where SQLAlchemy's inspector runs several catalogue queries per table (20-40 ms
    on PostgreSQL). Should that statement fail, the inspector decides whether the table is
    missing (and any other error, e.g. the server being down, is raised as it is)."""
    _check_identifier(table)
    try:
        with engine.connect() as conn:
            none = sa.select(sa.literal_column("*")).select_from(sa.table(table)).where(sa.false())
            found = conn.execute(none).keys()
        present = {k.lower() for k in found}
    except sa.exc.DBAPIError:
        try:
            present = {c["name"].lower() for c in sa.inspect(engine).get_columns(table)}
        except sa.exc.NoSuchTableError:
            present = set()
    if not present:
        raise DepartmentSchemaError(f"department table {table!r} is missing ({engine.url.render_as_string()})")
    missing = [c for c in columns if c.lower() not in present]
    if missing:
        raise DepartmentSchemaError(f"department table {table!r} lacks column(s) {', '.join(missing)}")


# --- value normalisation (SQLite gives text, PostgreSQL gives typed values) --------------------


def to_dt(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value).strip()
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("T", " ")[:26])


def to_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "y", "yes")
    return bool(value)


def to_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text != "" else None


def ts_text(value: dt.datetime | dt.date) -> str:
    """A bound-parameter value for a department timestamp comparison."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.strftime("%Y-%m-%d")
