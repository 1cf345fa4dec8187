"""The bulletin's year to date, 8-week trend and monthly ranking are sums of per-unit, per-day
counts kept in gxq_ops (``gxq.petitions.daily``): they must equal what ``unit_metrics`` gives read
directly over the same windows (the computation before the store), on the demo data and on
hand-built edge cases, on SQLite and PostgreSQL; the department is read for the week and for days
never stored, once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from gxq import periods
from gxq.petitions import compute, daily, pipeline, rules
from gxq.petitions.tables import petition_days, petition_topic_days, petition_unit_days

from tests.conftest import pg_url
from tests.petitions.conftest import PetitionsDB

# The direct computation before the store, kept here as the reference: one statement over the
# whole window (the relevance, lead and validity rules of unit_days.sql, aggregated per unit).
REFERENCE_SQL = Path(__file__).resolve().parent / "sql" / "unit_metrics.sql"


def unit_metrics(engine, start: dt.datetime, end: dt.datetime):
    """(totals, per lead unit) of the window's valid relevant petitions, read directly."""
    from gxq import sql

    # gxq.sql resolves names under include/sql; an absolute path is taken as it is
    rows = sql.query(engine, str(REFERENCE_SQL), {"start": sql.ts_text(start), "end": sql.ts_text(end)})
    return rules.unit_metrics(rows)


def _trend_row(key, totals):
    block = rules.rates_block(totals)
    return {"period": key, "received": totals["received"], "dispatch_rate": block["dispatch"]["rate"],
            "feedback_rate": block["feedback"]["rate"], "satisfaction_rate": block["satisfaction"]["rate"]}


def direct(engine, week_key: str) -> dict:
    """The extras as compute_all computed them before the store: unit_metrics over each window."""
    period = periods.parse_key(week_key)
    ytd_start, ytd_end = pipeline.ytd_window(period)
    ytd_totals, ytd_units = unit_metrics(engine, ytd_start, ytd_end)
    trend = [_trend_row(w.key, unit_metrics(engine, w.start, w.end)[0]) for w in pipeline.trend_weeks(period)]
    month = pipeline.ranking_month(period)
    ranking = None
    month_metrics = None
    if month is not None:
        month_metrics = unit_metrics(engine, month.start, month.end)
        ranking = {"month": month.key, "formula": rules.RANKING_FORMULA,
                   "units": rules.quality_ranking(month_metrics[1])}
    return {
        "ytd": {"start": ytd_start.date().isoformat(), "end": period.last_day.isoformat(),
                "received": ytd_totals["received"], **rules.rates_block(ytd_totals),
                "unit_rates": {code: {k: v["rate"] for k, v in rules.rates_block(m).items()}
                               for code, m in sorted(ytd_units.items())}},
        "below_target_ytd": rules.below_target(ytd_units),
        "trend": trend,
        "monthly_ranking": ranking,
        # the raw counts behind them, per window
        "windows": {"ytd": (ytd_totals, ytd_units), "month": month_metrics,
                    **{w.key: unit_metrics(engine, w.start, w.end) for w in pipeline.trend_weeks(period)}},
    }


def aggregated(engine, ops, week_key: str) -> dict:
    computed = pipeline.compute_all(week_key, engine=engine, ops=ops)
    json.dumps(computed, ensure_ascii=False)  # travels as an XCom
    ex = computed["extras"]
    period = periods.parse_key(week_key)
    source = daily.source_key(engine)
    ytd_start, ytd_end = pipeline.ytd_window(period)
    month = pipeline.ranking_month(period)
    rows = daily.load(ops, source, dt.date(1900, 1, 1), period.end.date())
    return {
        "ytd": ex["ytd"], "below_target_ytd": ex["below_target"]["ytd"], "trend": ex["trend"],
        "monthly_ranking": ex["monthly_ranking"],
        "windows": {"ytd": daily.window(rows, ytd_start.date(), ytd_end.date()),
                    "month": None if month is None else daily.window(rows, month.first_day, month.end.date()),
                    **{w.key: daily.window(rows, w.first_day, w.end.date()) for w in pipeline.trend_weeks(period)}},
        "computed": computed,
    }


