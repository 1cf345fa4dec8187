"""The contract's 月评价 / 季调度 rules, each on hand-built dept_innovation databases (SQLite and
PostgreSQL through the ``dept`` fixture) and, for the arithmetic, as pure functions."""

from __future__ import annotations

import pytest
from gxq.innovation import monthly, quarterly, rules
from gxq.periods import parse_key

MARCH = parse_key("2021-03")
Q1 = parse_key("2021-Q1")


def month_report(read_engine, key="2021-03"):
    return monthly.evaluate(parse_key(key, ("month",)), engine=read_engine)


def by_id(report):
    return {p["project_id"]: p for p in report["projects"]}


def kinds(report):
    return {(d["kind"], d["subject"]) for d in report["data_problems"]}


# --- pure arithmetic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "actual", "gap", "status"),
    [
        (40, 30, 10.0, "green"),        # exactly 10: green
        (40.004, 30, 10.0, "green"),    # rounds to 10.00 first
        (40.006, 30, 10.01, "yellow"),  # rounds to 10.01
        (60, 30, 30.0, "yellow"),       # exactly 30: yellow
        (70.3, 40.3, 30.0, "yellow"),   # float noise 29.999999999999996 rounds to 30.0
        (60.01, 30, 30.01, "red"),
        (30, 45.5, -15.5, "green"),     # ahead of plan
    ],
)
def test_gap_rounding_and_thresholds(plan, actual, gap, status):
    assert rules.progress_gap(plan, actual) == gap
    assert rules.light(rules.progress_gap(plan, actual)) == status


def test_completion_is_not_capped_but_composite_caps_at_1_2():
    assert rules.completion(150, 400, 3) == 1.5
    assert rules.completion(1, 3, 12) == 0.3333
    assert rules.composite_score([2, 1], [1.5, 0.6]) == round(100 * (2 * 1.2 + 1 * 0.6) / 3, 2) == 100.0
    assert rules.composite_score([1, 1], [1.19, 1.21]) == round(100 * (1.19 + 1.2) / 2, 2)
    assert rules.composite_score([], []) is None
    assert rules.composite_score([1, -1], [0.5, 0.5]) is None  # weights summing to 0


def test_column_rounding_is_pythons_round_value_for_value():
    """The gaps and completions are rounded as columns; every value must equal Python's round, the
    values numpy's scaling carries onto a half (1.005, 2.675, 0.285) included."""
    import numpy as np

    values = [1.005, 2.675, 0.285, -0.125, 29.999999999999996, 70.3 - 40.3, 1e-9, -15.5, 0.0, 123.4549999]
    values += (np.random.default_rng(24).uniform(-200, 200, 20_000)).tolist()
    values += [k / 1000 for k in range(-5000, 5000)]
    for digits in (2, 4):
        assert rules.round_column(np.array(values), digits).tolist() == [round(v, digits) for v in values]
    gaps = rules.round_column(np.array([10.0, 10.004, 10.006, 30.0, 30.01, -3.0]), 2)
    assert rules.lights(gaps).tolist() == [rules.light(g) for g in gaps.tolist()] == [
        "green", "green", "yellow", "yellow", "red", "green"]


def test_numbers_column_states_as_parse_number():
    import decimal

    values = [decimal.Decimal("12.50"), None, decimal.Decimal("NaN"), 7, 2.5]
    x, state = rules.numbers(values)
    assert state.tolist() == [rules.parse_number(v)[1] for v in values] == ["ok", "null", "non_numeric", "ok", "ok"]
    assert [float(v) for v in x[state == "ok"]] == [12.5, 7.0, 2.5]
    text = [" 7 ", "", None, "85%", "nan", True, 3]
    x, state = rules.numbers(text)
    assert state.tolist() == [rules.parse_number(v)[1] for v in text]
    assert x[0] == 7.0 and x[-1] == 3.0


