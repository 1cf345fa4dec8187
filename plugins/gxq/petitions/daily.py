"""Per-unit, per-day counts of the bulletin's figures, kept in ``gxq_ops`` (tables
``petition_days`` and ``petition_unit_days``, migration ``petitions_0002``), and per-topic,
per-street, per-day complaint counts (``petition_topic_days``, migration ``petitions_0003``) for the
突增 baselines: a topic's complaints in each of the 8 weeks before W are sums of stored days.

Why: the bulletin's year to date, 8-week trend and monthly ranking are ``unit_metrics`` over ~30
weeks; read from the department each week they cost ~30 weeks of reads for a one-week bulletin.
Every figure of ``unit_metrics`` counts a valid, not withdrawn petition at most once, by one
timestamp in the window (受理 by received_at, 分拨 by dispatch_due_at, 反馈 by feedback_due_at, 回访
by revisited_at), and the lead unit and the validity of a petition do not depend on the window.
So the figures of a window of whole days are the sums of its days' figures — a petition whose
timestamps fall in different weeks counts each figure on its own day, exactly as the direct
window counts it — and the rates are computed from the summed numerators and denominators
(``rules.rates_block``), never averaged.

A bulletin calls this module once per run for all of it (:func:`keep`). What a run reads from the department:

- its own week, which ``compute.compute_week`` reads anyway (``week.sql``, one statement):
  the week's days are stored as read, replacing what was stored (a rerun of a week is idempotent);
- the days of the window it needs (year to date, trend, ranking month, the 8 weeks of the surge
  baseline) that were never stored for this department database: the first run, a backfill that
  starts mid-year, a new database, and days stored before ``petitions_0003`` (``has_topics``
  false: they lack the topic counts). Each contiguous run of missing days is read once, in one
  statement grouped by day (``unit_days.sql``: per unit, and per topic and street), and stored. At
  1M rows the year to date of 2021-W22 (22 weeks) is one 2-6 s statement (a hash join with
  petition_units; at tens of millions of rows it reads petition_units whole, once).

Freshness (the decision): a stored day holds the counts of the last run that read it — normally
the bulletin of its week, issued the Monday after. The year to date is then the sum of the weeks
as they were reported. A later change in the department to an older week (a petition withdrawn,
a lead unit changed, a timestamp corrected) reaches the sums when that week is read again: rerun
that week's bulletin, run ``python -m gxq.petitions.daily recount FIRST_DAY END_DAY``, or set
``GXQ_PETITIONS_RECOUNT_WEEKS=N`` so that every run also re-reads the N weeks before its own (one
statement; each week costs about one more week of department reads).

``source`` keys every row by the department database it was read from, so counts of another
database (the demo data, a database moved to another server) are never summed: for a new source
the missing days are read once.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import hashlib
import logging
import os

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gxq import store
from gxq.connections import OPS_CONN_ID, engine_for
from gxq.petitions import compute, rules
from gxq.petitions.tables import petition_days, petition_topic_days, petition_unit_days
from gxq.progress import Progress

FIELDS = rules.UNIT_METRIC_FIELDS
RECOUNT_ENV = "GXQ_PETITIONS_RECOUNT_WEEKS"
MERGE_GAP_DAYS = 7  # missing runs closer than this are read in one statement (stored days between re-read)
_CHUNK = 200
log = logging.getLogger(__name__)


def ops_store():
    """The ``gxq_ops`` engine, at the heads: the DAG's compute task migrated it in its plan
    (``check_schema``), and a later call in the same process checks nothing again; run on its own,
    one read of the version table (``store.ensure_schema``; Alembic only to migrate)."""
    return store.ensure_schema(engine_for(OPS_CONN_ID))


def source_key(engine) -> str:
    """Which department database ``engine`` reads: ``postgresql://host:port/db`` or ``sqlite:/path``
    (never a password)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA database_list").all()
        path = next((r[2] for r in rows if r[1] == "main"), None) or engine.url.database or ":memory:"
        key = f"sqlite:{path}"
    else:
        url = engine.url
        key = f"{url.get_backend_name()}://{url.host or ''}:{url.port or 5432}/{url.database or ''}"
    if len(key) > 300:
        key = key[:250] + "#" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return key