def assert_same(engine, ops, week_key: str) -> dict:
    got = aggregated(engine, ops, week_key)
    want = direct(engine, week_key)
    for key in ("windows", "ytd", "below_target_ytd", "trend", "monthly_ranking"):
        assert got[key] == want[key], f"{week_key}: {key} differs from the direct computation"
    return got


class Reads:
    """Records the windows read from the department: the week (week.sql) and the days never stored
    (unit_days.sql, per unit and per topic in one statement)."""

    def __init__(self, monkeypatch):
        self.windows: list[tuple[dt.date, dt.date]] = []
        real, real_week = compute.window_days, compute.read_week

        def spy(engine, first, end):
            self.windows.append((first, end))
            return real(engine, first, end)

        def spy_week(engine, period):
            self.windows.append((period.first_day, period.end.date()))
            return real_week(engine, period)

        monkeypatch.setattr(compute, "window_days", spy)
        monkeypatch.setattr(compute, "read_week", spy_week)

    def take(self) -> list[tuple[dt.date, dt.date]]:
        out, self.windows = self.windows, []
        return out


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture(scope="session")
def _pg_daily_ops(pg):
    return pg.create("daily_ops")


def _fresh_ops(kind: str, tmp_path, request):
    from gxq import store

    if kind == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'gxq_ops_daily.db'}", poolclass=sa.pool.NullPool)
    else:
        engine = sa.create_engine(pg_url(request.getfixturevalue("_pg_daily_ops")), poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(petition_unit_days.delete())
        conn.execute(petition_topic_days.delete())
        conn.execute(petition_days.delete())
    return engine


def _demo_engine(conns: dict):
    from gxq.connections import engine_for, parse_conn_value

    return engine_for("dept_petitions", parse_conn_value("dept_petitions", conns["dept_petitions"]))


# --- the demo data: the aggregated path equals the direct one, and reads are bounded ----------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_demo_year_to_date_trend_and_ranking_equal_the_direct_computation(backend, request, tmp_path,
                                                                          monkeypatch):
    conns = request.getfixturevalue("demo_sqlite" if backend == "sqlite" else "demo_pg")
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_PUBLICITY", conns["dept_publicity"])
    engine = _demo_engine(conns)
    ops = _fresh_ops(backend, tmp_path, request)
    reads = Reads(monkeypatch)

    # first run, empty store: the week, then the year to date's missing days in one statement
    got = assert_same(engine, ops, "2021-W22")
    assert got["monthly_ranking"]["month"] == "2021-05" and got["ytd"]["received"] > 0
    with engine.connect() as conn:  # the unit directory travels with the report (the 看板 names units by it)
        directory = dict(conn.execute(sa.text("SELECT unit_code, unit_name FROM units")).all())
    assert got["computed"]["extras"]["unit_names"] == directory and len(directory) >= 20
    assert reads.take() == [(_day("2021-05-31"), _day("2021-06-07")), (_day("2021-01-01"), _day("2021-05-31"))]
    # the weeks before are stored: a rerun of an earlier week reads that week only
    assert_same(engine, ops, "2021-W09")
    assert reads.take() == [(_day("2021-03-01"), _day("2021-03-08"))]
    assert_same(engine, ops, "2021-W13")  # ranks March
    assert reads.take() == [(_day("2021-03-29"), _day("2021-04-05"))]
    # the week across the new year: its trend, ranking (December) and surge baseline reach into
    # 2020, never stored
    got = assert_same(engine, ops, "2020-W53")
    assert got["ytd"]["start"] == "2021-01-01" and got["monthly_ranking"]["month"] == "2020-12"
    assert reads.take() == [(_day("2020-12-28"), _day("2021-01-04")), (_day("2020-11-02"), _day("2020-12-28"))]
    # a backfill jumping ahead: 2021-W52 ends in 2022 (its year to date is 2022's), its trend,
    # ranking (December) and surge baseline (8 weeks before) need 2021-11-01 on: read once
    got = assert_same(engine, ops, "2021-W52")
    assert got["ytd"]["start"] == "2022-01-01" and got["monthly_ranking"]["month"] == "2021-12"
    assert reads.take() == [(_day("2021-12-27"), _day("2022-01-03")), (_day("2021-11-01"), _day("2021-12-27"))]
    # a week in the gap: the days since the last stored one, once
    assert_same(engine, ops, "2021-W35")
    assert reads.take() == [(_day("2021-08-30"), _day("2021-09-06")), (_day("2021-06-07"), _day("2021-08-30"))]
    # and the next week reads its own days only
    assert_same(engine, ops, "2021-W36")
    assert reads.take() == [(_day("2021-09-06"), _day("2021-09-13"))]