def test_times_column_reads_iso_text_in_one_step_and_the_rest_value_by_value():
    import datetime as dt

    stamps, bad = rules.times(["2021-04-01 10:00:00.5", None, None, "2021-04-02 08:00:00"],
                              [None, "2021-04-03T09:00:00", " 2021-04-0x ", None], rules.parse_timestamp)
    assert stamps.astype(object).tolist() == [dt.datetime(2021, 4, 1, 10, 0, 0, 500000), dt.datetime(2021, 4, 3, 9),
                                              None, dt.datetime(2021, 4, 2, 8)]
    assert bad.tolist() == [None, None, " 2021-04-0x ", None]
    stamps, bad = rules.times(["infinity", "2021-04-02 08:00:00"], [None, None], rules.parse_timestamp)
    assert stamps.astype(object).tolist() == [None, dt.datetime(2021, 4, 2, 8)] and bad.tolist() == ["infinity", None]


def test_parse_number_handles_text_decimal_and_garbage():
    import decimal

    assert rules.parse_number(decimal.Decimal("12.50")) == (12.5, "ok")
    assert rules.parse_number(" 7 ") == (7.0, "ok")
    assert rules.parse_number("") == (None, "null")
    assert rules.parse_number(None) == (None, "null")
    assert rules.parse_number("85%") == (None, "non_numeric")
    assert rules.parse_number("nan") == (None, "non_numeric")


# --- projects on a real database -------------------------------------------------------------------


def test_thresholds_on_database(dept, read_engine):
    dept.project("P1").project("P2").project("P3").project("P4").project("P5").project("P6")
    dept.progress("P1", "2021-03", 50, 40)        # 10 -> green
    dept.progress("P2", "2021-03", 50.5, 40.495)  # 10.005 -> round() -> 10.01 (float) -> yellow? computed below
    dept.progress("P3", "2021-03", 80, 50)        # 30 -> yellow
    dept.progress("P4", "2021-03", 80.5, 50)      # 30.5 -> red
    dept.progress("P5", "2021-02", 80, 0)         # only last month: unreported in March
    report = month_report(read_engine)
    p = by_id(report)
    assert (p["P1"]["gap"], p["P1"]["status"]) == (10.0, "green")
    assert p["P2"]["gap"] == round(50.5 - 40.495, 2)
    assert p["P2"]["status"] == ("green" if p["P2"]["gap"] <= 10 else "yellow")
    assert (p["P3"]["gap"], p["P3"]["status"]) == (30.0, "yellow")
    assert (p["P4"]["gap"], p["P4"]["status"]) == (30.5, "red")
    assert (p["P5"]["gap"], p["P5"]["status"]) == (None, "unreported")
    assert (p["P6"]["gap"], p["P6"]["status"]) == (None, "unreported")
    assert list(p) == sorted(p)
    assert report["counts"] == {"green": 1 + (p["P2"]["status"] == "green"),
                                "yellow": 1 + (p["P2"]["status"] == "yellow"), "red": 1, "unreported": 2}
    assert set(report["projects"][0]) == {"project_id", "responsible_unit", "status", "gap"}


def test_projects_starting_after_the_month_appear_nowhere(dept, read_engine):
    dept.project("A", unit="U01", start="2021-03-31")   # last day of March: active
    dept.project("B", unit="U02", start="2021-04-01")   # after March: inactive
    dept.progress("B", "2021-03", 10, 0)                # even a (premature) row does not make it active
    report = month_report(read_engine)
    assert [p["project_id"] for p in report["projects"]] == ["A"]
    assert report["counts"] == {"green": 0, "yellow": 0, "red": 0, "unreported": 1}
    assert report["units"] == [{"unit": "U01", "green": 0, "yellow": 0, "red": 0, "unreported": 1}]


def test_duplicated_month_latest_reported_at_counts(dept, read_engine):
    dept.project("D")
    dept.progress("D", "2021-03", 90, 10, "2021-04-02 09:00:00")   # red, earlier
    dept.progress("D", "2021-03", 90, 85, "2021-04-05 17:30:00")   # green, latest: counts
    dept.progress("D", "2021-03", 90, 50, "2021-04-03 08:00:00")   # yellow, middle
    report = month_report(read_engine)
    assert by_id(report)["D"] == {"project_id": "D", "responsible_unit": "U01", "status": "green", "gap": 5.0}
    problem = next(d for d in report["data_problems"] if d["kind"] == "duplicate_month")
    assert problem["subject"] == "D" and problem["month"] == "2021-03" and problem["detail"].startswith("3 rows")