def recount_weeks() -> int:
    value = os.environ.get(RECOUNT_ENV, "").strip()
    try:
        return max(0, min(int(value), 60)) if value else 0
    except ValueError:
        return 0


def _days(first: dt.date, end: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((end - first).days)]


def _insert(ops):
    """The dialect's INSERT with ``on_conflict_do_update``."""
    return postgresql.insert if ops.dialect.name == "postgresql" else sqlite.insert


def save(ops, source: str, first: dt.date, end: dt.date, rows: list[dict], week_key: str,
         topic_rows: list[dict]) -> None:
    """Store the counts of the days [first, end) (``rows`` and ``topic_rows`` as
    ``compute.window_days`` gives them over exactly those days), replacing what was stored
    for them: reruns are idempotent, a day without rows is stored as a day without petitions. One
    transaction; days are locked in order (concurrent runs of overlapping windows serialise on
    them, the last writer's counts stay)."""
    with ops.begin() as conn:
        _save(conn, source, first, end, rows, week_key, topic_rows)


def _save(conn, source: str, first: dt.date, end: dt.date, rows: list[dict], week_key: str,
          topic_rows: list[dict]) -> None:
    """:func:`save` on an open transaction."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    days = _days(first, end)
    insert = _insert(conn)
    for i in range(0, len(days), _CHUNK):
        stmt = insert(petition_days).values(
            [{"source": source, "day": d, "week_key": week_key, "computed_at": now, "has_topics": True}
             for d in days[i:i + _CHUNK]])
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["source", "day"],
            set_={"week_key": stmt.excluded.week_key, "computed_at": stmt.excluded.computed_at,
                  "has_topics": stmt.excluded.has_topics}))
    for table in (petition_unit_days, petition_topic_days):
        conn.execute(table.delete().where(table.c.source == source, table.c.day >= first, table.c.day < end))
    values = []
    for r in rows:
        _check_day(r["day"], first, end)
        values.append({"source": source, "day": r["day"], "has_lead": r["unit"] is not None,
                       "unit_code": r["unit"] if r["unit"] is not None else "",
                       **{f: int(r[f]) for f in FIELDS}})
    if values:  # one executemany: SQLAlchemy sends the rows in pages (insertmanyvalues)
        conn.execute(petition_unit_days.insert(), values)
    topics = topic_day_counts(topic_rows)
    for day, _, _ in topics:
        _check_day(day, first, end)
    values = [{"source": source, "day": day, "topic": topic, "street": street if street is not None else "",
               "complaints": n} for (day, topic, street), n in sorted(topics.items(), key=_topic_key)]
    if values:
        conn.execute(petition_topic_days.insert(), values)


def _check_day(day: dt.date, first: dt.date, end: dt.date) -> None:
    if not first <= day < end:
        raise ValueError(f"day {day} outside [{first}, {end})")


def _topic_key(item):
    (day, topic, street), _ = item
    return day, topic, street or ""


def topic_day_counts(topic_rows: list[dict]) -> dict[tuple, int]:
    """{(day, topic, street): complaints} summed over lead units; complaints without a topic are
    no topic (as for the top list) and are left out."""
    out: dict[tuple, int] = {}
    for r in topic_rows:
        if r["topic"] is None:
            continue
        key = (r["day"], r["topic"], r["street"])
        out[key] = out.get(key, 0) + int(r["complaints"])
    return out


def stored_days(ops, source: str, first: dt.date, end: dt.date) -> set[dt.date]:
    """The days of [first, end) stored with both their unit and topic counts."""
    with ops.connect() as conn:
        return _stored_days(conn, source, first, end)


def _stored_days(conn, source: str, first: dt.date, end: dt.date) -> set[dt.date]:
    got = conn.execute(sa.select(petition_days.c.day).where(
        petition_days.c.source == source, petition_days.c.day >= first, petition_days.c.day < end,
        petition_days.c.has_topics.is_(True))).scalars()
    return {_as_date(d) for d in got}


def missing_runs(stored: set[dt.date], first: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The [a, b) runs of days in [first, end) not stored; runs less than ``MERGE_GAP_DAYS`` apart
    are merged (a few stored days are re-read rather than another statement run)."""
    runs: list[list[dt.date]] = []
    for d in _days(first, end):
        if d in stored:
            continue
        nxt = d + dt.timedelta(days=1)
        if runs and (d - runs[-1][1]).days < MERGE_GAP_DAYS:
            runs[-1][1] = nxt
        else:
            runs.append([d, nxt])
    return [(a, b) for a, b in runs]


