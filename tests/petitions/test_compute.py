"""Every rule of the contract's ``petition_weekly_bulletin`` section, each edge on its own, on
hand-built department databases, once on SQLite and once on PostgreSQL (fixture ``dept``)."""

from __future__ import annotations

import datetime as dt

import pytest
from gxq import periods
from gxq.petitions import compute, pipeline
from gxq.run import Run, RunError

W09 = periods.parse_key("2021-W09")  # 2021-03-01 00:00 .. 2021-03-08 00:00 (local)


def week(db, key: str = "2021-W09") -> dict:
    return compute.compute_week(db.engine, periods.parse_key(key))["report"]


def unit_row(report: dict, code: str) -> dict:
    return next(u for u in report["units"] if u["unit"] == code)


# --- the week of a run ---------------------------------------------------------------------


def test_week_from_logical_date_in_shanghai_not_utc():
    # Sunday 2021-03-07 17:00 UTC is Monday 2021-03-08 01:00 in Shanghai: the bulletin of W09.
    d = dt.datetime(2021, 3, 7, 17, 0, tzinfo=dt.UTC)
    assert Run.at(pipeline.DAG_ID, d).key == "2021-W09"
    # 15:59 UTC is Sunday 23:59 local, still inside W09: the bulletin then covers W08.
    d = dt.datetime(2021, 3, 7, 15, 59, tzinfo=dt.UTC)
    assert Run.at(pipeline.DAG_ID, d).key == "2021-W08"
    # Monday 09:00 local, the scheduled time.
    d = dt.datetime(2021, 3, 8, 1, 0, tzinfo=dt.UTC)
    p = Run.at(pipeline.DAG_ID, d).period
    assert (p.key, p.first_day.isoformat(), p.last_day.isoformat()) == ("2021-W09", "2021-03-01", "2021-03-07")


def test_week_param_overrides_and_is_validated():
    d = dt.datetime(2021, 3, 8, 1, 0, tzinfo=dt.UTC)
    assert Run.build(pipeline.DAG_ID, d, period="2021-W05").key == "2021-W05"
    for bad in ("2021-W09'; DROP TABLE petitions; --", "2021-09", "2021-W54", "W09", "2021-w09 or 1=1"):
        with pytest.raises(RunError, match="invalid period param"):
            Run.build(pipeline.DAG_ID, d, period=bad)


def test_injection_in_week_rejected_before_any_query(dept):
    dept.add("P1")
    with pytest.raises(periods.PeriodError, match="invalid period"):
        pipeline.check_schema("2021-W09'; DROP TABLE petitions; --")
    assert week(dept)["received"] == 1  # the table is still there


def test_period_fields_of_the_report(dept):
    r = week(dept)
    assert (r["period"], r["start"], r["end"]) == ("2021-W09", "2021-03-01", "2021-03-07")


# --- received, 环比, by kind -------------------------------------------------------------------


def test_week_boundaries_are_local_wall_clock(dept):
    dept.add("IN_FIRST", received="2021-03-01 00:00:00")
    dept.add("IN_LAST", received="2021-03-07 23:59:59")
    dept.add("NEXT_WEEK", received="2021-03-08 00:00:00")
    dept.add("PREV_LAST", received="2021-02-28 23:59:59")
    dept.add("PREV_FIRST", received="2021-02-22 00:00:00")
    dept.add("TWO_BACK", received="2021-02-21 23:59:59")
    r = week(dept)
    assert r["received"] == 2
    assert r["received_prev"] == 2


def test_received_prev_counts_valid_rows_only(dept):
    dept.add(received="2021-02-23 10:00:00")
    dept.add(received="2021-02-23 10:00:00", dispatched="2021-02-23 09:00:00")  # invalid
    dept.add(received="2021-02-23 10:00:00", satisfaction="还行")  # invalid
    dept.add(received="2021-02-23 10:00:00", status="已撤销")  # withdrawn
    assert week(dept)["received_prev"] == 1