def test_duplicated_month_undated_row_is_oldest(dept, read_engine):
    dept.project("E")
    dept.insert("project_monthly", {"project_id": "E", "month": "2021-03", "plan_progress_pct": 90,
                                    "actual_progress_pct": 90, "reported_at": None})
    dept.progress("E", "2021-03", 90, 20, "2021-04-01 10:00:00")
    assert by_id(month_report(read_engine))["E"]["status"] == "red"


def test_unit_rows_and_project_without_unit(dept, read_engine):
    dept.project("P1", unit="U02").project("P2", unit="U01").project("P3", unit="U02").project("P4", unit=None)
    dept.project("P5", unit="U03", start="2021-05-01")  # inactive: its unit gets no row
    dept.progress("P1", "2021-03", 50, 49).progress("P2", "2021-03", 50, 0).progress("P3", "2021-03", 50, 30)
    dept.progress("P4", "2021-03", 50, 50)
    report = month_report(read_engine)
    assert report["units"] == [
        {"unit": "U01", "green": 0, "yellow": 0, "red": 1, "unreported": 0},
        {"unit": "U02", "green": 1, "yellow": 1, "red": 0, "unreported": 0},
    ]
    assert by_id(report)["P4"]["responsible_unit"] is None
    assert report["counts"]["green"] == 2  # P1 and the unit-less P4
    assert ("no_responsible_unit", "P4") in kinds(report)


def test_progress_problems_are_stated_not_crashed_on(dept, read_engine):
    dept.project("HI").project("NEG").project("NUL")
    dept.progress("HI", "2021-03", 100, 112.5)     # above 100: used as reported
    dept.progress("NEG", "2021-03", 20, -5)        # negative: used as reported
    dept.insert("project_monthly", {"project_id": "NUL", "month": "2021-03", "plan_progress_pct": 45,
                                    "actual_progress_pct": None, "reported_at": "2021-04-01 10:00:00"})
    dept.progress("GHOST", "2021-03", 10, 10)      # not in the registry: ignored
    report = month_report(read_engine)
    p = by_id(report)
    assert (p["HI"]["gap"], p["HI"]["status"]) == (-12.5, "green")
    assert (p["NEG"]["gap"], p["NEG"]["status"]) == (25.0, "yellow")
    assert (p["NUL"]["gap"], p["NUL"]["status"]) == (45.0, "red")   # NULL read as 0
    assert "GHOST" not in p
    assert {("progress_above_100", "HI"), ("negative_progress", "NEG"), ("missing_progress", "NUL"),
            ("unknown_project", "GHOST")} <= kinds(report)


def test_non_numeric_progress_row_is_discarded_sqlite(tmp_path):
    """SQLite only (PostgreSQL's NUMERIC refuses text): a text progress value drops its row."""
    from gxq.connections import engine_for, parse_conn_value

    from tests.conftest import sqlite_conn_json

    from .conftest import DeptDB

    db = DeptDB(f"sqlite:///{tmp_path / 'inn.db'}", sqlite_conn_json(tmp_path / "inn.db"))
    db.project("T").project("U")
    db.progress("T", "2021-03", 50, 45, "2021-04-01 09:00:00")
    db.progress("T", "2021-03", 50, "四十五", "2021-04-02 09:00:00")  # latest but unusable
    db.progress("U", "2021-03", "n/a", 10)
    engine = engine_for("dept_innovation", parse_conn_value("dept_innovation", db.conn_json))
    report = month_report(engine)
    assert by_id(report)["T"]["status"] == "green" and by_id(report)["T"]["gap"] == 5.0
    assert by_id(report)["U"]["status"] == "unreported"
    assert {("non_numeric_progress", "T"), ("non_numeric_progress", "U")} <= kinds(report)


def test_missing_start_on_is_not_active(dept, read_engine):
    dept.project("S", start=None)
    dept.progress("S", "2021-03", 50, 0)
    report = month_report(read_engine)
    assert report["projects"] == [] and report["units"] == []
    assert ("missing_start_on", "S") in kinds(report)


# --- indicators ------------------------------------------------------------------------------------