def recount(ops, engine, source: str, first: dt.date, end: dt.date, week_key: str) -> None:
    """Read the days [first, end) from the department (one statement) and store them."""
    if first < end:
        unit_rows, topic_rows = compute.window_days(engine, first, end)
        save(ops, source, first, end, unit_rows, week_key, topic_rows)


def fill_missing(ops, engine, source: str, first: dt.date, end: dt.date, week_key: str) -> list[tuple]:
    """Read and store the days of [first, end) not stored yet; returns the runs read."""
    runs = missing_runs(stored_days(ops, source, first, end), first, end)
    for a, b in runs:
        recount(ops, engine, source, a, b, week_key)
    return runs


def keep(ops, engine, week, unit_days: list[dict], topic_days: list[dict], first: dt.date,
         topics_first: dt.date) -> tuple[list[dict], list[dict]]:
    """What a bulletin of ``week`` keeps and reads back, in one call: the week's days stored as
    ``compute.compute_week`` counted them (replacing what was stored), the days of [first, week)
    never stored read from the department once and stored (and, with ``GXQ_PETITIONS_RECOUNT_WEEKS``,
    the weeks before re-read); returns the stored per-unit rows of [first, week's end) (``load``)
    and the per-topic rows of [topics_first, week) (``load_topics``)."""
    source = source_key(engine)
    end = week.end.date()
    with ops.begin() as conn:  # one transaction: the week stored, then which days before it are
        _save(conn, source, week.first_day, end, unit_days, week.key, topic_days)
        stored = _stored_days(conn, source, first, week.first_day)
    weeks = recount_weeks()
    if weeks:
        again = max(first, week.first_day - dt.timedelta(weeks=weeks))
        recount(ops, engine, source, week.first_day - dt.timedelta(weeks=weeks), week.first_day, week.key)
        stored |= set(_days(again, week.first_day))
    filled = missing_runs(stored, first, week.first_day)
    for a, b in filled:
        recount(ops, engine, source, a, b, week.key)
    if filled:
        log.info("petitions: read %s from %s (days not stored yet)", ", ".join(f"{a}..{b}" for a, b in filled), source)
    with ops.connect() as conn:
        # the week's own days as counted and just stored, not read back
        return (_load(conn, source, first, week.first_day) + unit_days,
                _load_topics(conn, source, topics_first, week.first_day))


def load(ops, source: str, first: dt.date, end: dt.date) -> list[dict]:
    """The stored rows of [first, end), shaped like ``compute.window_days``' per-unit rows, ordered by day."""
    with ops.connect() as conn:
        return _load(conn, source, first, end)


def _load(conn, source: str, first: dt.date, end: dt.date) -> list[dict]:
    t = petition_unit_days
    columns = [t.c.day, t.c.has_lead, t.c.unit_code, *(t.c[f] for f in FIELDS)]
    got = conn.execute(sa.select(*columns).where(t.c.source == source, t.c.day >= first, t.c.day < end)
                       .order_by(t.c.day)).all()
    rows = []
    for day, has_lead, unit, *counts in got:
        row = dict(zip(FIELDS, counts))
        row["unit"] = unit if has_lead else None
        row["day"] = _as_date(day)
        rows.append(row)
    return rows