def test_by_kind_counts_received_per_kind_present(dept):
    dept.add(kind="投诉")
    dept.add(kind="投诉")
    dept.add(kind="咨询")
    dept.add(kind="建议", received="2021-02-20 10:00:00")  # not in W
    r = week(dept)
    assert r["by_kind"] == {"投诉": 2, "咨询": 1}
    assert r["received"] == 3


# --- dispatch and feedback on time -------------------------------------------------------------


def test_dispatch_on_time_exactly_at_due_time(dept):
    dept.add(dispatch_due="2021-03-02 12:00:00", dispatched="2021-03-02 12:00:00")  # on time
    dept.add(dispatch_due="2021-03-02 12:00:00", dispatched="2021-03-02 12:00:01")  # late by 1 s
    dept.add(dispatch_due="2021-03-02 12:00:00", dispatched=None)  # not dispatched
    dept.add(received="2021-02-20 10:00:00", dispatch_due="2021-03-07 23:59:59",
             dispatched="2021-03-01 09:00:00")  # due in W (received earlier): counts
    dept.add(dispatch_due="2021-03-08 00:00:00", dispatched="2021-03-02 12:00:00")  # due next week
    r = week(dept)
    assert r["dispatch"] == {"due": 4, "on_time": 2, "rate": 0.5}


def test_feedback_on_time_exactly_at_due_time(dept):
    dept.add(feedback_due="2021-03-05 18:00:00", feedback="2021-03-05 18:00:00")
    dept.add(feedback_due="2021-03-05 18:00:00", feedback="2021-03-05 18:00:01")
    dept.add(feedback_due="2021-03-05 18:00:00", feedback="2021-03-04 18:00:00")
    r = week(dept)
    assert r["feedback"] == {"due": 3, "on_time": 2, "rate": 0.6667}


def test_rates_null_when_nothing_due(dept):
    dept.add()
    r = week(dept)
    assert r["dispatch"] == {"due": 0, "on_time": 0, "rate": None}
    assert r["feedback"] == {"due": 0, "on_time": 0, "rate": None}
    assert r["satisfaction"] == {"surveyed": 0, "satisfied": 0, "rate": None}


def test_null_due_time_is_never_due(dept):
    dept.add("NODUE", received="2021-03-02 10:00:00", dispatch_due=None, feedback_due=None)
    r = week(dept)
    assert r["dispatch"]["due"] == 0 and r["feedback"]["due"] == 0
    assert r["overdue_open"] == []


def test_empty_string_due_time_is_null_on_sqlite(tmp_path):
    # SQLite only: '' cannot be stored in a PostgreSQL timestamp column (NULL is tested above).
    from tests.petitions.conftest import PetitionsDB

    dept = PetitionsDB(f"sqlite:///{tmp_path / 'empty.db'}")
    dept.add("EMPTYDUE", received="2021-03-02 10:00:00", dispatch_due="", feedback_due="", feedback="",
             dispatched="")
    r = week(dept)
    assert r["received"] == 1
    assert r["dispatch"]["due"] == 0 and r["feedback"]["due"] == 0
    assert r["overdue_open"] == [] and r["excluded"] == {}


# --- satisfaction -----------------------------------------------------------------------------


def test_satisfaction_surveyed_and_satisfied(dept):
    dept.add(revisited="2021-03-03 10:00:00", satisfaction="满意")
    dept.add(revisited="2021-03-03 10:00:00", satisfaction="基本满意")
    dept.add(revisited="2021-03-03 10:00:00", satisfaction="不满意")
    dept.add(revisited="2021-03-03 10:00:00", satisfaction=None)  # revisited, no result: not surveyed
    dept.add(revisited="2021-03-09 10:00:00", satisfaction="满意")  # next week
    r = week(dept)
    assert r["satisfaction"] == {"surveyed": 3, "satisfied": 2, "rate": 0.6667}


