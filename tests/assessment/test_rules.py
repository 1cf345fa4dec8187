"""The contract's edges of ``assessment_rectification``, read from hand-built department databases
on SQLite and PostgreSQL (``dept``): week 2021-W27, as_of Sunday 2021-07-11."""

from __future__ import annotations

import pytest
from gxq.assessment import weekly
from gxq.periods import parse_key

W27 = parse_key("2021-W27", ("week",))


def evaluate(db, key: str = "2021-W27") -> dict:
    return weekly.evaluate(parse_key(key, ("week",)), db.engine)


def _base(db):
    db.round("2021-03", "2021-04-02").round("2021-06", "2021-07-02")
    return db.indicator("A01", "U02").indicator("A02", "U03").indicator("L01", "U13")


def test_contract_example(dept):
    _base(dept)
    dept.score("2021-03", "A01", 72.5, 4, 10).score("2021-06", "A01", 80.0, 3, 10)
    dept.finding("F001", due="2021-05-31", rectified="2021-05-20", verified="2021-06-01")
    dept.finding("F002", unit="U05", due="2021-05-31")  # 41 days overdue
    dept.finding("F003", due="2021-05-31", rectified="2021-05-30")  # awaiting 验收销号
    dept.finding("F004", due="2021-06-30", rectified="2021-06-10", verified="2021-06-20")
    dept.finding("F005", due="2021-06-30", verified="2021-07-01")  # verified without a rectified date
    report = evaluate(dept)
    assert report["period"] == "2021-W27" and report["as_of"] == "2021-07-11"
    assert report["rounds"] == [
        {"round": "2021-03", "findings": 5, "rectified": 4, "verified": 3, "overdue": 1, "closure_rate": 0.6},
        {"round": "2021-06", "findings": 0, "rectified": 0, "verified": 0, "overdue": 0, "closure_rate": None},
    ]
    assert report["findings_overdue"] == [{"finding_id": "F002", "round": "2021-03", "unit": "U05",
                                           "due_on": "2021-05-31", "days_overdue": 41}]
    assert report["awaiting_verification"] == ["F003"]
    assert report["indicators"] == [{"indicator_code": "A01", "unit": "U02",
                                     "scores": {"2021-03": 72.5, "2021-06": 80.0}, "change": 7.5,
                                     "city_rank": 3, "target_met": True}]
    assert report["reminders"] == ["U05"] and report["escalated"] == ["F002"]
    assert report["data_problems"] == []


def test_due_on_as_of_is_not_overdue_and_the_day_before_is(dept):
    _base(dept)
    dept.finding("F010", due="2021-07-11").finding("F011", unit="U07", due="2021-07-10")
    report = evaluate(dept)
    assert [f["finding_id"] for f in report["findings_overdue"]] == ["F011"]
    assert report["findings_overdue"][0]["days_overdue"] == 1
    assert report["reminders"] == ["U07"] and report["escalated"] == []


def test_rectified_on_as_of_counts_and_after_as_of_does_not(dept):
    _base(dept)
    dept.finding("F020", due="2021-06-01", rectified="2021-07-11")
    dept.finding("F021", due="2021-06-01", rectified="2021-07-12", verified="2021-07-13")
    report = evaluate(dept)
    assert report["awaiting_verification"] == ["F020"]
    assert [f["finding_id"] for f in report["findings_overdue"]] == ["F021"]
    assert report["rounds"][0]["rectified"] == 1 and report["rounds"][0]["verified"] == 0


def test_verified_without_rectified_date_is_rectified_on_its_verified_day(dept):
    _base(dept)
    dept.finding("F030", due="2021-06-01", verified="2021-07-11")  # verified on as_of: rectified then
    dept.finding("F031", due="2021-06-01", verified="2021-07-12")  # verified after as_of: still overdue
    report = evaluate(dept)
    assert report["rounds"][0] == {"round": "2021-03", "findings": 2, "rectified": 1, "verified": 1, "overdue": 1,
                                   "closure_rate": 0.5}
    assert [f["finding_id"] for f in report["findings_overdue"]] == ["F031"]
    assert report["awaiting_verification"] == []
    [detail] = [d for d in report["finding_details"] if d["finding_id"] == "F030"]
    assert detail["rectified_on"] == "2021-07-11" and detail["on_time"] is False


def test_a_round_counts_from_its_published_day(dept):
    _base(dept)
    dept.round("2021-09", "2021-07-11")  # published on as_of: counts
    dept.round("2021-12", "2021-07-12")  # the day after: nowhere
    dept.score("2021-09", "A01", 70).score("2021-12", "A01", 99, 1, 10)
    dept.finding("F040", key="2021-09", due="2021-07-01").finding("F041", key="2021-12", due="2021-07-01")
    report = evaluate(dept)
    assert [r["round"] for r in report["rounds"]] == ["2021-03", "2021-06", "2021-09"]
    assert [f["finding_id"] for f in report["findings_overdue"]] == ["F040"]
    assert report["indicators"][0]["scores"] == {"2021-09": 70.0}
    assert all(d["finding_id"] != "F041" for d in report["finding_details"])
    assert report["data_problems"] == []
    # a week earlier none of the 2021-06 round counts either
    earlier = evaluate(dept, "2021-W25")  # as_of 2021-06-27
    assert [r["round"] for r in earlier["rounds"]] == ["2021-03"]