def test_rerun_of_a_week_is_idempotent(demo_sqlite, tmp_path, request, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_PUBLICITY", demo_sqlite["dept_publicity"])
    engine = _demo_engine(demo_sqlite)
    ops = _fresh_ops("sqlite", tmp_path, request)

    def snapshot():
        with ops.connect() as conn:
            units = conn.execute(sa.select(petition_unit_days).order_by(*petition_unit_days.primary_key)).all()
            days = conn.execute(sa.select(petition_days.c.source, petition_days.c.day, petition_days.c.week_key)
                                .order_by(petition_days.c.day)).all()
        return units, days

    first = pipeline.compute_all("2021-W10", engine=engine, ops=ops)
    before = snapshot()
    second = pipeline.compute_all("2021-W10", engine=engine, ops=ops)
    assert snapshot() == before and first == second
    units, days = before
    assert len(units) > 0 and len({d.day for d in days}) == len(days)
    assert days[0].day == _day("2021-01-01") and days[-1].day == _day("2021-03-14")


# --- hand-built edge cases, SQLite and PostgreSQL ----------------------------------------------------


def _edge_cases(dept):
    # straddles four weeks: received Sunday of W09, dispatch due W10 (on time), feedback due W11 (late),
    # revisited W12; two leads: the smaller code leads
    dept.add("STRADDLE", received="2021-03-07 23:59:59", lead=["U08", "U07"], co=["U05"],
             dispatch_due="2021-03-08 00:00:00", dispatched="2021-03-07 23:59:59",
             feedback_due="2021-03-15 10:00:00", feedback="2021-03-16 09:00:00",
             revisited="2021-03-22 08:00:00", satisfaction="满意")
    dept.add("NO_LEAD", received="2021-03-09 10:00:00", lead=None, feedback_due="2021-03-12 10:00:00")
    dept.add("WITHDRAWN", received="2021-03-09 10:00:00", status="已撤销", feedback_due="2021-03-12 10:00:00")
    dept.add("INVALID", received="2021-03-09 10:00:00", feedback="2021-03-01 10:00:00", lead="U04")
    # U09 leads a petition relevant only by its revisit without a result: a unit with zero figures
    dept.add("REVISIT_ONLY", received="2020-12-01 10:00:00", lead="U09", revisited="2021-03-17 10:00:00")
    # received in 2020, due in 2021: counts in the 2021 year to date by its due time only
    dept.add("NEW_YEAR", received="2020-12-31 22:00:00", lead="U01", dispatch_due="2021-01-01 02:00:00",
             dispatched="2021-01-01 03:00:00", feedback_due="2021-01-04 00:00:00", feedback="2021-01-03 00:00:00",
             revisited="2021-01-05 00:00:00", satisfaction="不满意")
    dept.add("BOUNDARY", received="2021-03-01 00:00:00", lead="U02", feedback_due="2021-04-05 00:00:00")
    for week in range(1, 14):
        monday = periods.parse_key(f"2021-W{week:02d}").first_day
        dept.add(received=f"{monday} 09:00:00", lead=f"U0{week % 4 + 1}", dispatch_due=f"{monday} 12:00:00",
                 dispatched=f"{monday} 11:00:00" if week % 3 else f"{monday} 13:00:00",
                 feedback_due=f"{monday + dt.timedelta(days=2)} 12:00:00",
                 feedback=f"{monday + dt.timedelta(days=1 + week % 2 * 2)} 12:00:00",
                 revisited=f"{monday + dt.timedelta(days=4)} 12:00:00",
                 satisfaction=("满意", "基本满意", "不满意", None)[week % 4])


def test_edge_cases_sum_to_the_direct_window(dept, ops):
    _edge_cases(dept)
    for key in ("2021-W12", "2021-W13", "2021-W11", "2020-W53", "2021-W01"):
        got = assert_same(dept.engine, ops, key)
    got = aggregated(dept.engine, ops, "2021-W13")
    ytd_units = got["windows"]["ytd"][1]
    assert ytd_units["U09"] == dict.fromkeys(rules.UNIT_METRIC_FIELDS, 0)  # present with zero figures
    assert got["ytd"]["unit_rates"]["U09"] == {"dispatch": None, "feedback": None, "satisfaction": None}
    assert got["monthly_ranking"]["month"] == "2021-03"
    # STRADDLE: received in W09, dispatch due W10, feedback due W11, revisited W12, each counted once
    weeks = got["windows"]
    u07 = {key: weeks[key][1]["U07"] for key in ("2021-W09", "2021-W10", "2021-W11", "2021-W12")}
    assert [(m["received"], m["dispatch_due"], m["dispatch_on_time"], m["feedback_due"], m["feedback_on_time"],
             m["surveyed"], m["satisfied"]) for m in u07.values()] == [
        (1, 0, 0, 0, 0, 0, 0), (0, 1, 1, 0, 0, 0, 0), (0, 0, 0, 1, 0, 0, 0), (0, 0, 0, 0, 0, 1, 1)]
    assert "U08" not in ytd_units  # U07 < U08 leads
    assert weeks["2021-W10"][0]["feedback_due"] >= 1  # NO_LEAD counts in the totals
    assert "U04" not in weeks["2021-W10"][1] or weeks["2021-W10"][1]["U04"]["received"] == 0  # INVALID is out


def test_a_stored_week_keeps_its_counts_until_it_is_read_again(dept, ops, monkeypatch):
    """The decision (gxq.petitions.daily): a past week holds its counts as of its bulletin; a change
    in the department reaches the sums when the week is read again (rerun, recount, or
    GXQ_PETITIONS_RECOUNT_WEEKS)."""
    _edge_cases(dept)
    assert_same(dept.engine, ops, "2021-W12")
    with dept.engine.begin() as conn:  # the department withdraws a W09 petition afterwards
        conn.execute(sa.text("UPDATE petitions SET status = '已撤销' WHERE petition_id = 'STRADDLE'"))
    stale = aggregated(dept.engine, ops, "2021-W12")
    fresh = direct(dept.engine, "2021-W12")
    assert stale["ytd"]["received"] == fresh["ytd"]["received"] + 1  # still counted as issued
    # the week itself is always read again
    assert stale["trend"][-1] == fresh["trend"][-1]

    monkeypatch.setenv(daily.RECOUNT_ENV, "4")
    reads = Reads(monkeypatch)
    assert_same(dept.engine, ops, "2021-W12")
    assert reads.take() == [(_day("2021-03-22"), _day("2021-03-29")), (_day("2021-02-22"), _day("2021-03-22"))]

    # rerunning an older week corrects it as well
    monkeypatch.delenv(daily.RECOUNT_ENV)
    with dept.engine.begin() as conn:
        conn.execute(sa.text("UPDATE petitions SET status = '办理中' WHERE petition_id = 'STRADDLE'"))
    pipeline.compute_all("2021-W09", engine=dept.engine, ops=ops)
    pipeline.compute_all("2021-W10", engine=dept.engine, ops=ops)
    pipeline.compute_all("2021-W11", engine=dept.engine, ops=ops)
    assert_same(dept.engine, ops, "2021-W12")


def test_recount_command_rereads_a_range(tmp_path, monkeypatch):
    from gxq.connections import dispose_all

    db = PetitionsDB(f"sqlite:///{tmp_path / 'dept.db'}")
    _edge_cases(db)
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_PETITIONS", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "dept.db")}))
    monkeypatch.setenv("AIRFLOW_CONN_GXQ_OPS", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "ops.db")}))
    try:
        from gxq.connections import engine_for

        assert daily.main(["recount", "2021-01-01", "2021-04-05"]) == 0
        ops = engine_for("gxq_ops")
        source = daily.source_key(db.engine)
        assert daily.source_key(engine_for("dept_petitions")) == source  # the read-only engine names the same file
        assert len(daily.stored_days(ops, source, _day("2021-01-01"), _day("2021-04-05"))) == 94
        rows = daily.load(ops, source, _day("2021-01-01"), _day("2021-04-05"))
        start, end = dt.datetime(2021, 1, 1), dt.datetime(2021, 4, 5)
        assert daily.window(rows, start.date(), end.date()) == unit_metrics(db.engine, start, end)
        with pytest.raises(SystemExit):
            daily.main(["recount", "2021-04-05", "2021-01-01"])
    finally:
        dispose_all()
        db.engine.dispose()


