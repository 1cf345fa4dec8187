"""The urgent-petition watch's rules (急险 先予处置 / 即时响应), over the rows of one statement.

``include/sql/petitions/urgent.sql`` reads the urgent petitions of the 7-day window that are not
fed back as of ``as_of`` (through the partial index the project asks for), with the bulletin's
validity rules (``_rules.sql``) as each row's quarantine reason; :func:`stage_of` gives each
valid one its stage and :func:`compute` builds the contract's report.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from gxq import periods, sql
from gxq.petitions.rules import INVALID_REASONS

CONN_ID = "dept_petitions"
REQUIRED_COLUMNS = {
    "petitions": ("petition_id", "received_at", "topic", "street", "is_urgent", "dispatch_due_at", "dispatched_at",
                  "feedback_due_at", "feedback_at", "status", "satisfaction", "revisited_at", "kind"),
    "petition_units": ("petition_id", "unit_code", "role"),
}

WINDOW = dt.timedelta(days=7)  # received_at in (as_of − 7 days, as_of]
DISPATCH_SOON = dt.timedelta(minutes=30)  # 即将分拨到期
FEEDBACK_SOON = dt.timedelta(minutes=60)  # 即将反馈到期
ESCALATE_MINUTES = 120  # 督办: overdue by two hours or more

# The alert stages in the contract's order (alerts are sorted by it); in_time is no alert.
STAGES = ("dispatch_overdue", "feedback_overdue", "dispatch_due_soon", "feedback_due_soon")
IN_TIME = "in_time"
STAGE_LABELS = {
    "dispatch_overdue": "分拨超时",
    "feedback_overdue": "反馈超时",
    "dispatch_due_soon": "即将分拨到期",
    "feedback_due_soon": "即将反馈到期",
    IN_TIME: "时限内",
}
DISPATCH_STAGES = ("dispatch_overdue", "dispatch_due_soon")  # to office: 先予处置, the street may act
OVERDUE_STAGES = ("dispatch_overdue", "feedback_overdue")


def check_schema(engine) -> None:
    for table, columns in REQUIRED_COLUMNS.items():
        sql.require_columns(engine, table, columns)


def minutes_between(due: dt.datetime, as_of: dt.datetime) -> int:
    """Whole minutes from ``due`` to ``as_of``, rounded toward zero (negative when due later)."""
    us = (as_of - due) // dt.timedelta(microseconds=1)
    whole = abs(us) // 60_000_000
    return whole if us >= 0 else -whole


def stage_of(as_of: dt.datetime, dispatched_at: dt.datetime | None, dispatch_due_at: dt.datetime | None,
             feedback_due_at: dt.datetime | None) -> tuple[str, dt.datetime | None]:
    """(stage, the due time of that stage) of a watched petition as of ``as_of`` (naive local times).

    The first that applies: dispatch_overdue, feedback_overdue, dispatch_due_soon, feedback_due_soon,
    else in_time (due None). A NULL due time is never due."""
    dispatched = dispatched_at is not None and dispatched_at <= as_of
    if not dispatched and dispatch_due_at is not None and dispatch_due_at <= as_of:
        return "dispatch_overdue", dispatch_due_at
    if dispatched and feedback_due_at is not None and feedback_due_at <= as_of:
        return "feedback_overdue", feedback_due_at
    if not dispatched and dispatch_due_at is not None and as_of < dispatch_due_at <= as_of + DISPATCH_SOON:
        return "dispatch_due_soon", dispatch_due_at
    if dispatched and feedback_due_at is not None and as_of < feedback_due_at <= as_of + FEEDBACK_SOON:
        return "feedback_due_soon", feedback_due_at
    return IN_TIME, None


def local_iso(value: dt.datetime) -> str:
    """A naive local (Asia/Shanghai) time as ISO 8601 with its offset: ``2021-03-23T09:30:00+08:00``."""
    return value.replace(tzinfo=periods.TZ).isoformat()


def read_rows(engine, as_of: dt.datetime) -> list[dict]:
    """The statement's rows for ``as_of`` (naive local): the window's urgent petitions not fed back."""
    params = {"since": sql.ts_text(as_of - WINDOW), "as_of": sql.ts_text(as_of)}
    return sql.query(engine, "petitions/urgent", params)


def _times(row: dict) -> dict | None:
    """The row's timestamps as datetimes; None when one is text that is not a time (SQLite stores
    text: such a row is quarantined as bad_timestamp, like the bulletin does)."""
    try:
        return {c: sql.to_dt(row[c]) for c in ("received_at", "dispatch_due_at", "dispatched_at", "feedback_due_at")}
    except (TypeError, ValueError):
        return None


def _reason_order(reason: str) -> tuple[int, str]:
    order = ("bad_timestamp", *(r for r in INVALID_REASONS if r != "bad_timestamp"))
    return (order.index(reason) if reason in order else len(order), reason)


def compute(rows: list[dict], period: periods.Period) -> dict:
    """The contract's report of one as_of (``period.start``) from ``read_rows``' rows, plus the
    extras the 看板 and the notices use: ``watched_petitions`` (every watched petition with its
    stage, in time ones included, by petition_id) and ``excluded`` (the window's quarantined
    urgent rows by reason, only reasons above 0)."""
    as_of = period.start
    watched, excluded, invalid = [], Counter(), []
    for row in rows:
        reason = row["reason"]
        times = _times(row) if reason is None else None
        if reason is None and times is None:
            reason = "bad_timestamp"
        if reason is not None:
            excluded[reason] += 1
            invalid.append({"petition_id": str(row["petition_id"]), "reason": reason})
            continue
        stage, due = stage_of(as_of, times["dispatched_at"], times["dispatch_due_at"], times["feedback_due_at"])
        dispatched = times["dispatched_at"] is not None and times["dispatched_at"] <= as_of
        watched.append({
            "petition_id": str(row["petition_id"]),
            "stage": stage,
            "unit": None if not dispatched or row["unit"] is None else str(row["unit"]),
            "street": row["street"],
            "topic": row["topic"],
            "received_at": local_iso(times["received_at"]),
            "due_at": None if due is None else local_iso(due),
            "minutes": None if due is None else minutes_between(due, as_of),
        })
    watched.sort(key=lambda w: w["petition_id"])
    order = {stage: i for i, stage in enumerate(STAGES)}
    alerts = sorted((w for w in watched if w["stage"] != IN_TIME), key=lambda w: (order[w["stage"]], w["petition_id"]))
    escalated = sorted(w["petition_id"] for w in alerts
                       if w["stage"] in OVERDUE_STAGES and w["minutes"] >= ESCALATE_MINUTES)
    return {
        "period": period.key,
        "as_of": local_iso(as_of),
        "watched": len(watched),
        "alerts": [{k: w[k] for k in ("petition_id", "stage", "unit", "street", "due_at", "minutes")} for w in alerts],
        "escalated": escalated,
        # beyond the contract: what the 看板 and the notices show
        "watched_petitions": watched,
        "excluded": {r: excluded[r] for r in sorted(excluded, key=_reason_order)},
        "invalid": sorted(invalid, key=lambda r: r["petition_id"]),
    }