def load_topics(ops, source: str, first: dt.date, end: dt.date) -> list[dict]:
    """The stored complaints of [first, end): ``[{"day", "topic", "street", "complaints"}]`` by day
    (street None for complaints without one)."""
    with ops.connect() as conn:
        return _load_topics(conn, source, first, end)


def _load_topics(conn, source: str, first: dt.date, end: dt.date) -> list[dict]:
    t = petition_topic_days
    got = conn.execute(sa.select(t.c.day, t.c.topic, t.c.street, t.c.complaints)
                       .where(t.c.source == source, t.c.day >= first, t.c.day < end).order_by(t.c.day)).all()
    return [{"day": _as_date(day), "topic": topic, "street": street or None, "complaints": int(n)}
            for day, topic, street, n in got]


def weekly_topic_counts(rows: list[dict], weeks: list, by_street: bool = False) -> dict:
    """{topic (or (topic, street)): [complaints in each of ``weeks``]} from ``load_topics`` rows
    (or ``compute.topics`` / ``compute.window_days`` topic rows); ``weeks`` are Periods, the lists follow their order and a
    week without complaints counts 0. Complaints without a street are left out by street."""
    index = {}
    for i, w in enumerate(weeks):
        for k in range(7):
            index[w.first_day + dt.timedelta(days=k)] = i
    out: dict = {}
    for r in rows:
        i = index.get(r["day"])
        if i is None or r["topic"] is None:
            continue
        if by_street:
            if r["street"] is None:
                continue
            key = (r["topic"], r["street"])
        else:
            key = r["topic"]
        counts = out.get(key)
        if counts is None:
            counts = out[key] = [0] * len(weeks)
        counts[i] += int(r["complaints"])
    return out


def window(rows: list[dict], first: dt.date, end: dt.date):
    """(totals, per lead unit) of the days [first, end) of ``rows`` (ordered by day): what
    ``compute.unit_metrics`` gives for that window, from the summed day counts."""
    lo = bisect.bisect_left(rows, first, key=_day_key)
    hi = bisect.bisect_left(rows, end, lo=lo, key=_day_key)
    return rules.unit_metrics(rows[lo:hi])


def _day_key(row: dict) -> dt.date:
    return row["day"]


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def main(argv: list[str] | None = None) -> int:
    """``python -m gxq.petitions.daily recount FIRST_DAY END_DAY``: re-read the days
    [FIRST_DAY, END_DAY) of dept_petitions into gxq_ops (after the department corrected old rows)."""
    parser = argparse.ArgumentParser(prog="python -m gxq.petitions.daily")
    sub = parser.add_subparsers(dest="command", required=True)
    rc = sub.add_parser("recount", help="re-read days [first, end) from dept_petitions")
    rc.add_argument("first", type=dt.date.fromisoformat)
    rc.add_argument("end", type=dt.date.fromisoformat)
    args = parser.parse_args(argv)
    if not args.first < args.end or (args.end - args.first).days > 800:
        parser.error("need FIRST_DAY < END_DAY, at most 800 days apart")
    engine = engine_for(compute.CONN_ID)
    ops = ops_store()
    source = source_key(engine)
    # A month per statement: progress to watch, and no single year-long read.
    months = []
    first = args.first
    while first < args.end:
        nxt = min(args.end, (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1))
        months.append((first, nxt))
        first = nxt
    with Progress("recount", total=len(months), unit="months") as bar:
        for a, b in months:
            recount(ops, engine, source, a, b, "recount")
            bar.update()
    print(f"recounted {args.first} .. {args.end} (exclusive) from {source_key(engine)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