def test_indicators_completion_composite_and_left_out(dept, read_engine):
    dept.indicator("I1", 2, 400).indicator("I2", 1, 120).indicator("I3", 5, 100).indicator("I4", 3, 0)
    dept.value("I1", "2021-03", 150)    # 150 / (400*3/12) = 1.5, not capped in indicators
    dept.value("I2", "2021-03", 18)     # 18 / 30 = 0.6
    dept.value("I3", "2021-02", 50)     # no value for March: left out
    dept.value("I4", "2021-03", 10)     # target 0: left out
    report = month_report(read_engine)
    assert report["indicators"] == [{"indicator_code": "I1", "completion": 1.5},
                                    {"indicator_code": "I2", "completion": 0.6}]
    assert report["composite_score"] == 100.0   # 100 * (2*1.2 + 1*0.6) / 3
    assert ("no_annual_target", "I4") in kinds(report)


def test_composite_null_without_listed_indicator(dept, read_engine):
    dept.indicator("I1", 1, 100).value("I1", "2021-02", 10)
    report = month_report(read_engine)
    assert report["indicators"] == [] and report["composite_score"] is None


def test_indicator_null_value_and_duplicates(dept, read_engine):
    dept.indicator("I1", 1, 120).indicator("I2", 1, 120)
    dept.value("I1", "2021-03", None)
    dept.value("I2", "2021-03", 20).value("I2", "2021-03", 27)
    report = month_report(read_engine)
    assert report["indicators"] == [{"indicator_code": "I2", "completion": 0.9}]  # 27 / 30
    assert {("missing_indicator_value", "I1"), ("duplicate_indicator_value", "I2")} <= kinds(report)


def test_trend_and_comparison_with_previous_month(dept, read_engine):
    dept.indicator("I1", 1, 120)
    dept.value("I1", "2021-01", 5).value("I1", "2021-02", 24).value("I1", "2021-03", 33)
    dept.project("UP").project("DOWN").project("NEW", start="2021-03-10")
    dept.progress("UP", "2021-02", 50, 0).progress("UP", "2021-03", 50, 45)
    dept.progress("DOWN", "2021-02", 50, 45).progress("DOWN", "2021-03", 50, 0)
    dept.progress("NEW", "2021-03", 40, 0)
    report = month_report(read_engine)
    assert report["composite_trend"] == [{"period": "2021-01", "composite_score": 50.0},
                                         {"period": "2021-02", "composite_score": 120.0},
                                         {"period": "2021-03", "composite_score": 110.0}]
    c = report["comparison"]
    assert (c["previous_period"], c["composite_score_previous"], c["composite_score_change"]) == ("2021-02", 120.0, -10.0)
    assert (c["up"], c["down"], c["new_red"], c["new_projects"]) == (["UP"], ["DOWN"], ["DOWN", "NEW"], ["NEW"])
    assert c["counts_previous"] == {"green": 1, "yellow": 0, "red": 1, "unreported": 0}
    assert c["units"] == [{"unit": "U01", "previous": {"green": 1, "yellow": 0, "red": 1, "unreported": 0},
                           "change": {"green": 0, "yellow": 0, "red": 1, "unreported": 0}}]
    assert c["previous_statuses"] == {"UP": "red", "DOWN": "green"}
    assert report["unit_ranking"][0]["unit"] == "U01" and report["unit_ranking"][0]["rank"] == 1


# --- quarter -----------------------------------------------------------------------------------------


