"""The week's figures, computed in the department database (``include/sql/petitions``).

The week is read once: one statement (``week.sql``) finds the rows the week needs (indexes on the
four time columns and the backlog's serve its range predicates) and answers each question the
report asks of them in SQL, one named CTE each, returned as one row with a JSON column per question
(``gxq.sql`` ``json_columns``: the question's rows column by column); Python only orders and
assembles (``rules``). ``unit_days.sql`` counts
the days of longer windows (``gxq.petitions.daily``), per unit and per topic, in one statement too.
"""

from __future__ import annotations

import datetime as dt

from gxq import periods, sql, units
from gxq.petitions import rules

CONN_ID = "dept_petitions"
# Columns of the contract the bulletin reads; checked first so a missing one fails by name.
REQUIRED_COLUMNS = {
    "petitions": ("petition_id", "received_at", "kind", "topic", "street", "dispatch_due_at", "dispatched_at",
                  "feedback_due_at", "feedback_at", "status", "satisfaction", "revisited_at"),
    "petition_units": ("petition_id", "unit_code", "role"),
    "units": ("unit_code", "unit_name"),
}
# Lower bound of due times: keeps '' (NULL on SQLite) out of "due before the end".
DUE_FLOOR = "1900-01-01 00:00:00"


def check_schema(engine) -> None:
    for table, columns in REQUIRED_COLUMNS.items():
        sql.require_columns(engine, table, columns)


def _window(start: dt.datetime, end: dt.datetime) -> dict:
    return {"start": sql.ts_text(start), "end": sql.ts_text(end)}


def window_days(engine, first: dt.date, end: dt.date) -> tuple[list[dict], list[dict]]:
    """The days of the whole days [first, end) in one statement (``unit_days.sql``):

    - the figures of ``rules.unit_metrics`` per lead unit and day, ``[{"unit": code | None, "day":
      date, <UNIT_METRIC_FIELDS>...}]``, each figure on the day of its own timestamp, so that
      ``rules.unit_metrics`` of the rows of any days is those days' figures;
    - the complaints received per topic, street, lead unit and day, ``[{"topic", "street",
      "lead_unit", "day", "complaints"}]`` (the 突增 baselines), shaped like ``topics``' rows.
    """
    days = _answers(engine, "petitions/unit_days", _window(_midnight(first), _midnight(end)))
    return _day_rows(days["unit_days"], first, end), _complaint_rows(days["complaints"], first, end)


def _answers(engine, name: str, params: dict) -> dict:
    """The one row of a statement that answers its questions one column each: a question's rows
    column by column (``json_columns``: ``{"col": [values...], ...}``), or a number."""
    with engine.connect() as conn:
        row = sql.execute(conn, name, params).one()._mapping
    return {k: sql.json_value(v) for k, v in row.items()}


def _rows(columns: dict[str, list]) -> list[dict]:
    """A ``json_columns`` answer as row dicts (for the answers of a few rows each)."""
    keys = list(columns)
    return [dict(zip(keys, values)) for values in zip(*columns.values())]


def _complaint_rows(cols: dict[str, list], first: dt.date, end: dt.date) -> list[dict]:
    """The complaints per topic, street, lead unit and day of the window [first, end) as the 突增
    rules read them: ``[{"topic", "street", "lead_unit", "day", "complaints"}]``."""
    day_in = _days_in(first, end)
    return [{"topic": topic, "street": street, "lead_unit": None if unit is None else str(unit),
             "day": day_in(day), "complaints": int(n)}
            for topic, street, unit, day, n in zip(cols["topic"], cols["street"], cols["unit"], cols["received_day"],
                                                   cols["n"])]


# The figure families of r.figures() (include/sql/petitions/_rules.sql): the day column of each and
# what a grouped row adds to its figures there: its n petitions, or the sum of a flag over them.
FAMILIES = (
    ("received_day", (("received", None),)),
    ("dispatch_day", (("dispatch_due", None), ("dispatch_on_time", "dispatch_on_time"))),
    ("feedback_day", (("feedback_due", None), ("feedback_on_time", "feedback_on_time"))),
    ("revisit_day", (("surveyed", "surveyed"), ("satisfied", "satisfied"))),
)