# --- withdrawn and invalid rows ---------------------------------------------------------------


def test_withdrawn_rows_count_nowhere(dept):
    dept.add("W1", status="已撤销", kind="投诉", topic="供暖", dispatch_due="2021-03-02 12:00:00",
             feedback_due="2021-03-03 12:00:00", revisited="2021-03-04 10:00:00", satisfaction="满意", lead="U07")
    dept.add("W2", status="已撤销", received=None, dispatch_due="2021-03-02 12:00:00")  # withdrawn and invalid
    dept.add("W3", status="已撤销", received="2021-01-04 10:00:00", feedback_due="2021-01-10 10:00:00")
    r = week(dept)
    assert r["received"] == 0 and r["by_kind"] == {}
    assert r["dispatch"]["due"] == r["feedback"]["due"] == r["satisfaction"]["surveyed"] == 0
    assert r["top_topics"] == [] and r["overdue_open"] == [] and r["units"] == []
    assert r["excluded"] == {}


@pytest.mark.parametrize("reason, row", [
    ("missing_received_at", {"received": None, "dispatch_due": "2021-03-02 12:00:00"}),
    ("dispatched_before_received", {"dispatched": "2021-03-02 09:59:59"}),
    ("feedback_before_received", {"feedback": "2021-03-01 08:00:00"}),
    ("bad_satisfaction", {"satisfaction": "很好", "revisited": "2021-03-03 10:00:00"}),
])
def test_each_invalid_reason_counts_nowhere_else(dept, reason, row):
    dept.add("BAD", kind="投诉", topic="供暖", feedback_due="2021-03-03 12:00:00", **row)
    r = week(dept)
    assert r["excluded"] == {reason: 1}
    assert r["received"] == 0 and r["by_kind"] == {}
    assert r["dispatch"]["due"] == r["feedback"]["due"] == r["satisfaction"]["surveyed"] == 0
    assert r["top_topics"] == [] and r["units"] == [] and r["overdue_open"] == []


def test_invalid_reasons_checked_in_order(dept):
    # fails all four: counted under the first only
    dept.add("A", received=None, dispatched="2021-03-01 09:00:00", feedback="2021-03-01 09:00:00",
             satisfaction="??", dispatch_due="2021-03-02 00:00:00")
    # fails dispatched, feedback and satisfaction
    dept.add("B", received="2021-03-03 10:00:00", dispatched="2021-03-03 09:00:00", feedback="2021-03-03 09:00:00",
             satisfaction="??")
    # fails feedback and satisfaction
    dept.add("C", received="2021-03-03 10:00:00", feedback="2021-03-03 09:00:00", satisfaction="??")
    dept.add("D", received="2021-03-03 10:00:00", satisfaction="??")
    dept.add("E", received="2021-03-03 10:00:00", satisfaction="??")
    r = week(dept)
    assert r["excluded"] == {"missing_received_at": 1, "dispatched_before_received": 1,
                             "feedback_before_received": 1, "bad_satisfaction": 2}
    assert list(r["excluded"]) == list(compute.rules.INVALID_REASONS[1:])  # bad_timestamp: SQLite only, below
    quarantine = compute.invalid_rows(compute.read_week(dept.engine, W09))
    assert [(q["petition_id"], q["reason"]) for q in quarantine] == [
        ("A", "missing_received_at"), ("B", "dispatched_before_received"), ("C", "feedback_before_received"),
        ("D", "bad_satisfaction"), ("E", "bad_satisfaction")]


@pytest.fixture
def sqlite_dept(tmp_path):
    """SQLite only: PostgreSQL's timestamp columns cannot hold text that is not a time."""
    from tests.petitions.conftest import PetitionsDB

    db = PetitionsDB(f"sqlite:///{tmp_path / 'dept_petitions_text.db'}")
    yield db
    db.engine.dispose()


