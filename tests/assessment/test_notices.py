"""Who is told what, from a hand-built week: 催办 per unit naming its findings, 督办 to the office,
临期 and 待验收 notes, data problems to ops, personal data masked."""

from __future__ import annotations

import datetime as dt

from gxq.assessment import notices, weekly
from gxq.assessment.rules import AssessmentData, Finding, Indicator, Round, Score
from gxq.periods import parse_key

D = dt.date.fromisoformat


def _report() -> dict:
    data = AssessmentData(
        [Round("2021-03", D("2021-04-02")), Round("2021-04", None, "soon")],
        [Indicator("A01", "开办企业", "U03"), Indicator("A02", "纳税", "U22")],
        [Score("2021-03", "A01", 80.0, 5, 10), Score("2021-03", "A02", 70.0, 2, 10)],
        [Finding("F1", "2021-03", "A01", "U03", "窗口电话13612340546无人接听", D("2021-06-01"), None, None),
         Finding("F2", "2021-03", "A01", "U03", "办理时限长", D("2021-07-01"), None, None),
         Finding("F3", "2021-03", "A02", "U22", "材料重复提交", D("2021-07-15"), None, None),
         Finding("F4", "2021-03", "A02", "U22", "宣传不到位", D("2021-07-30"), D("2021-07-06"), None),
         Finding("F5", "2021-03", "Z9", "U22", "未知指标", D("2021-07-30"), None, None)])
    return weekly.build_report(parse_key("2021-W27", ("week",)), data)


def test_each_recipient_gets_its_part():
    report = _report()
    assert report["reminders"] == ["U03"] and report["escalated"] == ["F1"]
    built = {(n.recipient, n.kind): n for n in notices.build("assessment_rectification", report, names={})}
    assert set(built) == {("office", "rectification_report"), ("U03", "rectification_reminder"),
                          ("office", "rectification_escalation"), ("U22", "rectification_due_soon"),
                          ("office", "rectification_reported"), ("ops", "rectification_data_problems")}
    reminder = built[("U03", "rectification_reminder")].body
    assert "F1" in reminder and "F2" in reminder and "F3" not in reminder and "40天" in reminder
    assert "136****0546" in reminder and "13612340546" not in reminder
    assert "F1" in built[("office", "rectification_escalation")].body
    assert "F3" in built[("U22", "rectification_due_soon")].body
    assert "F4" in built[("office", "rectification_reported")].body
    ops = built[("ops", "rectification_data_problems")].body
    assert "F5" in ops and "2021-04" in ops and "unknown_indicator" in ops


def test_a_quiet_week_sends_the_report_only():
    data = AssessmentData([Round("2021-03", D("2021-04-02"))], [Indicator("A01", "开办企业", "U03")])
    report = weekly.build_report(parse_key("2021-W27", ("week",)), data)
    built = notices.build("assessment_rectification", report, names={})
    assert [(n.recipient, n.kind) for n in built] == [("office", "rectification_report")]