def test_counts_of_another_department_database_are_never_summed(tmp_path):
    from gxq import store

    ops = sa.create_engine(f"sqlite:///{tmp_path / 'ops.db'}", poolclass=sa.pool.NullPool)
    store.ensure_schema(ops)
    a = PetitionsDB(f"sqlite:///{tmp_path / 'a.db'}")
    b = PetitionsDB(f"sqlite:///{tmp_path / 'b.db'}")
    _edge_cases(a)
    b.add(received="2021-02-02 10:00:00", lead="U09")
    assert daily.source_key(a.engine) != daily.source_key(b.engine)
    assert aggregated(a.engine, ops, "2021-W12")["ytd"]["received"] > 1
    assert_same(b.engine, ops, "2021-W12")
    assert aggregated(b.engine, ops, "2021-W12")["ytd"]["received"] == 1
    a.engine.dispose()
    b.engine.dispose()


def test_missing_runs_merge_close_gaps():
    d = _day("2021-03-01")
    days = {d + dt.timedelta(days=i) for i in (3, 4, 5, 20)}
    runs = daily.missing_runs(days, d, d + dt.timedelta(days=30))
    # 0..2 missing, 3..5 stored (gap < 7: merged), 6..19 missing, 20 stored, 21..29 missing (merged)
    assert runs == [(d, d + dt.timedelta(days=30))]
    runs = daily.missing_runs({d + dt.timedelta(days=i) for i in range(3, 13)}, d, d + dt.timedelta(days=20))
    assert runs == [(d, d + dt.timedelta(days=3)), (d + dt.timedelta(days=13), d + dt.timedelta(days=20))]
    assert daily.missing_runs(set(), d, d) == []