@pytest.mark.parametrize("column, text", [
    ("received", "2021-06-0x"), ("dispatch_due", "2021-03-02 1x:00:00"), ("dispatched", "soon"),
    ("feedback_due", "2021-02-30 10:00:00"), ("feedback", "2021-03-03 24:00:00"),
    ("revisited", "2021-03-04T10:00:00"),
])
def test_text_that_is_not_a_time_is_quarantined_first(sqlite_dept, column, text):
    """bad_timestamp comes first: the row fails nothing else, or everything else too."""
    times = {"received": "2021-03-02 10:00:00", "dispatch_due": "2021-03-02 12:00:00",
             "feedback_due": "2021-03-03 12:00:00", "revisited": "2021-03-05 10:00:00"}
    sqlite_dept.add("BAD", kind="投诉", topic="供暖", satisfaction="很好", **{**times, column: text})
    sqlite_dept.add("GOOD", kind="投诉", topic="供暖", **times)
    r = week(sqlite_dept)
    assert r["excluded"] == {"bad_timestamp": 1}
    assert r["received"] == 1 and r["dispatch"]["due"] == 1 and r["feedback"]["due"] == 1
    assert [t["complaints"] for t in r["top_topics"]] == [1]
    quarantine = compute.invalid_rows(compute.read_week(sqlite_dept.engine, W09))
    assert [(q["petition_id"], q["reason"]) for q in quarantine] == [("BAD", "bad_timestamp")]
    assert list(r["excluded"]) == [compute.rules.INVALID_REASONS[0]]


def test_bad_timestamp_relevance_by_the_parseable_columns(sqlite_dept):
    """A text that is not a time falls in no week, whatever it sorts like: the row is relevant (and
    counted in ``excluded``) only when one of its parseable time columns lies in W."""
    # received_at sorts inside W as text but is no time; nothing else in W: not relevant
    sqlite_dept.add("TEXT_ONLY", received="2021-03-03 1x:00:00")
    # the same with a due time in W: relevant, quarantined
    sqlite_dept.add("DUE_IN_W", received="2021-03-03 1x:00:00", dispatch_due="2021-03-04 10:00:00")
    # a bad feedback time, received in W: relevant by received_at
    sqlite_dept.add("RECEIVED_IN_W", received="2021-03-02 10:00:00", feedback="2021-06-0x")
    # bad, and every parseable column in another week
    sqlite_dept.add("ELSEWHERE", received="2021-01-04 10:00:00", feedback="2021-06-0x")
    # ordinary valid rows around them are counted as usual; '' is NULL, never bad
    sqlite_dept.add("EMPTY", received="2021-03-02 10:00:00", dispatch_due="", feedback="")
    r = week(sqlite_dept)
    assert r["excluded"] == {"bad_timestamp": 2}
    quarantine = compute.invalid_rows(compute.read_week(sqlite_dept.engine, W09))
    assert [q["petition_id"] for q in quarantine] == ["DUE_IN_W", "RECEIVED_IN_W"]
    assert r["received"] == 1 and r["dispatch"]["due"] == 0


def test_bad_timestamps_never_in_the_backlog_nor_the_days(sqlite_dept):
    sqlite_dept.add("LATE_BAD", received="2021-02-01 10:00:00", feedback_due="2021-02-10 10:00:00", feedback="x")
    sqlite_dept.add("LATE", received="2021-02-01 10:00:00", feedback_due="2021-02-10 10:00:00")
    r = week(sqlite_dept)
    assert r["overdue_open"] == ["LATE"]
    days, _topics = compute.window_days(sqlite_dept.engine, dt.date(2021, 2, 1), dt.date(2021, 3, 1))
    assert sum(d["received"] for d in days) == 1 and sum(d["feedback_due"] for d in days) == 1