def _day_rows(cols: dict[str, list], first: dt.date, end: dt.date) -> list[dict]:
    """One row per (unit, day) of the window [first, end) from the statement's grouped rows, column
    by column (unit, the days of r.figures(), the flags summed, n), ordered by day, petitions without
    a lead first.

    A day the database gives that is not a date in [first, end) (text that only starts like a
    timestamp, on SQLite) is counted on the nearest day of the window: the window's sums stay exact.
    """
    day_in = _days_in(first, end)
    units = [None if u is None else str(u) for u in cols["unit"]]
    counts = [int(n) for n in cols["n"]]
    merged: dict[tuple, dict] = {}
    for day_column, adds in FAMILIES:
        sums = [counts if flag is None else [int(v or 0) for v in cols[flag]] for _field, flag in adds]
        for i, value in enumerate(cols[day_column]):
            if value is None:
                continue
            key = (units[i], day_in(value))
            acc = merged.get(key)
            if acc is None:
                acc = merged[key] = {"unit": key[0], "day": key[1], **dict.fromkeys(rules.UNIT_METRIC_FIELDS, 0)}
            for (field, _flag), values in zip(adds, sums):
                acc[field] += values[i]
    return sorted(merged.values(), key=lambda r: (r["day"], r["unit"] is not None, r["unit"] or ""))


def _days_in(first: dt.date, end: dt.date):
    """``_day_in`` for the window [first, end), each distinct value read once (a week's thousands
    of grouped rows name its seven days)."""
    seen: dict = {}

    def day_in(value) -> dt.date:
        day = seen.get(value)
        if day is None:
            day = seen[value] = _day_in(value, first, end)
        return day
    return day_in


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _day_in(value, first: dt.date, end: dt.date) -> dt.date:
    try:
        day = sql.to_date(value)
    except (TypeError, ValueError):
        day = None
    if day is None or day < first:
        return first
    last = end - dt.timedelta(days=1)
    return min(day, last)


def read_week(engine, period: periods.Period) -> dict:
    """``week.sql`` for ``period`` (one statement: the week's rows are read once), answered by
    question: ``{"unit_days": {...}, "kinds": {...}, "complaints": {...}, "topic_units": {...},
    "invalid": {...}, "overdue": {...}, "urgent": {...}, "unit_directory": {...}}`` (each the
    question's rows column by column, ``{"col": [values...]}``) and ``"received_prev"`` (a count)."""
    return _answers(engine, WEEK_SQL, week_params(period))


WEEK_SQL = "petitions/week"


def week_params(period: periods.Period) -> dict:
    """The bound params of ``week.sql`` for ``period`` (bench/ measures the statement alone, by COPY)."""
    return {**_window(period.start, period.end), "floor": DUE_FLOOR, "prev_start": sql.ts_text(period.previous().start)}


def invalid_rows(week: dict) -> list[dict]:
    """数据质量隔离: the quarantined petitions relevant to the week, by reason (the contract's order), id."""
    cols = week["invalid"]
    out = [{"petition_id": str(pid), "reason": reason, "received_at": _minute(received)}
           for pid, reason, received in zip(cols["petition_id"], cols["reason"], cols["received_at"])]
    order = {reason: i for i, reason in enumerate(rules.INVALID_REASONS)}
    out.sort(key=lambda r: (order[r["reason"]], r["petition_id"]))
    return out


def topics(week: dict, period: periods.Period) -> tuple[list[dict], dict[str, int], list[dict]]:
    """(top_topics, complaints per topic, complaints per topic, street, lead unit and day) of the
    complaints received in the week, from ``read_week``'s answers."""
    day_rows = _complaint_rows(week["complaints"], period.first_day, period.end.date())
    return rules.top_topics(day_rows, _rows(week["topic_units"])), rules.topic_counts(day_rows), day_rows


def week_topics(engine, period: periods.Period) -> tuple[list[dict], dict[str, int], list[dict]]:
    """``topics`` of a week read from the department (supervision, for weeks not in gxq_ops)."""
    return topics(read_week(engine, period), period)


def overdue_rows(week: dict, end: dt.datetime) -> list[dict]:
    """超期未反馈: the backlog at the week's ``end``, by petition id."""
    out = []
    cols = week["overdue"]
    for pid, topic, street, received, due_at, unit in zip(cols["petition_id"], cols["topic"], cols["street"],
                                                          cols["received_at"], cols["feedback_due_at"], cols["unit"]):
        due = sql.to_dt(due_at)
        out.append({
            "petition_id": str(pid),
            "topic": topic,
            "street": street,
            "received_at": _minute(received),
            "feedback_due_at": _minute(due_at),
            "days_overdue": (end - due).days if due else None,
            "lead_unit": None if unit is None else str(unit),
        })
    out.sort(key=lambda r: r["petition_id"])
    return out


def _minute(value) -> str | None:
    """A timestamp as the bulletin shows it, ``2021-03-01 10:00``: from the text the statement
    gives (``2021-03-01T10:00:00`` from PostgreSQL's JSON, ``2021-03-01 10:00:00`` from SQLite) by
    cutting it, without parsing (the backlog's thousands of rows); anything else through ``_fmt``."""
    if isinstance(value, str) and len(value) >= 16 and value[10] in "T " and "1" <= value[0] <= "9":
        return f"{value[:10]} {value[11:16]}"
    return _fmt(sql.to_dt(value))


