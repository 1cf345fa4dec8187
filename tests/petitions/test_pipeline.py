"""The bulletin's extras and texts: year to date, the monthly ranking, notices, the DAG's shape."""

from __future__ import annotations

import datetime as dt

import pytest
from gxq import periods
from gxq.petitions import notices, pipeline, render, rules


def test_ytd_window_from_first_of_january_to_week_end():
    p = periods.parse_key("2021-W09")
    assert pipeline.ytd_window(p) == (dt.datetime(2021, 1, 1), dt.datetime(2021, 3, 8))
    # 2020-W53 ends on Sunday 2021-01-03: the year of its last day
    p = periods.parse_key("2020-W53")
    assert pipeline.ytd_window(p) == (dt.datetime(2021, 1, 1), dt.datetime(2021, 1, 4))


@pytest.mark.parametrize("week, month", [
    ("2021-W08", "2021-02"),  # issued Monday 2021-03-01: first bulletin of March ranks February
    ("2021-W09", None),       # issued 2021-03-08
    ("2021-W13", "2021-03"),  # issued Monday 2021-04-05
    ("2020-W53", "2020-12"),  # issued Monday 2021-01-04
])
def test_first_bulletin_of_a_month_ranks_the_previous_month(week, month):
    got = pipeline.ranking_month(periods.parse_key(week))
    assert (got.key if got else None) == month


def test_quality_ranking_formula_and_ties():
    per_unit = {
        "U02": {"received": 1, "dispatch_due": 2, "dispatch_on_time": 2, "feedback_due": 4, "feedback_on_time": 3,
                    "surveyed": 2, "satisfied": 2},  # 100*(0.4*0.75+0.4*1+0.2*1) = 90
        "U01": {"received": 1, "dispatch_due": 2, "dispatch_on_time": 2, "feedback_due": 4, "feedback_on_time": 3,
                    "surveyed": 2, "satisfied": 2},  # same score, smaller code first
        "U03": {"received": 1, "dispatch_due": 0, "dispatch_on_time": 0, "feedback_due": 2, "feedback_on_time": 2,
                    "surveyed": 0, "satisfied": 0},  # only feedback counts: 100
        "U04": dict.fromkeys(rules.UNIT_METRIC_FIELDS, 0),  # nothing to assess: not ranked
    }
    ranking = rules.quality_ranking(per_unit)
    assert [(r["unit"], r["score"], r["rank"]) for r in ranking] == [("U03", 100.0, 1), ("U01", 90.0, 2),
                                                                   ("U02", 90.0, 3)]


def test_below_target_names_units_under_each_target():
    per_unit = {
        "U01": {"received": 0, "dispatch_due": 1, "dispatch_on_time": 1, "feedback_due": 2, "feedback_on_time": 1,
                    "surveyed": 20, "satisfied": 19},  # satisfaction 0.95 is on target
        "U02": {"received": 0, "dispatch_due": 0, "dispatch_on_time": 0, "feedback_due": 0, "feedback_on_time": 0,
                    "surveyed": 20, "satisfied": 18},
    }
    assert rules.below_target(per_unit) == {
        "dispatch": [], "feedback": [{"unit": "U01", "rate": 0.5}], "satisfaction": [{"unit": "U02", "rate": 0.9}]}


def _report():
    return {
        "period": "2021-W09", "start": "2021-03-01", "end": "2021-03-07", "received": 3, "received_prev": 2,
        "by_kind": {"投诉": 3},
        "dispatch": {"due": 1, "on_time": 1, "rate": 1.0}, "feedback": {"due": 2, "on_time": 1, "rate": 0.5},
        "satisfaction": {"surveyed": 0, "satisfied": 0, "rate": None},
        "top_topics": [{"topic": "供暖", "complaints": 3, "lead_unit": "U01", "units": ["U01", "U02"]}],
        "overdue_open": ["P1", "P2"],
        "units": [{"unit": "U01", "led": 3, "feedback_due": 2, "feedback_on_time": 1, "overdue_open": 1,
                   "surveyed": 0, "satisfied": 0},
                  {"unit": "U02", "led": 0, "feedback_due": 0, "feedback_on_time": 0, "overdue_open": 1,
                   "surveyed": 0, "satisfied": 0}],
        "excluded": {"bad_satisfaction": 1},
        "unit_rates": {"U01": {"dispatch": 1.0, "feedback": 0.5, "satisfaction": None}},
        "ytd": {"unit_rates": {"U01": {"dispatch": 1.0, "feedback": 0.8, "satisfaction": 1.0}}},
        "below_target": {"week": {"dispatch": [], "feedback": [{"unit": "U01", "rate": 0.5}], "satisfaction": []},
                         "ytd": {"dispatch": [], "feedback": [], "satisfaction": []}},
        "supervised_items": [{"item_id": "2021-W06:供暖", "topic": "供暖", "opened_week": "2021-W06",
                              "state": "listed", "state_label": "仍在榜", "weeks_open": 3, "complaints": 3,
                              "rank": 1, "lead_unit": "U01", "escalated": True}],
        "trend": [],
    }


OVERDUE = [
    {"petition_id": "P1", "topic": "供暖", "street": "凌水街道", "received_at": "2021-02-01 10:00",
     "feedback_due_at": "2021-02-05 10:00", "days_overdue": 30, "lead_unit": "U01"},
    {"petition_id": "P2", "topic": "噪音 市民电话13612340546", "street": None, "received_at": "2021-02-01 10:00",
     "feedback_due_at": "2021-02-06 10:00", "days_overdue": 29, "lead_unit": "U02"},
]
INVALID = [{"petition_id": "P9", "reason": "bad_satisfaction", "received_at": "2021-03-02 10:00"}]