def test_unit_days_on_sqlite_text_that_is_not_a_full_timestamp(tmp_path):
    """SQLite compares text: a bare date sorts before that day's midnight, so the windows count it
    in the day before; text that is no time at all (bad_timestamp) counts in no window."""
    db = PetitionsDB(f"sqlite:///{tmp_path / 'dept.db'}")
    db.add("BARE_DATE", received="2021-03-02 10:00:00", lead="U01", revisited="2021-03-08", satisfaction="满意")
    db.add("ODD", received="2021-03-03 10:00:00", lead="U02", revisited="2021-03-06x", satisfaction="满意")
    db.add("ODDER", received="2021-03-03 10:00:00", lead="U03", feedback_due="2021-03-0:")
    for first, end in (("2021-03-01", "2021-03-08"), ("2021-03-08", "2021-03-15"), ("2021-02-22", "2021-03-15")):
        first, end = _day(first), _day(end)
        rows = compute.window_days(db.engine, first, end)[0]
        assert all(first <= r["day"] < end for r in rows)
        direct_window = unit_metrics(db.engine, dt.datetime.combine(first, dt.time()),
                                             dt.datetime.combine(end, dt.time()))
        assert rules.unit_metrics(rows) == direct_window
    rows = compute.window_days(db.engine, _day("2021-02-22"), _day("2021-03-15"))[0]
    assert [r["day"] for r in rows if r["unit"] == "U01" and r["satisfied"]] == [_day("2021-03-07")]
    metrics = rules.unit_metrics(rows)[1]
    assert "U02" not in metrics and "U03" not in metrics  # quarantined: in no day of any window
    db.engine.dispose()