def _fmt(value: dt.datetime | None) -> str | None:
    if not value:
        return None
    if value.year >= 1000:  # isoformat is the same text, several times faster than strftime (the backlog's rows)
        return value.isoformat(sep=" ", timespec="minutes")
    return value.strftime("%Y-%m-%d %H:%M")


URGENT_ESCALATE = dt.timedelta(minutes=120)  # as the 急险 watch: late by two hours or more is 督办


def urgent_week(engine, period: periods.Period) -> dict:
    """:func:`urgent_counts` of a week read from the department (``read_week``)."""
    return urgent_counts(_rows(read_week(engine, period)["urgent"]), period.end)


def urgent_counts(rows: list[dict], end: dt.datetime) -> dict:
    """急险 in the week (the bulletin's extra ``urgent``) from ``read_week``'s ``urgent`` rows: the
    valid urgent petitions received in W, those dispatched and fed back on time (dispatched_at ≤
    dispatch_due_at, feedback_at ≤ feedback_due_at), and those that were or are late by 120 minutes
    or more at either step as of W's ``end`` (督办). Times after W's end count as not happened yet; a
    NULL due time is never due."""
    received = dispatched = fed_back = escalated = 0
    for r in rows:
        t = {c: _as_of_end(r[c], end, event=c in ("dispatched_at", "feedback_at"))
             for c in ("dispatch_due_at", "dispatched_at", "feedback_due_at", "feedback_at")}
        received += 1
        dispatched += bool(t["dispatched_at"] and t["dispatch_due_at"] and t["dispatched_at"] <= t["dispatch_due_at"])
        fed_back += bool(t["feedback_at"] and t["feedback_due_at"] and t["feedback_at"] <= t["feedback_due_at"])
        late = [(t["dispatched_at"] or end) - t["dispatch_due_at"] if t["dispatch_due_at"] else None,
                (t["feedback_at"] or end) - t["feedback_due_at"]
                if t["dispatched_at"] and t["feedback_due_at"] else None]
        escalated += any(x is not None and x >= URGENT_ESCALATE for x in late)
    return {"received": received, "dispatched_on_time": dispatched, "fed_back_on_time": fed_back,
            "escalated": escalated}


def _as_of_end(value, end: dt.datetime, event: bool) -> dt.datetime | None:
    """A timestamp as known at ``end``: None when NULL or unreadable, and for an event (dispatched,
    fed back) when it happened only at or after ``end``."""
    try:
        when = sql.to_dt(value)
    except (TypeError, ValueError):
        return None
    if event and when is not None and when >= end:
        return None
    return when


def compute_week(engine, period: periods.Period) -> dict:
    """Every number of the contract's report for one week, plus the detail rows behind them.

    Returns ``{"report": <contract report>, "detail": {...}}``; ``detail`` holds what the people's
    files need (per-unit metrics, overdue and quarantined rows, topic counts) and the week's
    per-unit, per-day counts (``unit_days``).
    """
    week = read_week(engine, period)
    days = _day_rows(week["unit_days"], period.first_day, period.end.date())
    totals, per_unit = rules.unit_metrics(days)
    kinds = week["kinds"]
    kinds_block = rules.by_kind({"kind": kind, "received": n} for kind, n in zip(kinds["kind"], kinds["n"]))
    top, counts, topic_rows = topics(week, period)
    overdue = overdue_rows(week, period.end)
    invalid = invalid_rows(week)
    report = {
        "period": period.key,
        "start": period.first_day.isoformat(),
        "end": period.last_day.isoformat(),
        "received": totals["received"],
        "received_prev": int(week["received_prev"]),
        "by_kind": kinds_block,
        **rules.rates_block(totals),
        "top_topics": top,
        "overdue_open": [r["petition_id"] for r in overdue],
        "units": rules.units_table(per_unit, overdue),
        "excluded": rules.excluded(invalid),
    }
    detail = {
        "totals": totals,
        "per_unit": per_unit,
        "topic_counts": counts,
        "overdue": overdue,
        "invalid": invalid,
        "unit_days": days,  # the week's figures per unit and day, kept in gxq_ops by compute_all
        "topic_days": topic_rows,  # the week's complaints per topic, street, lead and day (also kept)
        "urgent": urgent_counts(_rows(week["urgent"]), period.end),  # 急险 in the week (the watch's 督办 rule)
        "unit_names": units.as_directory(_rows(week["unit_directory"])),  # the unit directory as of this bulletin
    }
    return {"report": report, "detail": detail}