def test_quarter_dispatch_rules(dept):
    from gxq.connections import engine_for, parse_conn_value

    d = dept
    d.project("LAST", unit="U02")                            # red only in March -> listed
    d.progress("LAST", "2021-01", 10, 10).progress("LAST", "2021-02", 10, 10).progress("LAST", "2021-03", 50, 0)
    d.project("TWO", unit="U01")                             # red Jan, unreported Feb, green Mar -> listed
    d.progress("TWO", "2021-01", 50, 0).progress("TWO", "2021-03", 10, 10)
    d.project("ONE", unit="U01")                             # red only in Jan -> not listed
    d.progress("ONE", "2021-01", 50, 0).progress("ONE", "2021-02", 10, 10).progress("ONE", "2021-03", 10, 10)
    d.project("MID", unit="U01", start="2021-02-15")         # starts mid-quarter: red Feb, green Mar
    d.progress("MID", "2021-02", 50, 0).progress("MID", "2021-03", 10, 10)
    d.project("MID2", unit="U03", start="2021-02-01")        # red Feb and Mar -> listed, January absent
    d.progress("MID2", "2021-02", 50, 0).progress("MID2", "2021-03", 50, 0)
    d.project("LATE", unit="U03", start="2021-03-20")        # unreported in its only month, the last
    d.project("NEXT", unit="U04", start="2021-04-01")        # starts after the quarter: nowhere
    d.project("ALLRED", unit="U02")                          # red all quarter -> supervision letter
    for m in ("2021-01", "2021-02", "2021-03"):
        d.progress("ALLRED", m, 90, 10)
    engine = engine_for("dept_innovation", parse_conn_value("dept_innovation", d.conn_json))
    report = quarterly.evaluate(Q1, engine=engine)
    assert report["period"] == "2021-Q1"
    assert report["dispatch"] == [
        {"project_id": "ALLRED", "responsible_unit": "U02",
         "statuses": {"2021-01": "red", "2021-02": "red", "2021-03": "red"}},
        {"project_id": "LAST", "responsible_unit": "U02",
         "statuses": {"2021-01": "green", "2021-02": "green", "2021-03": "red"}},
        {"project_id": "LATE", "responsible_unit": "U03", "statuses": {"2021-03": "unreported"}},
        {"project_id": "MID2", "responsible_unit": "U03", "statuses": {"2021-02": "red", "2021-03": "red"}},
        {"project_id": "TWO", "responsible_unit": "U01",
         "statuses": {"2021-01": "red", "2021-02": "unreported", "2021-03": "green"}},
    ]
    assert report["supervision_letters"] == ["ALLRED"]   # MID2 red in all its months, not all quarter
    assert [g["unit"] for g in report["agenda"]] == ["U01", "U02", "U03"]
    assert [p["project_id"] for p in report["agenda"][1]["projects"]] == ["ALLRED", "LAST"]
    assert report["month_counts"]["2021-01"] == {"green": 1, "yellow": 0, "red": 3, "unreported": 0}  # LAST; TWO ONE ALLRED


# --- the evaluation's shortcuts give what the general rules give -----------------------------------


def test_problem_details_name_the_values_as_reported():
    """The "where" texts are built only when a problem is recorded; they read as they always did."""
    import datetime as dt
    import decimal

    projects = rules.Projects.from_rows((pid, None, "U01", dt.date(2020, 1, 1)) for pid in ("A", "B", "C", "D", "E"))
    stamp = dt.datetime(2021, 4, 1, 10, 0, 0, 123456)
    rows = rules.Progress.from_rows([
        ("A", "2021-03", decimal.Decimal("150.50"), 20, stamp),       # above 100
        ("B", "2021-03", 40, "abc", "2021-04-02T08:00:00"),          # non-numeric: discarded
        ("C", "2021-03", -5.0, None, None),                          # negative, NULL
        ("D", "2021-03", 50, 40, "2021-04-03 09:00:00"),             # duplicated month
        ("D", "2021-03", 60, 40, dt.datetime(999, 1, 2, 3, 4, 5)),
        ("D", "2021-03", 70, 40, None),
        ("GHOST", "2021-03", 1, 1, None),
    ])
    problems = rules.Problems()
    statuses = {s.project_id: s for s in rules.evaluate_projects(MARCH, projects, rows, problems)}
    details = {(p["kind"], p["subject"]): p["detail"] for p in problems.as_list()}
    assert details == {
        ("progress_above_100", "A"): "plan_progress_pct=150.5 reported_at=2021-04-01 10:00:00",
        ("non_numeric_progress", "B"): "actual_progress_pct='abc' reported_at=2021-04-02 08:00:00",
        ("negative_progress", "C"): "plan_progress_pct=-5.0 reported_at=None",
        ("missing_progress", "C"): "actual_progress_pct is NULL",
        ("duplicate_month", "D"): "3 rows; reported_at: 2021-04-03 09:00:00, 999-01-02 03:04:05",
        ("unknown_project", "GHOST"): "monthly row ignored",
    }
    assert statuses["A"][3:] == ("red", 130.5, 150.5, 20.0, "2021-04-01 10:00:00")
    assert statuses["B"].status == "unreported"
    assert statuses["C"][3:] == ("green", -5.0, -5.0, 0.0, None)
    assert statuses["D"][3:] == ("green", 10.0, 50.0, 40.0, "2021-04-03 09:00:00")
    quiet = rules.Problems(enabled=False)
    assert rules.evaluate_projects(MARCH, projects, rows, quiet) == list(statuses.values())
    assert quiet.as_list() == []