def test_one_round_change_is_null_and_a_null_rank_is_not_judged(dept):
    _base(dept)
    dept.score("2021-06", "A02", 66.6, 2, 10)  # one counted round
    dept.score("2021-03", "L01", 70.05).score("2021-06", "L01", 72.1)  # the city does not rank it
    dept.score("2021-03", "A01", 80.5, 2, 10).score("2021-06", "A01", 78.25, 5, 10)
    report = evaluate(dept)
    rows = {i["indicator_code"]: i for i in report["indicators"]}
    assert list(rows) == ["A01", "A02", "L01"]
    assert rows["A02"] == {"indicator_code": "A02", "unit": "U03", "scores": {"2021-06": 66.6}, "change": None,
                           "city_rank": 2, "target_met": True}
    assert rows["L01"]["city_rank"] is None and rows["L01"]["target_met"] is None
    assert rows["L01"]["change"] == 2.05  # 72.1 - 70.05 rounded to 2 decimals
    assert rows["A01"]["change"] == -2.25 and rows["A01"]["city_rank"] == 5 and rows["A01"]["target_met"] is False


def test_sorts_rounding_and_the_escalation_threshold(dept):
    _base(dept)
    dept.finding("F052", unit="U09", due="2021-06-11")  # 30 days: escalated
    dept.finding("F051", unit="U08", due="2021-06-12")  # 29 days: reminded only
    dept.finding("F050", unit="U09", due="2021-06-11")  # same days: by finding_id
    dept.finding("F053", unit="U01", due="2021-06-30", verified="2021-07-01")
    dept.finding("F054", key="2021-06", unit="U01", due="2021-07-30", rectified="2021-07-05")
    dept.finding("F055", key="2021-06", unit="U01", due="2021-07-30", rectified="2021-07-06")
    dept.finding("F056", key="2021-06", unit="U01", due="2021-07-30", rectified="2021-07-07", verified="2021-07-08")
    report = evaluate(dept)
    assert [(f["finding_id"], f["days_overdue"]) for f in report["findings_overdue"]] == [
        ("F050", 30), ("F052", 30), ("F051", 29)]
    assert report["reminders"] == ["U08", "U09"] and report["escalated"] == ["F050", "F052"]
    assert report["rounds"][0]["closure_rate"] == 0.25
    assert report["rounds"][1]["closure_rate"] == 0.3333  # 1 / 3 to 4 decimals
    assert report["awaiting_verification"] == ["F054", "F055"]
    assert report["reported_rectified"] == ["F054", "F055"]  # rectified in W, not verified


def test_due_soon_is_the_coming_week_only(dept):
    _base(dept)
    dept.finding("F060", due="2021-07-12").finding("F061", due="2021-07-18").finding("F062", due="2021-07-19")
    dept.finding("F063", due="2021-07-15", rectified="2021-07-09")
    report = evaluate(dept)
    assert report["due_soon"] == ["F060", "F061"]
    # the next week's window starts where this one ends: each finding is warned once
    assert evaluate(dept, "2021-W28")["due_soon"] == ["F062"]


@pytest.mark.parametrize("bad", ["2021-13-45", "soon"])
def test_bad_input_is_quarantined_not_a_crash(tmp_path, bad):
    """SQLite keeps text in date columns: what is not a date is a data problem, the rest counts."""
    from tests.assessment.conftest import DeptDB
    from tests.conftest import sqlite_conn_json

    path = tmp_path / "sup.db"
    db = DeptDB(f"sqlite:///{path}", sqlite_conn_json(path))
    _base(db)
    db.round("2021-04", bad)
    db.finding("F070", due=bad).finding("F071", due="2021-06-01", rectified=bad)
    db.finding("F072", key="2020-12").finding("F073", code="Z99").finding("F074", due=None)
    db.finding("F075", unit=None).finding("F076", due="").finding("F077", unit="U04")
    db.score("2021-03", "A01", "n/a").score("2021-03", "Z99", 60).score("2019-01", "A01", 60)
    db.score("2021-03", "A02", 70, "third")
    report = evaluate(db)
    kinds = {(p["subject"], p["kind"]) for p in report["data_problems"]}
    assert kinds == {
        ("2021-04", "bad_round_date"), ("F070", "bad_date"), ("F071", "bad_date"), ("F072", "unknown_round"),
        ("F073", "unknown_indicator"), ("F074", "missing_due_on"), ("F075", "missing_unit"),
        ("F076", "missing_due_on"), ("2021-03/A01", "bad_score"), ("2021-03/Z99", "unknown_indicator"),
        ("2019-01/A01", "unknown_round"), ("2021-03/A02", "bad_rank")}
    assert [d["finding_id"] for d in report["finding_details"]] == ["F077"]
    assert report["reminders"] == ["U04"] and report["indicators"] == []
    assert all(p["label"] for p in report["data_problems"])
    db.engine.dispose()


def test_a_missing_column_is_named(tmp_path):
    import sqlalchemy as sa
    from gxq.sql import DepartmentSchemaError

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'sup.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE assessment_rounds (round TEXT)"))
    with pytest.raises(DepartmentSchemaError, match="published_on"):
        weekly.evaluate(W27, engine)
    engine.dispose()
