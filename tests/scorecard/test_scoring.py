"""The month's scorecard from the issued reports in gxq_ops (SQLite and PostgreSQL): a deduction for
each source traced to its item, caps, ties, a missing input, a change of weights between months and
a rerun of an old month after it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from gxq import store
from gxq.scorecard import compute, scoring, weights

from tests.scorecard.conftest import (
    BULLETIN,
    INNOVATION,
    JUNE_WEEKS,
    RECTIFY,
    TASKS,
    URGENT,
    bulletin,
    publish_month,
)

pytestmark = pytest.mark.usefixtures("registered_inputs")


def _unit(report: dict, code: str) -> dict:
    return next(u for u in report["units"] if u["unit"] == code)


def test_a_clean_month_scores_everyone_full(ops):
    publish_month(ops)
    report = compute.compute("2021-06", ops)
    assert report["missing_inputs"] == [] and report["complete"] is True
    assert [(u["unit"], u["score"], u["rank"]) for u in report["units"]] == [("U01", 100.0, 1), ("U02", 100.0, 1),
                                                                            ("U03", 100.0, 1)]
    assert list(report)[:2] == ["period", "units"]
    assert {i["source"] for i in report["inputs"]} == {"petitions", "urgent", "tasks", "rectification", "innovation"}


def test_a_deduction_for_each_source_traced_to_its_item(ops):
    publish_month(ops, skip=(INNOVATION, RECTIFY, URGENT, TASKS, *JUNE_WEEKS[-1:]), )
    last = JUNE_WEEKS[-1]
    store.record_report(ops, BULLETIN, last, bulletin(
        last, [{"unit": "U01", "due": 10, "on_time": 7, "overdue": 3, "surveyed": 10, "satisfied": 5},
               {"unit": "U02", "due": 2, "on_time": 2, "surveyed": 5, "satisfied": 5}],
        unit_rates={"U01": {"dispatch": 0.9, "feedback": 0.7, "satisfaction": 0.5}},
        supervised=[{"item_id": "S1", "topic": "供暖", "lead_unit": "U01", "state": "listed", "escalated": True,
                     "opened_week": "2021-W22", "weeks_open": 4},
                    {"item_id": "S2", "topic": "噪音扰民", "lead_unit": "U02", "state": "resolved", "escalated": False}]))
    store.record_report(ops, URGENT, "2021-06-20T1000", {
        "period": "2021-06-20T1000", "watched": 2, "escalated": ["P0302"],
        "alerts": [{"petition_id": "P0301", "stage": "dispatch_overdue", "unit": None, "minutes": 200},
                   {"petition_id": "P0302", "stage": "feedback_overdue", "unit": "U02", "minutes": 130}]})
    store.record_report(ops, URGENT, "2021-06-20T1010", {
        "period": "2021-06-20T1010", "watched": 1, "escalated": ["P0302"],
        "alerts": [{"petition_id": "P0302", "stage": "feedback_overdue", "unit": "U02", "minutes": 140}]})
    store.record_report(ops, TASKS, "2021-06", {
        "period": "2021-06", "targets": [{"target_id": "T01", "unit": "U02", "light": "red", "status": "behind"},
                                         {"target_id": "T02", "unit": "U02", "light": "yellow", "status": "behind"},
                                         {"target_id": "T03", "unit": "U01", "light": "green", "status": "on_track"}],
        "units": [{"unit": "U01"}, {"unit": "U02"}], "escalated": ["T01"]})
    store.record_report(ops, RECTIFY, last, {"period": last, "escalated": ["F002"], "findings_overdue": [
        {"finding_id": "F002", "round": "2021-03", "unit": "U03", "due_on": "2021-05-01", "days_overdue": 56},
        {"finding_id": "F005", "round": "2021-03", "unit": "U03", "due_on": "2021-06-20", "days_overdue": 7}]})
    store.record_report(ops, INNOVATION, "2021-06", {"period": "2021-06", "units": [{"unit": "U01"}, {"unit": "U04"}],
        "projects": [{"project_id": "X1", "responsible_unit": "U04", "status": "red", "gap": 35.0},
                     {"project_id": "X2", "responsible_unit": "U04", "status": "unreported", "gap": None},
                     {"project_id": "X3", "responsible_unit": None, "status": "red", "gap": 50.0}]})
    report = compute.compute("2021-06", ops)
    assert report["missing_inputs"] == []
    u1, u2, u3, u4 = (_unit(report, c) for c in ("U01", "U02", "U03", "U04"))
    assert u1["deductions"] == [
        {"source": "petitions", "item": f"{last} 按时分拨率", "points": 0.5},
        {"source": "petitions", "item": f"{last} 按时反馈 7/10", "points": 0.6},  # 3 late x 0.2
        # June: 40 surveyed, 35 satisfied -> 87.50%, 7.5 points below 95% x 0.5
        {"source": "petitions", "item": "2021-06 满意率 87.50%", "points": 3.75},
        {"source": "petitions", "item": f"{last} 超期未反馈 3 件", "points": 1.5},
        {"source": "petitions", "item": "挂牌督办 供暖", "points": 1.0},
        {"source": "petitions", "item": "挂牌督办 供暖", "points": 1.0},
    ]
    assert u1["score"] == round(100 - 0.5 - 0.6 - 3.75 - 1.5 - 1 - 1, 2)
    assert u2["deductions"] == [  # the escalated urgent petition counted once over both runs
        {"source": "urgent", "item": "P0302", "points": 1.0}, {"source": "urgent", "item": "P0302", "points": 2.0},
        {"source": "tasks", "item": "T01", "points": 2.0}, {"source": "tasks", "item": "T02", "points": 1.0},
        {"source": "tasks", "item": "T01", "points": 2.0}]
    assert u3["deductions"] == [{"source": "rectification", "item": "F002", "points": 2.0},
                                {"source": "rectification", "item": "F005", "points": 2.0},
                                {"source": "rectification", "item": "F002", "points": 2.0}]
    assert u4["deductions"] == [{"source": "innovation", "item": "X1", "points": 3.0},
                                {"source": "innovation", "item": "X2", "points": 2.0}]
    for unit in report["units"]:  # every point lost is in the deductions, each traced to its report
        assert unit["score"] == round(100 - sum(d["points"] for d in unit["deductions"]), 2)
        assert {(t["dag_id"], t["rule"]) for t in report["trace"][unit["unit"]]}
    assert [(u["unit"], u["rank"]) for u in report["units"]] == [("U04", 1), ("U03", 2), ("U02", 3), ("U01", 4)]
    wording = {t["rule"]: t["wording"] for t in report["trace"]["U03"]}
    assert wording["rectification.overdue"].startswith("三轮评估问题清单中超过整改期限")


def test_caps_keep_the_item_that_reaches_them_and_trace_the_rest():
    version = weights.load().in_force(__import__("datetime").date(2021, 6, 1))
    from gxq.scorecard.sources import Charge

    charges = [Charge("U01", "petitions.feedback_late", f"2021-W2{i} 按时反馈", 20, "", BULLETIN, f"2021-W2{i}") for i in (2, 3)]
    rows, trace = scoring.score_units({"U01"}, charges, version, 100)
    # 20 x 0.2 = 4 points each, the rule's cap is 10: 4 + 4 -> both kept; 3 more weeks: 4 + 4 + 2 + 0 ...
    charges += [Charge("U01", "petitions.feedback_late", f"2021-W2{i} 按时反馈", 20, "", BULLETIN, f"2021-W2{i}") for i in (4, 5)]
    rows, trace = scoring.score_units({"U01"}, charges, version, 100)
    assert [d["points"] for d in rows[0]["deductions"]] == [4.0, 4.0, 2.0]
    assert rows[0]["score"] == 90.0
    assert [t["capped"] for t in trace["U01"]] == [False, False, True, True]


def test_ties_share_a_rank_then_go_by_code():
    rows = scoring.rank([{"unit": "U09", "score": 95.0}, {"unit": "U02", "score": 99.5}, {"unit": "U05", "score": 95.0},
                         {"unit": "U01", "score": 95.0}, {"unit": "U07", "score": 90.0}])
    assert [(r["unit"], r["rank"]) for r in rows] == [("U02", 1), ("U01", 2), ("U05", 2), ("U09", 2), ("U07", 5)]


def test_a_missing_input_is_named(ops):
    publish_month(ops, skip=("2021-W24", INNOVATION))
    report = compute.compute("2021-06", ops)
    assert report["complete"] is False
    assert report["missing_inputs"] == [
        {"source": "petitions", "dag_id": BULLETIN, "period": "2021-W24", "reason": "no_report"},
        {"source": "innovation", "dag_id": INNOVATION, "period": "2021-06", "reason": "no_report"}]


def test_an_input_not_deployed_is_named(ops, monkeypatch):
    from gxq import cadences

    monkeypatch.setattr(cadences, "BY_ID", {k: v for k, v in cadences.BY_ID.items() if k != URGENT})
    publish_month(ops)
    report = compute.compute("2021-06", ops)
    assert report["missing_inputs"] == [{"source": "urgent", "dag_id": URGENT, "period": "2021-06", "reason": "not_deployed"}]


def _two_versions(tmp_path, red_points_from_july: float):
    raw = yaml.safe_load(weights.WEIGHTS_FILE.read_text(encoding="utf-8"))
    later = yaml.safe_load(yaml.safe_dump(raw["versions"][0], allow_unicode=True))
    later["effective_from"] = "2021-07-01"
    later["document"] = "考核办法（2021年7月修订）"
    later["rules"]["tasks.red"]["points"] = red_points_from_july
    raw["versions"].append(later)
    path = tmp_path / "weights.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return weights.load(path)


def test_weights_change_between_two_months_and_an_old_month_reruns_as_scored(ops, tmp_path):
    red = {"T01": ("U01", "red"), "T02": ("U02", "green")}
    publish_month(ops, tasks_lights=red)
    july_weeks = ("2021-W26", "2021-W27", "2021-W28", "2021-W29", "2021-W30")
    publish_month(ops, "2021-07", july_weeks, tasks_lights=red)
    before = weights.load()
    june = compute.compute("2021-06", ops, before)
    store.record_report(ops, compute.dag_id(), "2021-06", june)
    assert _unit(june, "U01")["score"] == 98.0 and june["weights"]["version"] == "2021-01-01"

    changed = _two_versions(tmp_path, 5)
    july = compute.compute("2021-07", ops, changed)
    assert _unit(july, "U01")["deductions"] == [{"source": "tasks", "item": "T01", "points": 5.0}]
    assert july["weights"]["version"] == "2021-07-01" and july["weights"]["rules"]["tasks.red"]["points"] == 5
    assert july["changes"]["U01"] == {"previous_score": 98.0, "previous_rank": 3, "score_change": -3.0, "rank_change": 0}
    rerun = compute.compute("2021-06", ops, changed)  # June again, after the change: scored as it was
    assert rerun["units"] == june["units"] and rerun["weights"] == june["weights"]


def test_the_quarter_and_year_roll_ups(ops):
    for i, month in enumerate(("2021-04", "2021-05")):
        store.record_report(ops, compute.dag_id(), month, {"period": month, "complete": True, "units": [
            {"unit": "U01", "score": 90.0 + i, "rank": 1, "deductions": [{"source": "tasks", "item": "T", "points": 10.0 - i}]}]})
    publish_month(ops, tasks_lights={"T01": ("U01", "red")})
    report = compute.compute("2021-06", ops)
    (quarter,) = report["rollups"]
    assert quarter["period"] == "2021-Q2" and quarter["complete"] is True
    assert [u["unit"] for u in quarter["units"]] == ["U02", "U03", "U01"]  # U02, U03: June only, full score
    assert quarter["units"][2] == {"unit": "U01", "score": round((90 + 91 + 98) / 3, 2), "rank": 3,
                                   "months": {"2021-04": 90.0, "2021-05": 91.0, "2021-06": 98.0}, "deductions": 21.0}
    store.record_report(ops, compute.dag_id(), "2021-11", {"period": "2021-11", "units": []})
    december = compute.compute("2021-12", ops)
    assert [r["period"] for r in december["rollups"]] == ["2021-Q4", "2021"]
    assert december["rollups"][1]["missing_months"][:3] == ["2021-01", "2021-02", "2021-03"]


def test_a_month_with_no_input_renders_its_documents(ops, output_dir):
    from gxq import output
    from gxq.scorecard import rendering as render

    report = compute.compute("2021-11", ops)
    assert report["units"] == [] and {m["source"] for m in report["missing_inputs"]} == {
        "petitions", "urgent", "tasks", "rectification", "innovation"}
    files = render.write_files(output.period_dir(compute.dag_id(), "2021-11"), report)
    assert "缺少输入" in Path(files["report_html"]).read_text(encoding="utf-8")