def test_notices_office_each_unit_escalation_and_quarantine(tmp_path):
    files = {}
    for k in ("docx", "xlsx", "html"):
        files[k] = str(tmp_path / f"bulletin.{k}")
        (tmp_path / f"bulletin.{k}").write_text("x")
    built = notices.build_notices(_report(), OVERDUE, INVALID, {"U01": "建设局", "U02": "城管局"}, files)
    by = {(n.recipient, n.kind): n for n in built}
    assert set(by) == {("office", "bulletin"), ("U01", "unit_bulletin"), ("U02", "unit_bulletin"),
                       ("office", "escalation"), ("ops", "quarantine")}
    u1, u2 = by[("U01", "unit_bulletin")].body, by[("U02", "unit_bulletin")].body
    assert "P1" in u1 and "P2" not in u1 and "P2" in u2 and "P1" not in u2  # each unit its own part
    assert "供暖" in u1 and "已提级督办" in u1 and "未达目标: 按时反馈率" in u1
    assert "13612340546" not in u2 and "136****0546" in u2  # masked
    assert "供暖" in by[("office", "escalation")].body and "建设局(U01)" in by[("office", "escalation")].body
    assert "P9" in by[("ops", "quarantine")].body and "回访结果不规范" in by[("ops", "quarantine")].body
    assert by[("office", "bulletin")].attachments == [files["docx"], files["xlsx"], files["html"]]


def test_no_escalation_or_quarantine_notice_when_nothing_to_say(tmp_path):
    report = _report()
    report["supervised_items"][0]["escalated"] = False
    report["excluded"] = {}
    built = notices.build_notices(report, OVERDUE, [], {}, {})
    assert {(n.recipient, n.kind) for n in built} == {("office", "bulletin"), ("U01", "unit_bulletin"),
                                                       ("U02", "unit_bulletin")}


def test_summary_text_with_rates_and_change():
    ctx = render.build_context(_report(), OVERDUE, INVALID, {})
    text = "\n".join(ctx["summary_lines"])
    assert "受理诉求3件" in text and "环比增长50.0%" in text
    assert "按时反馈率50.00%" in text and "满意率—" in text and "超期未反馈工单2件" in text
    assert ctx["tables"]["overdue"]["rows"][0][0] == "P1"  # longest overdue first


# --- the DAG's shape ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags["petition_weekly_bulletin"]


def test_dag_steps_and_settings(dag):
    assert dag.task_dict["compute"].downstream_task_ids == {"supervise", "render", "publish", "notify"}
    assert dag.task_dict["publish"].downstream_task_ids == {"notify"}
    assert set(dag.task_ids) == {"compute", "supervise", "render", "publish", "notify"}
    import pendulum

    assert dag.catchup is False
    assert dag.start_date == pendulum.datetime(2021, 1, 1, tz="Asia/Shanghai")
    from gxq import cadences

    assert dag.timetable.summary == cadences.schedule_for("petition_weekly_bulletin").summary
    assert "Mon" in dag.timetable.summary and "09:00" in dag.timetable.summary
    assert "市民服务平台情况通报" in dag.doc_md and "weekly petition bulletin" in dag.doc_md
    assert set(dag.params.keys()) == {"period", "dry_run", "resend"}  # one param per idea: no ``week``


def test_period_param_overrides_the_logical_date():
    from gxq.run import Run, RunError

    for params, key in (({"period": "2021-W04"}, "2021-W04"), ({}, "2021-W09"), ({"period": ""}, "2021-W09")):
        context = {"params": params, "logical_date": dt.datetime(2021, 3, 8, 1, tzinfo=dt.UTC)}
        assert Run.from_context(context, pipeline.DAG_ID).key == key
    with pytest.raises(RunError):
        context = {"params": {"period": "2021-W09; DROP TABLE petitions"}, "logical_date": None}
        Run.from_context(context, pipeline.DAG_ID)


def test_period_param_rejects_injection_at_trigger_time(dag):
    import copy

    params = copy.deepcopy(dag.params)
    params["period"] = "2021-W09"
    params.validate()
    params = copy.deepcopy(dag.params)
    with pytest.raises(Exception, match="(?i)pattern|does not match|invalid"):
        params["period"] = "2021-W09'; DROP TABLE petitions; --"
        params.validate()


def test_files_mask_personal_data_that_slips_into_free_text(tmp_path):
    """A phone number typed into a topic reaches the page, Word and Excel only masked."""
    import zipfile

    from gxq.masking import find_unmasked

    report = _report()
    report["trend"] = [{"period": "2021-W09", "received": 3, "dispatch_rate": 1.0, "feedback_rate": 0.5,
                        "satisfaction_rate": None}]
    ctx = render.build_context(report, OVERDUE, INVALID, {"U01": "建设局"})
    files = render.write_files(tmp_path, ctx)
    html = files["html"].read_text(encoding="utf-8")
    assert "136****0546" in html and find_unmasked(html) == []
    for kind in ("docx", "xlsx"):
        with zipfile.ZipFile(files[kind]) as z:
            xml = "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist() if n.endswith(".xml"))
        assert "136****0546" in xml and find_unmasked(xml) == [], kind
    assert files["trend_received"].read_bytes()[:4] == b"\x89PNG"