def test_months_from_one_book_equal_months_evaluated_alone(dept, read_engine):
    """The report reads the rows once into one frame and evaluates the month, the month before and
    the trend from it; each month must equal its evaluation on its own."""
    from gxq.innovation import source

    dept.project("A").project("B", unit=None).project("C", start="2021-03-15")
    dept.progress("A", "2021-02", 50, 45).progress("A", "2021-03", 50, 10)
    dept.progress("A", "2021-03", 50, 30, "2021-04-09 00:00:00")  # the later report of a duplicated month
    dept.progress("B", "2021-02", 80, 20).progress("C", "2021-03", 20, 20)
    dept.indicator("I1", 2, 120).indicator("I2", 1, 0).value("I1", "2021-02", 15).value("I1", "2021-03", 30)
    dept.value("I2", "2021-03", 5).value("I1", "2021-01", 11)
    data = source.load("2021-01", "2021-03", "2021-01", engine=read_engine)
    projects = rules.ProjectBook(data.projects, data.progress)
    indicators = rules.IndicatorBook(data.indicators, data.indicator_values)
    for key in ("2021-01", "2021-02", "2021-03"):
        month = parse_key(key)
        alone, from_books = rules.Problems(), rules.Problems()
        expected = rules.evaluate_month(month, data.projects, data.progress, data.indicators, data.indicator_values,
                                        alone)
        got = rules.evaluate_books(month, projects, indicators, from_books)
        assert got.contract() == expected.contract()
        assert got.projects == expected.projects
        assert from_books.as_list() == alone.as_list()
    report = month_report(read_engine)
    assert report["composite_trend"] == [
        {"period": k, "composite_score": rules.evaluate_indicators(parse_key(k), data.indicators,
                                                                  data.indicator_values, rules.Problems())[1]}
        for k in ("2021-01", "2021-02", "2021-03")]
    assert report["comparison"]["previous_statuses"] == {"A": "green", "B": "red"}


# --- dates and times that are not (SQLite text) -----------------------------------------------------


@pytest.fixture
def sqlite_dept(tmp_path):
    """SQLite only: PostgreSQL's date and timestamp columns cannot hold text that is not one."""
    from gxq.connections import engine_for, parse_conn_value

    from tests.conftest import sqlite_conn_json
    from tests.innovation.conftest import DeptDB

    path = tmp_path / "dept_innovation_text.db"
    db = DeptDB(f"sqlite:///{path}", sqlite_conn_json(path))
    yield db, engine_for("dept_innovation", parse_conn_value("dept_innovation", db.conn_json))
    db.engine.dispose()


def test_a_start_on_or_reported_at_that_is_not_one_is_a_data_problem(sqlite_dept):
    db, engine = sqlite_dept
    db.project("BAD_START", start="2021-06-0x").progress("BAD_START", "2021-03", 50, 45)
    db.project("BAD_STAMP").progress("BAD_STAMP", "2021-03", 50, 45, reported_at="2021-03-2x 10:00:00")
    db.project("GOOD").progress("GOOD", "2021-03", 50, 45)
    report = month_report(engine)  # no crash: the run goes on
    assert [p["project_id"] for p in report["projects"]] == ["BAD_STAMP", "GOOD"]
    assert by_id(report)["BAD_STAMP"]["status"] == "green"  # read as undated: still the month's only row
    assert {("bad_start_on", "BAD_START"), ("bad_reported_at", "BAD_STAMP")} <= kinds(report)
    assert ("missing_start_on", "BAD_START") not in kinds(report)