def test_excluded_counts_only_relevant_invalid_rows(dept):
    dept.add("OLD", received="2021-01-04 10:00:00", dispatched="2021-01-04 09:00:00")  # not relevant to W
    dept.add("MISSING_NOT_RELEVANT", received=None)  # no time in W at all
    dept.add("REL_BY_REVISIT", received="2021-01-04 10:00:00", satisfaction="x", revisited="2021-03-05 10:00:00")
    assert week(dept)["excluded"] == {"bad_satisfaction": 1}


def test_excluded_lists_only_reasons_above_zero(dept):
    dept.add()
    assert week(dept)["excluded"] == {}


# --- top topics ---------------------------------------------------------------------------------


def complaints(db, topic: str, n: int, lead="U01", co=(), received="2021-03-02 10:00:00"):
    for _ in range(n):
        db.add(kind="投诉", topic=topic, lead=lead, co=list(co), received=received)


def test_top_topics_order_count_then_code_point(dept):
    complaints(dept, "噪音扰民", 3)
    complaints(dept, "供暖", 3)
    complaints(dept, "道路交通", 5)
    complaints(dept, "物业管理", 2)
    dept.add(kind="咨询", topic="物业管理")  # not a complaint
    complaints(dept, "物业管理", 4, received="2021-02-24 10:00:00")  # other week
    r = week(dept)
    assert [(t["topic"], t["complaints"]) for t in r["top_topics"]] == [
        ("道路交通", 5), ("供暖", 3), ("噪音扰民", 3), ("物业管理", 2)]  # 供 U+4F9B < 噪 U+566A


def test_top_topics_sixth_place_needs_two_complaints(dept):
    for topic in ("A1", "A2", "A3", "A4", "A5"):
        complaints(dept, topic, 1)  # places 1-5 with a single complaint are kept
    complaints(dept, "B1", 1)
    r = week(dept)
    assert [t["topic"] for t in r["top_topics"]] == ["A1", "A2", "A3", "A4", "A5"]


def test_top_topics_sixth_place_with_two_is_kept_and_ones_after_are_cut(dept):
    for topic in ("A1", "A2", "A3", "A4", "A5", "A6"):
        complaints(dept, topic, 2)
    complaints(dept, "A7", 1)
    complaints(dept, "A0", 1)
    r = week(dept)
    assert [t["topic"] for t in r["top_topics"]] == ["A1", "A2", "A3", "A4", "A5", "A6"]


def test_top_topics_tie_at_tenth_place_keeps_first_ten_by_code_point(dept):
    for i in range(12):
        complaints(dept, f"T{i:02d}", 2)
    r = week(dept)
    assert [t["topic"] for t in r["top_topics"]] == [f"T{i:02d}" for i in range(10)]


def test_lead_unit_most_leads_tie_smallest_code(dept):
    complaints(dept, "供暖", 2, lead="U02")
    complaints(dept, "供暖", 2, lead="U01", co=["U09"])
    complaints(dept, "供暖", 1, lead="U03")
    complaints(dept, "噪音扰民", 2, lead="U05")
    complaints(dept, "噪音扰民", 3, lead="U04")
    r = week(dept)
    top = {t["topic"]: t for t in r["top_topics"]}
    assert top["供暖"]["lead_unit"] == "U01"
    assert top["供暖"]["units"] == ["U01", "U02", "U03", "U09"]
    assert top["噪音扰民"]["lead_unit"] == "U04"


def test_lead_unit_null_when_no_complaint_has_a_lead(dept):
    complaints(dept, "供暖", 2, lead=None, co=["U03"])
    r = week(dept)
    assert r["top_topics"] == [{"topic": "供暖", "complaints": 2, "lead_unit": None, "units": ["U03"]}]