# --- the backlog query with the department's GiST index ------------------------------------------------


def _drop_backlog_index(engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_petitions_feedback_backlog"))


def test_overdue_backlog_with_and_without_the_backlog_index(dept):
    from gxq import sql

    dept.add("OPEN", received="2021-01-04 10:00:00", feedback_due="2021-01-10 10:00:00", lead="U03")
    dept.add("LATE_AT_END", received="2021-02-01 10:00:00", feedback_due="2021-02-05 10:00:00",
             feedback="2021-03-08 00:00:00", lead="U03")
    dept.add("LATE_BEFORE_END", received="2021-02-01 10:00:00", feedback_due="2021-02-05 10:00:00",
             feedback="2021-03-07 23:59:59")
    dept.add("ON_TIME_AT_DUE", received="2021-02-01 10:00:00", feedback_due="2021-02-05 10:00:00",
             feedback="2021-02-05 10:00:00")
    dept.add("ON_TIME_EARLY", received="2021-02-01 10:00:00", feedback_due="2021-02-05 10:00:00",
             feedback="2021-02-02 10:00:00")
    dept.add("DUE_AT_END", feedback_due="2021-03-08 00:00:00")
    dept.add("DUE_AFTER", feedback_due="2021-03-09 00:00:00", feedback="2021-03-10 00:00:00")
    dept.add("NO_DUE", received="2021-01-04 10:00:00")
    dept.add("WITHDRAWN", received="2021-01-04 10:00:00", feedback_due="2021-01-10 10:00:00", status="已撤销")
    week = periods.parse_key("2021-W09")  # ends 2021-03-08 00:00

    def backlog():
        return [r["petition_id"] for r in compute.overdue_rows(compute.read_week(dept.engine, week), week.end)]

    want = ["LATE_AT_END", "OPEN"]
    if dept.dialect == "postgresql":  # the demo schema has it on PostgreSQL: first without it
        _drop_backlog_index(dept.engine)
    assert backlog() == want
    if dept.dialect != "postgresql":
        return
    from gxq.demo.schema import BACKLOG_GIST_INDEX

    with dept.engine.begin() as conn:
        conn.execute(sa.text(BACKLOG_GIST_INDEX))
        conn.execute(sa.text("ANALYZE petitions"))
    assert backlog() == want
    text = sql.render("petitions/week", "postgresql")
    params = {"start": sql.ts_text(week.start), "end": sql.ts_text(week.end),
              "prev_start": sql.ts_text(week.previous().start), "floor": compute.DUE_FLOOR}
    with dept.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.execute(sa.text("EXPLAIN " + text), params))
    assert "ix_petitions_feedback_backlog" in plan, plan