def test_several_leads_smallest_code_leads_others_count_as_co(dept):
    dept.add("MULTI", kind="投诉", topic="供暖", lead=["U05", "U02"], co=["U09"],
             feedback_due="2021-03-03 12:00:00", feedback="2021-03-03 11:00:00")
    r = week(dept)
    assert r["top_topics"][0]["lead_unit"] == "U02"
    assert r["top_topics"][0]["units"] == ["U02", "U05", "U09"]
    assert [u["unit"] for u in r["units"]] == ["U02"]  # U05 leads nothing: it counts as co
    assert unit_row(r, "U02")["led"] == 1 and unit_row(r, "U02")["feedback_on_time"] == 1


# --- overdue backlog and units ------------------------------------------------------------------


def test_overdue_open_is_the_whole_backlog_as_of_week_end(dept):
    dept.add("OLD_OPEN", received="2021-01-04 10:00:00", feedback_due="2021-01-10 10:00:00", lead="U03")
    dept.add("OLD_LATE_AFTER_END", received="2021-02-01 10:00:00", feedback_due="2021-02-05 10:00:00",
             feedback="2021-03-08 00:00:00", lead="U03")
    dept.add("OLD_DONE", received="2021-02-01 10:00:00", feedback_due="2021-02-05 10:00:00",
             feedback="2021-03-07 23:59:59", lead="U03")
    dept.add("THIS_WEEK", feedback_due="2021-03-04 10:00:00", lead="U04")
    dept.add("DUE_AT_END", feedback_due="2021-03-08 00:00:00", lead="U04")  # not before the end
    dept.add("OLD_INVALID", received="2021-01-04 10:00:00", feedback_due="2021-01-10 10:00:00",
             dispatched="2021-01-01 10:00:00")
    dept.add("OLD_WITHDRAWN", received="2021-01-04 10:00:00", feedback_due="2021-01-10 10:00:00", status="已撤销")
    r = week(dept)
    assert r["overdue_open"] == ["OLD_LATE_AFTER_END", "OLD_OPEN", "THIS_WEEK"]
    assert unit_row(r, "U03") == {"unit": "U03", "led": 0, "feedback_due": 0, "feedback_on_time": 0,
                                  "overdue_open": 2, "surveyed": 0, "satisfied": 0}
    assert unit_row(r, "U04")["overdue_open"] == 1


def test_units_table_one_row_per_leading_unit_sorted(dept):
    dept.add(lead="U10", co=["U01"])
    dept.add(lead="U02", received="2021-02-20 10:00:00", feedback_due="2021-03-02 10:00:00",
             feedback="2021-03-02 09:00:00", revisited="2021-03-03 10:00:00", satisfaction="不满意")
    dept.add(lead="U02")
    dept.add(lead="U03", received="2021-02-20 10:00:00")  # not relevant, not overdue: no row
    r = week(dept)
    assert [u["unit"] for u in r["units"]] == ["U02", "U10"]
    assert unit_row(r, "U02") == {"unit": "U02", "led": 1, "feedback_due": 1, "feedback_on_time": 1,
                                  "overdue_open": 0, "surveyed": 1, "satisfied": 0}
    assert unit_row(r, "U10")["led"] == 1


def test_relevant_by_each_time_column(dept):
    dept.add("R", received="2021-03-02 10:00:00", lead="U01")
    dept.add("D", received="2021-02-20 10:00:00", dispatch_due="2021-03-02 10:00:00", lead="U02")
    dept.add("F", received="2021-02-20 10:00:00", feedback_due="2021-03-02 10:00:00",
             feedback="2021-03-01 10:00:00", lead="U03")
    dept.add("V", received="2021-02-10 10:00:00", revisited="2021-03-02 10:00:00", satisfaction="满意", lead="U04")
    dept.add("N", received="2021-02-10 10:00:00", lead="U05")
    r = week(dept)
    assert [u["unit"] for u in r["units"]] == ["U01", "U02", "U03", "U04"]


def test_contract_keys_exact(dept):
    dept.add()
    assert list(week(dept)) == ["period", "start", "end", "received", "received_prev", "by_kind", "dispatch",
                                "feedback", "satisfaction", "top_topics", "overdue_open", "units", "excluded"]
